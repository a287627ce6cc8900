using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>LATERAL subqueries and functions in FROM reading earlier FROM items, with the results PostgreSQL 15 returns.</summary>
public sealed class LateralTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public LateralTests()
    {
        _db.Run("""
            CREATE TABLE emp (id int PRIMARY KEY, dept text, salary int, hired date);
            INSERT INTO emp VALUES (1,'eng',100,'2020-01-01'),(2,'eng',200,'2020-02-01'),(3,'eng',200,'2020-03-01'),(4,'ops',50,'2020-01-15'),
                (5,'ops',NULL,'2020-04-01'),(6,NULL,70,'2020-05-01'),(7,'eng',300,'2020-06-01'),(8,'ops',50,'2020-07-01');
            CREATE TABLE dept (id int PRIMARY KEY, name text);
            INSERT INTO dept VALUES (1,'eng'),(2,'ops'),(3,'empty');
            """);
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public void TopOnePerGroup()
    {
        const string sql = "SELECT d.name, s.id, s.salary FROM dept d, LATERAL (SELECT id, salary FROM emp e WHERE e.dept = d.name "
            + "ORDER BY salary DESC NULLS LAST, id LIMIT 1) s ORDER BY d.id";
        Assert.Equal("eng|7|300\nops|4|50", _db.Query(sql));
        var plan = _db.Query("EXPLAIN " + sql);
        Assert.Contains("Nested Loop", plan);
        Assert.Contains("Limit", plan);
        Assert.Equal("1|100\n2|200\n3|200\n4|200\n5|200\n6|200\n7|300\n8|300",
            _db.Query("SELECT e.id, m.mx FROM emp e, LATERAL (SELECT max(salary) mx FROM emp e2 WHERE e2.id <= e.id) m ORDER BY 1"));
    }

    [Fact]
    public void LeftJoinLateralGivesNullsWhenThereAreNoRows()
    {
        Assert.Equal("eng|3\neng|7\nops|5\nops|8\nempty|NULL",
            _db.Query("SELECT d.name, s.id FROM dept d LEFT JOIN LATERAL (SELECT id FROM emp e WHERE e.dept = d.name ORDER BY hired DESC LIMIT 2) s ON true ORDER BY d.id, s.id"));
        Assert.Equal("eng|4\nops|3", _db.Query("SELECT d.name, s.n FROM dept d JOIN LATERAL (SELECT count(*) AS n FROM emp e WHERE e.dept = d.name) s ON s.n > 0 ORDER BY d.id"));
        Assert.Contains("Nested Loop Left Join", _db.Query("EXPLAIN SELECT * FROM dept d LEFT JOIN LATERAL (SELECT id FROM emp e WHERE e.dept = d.name LIMIT 1) s ON true"));
    }

    [Fact]
    public void FunctionsInFromReadEarlierItems()
    {
        Assert.Equal("1|1\n2|1\n2|2\n3|1\n3|2\n3|3", _db.Query("SELECT d.id, g FROM dept d, generate_series(1, d.id) g ORDER BY 1, 2"));
        Assert.Equal("1|NULL\n2|2\n3|2\n3|3", _db.Query("SELECT d.id, g.x FROM dept d LEFT JOIN LATERAL generate_series(2, d.id) AS g(x) ON true ORDER BY 1, 2"));
    }

    [Fact]
    public void ChainsFiltersAndNesting()
    {
        Assert.Equal("1|800|1600\n2|100|200\n3|NULL|NULL",
            _db.Query("SELECT d.id, s.total, t.twice FROM dept d, LATERAL (SELECT sum(salary) AS total FROM emp WHERE emp.dept = d.name) s, "
                + "LATERAL (SELECT s.total * 2 AS twice) t ORDER BY 1"));
        Assert.Equal("ops|4\nops|5\neng|7\nops|8",
            _db.Query("SELECT d.name, s.id FROM dept d, LATERAL (SELECT id FROM emp WHERE emp.dept = d.name) s WHERE s.id > 3 AND d.id < 3 ORDER BY 2"));
        Assert.Equal("1,2,3,7\n4,5,8\nNULL",
            _db.Query("SELECT (SELECT string_agg(s.id::text, ',') FROM LATERAL (SELECT e.id FROM emp e WHERE e.dept = d.name ORDER BY e.id) s) FROM dept d ORDER BY d.id"));
        Assert.Equal("eng",
            _db.Query("SELECT d.name FROM dept d WHERE EXISTS (SELECT 1 FROM emp e, LATERAL (SELECT e.salary + 1 AS s1) x WHERE e.dept = d.name AND x.s1 > 250) ORDER BY 1"));
        Assert.Equal("1|2\n2|2",
            _db.Query("SELECT d.id, x.rn FROM dept d, LATERAL (SELECT row_number() OVER (ORDER BY id) rn FROM emp WHERE emp.dept = d.name) x WHERE x.rn = 2 ORDER BY 1"));
    }

    [Fact]
    public void Errors()
    {
        var e = _db.Error("SELECT * FROM dept d RIGHT JOIN LATERAL (SELECT d.id) s ON true");
        Assert.Equal("42P10", e.SqlState);
        Assert.Equal("invalid reference to FROM-clause entry for table \"d\"", e.Message);
        // Without LATERAL a subquery cannot see the items before it.
        Assert.Equal("42P01", _db.Error("SELECT * FROM dept d, (SELECT d.id) s").SqlState);
    }
}
