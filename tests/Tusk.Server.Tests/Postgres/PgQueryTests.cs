using System.Buffers.Binary;
using Npgsql;
using NpgsqlTypes;
using Xunit;

namespace Tusk.Server.Tests.Postgres;

/// <summary>
/// Queries through the server: the simple protocol (batches, errors, empty queries), the extended protocol
/// byte by byte (named statements, portals paged with a row limit, errors skipping to Sync, binary formats), and
/// Npgsql with parameters and prepared statements, every type in binary, and COPY.
/// </summary>
public sealed class PgQueryTests
{
    private const string CreateTable = "CREATE TABLE t (a int primary key, b text)";

    [Fact]
    public async Task SimpleQueryRunsEachStatementOfTheBatch()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(PgWireClient.Query(CreateTable + "; INSERT INTO t VALUES (1,'x'), (2, NULL); SELECT a, b FROM t ORDER BY a"));
            var messages = await client.ReadUntilReadyAsync();
            Assert.Equal(["C CREATE TABLE", "C INSERT 0 2"], messages.Where(m => m.Type == 'C').Take(2).Select(m => m.ToString()));
            var description = messages.Single(m => m.Type == 'T');
            Assert.Equal([("a", 23, (short)0), ("b", 25, (short)0)], description.Fields);
            Assert.Equal(["1|x", "2|NULL"], messages.Where(m => m.Type == 'D').Select(m => m.Text));
            Assert.Equal("SELECT 2", messages.Last(m => m.Type == 'C').Tag);
            Assert.Equal((byte)'I', messages[^1].Body.Single());
        }
    }

    [Fact]
    public async Task SimpleQueryStopsAtTheFirstError()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(PgWireClient.Query("SELECT 1; SELECT * FROM missing; SELECT 2"));
            var messages = await client.ReadUntilReadyAsync();
            Assert.Equal("1", Assert.Single(messages, m => m.Type == 'D').Text);
            var error = Assert.Single(messages, m => m.Type == 'E');
            Assert.Equal("42P01", error.SqlState);
            Assert.Equal("ERROR", error.Field('S'));
            Assert.Equal('Z', messages[^1].Type);

            await client.SendAsync(PgWireClient.Query("SELECT * FROM missing"));
            var positioned = Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
            Assert.Equal("15", positioned.Field('P'));  // 1-based on the wire: "missing" starts at character 15

            await client.SendAsync(PgWireClient.Query("SELEC 1"));
            var syntax = Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E');
            Assert.Equal("42601", syntax.SqlState);
        }
    }

    [Fact]
    public async Task EmptyQueryGetsEmptyQueryResponse()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(PgWireClient.Query(""));
            var messages = await client.ReadUntilReadyAsync();
            Assert.Equal(['I', 'Z'], messages.Select(m => m.Type));
        }
    }

    [Fact]
    public async Task ExtendedProtocolNamedStatementAndPortalPagedByMaxRows()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(PgWireClient.Query(CreateTable + "; INSERT INTO t VALUES (1,'x'), (2,'y'), (3,'z')"));
            Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

            await client.SendAsync(
                PgWireClient.Parse("s1", "SELECT a, b FROM t WHERE a >= $1 ORDER BY a", 23),
                PgWireClient.Describe('S', "s1"),
                PgWireClient.Bind("p1", "s1", [], [PgWireClient.Text("1")], []),
                PgWireClient.Describe('P', "p1"),
                PgWireClient.Execute("p1", 2),
                PgWireClient.Execute("p1", 2),
                PgWireClient.Execute("p1", 2),
                PgWireClient.Sync());
            var messages = await client.ReadUntilReadyAsync();
            Assert.Equal("1 t T 2 T D D s D C C Z", string.Join(" ", messages.Select(m => m.Type)));
            Assert.Equal([23], messages[1].ParameterOids);
            Assert.Equal([("a", 23, (short)0), ("b", 25, (short)0)], messages[2].Fields);
            Assert.Equal("1|x", messages[5].Text);
            Assert.Equal("2|y", messages[6].Text);
            Assert.Equal("3|z", messages[8].Text);
            Assert.Equal("SELECT 1", messages[9].Tag);  // the last piece's rows, as PostgreSQL reports them
            Assert.Equal("SELECT 0", messages[10].Tag);

            // The named statement outlives the Sync; a second Parse of the same name is 42P05.
            await client.SendAsync(
                PgWireClient.Bind("", "s1", [], [PgWireClient.Text("3")], []),
                PgWireClient.Execute("", 0),
                PgWireClient.Sync());
            messages = await client.ReadUntilReadyAsync();
            Assert.Equal("2 D C Z", string.Join(" ", messages.Select(m => m.Type)));
            Assert.Equal("SELECT 1", messages[2].Tag);

            await client.SendAsync(PgWireClient.Parse("s1", "SELECT 1"), PgWireClient.Sync());
            messages = await client.ReadUntilReadyAsync();
            Assert.Equal("42P05", Assert.Single(messages, m => m.Type == 'E').SqlState);

            // Closed, it can be prepared again.
            await client.SendAsync(PgWireClient.Close('S', "s1"), PgWireClient.Parse("s1", "SELECT 1"), PgWireClient.Sync());
            Assert.Equal("3 1 Z", string.Join(" ", (await client.ReadUntilReadyAsync()).Select(m => m.Type)));
        }
    }

    [Fact]
    public async Task StatementWithoutRowsDescribesAsNoData()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(PgWireClient.Query(CreateTable));
            await client.ReadUntilReadyAsync();
            await client.SendAsync(
                PgWireClient.Parse("", "INSERT INTO t VALUES ($1, $2)", 23, 25),
                PgWireClient.Describe('S', ""),
                PgWireClient.Bind("", "", [], [PgWireClient.Text("7"), PgWireClient.Text("seven")], []),
                PgWireClient.Execute("", 0),
                PgWireClient.Sync());
            var messages = await client.ReadUntilReadyAsync();
            Assert.Equal("1 t n 2 C Z", string.Join(" ", messages.Select(m => m.Type)));
            Assert.Equal("INSERT 0 1", messages[4].Tag);
        }
    }

    [Fact]
    public async Task AnErrorDiscardsMessagesUntilSync()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(
                PgWireClient.Parse("", "SELECT * FROM missing"),
                PgWireClient.Bind("", "", [], [], []),
                PgWireClient.Execute("", 0),
                PgWireClient.Parse("", "SELECT 1"),
                PgWireClient.Sync());
            var messages = await client.ReadUntilReadyAsync();
            Assert.Equal("E Z", string.Join(" ", messages.Select(m => m.Type)));
            Assert.Equal("42P01", messages[0].SqlState);

            // An unknown portal or statement, and a wrong parameter count, likewise.
            await client.SendAsync(PgWireClient.Execute("nope", 0), PgWireClient.Bind("", "", [], [], []), PgWireClient.Sync());
            messages = await client.ReadUntilReadyAsync();
            Assert.Equal("E Z", string.Join(" ", messages.Select(m => m.Type)));
            Assert.Equal("34000", messages[0].SqlState);

            await client.SendAsync(
                PgWireClient.Parse("", "SELECT $1::int"),
                PgWireClient.Bind("", "", [], [], []),
                PgWireClient.Sync());
            messages = await client.ReadUntilReadyAsync();
            Assert.Equal("1 E Z", string.Join(" ", messages.Select(m => m.Type)));
            Assert.Equal("08P01", messages[1].SqlState);

            // A bad parameter value is the statement's error (22P02), not the connection's.
            await client.SendAsync(
                PgWireClient.Parse("", "SELECT $1::int"),
                PgWireClient.Bind("", "", [], [PgWireClient.Text("x")], []),
                PgWireClient.Execute("", 0),
                PgWireClient.Sync());
            messages = await client.ReadUntilReadyAsync();
            Assert.Equal("1 E Z", string.Join(" ", messages.Select(m => m.Type)));
            Assert.Equal("22P02", messages[1].SqlState);

            // And afterwards everything works.
            await client.SendAsync(
                PgWireClient.Parse("", "SELECT 1"),
                PgWireClient.Bind("", "", [], [], []),
                PgWireClient.Execute("", 0),
                PgWireClient.Sync());
            messages = await client.ReadUntilReadyAsync();
            Assert.Equal("1 2 D C Z", string.Join(" ", messages.Select(m => m.Type)));
        }
    }

    [Fact]
    public async Task BinaryParametersAndResultsOnTheWire()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(PgWireClient.Query(CreateTable + "; INSERT INTO t VALUES (1,'x')"));
            await client.ReadUntilReadyAsync();
            await client.SendAsync(
                PgWireClient.Parse("", "SELECT a, b FROM t WHERE a = $1", 23),
                PgWireClient.Bind("", "", [1], [PgWireClient.Int32(1)], [1, 0]),
                PgWireClient.Describe('P', ""),
                PgWireClient.Execute("", 0),
                PgWireClient.Sync());
            var messages = await client.ReadUntilReadyAsync();
            Assert.Equal("1 2 T D C Z", string.Join(" ", messages.Select(m => m.Type)));
            Assert.Equal([("a", 23, (short)1), ("b", 25, (short)0)], messages[2].Fields);
            var values = messages[3].Values;
            Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(values[0]));
            Assert.Equal("x"u8.ToArray(), values[1]);

            // A binary int4 of the wrong length is 22P03.
            await client.SendAsync(
                PgWireClient.Parse("", "SELECT a FROM t WHERE a = $1", 23),
                PgWireClient.Bind("", "", [1], [[0, 1]], []),
                PgWireClient.Sync());
            messages = await client.ReadUntilReadyAsync();
            Assert.Equal("22P03", Assert.Single(messages, m => m.Type == 'E').SqlState);
        }
    }

    [Fact]
    public async Task NpgsqlParametersAndPreparedStatements()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand(CreateTable, connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using (var insert = new NpgsqlCommand("INSERT INTO t VALUES ($1, $2)", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = 0 });
            insert.Parameters.Add(new NpgsqlParameter { Value = "" });
            await insert.PrepareAsync();
            for (var i = 1; i <= 5; i++)
            {
                insert.Parameters[0].Value = i;
                insert.Parameters[1].Value = "v" + i;
                Assert.Equal(1, await insert.ExecuteNonQueryAsync());
            }
        }
        await using var select = new NpgsqlCommand("SELECT a, b FROM t WHERE a = $1", connection);
        select.Parameters.Add(new NpgsqlParameter { Value = 3 });
        await using (var reader = await select.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(3, reader.GetInt32(0));
            Assert.Equal("v3", reader.GetString(1));
            Assert.False(await reader.ReadAsync());
        }
        var duplicate = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var again = new NpgsqlCommand("INSERT INTO t VALUES (1, 'dup')", connection);
            await again.ExecuteNonQueryAsync();
        });
        Assert.Equal("23505", duplicate.SqlState);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM t", connection);
        Assert.Equal(5L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task EveryTypeRoundTripsInBinaryThroughNpgsql()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand(
            "CREATE TABLE types (id int primary key, i2 smallint, i8 bigint, b boolean, f4 real, f8 double precision, " +
            "n numeric(12,3), t text, v varchar(10), c char(3), by bytea, d date, tm time, ts timestamp, tz timestamptz, " +
            "u uuid, j jsonb, iv interval)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        var values = new (NpgsqlDbType Type, object Value)[]
        {
            (NpgsqlDbType.Smallint, (short)-12),
            (NpgsqlDbType.Bigint, long.MaxValue),
            (NpgsqlDbType.Boolean, true),
            (NpgsqlDbType.Real, 1.5f),
            (NpgsqlDbType.Double, -0.1),
            (NpgsqlDbType.Numeric, 123456789.125m),
            (NpgsqlDbType.Text, "héllo ☃"),
            (NpgsqlDbType.Varchar, "short"),
            (NpgsqlDbType.Char, "ab "),
            (NpgsqlDbType.Bytea, new byte[] { 0, 1, 2, 255 }),
            (NpgsqlDbType.Date, new DateOnly(2024, 2, 29)),
            (NpgsqlDbType.Time, new TimeOnly(13, 14, 15, 123)),
            (NpgsqlDbType.Timestamp, new DateTime(1999, 12, 31, 23, 59, 59, 500, DateTimeKind.Unspecified)),
            (NpgsqlDbType.TimestampTz, new DateTime(2024, 6, 1, 12, 0, 0, DateTimeKind.Utc)),
            (NpgsqlDbType.Uuid, new Guid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
            (NpgsqlDbType.Jsonb, "{\"a\": 1}"),
            (NpgsqlDbType.Interval, new NpgsqlInterval(14, 3, 4_000_000)),
        };
        var placeholders = string.Join(", ", Enumerable.Range(2, values.Length).Select(i => "$" + i));
        await using (var insert = new NpgsqlCommand($"INSERT INTO types VALUES ($1, {placeholders})", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = 1 });
            foreach (var (type, value) in values) insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = type, Value = value });
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }
        await using var select = new NpgsqlCommand("SELECT i2, i8, b, f4, f8, n, t, v, c, by, d, tm, ts, tz, u, j, iv FROM types WHERE id = $1", connection);
        select.Parameters.Add(new NpgsqlParameter { Value = 1 });
        await using var reader = await select.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((short)-12, reader.GetInt16(0));
        Assert.Equal(long.MaxValue, reader.GetInt64(1));
        Assert.True(reader.GetBoolean(2));
        Assert.Equal(1.5f, reader.GetFloat(3));
        Assert.Equal(-0.1, reader.GetDouble(4));
        Assert.Equal(123456789.125m, reader.GetDecimal(5));
        Assert.Equal("héllo ☃", reader.GetString(6));
        Assert.Equal("short", reader.GetString(7));
        Assert.Equal("ab ", reader.GetString(8));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, reader.GetFieldValue<byte[]>(9));
        Assert.Equal(new DateOnly(2024, 2, 29), reader.GetFieldValue<DateOnly>(10));
        Assert.Equal(new TimeOnly(13, 14, 15, 123), reader.GetFieldValue<TimeOnly>(11));
        Assert.Equal(new DateTime(1999, 12, 31, 23, 59, 59, 500), reader.GetDateTime(12));
        var tz = reader.GetFieldValue<DateTime>(13);
        Assert.Equal(new DateTime(2024, 6, 1, 12, 0, 0, DateTimeKind.Utc), tz);
        Assert.Equal(DateTimeKind.Utc, tz.Kind);
        Assert.Equal(new Guid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), reader.GetGuid(14));
        Assert.Equal("{\"a\": 1}", reader.GetString(15));
        Assert.Equal(new NpgsqlInterval(14, 3, 4_000_000), reader.GetFieldValue<NpgsqlInterval>(16));
    }

    [Fact]
    public async Task CopyInAndOutThroughNpgsql()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand(CreateTable, connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using (var writer = await connection.BeginTextImportAsync("COPY t (a, b) FROM STDIN"))
        {
            for (var i = 1; i <= 1000; i++) await writer.WriteAsync($"{i}\trow {i}\n");
        }
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM t", connection))
        {
            Assert.Equal(1000L, await count.ExecuteScalarAsync());
        }
        using (var reader = await connection.BeginTextExportAsync("COPY t TO STDOUT"))
        {
            var text = await reader.ReadToEndAsync();
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(1000, lines.Length);
            Assert.Contains("500\trow 500", lines);
        }

        // A client that gives up mid-COPY (CopyFail) leaves nothing behind.
        var writerFailed = await connection.BeginTextImportAsync("COPY t (a, b) FROM STDIN");
        await writerFailed.WriteAsync("2001\tlost\n");
        try
        {
            await writerFailed.CancelAsync();
        }
        catch (PostgresException e) when (e.SqlState == "57014")
        {
            // Npgsql may surface the server's answer to CopyFail.
        }
        try
        {
            await writerFailed.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // The cancelled COPY already ended the stream; the writer's final flush has nowhere to go.
        }
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM t WHERE a > 2000", connection))
        {
            Assert.Equal(0L, await count.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task LargeResultsStreamOut()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var setup = new NpgsqlCommand(
            CreateTable + "; INSERT INTO t VALUES " + string.Join(",", Enumerable.Range(1, 2000).Select(i => $"({i}, '{new string('x', 200)}')")), connection))
        {
            await setup.ExecuteNonQueryAsync();
        }
        await using var select = new NpgsqlCommand("SELECT a, b FROM t", connection);
        await using var reader = await select.ExecuteReaderAsync();
        var rows = 0;
        while (await reader.ReadAsync())
        {
            Assert.Equal(200, reader.GetString(1).Length);
            rows++;
        }
        Assert.Equal(2000, rows);  // ~400 KiB, sent in many 32 KiB flushes
    }
}
