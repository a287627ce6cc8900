using System.Text;
using Tusk.Kv;
using Tusk.Sql.Catalog;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>An output column of a plan node: its name (for RowDescription and *), type and origin.</summary>
internal sealed record PlanColumn(string Name, SqlType Type, int TableOid = 0, short AttNum = 0);

/// <summary>
/// A node of a physical plan: the iterator model (RFC §2) as C# iterators; rows are <c>object?[]</c> laid out as
/// <see cref="Columns"/>. A node may be run many times (the inner side of a nested loop, correlated subqueries).
/// </summary>
internal abstract class PlanNode
{
    public abstract IReadOnlyList<PlanColumn> Columns { get; }

    public abstract IEnumerable<object?[]> Run(ExecContext ctx);

    public abstract void Explain(ExplainWriter w);
}

internal sealed class ExplainWriter
{
    private readonly StringBuilder _sb = new();
    private int _depth;

    public void Node(string text, Action? children = null)
    {
        _sb.Append(' ', _depth * 2).Append(_depth > 0 ? "->  " : "").Append(text).Append('\n');
        if (children is null) return;
        _depth++;
        children();
        _depth--;
    }

    public void Detail(string text) => _sb.Append(' ', _depth * 2 + 4).Append(text).Append('\n');

    public override string ToString() => _sb.ToString();

    public IEnumerable<string> Lines => _sb.ToString().TrimEnd('\n').Split('\n');
}

/// <summary>SELECT without FROM: one empty row.</summary>
internal sealed class OneRowNode : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => [];

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        yield return [];
    }


    public override void Explain(ExplainWriter w) => w.Node("Result");
}

internal sealed class ValuesNode(PlanColumn[] columns, BExpr[][] rows) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public int RowCount => rows.Length;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        foreach (var r in rows)
        {
            var row = new object?[r.Length];
            for (var i = 0; i < r.Length; i++) row[i] = r[i].Eval(ctx, []);
            yield return row;
        }
    }


    public override void Explain(ExplainWriter w) => w.Node($"Values Scan ({rows.Length} rows)");
}

internal sealed class FilterNode(PlanNode child, BExpr predicate) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => child.Columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        foreach (var row in child.Run(ctx))
        {
            if (predicate.IsTrue(ctx, row)) yield return row;
        }
    }


    public override void Explain(ExplainWriter w) => w.Node("Filter", () =>
    {
        w.Detail("Filter: " + predicate);
        child.Explain(w);
    });
}

internal sealed class ProjectNode(PlanNode child, BExpr[] exprs, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        foreach (var row in child.Run(ctx))
        {
            var output = new object?[exprs.Length];
            for (var i = 0; i < exprs.Length; i++) output[i] = exprs[i].Eval(ctx, row);
            yield return output;
        }
    }


    public override void Explain(ExplainWriter w)
    {
        // A projection is folded into its child's line as PostgreSQL does (no separate node), unless above a join or aggregate.
        child.Explain(w);
    }
}

/// <summary>Sorts on output column positions; NULLs last ascending and first descending unless stated.</summary>
internal sealed class SortNode(PlanNode child, (int Index, bool Descending, bool NullsFirst)[] keys, string[] display) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => child.Columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var rows = new List<object?[]>();
        foreach (var r in child.Run(ctx))
        {
            ctx.Check();
            rows.Add(r);
        }
        var comparer = Comparer<object?[]>.Create(Compare);
        // A stable sort, so ties keep their input order.
        var indexed = rows.Select((r, i) => (r, i)).ToList();
        indexed.Sort((a, b) =>
        {
            var c = comparer.Compare(a.r, b.r);
            return c != 0 ? c : a.i.CompareTo(b.i);
        });
        foreach (var (r, _) in indexed) yield return r;
    }

    private int Compare(object?[]? a, object?[]? b)
    {
        foreach (var (index, descending, nullsFirst) in keys)
        {
            var x = a![index];
            var y = b![index];
            int c;
            if (x is null || y is null)
            {
                if (x is null && y is null) continue;
                c = x is null ? (nullsFirst ? -1 : 1) : (nullsFirst ? 1 : -1);
                return c;
            }
            c = Values.Compare(x, y);
            if (c != 0) return descending ? -c : c;
        }
        return 0;
    }


    public override void Explain(ExplainWriter w) => w.Node("Sort", () =>
    {
        w.Detail("Sort Key: " + string.Join(", ", display));
        child.Explain(w);
    });
}

internal sealed class LimitNode(PlanNode child, BExpr? limit, BExpr? offset) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => child.Columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var l = limit?.Eval(ctx, []);
        var o = offset?.Eval(ctx, []);
        long count = l is null ? long.MaxValue : Values.ToLong(l);
        long skip = o is null ? 0 : Values.ToLong(o);
        if (count < 0) throw new SqlException("2201W", "LIMIT must not be negative");
        if (skip < 0) throw new SqlException("2201X", "OFFSET must not be negative");
        if (count == 0) yield break;
        foreach (var row in child.Run(ctx))
        {
            if (skip > 0)
            {
                skip--;
                continue;
            }
            yield return row;
            if (--count == 0) yield break;
        }
    }


    public override void Explain(ExplainWriter w) => w.Node("Limit", () => child.Explain(w));
}

/// <summary>DISTINCT on the first <paramref name="width"/> columns (the rest are hidden sort keys).</summary>
internal sealed class DistinctNode(PlanNode child, int width) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => child.Columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var seen = new HashSet<object?[]>(Values.RowComparer.Instance);
        foreach (var row in child.Run(ctx))
        {
            var key = width == row.Length ? row : row[..width];
            if (seen.Add(key)) yield return row;
        }
    }


    public override void Explain(ExplainWriter w) => w.Node("HashAggregate (DISTINCT)", () => child.Explain(w));
}

/// <summary>SELECT DISTINCT ON over sorted input: the first row of each run of rows with equal <paramref name="keys"/> (NULLs equal).</summary>
internal sealed class UniqueNode(PlanNode child, int[] keys) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => child.Columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        object?[]? previous = null;
        foreach (var row in child.Run(ctx))
        {
            if (previous is not null && Values.SameAt(keys, previous, row)) continue;
            previous = row;
            yield return row;
        }
    }

    public override void Explain(ExplainWriter w) => w.Node("Unique", () => child.Explain(w));
}

/// <summary>UNION / INTERSECT / EXCEPT [ALL].</summary>
internal sealed class SetOpNode(string op, bool all, PlanNode left, PlanNode right, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var cmp = Values.RowComparer.Instance;
        switch (op)
        {
            case "UNION" when all:
                foreach (var r in left.Run(ctx)) yield return r;
                foreach (var r in right.Run(ctx)) yield return r;
                break;
            case "UNION":
            {
                var seen = new HashSet<object?[]>(cmp);
                foreach (var r in left.Run(ctx).Concat(right.Run(ctx)))
                {
                    if (seen.Add(r)) yield return r;
                }
                break;
            }
            default:
            {
                var counts = new Dictionary<object?[], int>(cmp);
                foreach (var r in right.Run(ctx)) counts[r] = counts.GetValueOrDefault(r) + 1;
                var emitted = new HashSet<object?[]>(cmp);
                foreach (var r in left.Run(ctx))
                {
                    var n = counts.GetValueOrDefault(r);
                    if (op == "INTERSECT")
                    {
                        if (n == 0) continue;
                        if (all)
                        {
                            counts[r] = n - 1;
                            yield return r;
                        }
                        else if (emitted.Add(r))
                        {
                            yield return r;
                        }
                    }
                    else
                    {
                        if (all)
                        {
                            if (n > 0) counts[r] = n - 1;
                            else yield return r;
                        }
                        else if (n == 0 && emitted.Add(r))
                        {
                            yield return r;
                        }
                    }
                }
                break;
            }
        }
    }


    public override void Explain(ExplainWriter w) => w.Node((op == "UNION" ? (all ? "Append" : "HashAggregate (UNION)") : $"HashSetOp {op[0]}{op[1..].ToLowerInvariant()}{(all ? " All" : "")}"), () =>
    {
        left.Explain(w);
        right.Explain(w);
    });
}

/// <summary>Runs the child once per execution and replays its rows (CTEs, the inner side of nested loops).</summary>
internal sealed class MaterializeNode(PlanNode child, string label) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => child.Columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        if (!ctx.Cache.TryGetValue(this, out var cached))
        {
            cached = child.Run(ctx).ToList();
            ctx.Cache[this] = cached;
        }
        return (List<object?[]>)cached;
    }


    public override void Explain(ExplainWriter w) => w.Node(label, () => child.Explain(w));
}

/// <summary>WITH RECURSIVE: the non-recursive term, then the recursive term over the previous iteration's rows until none are new.</summary>
internal sealed class RecursiveUnionNode : PlanNode
{
    private readonly PlanColumn[] _columns;

    public RecursiveUnionNode(PlanColumn[] columns, bool all)
    {
        _columns = columns;
        All = all;
        WorkTable = new WorkTableNode(this);
    }

    public PlanNode Anchor { get; set; } = null!;
    public PlanNode Recursive { get; set; } = null!;
    public bool All { get; }
    public WorkTableNode WorkTable { get; }

    public override IReadOnlyList<PlanColumn> Columns => _columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var seen = All ? null : new HashSet<object?[]>(Values.RowComparer.Instance);
        var work = new List<object?[]>();
        foreach (var r in Anchor.Run(ctx))
        {
            if (seen is null || seen.Add(r))
            {
                work.Add(r);
                yield return r;
            }
        }
        var iterations = 0;
        while (work.Count > 0)
        {
            if (++iterations > 1_000_000) throw new SqlException("54001", "recursive query did not terminate after 1000000 iterations");
            ctx.Cache[WorkTable] = work;
            var next = new List<object?[]>();
            foreach (var r in Recursive.Run(ctx))
            {
                ctx.Check();
                if (seen is null || seen.Add(r))
                {
                    next.Add(r);
                    yield return r;
                }
            }
            work = next;
        }
    }

    public override void Explain(ExplainWriter w) => w.Node("Recursive Union", () =>
    {
        Anchor.Explain(w);
        Recursive.Explain(w);
    });
}

internal sealed class WorkTableNode(RecursiveUnionNode owner) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => owner.Columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx) =>
        ctx.Cache.TryGetValue(this, out var rows) ? (List<object?[]>)rows : [];

    public override void Explain(ExplainWriter w) => w.Node("WorkTable Scan");
}

/// <summary>Rows computed by a delegate: set-returning functions and the virtual pg_catalog tables.</summary>
internal sealed class FunctionScanNode(string label, PlanColumn[] columns, Func<ExecContext, IEnumerable<object?[]>> rows) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx) => rows(ctx);

    public override void Explain(ExplainWriter w) => w.Node(label);
}

/// <summary>Renames/retypes a child's columns (subqueries in FROM with column aliases) without touching rows.</summary>
internal sealed class AliasNode(PlanNode child, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public PlanNode Child => child;

    public override IEnumerable<object?[]> Run(ExecContext ctx) => child.Run(ctx);


    public override void Explain(ExplainWriter w) => child.Explain(w);
}
