using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

public static partial class Builtins
{
    private static void RegisterDateTime()
    {
        foreach (var name in new[] { "now", "current_timestamp", "transaction_timestamp" })
            AddWithContext(name, TimestampTz, [], (_, c) => Utc(c.TransactionTimestamp));
        AddWithContext("statement_timestamp", TimestampTz, [], (_, c) => Utc(c.StatementTimestamp));
        AddWithContext("clock_timestamp", TimestampTz, [], (_, c) => Utc(c.StatementTimestamp), isVolatile: true);
        AddWithContext("current_date", Date, [], (_, c) => DateOnly.FromDateTime(Local(c.TransactionTimestamp, c)));
        AddWithContext("localtimestamp", Timestamp, [], (_, c) => Local(c.TransactionTimestamp, c));
        // current_time is timetz in PostgreSQL; Tusk has no timetz, so both give the session's wall-clock time.
        foreach (var name in new[] { "current_time", "localtime" })
            AddWithContext(name, Time, [], (_, c) => TimeOnly.FromDateTime(Local(c.TransactionTimestamp, c)));

        Add("date_trunc", Timestamp, [Text, Timestamp], a => DateTimeMath.Truncate((string)a[0]!, (DateTime)a[1]!, "timestamp without time zone"));
        AddWithContext("date_trunc", TimestampTz, [Text, TimestampTz], (a, c) =>
            DateTimeMath.ToUtc(DateTimeMath.Truncate((string)a[0]!, Local((DateTime)a[1]!, c), "timestamp with time zone"), c.TimeZone));
        Add("date_trunc", IntervalType, [Text, IntervalType], a => DateTimeMath.Truncate((string)a[0]!, (Interval)a[1]!));

        // date_part gives float8; extract (what the binder makes of EXTRACT) gives numeric, as PostgreSQL 14+.
        foreach (var (name, type) in new[] { ("date_part", Float8), ("extract", Numeric) })
        {
            var asFloat = type == Float8;
            object Result(decimal value) => asFloat ? (double)value : SqlNumeric.FromDecimal(value);
            Add(name, type, [Text, Timestamp], a => Result(DateTimeParts.FromTimestamp((string)a[0]!, (DateTime)a[1]!, null, null)));
            AddWithContext(name, type, [Text, TimestampTz], (a, c) => Result(ExtractTimestampTz((string)a[0]!, (DateTime)a[1]!, c)));
            Add(name, type, [Text, Date], a => Result(asFloat
                ? DateTimeParts.FromTimestamp((string)a[0]!, ((DateOnly)a[1]!).ToDateTime(TimeOnly.MinValue), null, null)
                : DateTimeParts.FromDate((string)a[0]!, (DateOnly)a[1]!)));
            Add(name, type, [Text, Time], a => Result(DateTimeParts.FromTime((string)a[0]!, (TimeOnly)a[1]!)));
            Add(name, type, [Text, IntervalType], a => Result(DateTimeParts.FromInterval((string)a[0]!, (Interval)a[1]!)));
        }

        Add("age", IntervalType, [Timestamp, Timestamp], a => DateTimeMath.Age((DateTime)a[0]!, (DateTime)a[1]!));
        AddWithContext("age", IntervalType, [TimestampTz, TimestampTz], (a, c) => DateTimeMath.Age(Local((DateTime)a[0]!, c), Local((DateTime)a[1]!, c)));
        AddWithContext("age", IntervalType, [Timestamp], (a, c) => DateTimeMath.Age(Local(c.TransactionTimestamp, c).Date, (DateTime)a[0]!));
        AddWithContext("age", IntervalType, [TimestampTz], (a, c) => DateTimeMath.Age(Local(c.TransactionTimestamp, c).Date, Local((DateTime)a[0]!, c)));

        Add("make_date", Date, [Int4, Int4, Int4], a => MakeDate((int)a[0]!, (int)a[1]!, (int)a[2]!));
        Add("make_time", Time, [Int4, Int4, Float8], a => MakeTime((int)a[0]!, (int)a[1]!, (double)a[2]!));
        Add("make_timestamp", Timestamp, [Int4, Int4, Int4, Int4, Int4, Float8], a => MakeTimestamp(a));
        AddWithContext("make_timestamptz", TimestampTz, [Int4, Int4, Int4, Int4, Int4, Float8], (a, c) => DateTimeMath.ToUtc(MakeTimestamp(a), c.TimeZone));
        AddWithContext("make_timestamptz", TimestampTz, [Int4, Int4, Int4, Int4, Int4, Float8, Text], (a, _) => DateTimeMath.ToUtc(MakeTimestamp(a), FindTimeZone((string)a[6]!)));
        SqlType[] makeIntervalParameters = [Int4, Int4, Int4, Int4, Int4, Int4, Float8];
        for (var count = 0; count <= makeIntervalParameters.Length; count++)
            Add("make_interval", IntervalType, makeIntervalParameters[..count], MakeInterval);

        Add("to_timestamp", TimestampTz, [Float8], a => ToTimestamp((double)a[0]!));
        AddWithContext("to_timestamp", TimestampTz, [Text, Text], (a, c) =>
        {
            var local = DateTimeFormat.Parse((string)a[0]!, (string)a[1]!, out var offset);
            return offset is { } o ? DateTime.SpecifyKind(local - o, DateTimeKind.Utc) : DateTimeMath.ToUtc(local, c.TimeZone);
        });
        Add("to_date", Date, [Text, Text], a => DateOnly.FromDateTime(DateTimeFormat.Parse((string)a[0]!, (string)a[1]!, out _)));
        Add("to_char", Text, [Timestamp, Text], a => DateTimeFormat.Format((DateTime)a[0]!, (string)a[1]!, null));
        AddWithContext("to_char", Text, [TimestampTz, Text], (a, c) =>
            DateTimeFormat.Format(Local((DateTime)a[0]!, c), (string)a[1]!, c.TimeZone.GetUtcOffset(Utc((DateTime)a[0]!))));
        Add("to_char", Text, [Numeric, Text], a => NumberFormat.Format((SqlNumeric)a[0]!, (string)a[1]!));
        Add("to_char", Text, [Int4, Text], a => NumberFormat.Format(SqlNumeric.FromInt64((int)a[0]!), (string)a[1]!));
        Add("to_char", Text, [Int8, Text], a => NumberFormat.Format(SqlNumeric.FromInt64((long)a[0]!), (string)a[1]!));
        Add("to_char", Text, [Float8, Text], a => NumberFormat.Format(FloatToDecimal((double)a[0]!), (string)a[1]!));
        Add("to_number", Numeric, [Text, Text], a => NumberFormat.Parse((string)a[0]!, (string)a[1]!));

        Add("justify_days", IntervalType, [IntervalType], a => DateTimeMath.JustifyDays((Interval)a[0]!));
        Add("justify_hours", IntervalType, [IntervalType], a => DateTimeMath.JustifyHours((Interval)a[0]!));
        Add("justify_interval", IntervalType, [IntervalType], a => DateTimeMath.JustifyInterval((Interval)a[0]!));
        // Tusk's date/time types have no infinities, so every value is finite.
        foreach (var type in new[] { Date, Timestamp, TimestampTz, IntervalType })
            Add("isfinite", Bool, [type], _ => true);
        // AT TIME ZONE: timestamptz → wall-clock time in the zone; timestamp → the instant it names in the zone.
        Add("timezone", Timestamp, [Text, TimestampTz], a => DateTimeMath.ToLocal((DateTime)a[1]!, FindTimeZone((string)a[0]!)));
        Add("timezone", TimestampTz, [Text, Timestamp], a => DateTimeMath.ToUtc((DateTime)a[1]!, FindTimeZone((string)a[0]!)));
    }

    private static DateTime Utc(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc);

    private static DateTime Local(DateTime utc, FunctionContext context) => DateTimeMath.ToLocal(utc, context.TimeZone);

    private static decimal ExtractTimestampTz(string unit, DateTime utc, FunctionContext context)
    {
        var offset = context.TimeZone.GetUtcOffset(Utc(utc));
        var epochMicroseconds = (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        return DateTimeParts.FromTimestamp(unit, Local(utc, context), offset, epochMicroseconds);
    }

    internal static TimeZoneInfo FindTimeZone(string name)
    {
        var trimmed = name.Trim();
        if (trimmed.Equals("utc", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("z", StringComparison.OrdinalIgnoreCase)
            || trimmed.Equals("gmt", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("Etc/UTC", StringComparison.OrdinalIgnoreCase))
            return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(trimmed);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw Error("22023", $"time zone \"{name}\" not recognized");
        }
    }

    private static DateOnly MakeDate(int year, int month, int day)
    {
        if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            throw Error("22008", $"date field value out of range: {year}-{month:00}-{day:00}");
        return new DateOnly(year, month, day);
    }

    private static TimeOnly MakeTime(int hour, int minute, double second)
    {
        var micros = (long)Math.Round(second * 1_000_000);
        var valid = hour is >= 0 and <= 24 && minute is >= 0 and <= 59 && second >= 0 && micros <= 60_000_000
            && (hour < 24 || minute == 0 && micros == 0);
        if (!valid || hour == 24) throw Error("22008", $"time field value out of range: {hour}:{minute:00}:{second:00}");
        return new TimeOnly((hour * DateTimeMath.MicrosecondsPerHour + minute * 60_000_000L + micros) * 10);
    }

    private static DateTime MakeTimestamp(object?[] a)
    {
        var date = MakeDate((int)a[0]!, (int)a[1]!, (int)a[2]!);
        var time = MakeTime((int)a[3]!, (int)a[4]!, (double)a[5]!);
        return date.ToDateTime(time, DateTimeKind.Unspecified);
    }

    /// <summary>make_interval(years, months, weeks, days, hours, mins, secs), any trailing ones left out.</summary>
    private static object? MakeInterval(object?[] a)
    {
        int Arg(int i) => i < a.Length ? (int)a[i]! : 0;
        var seconds = a.Length > 6 ? (double)a[6]! : 0;
        try
        {
            var months = checked(Arg(0) * 12 + Arg(1));
            var days = checked(Arg(2) * 7 + Arg(3));
            var micros = checked(Arg(4) * DateTimeMath.MicrosecondsPerHour + Arg(5) * 60_000_000L + (long)Math.Round(seconds * 1_000_000));
            return new Interval(months, days, micros);
        }
        catch (OverflowException)
        {
            throw DateTimeMath.IntervalOutOfRange();
        }
    }

    private static DateTime ToTimestamp(double epochSeconds)
    {
        if (double.IsNaN(epochSeconds) || double.IsInfinity(epochSeconds)) throw Error("22008", "timestamp cannot be NaN or infinite");
        var micros = Math.Round(epochSeconds * 1_000_000);
        var ticks = DateTime.UnixEpoch.Ticks + micros * 10;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) throw DateTimeMath.TimestampOutOfRange();
        return new DateTime((long)ticks, DateTimeKind.Utc);
    }

    private static SqlNumeric FloatToDecimal(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value)) throw Error("22003", "value out of range for to_char");
        return SqlNumeric.FromDouble(value);
    }
}
