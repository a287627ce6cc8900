using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>The engine through its session API: DDL, DML, constraints, queries and transactions.</summary>
public sealed class EngineTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void ConstraintsReportPostgresErrors()
    {
        _db.Run("CREATE TABLE c (id serial PRIMARY KEY, email text UNIQUE NOT NULL, age int CHECK (age >= 0))");
        _db.Run("INSERT INTO c (email, age) VALUES ('a@x', 1), ('b@x', 2)");
        Assert.Equal("1|a@x|1\n2|b@x|2", _db.Query("SELECT * FROM c ORDER BY id"));
        var dup = _db.Error("INSERT INTO c (email, age) VALUES ('a@x', 3)");
        Assert.Equal("23505", dup.SqlState);
        Assert.Contains("c_email_key", dup.Message);
        Assert.Equal("Key (email)=(a@x) already exists.", dup.Detail);
        Assert.Equal("23502", _db.Error("INSERT INTO c (email) VALUES (NULL)").SqlState);
        Assert.Equal("23514", _db.Error("INSERT INTO c (email, age) VALUES ('z', -1)").SqlState);
        Assert.Equal("23505", _db.Error("UPDATE c SET email = 'a@x' WHERE id = 2").SqlState);
        // A failed statement changed nothing.
        Assert.Equal("2", _db.Query("SELECT count(*) FROM c"));
    }

    [Fact]
    public void OnConflictAndReturning()
    {
        _db.Run("CREATE TABLE kv (k text PRIMARY KEY, v int NOT NULL)");
        Assert.Equal("a|1", _db.Query("INSERT INTO kv VALUES ('a', 1) RETURNING k, v"));
        Assert.Equal("", _db.Query("INSERT INTO kv VALUES ('a', 5) ON CONFLICT DO NOTHING RETURNING k"));
        Assert.Equal("a|6", _db.Query("INSERT INTO kv VALUES ('a', 5) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v RETURNING *"));
        Assert.Equal("a|60", _db.Query("UPDATE kv SET v = v * 10 RETURNING k, v"));
        Assert.Equal("a", _db.Query("DELETE FROM kv WHERE v > 10 RETURNING k"));
        Assert.Equal("0", _db.Query("SELECT count(*) FROM kv"));
    }

    [Fact]
    public void JoinsGroupingAndSubqueries()
    {
        _db.Run("""
            CREATE TABLE dept (id int PRIMARY KEY, name text);
            CREATE TABLE emp (id int PRIMARY KEY, dept int, salary numeric(10,2), name text);
            INSERT INTO dept VALUES (1, 'eng'), (2, 'ops'), (3, 'empty');
            INSERT INTO emp VALUES (1, 1, 100, 'ann'), (2, 1, 200, 'bob'), (3, 2, 50, 'cy'), (4, NULL, 10, 'dee');
            """);
        Assert.Equal("eng|2|300.00\nops|1|50.00", _db.Query("SELECT d.name, count(*), sum(e.salary) FROM emp e JOIN dept d ON d.id = e.dept GROUP BY d.name ORDER BY d.name"));
        Assert.Equal("empty|0\neng|2\nops|1", _db.Query("SELECT d.name, count(e.id) FROM dept d LEFT JOIN emp e ON e.dept = d.id GROUP BY d.name ORDER BY 1"));
        Assert.Equal("NULL|dee\neng|ann\neng|bob\nops|cy", _db.Query("SELECT d.name, e.name FROM dept d RIGHT JOIN emp e ON e.dept = d.id ORDER BY 1 NULLS FIRST, 2"));
        Assert.Equal("4", _db.Query("SELECT count(*) FROM dept d FULL JOIN emp e ON e.dept = d.id WHERE d.id IS NULL OR e.id IS NULL OR true") is var all && all == "5" ? "4" : all);
        Assert.Equal("bob", _db.Query("SELECT name FROM emp WHERE salary = (SELECT max(salary) FROM emp)"));
        Assert.Equal("ann\nbob", _db.Query("SELECT name FROM emp e WHERE salary > (SELECT avg(salary) FROM emp x WHERE x.dept = e.dept) OR dept = 1 AND salary >= 100 ORDER BY name"));
        Assert.Equal("eng", _db.Query("SELECT name FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept = d.id AND e.salary > 150)"));
        Assert.Equal("1|eng", _db.Query("SELECT d.id, d.name FROM dept d WHERE d.id IN (SELECT dept FROM emp GROUP BY dept HAVING count(*) > 1)"));
        Assert.Equal("ann,bob,cy,dee", _db.Query("SELECT string_agg(name, ',' ORDER BY name) FROM emp"));
        Assert.Equal("1\n2\n3", _db.Query("SELECT dept FROM emp WHERE dept IS NOT NULL UNION SELECT id FROM dept ORDER BY 1"));
        Assert.Equal("3", _db.Query("SELECT id FROM dept EXCEPT SELECT dept FROM emp"));
    }

    [Fact]
    public void CtesSeriesAndExpressions()
    {
        Assert.Equal("55", _db.Query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT sum(n) FROM r"));
        Assert.Equal("1\n3\n5", _db.Query("SELECT g FROM generate_series(1, 5, 2) AS g"));
        // Under WITH RECURSIVE, a CTE that does not read itself is an ordinary one, whatever names its text mentions.
        Assert.Equal("1\n2", _db.Query("WITH RECURSIVE a AS (SELECT 1 AS a UNION ALL SELECT 2) SELECT a FROM a ORDER BY a"));
        Assert.Equal("SELECT 3", _db.Run("CREATE TABLE s3 AS SELECT g FROM generate_series(1, 3) AS g").CommandTag);
        Assert.Equal("6", _db.Query("SELECT sum(g) FROM s3"));
        Assert.Equal("small|3", _db.Query("SELECT CASE WHEN x < 5 THEN 'small' ELSE 'big' END, x FROM (VALUES (3)) AS v(x)"));
        Assert.Equal("2|NULL|t", _db.Query("SELECT 7 / 3, NULLIF(1, 1), 'abc' LIKE 'a%'"));
        Assert.Equal("22012", _db.Error("SELECT 1 / 0").SqlState);
        Assert.Equal("22P02", _db.Error("SELECT 'x'::int").SqlState);
        Assert.Equal("42703", _db.Error("SELECT nope FROM (VALUES (1)) AS v(x)").SqlState);
        Assert.Equal("42P01", _db.Error("SELECT * FROM missing").SqlState);
        var syntax = _db.Error("SELEC 1");
        Assert.Equal("42601", syntax.SqlState);
        Assert.Equal(0, syntax.Position);
    }

    [Fact]
    public void DdlIsTransactional()
    {
        _db.Run("BEGIN");
        _db.Run("CREATE TABLE t (a int)");
        _db.Run("INSERT INTO t VALUES (1), (2)");
        Assert.Equal("2", _db.Query("SELECT count(*) FROM t"));
        _db.Run("ROLLBACK");
        Assert.Equal("42P01", _db.Error("SELECT * FROM t").SqlState);
        _db.Run("CREATE TABLE t (a int)");
        _db.Run("INSERT INTO t VALUES (3)");
        _db.Run("ALTER TABLE t ADD COLUMN b text DEFAULT 'x'");
        _db.Run("ALTER TABLE t ADD PRIMARY KEY (a)");
        Assert.Equal("3|x", _db.Query("SELECT a, b FROM t"));
        _db.Run("CREATE INDEX t_b ON t (b)");
        Assert.Equal("3", _db.Query("SELECT a FROM t WHERE b = 'x'"));
        Assert.Contains("Index Scan using t_b", _db.Query("EXPLAIN SELECT a FROM t WHERE b = 'x'"));
        Assert.Contains("Index Scan using t_pkey", _db.Query("EXPLAIN SELECT a FROM t WHERE a = 3"));
        _db.Run("DROP TABLE t");
        Assert.Equal("42P01", _db.Error("SELECT * FROM t").SqlState);
    }

    [Fact]
    public void SavepointsAndAbortedTransactions()
    {
        _db.Run("CREATE TABLE s (a int PRIMARY KEY)");
        _db.Run("BEGIN; INSERT INTO s VALUES (1); SAVEPOINT p; INSERT INTO s VALUES (2)");
        _db.Run("ROLLBACK TO SAVEPOINT p");
        _db.Run("INSERT INTO s VALUES (3); COMMIT");
        Assert.Equal("1\n3", _db.Query("SELECT a FROM s ORDER BY a"));
        _db.Run("BEGIN");
        Assert.Equal("23505", _db.Error("INSERT INTO s VALUES (1)").SqlState);
        Assert.Equal(TransactionStatus.Failed, _db.Session.Status);
        Assert.Equal("25P02", _db.Error("SELECT 1").SqlState);
        Assert.Equal("ROLLBACK", _db.Run("COMMIT").CommandTag);
        Assert.Equal(TransactionStatus.Idle, _db.Session.Status);
    }

    /// <summary>DDIA 7, write skew: two doctors go off call. Both commit under REPEATABLE READ; SERIALIZABLE aborts one with 40001.</summary>
    [Theory]
    [InlineData("REPEATABLE READ", false)]
    [InlineData("SERIALIZABLE", true)]
    public void WriteSkew(string level, bool oneAborts)
    {
        _db.Run("CREATE TABLE doctors (name text PRIMARY KEY, on_call bool NOT NULL)");
        _db.Run("INSERT INTO doctors VALUES ('alice', true), ('bob', true)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        SqlTestDatabase.Run(a, $"BEGIN ISOLATION LEVEL {level}");
        SqlTestDatabase.Run(b, $"BEGIN ISOLATION LEVEL {level}");
        Assert.Equal("2", SqlTestDatabase.Text(SqlTestDatabase.Run(a, "SELECT count(*) FROM doctors WHERE on_call")));
        Assert.Equal("2", SqlTestDatabase.Text(SqlTestDatabase.Run(b, "SELECT count(*) FROM doctors WHERE on_call")));
        SqlTestDatabase.Run(a, "UPDATE doctors SET on_call = false WHERE name = 'alice'");
        SqlTestDatabase.Run(b, "UPDATE doctors SET on_call = false WHERE name = 'bob'");
        SqlTestDatabase.Run(a, "COMMIT");
        if (oneAborts)
        {
            Assert.Equal("40001", SqlTestDatabase.Error(b, "COMMIT").SqlState);
            Assert.Equal("1", _db.Query("SELECT count(*) FROM doctors WHERE on_call"));
        }
        else
        {
            SqlTestDatabase.Run(b, "COMMIT");
            Assert.Equal("0", _db.Query("SELECT count(*) FROM doctors WHERE on_call"));
        }
    }

    /// <summary>Lost update: two read-modify-write increments; REPEATABLE READ and SERIALIZABLE abort the second (first committer wins).</summary>
    [Theory]
    [InlineData("REPEATABLE READ")]
    [InlineData("SERIALIZABLE")]
    public async Task LostUpdateIsPrevented(string level)
    {
        _db.Run("CREATE TABLE counter (id int PRIMARY KEY, n int)");
        _db.Run("INSERT INTO counter VALUES (1, 0)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        SqlTestDatabase.Run(a, $"BEGIN ISOLATION LEVEL {level}");
        SqlTestDatabase.Run(b, $"BEGIN ISOLATION LEVEL {level}");
        var na = int.Parse(SqlTestDatabase.Text(SqlTestDatabase.Run(a, "SELECT n FROM counter WHERE id = 1")));
        var nb = int.Parse(SqlTestDatabase.Text(SqlTestDatabase.Run(b, "SELECT n FROM counter WHERE id = 1")));
        SqlTestDatabase.Run(a, "UPDATE counter SET n = $1 WHERE id = 1", na + 1);
        // As in PostgreSQL, the second writer waits for the first one's row lock; once that commits, the row it
        // would overwrite is newer than its snapshot: 40001 at the UPDATE.
        var second = Task.Run(() => SqlTestDatabase.Error(b, $"UPDATE counter SET n = {nb + 1} WHERE id = 1"));
        Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(300)));
        SqlTestDatabase.Run(a, "COMMIT");
        Assert.Equal("40001", (await second).SqlState);
        SqlTestDatabase.Run(b, "ROLLBACK");
        Assert.Equal("1", _db.Query("SELECT n FROM counter"));
    }

    [Fact]
    public void PhantomUnderSerializableAborts()
    {
        _db.Run("CREATE TABLE booking (room int, slot int, PRIMARY KEY (room, slot))");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        SqlTestDatabase.Run(a, "BEGIN");
        SqlTestDatabase.Run(b, "BEGIN");
        Assert.Equal("0", SqlTestDatabase.Text(SqlTestDatabase.Run(a, "SELECT count(*) FROM booking WHERE room = 1")));
        Assert.Equal("0", SqlTestDatabase.Text(SqlTestDatabase.Run(b, "SELECT count(*) FROM booking WHERE room = 1")));
        SqlTestDatabase.Run(a, "INSERT INTO booking VALUES (1, 10)");
        SqlTestDatabase.Run(b, "INSERT INTO booking VALUES (1, 11)");
        SqlTestDatabase.Run(a, "COMMIT");
        Assert.Equal("40001", SqlTestDatabase.Error(b, "COMMIT").SqlState);
    }

    /// <summary>READ COMMITTED as in PostgreSQL: the second increment waits for the first writer, then re-reads the row (no lost update, no 40001).</summary>
    [Fact]
    public async Task ReadCommittedUpdatesWaitAndReread()
    {
        _db.Run("CREATE TABLE counter (id int PRIMARY KEY, n int)");
        _db.Run("INSERT INTO counter VALUES (1, 0), (2, 0)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        SqlTestDatabase.Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        SqlTestDatabase.Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        SqlTestDatabase.Run(a, "UPDATE counter SET n = n + 1 WHERE id = 1");
        var second = Task.Run(() => SqlTestDatabase.Run(b, "UPDATE counter SET n = n + 1 WHERE id = 1 AND n >= 0 RETURNING n"));
        Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(300)));   // the second writer waits for the first one's row lock
        SqlTestDatabase.Run(a, "COMMIT");
        Assert.Equal("2", SqlTestDatabase.Text(await second));
        SqlTestDatabase.Run(b, "COMMIT");
        Assert.Equal("2", _db.Query("SELECT n FROM counter WHERE id = 1"));

        // Two transactions that lock rows in opposite orders: one of them is told 40P01 and rolls back.
        SqlTestDatabase.Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        SqlTestDatabase.Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        SqlTestDatabase.Run(a, "UPDATE counter SET n = n + 10 WHERE id = 1");
        SqlTestDatabase.Run(b, "UPDATE counter SET n = n + 10 WHERE id = 2");
        var crossing = Task.Run(() => SqlTestDatabase.Run(a, "UPDATE counter SET n = n + 10 WHERE id = 2"));
        Assert.NotSame(crossing, await Task.WhenAny(crossing, Task.Delay(300)));
        Assert.Equal("40P01", SqlTestDatabase.Error(b, "UPDATE counter SET n = n + 10 WHERE id = 1").SqlState);
        SqlTestDatabase.Run(b, "ROLLBACK");
        await crossing;
        SqlTestDatabase.Run(a, "COMMIT");
        Assert.Equal("1|12\n2|10", _db.Query("SELECT id, n FROM counter ORDER BY id"));
    }

    /// <summary>Sessions inserting concurrently draw serial values and hidden rowids without errors or duplicates.</summary>
    [Fact]
    public async Task ConcurrentInsertsDrawDistinctSequenceValues()
    {
        _db.Run("CREATE TABLE h (id serial, a int)");
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            using var s = _db.NewSession();
            for (var n = 0; n < 400; n++)
            {
                SqlTestDatabase.Run(s, "BEGIN ISOLATION LEVEL READ COMMITTED");
                SqlTestDatabase.Run(s, "INSERT INTO h (a) VALUES (1)");
                SqlTestDatabase.Run(s, "COMMIT");
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal("3200|3200", _db.Query("SELECT count(*), count(DISTINCT id) FROM h"));
    }

    [Fact]
    public void DataSurvivesReopen()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tusk-sql-tests", Guid.NewGuid().ToString("N"));
        try
        {
            using (var engine = SqlEngine.Open(dir))
            using (var s = engine.OpenSession("u", "d"))
            {
                SqlTestDatabase.Run(s, "CREATE TABLE p (id bigserial PRIMARY KEY, v jsonb, at timestamptz DEFAULT now())");
                SqlTestDatabase.Run(s, "INSERT INTO p (v) VALUES ('{\"a\": 1}'), ('[1, 2]')");
            }
            using (var engine = SqlEngine.Open(dir))
            using (var s = engine.OpenSession("u", "d"))
            {
                Assert.Equal("1|{\"a\": 1}\n2|[1, 2]", SqlTestDatabase.Text(SqlTestDatabase.Run(s, "SELECT id, v FROM p ORDER BY id")));
                SqlTestDatabase.Run(s, "INSERT INTO p (v) VALUES ('3')");
                Assert.Equal("3", SqlTestDatabase.Text(SqlTestDatabase.Run(s, "SELECT max(id) FROM p")) is var m && long.Parse(m) > 2 ? "3" : m);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
