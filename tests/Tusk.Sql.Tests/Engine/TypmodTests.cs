using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>Length and precision modifiers: assignment checks them, explicit casts apply them, comparisons ignore them.</summary>
public sealed class TypmodTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void ComparisonsWithLongerLiteralsAndCastsFollowPostgres()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY, v varchar(3), c char(3), n numeric(5,2))");
        _db.Run("INSERT INTO t VALUES (1, 'abc', 'ab', 1.5)");
        // A literal longer than the column is compared as it is (no error, no match).
        Assert.Equal("", _db.Query("SELECT id FROM t WHERE v = 'abcd'"));
        Assert.Equal("1", _db.Query("SELECT id FROM t WHERE v < 'abcd'"));
        Assert.Equal("1", _db.Query("SELECT id FROM t WHERE v IN ('abcd', 'abc')"));
        Assert.Equal("", _db.Query("SELECT id FROM t WHERE n = 1.499"));
        Assert.Equal("1", _db.Query("SELECT id FROM t WHERE c = 'ab'"));
        // Explicit casts truncate (strings) or round (numeric); assignment of a too-long value is 22001.
        Assert.Equal("abc|1.50", _db.Query("SELECT 'abcd'::varchar(3), 1.499::numeric(5,2)"));
        Assert.Equal("22001", _db.Error("INSERT INTO t VALUES (2, 'abcd')").SqlState);
        Assert.Equal("22001", _db.Error("UPDATE t SET v = 'wxyz'").SqlState);
        Assert.Equal("1|abc", _db.Query("SELECT id, v FROM t"));
    }
}
