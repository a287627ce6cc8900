using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// Date/time arithmetic with PostgreSQL's rules: an interval adds its months first (clamping the day to the month's
/// end), then its days, then its microseconds; timestamptz adds months and days in the session time zone. Values use
/// .NET's range (years 1-9999); leaving it is 22008 "timestamp out of range".
/// </summary>
internal static class DateTimeMath
{
    public const long MicrosecondsPerDay = Interval.MicrosecondsPerDay;
    public const long MicrosecondsPerHour = 3_600_000_000L;
    private const int DaysPerMonth = 30;

    public static SqlDataException TimestampOutOfRange() => new("22008", "timestamp out of range");

    public static SqlDataException IntervalOutOfRange() => new("22008", "interval out of range");

    public static DateTime ToLocal(DateTime utc, TimeZoneInfo zone) =>
        DateTime.SpecifyKind(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone), DateTimeKind.Unspecified);

    /// <summary>Local wall-clock time to UTC; a time in a spring-forward gap moves forward by the gap, as PostgreSQL does.</summary>
    public static DateTime ToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local)) local = local.AddHours(1);
        try
        {
            return DateTime.SpecifyKind(TimeZoneInfo.ConvertTimeToUtc(local, zone), DateTimeKind.Utc);
        }
        catch (ArgumentException)
        {
            throw TimestampOutOfRange();
        }
    }

    public static DateTime AddInterval(DateTime timestamp, Interval interval, TimeZoneInfo? zone)
    {
        try
        {
            if (timestamp.Kind == DateTimeKind.Utc && zone is not null && (interval.Months != 0 || interval.Days != 0))
            {
                var local = ToLocal(timestamp, zone).AddMonths(interval.Months).AddDays(interval.Days);
                return ToUtc(local, zone).AddTicks(checked(interval.Microseconds * 10));
            }
            return timestamp.AddMonths(interval.Months).AddDays(interval.Days).AddTicks(checked(interval.Microseconds * 10));
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            throw TimestampOutOfRange();
        }
    }

    public static Interval Negate(Interval i)
    {
        if (i.Months == int.MinValue || i.Days == int.MinValue || i.Microseconds == long.MinValue) throw IntervalOutOfRange();
        return new Interval(-i.Months, -i.Days, -i.Microseconds);
    }

    public static Interval Add(Interval a, Interval b)
    {
        try
        {
            return new Interval(checked(a.Months + b.Months), checked(a.Days + b.Days), checked(a.Microseconds + b.Microseconds));
        }
        catch (OverflowException)
        {
            throw IntervalOutOfRange();
        }
    }

    /// <summary>timestamp − timestamp: microseconds, with whole days moved into the days field (justify_hours).</summary>
    public static Interval Difference(DateTime a, DateTime b) => JustifyHours(new Interval(0, 0, (a.Ticks - b.Ticks) / 10));

    /// <summary>interval * factor as interval_mul does: fractional months spill into days, fractional days into time.</summary>
    public static Interval Multiply(Interval span, double factor)
    {
        if (double.IsNaN(factor)) throw IntervalOutOfRange();
        var monthsExact = span.Months * factor;
        var daysExact = span.Days * factor;
        if (Math.Abs(monthsExact) > int.MaxValue || Math.Abs(daysExact) > int.MaxValue) throw IntervalOutOfRange();
        var months = (int)monthsExact;
        var days = (int)daysExact;
        var monthRemainderDays = RoundToMicroseconds((monthsExact - months) * DaysPerMonth);
        var secondRemainder = RoundToMicroseconds((daysExact - days + monthRemainderDays - (int)monthRemainderDays) * 86400.0);
        if (Math.Abs(secondRemainder) >= 86400)
        {
            days += (int)(secondRemainder / 86400);
            secondRemainder -= (int)(secondRemainder / 86400) * 86400.0;
        }
        days += (int)monthRemainderDays;
        var time = Math.Round(span.Microseconds * factor + secondRemainder * 1_000_000, MidpointRounding.ToEven);
        if (Math.Abs(time) > long.MaxValue / 2.0) throw IntervalOutOfRange();
        return new Interval(months, days, (long)time);
    }

    private static double RoundToMicroseconds(double value) => Math.Round(value * 1_000_000, MidpointRounding.ToEven) / 1_000_000;

    public static Interval Divide(Interval span, double divisor)
    {
        if (divisor == 0) throw new SqlDataException("22012", "division by zero");
        return Multiply(span, 1.0 / divisor);
    }

    public static Interval JustifyHours(Interval i)
    {
        long time = i.Microseconds;
        var wholeDays = time / MicrosecondsPerDay;
        time -= wholeDays * MicrosecondsPerDay;
        var days = i.Days + wholeDays;
        if (days > 0 && time < 0) { time += MicrosecondsPerDay; days--; }
        else if (days < 0 && time > 0) { time -= MicrosecondsPerDay; days++; }
        return new Interval(i.Months, CheckedDays(days), time);
    }

    public static Interval JustifyDays(Interval i)
    {
        long days = i.Days;
        var wholeMonths = days / DaysPerMonth;
        days -= wholeMonths * DaysPerMonth;
        var months = i.Months + wholeMonths;
        if (months > 0 && days < 0) { days += DaysPerMonth; months--; }
        else if (months < 0 && days > 0) { days -= DaysPerMonth; months++; }
        return new Interval(CheckedDays(months), (int)days, i.Microseconds);
    }

    public static Interval JustifyInterval(Interval i)
    {
        long time = i.Microseconds;
        var wholeDays = time / MicrosecondsPerDay;
        time -= wholeDays * MicrosecondsPerDay;
        long days = i.Days + wholeDays;
        var wholeMonths = days / DaysPerMonth;
        days -= wholeMonths * DaysPerMonth;
        long months = i.Months + wholeMonths;
        if (months > 0 && (days < 0 || days == 0 && time < 0)) { days += DaysPerMonth; months--; }
        else if (months < 0 && (days > 0 || days == 0 && time > 0)) { days -= DaysPerMonth; months++; }
        if (days > 0 && time < 0) { time += MicrosecondsPerDay; days--; }
        else if (days < 0 && time > 0) { time -= MicrosecondsPerDay; days++; }
        return new Interval(CheckedDays(months), (int)days, time);
    }

    private static int CheckedDays(long value) => value is < int.MinValue or > int.MaxValue ? throw IntervalOutOfRange() : (int)value;

    /// <summary>
    /// age(a, b): the symbolic difference in years, months, days and time, borrowing from the next field up as
    /// PostgreSQL's timestamp_age does (a negative day count borrows the length of b's month, or a's when a &lt; b).
    /// </summary>
    public static Interval Age(DateTime a, DateTime b)
    {
        var flip = a < b;
        long usec = a.Ticks % TimeSpan.TicksPerSecond / 10 - b.Ticks % TimeSpan.TicksPerSecond / 10;
        long sec = a.Second - b.Second, min = a.Minute - b.Minute, hour = a.Hour - b.Hour;
        long day = a.Day - b.Day, month = a.Month - b.Month, year = a.Year - b.Year;
        if (flip) (usec, sec, min, hour, day, month, year) = (-usec, -sec, -min, -hour, -day, -month, -year);
        while (usec < 0) { usec += 1_000_000; sec--; }
        while (sec < 0) { sec += 60; min--; }
        while (min < 0) { min += 60; hour--; }
        while (hour < 0) { hour += 24; day--; }
        while (day < 0)
        {
            day += flip ? DateTime.DaysInMonth(a.Year, a.Month) : DateTime.DaysInMonth(b.Year, b.Month);
            month--;
        }
        while (month < 0) { month += 12; year--; }
        if (flip) (usec, sec, min, hour, day, month, year) = (-usec, -sec, -min, -hour, -day, -month, -year);
        return new Interval((int)(year * 12 + month), (int)day, ((hour * 60 + min) * 60 + sec) * 1_000_000 + usec);
    }

    /// <summary>The canonical name of a date_trunc/date_part unit, accepting PostgreSQL's plurals and abbreviations.</summary>
    public static string? NormalizeUnit(string unit) => unit.Trim().ToLowerInvariant() switch
    {
        "microsecond" or "microseconds" or "us" or "usec" or "usecs" or "useconds" => "microseconds",
        "millisecond" or "milliseconds" or "ms" or "msec" or "msecs" or "mseconds" => "milliseconds",
        "second" or "seconds" or "s" or "sec" or "secs" => "second",
        "minute" or "minutes" or "m" or "min" or "mins" => "minute",
        "hour" or "hours" or "h" or "hr" or "hrs" => "hour",
        "day" or "days" or "d" => "day",
        "week" or "weeks" or "w" => "week",
        "month" or "months" or "mon" or "mons" => "month",
        "quarter" or "qtr" => "quarter",
        "year" or "years" or "y" or "yr" or "yrs" => "year",
        "decade" or "decades" or "dec" => "decade",
        "century" or "centuries" or "c" or "cent" => "century",
        "millennium" or "millennia" or "mil" or "mils" => "millennium",
        "dow" => "dow",
        "isodow" => "isodow",
        "doy" => "doy",
        "epoch" => "epoch",
        "isoyear" => "isoyear",
        "julian" or "j" => "julian",
        "timezone" => "timezone",
        "timezone_h" or "timezone_hour" => "timezone_hour",
        "timezone_m" or "timezone_minute" => "timezone_minute",
        _ => null,
    };

    public static SqlDataException UnitNotRecognized(string unit, string typeName) => new("22023", $"unit \"{unit}\" not recognized for type {typeName}");

    public static SqlDataException UnitNotSupported(string unit, string typeName) => new("0A000", $"unit \"{unit}\" not supported for type {typeName}");

    /// <summary>date_trunc on a wall-clock timestamp (Kind ignored).</summary>
    public static DateTime Truncate(string unit, DateTime t, string typeName)
    {
        var kind = t.Kind;
        DateTime result = NormalizeUnit(unit) switch
        {
            "microseconds" => t,
            "milliseconds" => new DateTime(t.Ticks - t.Ticks % TimeSpan.TicksPerMillisecond, kind),
            "second" => new DateTime(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, kind),
            "minute" => new DateTime(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute, kind),
            "hour" => new DateTime(t.Ticks - t.Ticks % TimeSpan.TicksPerHour, kind),
            "day" => t.Date,
            "week" => t.Date.AddDays(-(((int)t.DayOfWeek + 6) % 7)),
            "month" => new DateTime(t.Year, t.Month, 1, 0, 0, 0, kind),
            "quarter" => new DateTime(t.Year, (t.Month - 1) / 3 * 3 + 1, 1, 0, 0, 0, kind),
            "year" => new DateTime(t.Year, 1, 1, 0, 0, 0, kind),
            "decade" => new DateTime(Math.Max(1, t.Year - t.Year % 10), 1, 1, 0, 0, 0, kind),
            "century" => new DateTime((t.Year + 99) / 100 * 100 - 99, 1, 1, 0, 0, 0, kind),
            "millennium" => new DateTime((t.Year + 999) / 1000 * 1000 - 999, 1, 1, 0, 0, 0, kind),
            _ => throw UnitNotRecognized(unit, typeName),
        };
        return DateTime.SpecifyKind(result, kind);
    }

    public static Interval Truncate(string unit, Interval i)
    {
        var time = i.Microseconds;
        return NormalizeUnit(unit) switch
        {
            "microseconds" => i,
            "milliseconds" => i with { Microseconds = time - time % 1000 },
            "second" => i with { Microseconds = time - time % 1_000_000 },
            "minute" => i with { Microseconds = time - time % 60_000_000 },
            "hour" => i with { Microseconds = time - time % MicrosecondsPerHour },
            "day" => i with { Microseconds = 0 },
            "month" => new Interval(i.Months, 0, 0),
            "quarter" => new Interval(i.Months / 3 * 3, 0, 0),
            "year" => new Interval(i.Months / 12 * 12, 0, 0),
            "decade" => new Interval(i.Months / 120 * 120, 0, 0),
            "century" => new Interval(i.Months / 1200 * 1200, 0, 0),
            "millennium" => new Interval(i.Months / 12000 * 12000, 0, 0),
            "week" => throw new SqlDataException("0A000", "interval units \"week\" not supported because months usually have fractional weeks"),
            _ => throw UnitNotRecognized(unit, "interval"),
        };
    }

    /// <summary>Days since 4714-11-24 BC (the Julian Day Number of a date).</summary>
    public static int JulianDay(DateOnly date) => date.DayNumber + 1_721_426;

    public static int IsoWeek(DateTime t) => System.Globalization.ISOWeek.GetWeekOfYear(t);

    public static int IsoYear(DateTime t) => System.Globalization.ISOWeek.GetYear(t);
}
