using System.Globalization;
using System.Numerics;
using System.Text;

namespace Tusk.Sql.Types;

/// <summary>
/// PostgreSQL's numeric: an arbitrary-precision decimal, value = <see cref="Unscaled"/> · 10^−<see cref="Scale"/>,
/// plus NaN and ±Infinity (PostgreSQL 14+). The scale is the display scale (dscale): 1.50 keeps scale 2 and prints
/// "1.50", while comparisons, equality and hashing are by value (1.0 = 1.00, alike hashes).
/// <para>
/// Invariants: Scale ≥ 0; a finite value whose unscaled integer fits a long is held in <c>_small</c> (no BigInteger
/// work on the common path), otherwise in <c>_big</c>. Arithmetic follows PostgreSQL's result-scale rules
/// (+ − : max of the scales, × : their sum, ÷ : select_div_scale); results are exact except division and the
/// functions in NumericMath, which round half away from zero at their result scale.
/// </para>
/// Limits as PostgreSQL's: at most 131072 digits before the point and 16383 after (22003 beyond).
/// </summary>
public readonly struct SqlNumeric : IEquatable<SqlNumeric>, IComparable<SqlNumeric>, IComparable
{
    /// <summary>NUMERIC_MIN_SIG_DIGITS: division and the transcendental functions give at least this many digits.</summary>
    public const int MinSignificantDigits = 16;

    /// <summary>NUMERIC_MAX_DISPLAY_SCALE: the largest scale a computed result is given.</summary>
    public const int MaxDisplayScale = 1000;

    /// <summary>NUMERIC_MAX_RESULT_SCALE: the largest scale round/trunc accept.</summary>
    public const int MaxResultScale = 2000;

    /// <summary>NUMERIC_DSCALE_MAX: the largest scale a value can carry.</summary>
    public const int MaxScale = 0x3FFF;

    /// <summary>Digits before the decimal point PostgreSQL's numeric can hold ((NUMERIC_WEIGHT_MAX + 1) · 4).</summary>
    public const int MaxIntegerDigits = 131072;

    /// <summary>NUMERIC_MAX_PRECISION: the largest p of numeric(p,s).</summary>
    public const int MaxPrecision = 1000;

    private enum Kind : byte { Finite, NaN, PositiveInfinity, NegativeInfinity }

    private readonly long _small;
    private readonly BigInteger _big;
    private readonly int _scale;
    private readonly bool _isBig;
    private readonly Kind _kind;

    private SqlNumeric(long small, int scale)
    {
        _small = small;
        _scale = scale;
    }

    private SqlNumeric(Kind kind)
    {
        _kind = kind;
    }

    public SqlNumeric(BigInteger unscaled, int scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(scale);
        _scale = scale;
        if (unscaled >= long.MinValue && unscaled <= long.MaxValue) _small = (long)unscaled;
        else
        {
            _big = unscaled;
            _isBig = true;
        }
    }

    public static SqlNumeric Zero => default;
    public static SqlNumeric One => new(1, 0);
    public static SqlNumeric NaN => new(Kind.NaN);
    public static SqlNumeric PositiveInfinity => new(Kind.PositiveInfinity);
    public static SqlNumeric NegativeInfinity => new(Kind.NegativeInfinity);

    public static SqlNumeric FromInt64(long value) => new(value, 0);

    public static implicit operator SqlNumeric(long value) => new(value, 0);

    /// <summary>A System.Decimal exactly, with its scale.</summary>
    public static SqlNumeric FromDecimal(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var magnitude = ((BigInteger)(uint)bits[2] << 64) | ((BigInteger)(uint)bits[1] << 32) | (uint)bits[0];
        var scale = (bits[3] >> 16) & 0xFF;
        return new SqlNumeric(bits[3] < 0 ? -magnitude : magnitude, scale);
    }

    /// <summary>float8 to numeric as PostgreSQL does it: the double's 15 significant digits (DBL_DIG), NaN and infinities kept.</summary>
    public static SqlNumeric FromDouble(double value, int significantDigits = 15)
    {
        if (double.IsNaN(value)) return NaN;
        if (double.IsPositiveInfinity(value)) return PositiveInfinity;
        if (double.IsNegativeInfinity(value)) return NegativeInfinity;
        return Parse(value.ToString("E" + (significantDigits - 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), trimTrailingZeros: true);
    }

    public bool IsNaN => _kind == Kind.NaN;
    public bool IsFinite => _kind == Kind.Finite;
    public bool IsInfinity => _kind is Kind.PositiveInfinity or Kind.NegativeInfinity;
    public bool IsPositiveInfinity => _kind == Kind.PositiveInfinity;
    public bool IsNegativeInfinity => _kind == Kind.NegativeInfinity;

    /// <summary>The display scale (digits after the point); 0 for NaN and infinities.</summary>
    public int Scale => _scale;

    public BigInteger Unscaled => _isBig ? _big : _small;

    /// <summary>−1, 0 or 1 (NaN: 0).</summary>
    public int Sign => _kind switch
    {
        Kind.PositiveInfinity => 1,
        Kind.NegativeInfinity => -1,
        Kind.NaN => 0,
        _ => _isBig ? _big.Sign : Math.Sign(_small),
    };

    public bool IsZero => _kind == Kind.Finite && !_isBig && _small == 0;

    // ---------------------------------------------------------------- powers of ten

    private static readonly long[] LongPowers = BuildLongPowers();
    private static readonly BigInteger[] BigPowers = BuildBigPowers();

    private static long[] BuildLongPowers()
    {
        var powers = new long[19];
        powers[0] = 1;
        for (var i = 1; i < powers.Length; i++) powers[i] = powers[i - 1] * 10;
        return powers;
    }

    private static BigInteger[] BuildBigPowers()
    {
        var powers = new BigInteger[64];
        powers[0] = BigInteger.One;
        for (var i = 1; i < powers.Length; i++) powers[i] = powers[i - 1] * 10;
        return powers;
    }

    internal static BigInteger Pow10(int exponent) =>
        exponent < BigPowers.Length ? BigPowers[exponent] : BigInteger.Pow(10, exponent);

    /// <summary>Number of decimal digits of |v| (0 for 0).</summary>
    internal static int DigitCount(BigInteger v)
    {
        if (v.IsZero) return 0;
        v = BigInteger.Abs(v);
        if (v <= long.MaxValue) return DigitCount((long)v);
        // An estimate from the bit length, corrected by one comparison each way.
        var estimate = (int)((v.GetBitLength() - 1) * 0.30102999566398120) + 1;
        while (estimate > 1 && v < Pow10(estimate - 1)) estimate--;
        while (v >= Pow10(estimate)) estimate++;
        return estimate;
    }

    private static int DigitCount(long v)
    {
        if (v == 0) return 0;
        var u = v == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(v);
        var n = 1;
        while (n < 19 && u >= (ulong)LongPowers[n]) n++;
        return u >= 10_000_000_000_000_000_000UL ? 20 : n;
    }

    /// <summary>floor(log10 |x|) of a finite non-zero value: the position of its first significant digit.</summary>
    public int DecimalExponent
    {
        get
        {
            if (!IsFinite || IsZero) return 0;
            return (_isBig ? DigitCount(_big) : DigitCount(_small)) - 1 - _scale;
        }
    }

    /// <summary>PostgreSQL's base-10000 weight and first base-10000 digit of a finite non-zero value.</summary>
    internal (int Weight, int FirstDigit) Base10000Lead()
    {
        if (!IsFinite || IsZero) return (0, 0);
        var exponent = DecimalExponent;
        var weight = FloorDivide(exponent, 4);
        var leadDigits = exponent - 4 * weight + 1;  // 1..4 decimal digits make the first base-10000 digit
        var text = BigInteger.Abs(Unscaled).ToString(CultureInfo.InvariantCulture);
        var first = 0;
        for (var i = 0; i < leadDigits; i++) first = first * 10 + (i < text.Length ? text[i] - '0' : 0);
        return (weight, first);
    }

    private static int FloorDivide(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    // ---------------------------------------------------------------- scale changes

    /// <summary>The unscaled value at <paramref name="scale"/> ≥ Scale (exact).</summary>
    private BigInteger UnscaledAt(int scale) => Unscaled * Pow10(scale - _scale);

    private bool TryUnscaledAt(int scale, out long result)
    {
        result = 0;
        if (_isBig) return false;
        var shift = scale - _scale;
        if (shift == 0) { result = _small; return true; }
        if (shift >= LongPowers.Length) return _small == 0;
        var p = LongPowers[shift];
        var r = (Int128)_small * p;
        if (r < long.MinValue || r > long.MaxValue) return false;
        result = (long)r;
        return true;
    }

    /// <summary>Rounds half away from zero to <paramref name="scale"/> decimals (negative: to tens, hundreds...); the result shows max(scale, 0) decimals.</summary>
    public SqlNumeric Round(int scale) => Rescale(scale, MidpointRounding.AwayFromZero);

    /// <summary>Truncates toward zero to <paramref name="scale"/> decimals; the result shows max(scale, 0) decimals.</summary>
    public SqlNumeric Truncate(int scale) => Rescale(scale, MidpointRounding.ToZero);

    private SqlNumeric Rescale(int scale, MidpointRounding mode)
    {
        if (!IsFinite) return this;
        var display = Math.Max(scale, 0);
        if (scale >= _scale)
        {
            return TryUnscaledAt(display, out var small) ? new SqlNumeric(small, display) : new SqlNumeric(UnscaledAt(display), display);
        }
        var drop = _scale - scale;  // > 0 digits to remove
        var q = DivideRounded(Unscaled, Pow10(drop), mode);
        // q counts units of 10^-scale; bring it back to the display scale.
        return scale >= 0 ? new SqlNumeric(q, scale) : new SqlNumeric(q * Pow10(-scale), 0);
    }

    /// <summary>n / d rounded with <paramref name="mode"/> (AwayFromZero: halves away; ToZero: truncation; ToNegativeInfinity; ToPositiveInfinity).</summary>
    internal static BigInteger DivideRounded(BigInteger n, BigInteger d, MidpointRounding mode)
    {
        var q = BigInteger.DivRem(n, d, out var r);
        if (r.IsZero) return q;
        var negative = n.Sign * d.Sign < 0;
        switch (mode)
        {
            case MidpointRounding.ToZero:
                return q;
            case MidpointRounding.ToNegativeInfinity:
                return negative ? q - 1 : q;
            case MidpointRounding.ToPositiveInfinity:
                return negative ? q : q + 1;
            default:
                return BigInteger.Abs(r) * 2 >= BigInteger.Abs(d) ? (negative ? q - 1 : q + 1) : q;
        }
    }

    public SqlNumeric Ceiling() => IsFinite ? new SqlNumeric(DivideRounded(Unscaled, Pow10(_scale), MidpointRounding.ToPositiveInfinity), 0) : this;

    public SqlNumeric Floor() => IsFinite ? new SqlNumeric(DivideRounded(Unscaled, Pow10(_scale), MidpointRounding.ToNegativeInfinity), 0) : this;

    /// <summary>min_scale(): the fewest decimals that show the value exactly.</summary>
    public int MinScale
    {
        get
        {
            if (!IsFinite || IsZero) return 0;
            var u = Unscaled;
            var s = _scale;
            while (s > 0 && (u % 10).IsZero)
            {
                u /= 10;
                s--;
            }
            return s;
        }
    }

    /// <summary>trim_scale(): the value with trailing fractional zeros removed.</summary>
    public SqlNumeric TrimScale() => IsFinite ? Truncate(MinScale) : this;

    // ---------------------------------------------------------------- arithmetic

    public static SqlDataException Overflow() => new(SqlDataException.NumericValueOutOfRange, "value overflows numeric format");

    public static SqlDataException DivisionByZero() => new(SqlDataException.DivisionByZero, "division by zero");

    public static SqlNumeric operator -(SqlNumeric x) => x._kind switch
    {
        Kind.PositiveInfinity => NegativeInfinity,
        Kind.NegativeInfinity => PositiveInfinity,
        Kind.NaN => x,
        _ => !x._isBig && x._small != long.MinValue ? new SqlNumeric(-x._small, x._scale) : new SqlNumeric(-x.Unscaled, x._scale),
    };

    public SqlNumeric Abs() => Sign < 0 ? -this : this;

    public static SqlNumeric operator +(SqlNumeric x, SqlNumeric y)
    {
        if (!x.IsFinite || !y.IsFinite) return AddSpecial(x, y);
        var scale = Math.Max(x._scale, y._scale);
        if (x.TryUnscaledAt(scale, out var a) && y.TryUnscaledAt(scale, out var b))
        {
            var sum = a + b;
            if (((a ^ sum) & (b ^ sum)) >= 0) return new SqlNumeric(sum, scale);
        }
        return Checked(new SqlNumeric(x.UnscaledAt(scale) + y.UnscaledAt(scale), scale));
    }

    public static SqlNumeric operator -(SqlNumeric x, SqlNumeric y) => x + -y;

    private static SqlNumeric AddSpecial(SqlNumeric x, SqlNumeric y)
    {
        if (x.IsNaN || y.IsNaN) return NaN;
        if (x.IsInfinity && y.IsInfinity) return x._kind == y._kind ? x : NaN;
        return x.IsInfinity ? x : y;
    }

    public static SqlNumeric operator *(SqlNumeric x, SqlNumeric y)
    {
        if (!x.IsFinite || !y.IsFinite)
        {
            if (x.IsNaN || y.IsNaN) return NaN;
            var sign = x.Sign * y.Sign;
            return sign > 0 ? PositiveInfinity : sign < 0 ? NegativeInfinity : NaN;
        }
        var scale = x._scale + y._scale;
        if (!x._isBig && !y._isBig)
        {
            var product = (Int128)x._small * y._small;
            if (product >= long.MinValue && product <= long.MaxValue) return Checked(new SqlNumeric((long)product, scale));
        }
        return Checked(new SqlNumeric(x.Unscaled * y.Unscaled, scale));
    }

    /// <summary>Division with PostgreSQL's result scale (select_div_scale), rounded half away from zero.</summary>
    public static SqlNumeric operator /(SqlNumeric x, SqlNumeric y)
    {
        if (!x.IsFinite || !y.IsFinite) return DivideSpecial(x, y);
        if (y.IsZero) throw DivisionByZero();
        return Divide(x, y, DivisionScale(x, y));
    }

    private static SqlNumeric DivideSpecial(SqlNumeric x, SqlNumeric y)
    {
        if (x.IsNaN || y.IsNaN) return NaN;
        if (x.IsInfinity)
        {
            if (y.IsInfinity) return NaN;
            return y.Sign switch
            {
                0 => throw DivisionByZero(),
                > 0 => x,
                _ => -x,
            };
        }
        return Zero;  // finite / ±Infinity
    }

    /// <summary>select_div_scale: at least 16 significant digits, no fewer decimals than either operand shows.</summary>
    public static int DivisionScale(SqlNumeric x, SqlNumeric y)
    {
        var (weight1, first1) = x.Base10000Lead();
        var (weight2, first2) = y.Base10000Lead();
        var quotientWeight = weight1 - weight2;
        if (first1 <= first2) quotientWeight--;
        var scale = MinSignificantDigits - quotientWeight * 4;
        scale = Math.Max(scale, Math.Max(x._scale, y._scale));
        return Math.Clamp(scale, 0, MaxDisplayScale);
    }

    /// <summary>x / y rounded half away from zero to <paramref name="scale"/> decimals (finite operands, y ≠ 0).</summary>
    public static SqlNumeric Divide(SqlNumeric x, SqlNumeric y, int scale, MidpointRounding mode = MidpointRounding.AwayFromZero)
    {
        if (y.IsZero) throw DivisionByZero();
        // x/y = (ux · 10^-sx) / (uy · 10^-sy); at scale s: ux · 10^(s + sy − sx) / uy.
        var shift = scale + y._scale - x._scale;
        if (!x._isBig && !y._isBig && shift >= 0 && shift < LongPowers.Length)
        {
            var n = (Int128)x._small * LongPowers[shift];
            if (n >= long.MinValue && n <= long.MaxValue && y._small != -1)
            {
                long a = (long)n, b = y._small;
                var q = Math.DivRem(a, b, out var r);
                if (r != 0)
                {
                    if (mode == MidpointRounding.AwayFromZero && Int128.Abs((Int128)r * 2) >= Int128.Abs(b)) q += (a < 0) == (b < 0) ? 1 : -1;
                }
                return new SqlNumeric(q, scale);
            }
        }
        BigInteger numerator = x.Unscaled, denominator = y.Unscaled;
        if (shift >= 0) numerator *= Pow10(shift);
        else denominator *= Pow10(-shift);
        return Checked(new SqlNumeric(DivideRounded(numerator, denominator, mode), scale));
    }

    /// <summary>x % y: the remainder of the truncated quotient, with the dividend's sign and the larger scale.</summary>
    public static SqlNumeric operator %(SqlNumeric x, SqlNumeric y)
    {
        if (!x.IsFinite || !y.IsFinite)
        {
            if (x.IsNaN || y.IsNaN) return NaN;
            if (x.IsInfinity) return y.IsZero ? throw DivisionByZero() : NaN;
            return x;  // finite % ±Infinity
        }
        if (y.IsZero) throw DivisionByZero();
        var scale = Math.Max(x._scale, y._scale);
        if (x.TryUnscaledAt(scale, out var a) && y.TryUnscaledAt(scale, out var b) && b != -1) return new SqlNumeric(a % b, scale);
        return new SqlNumeric(BigInteger.Remainder(x.UnscaledAt(scale), y.UnscaledAt(scale)), scale);
    }

    /// <summary>div(x, y): the quotient truncated toward zero, scale 0.</summary>
    public static SqlNumeric IntegerDivide(SqlNumeric x, SqlNumeric y)
    {
        if (!x.IsFinite || !y.IsFinite)
        {
            if (x.IsNaN || y.IsNaN) return NaN;
            if (x.IsInfinity) return y.IsInfinity ? NaN : y.Sign == 0 ? throw DivisionByZero() : (x.Sign * y.Sign > 0 ? PositiveInfinity : NegativeInfinity);
            return Zero;
        }
        return Divide(x, y, 0, MidpointRounding.ToZero);
    }

    /// <summary>Refuses values beyond PostgreSQL's numeric range (22003 "value overflows numeric format").</summary>
    internal static SqlNumeric Checked(SqlNumeric value)
    {
        if (value._scale > MaxScale) throw Overflow();
        if (value._isBig && value.DecimalExponent >= MaxIntegerDigits) throw Overflow();
        return value;
    }

    // ---------------------------------------------------------------- comparison

    public int CompareTo(SqlNumeric other)
    {
        if (_kind != Kind.Finite || other._kind != Kind.Finite) return Rank().CompareTo(other.Rank());
        if (_scale == other._scale && !_isBig && !other._isBig) return _small.CompareTo(other._small);
        var scale = Math.Max(_scale, other._scale);
        if (TryUnscaledAt(scale, out var a) && other.TryUnscaledAt(scale, out var b)) return a.CompareTo(b);
        var signs = Sign.CompareTo(other.Sign);
        if (signs != 0 || Sign == 0) return signs;
        return UnscaledAt(scale).CompareTo(other.UnscaledAt(scale));
    }

    /// <summary>PostgreSQL's order of the special values: −Infinity &lt; finite &lt; +Infinity &lt; NaN.</summary>
    private int Rank() => _kind switch
    {
        Kind.NegativeInfinity => 0,
        Kind.Finite => 1,
        Kind.PositiveInfinity => 2,
        _ => 3,
    };

    public int CompareTo(object? obj) => obj is SqlNumeric n ? CompareTo(n) : throw new ArgumentException("not a numeric", nameof(obj));

    public bool Equals(SqlNumeric other) => CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is SqlNumeric n && Equals(n);

    /// <summary>Equal values hash alike whatever their scales; an integral value hashes as the long it equals, others as their double.</summary>
    public override int GetHashCode()
    {
        if (!IsFinite || !IsIntegral()) return ToDouble().GetHashCode();
        var integer = Unscaled / Pow10(_scale);
        return integer >= long.MinValue && integer <= long.MaxValue ? ((long)integer).GetHashCode() : ToDouble().GetHashCode();
    }

    private bool IsIntegral() => _scale == 0 || (_isBig ? (_big % Pow10(_scale)).IsZero : _scale >= 19 ? _small == 0 : _small % LongPowers[_scale] == 0);

    public static bool operator ==(SqlNumeric x, SqlNumeric y) => x.Equals(y);
    public static bool operator !=(SqlNumeric x, SqlNumeric y) => !x.Equals(y);
    public static bool operator <(SqlNumeric x, SqlNumeric y) => x.CompareTo(y) < 0;
    public static bool operator >(SqlNumeric x, SqlNumeric y) => x.CompareTo(y) > 0;
    public static bool operator <=(SqlNumeric x, SqlNumeric y) => x.CompareTo(y) <= 0;
    public static bool operator >=(SqlNumeric x, SqlNumeric y) => x.CompareTo(y) >= 0;

    // ---------------------------------------------------------------- conversions

    private static readonly double[] DoublePowers = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>The nearest double (correctly rounded), NaN and infinities kept.</summary>
    public double ToDouble()
    {
        switch (_kind)
        {
            case Kind.NaN: return double.NaN;
            case Kind.PositiveInfinity: return double.PositiveInfinity;
            case Kind.NegativeInfinity: return double.NegativeInfinity;
        }
        // Both operands exact in a double: one IEEE division is correctly rounded.
        if (!_isBig && _scale < DoublePowers.Length && _small is > -(1L << 53) and < (1L << 53)) return _small / DoublePowers[_scale];
        return double.Parse(ToString(), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>Rounds half away from zero to an integer; false when it does not fit a long or the value is not finite.</summary>
    public bool TryRoundToInt64(out long value)
    {
        value = 0;
        if (!IsFinite) return false;
        var rounded = _scale == 0 ? this : Round(0);
        if (rounded._isBig) return false;
        value = rounded._small;
        return true;
    }

    /// <summary>The integer part (truncated toward zero) as a long; OverflowException beyond its range.</summary>
    public long TruncateToInt64()
    {
        if (!IsFinite) throw new OverflowException();
        var t = Truncate(0);
        return t._isBig ? throw new OverflowException() : t._small;
    }

    // ---------------------------------------------------------------- text

    /// <summary>PostgreSQL's output: all of the scale's digits (1.50), NaN, Infinity, -Infinity; never exponent notation.</summary>
    public override string ToString()
    {
        switch (_kind)
        {
            case Kind.NaN: return "NaN";
            case Kind.PositiveInfinity: return "Infinity";
            case Kind.NegativeInfinity: return "-Infinity";
        }
        if (_scale == 0) return _isBig ? _big.ToString(CultureInfo.InvariantCulture) : _small.ToString(CultureInfo.InvariantCulture);
        var negative = Sign < 0;
        var digits = _isBig ? BigInteger.Abs(_big).ToString(CultureInfo.InvariantCulture)
            : _small == long.MinValue ? "9223372036854775808" : Math.Abs(_small).ToString(CultureInfo.InvariantCulture);
        if (digits.Length <= _scale) digits = new string('0', _scale - digits.Length + 1) + digits;
        var builder = new StringBuilder(digits.Length + 2);
        if (negative) builder.Append('-');
        builder.Append(digits, 0, digits.Length - _scale).Append('.').Append(digits, digits.Length - _scale, _scale);
        return builder.ToString();
    }

    public static SqlNumeric Parse(string text, bool trimTrailingZeros = false) =>
        TryParse(text, out var value, trimTrailingZeros) ? value
            : throw new SqlDataException(SqlDataException.InvalidTextRepresentation, $"invalid input syntax for type numeric: \"{text}\"");

    /// <summary>
    /// numeric_in: optional spaces, sign, digits with an optional point, an optional exponent (1.5e3), spaces; or
    /// NaN, Infinity, inf with an optional sign (any case). Out-of-range values raise 22003.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out SqlNumeric value, bool trimTrailingZeros = false)
    {
        value = default;
        var s = text.Trim();
        if (s.IsEmpty) return false;
        var negative = false;
        var i = 0;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            i++;
        }
        var rest = s[i..];
        if (rest.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            if (i > 0) return false;
            value = NaN;
            return true;
        }
        if (rest.Equals("infinity", StringComparison.OrdinalIgnoreCase) || rest.Equals("inf", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? NegativeInfinity : PositiveInfinity;
            return true;
        }
        var integerStart = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        var integerDigits = s[integerStart..i];
        ReadOnlySpan<char> fractionDigits = [];
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var fractionStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            fractionDigits = s[fractionStart..i];
        }
        if (integerDigits.IsEmpty && fractionDigits.IsEmpty) return false;
        long exponent = 0;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            var exponentStart = i;
            if (i < s.Length && s[i] is '+' or '-') i++;
            var digitsStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == digitsStart) return false;
            if (!long.TryParse(s[exponentStart..i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)
                || Math.Abs(exponent) > 2 * (MaxIntegerDigits + MaxScale))
                throw Overflow();
        }
        if (i != s.Length) return false;

        var scale = (long)fractionDigits.Length - exponent;
        BigInteger unscaled;
        var digitCount = integerDigits.Length + fractionDigits.Length;
        if (digitCount <= 18)
        {
            long small = 0;
            foreach (var c in integerDigits) small = small * 10 + (c - '0');
            foreach (var c in fractionDigits) small = small * 10 + (c - '0');
            unscaled = small;
        }
        else
        {
            Span<char> all = digitCount <= 512 ? stackalloc char[digitCount] : new char[digitCount];
            integerDigits.CopyTo(all);
            fractionDigits.CopyTo(all[integerDigits.Length..]);
            unscaled = BigInteger.Parse(all, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        if (scale < 0)
        {
            if (!unscaled.IsZero && DigitCount(unscaled) - scale > MaxIntegerDigits + 1) throw Overflow();
            unscaled *= Pow10((int)-scale);
            scale = 0;
        }
        if (scale > MaxScale) throw Overflow();
        var result = new SqlNumeric(negative ? -unscaled : unscaled, (int)scale);
        if (!result.IsZero && result.DecimalExponent >= MaxIntegerDigits) throw Overflow();
        value = trimTrailingZeros ? result.TrimScale() : result;
        return true;
    }
}
