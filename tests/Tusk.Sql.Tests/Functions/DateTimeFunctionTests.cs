using Tusk.Sql.Functions;
using Xunit;
using static Tusk.Sql.Tests.Functions.SqlCall;

namespace Tusk.Sql.Tests.Functions;

/// <summary>Date/time functions and operators; the context's transaction time is 2024-03-15 12:34:56 UTC.</summary>
public sealed class DateTimeFunctionTests
{
    [Theory]
    [InlineData("2024-02-29 00:00:00", "timestamp without time zone", "2024-01-31::date", "+", "1 month::interval")]
    [InlineData("2024-03-01", "date", "2024-02-28::date", "+", 2)]
    [InlineData("2024-02-26", "date", "2024-02-28::date", "-", 2)]
    [InlineData("29", "integer", "2024-03-01::date", "-", "2024-02-01::date")]
    [InlineData("29", "integer", "2024-03-01::date", "-", "2024-02-01")]
    [InlineData("2024-01-01 04:05:00", "timestamp without time zone", "2024-01-01::date", "+", "04:05::time")]
    [InlineData("2023-12-31 23:00:00", "timestamp without time zone", "2024-01-01::date", "-", "1 hour::interval")]
    [InlineData("2024-03-01 02:00:00", "timestamp without time zone", "2024-02-29 00:00:00::timestamp", "+", "1 day 2 hours::interval")]
    [InlineData("2023-02-28 00:00:00", "timestamp without time zone", "2024-02-29 00:00:00::timestamp", "-", "1 year::interval")]
    [InlineData("2024-02-29 00:00:00+00", "timestamp with time zone", "2024-01-31 00:00:00+00::timestamptz", "+", "1 month")]
    [InlineData("1 day 03:00:00", "interval", "2024-01-02 03:00:00::timestamp", "-", "2024-01-01 00:00:00::timestamp")]
    [InlineData("-1 days -03:00:00", "interval", "2024-01-01 00:00:00+00::timestamptz", "-", "2024-01-02 03:00:00+00::timestamptz")]
    [InlineData("01:00:00", "time without time zone", "23:00:00::time", "+", "2 hours::interval")]
    [InlineData("23:30:00", "time without time zone", "00:30:00::time", "-", "1 hour::interval")]
    [InlineData("01:30:00", "interval", "03:00:00::time", "-", "01:30:00::time")]
    [InlineData("1 mon 1 day 03:00:00", "interval", "1 month 1 day::interval", "+", "3 hours::interval")]
    [InlineData("1 mon -1 days", "interval", "1 month::interval", "-", "1 day::interval")]
    [InlineData("15 days 12:00:00", "interval", "1 month 1 day::interval", "*", 0.5)]
    [InlineData("03:00:00", "interval", "1 hour::interval", "*", 3.0)]
    [InlineData("08:00:00", "interval", "1 day::interval", "/", 3.0)]
    [InlineData("10 days", "interval", "1 mon::interval", "/", 3.0)]
    public void OperatorsComputeAsPostgres(string expected, string expectedType, object? left, string op, object? right)
    {
        var (text, type) = Operator(op, left, right);
        Assert.Equal(expected, text);
        Assert.Equal(expectedType, type.Name);
    }

    [Fact]
    public void UnaryMinusNegatesEachField()
    {
        Assert.Equal("-1 days -02:00:00", PrefixOperator("-", "1 day 2 hours::interval").Text);
        Assert.Equal("22012", Fails(() => Operator("/", "1 day::interval", 0.0)).SqlState);
    }

    [Theory]
    [InlineData("2024-03-01 00:00:00", "timestamp without time zone", "date_trunc", "month", "2024-03-15 10:20:30::timestamp")]
    [InlineData("2024-03-11 00:00:00", "timestamp without time zone", "date_trunc", "week", "2024-03-15 10:20:30::timestamp")]
    [InlineData("2024-01-01 00:00:00", "timestamp without time zone", "date_trunc", "quarter", "2024-03-15 10:20:30::timestamp")]
    [InlineData("2024-03-15 10:00:00", "timestamp without time zone", "date_trunc", "HOUR", "2024-03-15 10:20:30::timestamp")]
    [InlineData("2001-01-01 00:00:00", "timestamp without time zone", "date_trunc", "century", "2024-03-15 10:20:30::timestamp")]
    [InlineData("2020-01-01 00:00:00", "timestamp without time zone", "date_trunc", "decade", "2024-03-15 10:20:30::timestamp")]
    [InlineData("2024-03-15 10:20:30.123", "timestamp without time zone", "date_trunc", "milliseconds", "2024-03-15 10:20:30.123456::timestamp")]
    [InlineData("2024-03-01 00:00:00+00", "timestamp with time zone", "date_trunc", "month", "2024-03-15 10:20:30+00::timestamptz")]
    [InlineData("2024-03-01 00:00:00+00", "timestamp with time zone", "date_trunc", "month", "2024-03-15::date")]
    [InlineData("1 day 03:00:00", "interval", "date_trunc", "hour", "1 day 03:45:10::interval")]
    [InlineData("1 year", "interval", "date_trunc", "year", "1 year 5 mons 3 days::interval")]
    [InlineData("2024", "double precision", "date_part", "year", "2024-03-15 10:20:30::timestamp")]
    [InlineData("30.5", "double precision", "date_part", "second", "2024-03-15 10:20:30.5::timestamp")]
    [InlineData("0", "double precision", "date_part", "hour", "2024-03-15::date")]
    [InlineData("1704067200", "double precision", "date_part", "epoch", "2024-01-01::date")]
    [InlineData("2024", "numeric", "extract", "year", "2024-03-15 10:20:30::timestamp")]
    [InlineData("30.500000", "numeric", "extract", "second", "2024-03-15 10:20:30.5::timestamp")]
    [InlineData("30500.000", "numeric", "extract", "milliseconds", "2024-03-15 10:20:30.5::timestamp")]
    [InlineData("30500000", "numeric", "extract", "microseconds", "2024-03-15 10:20:30.5::timestamp")]
    [InlineData("86400.000000", "numeric", "extract", "epoch", "1970-01-02 00:00:00::timestamp")]
    [InlineData("1710498030.000000", "numeric", "extract", "epoch", "2024-03-15 10:20:30+00::timestamptz")]
    [InlineData("5", "numeric", "extract", "dow", "2024-03-15::date")]
    [InlineData("7", "numeric", "extract", "isodow", "2024-03-17::date")]
    [InlineData("75", "numeric", "extract", "doy", "2024-03-15::date")]
    [InlineData("11", "numeric", "extract", "week", "2024-03-15::date")]
    [InlineData("1", "numeric", "extract", "quarter", "2024-03-15::date")]
    [InlineData("21", "numeric", "extract", "century", "2024-03-15::date")]
    [InlineData("3", "numeric", "extract", "millennium", "2024-03-15::date")]
    [InlineData("1704067200", "numeric", "extract", "epoch", "2024-01-01::date")]
    [InlineData("2460385", "numeric", "extract", "julian", "2024-03-15::date")]
    [InlineData("0", "numeric", "extract", "timezone", "2024-03-15 10:20:30+00::timestamptz")]
    [InlineData("13", "numeric", "extract", "hour", "13:45:10::time")]
    [InlineData("10.000000", "numeric", "extract", "second", "13:45:10::time")]
    [InlineData("86400.000000", "numeric", "extract", "epoch", "1 day::interval")]
    [InlineData("31557600.000000", "numeric", "extract", "epoch", "1 year::interval")]
    [InlineData("27", "numeric", "extract", "hour", "1 day 27 hours::interval")]
    [InlineData("2", "numeric", "extract", "month", "1 year 2 months::interval")]
    [InlineData("1 mon 1 day", "interval", "age", "2024-03-01 00:00:00::timestamp", "2024-01-31 00:00:00::timestamp")]
    [InlineData("43 years 9 mons 27 days", "interval", "age", "2001-04-10 00:00:00::timestamp", "1957-06-13 00:00:00::timestamp")]
    [InlineData("-1 mons -1 days", "interval", "age", "2024-01-31 00:00:00::timestamp", "2024-03-01 00:00:00::timestamp")]
    [InlineData("10 days", "interval", "age", "2024-03-05 00:00:00::timestamp")]
    [InlineData("2024-02-29", "date", "make_date", 2024, 2, 29)]
    [InlineData("08:15:23.5", "time without time zone", "make_time", 8, 15, 23.5)]
    [InlineData("2013-07-15 08:15:23.5", "timestamp without time zone", "make_timestamp", 2013, 7, 15, 8, 15, 23.5)]
    [InlineData("2013-07-15 08:15:23.5+00", "timestamp with time zone", "make_timestamptz", 2013, 7, 15, 8, 15, 23.5)]
    [InlineData("1 year 2 mons", "interval", "make_interval", 1, 2)]
    [InlineData("9 days 03:04:05.5", "interval", "make_interval", 0, 0, 1, 2, 3, 4, 5.5)]
    [InlineData("00:00:00", "interval", "make_interval")]
    [InlineData("2010-09-13 04:32:03+00", "timestamp with time zone", "to_timestamp", 1284352323.0)]
    [InlineData("2000-12-05", "date", "to_date", "05 Dec 2000", "DD Mon YYYY")]
    [InlineData("2024-02-29", "date", "to_date", "20240229", "YYYYMMDD")]
    [InlineData("2000-12-05 14:30:00+00", "timestamp with time zone", "to_timestamp", "05 December 2000 2:30 PM", "DD Month YYYY HH:MI AM")]
    [InlineData("1 mon 5 days", "interval", "justify_days", "35 days::interval")]
    [InlineData("1 day 03:00:00", "interval", "justify_hours", "27 hours::interval")]
    [InlineData("29 days 23:00:00", "interval", "justify_interval", "1 mon -1 hour::interval")]
    [InlineData("t", "boolean", "isfinite", "2024-01-01::date")]
    [InlineData("2024-03-15 12:34:56+00", "timestamp with time zone", "now")]
    [InlineData("2024-03-15 12:34:56+00", "timestamp with time zone", "current_timestamp")]
    [InlineData("2024-03-15 12:34:57+00", "timestamp with time zone", "statement_timestamp")]
    [InlineData("2024-03-15", "date", "current_date")]
    [InlineData("2024-03-15 12:34:56", "timestamp without time zone", "localtimestamp")]
    [InlineData("2024-03-15 21:34:56", "timestamp without time zone", "timezone", "Asia/Tokyo", "2024-03-15 12:34:56+00::timestamptz")]
    public void FunctionsComputeAsPostgres(string expected, string expectedType, string name, params object?[] args)
    {
        var (text, type) = Call(name, args);
        Assert.Equal(expected, text);
        Assert.Equal(expectedType, type.Name);
    }

    [Theory]
    [InlineData("2024-03-05 14:07:09.123", "YYYY-MM-DD HH24:MI:SS.MS")]
    [InlineData("Tuesday  , 05 March     2024", "Day, DD Month YYYY")]
    [InlineData("Tuesday, 5 March 2024", "FMDay, FMDD FMMonth YYYY")]
    [InlineData("TUE mar", "DY mon")]
    [InlineData("02 PM", "HH12 AM")]
    [InlineData("5th of III , Q1, day 065", "FMDDth \"of\" RM, \"Q\"Q, \"day\" DDD")]
    [InlineData("24-03-05 14h", "YY-MM-DD HH24\\h")]
    [InlineData("123000", "US")]
    public void ToCharFormatsTimestamps(string expected, string format)
    {
        Assert.Equal(expected, Call("to_char", "2024-03-05 14:07:09.123::timestamp", format).Text);
    }

    [Theory]
    [InlineData(" 485", 485, "999")]
    [InlineData("-485", -485, "999")]
    [InlineData("  -5", -5, "999")]
    [InlineData(" 1,485", 1485, "9,999")]
    [InlineData("   123", 123, "9,999")]
    [InlineData(" 005", 5, "000")]
    [InlineData("    0012.0", 12, "9990999.9")]
    [InlineData(" ###", 12345, "999")]
    [InlineData("485-", -485, "999S")]
    [InlineData("485-", -485, "999MI")]
    [InlineData("485 ", 485, "999MI")]
    [InlineData("-485", -485, "S999")]
    [InlineData("<485>", -485, "999PR")]
    [InlineData("   0", 0, "999")]
    [InlineData(" 148.500", 148.5, "999.999")]
    [InlineData("148.5", 148.5, "FM999.999")]
    [InlineData("1.", 1, "FM999.99")]
    [InlineData("1.50", 1.5, "FM990.00")]
    [InlineData(" 3,148.5", 3148.5, "9G999D9")]
    [InlineData("  -.10", -0.1, "99.99")]
    [InlineData("-.1", -0.1, "FM9.99")]
    [InlineData(" 0.1", 0.1, "0.9")]
    [InlineData("  .50", 0.5, "9.99")]
    public void ToCharFormatsNumbers(string expected, object value, string format)
    {
        Assert.Equal(expected, Call("to_char", value, format).Text);
    }

    [Fact]
    public void ToNumberReadsDigitsSignAndPoint()
    {
        Assert.Equal(("-12454.8", "numeric"), (Call("to_number", "12,454.8-", "99G999D9S").Text, Call("to_number", "1", "9").Type.Name));
    }

    [Fact]
    public void ExtractRejectsFieldsTheTypeLacks()
    {
        Assert.Equal("0A000", Fails(() => Call("extract", "hour", "2024-01-01::date")).SqlState);
        Assert.Equal("22023", Fails(() => Call("date_trunc", "fortnight", "2024-01-01 00:00:00::timestamp")).SqlState);
        Assert.Equal("0A000", Fails(() => Call("date_trunc", "week", "1 month::interval")).SqlState);
        Assert.Equal("22008", Fails(() => Call("make_date", 2023, 2, 29)).SqlState);
        Assert.Equal("22008", Fails(() => Call("make_time", 25, 0, 0.0)).SqlState);
        Assert.Equal("22008", Fails(() => Operator("+", "9999-12-31 00:00:00::timestamp", "1 day::interval")).SqlState);
    }

    [Fact]
    public void TimestampTzArithmeticAndTruncationUseTheSessionTimeZone()
    {
        var newYork = Context(TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));
        // 2024-03-10 00:00 EST + 1 day = 2024-03-11 00:00 EDT: 23 hours later in UTC (DST began at 02:00).
        Assert.Equal("2024-03-11 04:00:00+00", Operator("+", "2024-03-10 05:00:00+00::timestamptz", "1 day::interval", newYork).Text);
        Assert.Equal("2024-03-11 05:00:00+00", Operator("+", "2024-03-10 05:00:00+00::timestamptz", "24 hours::interval", newYork).Text);
        var tokyo = Context(TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));
        Assert.Equal("2024-03-15 15:00:00+00", Call(tokyo, "date_trunc", "day", "2024-03-15 20:00:00+00::timestamptz").Text);
        Assert.Equal("16", Call(tokyo, "extract", "day", "2024-03-15 20:00:00+00::timestamptz").Text);
        Assert.Equal("32400", Call(tokyo, "extract", "timezone", "2024-03-15 20:00:00+00::timestamptz").Text);
        Assert.Equal("2024-03-16 05:00 +09", Call(tokyo, "to_char", "2024-03-15 20:00:00+00::timestamptz", "YYYY-MM-DD HH24:MI OF").Text);
        Assert.Equal("2024-03-15", Call(Context(TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles")), "current_date").Text);
        Assert.Equal("2024-03-16", Call(Context(TimeZoneInfo.FindSystemTimeZoneById("Pacific/Kiritimati")), "current_date").Text);
    }

    [Fact]
    public void ClockFunctionsReadTheContextNotTheMachine()
    {
        Assert.True(Builtins.Resolve("clock_timestamp", [])!.Volatile);
        Assert.False(Builtins.Resolve("now", [])!.Volatile);
        Assert.Equal("2024-03-15 12:34:57+00", Call("clock_timestamp").Text);
    }
}
