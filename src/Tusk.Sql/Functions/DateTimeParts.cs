using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// EXTRACT / date_part fields as PostgreSQL 14+ computes them in numeric: seconds with scale 6, milliseconds with
/// scale 3, epoch with scale 6 (an integer for date), everything else an integer. date_part is this value as float8.
/// </summary>
internal static class DateTimeParts
{
    private static readonly DateTime UnixEpoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    /// <summary><paramref name="t"/> is wall-clock time; <paramref name="utcOffset"/> is set only for timestamptz.</summary>
    public static decimal FromTimestamp(string unit, DateTime t, TimeSpan? utcOffset, long? epochMicroseconds)
    {
        var typeName = utcOffset is null ? "timestamp without time zone" : "timestamp with time zone";
        var normalized = DateTimeMath.NormalizeUnit(unit) ?? throw DateTimeMath.UnitNotRecognized(unit, typeName);
        var secondMicros = t.Second * 1_000_000L + t.Ticks % TimeSpan.TicksPerSecond / 10;
        switch (normalized)
        {
            case "microseconds": return secondMicros;
            case "milliseconds": return secondMicros * 0.001m;
            case "second": return secondMicros * 0.000001m;
            case "minute": return t.Minute;
            case "hour": return t.Hour;
            case "epoch": return (epochMicroseconds ?? (t.Ticks - UnixEpoch.Ticks) / 10) * 0.000001m;
            case "julian":
                return DateTimeMath.JulianDay(DateOnly.FromDateTime(t)) + (decimal)(t.TimeOfDay.Ticks / 10) / DateTimeMath.MicrosecondsPerDay;
            case "timezone" or "timezone_hour" or "timezone_minute":
                if (utcOffset is not { } offset) throw DateTimeMath.UnitNotSupported(unit, typeName);
                var seconds = (long)offset.TotalSeconds;
                return normalized == "timezone" ? seconds : normalized == "timezone_hour" ? seconds / 3600 : seconds / 60 % 60;
            default:
                return DateField(normalized, DateOnly.FromDateTime(t)) ?? throw DateTimeMath.UnitNotSupported(unit, typeName);
        }
    }

    /// <summary>EXTRACT from a date: date fields only, epoch and julian as integers.</summary>
    public static decimal FromDate(string unit, DateOnly d)
    {
        var normalized = DateTimeMath.NormalizeUnit(unit) ?? throw DateTimeMath.UnitNotRecognized(unit, "date");
        return normalized switch
        {
            "epoch" => (d.DayNumber - DateOnly.FromDateTime(UnixEpoch).DayNumber) * 86400L,
            "julian" => DateTimeMath.JulianDay(d),
            _ => DateField(normalized, d) ?? throw DateTimeMath.UnitNotSupported(unit, "date"),
        };
    }

    private static decimal? DateField(string unit, DateOnly d)
    {
        var t = d.ToDateTime(TimeOnly.MinValue);
        return unit switch
        {
            "day" => d.Day,
            "month" => d.Month,
            "year" => d.Year,
            "quarter" => (d.Month - 1) / 3 + 1,
            "dow" => (int)d.DayOfWeek,
            "isodow" => d.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)d.DayOfWeek,
            "doy" => d.DayOfYear,
            "week" => DateTimeMath.IsoWeek(t),
            "isoyear" => DateTimeMath.IsoYear(t),
            "decade" => d.Year / 10,
            "century" => (d.Year + 99) / 100,
            "millennium" => (d.Year + 999) / 1000,
            _ => null,
        };
    }

    public static decimal FromTime(string unit, TimeOnly time)
    {
        var normalized = DateTimeMath.NormalizeUnit(unit) ?? throw DateTimeMath.UnitNotRecognized(unit, "time without time zone");
        var micros = time.Ticks / 10;
        var secondMicros = micros % 60_000_000;
        return normalized switch
        {
            "microseconds" => secondMicros,
            "milliseconds" => secondMicros * 0.001m,
            "second" => secondMicros * 0.000001m,
            "minute" => time.Minute,
            "hour" => time.Hour,
            "epoch" => micros * 0.000001m,
            _ => throw DateTimeMath.UnitNotSupported(unit, "time without time zone"),
        };
    }

    public static decimal FromInterval(string unit, Interval i)
    {
        var normalized = DateTimeMath.NormalizeUnit(unit) ?? throw DateTimeMath.UnitNotRecognized(unit, "interval");
        var secondMicros = i.Microseconds % 60_000_000;
        var years = i.Months / 12;
        return normalized switch
        {
            "microseconds" => secondMicros,
            "milliseconds" => secondMicros * 0.001m,
            "second" => secondMicros * 0.000001m,
            "minute" => i.Microseconds / 60_000_000 % 60,
            "hour" => i.Microseconds / DateTimeMath.MicrosecondsPerHour,
            "day" => i.Days,
            "month" => i.Months % 12,
            "quarter" => i.Months % 12 / 3 + 1,
            "year" => years,
            "decade" => years / 10,
            "century" => years / 100,
            "millennium" => years / 1000,
            // 365.25 days a year, 30 days a month, as PostgreSQL's interval_part.
            "epoch" => (years * 365.25m + i.Months % 12 * 30m + i.Days) * 86400m + i.Microseconds * 0.000001m,
            _ => throw DateTimeMath.UnitNotSupported(unit, "interval"),
        };
    }
}
