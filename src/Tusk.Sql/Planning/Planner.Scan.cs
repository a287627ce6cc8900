using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;

namespace Tusk.Sql.Planning;

internal sealed partial class Planner
{
    /// <summary>
    /// A scan of <paramref name="table"/> filtered by <paramref name="conjuncts"/> (over the table's row): the primary
    /// key or the secondary index whose leading columns the conjuncts pin down best, else a full scan.
    /// </summary>
    internal PlanNode PlanScan(TableDescriptor table, string alias, List<BExpr> conjuncts)
    {
        var filter = AndAll(conjuncts);
        var pkOrdinals = table.PrimaryKey.Select(table.ColumnIndex).ToArray();
        var pkBounds = Bounds(pkOrdinals, conjuncts);
        var scan = new TableScanNode(table, alias, pkBounds, filter);
        if (scan.IsPointLookup) return scan;
        var best = (Index: (IndexDescriptor?)null, Bounds: pkBounds, Score: Score(pkBounds, pkOrdinals.Length, unique: true));
        foreach (var index in table.Indexes)
        {
            var ordinals = index.ColumnIds.Select(table.ColumnIndex).ToArray();
            var b = Bounds(ordinals, conjuncts);
            var score = Score(b, ordinals.Length, index.Unique);
            if (score > best.Score) best = (index, b, score);
        }
        if (best.Index is null) return scan;
        return new IndexScanNode(new TableScanNode(table, alias, new KeyBounds(), null), best.Index, best.Bounds, filter);
    }

    private static int Score(KeyBounds b, int columns, bool unique)
    {
        if (b.IsEmpty) return 0;
        var score = b.Equal.Length * 10 + (b.Lower is not null ? 3 : 0) + (b.Upper is not null ? 3 : 0);
        if (unique && b.Equal.Length == columns) score += 100;
        return score;
    }

    /// <summary>Key bounds on the columns at <paramref name="ordinals"/> (in key order) from comparisons of a column with a row-independent value.</summary>
    private static KeyBounds Bounds(int[] ordinals, List<BExpr> conjuncts)
    {
        var equal = new List<BExpr>();
        foreach (var ordinal in ordinals)
        {
            var eq = FindComparison(conjuncts, ordinal, "=");
            if (eq is null)
            {
                var lower = FindComparison(conjuncts, ordinal, ">=", ">");
                var upper = FindComparison(conjuncts, ordinal, "<=", "<");
                return new KeyBounds
                {
                    Equal = [.. equal],
                    Lower = lower is null ? null : (lower.Value.Value, lower.Value.Op == ">="),
                    Upper = upper is null ? null : (upper.Value.Value, upper.Value.Op == "<="),
                };
            }
            equal.Add(eq.Value.Value);
        }
        return new KeyBounds { Equal = [.. equal] };
    }

    /// <summary>Finds "column op value" (or "value op' column") among the conjuncts, normalized to column on the left.</summary>
    private static (BExpr Value, string Op)? FindComparison(List<BExpr> conjuncts, int ordinal, params string[] ops)
    {
        foreach (var c in conjuncts)
        {
            if (c is not CompareExpr cmp) continue;
            if (IsColumn(cmp.Left, ordinal) && IsKeyValue(cmp.Right) && ops.Contains(cmp.Op)) return (cmp.Right, cmp.Op);
            var flipped = Flip(cmp.Op);
            if (IsColumn(cmp.Right, ordinal) && IsKeyValue(cmp.Left) && ops.Contains(flipped)) return (cmp.Left, flipped);
        }
        return null;
    }

    private static string Flip(string op) => op switch
    {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        _ => op,
    };

    /// <summary>The column itself, or the column widened to a numeric type (the comparison then converts the bound back).</summary>
    private static bool IsColumn(BExpr e, int ordinal) => e switch
    {
        ColumnExpr c => c.Index == ordinal,
        CastExpr { Operand: ColumnExpr c } cast => c.Index == ordinal && cast.Type.IsNumeric && c.Type.IsNumeric
            || c.Index == ordinal && cast.Type.IsText && c.Type.IsText,
        _ => false,
    };

    /// <summary>A value known before the scan starts: no column of this row, no subquery, no volatile function.</summary>
    private static bool IsKeyValue(BExpr e)
    {
        var ok = true;
        e.Walk(x =>
        {
            if (x is ColumnExpr or SubqueryExpr || x is FuncExpr { Function.Volatile: true } || x is DelegateExpr { Volatile: true }) ok = false;
        });
        return ok;
    }
}
