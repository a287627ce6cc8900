using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>
/// Window functions, with the results PostgreSQL 15 returns for the same tables (ties and NULLs included: rank and
/// RANGE frames see peers). Where PostgreSQL leaves the order among peers open, the queries make it total.
/// </summary>
public sealed class WindowTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public WindowTests()
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
    public void RankingFunctionsSeePeers()
    {
        Assert.Equal("1|eng|100|1|1|1\n2|eng|200|2|2|2\n3|eng|200|3|2|2\n4|ops|50|1|1|1\n5|ops|NULL|3|3|2\n6|NULL|70|1|1|1\n7|eng|300|4|4|3\n8|ops|50|2|1|1",
            _db.Query("SELECT id, dept, salary, row_number() OVER (PARTITION BY dept ORDER BY salary, id), rank() OVER (PARTITION BY dept ORDER BY salary), "
                + "dense_rank() OVER (PARTITION BY dept ORDER BY salary) FROM emp ORDER BY id"));
        Assert.Equal("1|100|0.42857142857142855|0.5\n2|200|0.5714285714285714|0.75\n3|200|0.5714285714285714|0.75\n4|50|0|0.25\n5|NULL|1|1\n6|70|0.2857142857142857|0.375\n7|300|0.8571428571428571|0.875\n8|50|0|0.25",
            _db.Query("SELECT id, salary, percent_rank() OVER (ORDER BY salary), cume_dist() OVER (ORDER BY salary) FROM emp ORDER BY id"));
        Assert.Equal("1|1|5\n2|1|4\n3|1|3\n4|2|3\n5|2|2\n6|2|2\n7|3|1\n8|3|1",
            _db.Query("SELECT id, ntile(3) OVER (ORDER BY id), ntile(5) OVER (ORDER BY id DESC) FROM emp ORDER BY id"));
        Assert.Equal("7|1\n2|2\n3|2", _db.Query("SELECT id, rank() OVER (ORDER BY salary DESC NULLS LAST) r FROM emp ORDER BY r, id LIMIT 3"));
    }

    [Fact]
    public void LagAndLeadWithOffsetsAndDefaults()
    {
        Assert.Equal("1|NULL|200|-1|eng\n2|100|50|100|eng\n3|200|NULL|200|ops\n4|200|70|-1|ops\n5|50|300|50|NULL\n6|NULL|50|-1|eng\n7|70|NULL|200|ops\n8|300|NULL|NULL|none",
            _db.Query("SELECT id, lag(salary) OVER (ORDER BY id), lead(salary, 2) OVER (ORDER BY id), lag(salary, 1, -1) OVER (PARTITION BY dept ORDER BY id), "
                + "lead(dept, 1, 'none') OVER (ORDER BY id) FROM emp ORDER BY id"));
    }

    [Fact]
    public void ValueFunctionsOverTheDefaultFrameAndNamedWindows()
    {
        // The default frame ends at the current row's last peer.
        Assert.Equal("1|1|1|NULL\n2|1|2|2\n3|1|3|2\n4|4|4|NULL\n5|4|5|8\n6|6|6|NULL\n7|1|7|2\n8|4|8|8",
            _db.Query("SELECT id, first_value(id) OVER w, last_value(id) OVER w, nth_value(id, 2) OVER w FROM emp WINDOW w AS (PARTITION BY dept ORDER BY salary, id) ORDER BY id"));
        Assert.Equal("1|1|7\n2|1|7\n3|1|7\n7|1|7",
            _db.Query("SELECT id, first_value(id) OVER (w ORDER BY id), last_value(id) OVER (w ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) "
                + "FROM emp WHERE dept = 'eng' WINDOW w AS (PARTITION BY dept) ORDER BY id"));
    }

    [Fact]
    public void AggregatesOverDefaultAndWholePartitionFrames()
    {
        Assert.Equal("1|270|4|7\n2|670|6|7\n3|670|6|7\n4|100|2|7\n5|970|8|7\n6|170|3|7\n7|970|7|7\n8|100|2|7",
            _db.Query("SELECT id, sum(salary) OVER (ORDER BY salary), count(*) OVER (ORDER BY salary), count(salary) OVER () FROM emp ORDER BY id"));
        Assert.Equal("1|1|t|[1]\n2|1,2|t|[1, 2]\n3|1,2,3|t|[2, 3]\n4|4|f|[3, 4]\n5|4,5|f|[4, 5]\n6|6|t|[5, 6]\n7|1,2,3,7|t|[6, 7]\n8|4,5,8|f|[7, 8]",
            _db.Query("SELECT id, string_agg(id::text, ',') OVER (PARTITION BY dept ORDER BY id), bool_and(salary > 60) OVER (PARTITION BY dept), "
                + "jsonb_agg(id) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM emp ORDER BY id"));
        Assert.Equal("1|1\n2|2\n3|3\n4|3\n5|3\n6|4\n7|5\n8|5",
            _db.Query("SELECT id, count(*) FILTER (WHERE salary > 60) OVER (ORDER BY id) FROM emp ORDER BY id"));
        Assert.Equal("1|12\n2|11\n3|10\n4|13\n5|12\n6|0\n7|6\n8|9",
            _db.Query("SELECT id, sum(id) OVER (PARTITION BY dept ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) - id FROM emp ORDER BY id"));
    }

    [Fact]
    public void RowsRangeAndGroupsFrames()
    {
        Assert.Equal("1|300|100|300\n2|500|100|300\n3|450|100|300\n4|250|50|300\n5|120|50|300\n6|370|50|300\n7|420|70|300\n8|350|50|50",
            _db.Query("SELECT id, sum(salary) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), min(salary) OVER (ORDER BY id ROWS 2 PRECEDING), "
                + "max(salary) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM emp ORDER BY id"));
        // RANGE offsets: NULL keys see only each other.
        Assert.Equal("1|100|270|5|3\n2|200|400|4|3\n3|200|400|4|3\n4|50|270|8|4\n5|NULL|NULL|1|1\n6|70|270|6|2\n7|300|300|2|1\n8|50|270|8|4",
            _db.Query("SELECT id, salary, sum(salary) OVER (ORDER BY salary RANGE BETWEEN 50 PRECEDING AND 50 FOLLOWING), "
                + "count(*) OVER (ORDER BY salary RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING), "
                + "count(*) OVER (ORDER BY salary DESC RANGE BETWEEN 100 PRECEDING AND CURRENT ROW) FROM emp ORDER BY id"));
        Assert.Equal("1|1\n2|3\n3|2\n4|2\n5|2\n6|2\n7|2\n8|2",
            _db.Query("SELECT id, count(*) OVER (ORDER BY hired RANGE BETWEEN '1 month' PRECEDING AND CURRENT ROW) FROM emp ORDER BY id"));
        Assert.Equal("1|1.5\n2|2\n3|7\n4|3\n5|8\n6|NULL",
            _db.Query("SELECT id, avg(v) OVER (PARTITION BY device ORDER BY at RANGE BETWEEN interval '1 hour' PRECEDING AND CURRENT ROW) FROM readings ORDER BY id"));
        Assert.Equal("1|2\n2|3\n3|3\n4|2\n5|2\n6|3\n7|3\n8|2",
            _db.Query("SELECT id, count(*) OVER (ORDER BY salary GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM emp ORDER BY id"));
    }

    [Fact]
    public void WindowsRunAfterGroupByAndBeforeDistinctOrderAndLimit()
    {
        Assert.Equal("eng|4|8|1|800\nops|3|8|2|900\nNULL|1|8|3|970",
            _db.Query("SELECT dept, count(*), sum(count(*)) OVER (), rank() OVER (ORDER BY count(*) DESC), sum(sum(salary)) OVER (ORDER BY dept) FROM emp GROUP BY dept ORDER BY dept"));
        Assert.Equal("eng|4\nops|3\nNULL|1", _db.Query("SELECT DISTINCT dept, count(*) OVER (PARTITION BY dept) FROM emp ORDER BY 1"));
        Assert.Equal("8|1\n7|2\n6|3", _db.Query("SELECT id, row_number() OVER (ORDER BY id DESC) rn FROM emp ORDER BY rn LIMIT 3"));
        Assert.Equal("2|1|2", _db.Query("SELECT id, row_number() OVER (PARTITION BY dept ORDER BY id), rank() OVER (ORDER BY salary DESC NULLS LAST, id) FROM emp WHERE id = 2 OR id = 7 ORDER BY id LIMIT 1"));
        var plan = _db.Query("EXPLAIN SELECT id, rank() OVER (PARTITION BY dept ORDER BY salary) FROM emp");
        Assert.Contains("WindowAgg", plan);
        Assert.Contains("Sort Key: dept, salary", plan);
    }

    [Fact]
    public void ErrorsAsPostgreSql()
    {
        Assert.Equal(("42P20", "window functions are not allowed in WHERE"), Error("SELECT id FROM emp WHERE row_number() OVER () > 1"));
        Assert.Equal(("42P20", "window functions are not allowed in GROUP BY"), Error("SELECT dept FROM emp GROUP BY row_number() OVER ()"));
        Assert.Equal(("42809", "window function row_number requires an OVER clause"), Error("SELECT row_number() FROM emp"));
        Assert.Equal(("42P20", "window \"w\" is already defined"), Error("SELECT sum(x) OVER w FROM (VALUES (1)) v(x) WINDOW w AS (ORDER BY x), w AS (ORDER BY x)"));
        Assert.Equal(("42704", "window \"nope\" does not exist"), Error("SELECT sum(x) OVER nope FROM (VALUES (1)) v(x)"));
        Assert.Equal(("42P20", "frame start cannot be UNBOUNDED FOLLOWING"), Error("SELECT sum(x) OVER (ROWS UNBOUNDED FOLLOWING) FROM (VALUES (1)) v(x)"));
        Assert.Equal(("42P20", "frame starting from current row cannot have preceding rows"), Error("SELECT sum(x) OVER (ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM (VALUES (1)) v(x)"));
        Assert.Equal(("22013", "frame starting offset must not be negative"), Error("SELECT sum(x) OVER (ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM (VALUES (1)) v(x)"));
        Assert.Equal(("42P20", "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column"), Error("SELECT sum(x) OVER (RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (VALUES (1)) v(x)"));
        Assert.Equal(("22014", "argument of ntile must be greater than zero"), Error("SELECT ntile(0) OVER () FROM (VALUES (1)) v(x)"));
        Assert.Equal(("22016", "argument of nth_value must be greater than zero"), Error("SELECT nth_value(x, 0) OVER () FROM (VALUES (1)) v(x)"));
        Assert.Equal(("42P20", "window function calls cannot be nested"), Error("SELECT sum(row_number() OVER ()) OVER () FROM (VALUES (1)) v(x)"));
        Assert.Equal(("0A000", "DISTINCT is not implemented for window functions"), Error("SELECT count(DISTINCT x) OVER () FROM (VALUES (1)) v(x)"));
        Assert.Equal("42809", Error("SELECT lower(x) OVER () FROM (VALUES ('a')) v(x)").Item1);
    }

    [Fact]
    public void ViewsKeepTheirWindows()
    {
        _db.Run("CREATE VIEW ranked AS SELECT id, rank() OVER w AS r, sum(salary) OVER (w ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM emp WHERE dept = 'eng' WINDOW w AS (ORDER BY salary)");
        Assert.Equal("1|1|100\n2|2|300\n3|2|400\n7|4|500", _db.Query("SELECT * FROM ranked ORDER BY id"));
    }

    private (string, string) Error(string sql)
    {
        var e = _db.Error(sql);
        return (e.SqlState, e.Message);
    }
}
