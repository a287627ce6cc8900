using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>VACUUM and ANALYZE through the session API.</summary>
public sealed class MaintenanceTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void VacuumRemovesDeadVersionsAndKeepsRows()
    {
        _db.Run("CREATE TABLE acc (id int PRIMARY KEY, balance int NOT NULL)");
        _db.Run("INSERT INTO acc SELECT g, 0 FROM generate_series(1, 50) g");
        for (var i = 0; i < 5; i++) _db.Run("UPDATE acc SET balance = balance + 1");
        _db.Run("DELETE FROM acc WHERE id > 40");
        _db.Run("VACUUM VERBOSE acc");
        var info = Assert.Single(_db.Session.TakeNotices(), n => n.Severity == "INFO");
        var removed = long.Parse(System.Text.RegularExpressions.Regex.Match(info.Message, @"removed (\d+)").Groups[1].Value);
        // Five superseded versions of each of 50 rows, and the 10 deleted rows (their tombstones and last versions).
        Assert.True(removed >= 5 * 50 + 10, info.Message);
        Assert.Equal("40|200", _db.Query("SELECT count(*), sum(balance) FROM acc"));
        // A second pass finds nothing more to remove.
        _db.Run("VACUUM (VERBOSE, ANALYZE)");
        Assert.Contains("removed 0 ", Assert.Single(_db.Session.TakeNotices()).Message);
    }

    [Fact]
    public void VacuumKeepsWhatAnOpenSnapshotStillSees()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY, v text)");
        _db.Run("INSERT INTO t VALUES (1, 'old')");
        var reader = _db.NewSession();
        SqlTestDatabase.Run(reader, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        Assert.Equal("old", SqlTestDatabase.Text(SqlTestDatabase.Run(reader, "SELECT v FROM t")));
        _db.Run("UPDATE t SET v = 'new'");
        _db.Run("DELETE FROM t");
        _db.Run("VACUUM");
        Assert.Equal("old", SqlTestDatabase.Text(SqlTestDatabase.Run(reader, "SELECT v FROM t")));
        SqlTestDatabase.Run(reader, "COMMIT");
        Assert.Equal("0", _db.Query("SELECT count(*) FROM t"));
        reader.Dispose();
    }

    [Fact]
    public void VacuumAndAnalyzeReportErrorsLikePostgres()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY)");
        Assert.Equal("42P01", _db.Error("VACUUM nope").SqlState);
        Assert.Equal("42P01", _db.Error("ANALYZE nope").SqlState);
        Assert.Equal("42601", _db.Error("VACUUM (VERBOSE").SqlState);
        _db.Run("BEGIN");
        var inBlock = _db.Error("VACUUM t");
        Assert.Equal("25001", inBlock.SqlState);
        Assert.Equal("VACUUM cannot run inside a transaction block", inBlock.Message);
        _db.Run("ROLLBACK");
        _db.Run("BEGIN");
        Assert.Equal("ANALYZE", _db.Run("ANALYZE t (id)").CommandTag);
        _db.Run("COMMIT");
        Assert.Equal("VACUUM", _db.Run("VACUUM FULL FREEZE VERBOSE ANALYZE t").CommandTag);
        Assert.Equal("VACUUM", _db.Run("vacuum").CommandTag);
    }
}
