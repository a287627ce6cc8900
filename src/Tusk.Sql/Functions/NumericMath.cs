using System.Numerics;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// numeric sqrt, exp, ln, log and power to PostgreSQL's result scales (numeric.c: at least NUMERIC_MIN_SIG_DIGITS = 16
/// significant digits, never fewer decimals than an input shows, at most 1000), computed in fixed point on
/// BigInteger with guard digits and rounded half away from zero at the result scale.
/// <para>
/// Methods: sqrt is an exact integer square root; ln reduces x = m·10^k (1 ≤ m &lt; 10), takes square roots of m
/// until it is within 1% of 1 and sums the series ln z = 2·atanh((z−1)/(z+1)); exp halves its argument until it is
/// below 0.01, sums the Taylor series and squares back. power with an integral exponent is exact (BigInteger.Pow)
/// when that stays small, otherwise exp(e·ln b).
/// </para>
/// </summary>
internal static class NumericMath
{
    private const int MinSignificantDigits = SqlNumeric.MinSignificantDigits;
    private const int GuardDigits = 10;

    /// <summary>Limit on the digits an exact integral power may produce before exp(e·ln b) is used instead.</summary>
    private const int ExactPowerDigitsMax = 100_000;

    private static int ClampScale(int scale) => Math.Clamp(scale, 0, SqlNumeric.MaxDisplayScale);

    // ---------------------------------------------------------------- fixed point

    /// <summary>x · 10^scale as an integer (truncated when x has more decimals).</summary>
    private static BigInteger Fixed(SqlNumeric x, int scale) =>
        scale >= x.Scale ? x.Unscaled * SqlNumeric.Pow10(scale - x.Scale) : BigInteger.Divide(x.Unscaled, SqlNumeric.Pow10(x.Scale - scale));

    private static SqlNumeric RoundFixed(BigInteger value, int fromScale, int toScale) =>
        new(SqlNumeric.DivideRounded(value, SqlNumeric.Pow10(fromScale - toScale), MidpointRounding.AwayFromZero), toScale);

    /// <summary>floor(√n) for n ≥ 0 (Newton from above).</summary>
    private static BigInteger IntegerSqrt(BigInteger n)
    {
        if (n.Sign <= 0) return BigInteger.Zero;
        var x = BigInteger.One << (int)((n.GetBitLength() + 1) / 2);
        while (true)
        {
            var y = (x + n / x) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }

    /// <summary>ln(x) · 10^scale for finite x &gt; 0.</summary>
    private static BigInteger LnFixed(SqlNumeric x, int scale)
    {
        var k = x.DecimalExponent;
        var work = scale + GuardDigits + DigitCount(k);
        // m = x / 10^k in [1, 10), at the working scale.
        var shift = work - x.Scale - k;
        var m = shift >= 0 ? x.Unscaled * SqlNumeric.Pow10(shift) : x.Unscaled / SqlNumeric.Pow10(-shift);
        var ln = LnNearOne(m, work);
        if (k != 0) ln += k * LnNearOne(10 * SqlNumeric.Pow10(work), work);
        return ln / SqlNumeric.Pow10(work - scale);
    }

    /// <summary>ln(m) · 10^scale for m (at that scale) in (0, 10]: square roots until m is near 1, then the atanh series.</summary>
    private static BigInteger LnNearOne(BigInteger m, int scale)
    {
        var one = SqlNumeric.Pow10(scale);
        var near = one / 100;
        var halvings = 0;
        while (BigInteger.Abs(m - one) > near)
        {
            m = IntegerSqrt(m * one);
            halvings++;
        }
        var z = (m - one) * one / (m + one);
        var z2 = z * z / one;
        BigInteger sum = z, term = z;
        for (var n = 3; !term.IsZero; n += 2)
        {
            term = term * z2 / one;
            sum += term / n;
        }
        return (sum * 2) << halvings;
    }

    /// <summary>e^(t / 10^scale) · 10^scale.</summary>
    private static BigInteger ExpFixed(BigInteger t, int scale)
    {
        var one = SqlNumeric.Pow10(scale);
        if (t.Sign < 0)
        {
            var positive = ExpFixed(-t, scale + 2);
            return positive.IsZero ? BigInteger.Zero : SqlNumeric.Pow10(2 * scale + 2) / positive;
        }
        // Halve until below 0.01: t / 2^n; the squarings double the relative error n times, hence the guard digits.
        var magnitude = (double)(t / one) + 1;
        var halvings = Math.Max(0, (int)Math.Ceiling(Math.Log2(magnitude * 100)));
        var guard = (int)(halvings * 0.30103) + GuardDigits;
        var work = scale + guard;
        var workOne = SqlNumeric.Pow10(work);
        var r = (t * SqlNumeric.Pow10(guard)) >> halvings;
        BigInteger sum = workOne, term = workOne;
        for (var n = 1; !term.IsZero; n++)
        {
            term = term * r / workOne / n;
            sum += term;
        }
        for (var i = 0; i < halvings; i++) sum = sum * sum / workOne;
        return sum / SqlNumeric.Pow10(guard);
    }

    private static int DigitCount(int k) => k == 0 ? 1 : (int)Math.Floor(Math.Log10(Math.Abs((double)k))) + 1;

    // ---------------------------------------------------------------- functions

    /// <summary>numeric_sqrt: rscale = max(16 − sweight, dscale), sweight = (weight + 1)·DEC_DIGITS/2 − 1.</summary>
    public static SqlNumeric Sqrt(SqlNumeric x)
    {
        if (x.IsNaN || x.IsPositiveInfinity) return x;
        if (x.Sign < 0) throw new SqlDataException("2201F", "cannot take square root of a negative number");
        var (weight, _) = x.Base10000Lead();
        var sweight = (weight + 1) * 4 / 2 - 1;
        var scale = ClampScale(Math.Max(MinSignificantDigits - sweight, x.Scale));
        var root = IntegerSqrt(x.Unscaled * SqlNumeric.Pow10(2 * (scale + 1) - x.Scale));
        return RoundFixed(root, scale + 1, scale);
    }

    /// <summary>numeric_exp: rscale = 16 − (int)(x·log10 e), at least x's scale.</summary>
    public static SqlNumeric Exp(SqlNumeric x)
    {
        if (x.IsNaN || x.IsPositiveInfinity) return x;
        if (x.IsNegativeInfinity) return SqlNumeric.Zero;
        var approx = x.ToDouble();
        var weight = Math.Clamp(approx * 0.434294481903252, -SqlNumeric.MaxResultScale, SqlNumeric.MaxResultScale);
        var scale = ClampScale(Math.Max(MinSignificantDigits - (int)weight, x.Scale));
        if (Math.Abs(approx) >= SqlNumeric.MaxResultScale * 3)
        {
            if (approx > 0) throw SqlNumeric.Overflow();
            return SqlNumeric.Zero.Round(scale);
        }
        var work = scale + Math.Max(0, (int)weight) + GuardDigits;
        return RoundFixed(ExpFixed(Fixed(x, work), work), work, scale);
    }

    /// <summary>numeric_ln: rscale = 16 − estimate_ln_dweight(x), at least x's scale.</summary>
    public static SqlNumeric Ln(SqlNumeric x)
    {
        if (x.IsNaN) return x;
        CheckLogArgument(x);
        if (x.IsPositiveInfinity) return x;
        var scale = ClampScale(Math.Max(MinSignificantDigits - EstimateLnWeight(x), x.Scale));
        var work = scale + GuardDigits;
        return RoundFixed(LnFixed(x, work), work, scale);
    }

    /// <summary>log(base, x) as numeric_log: ln x / ln base, rscale = 16 − (dweight(ln x) − dweight(ln base)).</summary>
    public static SqlNumeric Log(SqlNumeric logBase, SqlNumeric x)
    {
        if (logBase.IsNaN || x.IsNaN) return SqlNumeric.NaN;
        CheckLogArgument(logBase);
        CheckLogArgument(x);
        if (logBase.IsInfinity || x.IsInfinity)
        {
            if (logBase.IsInfinity && x.IsInfinity) return SqlNumeric.NaN;
            if (logBase.IsInfinity) return SqlNumeric.Zero;
            var baseSign = logBase.CompareTo(SqlNumeric.One);
            return baseSign == 0 ? throw new SqlDataException("22012", "division by zero") : baseSign > 0 ? x : -x;
        }
        var baseWeight = EstimateLnWeight(logBase);
        var numberWeight = EstimateLnWeight(x);
        var scale = ClampScale(Math.Max(Math.Max(MinSignificantDigits - (numberWeight - baseWeight), logBase.Scale), x.Scale));
        var work = scale + 2 * GuardDigits + Math.Abs(baseWeight) + Math.Abs(numberWeight);
        var lnBase = LnFixed(logBase, work);
        if (lnBase.IsZero) throw new SqlDataException("22012", "division by zero");
        var quotient = SqlNumeric.DivideRounded(LnFixed(x, work) * SqlNumeric.Pow10(work), lnBase, MidpointRounding.ToZero);
        return RoundFixed(quotient, work, scale);
    }

    public static SqlNumeric Log10(SqlNumeric x) => Log(SqlNumeric.FromInt64(10), x);

    private static void CheckLogArgument(SqlNumeric x)
    {
        if (x.IsZero) throw new SqlDataException("2201E", "cannot take logarithm of zero");
        if (x.Sign < 0) throw new SqlDataException("2201E", "cannot take logarithm of a negative number");
    }

    /// <summary>estimate_ln_dweight: the decimal weight of ln(x), from x − 1 near 1, else from x's first digits.</summary>
    private static int EstimateLnWeight(SqlNumeric x)
    {
        if (x.Sign <= 0 || !x.IsFinite) return 0;
        if (x.CompareTo(new SqlNumeric(9, 1)) >= 0 && x.CompareTo(new SqlNumeric(11, 1)) <= 0)
        {
            var d = x - SqlNumeric.One;
            return d.IsZero ? 0 : d.DecimalExponent;
        }
        // x ≈ digits · 10^dweight from its first two base-10000 digits (up to eight decimal digits).
        var exponent = x.DecimalExponent;
        var weight = exponent >= 0 ? exponent / 4 : -((-exponent + 3) / 4);
        var leadDigits = exponent - 4 * weight + 1 + 4;
        var text = BigInteger.Abs(x.Unscaled).ToString(System.Globalization.CultureInfo.InvariantCulture);
        double digits = 0;
        for (var i = 0; i < leadDigits; i++) digits = digits * 10 + (i < text.Length ? text[i] - '0' : 0);
        var ln = Math.Log(digits) + (weight * 4 - 4) * 2.302585092994046;
        return (int)Math.Log10(Math.Abs(ln));
    }

    /// <summary>numeric_power, with PostgreSQL 14's rules for NaN and infinities.</summary>
    public static SqlNumeric Power(SqlNumeric b, SqlNumeric e)
    {
        if (b.IsNaN) return e.IsZero ? SqlNumeric.One : SqlNumeric.NaN;
        if (e.IsNaN) return b.CompareTo(SqlNumeric.One) == 0 ? SqlNumeric.One : SqlNumeric.NaN;
        if (b.IsZero && e.Sign < 0) throw new SqlDataException("2201F", "zero raised to a negative power is undefined");
        var integral = e.IsFinite && e.MinScale == 0;
        if (b.Sign < 0 && e.IsFinite && !integral)
            throw new SqlDataException("2201F", "a negative number raised to a non-integer power yields a complex result");
        if (!b.IsFinite || !e.IsFinite) return PowerSpecial(b, e, integral);
        if (integral && e.TryRoundToInt64(out var n) && n is >= int.MinValue and <= int.MaxValue)
        {
            var exact = IntegerPower(b, (int)n, e.Scale);
            if (exact is { } result) return result;
        }
        var negate = b.Sign < 0 && integral && !(e % SqlNumeric.FromInt64(2)).IsZero;
        var magnitude = PowerByLogarithm(b.Abs(), e, b.Scale);
        return negate ? -magnitude : magnitude;
    }

    private static SqlNumeric PowerSpecial(SqlNumeric b, SqlNumeric e, bool integral)
    {
        if (e.IsZero || b.CompareTo(SqlNumeric.One) == 0) return SqlNumeric.One;
        if (e.IsInfinity)
        {
            var size = b.Abs().CompareTo(SqlNumeric.One);
            if (size == 0) return SqlNumeric.One;
            return (size > 0) == e.IsPositiveInfinity ? SqlNumeric.PositiveInfinity : SqlNumeric.Zero;
        }
        // b is ±Infinity, e finite and non-zero.
        if (e.Sign < 0) return SqlNumeric.Zero;
        var odd = integral && !(e % SqlNumeric.FromInt64(2)).IsZero;
        return b.IsNegativeInfinity && odd ? SqlNumeric.NegativeInfinity : SqlNumeric.PositiveInfinity;
    }

    /// <summary>power_var_int: exact b^n rounded to rscale = 16 − (int)(n·log10|b|); null when the exact power would be too long.</summary>
    private static SqlNumeric? IntegerPower(SqlNumeric b, int n, int exponentScale)
    {
        var weight = b.IsZero ? 0 : n * Math.Log10(Math.Abs(b.ToDouble() is var d && d != 0 && !double.IsInfinity(d) ? d : ApproximateMagnitude(b)));
        if (weight > SqlNumeric.MaxIntegerDigits) throw SqlNumeric.Overflow();
        if (weight + 1 < -SqlNumeric.MaxDisplayScale) return SqlNumeric.Zero.Round(SqlNumeric.MaxDisplayScale);
        var scale = ClampScale(Math.Max(Math.Max(MinSignificantDigits - (int)weight, b.Scale), exponentScale));
        if (n == 0) return SqlNumeric.One.Round(scale);
        var digits = (long)Math.Max(1, SqlNumeric.DigitCount(b.Unscaled)) * Math.Abs((long)n);
        if (digits > ExactPowerDigitsMax) return null;
        var power = new SqlNumeric(BigInteger.Pow(b.Unscaled, Math.Abs(n)), b.Scale * Math.Abs(n));
        return n > 0 ? SqlNumeric.Checked(power.Round(scale)) : SqlNumeric.Divide(SqlNumeric.One, power, scale);
    }

    /// <summary>|b| for values beyond double's range, as 10^DecimalExponent.</summary>
    private static double ApproximateMagnitude(SqlNumeric b) => Math.Pow(10, Math.Clamp(b.DecimalExponent, -300, 300));

    /// <summary>power_var: exp(e · ln b) for b &gt; 0 (or 0), with rscale = 16 − (int)(e·ln b·log10 e).</summary>
    private static SqlNumeric PowerByLogarithm(SqlNumeric b, SqlNumeric e, int baseScale)
    {
        if (b.IsZero) return SqlNumeric.Zero.Round(ClampScale(Math.Max(MinSignificantDigits, Math.Max(baseScale, e.Scale))));
        var lnWeight = EstimateLnWeight(b);
        var lnApprox = Math.Log(b.ToDouble() is var d && d > 0 && !double.IsInfinity(d) ? d : ApproximateMagnitude(b));
        if (b.DecimalExponent is > 300 or < -300) lnApprox = b.DecimalExponent * 2.302585092994046;
        var value = lnApprox * e.ToDouble();
        if (Math.Abs(value) > SqlNumeric.MaxResultScale * 3.01)
        {
            if (value > 0) throw SqlNumeric.Overflow();
            return SqlNumeric.Zero.Round(SqlNumeric.MaxDisplayScale);
        }
        var weight = value * 0.434294481903252;
        var scale = ClampScale(Math.Max(Math.Max(MinSignificantDigits - (int)weight, baseScale), e.Scale));
        var significant = Math.Max(scale + (int)weight, 0);
        var exponentDigits = Math.Max(0, e.DecimalExponent + 1);
        var work = Math.Max(scale, significant) + 2 * GuardDigits + Math.Abs(lnWeight) + exponentDigits + Math.Max(0, (int)weight);
        var lnBase = LnFixed(b, work);
        var t = lnBase * e.Unscaled / SqlNumeric.Pow10(e.Scale);
        return SqlNumeric.Checked(RoundFixed(ExpFixed(t, work), work, scale));
    }

    // ---------------------------------------------------------------- gcd, lcm

    public static SqlNumeric Gcd(SqlNumeric a, SqlNumeric b)
    {
        if (!a.IsFinite || !b.IsFinite) return SqlNumeric.NaN;
        var scale = Math.Max(a.Scale, b.Scale);
        var g = BigInteger.GreatestCommonDivisor(Fixed(a, scale), Fixed(b, scale));
        return new SqlNumeric(g, scale);
    }

    public static SqlNumeric Lcm(SqlNumeric a, SqlNumeric b)
    {
        if (!a.IsFinite || !b.IsFinite) return SqlNumeric.NaN;
        var scale = Math.Max(a.Scale, b.Scale);
        BigInteger x = Fixed(a, scale), y = Fixed(b, scale);
        if (x.IsZero || y.IsZero) return new SqlNumeric(BigInteger.Zero, scale);
        return SqlNumeric.Checked(new SqlNumeric(BigInteger.Abs(x / BigInteger.GreatestCommonDivisor(x, y) * y), scale));
    }
}
