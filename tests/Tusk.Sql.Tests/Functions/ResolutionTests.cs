using Tusk.Sql.Functions;
using Tusk.Sql.Types;
using Xunit;

namespace Tusk.Sql.Tests.Functions;

/// <summary>
/// Overload resolution as PostgreSQL's "Type Conversion" rules pick: exact match, implicit promotions
/// (int2 → int4 → int8 → numeric → float8), preferred types (float8, text, timestamptz), unknown literals leaning to text.
/// </summary>
public sealed class ResolutionTests
{
    private static readonly SqlType U = SqlType.Unknown;

    [Theory]
    [InlineData("length", "text", "integer", "unknown")]
    [InlineData("length", "bytea", "integer", "bytea")]
    [InlineData("length", "text", "integer", "character varying")]
    [InlineData("abs", "smallint", "smallint", "smallint")]
    [InlineData("abs", "integer", "integer", "integer")]
    [InlineData("abs", "numeric", "numeric", "numeric")]
    [InlineData("abs", "real", "real", "real")]
    [InlineData("round", "double precision", "double precision", "integer")]
    [InlineData("round", "numeric", "numeric", "numeric")]
    [InlineData("round", "numeric,integer", "numeric", "integer,integer")]
    [InlineData("round", "numeric,integer", "numeric", "unknown,unknown")]
    [InlineData("sqrt", "double precision", "double precision", "unknown")]
    [InlineData("sqrt", "numeric", "numeric", "numeric")]
    [InlineData("sqrt", "double precision", "double precision", "bigint")]
    [InlineData("mod", "bigint,bigint", "bigint", "integer,bigint")]
    [InlineData("mod", "numeric,numeric", "numeric", "integer,numeric")]
    [InlineData("mod", "integer,integer", "integer", "unknown,integer")]
    [InlineData("date_trunc", "text,timestamp with time zone", "timestamp with time zone", "unknown,date")]
    [InlineData("date_trunc", "text,timestamp without time zone", "timestamp without time zone", "unknown,timestamp without time zone")]
    [InlineData("date_trunc", "text,interval", "interval", "text,interval")]
    [InlineData("extract", "text,date", "numeric", "unknown,date")]
    [InlineData("date_part", "text,time without time zone", "double precision", "unknown,time without time zone")]
    [InlineData("to_char", "timestamp with time zone,text", "text", "date,unknown")]
    [InlineData("to_char", "integer,text", "text", "integer,unknown")]
    [InlineData("concat", "integer,text,boolean", "text", "integer,unknown,boolean")]
    [InlineData("quote_literal", "text", "text", "unknown")]
    [InlineData("quote_literal", "integer", "text", "integer")]
    [InlineData("jsonb_build_object", "text,jsonb", "jsonb", "unknown,jsonb")]
    [InlineData("jsonb_set", "jsonb,text,jsonb", "jsonb", "jsonb,unknown,unknown")]
    [InlineData("substr", "text,integer,integer", "text", "character varying,smallint,unknown")]
    [InlineData("position", "text,text", "integer", "unknown,unknown")]
    [InlineData("make_interval", "integer,integer", "interval", "unknown,integer")]
    [InlineData("power", "double precision,double precision", "double precision", "integer,integer")]
    [InlineData("power", "numeric,numeric", "numeric", "numeric,integer")]
    public void PicksTheOverloadPostgresPicks(string name, string parameters, string returns, string arguments)
    {
        var function = Builtins.Resolve(name, Types(arguments));
        Assert.NotNull(function);
        Assert.Equal(parameters, string.Join(",", Enumerable.Range(0, Types(arguments).Length).Select(i => function!.ParameterType(i).Name)));
        Assert.Equal(returns, function!.ReturnType.Name);
    }

    [Theory]
    [InlineData("-", "date", "unknown", "date,date", "integer")]
    [InlineData("-", "date", "integer", "date,integer", "date")]
    [InlineData("+", "date", "interval", "date,interval", "timestamp without time zone")]
    [InlineData("+", "timestamp with time zone", "unknown", "timestamp with time zone,interval", "timestamp with time zone")]
    [InlineData("-", "timestamp without time zone", "timestamp without time zone", "timestamp without time zone,timestamp without time zone", "interval")]
    [InlineData("*", "interval", "integer", "interval,double precision", "interval")]
    [InlineData("->", "jsonb", "unknown", "jsonb,text", "jsonb")]
    [InlineData("->", "jsonb", "integer", "jsonb,integer", "jsonb")]
    [InlineData("->>", "jsonb", "unknown", "jsonb,text", "text")]
    [InlineData("-", "jsonb", "unknown", "jsonb,text", "jsonb")]
    [InlineData("||", "jsonb", "unknown", "jsonb,jsonb", "jsonb")]
    [InlineData("@>", "jsonb", "unknown", "jsonb,jsonb", "boolean")]
    [InlineData("||", "bytea", "bytea", "bytea,bytea", "bytea")]
    [InlineData("~", "character varying", "unknown", "text,text", "boolean")]
    [InlineData("^", "integer", "integer", "double precision,double precision", "double precision")]
    [InlineData("^", "numeric", "integer", "numeric,numeric", "numeric")]
    public void PicksTheOperatorPostgresPicks(string op, string left, string right, string parameters, string returns)
    {
        var function = Builtins.ResolveOperator(op, Types(left)[0], Types(right)[0]);
        Assert.NotNull(function);
        Assert.Equal(parameters, string.Join(",", function!.ParameterTypes.Select(t => t.Name)));
        Assert.Equal(returns, function.ReturnType.Name);
    }

    [Fact]
    public void PrefixOperatorsHaveNoLeftSide()
    {
        var negate = Builtins.ResolveOperator("-", null, SqlType.Interval);
        Assert.NotNull(negate);
        Assert.Single(negate!.ParameterTypes);
        Assert.Null(Builtins.ResolveOperator("-", null, SqlType.Date));
    }

    [Fact]
    public void NoFitGivesNullAndTheBinderReports42883()
    {
        Assert.Null(Builtins.Resolve("no_such_function", [SqlType.Int4]));
        Assert.Null(Builtins.Resolve("length", [SqlType.Int4]));          // no implicit int → text
        Assert.Null(Builtins.Resolve("length", [SqlType.Text, SqlType.Text]));
        Assert.Null(Builtins.Resolve("concat", []));                      // variadic needs one argument
        Assert.Null(Builtins.Resolve("abs", [SqlType.Text]));
        Assert.Null(Builtins.ResolveOperator("+", SqlType.Int4, SqlType.Int4));  // the binder's own arithmetic
        Assert.Null(Builtins.ResolveOperator("@@@", SqlType.Text, SqlType.Text));
        Assert.True(Builtins.IsKnown("length"));
        Assert.True(Builtins.IsKnown("LENGTH"));
        Assert.False(Builtins.IsKnown("no_such_function"));
        Assert.NotNull(Builtins.Resolve("Upper", [SqlType.Text]));
    }

    [Fact]
    public void AmbiguityIs42725()
    {
        var error = Assert.Throws<SqlDataException>(() => Builtins.Resolve("date_part", [U, U]));
        Assert.Equal("42725", error.SqlState);
        Assert.Equal("42725", Assert.Throws<SqlDataException>(() => Builtins.ResolveOperator("-", U, U)).SqlState);
    }

    [Fact]
    public void AnyParametersAreSpecializedToTheArgumentTypes()
    {
        var concat = Builtins.Resolve("concat", [SqlType.Int4, U, SqlType.Jsonb])!;
        Assert.True(concat.IsVariadic);
        Assert.Equal(["integer", "text", "jsonb"], concat.ParameterTypes.Select(t => t.Name));
        Assert.Equal("1a{}", concat.Invoke([1, "a", "{}"], new FunctionContext()));
    }

    [Fact]
    public void CatalogHasNoDuplicateSignaturesAndLowerCaseNames()
    {
        var signatures = Builtins.AllFunctions.Select(f => f.Name + "(" + string.Join(",", f.ParameterTypes.Select(t => t.Name)) + (f.IsVariadic ? "..." : "") + ")").ToList();
        Assert.Equal(signatures.Count, signatures.Distinct().Count());
        Assert.All(Builtins.AllFunctions, f => Assert.Equal(f.Name.ToLowerInvariant(), f.Name));
        var operators = Builtins.AllOperators.Select(f => f.Name + "(" + string.Join(",", f.ParameterTypes.Select(t => t.Name)) + ")").ToList();
        Assert.Equal(operators.Count, operators.Distinct().Count());
        Assert.True(signatures.Count > 200, $"only {signatures.Count} overloads");
    }

    [Fact]
    public void GenRandomUuidIsVersionFourAndVolatile()
    {
        var function = Builtins.Resolve("gen_random_uuid", [])!;
        Assert.True(function.Volatile);
        Assert.Equal("uuid", function.ReturnType.Name);
        var a = (Guid)function.Invoke([], new FunctionContext())!;
        var b = (Guid)function.Invoke([], new FunctionContext())!;
        Assert.NotEqual(a, b);
        var text = a.ToString("D");
        Assert.Equal('4', text[14]);
        Assert.Contains(text[19], "89ab");
        Assert.Equal("PostgreSQL 16.0 (Tusk)", Builtins.Resolve("version", [])!.Invoke([], new FunctionContext()));
    }

    private static SqlType[] Types(string names) => names.Split(',').Select(n => n switch
    {
        "unknown" => U,
        "character varying" => SqlType.FromName("varchar", [])!,
        "double precision" => SqlType.Float8,
        "timestamp with time zone" => SqlType.TimestampTz,
        "timestamp without time zone" => SqlType.Timestamp,
        "time without time zone" => SqlType.Time,
        "smallint" => SqlType.Int2,
        "integer" => SqlType.Int4,
        "bigint" => SqlType.Int8,
        "real" => SqlType.Float4,
        "boolean" => SqlType.Bool,
        _ => SqlType.FromName(n, []) ?? throw new ArgumentException(n),
    }).ToArray();
}
