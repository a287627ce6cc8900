using Dapper;
using Npgsql;
using Xunit;

namespace Tusk.Server.Tests.Postgres;

/// <summary>
/// Dapper over Npgsql against a real server: rows mapped to classes and records with every common column type,
/// parameters from anonymous objects, Execute's affected-row counts, QueryMultiple, and list parameters, which
/// Dapper sends to PostgreSQL as one array parameter for = ANY.
/// </summary>
public sealed class DapperTests
{
    private const string Schema = """
        CREATE TABLE items (
            id int PRIMARY KEY,
            big bigint NOT NULL,
            name varchar(40) NOT NULL,
            price numeric(10,2) NOT NULL,
            active boolean NOT NULL,
            added timestamptz NOT NULL,
            tag uuid NOT NULL,
            note text,
            rating double precision
        )
        """;

    private static readonly DateTime Noon = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    public sealed class Item
    {
        public int Id { get; set; }

        public long Big { get; set; }

        public string Name { get; set; } = "";

        public decimal Price { get; set; }

        public bool Active { get; set; }

        public DateTime Added { get; set; }

        public Guid Tag { get; set; }

        public string? Note { get; set; }

        public double? Rating { get; set; }
    }

    public sealed record ItemSummary(int Id, string Name, decimal Price, string? Note);

    private static async Task<NpgsqlConnection> Setup(PgTestServer server)
    {
        var connection = await server.OpenAsync();
        await connection.ExecuteAsync(Schema);
        var rows = Enumerable.Range(1, 5).Select(i => new
        {
            Id = i,
            Big = 10_000_000_000L * i,
            Name = "item " + i,
            Price = i * 1.25m,
            Active = i % 2 == 1,
            Added = Noon.AddDays(i),
            Tag = new Guid(i, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]),
            Note = i == 3 ? null : "note " + i,
            Rating = i == 2 ? (double?)null : i / 2.0,
        });
        // A sequence of parameter objects runs the statement once per element; the counts add up.
        var inserted = await connection.ExecuteAsync(
            "INSERT INTO items (id, big, name, price, active, added, tag, note, rating) VALUES (@Id, @Big, @Name, @Price, @Active, @Added, @Tag, @Note, @Rating)",
            rows);
        Assert.Equal(5, inserted);
        return connection;
    }

    [Fact]
    public async Task QueryMapsEveryColumnTypeToClassesAndRecords()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await Setup(server);

        var items = (await connection.QueryAsync<Item>("SELECT * FROM items ORDER BY id")).ToList();
        Assert.Equal(5, items.Count);
        var third = items[2];
        Assert.Equal((3, 30_000_000_000L, "item 3", 3.75m, true), (third.Id, third.Big, third.Name, third.Price, third.Active));
        Assert.Equal(Noon.AddDays(3), third.Added);
        Assert.Equal(DateTimeKind.Utc, third.Added.Kind);
        Assert.Equal(new Guid(3, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]), third.Tag);
        Assert.Null(third.Note);
        Assert.Equal(1.5, third.Rating);
        Assert.Null(items[1].Rating);

        var summaries = (await connection.QueryAsync<ItemSummary>(
            "SELECT id, name, price, note FROM items WHERE active = @active AND price > @min ORDER BY price DESC",
            new { active = true, min = 1.5m })).ToList();
        Assert.Equal([new ItemSummary(5, "item 5", 6.25m, "note 5"), new ItemSummary(3, "item 3", 3.75m, null)], summaries);

        var one = await connection.QuerySingleAsync<Item>("SELECT * FROM items WHERE tag = @tag", new { tag = new Guid(4, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]) });
        Assert.Equal(4, one.Id);
        Assert.Null(await connection.QuerySingleOrDefaultAsync<Item>("SELECT * FROM items WHERE added < @before", new { before = Noon }));
        Assert.Equal(18.75m, await connection.ExecuteScalarAsync<decimal>("SELECT sum(price) FROM items"));
        Assert.Equal(5L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM items"));
        Assert.Equal(["item 1", "item 2"], await connection.QueryAsync<string>("SELECT name FROM items WHERE name LIKE @prefix ORDER BY id LIMIT @n", new { prefix = "item%", n = 2 }));

        // dynamic rows
        var row = await connection.QueryFirstAsync("SELECT id, name AS label FROM items ORDER BY id DESC");
        Assert.Equal(5, (int)row.id);
        Assert.Equal("item 5", (string)row.label);
    }

    [Fact]
    public async Task ExecuteReturnsAffectedRows()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await Setup(server);

        Assert.Equal(3, await connection.ExecuteAsync("UPDATE items SET price = price * 2 WHERE active = @active", new { active = true }));
        Assert.Equal(0, await connection.ExecuteAsync("UPDATE items SET note = @note WHERE id = @id", new { note = "x", id = 99 }));
        Assert.Equal(1, await connection.ExecuteAsync("DELETE FROM items WHERE note IS NULL"));
        Assert.Equal(2, await connection.ExecuteAsync("DELETE FROM items WHERE id = @id", new[] { new { id = 1 }, new { id = 2 } }));
        Assert.Equal([4, 5], await connection.QueryAsync<int>("SELECT id FROM items ORDER BY id"));
        Assert.Equal(12.50m, await connection.ExecuteScalarAsync<decimal>("SELECT price FROM items WHERE id = 5"));

        // Inside a transaction, with RETURNING.
        await using (var tx = await connection.BeginTransactionAsync())
        {
            var id = await connection.ExecuteScalarAsync<int>(
                "INSERT INTO items (id, big, name, price, active, added, tag) VALUES (@id, 0, 'new', 0, false, now(), @tag) RETURNING id",
                new { id = 6, tag = Guid.Empty }, tx);
            Assert.Equal(6, id);
            await tx.RollbackAsync();
        }
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT count(*)::int FROM items"));
    }

    [Fact]
    public async Task QueryMultipleReadsEachResultSet()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await Setup(server);

        await using var grid = await connection.QueryMultipleAsync(
            "SELECT count(*) FROM items WHERE active = @active; SELECT * FROM items WHERE id = @id; SELECT name FROM items WHERE id > @id ORDER BY id",
            new { active = false, id = 3 });
        Assert.Equal(2L, await grid.ReadSingleAsync<long>());
        Assert.Equal("item 3", (await grid.ReadSingleAsync<Item>()).Name);
        Assert.Equal(["item 4", "item 5"], await grid.ReadAsync<string>());
    }

    [Fact]
    public async Task ListParametersTravelAsArrays()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await Setup(server);

        // With Npgsql, Dapper sends a list as one array parameter instead of expanding IN @ids (PostgreSQL has no
        // `IN $1`): the query says = ANY (@ids).
        var syntax = await Assert.ThrowsAsync<PostgresException>(() => connection.QueryAsync<int>("SELECT id FROM items WHERE id IN @ids", new { ids = new[] { 1 } }));
        Assert.Equal(("42601", "syntax error at or near \"$1\""), (syntax.SqlState, syntax.MessageText));
        // = ANY (@ids) sends one int4[] parameter.
        Assert.Equal([2, 5], await connection.QueryAsync<int>("SELECT id FROM items WHERE id = ANY (@ids) ORDER BY id", new { ids = new[] { 5, 2, 42 } }));
        Assert.Empty(await connection.QueryAsync<int>("SELECT id FROM items WHERE id = ANY (@ids)", new { ids = Array.Empty<int>() }));
        Assert.Equal([1, 3, 5], await connection.QueryAsync<int>("SELECT id FROM items WHERE NOT (id = ANY (@ids)) ORDER BY id", new { ids = new[] { 2, 4 } }));
        Assert.Equal(["item 3"], await connection.QueryAsync<string>("SELECT name FROM items WHERE name = ANY (@names)", new { names = new List<string> { "item 3", "nothing" } }));
        Assert.Equal(3, await connection.ExecuteAsync("UPDATE items SET rating = 0 WHERE tag = ANY (@tags) OR id = ANY (@ids)",
            new { tags = new[] { new Guid(1, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]) }, ids = new long[] { 2, 3 } }));
    }
}
