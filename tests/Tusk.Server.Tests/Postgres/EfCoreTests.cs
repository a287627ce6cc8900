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

    [Fact]
    public async Task SaveChangesInsertsUpdatesAndDeletesWithGeneratedKeys()
    {
        await using var server = PgTestServer.Start();
        await using (var context = Context(server)) await context.Database.MigrateAsync();

        int adaId, orderId;
        await using (var context = Context(server))
        {
            var ada = new Customer { Name = "Ada", Email = "ada@example.com", IsActive = true, CreatedAt = Epoch };
            var bob = new Customer { Name = "Bob", Email = "bob@example.com", Note = "pays late", CreatedAt = Epoch.AddDays(1) };
            var order = new Order { Customer = ada, PlacedAt = Epoch.AddHours(5), Total = 12.50m };
            order.Lines.Add(new OrderLine { Product = "tea", Quantity = 2, UnitPrice = 2.25m, BatchId = Guid.Parse("5f1e6a7c-0d4b-4c1e-9a55-3f0b6a1d2e3f") });
            order.Lines.Add(new OrderLine { Product = "cake", Quantity = 1, UnitPrice = 8.00m });
            context.AddRange(ada, bob, order);
            Assert.Equal(5, await context.SaveChangesAsync());
            // The identity columns' values came back through RETURNING.
            Assert.True(ada.Id > 0 && bob.Id > ada.Id);
            Assert.True(order.Id > 0);
            Assert.Equal(ada.Id, order.CustomerId);
            Assert.All(order.Lines, l => Assert.True(l.Id > 0 && l.OrderId == order.Id));
            adaId = ada.Id;
            orderId = order.Id;
        }

        await using (var context = Context(server))
        {
            var ada = await context.Customers.Include(c => c.Orders).ThenInclude(o => o.Lines).SingleAsync(c => c.Id == adaId);
            Assert.Equal("Ada", ada.Name);
            Assert.True(ada.IsActive);
            Assert.Null(ada.Note);
            Assert.Equal(Epoch, ada.CreatedAt);
            Assert.Equal(DateTimeKind.Utc, ada.CreatedAt.Kind);
            var order = Assert.Single(ada.Orders);
            Assert.Equal(12.50m, order.Total);
            Assert.Null(order.ShippedAt);
            Assert.Equal(["cake", "tea"], order.Lines.Select(l => l.Product).Order());
            Assert.Equal(Guid.Parse("5f1e6a7c-0d4b-4c1e-9a55-3f0b6a1d2e3f"), order.Lines.Single(l => l.Product == "tea").BatchId);

            ada.Note = "first customer";
            ada.Version++;
            order.ShippedAt = Epoch.AddDays(2);
            order.Lines.Single(l => l.Product == "cake").Quantity = 3;
            context.OrderLines.Remove(order.Lines.Single(l => l.Product == "tea"));
            Assert.Equal(4, await context.SaveChangesAsync());
        }

        await using (var context = Context(server))
        {
            var order = await context.Orders.AsNoTracking().Include(o => o.Lines).Include(o => o.Customer).SingleAsync(o => o.Id == orderId);
            Assert.Equal(Epoch.AddDays(2), order.ShippedAt);
            Assert.Equal("first customer", order.Customer.Note);
            Assert.Equal(3, Assert.Single(order.Lines).Quantity);

            // A unique index violation surfaces as PostgreSQL's 23505.
            context.Customers.Add(new Customer { Name = "Impostor", Email = "ada@example.com", CreatedAt = Epoch });
            var duplicate = await Assert.ThrowsAsync<DbUpdateException>(() => context.SaveChangesAsync());
            var unique = Assert.IsType<PostgresException>(duplicate.InnerException);
            Assert.Equal(("23505", "IX_Customers_Email", "Customers"), (unique.SqlState, unique.ConstraintName, unique.TableName));
        }

        await using (var context = Context(server))
        {
            // The database enforces the foreign key: an order for a customer that does not exist is 23503.
            context.Orders.Add(new Order { CustomerId = 999, PlacedAt = Epoch, Total = 1m });
            var orphan = await Assert.ThrowsAsync<DbUpdateException>(() => context.SaveChangesAsync());
            var error = Assert.IsType<PostgresException>(orphan.InnerException);
            Assert.Equal(("23503", "FK_Orders_Customers_CustomerId"), (error.SqlState, error.ConstraintName));
        }

        await using (var context = Context(server))
        {
            var bob = await context.Customers.SingleAsync(c => c.Name == "Bob");
            var order = new Order { CustomerId = bob.Id, PlacedAt = Epoch, Total = 3m };
            order.Lines.Add(new OrderLine { Product = "jam", Quantity = 1, UnitPrice = 3m });
            context.Orders.Add(order);
            await context.SaveChangesAsync();
        }

        await using (var context = Context(server))
        {
            // Deleting a customer whose orders were not loaded: the database's ON DELETE CASCADE removes the orders
            // and, through the next foreign key, their lines.
            var bob = await context.Customers.SingleAsync(c => c.Name == "Bob");
            context.Customers.Remove(bob);
            await context.SaveChangesAsync();
            Assert.Equal(["Ada"], await context.Customers.Select(c => c.Name).ToListAsync());
            Assert.Equal([orderId], await context.Orders.Select(o => o.Id).ToListAsync());
            Assert.Equal(["cake"], await context.OrderLines.Select(l => l.Product).ToListAsync());
        }
    }

    [Fact]
    public async Task AConcurrencyTokenDetectsALostUpdate()
    {
        await using var server = PgTestServer.Start();
        await using (var context = Context(server))
        {
            await context.Database.MigrateAsync();
            context.Customers.Add(new Customer { Name = "Ada", Email = "ada@example.com", CreatedAt = Epoch });
            await context.SaveChangesAsync();
        }

        await using var first = Context(server);
        await using var second = Context(server);
        var mine = await first.Customers.SingleAsync();
        var theirs = await second.Customers.SingleAsync();
        mine.Note = "mine";
        mine.Version++;
        await first.SaveChangesAsync();
        theirs.Note = "theirs";
        theirs.Version++;
        // EF Core's UPDATE ... WHERE "Version" = @old matched no row: the other context's change is not lost.
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync());

        await using var check = Context(server);
        var stored = await check.Customers.AsNoTracking().SingleAsync();
        Assert.Equal(("mine", 1), (stored.Note, stored.Version));
    }

    [Fact]
    public async Task LinqQueriesTranslateAndRun()
    {
        await using var server = PgTestServer.Start();
        await using (var context = Context(server))
        {
            await context.Database.MigrateAsync();
            await Seed(context);
        }

        await using var db = Context(server);

        // Where, OrderBy, string Contains/StartsWith/EndsWith, bool and null tests.
        Assert.Equal(["Ada", "Alan"], await db.Customers.Where(c => c.Name.StartsWith("A")).OrderBy(c => c.Name).Select(c => c.Name).ToListAsync());
        Assert.Equal(["Grace"], await db.Customers.Where(c => c.Email.Contains("navy")).Select(c => c.Name).ToListAsync());
        Assert.Equal(["Linus"], await db.Customers.Where(c => c.Email.EndsWith(".fi")).Select(c => c.Name).ToListAsync());
        Assert.Equal(["Alan", "Grace"], await db.Customers.Where(c => c.IsActive && c.Note != null).OrderBy(c => c.Name).Select(c => c.Name).ToListAsync());
        var pattern = "ra";
        Assert.Equal(["Grace"], await db.Customers.Where(c => c.Name.Contains(pattern)).Select(c => c.Name).ToListAsync());
        Assert.Equal(["Linus", "Grace"], await db.Customers.Where(c => c.CreatedAt > Epoch.AddDays(1)).OrderByDescending(c => c.CreatedAt).Select(c => c.Name).ToListAsync());

        // Paging with Skip/Take (LIMIT/OFFSET parameters), Count, Any, First, Max.
        var page = await db.Customers.OrderBy(c => c.Id).Skip(1).Take(2).Select(c => c.Name).ToListAsync();
        Assert.Equal(["Grace", "Alan"], page);
        Assert.Equal(4, await db.Customers.CountAsync());
        Assert.Equal(2L, await db.Orders.LongCountAsync(o => o.ShippedAt == null));
        Assert.True(await db.Orders.AnyAsync(o => o.Total > 100m));
        Assert.False(await db.Customers.AnyAsync(c => c.Name == "Nobody"));
        Assert.Equal("Linus", (await db.Customers.OrderByDescending(c => c.CreatedAt).FirstAsync()).Name);
        Assert.Equal(150.00m, await db.Orders.MaxAsync(o => o.Total));

        // Include and an explicit join.
        var withOrders = await db.Customers.Include(c => c.Orders).Where(c => c.Orders.Count > 0).OrderBy(c => c.Name).ToListAsync();
        Assert.Equal([("Ada", 2), ("Grace", 1), ("Linus", 1)], withOrders.Select(c => (c.Name, c.Orders.Count)));
        var joined = await (from o in db.Orders
                            join c in db.Customers on o.CustomerId equals c.Id
                            where o.Total >= 20m
                            orderby o.Total
                            select new { c.Name, o.Total }).ToListAsync();
        Assert.Equal([("Ada", 20.00m), ("Linus", 42.42m), ("Grace", 150.00m)], joined.Select(j => (j.Name, j.Total)));

        // GroupBy with Count and Sum, over a join.
        var totals = await db.Orders.GroupBy(o => o.Customer.Name)
            .Select(g => new { Name = g.Key, Count = g.Count(), Sum = g.Sum(o => o.Total) })
            .OrderBy(g => g.Name).ToListAsync();
        Assert.Equal([("Ada", 2, 30.00m), ("Grace", 1, 150.00m), ("Linus", 1, 42.42m)], totals.Select(t => (t.Name, t.Count, t.Sum)));
        var quantities = await db.OrderLines.GroupBy(l => l.Product).Where(g => g.Sum(l => l.Quantity) > 2)
            .Select(g => new { g.Key, Quantity = g.Sum(l => l.Quantity) }).OrderBy(g => g.Key).ToListAsync();
        Assert.Equal([("tea", 5)], quantities.Select(q => (q.Key, q.Quantity)));

        // A correlated subquery in the projection and an EXISTS in the filter.
        var lineCounts = await db.Orders.OrderBy(o => o.Id).Select(o => new { o.Id, Lines = o.Lines.Count, Value = o.Lines.Sum(l => l.Quantity * l.UnitPrice) }).ToListAsync();
        Assert.Equal([2, 1, 0, 1], lineCounts.Select(l => l.Lines));
        Assert.Equal(8.50m, lineCounts[0].Value);
        Assert.Equal(["Ada", "Linus"], await db.Customers.Where(c => c.Orders.Any(o => o.Lines.Any(l => l.Product == "tea" || l.Product == "coffee"))).OrderBy(c => c.Name).Select(c => c.Name).ToListAsync());

        // Contains over a local list (= ANY of an array parameter).
        var wanted = new[] { "Ada", "Linus" };
        Assert.Equal(2, await db.Customers.CountAsync(c => wanted.Contains(c.Name)));

        // Nullable columns in projections and ordering (NULLS FIRST/LAST), and a conditional.
        var shipped = await db.Orders.OrderBy(o => o.ShippedAt).ThenBy(o => o.Id).Select(o => new { o.Id, o.ShippedAt, Late = o.ShippedAt == null ? "open" : "done" }).ToListAsync();
        Assert.Equal(["done", "done", "open", "open"], shipped.Select(s => s.Late));

        // Bulk updates and deletes without loading entities.
        Assert.Equal(2, await db.Customers.Where(c => c.Note == null).ExecuteUpdateAsync(u => u.SetProperty(c => c.Note, c => "no note for " + c.Name)));
        Assert.Equal("no note for Linus", await db.Customers.Where(c => c.Name == "Linus").Select(c => c.Note).SingleAsync());
        Assert.Equal(1, await db.OrderLines.Where(l => l.Product == "scone").ExecuteDeleteAsync());
        Assert.Equal(3, await db.OrderLines.CountAsync());
    }

    private static async Task Seed(ShopContext db)
    {
        var ada = new Customer { Name = "Ada", Email = "ada@example.com", IsActive = true, CreatedAt = Epoch };
        var grace = new Customer { Name = "Grace", Email = "grace@navy.mil", IsActive = true, Note = "admiral", CreatedAt = Epoch.AddDays(2) };
        var alan = new Customer { Name = "Alan", Email = "alan@example.org", IsActive = true, Note = "codes", CreatedAt = Epoch.AddDays(1) };
        var linus = new Customer { Name = "Linus", Email = "linus@kernel.fi", CreatedAt = Epoch.AddDays(3) };
        db.AddRange(ada, grace, alan, linus);
        await db.SaveChangesAsync();
        var first = new Order { Customer = ada, PlacedAt = Epoch.AddDays(4), Total = 10.00m, ShippedAt = Epoch.AddDays(5) };
        first.Lines.Add(new OrderLine { Product = "tea", Quantity = 2, UnitPrice = 2.25m });
        first.Lines.Add(new OrderLine { Product = "scone", Quantity = 1, UnitPrice = 4.00m });
        var second = new Order { Customer = ada, PlacedAt = Epoch.AddDays(6), Total = 20.00m };
        second.Lines.Add(new OrderLine { Product = "tea", Quantity = 3, UnitPrice = 2.25m });
        var third = new Order { Customer = grace, PlacedAt = Epoch.AddDays(7), Total = 150.00m, ShippedAt = Epoch.AddDays(8) };
        var fourth = new Order { Customer = linus, PlacedAt = Epoch.AddDays(9), Total = 42.42m };
        fourth.Lines.Add(new OrderLine { Product = "coffee", Quantity = 1, UnitPrice = 42.42m });
        db.AddRange(first, second, third, fourth);
        await db.SaveChangesAsync();
    }
}
