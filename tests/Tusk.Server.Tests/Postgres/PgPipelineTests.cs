using Npgsql;
using Xunit;

namespace Tusk.Server.Tests.Postgres;

/// <summary>
/// The extended protocol's implicit transaction: the statements a client sends before one Sync (an NpgsqlBatch)
/// commit together at the Sync, or not at all when one of them fails, as in PostgreSQL.
/// </summary>
public sealed class PgPipelineTests
{
    [Fact]
    public async Task BatchCommitsAtSyncOrRollsBackAsAWhole()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using (var ok = new NpgsqlBatch(connection))
        {
            ok.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO t VALUES (1, 'a')"));
            ok.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO t VALUES (2, 'b')"));
            Assert.Equal(2, await ok.ExecuteNonQueryAsync());
        }

        // The second statement fails: the first one's row is rolled back with it.
        await using (var failing = new NpgsqlBatch(connection))
        {
            failing.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO t VALUES (3, 'c')"));
            failing.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO t VALUES (1, 'duplicate')"));
            failing.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO t VALUES (4, 'd')"));
            var e = await Assert.ThrowsAsync<PostgresException>(() => failing.ExecuteNonQueryAsync());
            Assert.Equal("23505", e.SqlState);
        }
        await using (var count = new NpgsqlCommand("SELECT string_agg(id::text, ',' ORDER BY id) FROM t", connection))
        {
            Assert.Equal("1,2", await count.ExecuteScalarAsync());
        }

        // Inside an explicit transaction the batch's statements stay in it until COMMIT.
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO t VALUES (5, 'e')"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE t SET v = 'E' WHERE id = 5"));
            await batch.ExecuteNonQueryAsync();
            await tx.RollbackAsync();
        }
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM t", connection))
        {
            Assert.Equal(2L, await count.ExecuteScalarAsync());
        }

        // VACUUM is a statement of its own through the extended protocol too.
        await using (var vacuum = new NpgsqlCommand("VACUUM t", connection))
        {
            await vacuum.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task ABatchReadsItsOwnWrites()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE c (id int PRIMARY KEY, n int NOT NULL); INSERT INTO c VALUES (1, 0)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE c SET n = n + 1"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE c SET n = n + 1"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT n FROM c"));
        Assert.Equal(2, await batch.ExecuteScalarAsync());
        await using var other = await server.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT n FROM c", other);
        Assert.Equal(2, await read.ExecuteScalarAsync());
    }

    [Fact]
    public async Task AParseErrorInABatchRollsBackWhatRanBeforeIt()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE t (id int PRIMARY KEY)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO t VALUES (1)"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO missing VALUES (2)"));   // fails at Parse (binding)
            var e = await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());
            Assert.Equal("42P01", e.SqlState);
        }
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM t", connection))
        {
            Assert.Equal(0L, await count.ExecuteScalarAsync());
        }

        // In a transaction block, a Parse error aborts the block as any error does.
        await using var tx = await connection.BeginTransactionAsync();
        await using (var bad = new NpgsqlCommand("SELECT * FROM missing", connection, tx))
        {
            Assert.Equal("42P01", (await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteNonQueryAsync())).SqlState);
        }
        await using (var next = new NpgsqlCommand("SELECT 1", connection, tx))
        {
            Assert.Equal("25P02", (await Assert.ThrowsAsync<PostgresException>(() => next.ExecuteScalarAsync())).SqlState);
        }
        await tx.RollbackAsync();
    }

    [Fact]
    public async Task AFailedCopyLeavesTheSessionUsable()
    {
        await using var server = PgTestServer.Start();
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE t (id int PRIMARY KEY)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        var e = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var writer = await connection.BeginTextImportAsync("COPY t FROM STDIN");
            await writer.WriteAsync("1\n1\n");
        });
        Assert.Equal("23505", e.SqlState);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM t", connection);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ASyntaxErrorInABlockAbortsIt()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(PgWireClient.Query("BEGIN"));
            await client.ReadUntilReadyAsync();
            await client.SendAsync(PgWireClient.Query("SELEC 1"));
            var afterError = await client.ReadUntilReadyAsync();
            Assert.Equal("42601", Assert.Single(afterError, m => m.Type == 'E').SqlState);
            Assert.Equal((byte)'E', afterError[^1].Body.Single());   // ReadyForQuery: in a failed block
            await client.SendAsync(PgWireClient.Query("SELECT 1"));
            Assert.Equal("25P02", Assert.Single(await client.ReadUntilReadyAsync(), m => m.Type == 'E').SqlState);
            await client.SendAsync(PgWireClient.Query("ROLLBACK"));
            var rolledBack = await client.ReadUntilReadyAsync();
            Assert.Equal((byte)'I', rolledBack[^1].Body.Single());
        }
    }
}
