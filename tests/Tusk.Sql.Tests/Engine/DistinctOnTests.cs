using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>SELECT DISTINCT ON: the first row of each group in ORDER BY order, with the results PostgreSQL 15 returns.</summary>
public sealed class DistinctOnTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public DistinctOnTests()
    {
        _db.Run("""
            CREATE TABLE emp (id int PRIMARY KEY, dept text, salary int, hired date);
            INSERT INTO emp VALUES (1,'eng',100,'2020-01-01'),(2,'eng',200,'2020-02-01'),(3,'eng',200,'2020-03-01'),(4,'ops',50,'2020-01-15'),
                (5,'ops',NULL,'2020-04-01'),(6,NULL,70,'2020-05-01'),(7,'eng',300,'2020-06-01'),(8,'ops',50,'2020-07-01');
            CREATE TABLE readings (id int PRIMARY KEY, device text, at timestamp, v double precision);
            INSERT INTO readings VALUES (1,'a','2024-01-01 10:00',1.5),(2,'a','2024-01-01 11:00',2.5),(3,'b','2024-01-01 09:00',7),
                (4,'a','2024-01-01 12:00',3.5),(5,'b','2024-01-01 13:00',8),(6,'c','2024-01-02 00:00',NULL);
            """);
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public void LatestRowPerKey()
    {
        Assert.Equal("a|2024-01-01 12:00:00|3.5\nb|2024-01-01 13:00:00|8\nc|2024-01-02 00:00:00|NULL",
            _db.Query("SELECT DISTINCT ON (device) device, at, v FROM readings ORDER BY device, at DESC"));
        Assert.Equal("eng|7|2020-06-01\nops|8|2020-07-01\nNULL|6|2020-05-01", _db.Query("SELECT DISTINCT ON (dept) dept, id, hired FROM emp ORDER BY dept, hired DESC"));
        Assert.Equal("eng|7|300\nops|4|50\nNULL|6|70", _db.Query("SELECT DISTINCT ON (dept) dept, id, salary FROM emp ORDER BY dept, salary DESC NULLS LAST, id"));
        Assert.Contains("Unique", _db.Query("EXPLAIN SELECT DISTINCT ON (device) device, at FROM readings ORDER BY device, at DESC"));
    }

    [Fact]
    public void KeysInAnyOrderOrdinalsAggregatesAndWindows()
    {
        Assert.Equal("50\n70\n100\n200\n300\nNULL", _db.Query("SELECT DISTINCT ON (salary) salary FROM emp ORDER BY salary"));
        Assert.Equal("ops|50|8\nNULL|70|6\neng|100|1\neng|200|3\neng|300|7\nops|NULL|5",
            _db.Query("SELECT DISTINCT ON (dept, salary) dept, salary, id FROM emp ORDER BY salary, dept, id DESC"));
        Assert.Equal("eng|4\nops|3\nNULL|1", _db.Query("SELECT DISTINCT ON (1) dept, count(*) OVER (PARTITION BY dept) FROM emp ORDER BY 1"));
        Assert.Equal("eng|400\nops|NULL\nNULL|70", _db.Query("SELECT DISTINCT ON (dept) dept, sum(salary) FROM emp GROUP BY dept, salary ORDER BY dept, sum(salary) DESC"));
        Assert.Equal("3", _db.Query("SELECT count(*) FROM (SELECT DISTINCT ON (dept) * FROM emp) s"));
    }

    [Fact]
    public void OrderByMustStartWithTheKeys()
    {
        var e = _db.Error("SELECT DISTINCT ON (dept) id FROM emp ORDER BY id");
        Assert.Equal("42P10", e.SqlState);
        Assert.Equal("SELECT DISTINCT ON expressions must match initial ORDER BY expressions", e.Message);
    }
}
