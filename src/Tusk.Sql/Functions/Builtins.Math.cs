using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

public static partial class Builtins
{
    private static void RegisterMath()
    {
        Add("abs", Int2, [Int2], a => (short)a[0]! == short.MinValue ? throw OutOfRange("smallint") : (short)Math.Abs((short)a[0]!));
        Add("abs", Int4, [Int4], a => (int)a[0]! == int.MinValue ? throw OutOfRange("integer") : Math.Abs((int)a[0]!));
        Add("abs", Int8, [Int8], a => (long)a[0]! == long.MinValue ? throw OutOfRange("bigint") : Math.Abs((long)a[0]!));
        Add("abs", Float4, [Float4], a => Math.Abs((float)a[0]!));
        Add("abs", Float8, [Float8], a => Math.Abs((double)a[0]!));
        Add("abs", Numeric, [Numeric], a => ((SqlNumeric)a[0]!).Abs());
        foreach (var name in new[] { "ceil", "ceiling" })
        {
            Add(name, Float8, [Float8], a => Math.Ceiling((double)a[0]!));
            Add(name, Numeric, [Numeric], a => ((SqlNumeric)a[0]!).Ceiling());
        }
        Add("floor", Float8, [Float8], a => Math.Floor((double)a[0]!));
        Add("floor", Numeric, [Numeric], a => ((SqlNumeric)a[0]!).Floor());
        // round(float8) is rint(): halves to even. round(numeric) rounds halves away from zero.
        Add("round", Float8, [Float8], a => Math.Round((double)a[0]!, MidpointRounding.ToEven));
        Add("round", Numeric, [Numeric], a => ((SqlNumeric)a[0]!).Round(0));
        Add("round", Numeric, [Numeric, Int4], a => ((SqlNumeric)a[0]!).Round(ResultScale((int)a[1]!)));
        Add("trunc", Float8, [Float8], a => Math.Truncate((double)a[0]!));
        Add("trunc", Numeric, [Numeric], a => ((SqlNumeric)a[0]!).Truncate(0));
        Add("trunc", Numeric, [Numeric, Int4], a => ((SqlNumeric)a[0]!).Truncate(ResultScale((int)a[1]!)));
        Add("sqrt", Float8, [Float8], a => (double)a[0]! < 0 ? throw Error("2201F", "cannot take square root of a negative number") : Math.Sqrt((double)a[0]!));
        Add("sqrt", Numeric, [Numeric], a => NumericMath.Sqrt((SqlNumeric)a[0]!));
        Add("cbrt", Float8, [Float8], a => Cbrt((double)a[0]!));
        foreach (var name in new[] { "power", "pow" })
        {
            Add(name, Float8, [Float8, Float8], a => FloatPower((double)a[0]!, (double)a[1]!));
            Add(name, Numeric, [Numeric, Numeric], a => NumericMath.Power((SqlNumeric)a[0]!, (SqlNumeric)a[1]!));
        }
        Add("exp", Float8, [Float8], a => CheckFloat(Math.Exp((double)a[0]!), (double)a[0]!));
        Add("exp", Numeric, [Numeric], a => NumericMath.Exp((SqlNumeric)a[0]!));
        Add("ln", Float8, [Float8], a => FloatLog((double)a[0]!, Math.Log));
        Add("ln", Numeric, [Numeric], a => NumericMath.Ln((SqlNumeric)a[0]!));
        foreach (var name in new[] { "log", "log10" })
        {
            Add(name, Float8, [Float8], a => FloatLog((double)a[0]!, Math.Log10));
            Add(name, Numeric, [Numeric], a => NumericMath.Log10((SqlNumeric)a[0]!));
        }
        Add("log", Numeric, [Numeric, Numeric], a => NumericMath.Log((SqlNumeric)a[0]!, (SqlNumeric)a[1]!));
        Add("mod", Int2, [Int2, Int2], a => (short)IntegerMod((short)a[0]!, (short)a[1]!));
        Add("mod", Int4, [Int4, Int4], a => (int)IntegerMod((int)a[0]!, (int)a[1]!));
        Add("mod", Int8, [Int8, Int8], a => IntegerMod((long)a[0]!, (long)a[1]!));
        Add("mod", Numeric, [Numeric, Numeric], a => (SqlNumeric)a[0]! % (SqlNumeric)a[1]!);
        Add("div", Numeric, [Numeric, Numeric], a => SqlNumeric.IntegerDivide((SqlNumeric)a[0]!, (SqlNumeric)a[1]!));
        Add("sign", Float8, [Float8], a => (double)Math.Sign((double)a[0]!));
        Add("sign", Numeric, [Numeric], a => ((SqlNumeric)a[0]!).IsNaN ? a[0]! : SqlNumeric.FromInt64(((SqlNumeric)a[0]!).Sign));
        Add("scale", Int4, [Numeric], a => ((SqlNumeric)a[0]!).IsFinite ? ((SqlNumeric)a[0]!).Scale : null);
        Add("min_scale", Int4, [Numeric], a => ((SqlNumeric)a[0]!).IsFinite ? ((SqlNumeric)a[0]!).MinScale : null);
        Add("trim_scale", Numeric, [Numeric], a => ((SqlNumeric)a[0]!).TrimScale());
        Add("pi", Float8, [], _ => Math.PI);
        Add("degrees", Float8, [Float8], a => (double)a[0]! * (180.0 / Math.PI));
        Add("radians", Float8, [Float8], a => (double)a[0]! * (Math.PI / 180.0));
        Add("sin", Float8, [Float8], a => Math.Sin((double)a[0]!));
        Add("cos", Float8, [Float8], a => Math.Cos((double)a[0]!));
        Add("tan", Float8, [Float8], a => Math.Tan((double)a[0]!));
        Add("cot", Float8, [Float8], a => 1.0 / Math.Tan((double)a[0]!));
        Add("asin", Float8, [Float8], a => Math.Abs((double)a[0]!) > 1 ? throw Error("22003", "input is out of range") : Math.Asin((double)a[0]!));
        Add("acos", Float8, [Float8], a => Math.Abs((double)a[0]!) > 1 ? throw Error("22003", "input is out of range") : Math.Acos((double)a[0]!));
        Add("atan", Float8, [Float8], a => Math.Atan((double)a[0]!));
        Add("atan2", Float8, [Float8, Float8], a => Math.Atan2((double)a[0]!, (double)a[1]!));
        AddTo(_functions, new ScalarFunction("random", [], Float8, (_, context) => RandomSource(context).NextDouble(), strict: true, isVariadic: false, isVolatile: true));
        Add("gcd", Int4, [Int4, Int4], a => (int)CheckRange(Gcd((int)a[0]!, (int)a[1]!), int.MinValue, int.MaxValue, "integer"));
        Add("gcd", Int8, [Int8, Int8], a => Gcd((long)a[0]!, (long)a[1]!) is var g && g == long.MinValue ? throw OutOfRange("bigint") : g);
        Add("gcd", Numeric, [Numeric, Numeric], a => NumericMath.Gcd((SqlNumeric)a[0]!, (SqlNumeric)a[1]!));
        Add("lcm", Int4, [Int4, Int4], a => (int)CheckRange(Lcm((int)a[0]!, (int)a[1]!, "integer"), int.MinValue, int.MaxValue, "integer"));
        Add("lcm", Int8, [Int8, Int8], a => Lcm((long)a[0]!, (long)a[1]!, "bigint"));
        Add("lcm", Numeric, [Numeric, Numeric], a => NumericMath.Lcm((SqlNumeric)a[0]!, (SqlNumeric)a[1]!));
        Add("width_bucket", Int4, [Float8, Float8, Float8, Int4], a => WidthBucket((double)a[0]!, (double)a[1]!, (double)a[2]!, (int)a[3]!));
        Add("width_bucket", Int4, [Numeric, Numeric, Numeric, Int4], a => WidthBucket(((SqlNumeric)a[0]!).ToDouble(), ((SqlNumeric)a[1]!).ToDouble(), ((SqlNumeric)a[2]!).ToDouble(), (int)a[3]!));
    }

    internal static SqlDataException DivisionByZero() => Error("22012", "division by zero");

    private static SqlDataException OutOfRange(string typeName) => Error("22003", $"{typeName} out of range");

    private static Random RandomSource(FunctionContext context) =>
        context.Random ?? throw new InvalidOperationException("FunctionContext.Random is not set: the executor must supply the statement's random source");

    /// <summary>Float results that overflow to infinity from finite input are errors in PostgreSQL (22003).</summary>
    private static double CheckFloat(double result, double input)
    {
        if (double.IsInfinity(result) && !double.IsInfinity(input)) throw Error("22003", "value out of range: overflow");
        return result;
    }

    /// <summary>Math.Cbrt can miss exact cubes by an ulp (cbrt(27) = 3.0000000000000004); C's cbrt, which PostgreSQL uses, does not.</summary>
    internal static double Cbrt(double x)
    {
        var root = Math.Cbrt(x);
        var rounded = Math.Round(root);
        return rounded * rounded * rounded == x ? rounded : root;
    }

    private static double FloatLog(double x, Func<double, double> log)
    {
        if (x == 0) throw Error("2201E", "cannot take logarithm of zero");
        if (x < 0) throw Error("2201E", "cannot take logarithm of a negative number");
        return log(x);
    }

    private static double FloatPower(double x, double y)
    {
        if (x == 0 && y < 0) throw Error("2201F", "zero raised to a negative power is undefined");
        if (x < 0 && Math.Floor(y) != y && !double.IsInfinity(y)) throw Error("2201F", "a negative number raised to a non-integer power yields a complex result");
        var result = Math.Pow(x, y);
        if (double.IsInfinity(result) && !double.IsInfinity(x) && !double.IsInfinity(y)) throw Error("22003", "value out of range: overflow");
        return result;
    }

    private static long IntegerMod(long x, long y)
    {
        if (y == 0) throw DivisionByZero();
        return y == -1 ? 0 : x % y;  // long.MinValue % -1 would trap
    }

    private static long CheckRange(long value, long min, long max, string typeName) =>
        value < min || value > max ? throw OutOfRange(typeName) : value;

    private static long Gcd(long a, long b)
    {
        // Work in negative numbers so long.MinValue has a home; the result's sign is fixed at the end.
        if (a > 0) a = -a;
        if (b > 0) b = -b;
        while (b != 0) (a, b) = (b, a % b);
        return a == long.MinValue ? long.MinValue : -a;
    }

    private static long Lcm(long a, long b, string typeName)
    {
        if (a == 0 || b == 0) return 0;
        var gcd = Gcd(a, b);
        try
        {
            return Math.Abs(checked(a / gcd * b));
        }
        catch (OverflowException)
        {
            throw OutOfRange(typeName);
        }
    }

    /// <summary>round/trunc's scale argument, limited as PostgreSQL does (±NUMERIC_MAX_RESULT_SCALE).</summary>
    private static int ResultScale(int scale) => Math.Clamp(scale, -SqlNumeric.MaxResultScale, SqlNumeric.MaxResultScale);

    private static int WidthBucket(double operand, double low, double high, int count)
    {
        if (count <= 0) throw Error("2201G", "count must be greater than zero");
        if (low == high) throw Error("2201G", "lower bound cannot equal upper bound");
        if (double.IsNaN(operand) || double.IsNaN(low) || double.IsNaN(high)) throw Error("2201G", "operand, lower bound, and upper bound cannot be NaN");
        if (low < high)
        {
            if (operand < low) return 0;
            if (operand >= high) return count == int.MaxValue ? throw OutOfRange("integer") : count + 1;
            return (int)Math.Floor((operand - low) / (high - low) * count) + 1;
        }
        if (operand > low) return 0;
        if (operand <= high) return count == int.MaxValue ? throw OutOfRange("integer") : count + 1;
        return (int)Math.Floor((low - operand) / (low - high) * count) + 1;
    }
}
