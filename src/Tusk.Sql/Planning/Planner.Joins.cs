using System.Numerics;
using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Planning;

/// <summary>
/// Join order and join methods. The relations of a join group are joined left-deep; with at most
/// <see cref="PlannerOptions.JoinCollapseLimit"/> of them the order is chosen by dynamic programming over subsets
/// (each subset's cheapest left-deep plan), else FROM order is kept. Each step joins the plan so far (outer) with
/// one relation (inner) by the cheapest of: a hash join on the equality conditions between them, an index nested
/// loop when the inner relation is a base table whose primary key or a secondary index has a prefix those
/// equalities (and the inner's own constant equalities) pin down, or a nested loop when there are no equalities.
/// Ties keep FROM order. Estimates and costs come from <see cref="CostModel"/>.
/// </summary>
internal sealed partial class Planner
{
    /// <summary>A conjunct reading two or more relations of a join group; for "x = y" also the relations each side reads.</summary>
    private sealed class JoinConjunct
    {
        public required BExpr Expr { get; init; }
        public required ulong Mask { get; init; }

        /// <summary>For an equality without subqueries whose sides both read columns: the relations of each side (else 0).</summary>
        public ulong LeftMask { get; init; }
        public ulong RightMask { get; init; }
    }

    /// <summary>
    /// An equality usable as a join key when joining one relation: <see cref="Outer"/> reads only relations already
    /// joined (over the group's row), <see cref="Inner"/> only the relation joined (over its own row).
    /// </summary>
    private sealed record JoinKey(BExpr Outer, BExpr Inner, BExpr Conjunct);

    /// <summary>How an index nested loop seeks its inner table: which index and the bounds over the outer row.</summary>
    private sealed record IndexPath(IndexDescriptor? Index, KeyBounds Bounds, List<JoinKey> Used, double ProbeCost);

    private static JoinConjunct NewJoinConjunct(BExpr c, ulong mask, List<Relation> relations)
    {
        if (c is CompareExpr { Op: "=" } eq)
        {
            var (l, _) = Mask(eq.Left, relations);
            var (r, _) = Mask(eq.Right, relations);
            if (l != 0 && r != 0 && (l & r) == 0) return new JoinConjunct { Expr = c, Mask = mask, LeftMask = l, RightMask = r };
        }
        return new JoinConjunct { Expr = c, Mask = mask };
    }

    private Access PlanJoins(List<Relation> relations, Access[] access, List<BExpr>[] pushed, List<JoinConjunct> conjuncts)
    {
        var graph = new JoinGraph(this, relations, access, pushed, conjuncts);
        var n = relations.Count;
        var order = Enumerable.Range(0, n).ToArray();
        if (n <= Options.JoinCollapseLimit && n <= PlannerOptions.JoinOrderRelationsMax) order = graph.ChooseOrder();
        return graph.Build(order);
    }

    /// <summary>The estimates of one join group's relations and the costs of joining them in some order. Planning time only.</summary>
    private sealed class JoinGraph
    {
        private readonly Planner _planner;
        private readonly List<Relation> _relations;
        private readonly Access[] _access;
        private readonly List<BExpr>[] _pushed;
        private readonly List<JoinConjunct> _conjuncts;
        private readonly Dictionary<ulong, double> _rows = [];
        private readonly Dictionary<(int, int), double> _pairSelectivity = [];

        public JoinGraph(Planner planner, List<Relation> relations, Access[] access, List<BExpr>[] pushed, List<JoinConjunct> conjuncts)
        {
            _planner = planner;
            _relations = relations;
            _access = access;
            _pushed = pushed;
            _conjuncts = conjuncts;
        }

        private PlannerOptions Options => _planner.Options;

        /// <summary>The cheapest left-deep order by dynamic programming over subsets; FROM order unless another is strictly cheaper.</summary>
        public int[] ChooseOrder()
        {
            var n = _relations.Count;
            var size = 1 << n;
            var cost = new double[size];
            var parent = new int[size];
            Array.Fill(cost, double.PositiveInfinity);
            for (var i = 0; i < n; i++) cost[1 << i] = _access[i].Cost;
            for (var mask = 1; mask < size; mask++)
            {
                if (double.IsPositiveInfinity(cost[mask])) continue;
                for (var r = 0; r < n; r++)
                {
                    if ((mask & (1 << r)) != 0) continue;
                    var next = mask | (1 << r);
                    var c = cost[mask] + StepCost((ulong)mask, r).Cost;
                    if (c < cost[next] * (1 - 1e-9))
                    {
                        cost[next] = c;
                        parent[next] = mask;
                    }
                }
            }
            var order = new int[n];
            var m = size - 1;
            for (var k = n - 1; k > 0; k--)
            {
                order[k] = BitOperations.TrailingZeroCount(m & ~parent[m]);
                m = parent[m];
            }
            order[0] = BitOperations.TrailingZeroCount(m);
            var fromOrder = Enumerable.Range(0, n).ToArray();
            return cost[size - 1] < OrderCost(fromOrder) * (1 - 1e-9) ? order : fromOrder;
        }

        private double OrderCost(int[] order)
        {
            var cost = _access[order[0]].Cost;
            var before = 1UL << order[0];
            for (var k = 1; k < order.Length; k++)
            {
                cost += StepCost(before, order[k]).Cost;
                before |= 1UL << order[k];
            }
            return cost;
        }

        /// <summary>Estimated rows of the join of the relations in <paramref name="mask"/> (the same whatever the order).</summary>
        public double Rows(ulong mask)
        {
            if (_rows.TryGetValue(mask, out var cached)) return cached;
            var rows = 1.0;
            for (var i = 0; i < _relations.Count; i++)
            {
                if ((mask & (1UL << i)) != 0) rows *= _access[i].Rows;
            }
            foreach (var c in _conjuncts)
            {
                if ((c.Mask & ~mask) != 0) continue;
                if (IsPair(c, out var a, out var b))
                {
                    // All equalities between one pair of relations count once, together (they may form a unique key).
                    if (FirstOfPair(c, a, b)) rows *= PairSelectivity(a, b);
                    continue;
                }
                rows *= CostModel.Selectivity(c.Expr);
            }
            rows = Math.Max(1, rows);
            _rows[mask] = rows;
            return rows;
        }

        private static bool IsPair(JoinConjunct c, out int a, out int b)
        {
            a = b = -1;
            if (c.LeftMask == 0 || BitOperations.PopCount(c.LeftMask) != 1 || BitOperations.PopCount(c.RightMask) != 1) return false;
            a = BitOperations.TrailingZeroCount(c.LeftMask | c.RightMask);
            b = 63 - BitOperations.LeadingZeroCount(c.LeftMask | c.RightMask);
            return true;
        }

        private bool FirstOfPair(JoinConjunct c, int a, int b)
        {
            foreach (var other in _conjuncts)
            {
                if (IsPair(other, out var oa, out var ob) && oa == a && ob == b) return ReferenceEquals(other, c);
            }
            return false;
        }

        /// <summary>
        /// The fraction of pairs of rows of relations <paramref name="a"/> and <paramref name="b"/> their equalities keep:
        /// 1/rows of a side whose columns in them form a unique key, else 1/<see cref="CostModel.DistinctValuesDefault"/> per equality.
        /// </summary>
        private double PairSelectivity(int a, int b)
        {
            if (_pairSelectivity.TryGetValue((a, b), out var cached)) return cached;
            var sideA = new List<BExpr>();
            var sideB = new List<BExpr>();
            foreach (var c in _conjuncts)
            {
                if (!IsPair(c, out var ca, out var cb) || ca != a || cb != b) continue;
                var eq = (CompareExpr)c.Expr;
                var leftIsA = c.LeftMask == 1UL << a;
                sideA.Add(Shift(leftIsA ? eq.Left : eq.Right, -_relations[a].Offset));
                sideB.Add(Shift(leftIsA ? eq.Right : eq.Left, -_relations[b].Offset));
            }
            double s;
            if (CoversUniqueKey(_relations[b].Table, _pushed[b], sideB)) s = 1 / BaseRows(b);
            else if (CoversUniqueKey(_relations[a].Table, _pushed[a], sideA)) s = 1 / BaseRows(a);
            else s = Math.Pow(1 / Math.Min(CostModel.DistinctValuesDefault, Math.Max(BaseRows(a), BaseRows(b))), sideA.Count);
            _pairSelectivity[(a, b)] = s;
            return s;
        }

        /// <summary>Rows of the relation before its own predicates (a table's assumed size).</summary>
        private double BaseRows(int i) => _relations[i].Table is not null ? CostModel.TableRowsDefault : _access[i].Rows;

        /// <summary>The equalities that can key a join of relation <paramref name="r"/> to the relations in <paramref name="before"/>.</summary>
        private List<(JoinKey Key, JoinConjunct Conjunct)> Keys(ulong before, int r)
        {
            var bit = 1UL << r;
            var keys = new List<(JoinKey, JoinConjunct)>();
            foreach (var c in _conjuncts)
            {
                if (!AppliesAt(c, before, r) || c.LeftMask == 0) continue;
                var eq = (CompareExpr)c.Expr;
                if (c.RightMask == bit && (c.LeftMask & ~before) == 0) keys.Add((new JoinKey(eq.Left, Shift(eq.Right, -_relations[r].Offset), eq), c));
                else if (c.LeftMask == bit && (c.RightMask & ~before) == 0) keys.Add((new JoinKey(eq.Right, Shift(eq.Left, -_relations[r].Offset), eq), c));
            }
            return keys;
        }

        /// <summary>True when joining <paramref name="r"/> to <paramref name="before"/> completes the relations <paramref name="c"/> reads.</summary>
        private static bool AppliesAt(JoinConjunct c, ulong before, int r)
        {
            var bit = 1UL << r;
            return (c.Mask & bit) != 0 && (c.Mask & ~(before | bit)) == 0;
        }

        /// <summary>The cost of joining relation <paramref name="r"/> to the relations in <paramref name="before"/>, and the index path when an index nested loop is cheapest.</summary>
        public (double Cost, IndexPath? Path) StepCost(ulong before, int r)
        {
            var outerRows = Rows(before);
            var inner = _access[r];
            var keys = Keys(before, r);
            var output = Rows(before | (1UL << r)) * CostModel.OutputRowCost;
            var hash = keys.Count > 0
                ? inner.Cost + inner.Rows * CostModel.HashBuildCost + outerRows * CostModel.HashProbeCost + (Options.EnableHashJoin ? 0 : CostModel.DisabledCost)
                : inner.Cost + outerRows * inner.Rows * CostModel.PairCost;
            if (keys.Count > 0 && Options.EnableNestLoop && _relations[r].Table is { } table)
            {
                var path = BestIndexPath(table, _pushed[r], keys.Select(k => k.Key).ToList());
                if (path is not null && outerRows * path.ProbeCost < hash) return (outerRows * path.ProbeCost + output, path);
            }
            return (hash + output, null);
        }

        /// <summary>The join in <paramref name="order"/>, left-deep, each step by its cheapest method; the output row is in FROM order.</summary>
        public Access Build(int[] order)
        {
            var width = _relations.Sum(r => r.Width);
            var map = new int[width];   // group row index -> index in the joined row so far (-1: not joined yet)
            Array.Fill(map, -1);
            var first = order[0];
            Place(map, first, 0);
            var plan = _access[first].Plan;
            var columns = new List<PlanColumn>(plan.Columns);
            var before = 1UL << first;
            var placed = _relations[first].Width;
            var cost = _access[first].Cost;
            for (var k = 1; k < order.Length; k++)
            {
                var r = order[k];
                var relation = _relations[r];
                var (stepCost, path) = StepCost(before, r);
                var keys = Keys(before, r);
                var stepConjuncts = _conjuncts.Where(c => AppliesAt(c, before, r)).ToList();
                Place(map, r, placed);
                columns.AddRange(_access[r].Plan.Columns);
                if (path is not null)
                {
                    var residual = stepConjuncts.Where(c => !path.Used.Any(u => ReferenceEquals(u.Conjunct, c.Expr) && KeyImpliesEquality(u)))
                        .Select(c => Remap(c.Expr, map)).ToList();
                    var bounds = new KeyBounds { Equal = path.Bounds.Equal.Select(e => Remap(e, map)).ToArray(), Lower = path.Bounds.Lower, Upper = path.Bounds.Upper };
                    var inner = new TableScanNode(relation.Table!, relation.Alias, new KeyBounds(), null);
                    plan = new IndexNestedLoopJoinNode(JoinKind.Inner, plan, inner, path.Index, bounds, AndAll(_pushed[r]), AndAll(residual), [.. columns]);
                }
                else
                {
                    var residual = stepConjuncts.Where(c => !keys.Any(key => ReferenceEquals(key.Conjunct, c))).Select(c => Remap(c.Expr, map)).ToList();
                    plan = new JoinNode(JoinKind.Inner, plan, _access[r].Plan, keys.Select(key => Remap(key.Key.Outer, map)).ToArray(),
                        keys.Select(key => key.Key.Inner).ToArray(), AndAll(residual), [.. columns]);
                }
                before |= 1UL << r;
                placed += relation.Width;
                cost += stepCost;
            }
            if (!order.SequenceEqual(Enumerable.Range(0, order.Length)))
            {
                // Back to FROM order: SELECT * and the scope's column indexes expect it.
                var fromColumns = _access.SelectMany(a => a.Plan.Columns).ToArray();
                var exprs = new BExpr[width];
                for (var i = 0; i < width; i++) exprs[i] = new ColumnExpr(map[i], fromColumns[i].Type, fromColumns[i].Name);
                plan = new ProjectNode(plan, exprs, fromColumns);
            }
            return new Access(plan, Rows(before), cost);
        }

        private void Place(int[] map, int relation, int at)
        {
            var r = _relations[relation];
            for (var j = 0; j < r.Width; j++) map[r.Offset + j] = at + j;
        }

        private static BExpr Remap(BExpr e, int[] map) => e.Rewrite(x =>
        {
            if (x is not ColumnExpr c) return null;
            if (map[c.Index] < 0) throw new InvalidOperationException($"join planning: column {c.Name} read before its relation is joined");
            return new ColumnExpr(map[c.Index], c.Type, c.Name);
        });
    }

    /// <summary>
    /// The cheapest index of <paramref name="table"/> to seek per outer row: its leading columns pinned by join keys
    /// (at least one) or by constant equalities among <paramref name="pushed"/>, then constant bounds on the next
    /// column. Null when no index starts with a joined column.
    /// </summary>
    private static IndexPath? BestIndexPath(TableDescriptor table, List<BExpr> pushed, List<JoinKey> keys)
    {
        var best = TryIndexPath(table, null, table.PrimaryKey, pushed, keys);
        foreach (var index in table.Indexes)
        {
            var path = TryIndexPath(table, index, index.ColumnIds, pushed, keys);
            if (path is not null && (best is null || path.ProbeCost < best.ProbeCost)) best = path;
        }
        return best;
    }

    private static IndexPath? TryIndexPath(TableDescriptor table, IndexDescriptor? index, int[] columnIds, List<BExpr> pushed, List<JoinKey> keys)
    {
        var equal = new List<BExpr>();
        var used = new List<JoinKey>();
        (BExpr Value, bool Inclusive)? lower = null, upper = null;
        foreach (var id in columnIds)
        {
            var ordinal = table.ColumnIndex(id);
            var key = keys.FirstOrDefault(k => IsColumn(k.Inner, ordinal));
            if (key is not null)
            {
                equal.Add(key.Outer);
                used.Add(key);
                continue;
            }
            if (FindComparison(pushed, ordinal, "=") is { } eq)
            {
                equal.Add(eq.Value);
                continue;
            }
            var lo = FindComparison(pushed, ordinal, ">=", ">");
            var hi = FindComparison(pushed, ordinal, "<=", "<");
            lower = lo is null ? null : (lo.Value.Value, lo.Value.Op == ">=");
            upper = hi is null ? null : (hi.Value.Value, hi.Value.Op == "<=");
            break;
        }
        if (used.Count == 0) return null;
        var bounds = new KeyBounds { Equal = [.. equal], Lower = lower, Upper = upper };
        var unique = (index is null || index.Unique) && equal.Count == columnIds.Length;
        var perProbe = Math.Max(1, CostModel.TableRowsDefault * CostModel.BoundsSelectivity(bounds, unique, CostModel.TableRowsDefault));
        // A secondary index entry costs a point read of its row on top.
        var probeCost = CostModel.SeekCost + perProbe * (CostModel.RowCost + (index is null ? 0 : CostModel.SeekCost));
        return new IndexPath(index, bounds, used, probeCost);
    }

    /// <summary>
    /// True when a seek on the key's value already guarantees the equality holds, so the conjunct need not be
    /// tested again: the inner side is the column itself and the outer value has its type (or both are integers,
    /// converted exactly or not matched at all). A cast column, or a text value that a varchar(n) key would truncate,
    /// keeps the conjunct as a join filter.
    /// </summary>
    private static bool KeyImpliesEquality(JoinKey key) =>
        key.Inner is ColumnExpr c && (c.Type == key.Outer.Type || IsInteger(c.Type) && IsInteger(key.Outer.Type));

    private static bool IsInteger(SqlType t) => t.Id is SqlTypeId.Int2 or SqlTypeId.Int4 or SqlTypeId.Int8;

    /// <summary>
    /// An outer join (or an inner join with USING/NATURAL) with the conjuncts pushed onto it. WHERE conjuncts on the
    /// preserved side filter it first; ON conjuncts on the nullable side filter that side first; equalities between
    /// the sides key a hash join or an index nested loop (left and inner joins into a base table); the rest is tested
    /// per pair (ON) or on the joined rows (WHERE).
    /// </summary>
    private Access PlanOuterJoinAccess(JoinKind kind, Relation left, Relation right, List<BExpr> on, List<BExpr> pushed)
    {
        var leftPushed = new List<BExpr>();
        var rightPushed = new List<BExpr>();
        var above = new List<BExpr>();
        var keys = new List<JoinKey>();
        var residual = new List<BExpr>();
        var whereLeft = kind is JoinKind.Inner or JoinKind.Left;
        var whereRight = kind is JoinKind.Inner or JoinKind.Right;
        foreach (var c in pushed)
        {
            var side = Side(c, left.Width);
            if (side == 1 && whereLeft) leftPushed.Add(c);
            else if (side == 2 && whereRight) rightPushed.Add(Shift(c, -left.Width));
            else above.Add(c);
        }
        var onLeft = kind is JoinKind.Inner or JoinKind.Right;
        var onRight = kind is JoinKind.Inner or JoinKind.Left;
        foreach (var c in on)
        {
            if (c is CompareExpr { Op: "=" } eq && !HasSubquery(c))
            {
                var ls = Side(eq.Left, left.Width);
                var rs = Side(eq.Right, left.Width);
                if (ls == 1 && rs == 2) { keys.Add(new JoinKey(eq.Left, Shift(eq.Right, -left.Width), c)); continue; }
                if (ls == 2 && rs == 1) { keys.Add(new JoinKey(eq.Right, Shift(eq.Left, -left.Width), c)); continue; }
            }
            var side = Side(c, left.Width);
            if (side == 1 && onLeft) leftPushed.Add(c);
            else if (side == 2 && onRight) rightPushed.Add(Shift(c, -left.Width));
            else residual.Add(c);
        }
        var la = PlanRelationAccess(left, leftPushed);
        var ra = PlanRelationAccess(right, rightPushed);
        var columns = la.Plan.Columns.Concat(ra.Plan.Columns).ToArray();

        var selectivity = CostModel.Selectivity(residual);
        if (keys.Count > 0)
        {
            selectivity *= CoversUniqueKey(right.Table, rightPushed, keys.Select(k => k.Inner)) ? 1 / CostModel.TableRowsDefault
                : Math.Pow(1 / CostModel.DistinctValuesDefault, keys.Count);
        }
        var inner = Math.Max(1, la.Rows * ra.Rows * selectivity);
        var rows = kind switch
        {
            JoinKind.Left => Math.Max(la.Rows, inner),
            JoinKind.Right => Math.Max(ra.Rows, inner),
            JoinKind.Full => Math.Max(la.Rows + ra.Rows, inner),
            _ => inner,
        };
        var hash = keys.Count > 0
            ? ra.Cost + ra.Rows * CostModel.HashBuildCost + la.Rows * CostModel.HashProbeCost + (Options.EnableHashJoin ? 0 : CostModel.DisabledCost)
            : ra.Cost + la.Rows * ra.Rows * CostModel.PairCost;
        var path = kind is JoinKind.Inner or JoinKind.Left && keys.Count > 0 && Options.EnableNestLoop && right.Table is not null
            ? BestIndexPath(right.Table, rightPushed, keys)
            : null;
        PlanNode plan;
        double cost;
        if (kind == JoinKind.Right && keys.Count > 0 && Options.EnableNestLoop && left.Table is not null
            && MirroredIndexJoin(left, right, la, ra, leftPushed, keys, residual, hash) is { } mirrored)
        {
            (plan, cost) = mirrored;
        }
        else if (path is not null && la.Rows * path.ProbeCost < hash)
        {
            var joinFilter = residual.Concat(keys.Where(k => !path.Used.Contains(k) || !KeyImpliesEquality(k)).Select(k => k.Conjunct)).ToList();
            var scan = new TableScanNode(right.Table!, right.Alias, new KeyBounds(), null);
            plan = new IndexNestedLoopJoinNode(kind, la.Plan, scan, path.Index, path.Bounds, AndAll(rightPushed), AndAll(joinFilter), columns);
            cost = la.Cost + la.Rows * path.ProbeCost;
        }
        else
        {
            plan = new JoinNode(kind, la.Plan, ra.Plan, keys.Select(k => k.Outer).ToArray(), keys.Select(k => k.Inner).ToArray(), AndAll(residual), columns);
            cost = la.Cost + hash;
        }
        cost += rows * CostModel.OutputRowCost;
        if (above.Count == 0) return new Access(plan, rows, cost);
        return new Access(new FilterNode(plan, AndAll(above)!), Math.Max(1, rows * CostModel.Selectivity(above)), cost);
    }

    /// <summary>
    /// A RIGHT join as an index nested loop: the right side is the outer one, seeking the left table, as a LEFT join
    /// with the sides swapped, projected back to left-then-right columns. Null when no index fits or a hash join
    /// (cost <paramref name="hash"/>) is cheaper.
    /// </summary>
    private (PlanNode Plan, double Cost)? MirroredIndexJoin(Relation left, Relation right, Access la, Access ra, List<BExpr> leftPushed,
        List<JoinKey> keys, List<BExpr> residual, double hash)
    {
        // Key sides swap: the outer value now reads the right row (its own layout), the inner column the left row.
        var swapped = keys.Select(k => new JoinKey(k.Inner, k.Outer, k.Conjunct)).ToList();
        var path = BestIndexPath(left.Table!, leftPushed, swapped);
        if (path is null || ra.Rows * path.ProbeCost >= hash) return null;
        var map = new int[left.Width + right.Width];   // join row (left, right) -> swapped row (right, left)
        for (var i = 0; i < left.Width; i++) map[i] = right.Width + i;
        for (var j = 0; j < right.Width; j++) map[left.Width + j] = j;
        var filter = residual.Concat(swapped.Where(k => !path.Used.Contains(k) || !KeyImpliesEquality(k)).Select(k => k.Conjunct))
            .Select(e => e.Rewrite(x => x is ColumnExpr c ? new ColumnExpr(map[c.Index], c.Type, c.Name) : null)).ToList();
        var scan = new TableScanNode(left.Table!, left.Alias, new KeyBounds(), null);
        var swappedColumns = ra.Plan.Columns.Concat(la.Plan.Columns).ToArray();
        PlanNode join = new IndexNestedLoopJoinNode(JoinKind.Left, ra.Plan, scan, path.Index, path.Bounds, AndAll(leftPushed), AndAll(filter), swappedColumns);
        var columns = la.Plan.Columns.Concat(ra.Plan.Columns).ToArray();
        var exprs = columns.Select((c, i) => (BExpr)new ColumnExpr(map[i], c.Type, c.Name)).ToArray();
        return (new ProjectNode(join, exprs, columns), ra.Cost + ra.Rows * path.ProbeCost);
    }

    /// <summary>True when the columns among <paramref name="exprs"/> and the constant equalities among <paramref name="pushed"/> cover the primary key or a unique index.</summary>
    private static bool CoversUniqueKey(TableDescriptor? table, List<BExpr> pushed, IEnumerable<BExpr> exprs)
    {
        if (table is null) return false;
        var list = exprs.ToList();
        bool Pinned(int id)
        {
            var ordinal = table.ColumnIndex(id);
            return list.Any(e => IsColumn(e, ordinal)) || FindComparison(pushed, ordinal, "=") is not null;
        }
        if (table.PrimaryKey.Length > 0 && table.PrimaryKey.All(Pinned)) return true;
        return table.Indexes.Any(i => i.Unique && i.ColumnIds.All(Pinned));
    }

    /// <summary>Rows a scan of <paramref name="table"/> keeps with <paramref name="pushed"/>: one when they pin a unique key.</summary>
    private static double EstimateScanRows(TableDescriptor table, List<BExpr> pushed)
    {
        if (CoversUniqueKey(table, pushed, [])) return 1;
        return Math.Max(1, CostModel.TableRowsDefault * CostModel.Selectivity(pushed));
    }

    /// <summary>The cost of a scan PlanScan chose: the rows its key range reads (and, through a secondary index, a point read each).</summary>
    private static double ScanCost(PlanNode scan)
    {
        switch (scan)
        {
            case TableScanNode t when t.Bounds.IsEmpty:
                return CostModel.TableRowsDefault * CostModel.RowCost;
            case TableScanNode t when t.IsPointLookup:
                return CostModel.SeekCost;
            case TableScanNode t:
                return CostModel.SeekCost + CostModel.TableRowsDefault * CostModel.BoundsSelectivity(t.Bounds, false, CostModel.TableRowsDefault) * CostModel.RowCost;
            case IndexScanNode i:
            {
                var unique = i.Index.Unique && i.Bounds.Equal.Length == i.Index.ColumnIds.Length && i.Bounds.Lower is null && i.Bounds.Upper is null;
                var rows = Math.Max(1, CostModel.TableRowsDefault * CostModel.BoundsSelectivity(i.Bounds, unique, CostModel.TableRowsDefault));
                return CostModel.SeekCost + rows * (CostModel.RowCost + CostModel.SeekCost);
            }
            default:
                return CostModel.TableRowsDefault * CostModel.RowCost;
        }
    }

    /// <summary>Rows a planned source yields: VALUES knows; anything else is <see cref="CostModel.SourceRowsDefault"/>.</summary>
    private static double EstimateSourceRows(PlanNode source) => source switch
    {
        ValuesNode v => Math.Max(1, v.RowCount),
        OneRowNode => 1,
        AliasNode a => EstimateSourceRows(a.Child),
        _ => CostModel.SourceRowsDefault,
    };
}
