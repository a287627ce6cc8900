using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>
/// Row locks beyond UPDATE and DELETE: SELECT ... FOR UPDATE (wait, NOWAIT, SKIP LOCKED, re-read at READ
/// COMMITTED, 40001 at REPEATABLE READ), and READ COMMITTED inserts that claim a key another transaction is inserting
/// (23505 after waiting, ON CONFLICT DO UPDATE without lost increments).
/// </summary>
public sealed class RowLockTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private static QueryResult Run(SqlSession s, string sql, params object?[] args) => SqlTestDatabase.Run(s, sql, args);

    private static string Query(SqlSession s, string sql) => SqlTestDatabase.Text(SqlTestDatabase.Run(s, sql));

    /// <summary>Asserts that <paramref name="task"/> is still waiting (for a row lock) a while after it started.</summary>
    private static async Task AssertWaits(Task task)
    {
        if (await Task.WhenAny(task, Task.Delay(300)) != task) return;
        var outcome = task switch
        {
            Task<SqlException> e => $"error {(await e).SqlState} {(await e).Message}",
            Task<QueryResult> r => (await r).CommandTag,
            _ => task.Status.ToString(),
        };
        Assert.Fail($"the statement did not wait for the row lock: {outcome}");
    }

    [Fact]
    public async Task ForUpdateBlocksWritersUntilCommit()
    {
        _db.Run("CREATE TABLE acc (id int PRIMARY KEY, balance int NOT NULL)");
        _db.Run("INSERT INTO acc VALUES (1, 100), (2, 100)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Assert.Equal("100", Query(a, "SELECT balance FROM acc WHERE id = 1 FOR UPDATE"));
        Run(b, "SET default_transaction_isolation = 'read committed'");
        var writer = Task.Run(() => Run(b, "UPDATE acc SET balance = balance + 1 WHERE id = 1"));
        await AssertWaits(writer);
        // The other row is not locked.
        Run(_db.Session, "UPDATE acc SET balance = 0 WHERE id = 2");
        Run(a, "UPDATE acc SET balance = 50 WHERE id = 1");
        Run(a, "COMMIT");
        await writer;
        Assert.Equal("1|51\n2|0", _db.Query("SELECT * FROM acc ORDER BY id"));

        // At SERIALIZABLE the waiting writer finds the row changed after its snapshot: 40001, as in PostgreSQL.
        Run(a, "BEGIN");
        Assert.Equal("51", Query(a, "SELECT balance FROM acc WHERE id = 1 FOR UPDATE"));
        Run(b, "SET default_transaction_isolation = 'serializable'");
        var serializable = Task.Run(() => SqlTestDatabase.Error(b, "UPDATE acc SET balance = balance + 1 WHERE id = 1"));
        await AssertWaits(serializable);
        Run(a, "UPDATE acc SET balance = 0 WHERE id = 1");
        Run(a, "COMMIT");
        Assert.Equal("40001", (await serializable).SqlState);
    }

    [Fact]
    public async Task ForUpdateAtReadCommittedReturnsTheLatestVersionAndRechecksTheWhere()
    {
        _db.Run("CREATE TABLE job (id int PRIMARY KEY, state text NOT NULL, tries int NOT NULL)");
        _db.Run("INSERT INTO job VALUES (1, 'ready', 0), (2, 'ready', 0)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(a, "UPDATE job SET tries = tries + 1 WHERE id = 1");
        Run(a, "UPDATE job SET state = 'done' WHERE id = 2");
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        var locker = Task.Run(() => Query(b, "SELECT id, tries FROM job WHERE state = 'ready' ORDER BY id FOR UPDATE"));
        await AssertWaits(locker);
        Run(a, "COMMIT");
        // Row 1 waited and came back as committed; row 2 no longer matches the WHERE.
        Assert.Equal("1|1", await locker);
        Run(b, "COMMIT");
    }

    [Fact]
    public void NowaitAndSkipLockedDoNotWait()
    {
        _db.Run("CREATE TABLE queue (id int PRIMARY KEY, payload text)");
        _db.Run("INSERT INTO queue SELECT g, 'job ' || g FROM generate_series(1, 3) g");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        using var c = _db.NewSession();
        const string take = "SELECT id FROM queue ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
        Run(a, "BEGIN");
        Assert.Equal("1", Query(a, take));
        Run(b, "BEGIN");
        Assert.Equal("2", Query(b, take));
        // Under the LIMIT only the rows returned were locked: the third worker gets row 3, not nothing.
        Run(c, "BEGIN");
        Assert.Equal("3", Query(c, take));
        Run(c, "ROLLBACK");
        var nowait = SqlTestDatabase.Error(c, "SELECT * FROM queue WHERE id = 1 FOR UPDATE NOWAIT");
        Assert.Equal("55P03", nowait.SqlState);
        Assert.Equal("could not obtain lock on row in relation \"queue\"", nowait.Message);
        Run(a, "COMMIT");
        Assert.Equal("1|job 1", Query(c, "SELECT * FROM queue WHERE id = 1 FOR SHARE NOWAIT"));
        Run(b, "ROLLBACK");
        Assert.Equal("2\n3", Query(c, "SELECT q.id FROM queue q ORDER BY 1 FOR NO KEY UPDATE OF q SKIP LOCKED OFFSET 1"));
    }

    [Fact]
    public void ForUpdateAtRepeatableReadFailsOnAConcurrentUpdate()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY, v int)");
        _db.Run("INSERT INTO t VALUES (1, 0), (2, 0)");
        using var a = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        Assert.Equal("0", Query(a, "SELECT v FROM t WHERE id = 1"));
        _db.Run("UPDATE t SET v = 1 WHERE id = 1");
        Assert.Equal("0", Query(a, "SELECT v FROM t WHERE id = 2 FOR UPDATE"));
        var e = SqlTestDatabase.Error(a, "SELECT v FROM t WHERE id = 1 FOR UPDATE");
        Assert.Equal("40001", e.SqlState);
        Run(a, "ROLLBACK");
    }

    [Fact]
    public void ForUpdateShapesAndErrors()
    {
        _db.Run("CREATE TABLE p (id int PRIMARY KEY, name text)");
        _db.Run("CREATE TABLE c (id int PRIMARY KEY, p_id int, v int)");
        _db.Run("INSERT INTO p VALUES (1, 'a'), (2, 'b')");
        _db.Run("INSERT INTO c VALUES (10, 1, 5), (11, 1, 6), (12, 3, 7)");
        _db.Run("CREATE VIEW pv AS SELECT * FROM p");
        Assert.Equal("0A000", _db.Error("SELECT count(*) FROM p FOR UPDATE").SqlState);
        Assert.Equal("0A000", _db.Error("SELECT p_id FROM c GROUP BY p_id FOR UPDATE").SqlState);
        Assert.Equal("0A000", _db.Error("SELECT DISTINCT name FROM p FOR UPDATE").SqlState);
        Assert.Equal("0A000", _db.Error("SELECT id FROM p UNION SELECT id FROM c FOR UPDATE").SqlState);
        Assert.Equal("0A000", _db.Error("SELECT * FROM p WHERE id IN (SELECT p_id FROM c FOR UPDATE)").SqlState);
        Assert.Equal("0A000", _db.Error("SELECT * FROM generate_series(1, 2) g FOR UPDATE OF g").SqlState);
        Assert.Equal("1|a", _db.Query("SELECT * FROM pv WHERE id = 1 FOR UPDATE OF pv"));   // a simple view locks its table's rows
        Assert.Equal("42P01", _db.Error("SELECT * FROM p FOR UPDATE OF nope").SqlState);
        // Joins lock the rows of the tables named (outer join's missing side: nothing to lock).
        Assert.Equal("a|10\na|11\nb|NULL", _db.Query("SELECT p.name, c.id FROM p LEFT JOIN c ON c.p_id = p.id ORDER BY p.id, c.id FOR UPDATE"));
        Assert.Equal("a|5", _db.Query("SELECT p.name, c.v FROM p JOIN c ON c.p_id = p.id WHERE c.v < 6 FOR UPDATE OF c"));
        var plan = _db.Query("EXPLAIN SELECT * FROM p ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED");
        Assert.Matches(@"^Limit\n\s+->  LockRows\n\s+Lock: p SKIP LOCKED", plan);
    }

    [Fact]
    public async Task ReadCommittedInsertOfAKeyBeingInsertedWaitsThenConflicts()
    {
        _db.Run("CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(a, "INSERT INTO u VALUES (1, 'x@example.com')");
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        var samePk = Task.Run(() => SqlTestDatabase.Error(b, "INSERT INTO u VALUES (1, 'y@example.com')"));
        await AssertWaits(samePk);
        Run(a, "COMMIT");
        Assert.Equal("23505", (await samePk).SqlState);
        Run(b, "ROLLBACK");

        // The same unique value under another key; the first inserter rolls back, so the second succeeds.
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(a, "INSERT INTO u VALUES (2, 'z@example.com')");
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        var sameEmail = Task.Run(() => Run(b, "INSERT INTO u VALUES (3, 'z@example.com')"));
        await AssertWaits(sameEmail);
        Run(a, "ROLLBACK");
        Assert.Equal("INSERT 0 1", (await sameEmail).CommandTag);
        Run(b, "COMMIT");
        Assert.Equal("1|x@example.com\n3|z@example.com", _db.Query("SELECT * FROM u ORDER BY id"));
    }

    [Fact]
    public async Task ReadCommittedUpsertsLoseNoIncrement()
    {
        _db.Run("CREATE TABLE hits (page text PRIMARY KEY, n int NOT NULL)");
        const int workers = 4, each = 50;
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(() =>
        {
            using var s = _db.NewSession();
            Run(s, "SET default_transaction_isolation = 'read committed'");
            for (var i = 0; i < each; i++)
            {
                Run(s, "INSERT INTO hits VALUES ('home', 1) ON CONFLICT (page) DO UPDATE SET n = hits.n + excluded.n");
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal((workers * each).ToString(), _db.Query("SELECT n FROM hits WHERE page = 'home'"));
    }

    [Fact]
    public async Task ForShareLocksCoexistAndHoldOffWriters()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY, v int)");
        _db.Run("INSERT INTO t VALUES (1, 0)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        using var c = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Assert.Equal("0", Query(a, "SELECT v FROM t WHERE id = 1 FOR SHARE"));
        Assert.Equal("0", Query(b, "SELECT v FROM t WHERE id = 1 FOR KEY SHARE NOWAIT"));
        Assert.Equal("55P03", SqlTestDatabase.Error(c, "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT").SqlState);
        Run(c, "SET default_transaction_isolation = 'read committed'");
        // An UPDATE of a non-key column waits for FOR SHARE, but not for FOR KEY SHARE (PostgreSQL's FOR NO KEY UPDATE).
        var writer = Task.Run(() => Run(c, "UPDATE t SET v = v + 1 WHERE id = 1"));
        await AssertWaits(writer);
        Run(a, "COMMIT");
        await writer;
        // Changing the key does wait for FOR KEY SHARE.
        var rekey = Task.Run(() => Run(c, "UPDATE t SET id = 5 WHERE id = 1"));
        await AssertWaits(rekey);
        Run(b, "COMMIT");
        await rekey;
        Assert.Equal("5|1", _db.Query("SELECT id, v FROM t"));
    }

    [Fact]
    public async Task ReadCommittedForeignKeysHoldTheReferencedRow()
    {
        _db.Run("CREATE TABLE parent (id int PRIMARY KEY)");
        _db.Run("CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id))");
        _db.Run("INSERT INTO parent VALUES (1), (2)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();

        // A child inserted but not committed: deleting its parent waits, then finds the child.
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(a, "INSERT INTO child VALUES (10, 1)");
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        var delete = Task.Run(() => SqlTestDatabase.Error(b, "DELETE FROM parent WHERE id = 1"));
        await AssertWaits(delete);
        Run(a, "COMMIT");
        Assert.Equal("23503", (await delete).SqlState);
        Run(b, "ROLLBACK");

        // A parent deleted but not committed: inserting a child of it waits, then finds it gone.
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(b, "DELETE FROM parent WHERE id = 2");
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        var insert = Task.Run(() => SqlTestDatabase.Error(a, "INSERT INTO child VALUES (11, 2)"));
        await AssertWaits(insert);
        Run(b, "COMMIT");
        Assert.Equal("23503", (await insert).SqlState);
        Run(a, "ROLLBACK");
        Assert.Equal("10|1", _db.Query("SELECT * FROM child"));
        Assert.Equal("1", _db.Query("SELECT * FROM parent"));
    }

    [Fact]
    public async Task ALockWaitEndsWithCancelOrLockTimeout()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY, v int)");
        _db.Run("INSERT INTO t VALUES (1, 0)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        Run(a, "BEGIN");
        Run(a, "UPDATE t SET v = 1 WHERE id = 1");
        var waiting = Task.Run(() => SqlTestDatabase.Error(b, "UPDATE t SET v = 2 WHERE id = 1"));
        await AssertWaits(waiting);
        b.Cancel();
        var canceled = await waiting;
        Assert.Equal("57014", canceled.SqlState);

        Run(b, "SET lock_timeout = '50ms'");
        Assert.Equal("55P03", SqlTestDatabase.Error(b, "UPDATE t SET v = 2 WHERE id = 1").SqlState);
        Run(a, "ROLLBACK");
        // PostgreSQL's units; a bad one is refused when set.
        Run(b, "SET lock_timeout = '1min'");
        Run(b, "SET lock_timeout = 250");
        Assert.Equal("22023", SqlTestDatabase.Error(b, "SET lock_timeout = '1 fortnight'").SqlState);
        Assert.Equal("22023", SqlTestDatabase.Error(b, "SET lock_timeout = '99999999999'").SqlState);
        Assert.Equal("UPDATE 1", Run(b, "UPDATE t SET v = 2 WHERE id = 1").CommandTag);
    }

    [Fact]
    public async Task ForeignKeyActionsAndUniqueReferencesHoldRowsToo()
    {
        _db.Run("CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE NOT NULL)");
        _db.Run("CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id) ON DELETE CASCADE, note text)");
        _db.Run("CREATE TABLE tagged (id int PRIMARY KEY, code text REFERENCES parent (code))");
        _db.Run("INSERT INTO parent VALUES (1, 'a'), (2, 'b')");
        _db.Run("INSERT INTO child VALUES (10, 1, '')");
        using var a = _db.NewSession();
        using var b = _db.NewSession();

        // CASCADE locks the child it deletes: a concurrent UPDATE of that child waits, then finds it gone.
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(a, "DELETE FROM parent WHERE id = 1");
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        var update = Task.Run(() => Run(b, "UPDATE child SET note = 'x' WHERE id = 10"));
        await AssertWaits(update);
        Run(a, "COMMIT");
        Assert.Equal("UPDATE 0", (await update).CommandTag);
        Run(b, "COMMIT");
        Assert.Equal("0", _db.Query("SELECT count(*) FROM child"));

        // A key referencing a UNIQUE column locks the referenced row itself.
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(b, "DELETE FROM parent WHERE code = 'b'");
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        var insert = Task.Run(() => SqlTestDatabase.Error(a, "INSERT INTO tagged VALUES (1, 'b')"));
        await AssertWaits(insert);
        Run(b, "COMMIT");
        Assert.Equal("23503", (await insert).SqlState);
        Run(a, "ROLLBACK");
    }

    [Fact]
    public void RepeatableReadCannotRemoveAParentWhoseChildItCannotSee()
    {
        _db.Run("CREATE TABLE parent (id int PRIMARY KEY)");
        _db.Run("CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id))");
        _db.Run("INSERT INTO parent VALUES (1)");
        using var a = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        Assert.Equal("0", Query(a, "SELECT count(*) FROM child"));
        _db.Run("INSERT INTO child VALUES (10, 1)");
        Assert.Equal("40001", SqlTestDatabase.Error(a, "DELETE FROM parent WHERE id = 1").SqlState);
        Run(a, "ROLLBACK");
        Assert.Equal("1", _db.Query("SELECT count(*) FROM parent"));
    }

    [Fact]
    public async Task ChildInsertsAndParentUpdatesDoNotDeadlock()
    {
        // The EF Core shape: insert an order line, then update the order's total, in two concurrent transactions.
        _db.Run("CREATE TABLE orders (id int PRIMARY KEY, total int NOT NULL)");
        _db.Run("CREATE TABLE lines (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders (id), amount int)");
        _db.Run("INSERT INTO orders VALUES (7, 0)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(b, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(a, "INSERT INTO lines VALUES (1, 7, 10)");
        Run(b, "INSERT INTO lines VALUES (2, 7, 20)");
        Run(a, "UPDATE orders SET total = total + 10 WHERE id = 7");
        var second = Task.Run(() => Run(b, "UPDATE orders SET total = total + 20 WHERE id = 7"));
        await AssertWaits(second);   // for a's row lock on the order, not for the foreign-key locks
        Run(a, "COMMIT");
        await second;
        Run(b, "COMMIT");
        Assert.Equal("30", _db.Query("SELECT total FROM orders"));
    }

    [Fact]
    public void OnConflictDoNothingHoldsNoLockOnTheRowItFound()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY, v int, code text UNIQUE)");
        _db.Run("INSERT INTO t VALUES (1, 0, 'a')");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Assert.Equal("INSERT 0 0", Run(a, "INSERT INTO t VALUES (1, 5, 'b') ON CONFLICT DO NOTHING").CommandTag);
        Assert.Equal("INSERT 0 0", Run(a, "INSERT INTO t VALUES (2, 5, 'a') ON CONFLICT DO NOTHING").CommandTag);
        // Neither the row nor its unique value is held: another transaction changes both at once.
        Run(b, "SET lock_timeout = '100ms'");
        Assert.Equal("UPDATE 1", Run(b, "UPDATE t SET v = 1, code = 'c' WHERE id = 1").CommandTag);
        Assert.Equal("INSERT 0 1", Run(b, "INSERT INTO t VALUES (3, 0, 'a')").CommandTag);
        Run(a, "COMMIT");
    }

    [Fact]
    public void RollbackToSavepointReleasesTheRowLocksTakenSince()
    {
        _db.Run("CREATE TABLE t (id int PRIMARY KEY, v int)");
        _db.Run("INSERT INTO t VALUES (1, 0), (2, 0)");
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        Run(a, "BEGIN ISOLATION LEVEL READ COMMITTED");
        Run(a, "UPDATE t SET v = 1 WHERE id = 1");
        Run(a, "SAVEPOINT s");
        Run(a, "UPDATE t SET v = 1 WHERE id = 2");
        Run(a, "ROLLBACK TO SAVEPOINT s");
        Run(b, "SET lock_timeout = '100ms'");
        Assert.Equal("UPDATE 1", Run(b, "UPDATE t SET v = 2 WHERE id = 2").CommandTag);   // released with the savepoint
        Assert.Equal("55P03", SqlTestDatabase.Error(b, "UPDATE t SET v = 2 WHERE id = 1").SqlState);   // taken before it: held
        Run(a, "COMMIT");
        Assert.Equal("1|1\n2|2", _db.Query("SELECT * FROM t ORDER BY id"));
    }
}
