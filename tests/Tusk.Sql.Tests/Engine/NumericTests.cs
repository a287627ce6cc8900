using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Types;
using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>numeric with PostgreSQL's full precision: results as psql prints them, keys in value order, no overflow at 28 digits.</summary>
public sealed class NumericTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Theory]
    // Result scales: + − take the larger scale, × the sum, ÷ select_div_scale (at least 16 significant digits).
    [InlineData("SELECT 1/3::numeric", "0.33333333333333333333")]
    [InlineData("SELECT 10::numeric/4", "2.5000000000000000")]
    [InlineData("SELECT 1::numeric/7", "0.14285714285714285714")]
    [InlineData("SELECT 1000000::numeric/3", "333333.333333333333")]
    [InlineData("SELECT 2.50/2, 1.0/1", "1.25000000000000000000|1.00000000000000000000")]
    [InlineData("SELECT 1.000000000000000000001/3", "0.333333333333333333334")]
    [InlineData("SELECT 1.50 + 1", "2.50")]
    [InlineData("SELECT 0.1 + 0.2", "0.3")]
    [InlineData("SELECT 1.5 * 1.25", "1.875")]
    [InlineData("SELECT 7.5 % 2", "1.5")]
    [InlineData("SELECT -7.5 % 2", "-1.5")]
    [InlineData("SELECT mod(10.25, 3)", "1.25")]
    [InlineData("SELECT div(7.5, 2)", "3")]
    [InlineData("SELECT 100000000000000000000 * 100000000000000000000", "10000000000000000000000000000000000000000")]
    [InlineData("SELECT 99999999999999999999999999999999 + 1", "100000000000000000000000000000000")]
    [InlineData("SELECT 12345678901234567890123 - 12345678901234567890124", "-1")]
    [InlineData("SELECT -(0.001)", "-0.001")]
    // Functions.
    [InlineData("SELECT round(2.5), round(-2.5), round(1.2345, 2), round(1234.5, -2), round(1.5, 3)", "3|-3|1.23|1200|1.500")]
    [InlineData("SELECT trunc(-1.99), trunc(1.999, 2), ceil(-1.5), floor(-1.5), abs(-1.50), sign(-2.5)", "-1|1.99|-1|-2|1.50|-1")]
    [InlineData("SELECT scale(1.500), min_scale(1.500), trim_scale(1.500), trim_scale(100.000)", "3|1|1.5|100")]
    [InlineData("SELECT sqrt(2::numeric), sqrt(16::numeric), sqrt(0.0001)", "1.414213562373095|4.000000000000000|0.01000000000000000")]
    [InlineData("SELECT 2::numeric ^ 0.5, 2::numeric ^ 10, 2::numeric ^ -2", "1.4142135623730950|1024.0000000000000|0.2500000000000000")]
    [InlineData("SELECT power(10::numeric, 40)", "10000000000000000000000000000000000000000")]
    [InlineData("SELECT exp(1.0), ln(2.0), log(100::numeric), log(2.0, 64.0)", "2.7182818284590452|0.6931471805599453|2.0000000000000000|6.0000000000000000")]
    [InlineData("SELECT ln(10::numeric), exp(0::numeric)", "2.3025850929940457|1.0000000000000000")]
    [InlineData("SELECT gcd(12.5, 7.5), lcm(1.5, 2.5)", "2.5|7.5")]
    // Input: exponent notation, special values, literals past bigint.
    [InlineData("SELECT '1.5e3'::numeric, '1e-3'::numeric, 1.5e3, '  -0.50 '::numeric", "1500|0.001|1500|-0.50")]
    [InlineData("SELECT 'NaN'::numeric, 'Infinity'::numeric + 1, '-inf'::numeric, 'NaN'::numeric > 'Infinity'::numeric", "NaN|Infinity|-Infinity|t")]
    [InlineData("SELECT 12345678901234567890123 + 1", "12345678901234567890124")]
    [InlineData("SELECT 1.0 = 1.00, 1.0::numeric = 1, 2.5::numeric::int, (-2.5)::numeric::int, 0.1::float8::numeric", "t|t|3|-3|0.1")]
    [InlineData("SELECT 12345678901234567890.5::numeric::float8", "1.2345678901234567e+19")]
    [InlineData("SELECT (-9223372036854775808)::numeric::float8, -9223372036854775808::numeric * 2", "-9.223372036854776e+18|-18446744073709551616")]
    [InlineData("SELECT 123.456::numeric(5,2), 0.5::numeric(1,0), 99.5::numeric(3)", "123.46|1|100")]
    [InlineData("SELECT to_char(123456789012345678901234567890.126, 'FM999999999999999999999999999999.99')", "123456789012345678901234567890.13")]
    [InlineData("SELECT '{\"a\": 123456789012345678901234567890.5}'::jsonb -> 'a', ('{\"a\": 1.50}'::jsonb ->> 'a')::numeric + 1", "123456789012345678901234567890.5|2.50")]
    public void ResultsAsPostgresPrintsThem(string sql, string expected)
    {
        Assert.Equal(expected, _db.Query(sql));
    }

    [Theory]
    [InlineData("SELECT 1234.5::numeric(5,2)", "A field with precision 5, scale 2 must round to an absolute value less than 10^3.")]
    [InlineData("SELECT 999.995::numeric(5,2)", "A field with precision 5, scale 2 must round to an absolute value less than 10^3.")]
    [InlineData("SELECT 0.999::numeric(2,2)", "A field with precision 2, scale 2 must round to an absolute value less than 1.")]
    [InlineData("SELECT 'Infinity'::numeric(5,2)", "A field with precision 5, scale 2 cannot hold an infinite value.")]
    public void TypmodOverflowIsNumericFieldOverflow(string sql, string detail)
    {
        var e = _db.Error(sql);
        Assert.Equal("22003", e.SqlState);
        Assert.Equal("numeric field overflow", e.Message);
        Assert.Equal(detail, e.Detail);
    }

    [Fact]
    public void ErrorsAsPostgres()
    {
        Assert.Equal("22012", _db.Error("SELECT 1 / 0::numeric").SqlState);
        Assert.Equal("22012", _db.Error("SELECT 1.5 % 0").SqlState);
        Assert.Equal("2201E", _db.Error("SELECT ln(0::numeric)").SqlState);
        Assert.Equal("2201F", _db.Error("SELECT sqrt(-1::numeric)").SqlState);
        Assert.Equal("2201F", _db.Error("SELECT (-8)::numeric ^ 0.5").SqlState);
        Assert.Equal("22003", _db.Error("SELECT 12345678901234567890::numeric::int8").SqlState);
        Assert.Equal("22P02", _db.Error("SELECT 'abc'::numeric").SqlState);
        Assert.Equal("22003", _db.Error("SELECT exp(100000::numeric)").SqlState);
    }

    [Fact]
    public void TableRoundTripsBigValuesWithTheirScale()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY, v numeric, p numeric(40,10))");
        _db.Run("INSERT INTO t VALUES (1, 123456789012345678901234567890.123456789012345, 123456789012345678901234567890.12345678905)");
        _db.Run("INSERT INTO t VALUES (2, -0.000000000000000000000000000000001, -1.5)");
        _db.Run("INSERT INTO t VALUES (3, 1.50, 0)");
        Assert.Equal(
            "1|123456789012345678901234567890.123456789012345|123456789012345678901234567890.1234567891\n" +
            "2|-0.000000000000000000000000000000001|-1.5000000000\n" +
            "3|1.50|0.0000000000",
            _db.Query("SELECT id, v, p FROM t ORDER BY id"));
        Assert.Equal("3", _db.Query("SELECT id FROM t WHERE v = 1.5"));
        Assert.Equal("123456789012345678901234567891.623456789012344999999999999999999", _db.Query("SELECT sum(v) FROM t"));
        Assert.Equal("22003", _db.Error("INSERT INTO t VALUES (4, 0, 1e30)").SqlState);
    }

    [Fact]
    public void NumericPrimaryKeysAreInValueOrder()
    {
        _db.Run("CREATE TABLE k (n numeric PRIMARY KEY, tag text)");
        string[] values =
        [
            "12345678901234567890123456789012345", "-1.5", "0", "99999999999999999999999999999.9", "0.0001",
            "-123456789012345678901234567890.5", "1", "-1.25", "1.5", "0.00000000000000000000000000000001", "-0.001", "100",
            "99.99", "-100", "1e40", "-1e-40",
        ];
        foreach (var v in values) _db.Run($"INSERT INTO k VALUES ({v}, 'x')");
        var expected = string.Join("\n", values.Select(v => SqlNumeric.Parse(v)).Order().Select(v => v.TrimScale().ToString()));
        Assert.Equal(expected, _db.Query("SELECT n FROM k"));
        Assert.Equal(expected, _db.Query("SELECT n FROM k ORDER BY n"));
        Assert.Equal("1.5\n99.99\n100", _db.Query("SELECT n FROM k WHERE n > 1 AND n <= 100"));
        Assert.Equal("1.5|x", _db.Query("SELECT n, tag FROM k WHERE n = 1.500"));
        Assert.Equal("23505", _db.Error("INSERT INTO k VALUES (1.00, 'dup')").SqlState);
        _db.Run("CREATE TABLE s (id int PRIMARY KEY, v numeric)");
        _db.Run("CREATE INDEX s_v ON s (v)");
        _db.Run("INSERT INTO s VALUES (1, 2.50), (2, -1e30), (3, 1e30), (4, 2.5000001)");
        Assert.Equal("1", _db.Query("SELECT id FROM s WHERE v = 2.5"));
        Assert.Equal("2\n1\n4\n3", _db.Query("SELECT id FROM s WHERE v > -1e31 ORDER BY v"));
    }

    [Fact]
    public void SumAndAverageOfBigintDoNotOverflow()
    {
        _db.Run("CREATE TABLE b (id int PRIMARY KEY, v bigint, i int)");
        _db.Run("INSERT INTO b VALUES (1, 9223372036854775807, 2147483647), (2, 9223372036854775807, 2147483647), (3, 9223372036854775806, 1)");
        Assert.Equal("27670116110564327420|9223372036854775807|4294967295|1431655765.00000000",
            _db.Query("SELECT sum(v), avg(v), sum(i), avg(i) FROM b"));
        Assert.Equal("-27670116110564327420", _db.Query("SELECT sum(-v) FROM b WHERE v > 0 AND id < 4 AND v <> 0 AND i > -1 AND v = v"));
        _db.Run("CREATE TABLE m (id int PRIMARY KEY, v numeric)");
        _db.Run("INSERT INTO m VALUES (1, 99999999999999999999999999999), (2, 99999999999999999999999999999), (3, 0.5)");
        Assert.Equal("199999999999999999999999999998.5|66666666666666666666666666666.2", _db.Query("SELECT sum(v), avg(v) FROM m"));
    }

    [Fact]
    public void EqualValuesOfAnyScaleCompareAndHashAlike()
    {
        var a = SqlNumeric.Parse("1.0");
        var b = SqlNumeric.Parse("1.00");
        Assert.Equal(0, a.CompareTo(b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(Values.ValueHash(a), Values.ValueHash(1L));
        Assert.True(Values.ValueEquals(b, 1));
        Assert.Equal(Values.ValueHash(SqlNumeric.Parse("0.50")), Values.ValueHash(0.5));
        Assert.Equal("1.00", b.ToString());
        Assert.Equal("-0.05", SqlNumeric.Parse("-5e-2").ToString());
        Assert.Equal("0", SqlNumeric.Parse("-0").ToString());
    }

    [Fact]
    public void KeyEncodingSortsByValue()
    {
        string[] texts =
        [
            "-Infinity", "-1e100", "-123456789012345678901234567890.5", "-10", "-9.99", "-1.5", "-1.25", "-1", "-0.5", "-0.05", "-1e-30",
            "0", "1e-30", "0.05", "0.5", "1", "1.000001", "1.25", "1.5", "9.99", "10", "100", "123456789012345678901234567890.5", "1e100",
            "Infinity", "NaN",
        ];
        var values = texts.Select(t => SqlNumeric.Parse(t)).ToArray();
        var keys = values.Select(NumericKey.Encode).ToArray();
        for (var i = 1; i < keys.Length; i++) Assert.True(keys[i - 1].AsSpan().SequenceCompareTo(keys[i]) < 0, $"{texts[i - 1]} < {texts[i]}");
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(0, values[i].CompareTo(NumericKey.Decode(keys[i])));
        }
        Assert.Equal(NumericKey.Encode(SqlNumeric.Parse("1.0")), NumericKey.Encode(SqlNumeric.Parse("1.00")));
    }

    [Theory]
    [InlineData("0", "0000000000000000")]
    [InlineData("0.0001", "0001FFFF00000004" + "0001")]
    [InlineData("10000", "0001000100000000" + "0001")]
    [InlineData("-1.5", "0002000040000001" + "00011388")]
    [InlineData("1e-20", "0001FFFB00000014" + "0001")]
    [InlineData("12345678901234567890.123456789", "0008000400000009" + "04D2162E23340D801ED204D2162E2328")]
    [InlineData("NaN", "00000000C0000000")]
    [InlineData("-Infinity", "00000000F0000000")]
    public void BinaryFormatEncodesAndDecodesAsPostgres(string text, string hex)
    {
        var value = SqlNumeric.Parse(text);
        var bytes = BinaryFormat.Encode(value, SqlType.Numeric);
        Assert.Equal(hex, Convert.ToHexString(bytes));
        Assert.Equal(value.ToString(), BinaryFormat.Decode(bytes, SqlType.Numeric).ToString());
    }
}
