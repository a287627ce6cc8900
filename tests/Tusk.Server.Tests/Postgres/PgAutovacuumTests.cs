using Npgsql;
using Tusk.Server.Postgres;
using Xunit;

namespace Tusk.Server.Tests.Postgres;

/// <summary>The server's autovacuum removes the versions updates leave behind, and leaves an idle database alone.</summary>
public sealed class PgAutovacuumTests
{
    [Fact]
    public async Task AutovacuumRemovesDeadVersionsAfterEnoughCommits()
    {
        await using var server = PgTestServer.Start(new PgServerOptions { AutovacuumNaptime = TimeSpan.FromMilliseconds(200) });
        await using var connection = await server.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        // Idle: no pass runs while fewer than the threshold of transactions committed.
        await Task.Delay(600);
        Assert.DoesNotContain("autovacuum", server.Logs);
        await using (var update = new NpgsqlCommand("UPDATE counter SET n = n + 1 WHERE id = 1", connection))
        {
            await update.PrepareAsync();
            for (var i = 0; i < Autovacuum.CommitsThreshold + 50; i++) await update.ExecuteNonQueryAsync();
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!server.Logs.Contains("autovacuum removed", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Matches(@"autovacuum removed (\d{4,}) of", server.Logs);
        await using var read = new NpgsqlCommand("SELECT n FROM counter", connection);
        Assert.Equal((int)Autovacuum.CommitsThreshold + 50, await read.ExecuteScalarAsync());
    }
}
