using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>
/// SQL shapes that EF Core (Npgsql.EntityFrameworkCore.PostgreSQL) and Dapper send, each reduced to the engine feature it
/// needs. The end-to-end runs through the wire are in Tusk.Server.Tests (EfCoreTests, DapperTests).
/// </summary>
public sealed class OrmSqlTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void ArrayParametersDeclaredByTheClientCompareElementwise()
    {
        _db.Run("CREATE TABLE c (id int PRIMARY KEY, name text)");
        _db.Run("INSERT INTO c VALUES (1, 'Ada'), (2, 'Bob'), (3, 'Cy')");
        // EF Core's Contains over a list: = ANY (@p) with a text[] parameter (OID 1009), bound as its text form.
        var byName = _db.Session.Prepare("SELECT id FROM c WHERE name = ANY ($1) ORDER BY id", [1009]);
        Assert.Equal("1\n3", SqlTestDatabase.Text(_db.Session.Execute(byName, ["{Ada,Cy}"])));
        var byId = _db.Session.Prepare("SELECT name FROM c WHERE id <> ALL ($1) ORDER BY id", [1007]);
        Assert.Equal("Bob", SqlTestDatabase.Text(_db.Session.Execute(byId, ["{1,3}"])));
        Assert.Equal("", SqlTestDatabase.Text(_db.Session.Execute(byName, ["{}"])));
    }
}
