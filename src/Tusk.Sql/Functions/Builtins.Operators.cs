using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

public static partial class Builtins
{
    private static void RegisterOperators()
    {
        RegisterJsonbOperators();
        RegisterDateTimeOperators();
        AddOperator("||", Bytea, [Bytea, Bytea], (a, _) => ((byte[])a[0]!).Concat((byte[])a[1]!).ToArray());
        AddOperator("~", Bool, [Text, Text], (a, _) => RegexSupport.IsMatch((string)a[0]!, (string)a[1]!, caseInsensitive: false));
        AddOperator("~*", Bool, [Text, Text], (a, _) => RegexSupport.IsMatch((string)a[0]!, (string)a[1]!, caseInsensitive: true));
        AddOperator("!~", Bool, [Text, Text], (a, _) => !RegexSupport.IsMatch((string)a[0]!, (string)a[1]!, caseInsensitive: false));
        AddOperator("!~*", Bool, [Text, Text], (a, _) => !RegexSupport.IsMatch((string)a[0]!, (string)a[1]!, caseInsensitive: true));
        AddOperator("~~", Bool, [Text, Text], (a, _) => LikePattern.Matches((string)a[0]!, (string)a[1]!, null, caseInsensitive: false));
        AddOperator("~~*", Bool, [Text, Text], (a, _) => LikePattern.Matches((string)a[0]!, (string)a[1]!, null, caseInsensitive: true));
        AddOperator("!~~", Bool, [Text, Text], (a, _) => !LikePattern.Matches((string)a[0]!, (string)a[1]!, null, caseInsensitive: false));
        AddOperator("!~~*", Bool, [Text, Text], (a, _) => !LikePattern.Matches((string)a[0]!, (string)a[1]!, null, caseInsensitive: true));
        AddOperator("^", Float8, [Float8, Float8], (a, _) => FloatPower((double)a[0]!, (double)a[1]!));
        AddOperator("^", Numeric, [Numeric, Numeric], (a, _) => NumericMath.Power((SqlNumeric)a[0]!, (SqlNumeric)a[1]!));
        AddOperator("|/", Float8, [Float8], (a, _) => (double)a[0]! < 0 ? throw Error("2201F", "cannot take square root of a negative number") : Math.Sqrt((double)a[0]!));
        AddOperator("||/", Float8, [Float8], (a, _) => Cbrt((double)a[0]!));
        RegisterBitwiseOperators();
    }

    private static void RegisterJsonbOperators()
    {
        AddOperator("->", Jsonb, [Jsonb, Text], (a, _) => JsonbOps.Field(Parse(a[0]), (string)a[1]!)?.ToString());
        AddOperator("->", Jsonb, [Jsonb, Int4], (a, _) => JsonbOps.Element(Parse(a[0]), (int)a[1]!)?.ToString());
        AddOperator("->>", Text, [Jsonb, Text], (a, _) => JsonbOps.AsText(JsonbOps.Field(Parse(a[0]), (string)a[1]!)));
        AddOperator("->>", Text, [Jsonb, Int4], (a, _) => JsonbOps.AsText(JsonbOps.Element(Parse(a[0]), (int)a[1]!)));
        AddOperator("#>", Jsonb, [Jsonb, Text], (a, _) => JsonbOps.Path(Parse(a[0]), JsonbOps.ParseTextArray((string)a[1]!))?.ToString());
        AddOperator("#>>", Text, [Jsonb, Text], (a, _) => JsonbOps.AsText(JsonbOps.Path(Parse(a[0]), JsonbOps.ParseTextArray((string)a[1]!))));
        AddOperator("@>", Bool, [Jsonb, Jsonb], (a, _) => JsonbOps.Contains(Parse(a[0]), Parse(a[1])));
        AddOperator("<@", Bool, [Jsonb, Jsonb], (a, _) => JsonbOps.Contains(Parse(a[1]), Parse(a[0])));
        AddOperator("?", Bool, [Jsonb, Text], (a, _) => JsonbOps.Exists(Parse(a[0]), (string)a[1]!));
        AddOperator("?|", Bool, [Jsonb, Text], (a, _) => ExistsAny(Parse(a[0]), (string)a[1]!));
        AddOperator("?&", Bool, [Jsonb, Text], (a, _) => ExistsAll(Parse(a[0]), (string)a[1]!));
        AddOperator("||", Jsonb, [Jsonb, Jsonb], (a, _) => JsonbOps.Concat(Parse(a[0]), Parse(a[1])).ToString());
        AddOperator("-", Jsonb, [Jsonb, Text], (a, _) => JsonbOps.DeleteKey(Parse(a[0]), (string)a[1]!).ToString());
        AddOperator("-", Jsonb, [Jsonb, Int4], (a, _) => JsonbOps.DeleteIndex(Parse(a[0]), (int)a[1]!).ToString());
        AddOperator("#-", Jsonb, [Jsonb, Text], (a, _) => JsonbOps.DeletePath(Parse(a[0]), JsonbOps.ParseTextArray((string)a[1]!)).ToString());
    }

    private static void RegisterDateTimeOperators()
    {
        AddOperator("+", Date, [Date, Int4], (a, _) => AddDays((DateOnly)a[0]!, (int)a[1]!));
        AddOperator("+", Date, [Int4, Date], (a, _) => AddDays((DateOnly)a[1]!, (int)a[0]!));
        AddOperator("-", Date, [Date, Int4], (a, _) => AddDays((DateOnly)a[0]!, -(long)(int)a[1]!));
        AddOperator("-", Int4, [Date, Date], (a, _) => ((DateOnly)a[0]!).DayNumber - ((DateOnly)a[1]!).DayNumber);
        AddOperator("+", Timestamp, [Date, IntervalType], (a, _) => DateTimeMath.AddInterval(Midnight(a[0]), (Interval)a[1]!, null));
        AddOperator("+", Timestamp, [IntervalType, Date], (a, _) => DateTimeMath.AddInterval(Midnight(a[1]), (Interval)a[0]!, null));
        AddOperator("-", Timestamp, [Date, IntervalType], (a, _) => DateTimeMath.AddInterval(Midnight(a[0]), DateTimeMath.Negate((Interval)a[1]!), null));
        AddOperator("+", Timestamp, [Date, Time], (a, _) => ((DateOnly)a[0]!).ToDateTime((TimeOnly)a[1]!, DateTimeKind.Unspecified));
        AddOperator("+", Timestamp, [Time, Date], (a, _) => ((DateOnly)a[1]!).ToDateTime((TimeOnly)a[0]!, DateTimeKind.Unspecified));
        AddOperator("+", Timestamp, [Timestamp, IntervalType], (a, _) => DateTimeMath.AddInterval((DateTime)a[0]!, (Interval)a[1]!, null));
        AddOperator("+", Timestamp, [IntervalType, Timestamp], (a, _) => DateTimeMath.AddInterval((DateTime)a[1]!, (Interval)a[0]!, null));
        AddOperator("-", Timestamp, [Timestamp, IntervalType], (a, _) => DateTimeMath.AddInterval((DateTime)a[0]!, DateTimeMath.Negate((Interval)a[1]!), null));
        AddOperator("+", TimestampTz, [TimestampTz, IntervalType], (a, c) => DateTimeMath.AddInterval(Utc((DateTime)a[0]!), (Interval)a[1]!, c.TimeZone));
        AddOperator("+", TimestampTz, [IntervalType, TimestampTz], (a, c) => DateTimeMath.AddInterval(Utc((DateTime)a[1]!), (Interval)a[0]!, c.TimeZone));
        AddOperator("-", TimestampTz, [TimestampTz, IntervalType], (a, c) => DateTimeMath.AddInterval(Utc((DateTime)a[0]!), DateTimeMath.Negate((Interval)a[1]!), c.TimeZone));
        AddOperator("-", IntervalType, [Timestamp, Timestamp], (a, _) => DateTimeMath.Difference((DateTime)a[0]!, (DateTime)a[1]!));
        AddOperator("-", IntervalType, [TimestampTz, TimestampTz], (a, _) => DateTimeMath.Difference((DateTime)a[0]!, (DateTime)a[1]!));
        AddOperator("+", Time, [Time, IntervalType], (a, _) => AddToTime((TimeOnly)a[0]!, ((Interval)a[1]!).Microseconds));
        AddOperator("+", Time, [IntervalType, Time], (a, _) => AddToTime((TimeOnly)a[1]!, ((Interval)a[0]!).Microseconds));
        AddOperator("-", Time, [Time, IntervalType], (a, _) => AddToTime((TimeOnly)a[0]!, -((Interval)a[1]!).Microseconds));
        AddOperator("-", IntervalType, [Time, Time], (a, _) => new Interval(0, 0, (((TimeOnly)a[0]!).Ticks - ((TimeOnly)a[1]!).Ticks) / 10));
        AddOperator("+", IntervalType, [IntervalType, IntervalType], (a, _) => DateTimeMath.Add((Interval)a[0]!, (Interval)a[1]!));
        AddOperator("-", IntervalType, [IntervalType, IntervalType], (a, _) => DateTimeMath.Add((Interval)a[0]!, DateTimeMath.Negate((Interval)a[1]!)));
        AddOperator("*", IntervalType, [IntervalType, Float8], (a, _) => DateTimeMath.Multiply((Interval)a[0]!, (double)a[1]!));
        AddOperator("*", IntervalType, [Float8, IntervalType], (a, _) => DateTimeMath.Multiply((Interval)a[1]!, (double)a[0]!));
        AddOperator("/", IntervalType, [IntervalType, Float8], (a, _) => DateTimeMath.Divide((Interval)a[0]!, (double)a[1]!));
        AddOperator("-", IntervalType, [IntervalType], (a, _) => DateTimeMath.Negate((Interval)a[0]!));
        AddOperator("+", IntervalType, [IntervalType], (a, _) => a[0]);
    }

    private static void RegisterBitwiseOperators()
    {
        AddOperator("&", Int2, [Int2, Int2], (a, _) => (short)((short)a[0]! & (short)a[1]!));
        AddOperator("&", Int4, [Int4, Int4], (a, _) => (int)a[0]! & (int)a[1]!);
        AddOperator("&", Int8, [Int8, Int8], (a, _) => (long)a[0]! & (long)a[1]!);
        AddOperator("|", Int2, [Int2, Int2], (a, _) => (short)((short)a[0]! | (short)a[1]!));
        AddOperator("|", Int4, [Int4, Int4], (a, _) => (int)a[0]! | (int)a[1]!);
        AddOperator("|", Int8, [Int8, Int8], (a, _) => (long)a[0]! | (long)a[1]!);
        AddOperator("#", Int2, [Int2, Int2], (a, _) => (short)((short)a[0]! ^ (short)a[1]!));
        AddOperator("#", Int4, [Int4, Int4], (a, _) => (int)a[0]! ^ (int)a[1]!);
        AddOperator("#", Int8, [Int8, Int8], (a, _) => (long)a[0]! ^ (long)a[1]!);
        AddOperator("~", Int2, [Int2], (a, _) => (short)~(short)a[0]!);
        AddOperator("~", Int4, [Int4], (a, _) => ~(int)a[0]!);
        AddOperator("~", Int8, [Int8], (a, _) => ~(long)a[0]!);
        AddOperator("<<", Int2, [Int2, Int4], (a, _) => (short)((short)a[0]! << (int)a[1]!));
        AddOperator("<<", Int4, [Int4, Int4], (a, _) => (int)a[0]! << (int)a[1]!);
        AddOperator("<<", Int8, [Int8, Int4], (a, _) => (long)a[0]! << (int)a[1]!);
        AddOperator(">>", Int2, [Int2, Int4], (a, _) => (short)((short)a[0]! >> (int)a[1]!));
        AddOperator(">>", Int4, [Int4, Int4], (a, _) => (int)a[0]! >> (int)a[1]!);
        AddOperator(">>", Int8, [Int8, Int4], (a, _) => (long)a[0]! >> (int)a[1]!);
    }

    private static DateTime Midnight(object? date) => ((DateOnly)date!).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);

    private static DateOnly AddDays(DateOnly date, long days)
    {
        var dayNumber = date.DayNumber + days;
        if (dayNumber < DateOnly.MinValue.DayNumber || dayNumber > DateOnly.MaxValue.DayNumber) throw Error("22008", "date out of range");
        return DateOnly.FromDayNumber((int)dayNumber);
    }

    /// <summary>time ± interval uses only the interval's time part and wraps around midnight.</summary>
    private static TimeOnly AddToTime(TimeOnly time, long microseconds)
    {
        var ticks = (time.Ticks + microseconds % DateTimeMath.MicrosecondsPerDay * 10) % TimeSpan.TicksPerDay;
        if (ticks < 0) ticks += TimeSpan.TicksPerDay;
        return new TimeOnly(ticks);
    }
}
