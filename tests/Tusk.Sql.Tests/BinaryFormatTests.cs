using Tusk.Sql.Types;
using Xunit;

namespace Tusk.Sql.Tests;

/// <summary>
/// PostgreSQL's binary send/recv formats: byte-exact vectors worked out from the PostgreSQL sources (numeric.c
/// numeric_send, date.c, timestamp.c, uuid.c, jsonb.c), round trips of every type, and bad input refused with 22P03.
/// </summary>
public sealed class BinaryFormatTests
{
    [Theory]
    [InlineData("bool", "t", "01")]
    [InlineData("bool", "f", "00")]
    [InlineData("int2", "-2", "FFFE")]
    [InlineData("int4", "1", "00000001")]
    [InlineData("int8", "-1", "FFFFFFFFFFFFFFFF")]
    [InlineData("float4", "1.5", "3FC00000")]
    [InlineData("float8", "1", "3FF0000000000000")]
    [InlineData("float8", "-Infinity", "FFF0000000000000")]
    // numeric: ndigits, weight, sign, dscale, then base-10000 digits.
    [InlineData("numeric", "12345.678", "0003" + "0001" + "0000" + "0003" + "0001" + "0929" + "1A7C")]
    [InlineData("numeric", "-0.0001", "0001" + "FFFF" + "4000" + "0004" + "0001")]
    [InlineData("numeric", "10000", "0001" + "0001" + "0000" + "0000" + "0001")]
    [InlineData("numeric", "0", "0000" + "0000" + "0000" + "0000")]
    [InlineData("numeric", "0.00", "0000" + "0000" + "0000" + "0002")]
    [InlineData("numeric", "1.50", "0002" + "0000" + "0000" + "0002" + "0001" + "1388")]
    [InlineData("numeric", "123456789.00001", "0005" + "0002" + "0000" + "0005" + "0001" + "0929" + "1A85" + "0000" + "03E8")]
    [InlineData("text", "hé", "68C3A9")]
    [InlineData("jsonb", "{\"a\": 1}", "01" + "7B2261223A20317D")]
    [InlineData("bytea", "\\xdeadbeef", "DEADBEEF")]
    [InlineData("date", "2000-01-01", "00000000")]
    [InlineData("date", "1999-12-31", "FFFFFFFF")]
    [InlineData("date", "2024-02-29", "00002279")]
    [InlineData("time", "00:00:01.5", "000000000016E360")]
    [InlineData("timestamp", "2000-01-01 00:00:01", "00000000000F4240")]
    [InlineData("timestamp", "1999-12-31 23:59:59.999999", "FFFFFFFFFFFFFFFF")]
    [InlineData("timestamptz", "2000-01-01 02:00:00+02", "0000000000000000")]
    [InlineData("interval", "1 mon 2 days 00:00:03", "00000000002DC6C0" + "00000002" + "00000001")]
    [InlineData("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC999C0B4EF8BB6D6BB9BD380A11")]
    public void EncodesAsPostgresSendsIt(string typeName, string text, string hex)
    {
        var type = SqlType.FromName(typeName, [])!;
        var value = TextFormat.Parse(text, type);
        byte[] bytes = BinaryFormat.Encode(value, type);
        Assert.Equal(hex, Convert.ToHexString(bytes));
        object decoded = BinaryFormat.Decode(bytes, type);
        Assert.Equal(TextFormat.Format(value, type), TextFormat.Format(decoded, type));
    }

    [Fact]
    public void CharIsSentPaddedToItsLength()
    {
        var type = SqlType.FromName("char", [4])!;
        Assert.Equal("61622020", Convert.ToHexString(BinaryFormat.Encode("ab", type)));
    }

    public static TheoryData<string, object> RoundTripValues() => new()
    {
        { "bool", true },
        { "int2", short.MinValue },
        { "int4", int.MaxValue },
        { "int8", long.MinValue },
        { "float4", float.NaN },
        { "float4", -0.1f },
        { "float8", double.Epsilon },
        { "numeric", SqlNumeric.Parse("79228162514264337593543950335") },
        { "numeric", SqlNumeric.Parse("-79228162514264337593543950335") },
        { "numeric", SqlNumeric.Parse("0.0000000000000000000000000001") },
        { "numeric", SqlNumeric.Parse("1.000") },
        { "numeric", SqlNumeric.Parse("-123.4500") },
        { "text", "" },
        { "text", "multi\nline ☃ 🐘" },
        { "varchar", "v" },
        { "jsonb", "[1, {\"b\": null}]" },
        { "bytea", Array.Empty<byte>() },
        { "bytea", new byte[] { 0, 1, 255 } },
        { "date", new DateOnly(1, 1, 1) },
        { "date", new DateOnly(9999, 12, 31) },
        { "time", new TimeOnly(23, 59, 59).Add(TimeSpan.FromTicks(9_999_990)) },
        { "timestamp", new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Unspecified).AddTicks(10) },
        { "timestamp", new DateTime(9999, 12, 31, 23, 59, 59, DateTimeKind.Unspecified) },
        { "timestamptz", new DateTime(2024, 6, 1, 12, 30, 0, DateTimeKind.Utc) },
        { "interval", new Interval(-14, 3, -1) },
        { "uuid", new Guid("00112233-4455-6677-8899-aabbccddeeff") },
    };

    [Theory]
    [MemberData(nameof(RoundTripValues))]
    public void RoundTripsEveryType(string typeName, object value)
    {
        var type = SqlType.FromName(typeName, [])!;
        object decoded = BinaryFormat.Decode(BinaryFormat.Encode(value, type), type);
        Assert.Equal(value, decoded);
        if (value is DateTime dt)
        {
            Assert.Equal(dt.Kind, ((DateTime)decoded).Kind);
        }
        if (value is SqlNumeric n)
        {
            // The scale survives (numeric 1.000 stays 1.000), as dscale carries it.
            Assert.Equal(n.ToString(), decoded.ToString());
        }
    }

    [Fact]
    public void NumericDigitsBeyondTheScaleAreCutOff()
    {
        // 1.23456 sent with dscale 2: PostgreSQL's numeric_recv truncates to 1.23.
        byte[] bytes = Convert.FromHexString("0002" + "0000" + "0000" + "0002" + "0001" + "0929");
        Assert.Equal("1.23", BinaryFormat.Decode(bytes, SqlType.Numeric).ToString());
    }

    [Theory]
    [InlineData("int4", "000001")]
    [InlineData("int8", "00000001")]
    [InlineData("bool", "")]
    [InlineData("float8", "3FF0")]
    [InlineData("uuid", "00112233")]
    [InlineData("interval", "0000000000000000")]
    [InlineData("numeric", "000100")]
    [InlineData("numeric", "0002000000000000" + "0001")]  // says 2 digits, carries 1
    [InlineData("numeric", "0001000000000000" + "2710")]  // digit 10000 is not base-10000
    [InlineData("numeric", "0000000012340000")]  // bad sign
    [InlineData("jsonb", "02" + "7B7D")]  // version 2
    [InlineData("jsonb", "")]
    public void BadInputIsInvalidBinaryRepresentation(string typeName, string hex)
    {
        var type = SqlType.FromName(typeName, [])!;
        var e = Assert.Throws<SqlDataException>(() => BinaryFormat.Decode(Convert.FromHexString(hex), type));
        Assert.Equal("22P03", e.SqlState);
    }

    [Fact]
    public void ValuesOutsideTheClrRangeAreOutOfRange()
    {
        // A date of int32.MaxValue days ('infinity') has no DateOnly. (numeric NaN, sign 0xC000, is a value now.)
        Assert.Equal("NaN", BinaryFormat.Decode(Convert.FromHexString("00000000C0000000"), SqlType.Numeric).ToString());
        Assert.Equal("22008", Assert.Throws<SqlDataException>(() => BinaryFormat.Decode(Convert.FromHexString("7FFFFFFF"), SqlType.Date)).SqlState);
        Assert.Equal("22008", Assert.Throws<SqlDataException>(() => BinaryFormat.Decode(Convert.FromHexString("7FFFFFFFFFFFFFFF"), SqlType.Timestamp)).SqlState);
        Assert.Equal("22021", Assert.Throws<SqlDataException>(() => BinaryFormat.Decode(Convert.FromHexString("C328"), SqlType.Text)).SqlState);
    }

    [Fact]
    public void ArraysDecodeToTheirTextForm()
    {
        // int4[] {1,NULL,-2}: ndim 1, has nulls, element OID 23, length 3, lower bound 1, then the elements.
        var ints = "00000001" + "00000001" + "00000017" + "00000003" + "00000001" + "00000004" + "00000001" + "FFFFFFFF" + "00000004" + "FFFFFFFE";
        Assert.Equal("{1,NULL,-2}", BinaryFormat.DecodeArray(Convert.FromHexString(ints), SqlType.Int4));
        // text[] {"a b",""}: elements needing quotes are quoted.
        var texts = "00000001" + "00000000" + "00000019" + "00000002" + "00000001" + "00000003" + "612062" + "00000000";
        Assert.Equal("{\"a b\",\"\"}", BinaryFormat.DecodeArray(Convert.FromHexString(texts), SqlType.Text));
        Assert.Equal("{}", BinaryFormat.DecodeArray(Convert.FromHexString("00000000" + "00000000" + "00000017"), SqlType.Int4));
        Assert.Equal("22P03", Assert.Throws<SqlDataException>(() => BinaryFormat.DecodeArray(Convert.FromHexString(ints[..^2]), SqlType.Int4)).SqlState);
        var matrix = "00000002" + "00000000" + "00000017" + "00000001" + "00000001" + "00000001" + "00000001" + "00000004" + "00000001";
        Assert.Equal("0A000", Assert.Throws<SqlDataException>(() => BinaryFormat.DecodeArray(Convert.FromHexString(matrix), SqlType.Int4)).SqlState);
    }
}
