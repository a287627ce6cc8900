using Tusk.Sql.Types;
using Xunit;

namespace Tusk.Sql.Tests;

/// <summary>Text input and output as PostgreSQL 16 prints and accepts them (DateStyle ISO, TimeZone UTC).</summary>
public sealed class TextFormatTests
{
    [Theory]
    [InlineData("bool", " TRUE ", "t")]
    [InlineData("bool", "off", "f")]
    [InlineData("int2", "-32768", "-32768")]
    [InlineData("int8", "9223372036854775807", "9223372036854775807")]
    [InlineData("float8", "0.1", "0.1")]
    [InlineData("float8", "1e20", "1e+20")]
    [InlineData("float8", "0.00001", "1e-05")]
    [InlineData("float8", "123456789012345", "123456789012345")]
    [InlineData("float8", "-infinity", "-Infinity")]
    [InlineData("float8", "nan", "NaN")]
    [InlineData("float4", "3.14159", "3.14159")]
    [InlineData("numeric", "1.50", "1.50")]
    [InlineData("text", "  kept as is ", "  kept as is ")]
    [InlineData("bytea", "\\xDEADbeef", "\\xdeadbeef")]
    [InlineData("bytea", "a\\\\b\\001", "\\x615c6201")]
    [InlineData("date", "2024-02-29", "2024-02-29")]
    [InlineData("time", "04:05:06.5", "04:05:06.5")]
    [InlineData("timestamp", "2024-01-02T03:04:05.123456", "2024-01-02 03:04:05.123456")]
    [InlineData("timestamp", "2024-01-02 03:04:05", "2024-01-02 03:04:05")]
    [InlineData("timestamptz", "2024-01-02 03:04:05+02", "2024-01-02 01:04:05+00")]
    [InlineData("interval", "1 year 2 months 3 days 04:05:06", "1 year 2 mons 3 days 04:05:06")]
    [InlineData("interval", "90 minutes", "01:30:00")]
    [InlineData("interval", "-1 day 2 hours", "-1 days +02:00:00")]
    [InlineData("interval", "2 weeks ago", "-14 days")]
    [InlineData("uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")]
    public void RoundTripsAsPostgresPrintsIt(string typeName, string input, string expected)
    {
        var type = SqlType.FromName(typeName, [])!;
        Assert.Equal(expected, TextFormat.Format(TextFormat.Parse(input, type), type));
    }

    [Theory]
    [InlineData("int4", "2147483648", "22003", "value \"2147483648\" is out of range for type integer")]
    [InlineData("int4", "12a", "22P02", "invalid input syntax for type integer: \"12a\"")]
    [InlineData("bool", "maybe", "22P02", "invalid input syntax for type boolean: \"maybe\"")]
    [InlineData("float8", "1e400", "22003", "\"1e400\" is out of range for type double precision")]
    [InlineData("date", "2024-02-30", "22007", "invalid input syntax for type date: \"2024-02-30\"")]
    [InlineData("uuid", "xyz", "22P02", "invalid input syntax for type uuid: \"xyz\"")]
    public void BadInputGetsPostgresErrors(string typeName, string input, string sqlState, string message)
    {
        var e = Assert.Throws<SqlDataException>(() => TextFormat.Parse(input, SqlType.FromName(typeName, [])!));
        Assert.Equal(sqlState, e.SqlState);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ModifiersRoundAndCheck()
    {
        var money = SqlType.FromName("numeric", [5, 2])!;
        Assert.Equal("1.50", TextFormat.Format(TextFormat.Parse("1.5", money), money));
        Assert.Equal("2.35", TextFormat.Format(TextFormat.Parse("2.345", money), money));
        Assert.Equal("22003", Assert.Throws<SqlDataException>(() => TextFormat.Parse("1000", money)).SqlState);
        var code = SqlType.FromName("varchar", [3])!;
        Assert.Equal("abc", TextFormat.Parse("abc  ", code));
        Assert.Equal("value too long for type character varying(3)", Assert.Throws<SqlDataException>(() => TextFormat.Parse("abcd", code)).Message);
        var fixedWidth = SqlType.FromName("char", [4])!;
        Assert.Equal("ab  ", TextFormat.Format(TextFormat.Parse("ab", fixedWidth), fixedWidth));
        Assert.Equal(1700, money.Oid);
        Assert.Equal((5 << 16 | 2) + 4, money.TypeModifier);
        Assert.Equal("numeric(5,2)", money.Name);
    }
}
