using Xunit;

namespace Tusk.Sql.Tests.Engine;

public sealed class SmokeTests
{
    [Fact]
    public void CreateInsertSelect()
    {
        using var db = new SqlTestDatabase();
        db.Run("CREATE TABLE t (a int PRIMARY KEY, b text, c numeric(10,2))");
        db.Run("INSERT INTO t VALUES (1, 'x', 1.5), (2, 'y', NULL), (3, NULL, 2.25)");
        Assert.Equal("1|x|1.50\n2|y|NULL\n3|NULL|2.25", db.Query("SELECT a, b, c FROM t ORDER BY a"));
        Assert.Equal("2", db.Query("SELECT count(*) FROM t WHERE c IS NOT NULL"));
        Assert.Equal("y", db.Query("SELECT b FROM t WHERE a = $1", 2));
        Assert.Equal("3|6", db.Query("SELECT count(*), sum(a) FROM t"));
    }
}
