using System.Globalization;
using System.Runtime.CompilerServices;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>
/// Operations on SQL values as CLR objects (the representation <see cref="SqlType"/> documents): ordering, equality
/// for grouping and hashing, casts, and numeric arithmetic with PostgreSQL's overflow and division errors.
/// </summary>
internal static class Values
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Total order of two non-null values of compatible types (numbers compare across CLR types).</summary>
    public static int Compare(object a, object b)
    {
        switch (a)
        {
            case int x when b is int y: return x.CompareTo(y);
            case long x when b is long y: return x.CompareTo(y);
            case string x when b is string y: return string.CompareOrdinal(x, y);
            case SqlNumeric x when b is SqlNumeric y: return x.CompareTo(y);
            case double x when b is double y: return CompareDouble(x, y);
            case bool x when b is bool y: return x.CompareTo(y);
            case DateTime x when b is DateTime y: return x.Ticks.CompareTo(y.Ticks);
            case DateOnly x when b is DateOnly y: return x.CompareTo(y);
            case TimeOnly x when b is TimeOnly y: return x.CompareTo(y);
            case Interval x when b is Interval y: return x.TotalMicroseconds.CompareTo(y.TotalMicroseconds);
            case Guid x when b is Guid y: return CompareGuid(x, y);
            case byte[] x when b is byte[] y: return x.AsSpan().SequenceCompareTo(y);
        }
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double or float || b is double or float) return CompareDouble(ToDouble(a), ToDouble(b));
            if (a is SqlNumeric || b is SqlNumeric) return ToNumeric(a).CompareTo(ToNumeric(b));
            return ToLong(a).CompareTo(ToLong(b));
        }
        if (a is DateOnly da && b is DateTime tb) return da.ToDateTime(TimeOnly.MinValue).Ticks.CompareTo(tb.Ticks);
        if (a is DateTime ta && b is DateOnly db) return ta.Ticks.CompareTo(db.ToDateTime(TimeOnly.MinValue).Ticks);
        throw new SqlException("42883", $"cannot compare {TypeName(a)} with {TypeName(b)}");
    }

    /// <summary>PostgreSQL orders NaN above every other float and treats NaN = NaN.</summary>
    private static int CompareDouble(double x, double y)
    {
        if (double.IsNaN(x)) return double.IsNaN(y) ? 0 : 1;
        if (double.IsNaN(y)) return -1;
        return x.CompareTo(y);
    }

    private static int CompareGuid(Guid x, Guid y)
    {
        Span<byte> bx = stackalloc byte[16];
        Span<byte> by = stackalloc byte[16];
        x.TryWriteBytes(bx, bigEndian: true, out _);
        y.TryWriteBytes(by, bigEndian: true, out _);
        return bx.SequenceCompareTo(by);
    }

    /// <summary>Compare with NULLs: null sorts as larger than everything (PostgreSQL's default NULLS LAST for ASC).</summary>
    public static int CompareNullable(object? a, object? b)
    {
        if (a is null) return b is null ? 0 : 1;
        if (b is null) return -1;
        return Compare(a, b);
    }

    /// <summary>True when the two rows hold equal values (NULL equal to NULL, as grouping sees them) at every one of <paramref name="ordinals"/>.</summary>
    public static bool SameAt(int[] ordinals, object?[] a, object?[] b)
    {
        foreach (var o in ordinals)
        {
            if (CompareNullable(a[o], b[o]) != 0) return false;
        }
        return true;
    }

    public static bool IsNumber(object v) => v is short or int or long or SqlNumeric or double or float;

    public static long ToLong(object v) => v switch
    {
        short s => s,
        int i => i,
        long l => l,
        SqlNumeric n => n.TruncateToInt64(),
        double d => (long)d,
        float f => (long)f,
        _ => throw new InvalidCastException(),
    };

    public static double ToDouble(object v) => v switch
    {
        short s => s,
        int i => i,
        long l => l,
        SqlNumeric n => n.ToDouble(),
        double d => d,
        float f => f,
        _ => throw new InvalidCastException(),
    };

    /// <summary>A number as numeric: floats as PostgreSQL converts them (15 significant digits for float8, 6 for float4).</summary>
    public static SqlNumeric ToNumeric(object v) => v switch
    {
        SqlNumeric n => n,
        short s => s,
        int i => i,
        long l => l,
        double d => SqlNumeric.FromDouble(d),
        float f => SqlNumeric.FromDouble(f, 6),
        _ => throw new InvalidCastException(),
    };

    private static string TypeName(object v) => v switch
    {
        short => "smallint",
        int => "integer",
        long => "bigint",
        SqlNumeric => "numeric",
        double => "double precision",
        float => "real",
        string => "text",
        bool => "boolean",
        _ => v.GetType().Name,
    };

    /// <summary>Equality for grouping, DISTINCT, set operations and hash joins (null equals null there).</summary>
    public sealed class RowComparer : IEqualityComparer<object?[]>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(object?[]? x, object?[]? y)
        {
            if (ReferenceEquals(x, y)) return true;
            if (x is null || y is null || x.Length != y.Length) return false;
            for (var i = 0; i < x.Length; i++)
            {
                if (!ValueEquals(x[i], y[i])) return false;
            }
            return true;
        }

        public int GetHashCode(object?[] row)
        {
            var h = new HashCode();
            foreach (var v in row) h.Add(ValueHash(v));
            return h.ToHashCode();
        }
    }

    public static bool ValueEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        return Compare(a, b) == 0;
    }

    /// <summary>A hash consistent with <see cref="ValueEquals"/> (numbers of different CLR types that are equal hash alike).</summary>
    public static int ValueHash(object? v) => v switch
    {
        null => 0,
        short or int or long => ToLong(v).GetHashCode(),
        SqlNumeric n => n.GetHashCode(),
        double d => d == Math.Truncate(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode(),
        float f => f == MathF.Truncate(f) && Math.Abs(f) < 9e18 ? ((long)f).GetHashCode() : ((double)f).GetHashCode(),
        byte[] b => HashBytes(b),
        Interval i => i.TotalMicroseconds.GetHashCode(),
        _ => v.GetHashCode(),
    };

    private static int HashBytes(byte[] b)
    {
        var h = new HashCode();
        h.AddBytes(b);
        return h.ToHashCode();
    }

    // ---------------------------------------------------------------- arithmetic

    public static SqlException Overflow(SqlTypeId id) => new("22003", id switch
    {
        SqlTypeId.Int2 => "smallint out of range",
        SqlTypeId.Int4 => "integer out of range",
        SqlTypeId.Int8 => "bigint out of range",
        _ => "value out of range",
    });

    public static SqlException DivisionByZero() => new("22012", "division by zero");

    /// <summary>Numeric arithmetic: both operands already converted to <paramref name="type"/>'s CLR type.</summary>
    public static object Arithmetic(char op, object a, object b, SqlTypeId type)
    {
        switch (type)
        {
            case SqlTypeId.Int2:
            case SqlTypeId.Int4:
            case SqlTypeId.Int8:
            {
                long x = ToLong(a), y = ToLong(b);
                long r;
                try
                {
                    r = op switch
                    {
                        '+' => checked(x + y),
                        '-' => checked(x - y),
                        '*' => checked(x * y),
                        '/' => y == 0 ? throw DivisionByZero() : (x == long.MinValue && y == -1 ? throw Overflow(type) : x / y),
                        '%' => y == 0 ? throw DivisionByZero() : (y == -1 ? 0 : x % y),
                        _ => throw new InvalidOperationException(),
                    };
                }
                catch (OverflowException)
                {
                    throw Overflow(type);
                }
                return Narrow(r, type);
            }
            case SqlTypeId.Float4:
            case SqlTypeId.Float8:
            {
                double x = ToDouble(a), y = ToDouble(b);
                double r = op switch
                {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' => y == 0 ? throw DivisionByZero() : x / y,
                    '%' => y == 0 ? throw DivisionByZero() : Math.IEEERemainder(x, y),
                    _ => throw new InvalidOperationException(),
                };
                if (double.IsInfinity(r) && !double.IsInfinity(x) && !double.IsInfinity(y)) throw new SqlException("22003", "value out of range: overflow");
                return type == SqlTypeId.Float4 ? (object)(float)r : (object)r;
            }
            default:
            {
                SqlNumeric x = ToNumeric(a), y = ToNumeric(b);
                try
                {
                    return op switch
                    {
                        '+' => x + y,
                        '-' => x - y,
                        '*' => x * y,
                        '/' => x / y,
                        '%' => x % y,
                        _ => throw new InvalidOperationException(),
                    };
                }
                catch (SqlDataException e)
                {
                    throw e.ToSqlException();
                }
            }
        }
    }

    public static object Narrow(long r, SqlTypeId type) => type switch
    {
        SqlTypeId.Int2 => r is >= short.MinValue and <= short.MaxValue ? (object)(short)r : throw Overflow(type),
        SqlTypeId.Int4 => r is >= int.MinValue and <= int.MaxValue ? (object)(int)r : throw Overflow(type),
        _ => (object)r,
    };

    public static object Negate(object v, SqlTypeId type) => v switch
    {
        short s => s == short.MinValue ? throw Overflow(type) : (short)-s,
        int i => i == int.MinValue ? throw Overflow(type) : -i,
        long l => l == long.MinValue ? throw Overflow(type) : -l,
        SqlNumeric n => -n,
        double d => -d,
        float f => -f,
        Interval i => new Interval(-i.Months, -i.Days, -i.Microseconds),
        _ => throw new SqlException("42883", "operator does not exist: - " + TypeName(v)),
    };

    // ---------------------------------------------------------------- casts

    /// <summary>
    /// Converts <paramref name="value"/> (of <paramref name="from"/>) to <paramref name="to"/>, applying typmods.
    /// <paramref name="explicitCast"/> allows the lossy casts only CAST permits (e.g. text to bool).
    /// </summary>
    public static object? Cast(object? value, SqlType from, SqlType to)
    {
        if (value is null) return null;
        switch (to.Id)
        {
            case SqlTypeId.Unknown:
                return value;
            case SqlTypeId.Text:
                return value is string s0 && from.Id != SqlTypeId.Char ? s0 : ToText(value, from);
            case SqlTypeId.Varchar:
            case SqlTypeId.Char:
            {
                var s = value as string ?? ToText(value, from);
                if (to.Length >= 0 && s.Length > to.Length)
                {
                    var trimmed = s.TrimEnd(' ');
                    if (trimmed.Length <= to.Length || from.Id != SqlTypeId.Unknown && from.Id != SqlTypeId.Text && from.Id != SqlTypeId.Varchar && from.Id != SqlTypeId.Char)
                    {
                        s = trimmed.Length <= to.Length ? trimmed : s[..to.Length];
                    }
                    else if (from.Id == SqlTypeId.Unknown || from.Id == SqlTypeId.Text || from.IsText)
                    {
                        // Assignment of a too-long string is an error; an explicit cast truncates (handled by ExplicitCast).
                        throw new SqlException("22001", $"value too long for type {to.Name}");
                    }
                }
                return to.Id == SqlTypeId.Char ? s.TrimEnd(' ') : s;
            }
            case SqlTypeId.Jsonb:
                return value is string js ? Functions.Jsonb.Canonicalize(js) : Functions.Jsonb.FromValue(value, from);
        }
        if (value is string text)
        {
            if (from.Id == SqlTypeId.Jsonb && to.IsNumeric) text = text.Trim('"');
            return Wrap(() => TextFormat.Parse(text, to));
        }
        switch (to.Id)
        {
            case SqlTypeId.Bool:
                return value switch
                {
                    bool b => b,
                    int i => i != 0,
                    long l => l != 0,
                    short s => s != 0,
                    _ => throw CannotCast(from, to),
                };
            case SqlTypeId.Int2:
            case SqlTypeId.Int4:
            case SqlTypeId.Int8:
                return value switch
                {
                    bool b => Narrow(b ? 1 : 0, to.Id),
                    short or int or long => Narrow(ToLong(value), to.Id),
                    SqlNumeric n => RoundToInteger(n, to.Id),
                    double d => DoubleToInteger(d, to.Id),
                    float f => DoubleToInteger(f, to.Id),
                    _ => throw CannotCast(from, to),
                };
            case SqlTypeId.Float4:
                return IsNumber(value) ? (float)ToDouble(value) : throw CannotCast(from, to);
            case SqlTypeId.Float8:
                return IsNumber(value) ? ToDouble(value) : throw CannotCast(from, to);
            case SqlTypeId.Numeric:
                return IsNumber(value) ? Wrap(() => TextFormat.ApplyNumericModifier(ToNumeric(value), to)) : throw CannotCast(from, to);
            case SqlTypeId.Date:
                return value switch
                {
                    DateOnly d => d,
                    DateTime t => DateOnly.FromDateTime(t),
                    _ => throw CannotCast(from, to),
                };
            case SqlTypeId.Time:
                return value switch
                {
                    TimeOnly t => t,
                    DateTime t => TimeOnly.FromDateTime(t),
                    _ => throw CannotCast(from, to),
                };
            case SqlTypeId.Timestamp:
                return value switch
                {
                    DateTime t => DateTime.SpecifyKind(t, DateTimeKind.Unspecified),
                    DateOnly d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified),
                    _ => throw CannotCast(from, to),
                };
            case SqlTypeId.TimestampTz:
                return value switch
                {
                    DateTime t => DateTime.SpecifyKind(t, DateTimeKind.Utc),
                    DateOnly d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
                    _ => throw CannotCast(from, to),
                };
            case SqlTypeId.Interval:
                return value is Interval ? value : throw CannotCast(from, to);
            case SqlTypeId.Uuid:
                return value is Guid ? value : throw CannotCast(from, to);
            case SqlTypeId.Bytea:
                return value is byte[] ? value : throw CannotCast(from, to);
        }
        throw CannotCast(from, to);
    }

    /// <summary>numeric to int2/int4/int8: rounds half away from zero; NaN and infinities cannot convert (0A000).</summary>
    private static object RoundToInteger(SqlNumeric n, SqlTypeId type)
    {
        if (!n.IsFinite)
        {
            var name = type switch { SqlTypeId.Int2 => "smallint", SqlTypeId.Int4 => "integer", _ => "bigint" };
            throw new SqlException("0A000", $"cannot convert {(n.IsNaN ? "NaN" : "infinity")} to {name}");
        }
        return n.TryRoundToInt64(out var l) ? Narrow(l, type) : throw Overflow(type);
    }

    private static object DoubleToInteger(double d, SqlTypeId type)
    {
        var r = Math.Round(d, MidpointRounding.ToEven);
        if (double.IsNaN(r) || r < -9.2233720368547758E18 || r >= 9.2233720368547758E18) throw Overflow(type);
        return Narrow((long)r, type);
    }

    public static SqlException CannotCast(SqlType from, SqlType to) => new("42846", $"cannot cast type {from.Name} to {to.Name}");

    public static string ToText(object value, SqlType type) => value switch
    {
        string s => s,
        _ => TextFormat.Format(value, type),
    };

    /// <summary>Runs a conversion, turning the types layer's <see cref="SqlDataException"/> into a <see cref="SqlException"/>.</summary>
    public static T Wrap<T>(Func<T> f)
    {
        try
        {
            return f();
        }
        catch (SqlDataException e)
        {
            throw e.ToSqlException();
        }
    }

    /// <summary>The CLR value's natural type (for literals and parameters of unknown type).</summary>
    public static SqlType TypeOf(object value) => value switch
    {
        bool => SqlType.Bool,
        short => SqlType.Int2,
        int => SqlType.Int4,
        long => SqlType.Int8,
        float => SqlType.Float4,
        double => SqlType.Float8,
        SqlNumeric => SqlType.Numeric,
        byte[] => SqlType.Bytea,
        DateOnly => SqlType.Date,
        TimeOnly => SqlType.Time,
        DateTime dt => dt.Kind == DateTimeKind.Utc ? SqlType.TimestampTz : SqlType.Timestamp,
        Interval => SqlType.Interval,
        Guid => SqlType.Uuid,
        _ => SqlType.Text,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool? AsBool(object? v) => v is null ? null : (bool)v;

    public static string Format(double d) => d.ToString("R", Invariant);
}
