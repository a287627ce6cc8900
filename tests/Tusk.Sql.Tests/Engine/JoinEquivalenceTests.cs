using System.Text;
using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>
/// Metamorphic check of join planning: seeded random tables and random join queries (inner, left and right joins, comma
/// lists, outer joins, equalities between integer, bigint and text columns, single-table filters, keys, secondary and composite
/// indexes) give the same rows (as a multiset) under the default planner, with index nested loops forced
/// (enable_hashjoin = off), and with the planner of before join ordering (enable_nestloop = off, join_collapse_limit = 1:
/// FROM order, hash joins). A failure prints the seed, the query and both plans.
/// </summary>
public sealed class JoinEquivalenceTests : IDisposable
{
    private const int QueriesPerSeed = 250;

    private static readonly (string Name, string[] IntColumns, string[] TextColumns)[] Tables =
    [
        ("t1", ["id", "a", "b"], ["c"]),
        ("t2", ["k1", "k2", "v"], []),
        ("t3", ["id", "t1_id", "x"], []),
        ("t4", ["id"], ["name", "code"]),
    ];

    private readonly SqlTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomJoinsGiveTheSameRowsWhateverThePlan(int seed)
    {
        var random = new Random(seed);
        CreateTables(random);
        using var forced = _db.NewSession();
        using var reference = _db.NewSession();
        SqlTestDatabase.Run(forced, "SET enable_hashjoin = off");
        SqlTestDatabase.Run(reference, "SET enable_nestloop = off; SET join_collapse_limit = 1");
        var seeks = 0;
        var reordered = 0;
        for (var n = 0; n < QueriesPerSeed; n++)
        {
            var sql = RandomQuery(random);
            var expected = Rows(reference, sql);
            var plan = Text(_db.Session, "EXPLAIN " + sql);
            var forcedPlan = Text(forced, "EXPLAIN " + sql);
            if (forcedPlan.Contains("Nested Loop", StringComparison.Ordinal)) seeks++;
            if (plan != Text(reference, "EXPLAIN " + sql)) reordered++;
            Check(seed, sql, expected, Rows(_db.Session, sql), plan);
            Check(seed, sql, expected, Rows(forced, sql), forcedPlan);
        }
        // The comparison is only worth something when the optimizations did happen.
        Assert.True(seeks > QueriesPerSeed / 4, $"only {seeks} plans had an index nested loop");
        Assert.True(reordered > QueriesPerSeed / 10, $"only {reordered} plans differed from the reference");
    }

    private static void Check(int seed, string sql, string expected, string actual, string plan)
    {
        if (expected == actual) return;
        throw new Xunit.Sdk.XunitException($"seed {seed}: {sql}\nplan:\n{plan}\nexpected:\n{expected}\nactual:\n{actual}");
    }

    private static string Text(SqlSession session, string sql) => SqlTestDatabase.Text(SqlTestDatabase.Run(session, sql));

    /// <summary>The rows as sorted lines: the multiset, whatever order the plan produced them in.</summary>
    private static string Rows(SqlSession session, string sql)
    {
        var lines = Text(session, sql).Split('\n');
        Array.Sort(lines, StringComparer.Ordinal);
        return string.Join("\n", lines);
    }

    private void CreateTables(Random random)
    {
        _db.Run("""
            CREATE TABLE t1 (id int PRIMARY KEY, a int, b int, c text);
            CREATE INDEX t1_a ON t1 (a);
            CREATE TABLE t2 (k1 int, k2 int, v int, PRIMARY KEY (k1, k2));
            CREATE INDEX t2_v ON t2 (v);
            CREATE TABLE t3 (id int PRIMARY KEY, t1_id bigint, x int);
            CREATE INDEX t3_t1_id ON t3 (t1_id);
            CREATE TABLE t4 (id int PRIMARY KEY, name text UNIQUE, code varchar(3));
            CREATE INDEX t4_code ON t4 (code);
            """);
        var sql = new StringBuilder();
        var count = random.Next(0, 40);
        for (var i = 0; i < count; i++) sql.Append($"INSERT INTO t1 VALUES ({i}, {Value(random)}, {Value(random)}, {TextValue(random)});");
        var keys = new HashSet<(int, int)>();
        count = random.Next(0, 40);
        for (var i = 0; i < count; i++)
        {
            var key = (random.Next(0, 8), random.Next(0, 8));
            if (keys.Add(key)) sql.Append($"INSERT INTO t2 VALUES ({key.Item1}, {key.Item2}, {Value(random)});");
        }
        count = random.Next(0, 40);
        for (var i = 0; i < count; i++) sql.Append($"INSERT INTO t3 VALUES ({i}, {Value(random)}, {Value(random)});");
        count = random.Next(0, 12);
        for (var i = 0; i < count; i++) sql.Append($"INSERT INTO t4 VALUES ({i}, 's{i}', 's{i % 10}{(i >= 5 ? "x" : "")}');");
        if (sql.Length > 0) _db.Run(sql.ToString());
    }

    /// <summary>A small integer (many duplicates, so joins fan out) or sometimes NULL.</summary>
    private static string Value(Random random) => random.Next(10) == 0 ? "NULL" : random.Next(0, 10).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Texts that equal t4's names and codes, or would if cut to varchar(3) ('s1xy' is not 's1x').</summary>
    private static string TextValue(Random random) => random.Next(8) == 0 ? "NULL" : $"'s{random.Next(0, 10)}{Pick(random, ["", "x", "xy"])}'";

    private static string RandomQuery(Random random)
    {
        var n = random.Next(2, 5);
        var tables = new int[n];
        for (var i = 0; i < n; i++) tables[i] = random.Next(Tables.Length);
        var explicitJoins = random.Next(2) == 0;
        var from = new StringBuilder();
        var where = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var name = $"{Tables[tables[i]].Name} r{i}";
            // Join each relation to an earlier one (so the written order is a valid join order), sometimes twice.
            var conditions = new List<string>();
            if (i > 0)
            {
                conditions.Add(Equality(random, tables, random.Next(i), i));
                if (random.Next(4) == 0) conditions.Add(Equality(random, tables, random.Next(i), i));
            }
            if (i == 0)
            {
                from.Append(name);
            }
            else if (explicitJoins)
            {
                var kind = random.Next(8) switch { 0 or 1 => " LEFT JOIN ", 2 => " RIGHT JOIN ", _ => " JOIN " };
                // An outer join's ON may also test one side only.
                if (kind != " JOIN " && random.Next(3) == 0) conditions.Add(Filter(random, tables[i], i));
                if (kind != " JOIN " && random.Next(4) == 0) conditions.Add(Filter(random, tables[0], 0));
                from.Append(kind).Append(name).Append(" ON ").Append(string.Join(" AND ", conditions));
                conditions.Clear();
            }
            else
            {
                from.Append(", ").Append(name);
            }
            where.AddRange(conditions);
            if (random.Next(3) == 0) where.Add(Filter(random, tables[i], i));
        }
        var sql = "SELECT * FROM " + from;
        return where.Count == 0 ? sql : sql + " WHERE " + string.Join(" AND ", where);
    }

    /// <summary>An equality between a column of relation <paramref name="a"/> and one of <paramref name="b"/>, of comparable types.</summary>
    private static string Equality(Random random, int[] tables, int a, int b)
    {
        var ta = Tables[tables[a]];
        var tb = Tables[tables[b]];
        if (ta.TextColumns.Length > 0 && tb.TextColumns.Length > 0 && random.Next(4) == 0)
        {
            return $"r{a}.{Pick(random, ta.TextColumns)} = r{b}.{Pick(random, tb.TextColumns)}";
        }
        var left = $"r{a}.{Pick(random, ta.IntColumns)}";
        var right = $"r{b}.{Pick(random, tb.IntColumns)}";
        return random.Next(6) == 0 ? $"{left} + 1 = {right}" : $"{left} = {right}";
    }

    private static string Filter(Random random, int table, int relation)
    {
        var t = Tables[table];
        var column = $"r{relation}.{Pick(random, t.IntColumns)}";
        var v = random.Next(0, 10);
        return random.Next(6) switch
        {
            0 => $"{column} = {v}",
            1 => $"{column} > {v}",
            2 => $"{column} BETWEEN {v} AND {v + 3}",
            3 => $"{column} IS NULL",
            4 => $"{column} <> {v}",
            _ => $"({column} < {v} OR {column} = {v + 5})",
        };
    }

    private static string Pick(Random random, string[] items) => items[random.Next(items.Length)];
}
