using Tusk.Sql.Parser;

namespace Tusk.Sql.Execution;

/// <summary>Output row of a join: the left row's columns, then the right row's.</summary>
internal static class JoinRows
{
    public static object?[] Combine(object?[] left, object?[] right)
    {
        var row = new object?[left.Length + right.Length];
        left.CopyTo(row, 0);
        right.CopyTo(row, left.Length);
        return row;
    }

    public static object?[] Nulls(int width) => new object?[width];

    public static string Name(JoinKind kind) => kind switch
    {
        JoinKind.Left => "Left",
        JoinKind.Right => "Right",
        JoinKind.Full => "Full",
        _ => "Inner",
    };
}

/// <summary>Nested loop: every left row against every right row (the right side runs once and is replayed).</summary>
internal sealed class NestedLoopJoinNode(JoinKind kind, PlanNode left, PlanNode right, BExpr? condition, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public override double EstimatedRows => left.EstimatedRows * right.EstimatedRows / (condition is null ? 1 : 3);

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var rightRows = right.Run(ctx).ToList();
        var rightWidth = right.Columns.Count;
        var leftWidth = left.Columns.Count;
        var rightMatched = kind is JoinKind.Right or JoinKind.Full ? new bool[rightRows.Count] : null;
        foreach (var l in left.Run(ctx))
        {
            var matched = false;
            for (var i = 0; i < rightRows.Count; i++)
            {
                ctx.Check();
                var row = JoinRows.Combine(l, rightRows[i]);
                if (condition is null || condition.IsTrue(ctx, row))
                {
                    matched = true;
                    if (rightMatched is not null) rightMatched[i] = true;
                    yield return row;
                }
            }
            if (!matched && kind is JoinKind.Left or JoinKind.Full) yield return JoinRows.Combine(l, JoinRows.Nulls(rightWidth));
        }
        if (rightMatched is null) yield break;
        for (var i = 0; i < rightRows.Count; i++)
        {
            if (!rightMatched[i]) yield return JoinRows.Combine(JoinRows.Nulls(leftWidth), rightRows[i]);
        }
    }

    public override void Explain(ExplainWriter w) => w.Node(kind == JoinKind.Inner || kind == JoinKind.Cross ? "Nested Loop" : $"Nested Loop {JoinRows.Name(kind)} Join", () =>
    {
        if (condition is not null) w.Detail("Join Filter: " + condition);
        left.Explain(w);
        right.Explain(w);
    });
}

/// <summary>
/// Index nested loop: for each left row, the right side (a scan whose key bounds read the left row as the outer row)
/// runs again. Used when the right side has an index on the join key.
/// </summary>
internal sealed class IndexNestedLoopJoinNode(JoinKind kind, PlanNode left, PlanNode right, BExpr? condition, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public override double EstimatedRows => left.EstimatedRows;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var rightWidth = right.Columns.Count;
        foreach (var l in left.Run(ctx))
        {
            var matched = false;
            ctx.PushOuter(l);
            List<object?[]> rights;
            try
            {
                rights = right.Run(ctx).ToList();
            }
            finally
            {
                ctx.PopOuter();
            }
            foreach (var r in rights)
            {
                var row = JoinRows.Combine(l, r);
                if (condition is null || condition.IsTrue(ctx, row))
                {
                    matched = true;
                    yield return row;
                }
            }
            if (!matched && kind == JoinKind.Left) yield return JoinRows.Combine(l, JoinRows.Nulls(rightWidth));
        }
    }

    public override void Explain(ExplainWriter w) => w.Node(kind == JoinKind.Left ? "Nested Loop Left Join" : "Nested Loop", () =>
    {
        if (condition is not null) w.Detail("Join Filter: " + condition);
        left.Explain(w);
        right.Explain(w);
    });
}

/// <summary>Hash join on equality keys: builds a table of the right side, probes with the left; NULL keys never match.</summary>
internal sealed class HashJoinNode(JoinKind kind, PlanNode left, PlanNode right, BExpr[] leftKeys, BExpr[] rightKeys, BExpr? residual, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public override double EstimatedRows => Math.Max(left.EstimatedRows, right.EstimatedRows);

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var rightRows = new List<object?[]>();
        var table = new Dictionary<object?[], List<int>>(Values.RowComparer.Instance);
        foreach (var r in right.Run(ctx))
        {
            ctx.Check();
            var index = rightRows.Count;
            rightRows.Add(r);
            var key = Key(ctx, rightKeys, r);
            if (key is null) continue;
            if (!table.TryGetValue(key, out var list)) table[key] = list = [];
            list.Add(index);
        }
        var rightMatched = kind is JoinKind.Right or JoinKind.Full ? new bool[rightRows.Count] : null;
        var rightWidth = right.Columns.Count;
        var leftWidth = left.Columns.Count;
        foreach (var l in left.Run(ctx))
        {
            var matched = false;
            var key = Key(ctx, leftKeys, l);
            if (key is not null && table.TryGetValue(key, out var candidates))
            {
                foreach (var i in candidates)
                {
                    var row = JoinRows.Combine(l, rightRows[i]);
                    if (residual is null || residual.IsTrue(ctx, row))
                    {
                        matched = true;
                        if (rightMatched is not null) rightMatched[i] = true;
                        yield return row;
                    }
                }
            }
            if (!matched && kind is JoinKind.Left or JoinKind.Full) yield return JoinRows.Combine(l, JoinRows.Nulls(rightWidth));
        }
        if (rightMatched is null) yield break;
        for (var i = 0; i < rightRows.Count; i++)
        {
            if (!rightMatched[i]) yield return JoinRows.Combine(JoinRows.Nulls(leftWidth), rightRows[i]);
        }
    }

    private static object?[]? Key(ExecContext ctx, BExpr[] keys, object?[] row)
    {
        var key = new object?[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            key[i] = keys[i].Eval(ctx, row);
            if (key[i] is null) return null;
        }
        return key;
    }

    public override void Explain(ExplainWriter w) => w.Node(kind == JoinKind.Inner ? "Hash Join" : $"Hash {JoinRows.Name(kind)} Join", () =>
    {
        w.Detail("Hash Cond: " + string.Join(" AND ", leftKeys.Select((k, i) => $"({k} = {rightKeys[i]})")));
        if (residual is not null) w.Detail("Join Filter: " + residual);
        left.Explain(w);
        w.Node("Hash", () => right.Explain(w));
    });
}
