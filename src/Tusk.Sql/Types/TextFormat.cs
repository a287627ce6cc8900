using System.Globalization;
using System.Text;

namespace Tusk.Sql.Types;

/// <summary>An error converting or computing a value, with its SQLSTATE (class 22: data exception).</summary>
public sealed class SqlDataException(string sqlState, string message, string? detail = null) : Exception(message)
{
    public const string InvalidTextRepresentation = "22P02";
    public const string NumericValueOutOfRange = "22003";
    public const string StringDataRightTruncation = "22001";
    public const string DatetimeFieldOverflow = "22008";
    public const string InvalidDatetimeFormat = "22007";
    public const string DivisionByZero = "22012";

    public string SqlState { get; } = sqlState;

    /// <summary>PostgreSQL's DETAIL line, when the error has one.</summary>
    public string? Detail { get; } = detail;

    /// <summary>The statement-level error for this one (same SQLSTATE, message and detail), at <paramref name="position"/> when known.</summary>
    public SqlException ToSqlException(int position = -1) => new(SqlState, Message, position, Detail);
}

/// <summary>
/// Values to and from PostgreSQL's text format (what psql shows and what the wire carries in text mode), with
/// DateStyle ISO and the session time zone UTC: bool t/f, shortest round-trip floats with PostgreSQL's exponent form
/// (1e+20), numerics keeping their scale, bytea in hex (\x...), ISO dates and timestamps with trimmed fractions,
/// intervals in the "postgres" style.
/// </summary>
public static class TextFormat
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Format(object value, SqlType type) => value switch
    {
        bool b => b ? "t" : "f",
        short or int or long => Convert.ToString(value, Invariant)!,
        SqlNumeric n => n.ToString(),
        float f => FormatFloat(f.ToString("R", Invariant), float.IsNaN(f), float.IsPositiveInfinity(f), float.IsNegativeInfinity(f)),
        double d => FormatFloat(d.ToString("R", Invariant), double.IsNaN(d), double.IsPositiveInfinity(d), double.IsNegativeInfinity(d)),
        string s when type.Id == SqlTypeId.Char && type.Length > s.Length => s.PadRight(type.Length),
        string s => s,
        byte[] bytes => "\\x" + Convert.ToHexStringLower(bytes),
        DateOnly d => d.ToString("yyyy-MM-dd", Invariant),
        TimeOnly t => FormatTime(t.Ticks),
        DateTime dt when type.Id == SqlTypeId.TimestampTz => dt.ToString("yyyy-MM-dd", Invariant) + " " + FormatTime(dt.TimeOfDay.Ticks) + "+00",
        DateTime dt => dt.ToString("yyyy-MM-dd", Invariant) + " " + FormatTime(dt.TimeOfDay.Ticks),
        Interval i => FormatInterval(i),
        Guid g => g.ToString("D"),
        _ => Convert.ToString(value, Invariant) ?? "",
    };

    private static string FormatFloat(string text, bool nan, bool positiveInfinity, bool negativeInfinity)
    {
        if (nan) return "NaN";
        if (positiveInfinity) return "Infinity";
        if (negativeInfinity) return "-Infinity";
        return text.Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
    }

    private static string FormatTime(long ticks)
    {
        var time = new TimeSpan(ticks);
        var text = $"{(int)time.TotalHours:00}:{time.Minutes:00}:{time.Seconds:00}";
        var micros = ticks % TimeSpan.TicksPerSecond / 10;
        if (micros != 0) text += "." + micros.ToString("000000", Invariant).TrimEnd('0');
        return text;
    }

    private static string FormatInterval(Interval i)
    {
        var parts = new List<string>();
        var years = i.Months / 12;
        var months = i.Months % 12;
        if (years != 0) parts.Add($"{years} year{(years == 1 ? "" : "s")}");
        if (months != 0) parts.Add($"{months} mon{(months == 1 ? "" : "s")}");
        if (i.Days != 0) parts.Add($"{i.Days} day{(i.Days == 1 ? "" : "s")}");
        if (i.Microseconds != 0 || parts.Count == 0)
        {
            var negative = i.Microseconds < 0;
            var time = FormatTime(Math.Abs(i.Microseconds) * 10);
            // A time part after a negative part carries its own sign (PostgreSQL: "-1 days +02:00:00").
            var sign = negative ? "-" : parts.Count > 0 && (i.Months < 0 || i.Days < 0) ? "+" : "";
            parts.Add(sign + time);
        }
        return string.Join(" ", parts);
    }

    /// <summary>Parses text input for <paramref name="type"/>; throws <see cref="SqlDataException"/> with PostgreSQL's message and SQLSTATE.</summary>
    public static object Parse(string text, SqlType type)
    {
        var s = text.Trim();
        switch (type.Id)
        {
            case SqlTypeId.Bool:
                return s.ToLowerInvariant() switch
                {
                    "t" or "true" or "y" or "yes" or "on" or "1" => true,
                    "f" or "false" or "n" or "no" or "off" or "0" => false,
                    _ => throw Invalid("boolean", text),
                };
            case SqlTypeId.Int2:
                return short.TryParse(s, NumberStyles.AllowLeadingSign, Invariant, out var i2) ? i2 : throw IntegerError(s, "smallint", text);
            case SqlTypeId.Int4:
                return int.TryParse(s, NumberStyles.AllowLeadingSign, Invariant, out var i4) ? i4 : throw IntegerError(s, "integer", text);
            case SqlTypeId.Int8:
                return long.TryParse(s, NumberStyles.AllowLeadingSign, Invariant, out var i8) ? i8 : throw IntegerError(s, "bigint", text);
            case SqlTypeId.Float4:
                return ParseFloat(s, text, "real") is var f4 && float.IsInfinity((float)f4) && !double.IsInfinity(f4)
                    ? throw new SqlDataException(SqlDataException.NumericValueOutOfRange, $"\"{text}\" is out of range for type real")
                    : (float)f4;
            case SqlTypeId.Float8:
                return ParseFloat(s, text, "double precision");
            case SqlTypeId.Numeric:
                if (!SqlNumeric.TryParse(s, out var number)) throw Invalid("numeric", text);
                return ApplyNumericModifier(number, type);
            case SqlTypeId.Text:
                return text;
            case SqlTypeId.Jsonb:
                return Functions.Jsonb.Canonicalize(text);   // stored and compared in jsonb's output form
            case SqlTypeId.Varchar or SqlTypeId.Char:
                return CheckLength(text, type);
            case SqlTypeId.Bytea:
                return ParseBytea(text);
            case SqlTypeId.Date:
                return DateOnly.TryParseExact(s, ["yyyy-MM-dd", "yyyy-M-d"], Invariant, DateTimeStyles.None, out var date) ? date : throw DateError("date", text);
            case SqlTypeId.Time:
                return TimeOnly.TryParse(s, Invariant, DateTimeStyles.None, out var time) ? time : throw DateError("time without time zone", text);
            case SqlTypeId.Timestamp:
                return DateTime.TryParse(s.Replace('T', ' '), Invariant, DateTimeStyles.AllowWhiteSpaces, out var ts)
                    ? DateTime.SpecifyKind(ts, DateTimeKind.Unspecified)
                    : throw DateError("timestamp without time zone", text);
            case SqlTypeId.TimestampTz:
                return ParseTimestampTz(s, text);
            case SqlTypeId.Interval:
                try
                {
                    return ParseInterval(s, text);
                }
                catch (OverflowException)
                {
                    throw new SqlDataException("22015", $"interval field value out of range: \"{text}\"");
                }
            case SqlTypeId.Uuid:
                return Guid.TryParse(s, out var g) ? g : throw Invalid("uuid", text);
            default:
                return text;
        }
    }

    /// <summary>
    /// numeric(p,s)'s apply_typmod: rounds half away from zero to s decimals (shown with exactly max(s, 0)) and
    /// refuses a value whose first significant digit lies p − s or more places before the point (22003 "numeric
    /// field overflow", with PostgreSQL's detail). NaN passes; infinities do not fit any numeric(p,s).
    /// </summary>
    public static SqlNumeric ApplyNumericModifier(SqlNumeric value, SqlType type)
    {
        if (type.Precision < 0 || value.IsNaN) return value;
        var scale = type.Scale < 0 ? 0 : type.Scale;
        var precision = type.Precision;
        if (value.IsInfinity)
            throw new SqlDataException(SqlDataException.NumericValueOutOfRange, "numeric field overflow",
                $"A field with precision {precision}, scale {scale} cannot hold an infinite value.");
        var rounded = value.Round(scale);
        var maxDigits = precision - scale;
        if (!rounded.IsZero && rounded.DecimalExponent + 1 > maxDigits)
            throw new SqlDataException(SqlDataException.NumericValueOutOfRange, "numeric field overflow",
                $"A field with precision {precision}, scale {scale} must round to an absolute value less than {(maxDigits != 0 ? "10^" + maxDigits.ToString(Invariant) : "1")}.");
        return rounded;
    }

    /// <summary>varchar(n) and char(n): longer values are an error, unless the excess is spaces (which are cut).</summary>
    public static string CheckLength(string value, SqlType type)
    {
        if (type.Length < 0 || value.Length <= type.Length) return value;
        if (value.AsSpan(type.Length).Trim(' ').IsEmpty) return value[..type.Length];
        throw new SqlDataException(SqlDataException.StringDataRightTruncation, $"value too long for type {type.Name}");
    }

    private static double ParseFloat(string s, string text, string typeName)
    {
        switch (s.ToLowerInvariant())
        {
            case "nan": return double.NaN;
            case "infinity" or "+infinity" or "inf" or "+inf": return double.PositiveInfinity;
            case "-infinity" or "-inf": return double.NegativeInfinity;
        }
        if (!double.TryParse(s, NumberStyles.Float, Invariant, out var d)) throw Invalid(typeName, text);
        if (double.IsInfinity(d)) throw new SqlDataException(SqlDataException.NumericValueOutOfRange, $"\"{text}\" is out of range for type {typeName}");
        return d;
    }

    private static byte[] ParseBytea(string text)
    {
        if (text.StartsWith("\\x", StringComparison.Ordinal))
        {
            try
            {
                return Convert.FromHexString(text.AsSpan(2));
            }
            catch (FormatException)
            {
                throw new SqlDataException(SqlDataException.InvalidTextRepresentation, "invalid hexadecimal data: odd number of digits or invalid digit");
            }
        }
        // The escape format: backslash followed by three octal digits or another backslash.
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }
            if (i + 1 < text.Length && text[i + 1] == '\\') { bytes.Add((byte)'\\'); i++; continue; }
            if (text.Length - i > 3 && text.AsSpan(i + 1, 3).IndexOfAnyExceptInRange('0', '7') < 0)
            {
                bytes.Add((byte)Convert.ToInt32(text.Substring(i + 1, 3), 8));
                i += 3;
                continue;
            }
            throw new SqlDataException(SqlDataException.InvalidTextRepresentation, "invalid input syntax for type bytea");
        }
        return [.. bytes];
    }

    private static DateTime ParseTimestampTz(string s, string text)
    {
        var normalized = s.Replace('T', ' ');
        if (normalized.EndsWith(" UTC", StringComparison.OrdinalIgnoreCase)) normalized = normalized[..^4] + "+00";
        // PostgreSQL writes offsets as +HH; .NET wants +HH:mm.
        if (normalized.Length > 3 && normalized[^3] is '+' or '-' && char.IsDigit(normalized[^1]) && char.IsDigit(normalized[^2])) normalized += ":00";
        if (DateTimeOffset.TryParse(normalized, Invariant, DateTimeStyles.AssumeUniversal, out var dto)) return dto.UtcDateTime;
        throw DateError("timestamp with time zone", text);
    }

    private static Interval ParseInterval(string s, string text)
    {
        int months = 0, days = 0;
        long micros = 0;
        var tokens = s.ToLowerInvariant().Replace("@", "", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw Invalid("interval", text);
        if (tokens.Length == 1 && tokens[0].StartsWith('p')) return ParseIsoInterval(tokens[0], text);
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (token == "ago") continue;
            if (token.Contains(':', StringComparison.Ordinal))
            {
                // [+-]H:MM[:SS[.ffffff]], the hours unbounded ('27:00:00' is 27 hours, not days).
                var negative = token.StartsWith('-');
                var hms = token.TrimStart('-', '+').Split(':');
                if (hms.Length is < 2 or > 3
                    || !long.TryParse(hms[0], NumberStyles.None, Invariant, out var h)
                    || !int.TryParse(hms[1], NumberStyles.None, Invariant, out var m) || m > 59)
                    throw Invalid("interval", text);
                var sec = 0.0;
                if (hms.Length == 3 && (!double.TryParse(hms[2], NumberStyles.AllowDecimalPoint, Invariant, out sec) || sec >= 60))
                    throw Invalid("interval", text);
                var value = checked(h * 3_600_000_000L + m * 60_000_000L + (long)Math.Round(sec * 1_000_000));
                micros = checked(micros + (negative ? -value : value));
                continue;
            }
            if (!double.TryParse(token, NumberStyles.Float, Invariant, out var amount)) throw Invalid("interval", text);
            var unit = i + 1 < tokens.Length ? tokens[++i].TrimEnd(',') : "second";
            switch (unit)
            {
                case "year" or "years" or "y" or "yr" or "yrs": AddYears(amount, ref months); break;
                case "month" or "months" or "mon" or "mons": AddMonths(amount, ref months, ref days, ref micros); break;
                case "week" or "weeks" or "w": AddDays(amount * 7, ref days, ref micros); break;
                case "day" or "days" or "d": AddDays(amount, ref days, ref micros); break;
                case "hour" or "hours" or "h" or "hr" or "hrs": micros = checked(micros + (long)Math.Round(amount * 3_600_000_000L)); break;
                case "minute" or "minutes" or "min" or "mins" or "m": micros = checked(micros + (long)Math.Round(amount * 60_000_000L)); break;
                case "second" or "seconds" or "sec" or "secs" or "s": micros = checked(micros + (long)Math.Round(amount * 1_000_000)); break;
                case "millisecond" or "milliseconds" or "ms": micros = checked(micros + (long)Math.Round(amount * 1000)); break;
                case "microsecond" or "microseconds" or "us": micros = checked(micros + (long)amount); break;
                case "ago": break;
                default: throw Invalid("interval", text);
            }
        }
        if (tokens[^1] == "ago") return new Interval(-months, -days, -micros);
        return new Interval(months, days, micros);
    }

    // Fractions of a unit carry down as PostgreSQL's interval input does: a year's to whole months (rounded), a
    // month's to days of 30, a day's to microseconds ('1.5 years' is 1 year 6 mons, '1.5 months' 1 mon 15 days).
    private static void AddYears(double years, ref int months) =>
        months = checked(months + (int)Math.Truncate(years) * 12 + (int)Math.Round((years - Math.Truncate(years)) * 12, MidpointRounding.ToEven));

    private static void AddMonths(double amount, ref int months, ref int days, ref long micros)
    {
        months = checked(months + (int)Math.Truncate(amount));
        AddDays((amount - Math.Truncate(amount)) * 30, ref days, ref micros);
    }

    private static void AddDays(double amount, ref int days, ref long micros)
    {
        days = checked(days + (int)Math.Truncate(amount));
        micros = checked(micros + (long)Math.Round((amount - Math.Truncate(amount)) * Interval.MicrosecondsPerDay));
    }

    /// <summary>ISO 8601 durations: <c>P[nY][nM][nW][nD][T[nH][nM][nS]]</c> (numbers may have fractions).</summary>
    private static Interval ParseIsoInterval(string s, string text)
    {
        int months = 0, days = 0;
        long micros = 0;
        var inTime = false;
        var start = 1;
        if (s.Length < 2) throw Invalid("interval", text);
        for (var i = 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == 't')
            {
                if (inTime || i != start) throw Invalid("interval", text);
                inTime = true;
                start = i + 1;
                continue;
            }
            if (char.IsAsciiDigit(c) || c is '.' or '-') continue;
            if (!double.TryParse(s.AsSpan(start, i - start), NumberStyles.Float, Invariant, out var n)) throw Invalid("interval", text);
            switch (inTime, c)
            {
                case (false, 'y'): AddYears(n, ref months); break;
                case (false, 'm'): AddMonths(n, ref months, ref days, ref micros); break;
                case (false, 'w'): AddDays(n * 7, ref days, ref micros); break;
                case (false, 'd'): AddDays(n, ref days, ref micros); break;
                case (true, 'h'): micros = checked(micros + (long)Math.Round(n * 3_600_000_000L)); break;
                case (true, 'm'): micros = checked(micros + (long)Math.Round(n * 60_000_000L)); break;
                case (true, 's'): micros = checked(micros + (long)Math.Round(n * 1_000_000)); break;
                default: throw Invalid("interval", text);
            }
            start = i + 1;
        }
        if (start != s.Length) throw Invalid("interval", text);
        return new Interval(months, days, micros);
    }

    private static SqlDataException Invalid(string typeName, string text) =>
        new(SqlDataException.InvalidTextRepresentation, $"invalid input syntax for type {typeName}: \"{text}\"");

    private static SqlDataException IntegerError(string s, string typeName, string text) =>
        s.Length > 0 && s.TrimStart('-', '+').All(char.IsDigit) && s.TrimStart('-', '+').Length > 0
            ? new SqlDataException(SqlDataException.NumericValueOutOfRange, $"value \"{text}\" is out of range for type {typeName}")
            : Invalid(typeName, text);

    private static SqlDataException DateError(string typeName, string text) =>
        new(SqlDataException.InvalidDatetimeFormat, $"invalid input syntax for type {typeName}: \"{text}\"");
}
