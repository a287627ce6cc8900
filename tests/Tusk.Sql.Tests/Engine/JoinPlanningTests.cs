using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>
/// Join methods and join order: index nested loops into primary keys, secondary indexes and composite-key prefixes,
/// cost-based reordering of inner joins (output still in FROM order), the session settings that turn both off, and
/// SERIALIZABLE conflicts on rows an index nested loop probed for.
/// </summary>
public sealed class JoinPlanningTests : IDisposable
{
    private readonly SqlTestDatabase _db = new();

    public JoinPlanningTests()
    {
        _db.Run("""
            CREATE TABLE big (id int PRIMARY KEY, v text, grp int);
            CREATE INDEX big_grp ON big (grp);
            CREATE TABLE big2 (id int PRIMARY KEY, w text);
            CREATE TABLE small (id int PRIMARY KEY, x int, big_id int, big2_id int);
            CREATE TABLE comp (a int, b int, c text, PRIMARY KEY (a, b));
            INSERT INTO big SELECT g, 'v' || g, g % 10 FROM generate_series(1, 100) g;
            INSERT INTO big2 SELECT g, 'w' || g FROM generate_series(1, 100) g;
            INSERT INTO small VALUES (1, 1, 5, 7), (2, 1, 6, 8), (3, 2, 200, 9), (4, 1, 300, NULL);
            INSERT INTO comp SELECT g % 7, g, 'c' || g FROM generate_series(1, 50) g;
            """);
    }

    public void Dispose() => _db.Dispose();

    private string Explain(string sql) => _db.Query("EXPLAIN " + sql);

    [Fact]
    public void SmallOuterSeeksTheBigTablesPrimaryKey()
    {
        const string sql = "SELECT s.id, b.v FROM small s JOIN big b ON b.id = s.big_id WHERE s.x = 1";
        Assert.Equal("""
            Nested Loop
              ->  Seq Scan on small s
                    Filter: (s.x = 1)
              ->  Index Scan using big_pkey on big b
                    Index Cond: (id = s.big_id)
            """.ReplaceLineEndings("\n"), Explain(sql));
        Assert.Equal("1|v5\n2|v6", _db.Query(sql + " ORDER BY s.id"));
        // Without a selective predicate on the outer side, reading the inner table once into a hash table is cheaper.
        Assert.StartsWith("Hash Join", Explain("SELECT * FROM small s JOIN big b ON b.id = s.big_id"));
    }

    [Fact]
    public void ThreeWayJoinInABadFromOrderIsReordered()
    {
        // Written big ⋈ big2 first (a hash join of two whole tables); planned from the filtered small side, seeking both.
        const string sql = "SELECT * FROM big b JOIN big2 b2 ON b2.id = b.id JOIN small s ON s.big_id = b.id WHERE s.x = 1";
        Assert.Equal("""
            Nested Loop
              ->  Nested Loop
                ->  Seq Scan on small s
                      Filter: (s.x = 1)
                ->  Index Scan using big_pkey on big b
                      Index Cond: (id = s.big_id)
              ->  Index Scan using big2_pkey on big2 b2
                    Index Cond: (id = b.id)
            """.ReplaceLineEndings("\n"), Explain(sql));
        // The output keeps FROM order (big, big2, small), as SELECT * requires.
        Assert.Equal("5|v5|5|5|w5|1|1|5|7\n6|v6|6|6|w6|2|1|6|8", _db.Query(sql + " ORDER BY 1"));
        var result = _db.Run(sql);
        Assert.Equal(["id", "v", "grp", "id", "w", "id", "x", "big_id", "big2_id"], result.Columns!.Select(c => c.Name));

        // join_collapse_limit = 1 keeps the written order.
        _db.Run("SET join_collapse_limit = 1");
        var written = Explain(sql);
        Assert.StartsWith("Hash Join", written);
        Assert.Contains("Seq Scan on big b\n", written);
        Assert.Equal("5|v5|5|5|w5|1|1|5|7\n6|v6|6|6|w6|2|1|6|8", _db.Query(sql + " ORDER BY 1"));
    }

    [Fact]
    public void LeftJoinWithoutAMatchGivesNulls()
    {
        const string sql = "SELECT s.id, b.id, b.v FROM small s LEFT JOIN big b ON b.id = s.big_id WHERE s.x = 1 ORDER BY s.id";
        Assert.StartsWith("Sort\n      Sort Key: s.id\n  ->  Nested Loop Left Join", Explain(sql));
        Assert.Equal("1|5|v5\n2|6|v6\n4|NULL|NULL", _db.Query(sql));
        // An ON condition on the nullable side filters the seeked rows; the outer row stays, with NULLs.
        const string filtered = "SELECT s.id, b.v FROM small s LEFT JOIN big b ON b.id = s.big_id AND b.v <> 'v5' WHERE s.x = 1 ORDER BY s.id";
        Assert.Contains("Filter: (b.v <> 'v5')", Explain(filtered));
        Assert.Equal("1|NULL\n2|v6\n4|NULL", _db.Query(filtered));
        // An ON condition on the preserved side decides matches, never drops outer rows.
        Assert.Equal("1|v5\n2|NULL\n4|NULL", _db.Query("SELECT s.id, b.v FROM small s LEFT JOIN big b ON b.id = s.big_id AND s.id = 1 WHERE s.x = 1 ORDER BY s.id"));
        // WHERE on the preserved side of a left join is pushed into its scan.
        Assert.Contains("Index Scan using small_pkey on small s", Explain("SELECT * FROM small s LEFT JOIN big b ON b.id = s.big_id WHERE s.id = 4"));
        Assert.Equal("4|1|300|NULL|NULL|NULL|NULL", _db.Query("SELECT * FROM small s LEFT JOIN big b ON b.id = s.big_id WHERE s.id = 4"));
        // WHERE on the nullable side stays above the join (it removes the NULL-extended rows).
        Assert.Equal("", _db.Query("SELECT * FROM small s LEFT JOIN big b ON b.id = s.big_id WHERE s.id = 4 AND b.v IS NOT NULL"));
    }

    [Fact]
    public void RightJoinSeeksItsLeftTable()
    {
        // As PostgreSQL does, the right join runs as a left join from the preserved side; the columns stay big, small.
        const string sql = "SELECT * FROM big b RIGHT JOIN small s ON b.id = s.big_id WHERE s.x = 1";
        Assert.Equal("""
            Nested Loop Left Join
              ->  Seq Scan on small s
                    Filter: (s.x = 1)
              ->  Index Scan using big_pkey on big b
                    Index Cond: (id = s.big_id)
            """.ReplaceLineEndings("\n"), Explain(sql));
        Assert.Equal("5|v5|5|1|1|5|7\n6|v6|6|2|1|6|8\nNULL|NULL|NULL|4|1|300|NULL", _db.Query(sql + " ORDER BY s.id"));
    }

    [Fact]
    public void SeeksANonUniqueSecondaryIndex()
    {
        const string sql = "SELECT s.id, b.id FROM small s JOIN big b ON b.grp = s.big_id WHERE s.x = 1 AND b.id < 30";
        Assert.Equal("""
            Nested Loop
              ->  Seq Scan on small s
                    Filter: (s.x = 1)
              ->  Index Scan using big_grp on big b
                    Index Cond: (grp = s.big_id)
                    Filter: (b.id < 30)
            """.ReplaceLineEndings("\n"), Explain(sql));
        Assert.Equal("1|5\n1|15\n1|25\n2|6\n2|16\n2|26", _db.Query(sql + " ORDER BY 1, 2"));
        Assert.Equal("1|5|NULL\n2|6|NULL\n3|200|NULL\n4|300|NULL",
            _db.Query("SELECT s.id, s.big_id, b.id FROM small s LEFT JOIN big b ON b.grp = s.big_id + 100 ORDER BY 1"));
    }

    [Fact]
    public void SeeksACompositeKeyPrefix()
    {
        const string prefix = "SELECT s.id, c.b FROM small s JOIN comp c ON c.a = s.big_id WHERE s.x = 1";
        Assert.Contains("Index Scan using comp_pkey on comp c\n        Index Cond: (a = s.big_id)", Explain(prefix));
        Assert.Equal("1|5\n1|12\n1|19\n1|26\n1|33\n1|40\n1|47\n2|6\n2|13\n2|20\n2|27\n2|34\n2|41\n2|48", _db.Query(prefix + " ORDER BY 1, 2"));
        // A constant bound on the next key column narrows each seek.
        const string ranged = "SELECT s.id, c.b FROM small s JOIN comp c ON c.a = s.big_id AND c.b BETWEEN 10 AND 30 WHERE s.x = 1";
        Assert.Contains("Index Cond: (a = s.big_id) AND (b >= 10) AND (b <= 30)", Explain(ranged));
        Assert.Equal("1|12\n1|19\n1|26\n2|13\n2|20\n2|27", _db.Query(ranged + " ORDER BY 1, 2"));
        // Both key columns from the outer row: a point read per outer row.
        const string full = "SELECT s.id, c.c FROM small s JOIN comp c ON c.a = s.big_id AND c.b = s.big2_id + 5 WHERE s.x = 1";
        Assert.Contains("Index Cond: (a = s.big_id) AND (b = (s.big2_id + 5))", Explain(full));
        Assert.Equal("1|c12\n2|c13", _db.Query(full + " ORDER BY 1"));
    }

    /// <summary>UPDATE ... FROM and DELETE ... USING read the target's columns first in the joined row, whatever the join order.</summary>
    [Fact]
    public void UpdateFromAndDeleteUsingJoinInAnyOrder()
    {
        const string update = "UPDATE big SET v = 'u' || s.id FROM small s WHERE big.id = s.big_id AND s.x = 1";
        Assert.Contains("Index Scan using big_pkey on big\n", Explain(update));
        Assert.Equal("UPDATE 2", _db.Run(update).CommandTag);
        Assert.Equal("5|u1\n6|u2", _db.Query("SELECT id, v FROM big WHERE v LIKE 'u%' ORDER BY id"));
        Assert.Equal("DELETE 2", _db.Run("DELETE FROM big USING small s WHERE big.id = s.big_id AND s.x = 1").CommandTag);
        Assert.Equal("98", _db.Query("SELECT count(*) FROM big"));
    }

    [Fact]
    public void SettingsTurnTheOptimizationsOff()
    {
        const string sql = "SELECT s.id, b.v FROM small s JOIN big b ON b.id = s.big_id WHERE s.x = 1";
        var prepared = _db.Session.Prepare("EXPLAIN " + sql);
        Assert.StartsWith("Nested Loop", SqlTestDatabase.Text(_db.Session.Execute(prepared, [])));
        _db.Run("SET enable_nestloop = off");
        Assert.Equal("off", _db.Query("SHOW enable_nestloop"));
        // The prepared statement is planned again after the SET.
        Assert.StartsWith("Hash Join", SqlTestDatabase.Text(_db.Session.Execute(prepared, [])));
        Assert.Equal("1|v5\n2|v6", _db.Query(sql + " ORDER BY 1"));
        _db.Run("RESET enable_nestloop");
        _db.Run("SET enable_hashjoin = off");
        // Now even a whole outer table is joined by seeks.
        Assert.StartsWith("Nested Loop", Explain("SELECT * FROM small s JOIN big b ON b.id = s.big_id"));
        Assert.Equal("22023", _db.Error("SET join_collapse_limit = 0").SqlState);
        Assert.Equal("22023", _db.Error("SET enable_nestloop = maybe").SqlState);
    }

    /// <summary>
    /// A SERIALIZABLE transaction joined into "big" by seeks for ids 5, 6 and 300; 300 was absent. A concurrent insert of
    /// id 300 is a phantom for it (40001 at commit); an insert of an id it never probed is not.
    /// </summary>
    [Theory]
    [InlineData(300, true)]
    [InlineData(301, false)]
    public void SerializableDetectsAPhantomInAProbedKey(int insertedId, bool conflicts)
    {
        const string sql = "SELECT count(*) FROM small s JOIN big b ON b.id = s.big_id WHERE s.x = 1";
        Assert.Contains("Index Cond: (id = s.big_id)", Explain(sql));
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        SqlTestDatabase.Run(a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
        Assert.Equal("2", SqlTestDatabase.Text(SqlTestDatabase.Run(a, sql)));
        SqlTestDatabase.Run(b, "BEGIN ISOLATION LEVEL SERIALIZABLE");
        SqlTestDatabase.Run(b, $"INSERT INTO big VALUES ({insertedId}, 'new', 0)");
        SqlTestDatabase.Run(b, "COMMIT");
        SqlTestDatabase.Run(a, "INSERT INTO big2 VALUES (1000, 'from a')");
        if (conflicts) Assert.Equal("40001", SqlTestDatabase.Error(a, "COMMIT").SqlState);
        else SqlTestDatabase.Run(a, "COMMIT");
    }

    /// <summary>The same through a non-unique secondary index: the seeked range (grp = 5) is in the read set.</summary>
    [Fact]
    public void SerializableDetectsAPhantomInASeekedIndexRange()
    {
        const string sql = "SELECT count(*) FROM small s JOIN big b ON b.grp = s.big_id WHERE s.id = 1";
        Assert.Contains("Index Scan using big_grp on big b", Explain(sql));
        using var a = _db.NewSession();
        using var b = _db.NewSession();
        SqlTestDatabase.Run(a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
        Assert.Equal("10", SqlTestDatabase.Text(SqlTestDatabase.Run(a, sql)));
        SqlTestDatabase.Run(b, "INSERT INTO big VALUES (1001, 'phantom', 5)");
        SqlTestDatabase.Run(a, "INSERT INTO big2 VALUES (1000, 'from a')");
        Assert.Equal("40001", SqlTestDatabase.Error(a, "COMMIT").SqlState);
    }
}
