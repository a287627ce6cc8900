using System.Globalization;
using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// to_char for timestamps and to_date/to_timestamp parsing, with PostgreSQL's template patterns: YYYY YYY YY Y
/// IYYY MM DD DDD D ID HH HH12 HH24 MI SS MS US SSSS AM/PM Mon Month Day Dy Q WW W IW CC J TZ OF, the FM prefix
/// (no padding), the TH/th suffix (ordinals), "quoted" text and backslash escapes. English names only.
/// </summary>
internal static class DateTimeFormat
{
    private static readonly string[] MonthNames = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames[..12];
    private static readonly string[] DayNames = CultureInfo.InvariantCulture.DateTimeFormat.DayNames;
    private static readonly string[] RomanMonths = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"];

    // Longest first, so "HH24" wins over "HH" and "MONTH" over "MON" over "MM".
    private static readonly string[] Patterns =
    [
        "Y,YYY", "HH24", "HH12", "SSSSS", "SSSS", "IYYY", "YYYY", "IDDD", "MONTH", "A.M.", "P.M.", "B.C.", "A.D.",
        "YYY", "IYY", "MON", "DAY", "DDD", "TZH", "TZM", "HH", "MI", "SS", "MS", "US", "YY", "IY", "MM", "DY", "DD",
        "ID", "IW", "WW", "CC", "AM", "PM", "BC", "AD", "RM", "TZ", "OF", "Y", "I", "D", "W", "J", "Q",
    ];

    /// <summary>Patterns whose letter case shapes the output (MONTH, Month, month).</summary>
    private static bool IsTextPattern(string p) => p is "MONTH" or "MON" or "DAY" or "DY" or "AM" or "PM" or "A.M." or "P.M." or "BC" or "AD" or "B.C." or "A.D." or "RM" or "TZ";

    private readonly record struct Token(string Pattern, string Literal, bool FillMode, string Case, bool Ordinal, bool OrdinalUpper);

    private static List<Token> Tokenize(string format)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < format.Length)
        {
            var fill = false;
            if (i + 1 < format.Length && format.AsSpan(i, 2).Equals("FM", StringComparison.OrdinalIgnoreCase)) { fill = true; i += 2; }
            if (i + 1 < format.Length && format.AsSpan(i, 2).Equals("TM", StringComparison.OrdinalIgnoreCase)) i += 2;
            if (i >= format.Length) break;
            if (format[i] == '"')
            {
                var literal = new StringBuilder();
                i++;
                while (i < format.Length && format[i] != '"')
                {
                    if (format[i] == '\\' && i + 1 < format.Length) i++;
                    literal.Append(format[i++]);
                }
                i++;
                tokens.Add(new Token("", literal.ToString(), false, "", false, false));
                continue;
            }
            if (format[i] == '\\' && i + 1 < format.Length)
            {
                tokens.Add(new Token("", format[i + 1].ToString(), false, "", false, false));
                i += 2;
                continue;
            }
            var pattern = Patterns.FirstOrDefault(p => i + p.Length <= format.Length && format.AsSpan(i, p.Length).Equals(p, StringComparison.OrdinalIgnoreCase));
            if (pattern is null)
            {
                tokens.Add(new Token("", format[i].ToString(), false, "", false, false));
                i++;
                continue;
            }
            var written = format.Substring(i, pattern.Length);
            var letterCase = written.All(c => !char.IsLetter(c) || char.IsUpper(c)) ? "upper" : char.IsUpper(written[0]) ? "capital" : "lower";
            i += pattern.Length;
            var ordinal = false;
            var ordinalUpper = false;
            if (i + 1 < format.Length && format.AsSpan(i, 2).Equals("TH", StringComparison.OrdinalIgnoreCase) && !IsTextPattern(pattern))
            {
                ordinal = true;
                ordinalUpper = format[i] == 'T';
                i += 2;
            }
            tokens.Add(new Token(pattern, "", fill, letterCase, ordinal, ordinalUpper));
        }
        return tokens;
    }

    /// <summary>to_char(timestamp, format); <paramref name="utcOffset"/> is set for timestamptz (TZ, OF).</summary>
    public static string Format(DateTime t, string format, TimeSpan? utcOffset)
    {
        var builder = new StringBuilder();
        foreach (var token in Tokenize(format))
        {
            if (token.Pattern.Length == 0) { builder.Append(token.Literal); continue; }
            builder.Append(FormatField(token, t, utcOffset));
        }
        return builder.ToString();
    }

    private static string FormatField(Token token, DateTime t, TimeSpan? utcOffset)
    {
        string Number(long value, int width)
        {
            var text = token.FillMode ? value.ToString(CultureInfo.InvariantCulture) : value.ToString(new string('0', width), CultureInfo.InvariantCulture);
            if (!token.Ordinal) return text;
            var suffix = OrdinalSuffix(value);
            return text + (token.OrdinalUpper ? suffix.ToUpperInvariant() : suffix);
        }
        string Text(string value, int width)
        {
            var cased = token.Case switch { "upper" => value.ToUpperInvariant(), "lower" => value.ToLowerInvariant(), _ => value };
            return token.FillMode ? cased : cased.PadRight(width);
        }
        var hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        var micros = t.Ticks % TimeSpan.TicksPerSecond / 10;
        return token.Pattern switch
        {
            "YYYY" => Number(t.Year, 4),
            "Y,YYY" => (t.Year / 1000).ToString(CultureInfo.InvariantCulture) + "," + (t.Year % 1000).ToString("000", CultureInfo.InvariantCulture),
            "YYY" => Number(t.Year % 1000, 3),
            "YY" => Number(t.Year % 100, 2),
            "Y" => Number(t.Year % 10, 1),
            "IYYY" => Number(DateTimeMath.IsoYear(t), 4),
            "IYY" => Number(DateTimeMath.IsoYear(t) % 1000, 3),
            "IY" => Number(DateTimeMath.IsoYear(t) % 100, 2),
            "I" => Number(DateTimeMath.IsoYear(t) % 10, 1),
            "MM" => Number(t.Month, 2),
            "DD" => Number(t.Day, 2),
            "DDD" => Number(t.DayOfYear, 3),
            "IDDD" => Number((DateTimeMath.IsoWeek(t) - 1) * 7 + IsoDayOfWeek(t), 3),
            "D" => Number((int)t.DayOfWeek + 1, 1),
            "ID" => Number(IsoDayOfWeek(t), 1),
            "HH" or "HH12" => Number(hour12, 2),
            "HH24" => Number(t.Hour, 2),
            "MI" => Number(t.Minute, 2),
            "SS" => Number(t.Second, 2),
            "MS" => Number(micros / 1000, 3),
            "US" => Number(micros, 6),
            "SSSS" or "SSSSS" => Number((long)t.TimeOfDay.TotalSeconds, 1),
            "Q" => Number((t.Month - 1) / 3 + 1, 1),
            "WW" => Number((t.DayOfYear - 1) / 7 + 1, 2),
            "W" => Number((t.Day - 1) / 7 + 1, 1),
            "IW" => Number(DateTimeMath.IsoWeek(t), 2),
            "CC" => Number((t.Year + 99) / 100, 2),
            "J" => Number(DateTimeMath.JulianDay(DateOnly.FromDateTime(t)), 1),
            "MONTH" => Text(MonthNames[t.Month - 1], 9),
            "MON" => Text(MonthNames[t.Month - 1][..3], 3),
            "DAY" => Text(DayNames[(int)t.DayOfWeek], 9),
            "DY" => Text(DayNames[(int)t.DayOfWeek][..3], 3),
            "RM" => Text(RomanMonths[t.Month - 1], 4),
            "AM" or "PM" => Text(t.Hour < 12 ? "AM" : "PM", 2),
            "A.M." or "P.M." => Text(t.Hour < 12 ? "A.M." : "P.M.", 4),
            "BC" or "AD" => Text("AD", 2),
            "B.C." or "A.D." => Text("A.D.", 4),
            "TZ" => utcOffset is { } zone ? Text(zone == TimeSpan.Zero ? "UTC" : OffsetText(zone, withMinutes: false), 0) : "",
            "OF" => utcOffset is { } offset ? OffsetText(offset, withMinutes: false) : "",
            "TZH" => utcOffset is { } hours ? (hours < TimeSpan.Zero ? "-" : "+") + Math.Abs(hours.Hours).ToString("00", CultureInfo.InvariantCulture) : "",
            "TZM" => utcOffset is { } minutes ? Math.Abs(minutes.Minutes).ToString("00", CultureInfo.InvariantCulture) : "",
            _ => token.Pattern,
        };
    }

    private static int IsoDayOfWeek(DateTime t) => t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek;

    private static string OffsetText(TimeSpan offset, bool withMinutes)
    {
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var magnitude = offset.Duration();
        var text = sign + magnitude.Hours.ToString("00", CultureInfo.InvariantCulture);
        if (withMinutes || magnitude.Minutes != 0) text += ":" + magnitude.Minutes.ToString("00", CultureInfo.InvariantCulture);
        return text;
    }

    private static string OrdinalSuffix(long value)
    {
        var lastTwo = Math.Abs(value) % 100;
        if (lastTwo is 11 or 12 or 13) return "th";
        return (Math.Abs(value) % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
    }

    /// <summary>
    /// to_date / to_timestamp: reads fields in the order of the template. Literal characters and separators in the
    /// template skip one input character; spaces in the input before a number are skipped. Returns wall-clock time.
    /// </summary>
    public static DateTime Parse(string input, string format, out TimeSpan? offset)
    {
        int year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, dayOfYear = 0;
        long micros = 0;
        bool? pm = null;
        offset = null;
        var at = 0;
        var tokens = Tokenize(format);
        for (var index = 0; index < tokens.Count; index++)
        {
            var token = tokens[index];
            // YYYY takes more than four digits only when no field follows directly (YYYYMMDD stays 4+2+2).
            var moreDigits = index + 1 >= tokens.Count || tokens[index + 1].Pattern.Length == 0;
            if (token.Pattern.Length == 0)
            {
                foreach (var _ in token.Literal)
                    if (at < input.Length) at++;
                continue;
            }
            while (at < input.Length && input[at] == ' ') at++;
            switch (token.Pattern)
            {
                case "YYYY" or "IYYY": year = ReadNumber(input, ref at, 4, token.Pattern, allowMore: moreDigits); break;
                case "Y,YYY":
                    year = ReadNumber(input, ref at, 1, token.Pattern, allowMore: true) * 1000;
                    if (at < input.Length && input[at] == ',') at++;
                    year += ReadNumber(input, ref at, 3, token.Pattern, allowMore: false);
                    break;
                case "YYY" or "IYY": year = 2000 + ReadNumber(input, ref at, 3, token.Pattern, allowMore: false); break;
                case "YY" or "IY": year = AdjustTwoDigitYear(ReadNumber(input, ref at, 2, token.Pattern, allowMore: false)); break;
                case "Y" or "I": year = 2000 + ReadNumber(input, ref at, 1, token.Pattern, allowMore: false); break;
                case "MM": month = ReadNumber(input, ref at, 2, token.Pattern, allowMore: false); break;
                case "DD": day = ReadNumber(input, ref at, 2, token.Pattern, allowMore: false); break;
                case "DDD": dayOfYear = ReadNumber(input, ref at, 3, token.Pattern, allowMore: false); break;
                case "HH" or "HH12": hour = ReadNumber(input, ref at, 2, token.Pattern, allowMore: false); pm ??= false; break;
                case "HH24": hour = ReadNumber(input, ref at, 2, token.Pattern, allowMore: false); break;
                case "MI": minute = ReadNumber(input, ref at, 2, token.Pattern, allowMore: false); break;
                case "SS": second = ReadNumber(input, ref at, 2, token.Pattern, allowMore: false); break;
                case "MS": micros = ReadFraction(input, ref at, 3, token.Pattern) * 1000L; break;
                case "US": micros = ReadFraction(input, ref at, 6, token.Pattern); break;
                case "SSSS" or "SSSSS":
                    var seconds = ReadNumber(input, ref at, 5, token.Pattern, allowMore: false);
                    (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
                    break;
                case "MONTH" or "MON": month = ReadName(input, ref at, MonthNames, token.Pattern) + 1; break;
                case "DAY" or "DY": ReadName(input, ref at, DayNames, token.Pattern); break;
                case "AM" or "PM" or "A.M." or "P.M.":
                    var marker = input.Substring(at, Math.Min(token.Pattern.Length, input.Length - at)).ToUpperInvariant();
                    if (marker.StartsWith('P')) pm = true;
                    else if (marker.StartsWith('A')) pm = false;
                    else throw InvalidValue(marker, token.Pattern);
                    at += token.Pattern.Length;
                    break;
                case "TZH":
                    var sign = at < input.Length && input[at] == '-' ? -1 : 1;
                    if (at < input.Length && input[at] is '+' or '-') at++;
                    offset = TimeSpan.FromHours(sign * ReadNumber(input, ref at, 2, token.Pattern, allowMore: false));
                    break;
                case "TZM":
                    var minutes = ReadNumber(input, ref at, 2, token.Pattern, allowMore: false);
                    offset = (offset ?? TimeSpan.Zero) + TimeSpan.FromMinutes(offset < TimeSpan.Zero ? -minutes : minutes);
                    break;
                default:
                    ReadNumber(input, ref at, 9, token.Pattern, allowMore: false);
                    break;
            }
        }
        if (pm is { } afternoon)
        {
            if (hour is < 1 or > 12) throw new SqlDataException("22008", $"hour \"{hour}\" is invalid for the 12-hour clock");
            hour = hour % 12 + (afternoon ? 12 : 0);
        }
        try
        {
            var date = dayOfYear > 0 ? new DateTime(year, 1, 1).AddDays(dayOfYear - 1) : new DateTime(year, month, day);
            if (hour > 23 || minute > 59 || second > 59) throw new SqlDataException("22008", "date/time field value out of range");
            return date.AddHours(hour).AddMinutes(minute).AddSeconds(second).AddTicks(micros * 10);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new SqlDataException("22008", $"date/time field value out of range: \"{input}\"");
        }
    }

    private static int AdjustTwoDigitYear(int year) => year < 70 ? 2000 + year : 1900 + year;

    private static int ReadNumber(string input, ref int at, int width, string pattern, bool allowMore)
    {
        var start = at;
        if (at < input.Length && input[at] is '-' or '+') at++;
        while (at < input.Length && char.IsAsciiDigit(input[at]) && (allowMore || at - start < width)) at++;
        var text = input[start..at];
        if (text.Length == 0 || !int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw InvalidValue(input[start..Math.Min(input.Length, start + width)], pattern);
        return value;
    }

    private static long ReadFraction(string input, ref int at, int width, string pattern)
    {
        var start = at;
        while (at < input.Length && char.IsAsciiDigit(input[at]) && at - start < width) at++;
        if (at == start) throw InvalidValue(input[start..], pattern);
        return long.Parse(input[start..at].PadRight(width, '0'), CultureInfo.InvariantCulture);
    }

    private static int ReadName(string input, ref int at, string[] names, string pattern)
    {
        for (var i = 0; i < names.Length; i++)
        {
            var name = names[i];
            if (pattern is "MONTH" or "DAY" && string.Compare(input, at, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0
                && at + name.Length <= input.Length)
            {
                at += name.Length;
                return i;
            }
        }
        for (var i = 0; i < names.Length; i++)
        {
            if (at + 3 <= input.Length && string.Compare(input, at, names[i], 0, 3, StringComparison.OrdinalIgnoreCase) == 0)
            {
                at += 3;
                return i;
            }
        }
        throw InvalidValue(input[at..], pattern);
    }

    private static SqlDataException InvalidValue(string value, string pattern) =>
        new("22007", $"invalid value \"{value}\" for \"{pattern}\"");
}
