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

/// <summary>
/// A join that runs the right side once: with equality keys a hash join (a table of the right rows by key, probed with
/// each left row; NULL keys never match), without keys a nested loop (every right row is a candidate). The residual
/// condition filters candidates; outer joins add the unmatched rows with NULLs.
/// </summary>
internal sealed class JoinNode(JoinKind kind, PlanNode left, PlanNode right, BExpr[] leftKeys, BExpr[] rightKeys, BExpr? residual, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

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
                    ctx.Check();
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

    public override void Explain(ExplainWriter w)
    {
        var outer = kind is JoinKind.Inner or JoinKind.Cross ? "" : $" {JoinRows.Name(kind)} Join";
        if (leftKeys.Length == 0)
        {
            w.Node("Nested Loop" + outer, () =>
            {
                if (residual is not null) w.Detail("Join Filter: " + residual);
                left.Explain(w);
                right.Explain(w);
            });
            return;
        }
        w.Node(outer.Length == 0 ? "Hash Join" : "Hash" + outer, () =>
        {
            w.Detail("Hash Cond: " + string.Join(" AND ", leftKeys.Select((k, i) => $"({k} = {rightKeys[i]})")));
            if (residual is not null) w.Detail("Join Filter: " + residual);
            left.Explain(w);
            w.Node("Hash", () => right.Explain(w));
        });
    }
}

/// <summary>
/// A LATERAL join: a nested loop that runs the right side again for each left row, with that row as the enclosing
/// row its outer column references read (pushed only while the right side is advanced, so rows flowing out see their
/// own enclosing rows). <paramref name="condition"/> is the ON condition; a left join adds a NULL-extended row for a
/// left row no right row joined.
/// </summary>
internal sealed class LateralJoinNode(JoinKind kind, PlanNode left, PlanNode right, BExpr? condition, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var rightWidth = right.Columns.Count;
        foreach (var l in left.Run(ctx))
        {
            var matched = false;
            using var rows = Advance(ctx, l, null, out var first);
            var hasRow = first;
            while (hasRow)
            {
                ctx.Check();
                var row = JoinRows.Combine(l, rows.Current);
                if (condition is null || condition.IsTrue(ctx, row))
                {
                    matched = true;
                    yield return row;
                }
                Advance(ctx, l, rows, out hasRow);
            }
            if (!matched && kind == JoinKind.Left) yield return JoinRows.Combine(l, JoinRows.Nulls(rightWidth));
        }
    }

    /// <summary>Starts (when <paramref name="rows"/> is null) or advances the right side with <paramref name="outer"/> as the enclosing row.</summary>
    private IEnumerator<object?[]> Advance(ExecContext ctx, object?[] outer, IEnumerator<object?[]>? rows, out bool hasRow)
    {
        ctx.PushOuter(outer);
        try
        {
            rows ??= right.Run(ctx).GetEnumerator();
            hasRow = rows.MoveNext();
            return rows;
        }
        finally
        {
            ctx.PopOuter();
        }
    }

    public override void Explain(ExplainWriter w) => w.Node(kind == JoinKind.Left ? "Nested Loop Left Join" : "Nested Loop", () =>
    {
        if (condition is not null) w.Detail("Join Filter: " + condition);
        left.Explain(w);
        right.Explain(w);
    });
}
