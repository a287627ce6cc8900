using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// numeric (System.Decimal) versions of sqrt, exp, ln, log and power, with PostgreSQL's result scales
/// (NUMERIC_MIN_SIG_DIGITS = 16 significant digits, never fewer decimals than the input has). Decimal carries 28-29
/// significant digits, so results are exact to their displayed scale unless they exceed that; PostgreSQL's numeric
/// is arbitrary precision, Tusk's is not (a value out of decimal's range is 22003).
/// </summary>
internal static class NumericMath
{
    private const int MinSignificantDigits = 16;     // NUMERIC_MIN_SIG_DIGITS
    private const int DecimalScaleMax = 28;
    private const decimal E = 2.7182818284590452353602874714m;
    private const decimal Ln10 = 2.3025850929940456840179914547m;

    /// <summary>floor(log10(|x|)) for x ≠ 0, computed from the digits (no floating point).</summary>
    public static int DecimalExponent(decimal x)
    {
        x = Math.Abs(x);
        if (x >= 1)
        {
            var exponent = 0;
            for (var t = decimal.Truncate(x); t >= 10; t = decimal.Truncate(t / 10)) exponent++;
            return exponent;
        }
        var negative = 0;
        while (x < 1) { x *= 10; negative--; }
        return negative;
    }

    /// <summary>Rounds half away from zero to <paramref name="scale"/> decimals and shows exactly that many (scale may be negative).</summary>
    public static decimal RoundToScale(decimal value, int scale)
    {
        if (scale < 0)
        {
            var factor = Pow10(-scale);
            if (factor == 0) return 0m;
            return Math.Round(value / factor, 0, MidpointRounding.AwayFromZero) * factor;
        }
        scale = Math.Min(scale, DecimalScaleMax);
        var rounded = Math.Round(value, scale, MidpointRounding.AwayFromZero);
        return WithScale(rounded, scale);
    }

    public static decimal TruncateToScale(decimal value, int scale)
    {
        if (scale < 0)
        {
            var factor = Pow10(-scale);
            if (factor == 0) return 0m;
            return decimal.Truncate(value / factor) * factor;
        }
        scale = Math.Min(scale, DecimalScaleMax);
        return WithScale(Math.Round(value, scale, MidpointRounding.ToZero), scale);
    }

    /// <summary>Pads with trailing zeros to at least <paramref name="scale"/> decimals (1.5 → 1.500).</summary>
    public static decimal WithScale(decimal value, int scale)
    {
        if (value.Scale >= scale) return value;
        try
        {
            return value + new decimal(0, 0, 0, false, (byte)scale);
        }
        catch (OverflowException)
        {
            return value;
        }
    }

    private static decimal Pow10(int exponent)
    {
        if (exponent > 28) return 0m;
        var result = 1m;
        for (var i = 0; i < exponent; i++) result *= 10;
        return result;
    }

    public static decimal Sqrt(decimal x)
    {
        if (x < 0) throw new SqlDataException("2201F", "cannot take square root of a negative number");
        if (x == 0) return WithScale(0m, Math.Max((int)x.Scale, MinSignificantDigits - 1));
        // numeric_sqrt: sweight = (weight + 1) * DEC_DIGITS / 2 - 1, weight in base-10000 digits.
        var weight = FloorDivide(DecimalExponent(x), 4);
        var sweight = (weight + 1) * 4 / 2 - 1;
        var scale = Math.Max(MinSignificantDigits - sweight, x.Scale);
        var guess = (decimal)Math.Sqrt((double)x);
        for (var i = 0; i < 4 && guess != 0; i++) guess = (guess + x / guess) / 2;
        return RoundToScale(guess, scale);
    }

    public static decimal Exp(decimal x)
    {
        var value = ExpRaw(x);
        var resultExponent = (int)Math.Floor((double)x * 0.434294481903252);
        return RoundToScale(value, Math.Max(MinSignificantDigits - resultExponent, x.Scale));
    }

    public static decimal Ln(decimal x)
    {
        CheckLogArgument(x);
        // numeric_ln: dec_digits = (weight + 1) * DEC_DIGITS, the approximate digits before the point.
        var decDigits = (FloorDivide(DecimalExponent(x), 4) + 1) * 4;
        var scale = decDigits > 1 ? MinSignificantDigits - (int)Math.Log10(decDigits - 1)
            : decDigits < 1 ? MinSignificantDigits - (int)Math.Log10(1 - decDigits)
            : MinSignificantDigits;
        return RoundToScale(LnRaw(x), Math.Max(scale, x.Scale));
    }

    /// <summary>log(base, x): ln(x) / ln(base), scaled as numeric_log does.</summary>
    public static decimal Log(decimal logBase, decimal x)
    {
        CheckLogArgument(logBase);
        CheckLogArgument(x);
        var lnBase = LnRaw(logBase);
        if (lnBase == 0) throw new SqlDataException("22012", "division by zero");
        var resultWeight = EstimateLnExponent(x) - EstimateLnExponent(logBase);
        var scale = Math.Max(Math.Max(MinSignificantDigits - resultWeight, logBase.Scale), x.Scale);
        return RoundToScale(LnRaw(x) / lnBase, scale);
    }

    public static decimal Log10(decimal x) => Log(10m, x);

    public static decimal Power(decimal b, decimal e)
    {
        if (b == 0 && e < 0) throw new SqlDataException("2201F", "zero raised to a negative power is undefined");
        if (b < 0 && e != decimal.Truncate(e)) throw new SqlDataException("2201F", "a negative number raised to a non-integer power yields a complex result");
        decimal value;
        try
        {
            value = e == decimal.Truncate(e) && Math.Abs(e) <= 4096 ? IntegerPower(b, (int)e) : b == 0 ? 0m : ExpRaw(e * LnRaw(b));
        }
        catch (OverflowException)
        {
            throw new SqlDataException("22003", "value overflows numeric format");
        }
        // power_var / power_var_int: the result weight estimated as (int)(exp * log10(|base|)), truncated toward zero.
        var resultExponent = b == 0 ? 0 : (int)((double)e * Math.Log10(Math.Abs((double)b)));
        var scale = Math.Max(Math.Max(MinSignificantDigits - resultExponent, b.Scale), e.Scale);
        return RoundToScale(value, scale);
    }

    private static decimal IntegerPower(decimal b, int e)
    {
        var negative = e < 0;
        var n = Math.Abs(e);
        var result = 1m;
        var square = b;
        while (n > 0)
        {
            if ((n & 1) == 1) result *= square;
            n >>= 1;
            if (n > 0) square *= square;
        }
        return negative ? 1m / result : result;
    }

    private static void CheckLogArgument(decimal x)
    {
        if (x == 0) throw new SqlDataException("2201E", "cannot take logarithm of zero");
        if (x < 0) throw new SqlDataException("2201E", "cannot take logarithm of a negative number");
    }

    private static int EstimateLnExponent(decimal x)
    {
        // estimate_ln_dweight: (int) log10(|ln x|), truncated toward zero as C's cast does.
        var ln = Math.Abs(Math.Log((double)x));
        return ln == 0 ? 0 : (int)Math.Log10(ln);
    }

    private static int FloorDivide(int a, int b) => (int)Math.Floor(a / (double)b);

    /// <summary>e^x to decimal's precision: e^n by squaring for the integer part, a Taylor series for the fraction.</summary>
    internal static decimal ExpRaw(decimal x)
    {
        if (x > 66) throw new SqlDataException("22003", "value overflows numeric format");
        if (x < -66) return 0m;
        if (x < 0) return 1m / ExpRaw(-x);
        var n = (int)decimal.Truncate(x);
        var f = x - n;
        decimal sum = 1m, term = 1m;
        for (var k = 1; k < 60 && term != 0; k++)
        {
            term = term * f / k;
            sum += term;
        }
        return IntegerPower(E, n) * sum;
    }

    /// <summary>ln(x) by Newton's method on e^y = x, from double's estimate.</summary>
    internal static decimal LnRaw(decimal x)
    {
        if (x == 1) return 0m;
        // Scale into [1, 10) so e^y stays well inside decimal's range: ln(x) = ln(m) + k ln 10.
        var k = DecimalExponent(x);
        var m = x;
        for (var i = 0; i < k; i++) m /= 10;
        for (var i = 0; i > k; i--) m *= 10;
        var y = (decimal)Math.Log((double)m);
        for (var i = 0; i < 3; i++)
        {
            var ey = ExpRaw(y);
            y += 2 * (m - ey) / (m + ey);
        }
        return y + k * Ln10;
    }
}
