using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Tusk.Server.Tests.Postgres;

/// <summary>
/// EF Core (Npgsql.EntityFrameworkCore.PostgreSQL) against a real server: a hand-written migration applied with
/// Migrate, then SaveChanges (generated keys, updates, deletes, an optimistic concurrency token) and LINQ queries
/// translated to PostgreSQL SQL.
/// </summary>
public sealed class EfCoreTests(ITestOutputHelper output)
{
    private static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private ShopContext Context(PgTestServer server) => new(server.ConnectionString(), output.WriteLine);

    [Fact]
    public async Task MigrateCreatesTheSchemaOnceAndRecordsTheHistory()
    {
        await using var server = PgTestServer.Start();
        await using (var context = Context(server))
        {
            Assert.Equal(["20260101000000_Initial"], context.Database.GetPendingMigrations());
            context.Database.Migrate();
            Assert.Empty(context.Database.GetPendingMigrations());
            Assert.Equal(["20260101000000_Initial"], context.Database.GetAppliedMigrations());
        }
        await using (var again = Context(server))
        {
            // The second run finds the history row and changes nothing.
            await again.Database.MigrateAsync();
            Assert.Equal(["20260101000000_Initial"], await again.Database.GetAppliedMigrationsAsync());
        }

        await using var connection = await server.OpenAsync();
        await using (var history = new NpgsqlCommand("""SELECT "MigrationId", "ProductVersion" FROM "__EFMigrationsHistory" """, connection))
        await using (var reader = await history.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal("20260101000000_Initial", reader.GetString(0));
            Assert.StartsWith("10.", reader.GetString(1));
            Assert.False(await reader.ReadAsync());
        }
        await using var tables = new NpgsqlCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name", connection);
        var names = new List<string>();
        await using (var reader = await tables.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        }
        Assert.Equal(["Customers", "OrderLines", "Orders", "__EFMigrationsHistory"], names);
    }
}
