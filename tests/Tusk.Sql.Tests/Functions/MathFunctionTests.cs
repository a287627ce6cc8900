using Xunit;
using static Tusk.Sql.Tests.Functions.SqlCall;

namespace Tusk.Sql.Tests.Functions;

/// <summary>Math functions: results, result types per overload (abs(int4) → int4, sqrt(int) → float8), numeric scales.</summary>
public sealed class MathFunctionTests
{
    [Theory]
    [InlineData("17", "integer", "abs", -17)]
    [InlineData("17", "bigint", "abs", -17L)]
    [InlineData("17.4", "double precision", "abs", -17.4)]
    [InlineData("1.50", "numeric", "abs", "-1.50::numeric")]
    [InlineData("5", "smallint", "abs", "-5::int2")]
    [InlineData("-42", "numeric", "ceil", "-42.8::numeric")]
    [InlineData("43", "double precision", "ceiling", 42.2)]
    [InlineData("-43", "numeric", "floor", "-42.8::numeric")]
    [InlineData("2", "double precision", "round", 2.5)]
    [InlineData("4", "double precision", "round", 3.5)]
    [InlineData("3", "numeric", "round", "2.5::numeric")]
    [InlineData("-3", "numeric", "round", "-2.5::numeric")]
    [InlineData("42.44", "numeric", "round", "42.4382::numeric", 2)]
    [InlineData("1200", "numeric", "round", "1234.5::numeric", -2)]
    [InlineData("1.500", "numeric", "round", "1.5::numeric", 3)]
    [InlineData("42", "double precision", "round", 42)]
    [InlineData("42.43", "numeric", "trunc", "42.4382::numeric", 2)]
    [InlineData("-42", "double precision", "trunc", -42.8)]
    [InlineData("1.4142135623730951", "double precision", "sqrt", 2.0)]
    [InlineData("4", "double precision", "sqrt", 16)]
    [InlineData("1.414213562373095", "numeric", "sqrt", "2::numeric")]
    [InlineData("3.000000000000000", "numeric", "sqrt", "9::numeric")]
    [InlineData("3", "double precision", "cbrt", 27.0)]
    [InlineData("1024", "double precision", "power", 2, 10)]
    [InlineData("1024.0000000000000", "numeric", "power", "2::numeric", "10::numeric")]
    [InlineData("2.7182818284590452", "numeric", "exp", "1::numeric")]
    [InlineData("0.6931471805599453", "numeric", "ln", "2::numeric")]
    [InlineData("2", "double precision", "log", 100)]
    [InlineData("2.0000000000000000", "numeric", "log", "100::numeric")]
    [InlineData("3.0000000000000000", "numeric", "log", "2::numeric", "8::numeric")]
    [InlineData("3", "double precision", "log10", 1000.0)]
    [InlineData("1", "integer", "mod", 10, 3)]
    [InlineData("-1", "integer", "mod", -10, 3)]
    [InlineData("1", "bigint", "mod", 10, 3L)]
    [InlineData("1.5", "numeric", "mod", "10.5::numeric", "3::numeric")]
    [InlineData("2", "numeric", "div", "9::numeric", "4::numeric")]
    [InlineData("-1", "double precision", "sign", -8.4)]
    [InlineData("0", "numeric", "sign", "0.0::numeric")]
    [InlineData("3.141592653589793", "double precision", "pi")]
    [InlineData("45", "double precision", "degrees", 0.7853981633974483)]
    [InlineData("6", "integer", "gcd", 12, 18)]
    [InlineData("36", "integer", "lcm", 12, 18)]
    [InlineData("1.5", "numeric", "gcd", "4.5::numeric", "3::numeric")]
    [InlineData("3", "integer", "width_bucket", 5.35, 0.024, 10.06, 5)]
    [InlineData("0", "integer", "width_bucket", -1.0, 0.0, 10.0, 5)]
    [InlineData("6", "integer", "width_bucket", 10.0, 0.0, 10.0, 5)]
    [InlineData("2", "integer", "scale", "8.41::numeric")]
    [InlineData("8.41", "numeric", "trim_scale", "8.4100::numeric")]
    [InlineData("1.5707963267948966", "double precision", "atan2", 1.0, 0.0)]
    public void ComputesAsPostgres(string expected, string expectedType, string name, params object?[] args)
    {
        var (text, type) = Call(name, args);
        Assert.Equal(expected, text);
        Assert.Equal(expectedType, type.Name);
    }

    [Theory]
    [InlineData("22012", "mod", 1, 0)]
    [InlineData("22012", "div", "1::numeric", "0::numeric")]
    [InlineData("22012", "mod", "1::numeric", "0::numeric")]
    [InlineData("2201F", "sqrt", -1.0)]
    [InlineData("2201F", "sqrt", "-1::numeric")]
    [InlineData("2201E", "ln", 0.0)]
    [InlineData("2201E", "log", "-1::numeric")]
    [InlineData("2201F", "power", 0.0, -1.0)]
    [InlineData("2201F", "power", -8.0, 0.5)]
    [InlineData("22003", "abs", int.MinValue)]
    [InlineData("22003", "exp", 1000.0)]
    [InlineData("22003", "asin", 2.0)]
    [InlineData("2201G", "width_bucket", 1.0, 0.0, 10.0, 0)]
    public void ErrorsCarryPostgresSqlStates(string sqlState, string name, params object?[] args)
    {
        Assert.Equal(sqlState, Fails(() => Call(name, args)).SqlState);
    }

    [Fact]
    public void ModOfMinValueByMinusOneIsZeroNotATrap()
    {
        Assert.Equal("0", Call("mod", int.MinValue, -1).Text);
        Assert.Equal("0", Call("mod", long.MinValue, -1L).Text);
    }

    [Fact]
    public void RandomUsesTheContextsSourceAndIsVolatile()
    {
        var function = Tusk.Sql.Functions.Builtins.Resolve("random", [])!;
        Assert.True(function.Volatile);
        var first = (double)function.Invoke([], Context())!;
        var again = (double)function.Invoke([], Context())!;
        Assert.Equal(first, again);  // same seed, same value: no hidden global RNG
        Assert.InRange(first, 0.0, 1.0);
    }

    [Fact]
    public void PowerOperatorCoversFloatAndNumeric()
    {
        Assert.Equal(("8", "double precision"), Format(Operator("^", 2.0, 3.0)));
        Assert.Equal(("8.0000000000000000", "numeric"), Format(Operator("^", "2::numeric", "3::numeric")));
        Assert.Equal(("3", "double precision"), Format(PrefixOperator("|/", 9.0)));
    }

    private static (string?, string) Format((string? Text, Types.SqlType Type) r) => (r.Text, r.Type.Name);
}
