using Npgsql;
using NpgsqlTypes;
using Xunit;

namespace Tusk.Server.Tests.Postgres;

/// <summary>
/// Every type in the text format through Npgsql: parameters sent as untyped text (the server infers the column's
/// type and parses PostgreSQL's input syntax) and results asked for in text (AllResultTypesAreUnknown), compared with
/// PostgreSQL's output for the same values.
/// </summary>
public sealed class PgTextFormatTests
{
    [Fact]
    public async Task EveryTypeRoundTripsInTextThroughNpgsql()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand(
            "SET TimeZone = 'UTC'; CREATE TABLE types (id int primary key, i2 smallint, i4 integer, i8 bigint, b boolean, f4 real, f8 double precision, " +
            "n numeric(12,3), t text, v varchar(10), c char(3), by bytea, d date, tm time, ts timestamp, tz timestamptz, " +
            "u uuid, j jsonb, iv interval)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        // (input, PostgreSQL's output)
        var values = new (string In, string Out)[]
        {
            ("-12", "-12"),
            ("2147483647", "2147483647"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("yes", "t"),
            ("1.5", "1.5"),
            ("-0.1", "-0.1"),
            ("123456789.1255", "123456789.126"),
            ("héllo ☃ \\ 'q'", "héllo ☃ \\ 'q'"),
            ("short", "short"),
            ("ab", "ab "),
            ("\\x000102ff", "\\x000102ff"),
            ("2024-02-29", "2024-02-29"),
            ("13:14:15.123", "13:14:15.123"),
            ("1999-12-31 23:59:59.5", "1999-12-31 23:59:59.5"),
            ("2024-06-01 14:00:00+02", "2024-06-01 12:00:00+00"),
            ("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            ("{\"b\":[1, 2.50, null], \"a\": true}", "{\"a\": true, \"b\": [1, 2.50, null]}"),
            ("1 year 2 mons 3 days 00:00:04", "1 year 2 mons 3 days 00:00:04"),
        };
        var placeholders = string.Join(", ", Enumerable.Range(2, values.Length).Select(i => "$" + i));
        await using (var insert = new NpgsqlCommand($"INSERT INTO types VALUES ($1, {placeholders})", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = 1 });
            foreach (var (text, _) in values) insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Unknown, Value = text });
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }
        await using var select = new NpgsqlCommand("SELECT i2, i4, i8, b, f4, f8, n, t, v, c, by, d, tm, ts, tz, u, j, iv FROM types WHERE id = 1", connection)
        {
            AllResultTypesAreUnknown = true,
        };
        await using var reader = await select.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i].Out, reader.GetString(i));
        }
    }

    [Theory]
    [InlineData("27:00:00", "27:00:00")]
    [InlineData("1 day 27:00:00", "1 day 27:00:00")]
    [InlineData("-1 days +02:03:00", "-1 days +02:03:00")]
    [InlineData("90 minutes", "01:30:00")]
    [InlineData("P1Y2M3DT4H5M6S", "1 year 2 mons 3 days 04:05:06")]
    [InlineData("1.5 hours", "01:30:00")]
    [InlineData("1.5 years", "1 year 6 mons")]
    [InlineData("1.5 months", "1 mon 15 days")]
    [InlineData("P1.5M", "1 mon 15 days")]
    [InlineData("1.5 weeks", "10 days 12:00:00")]
    public async Task IntervalsParseAndPrintAsPostgresDoes(string input, string expected)
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT $1::interval", connection) { AllResultTypesAreUnknown = true };
        select.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = input });
        Assert.Equal(expected, await select.ExecuteScalarAsync());
    }

    [Fact]
    public async Task AnIntervalOutOfRangeIs22015()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT '99999999999999 hours'::interval", connection);
        Assert.Equal("22015", (await Assert.ThrowsAsync<PostgresException>(() => select.ExecuteScalarAsync())).SqlState);
    }
}
