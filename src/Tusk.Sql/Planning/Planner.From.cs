using System.Numerics;
using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Planning;

internal sealed partial class Planner
{
    /// <summary>
    /// One FROM relation before joining. A base table (<see cref="Table"/>) is planned once the predicates pushed onto
    /// it are known: a scan, or the inner side of an index nested loop. A planned source (<see cref="Source"/>: a
    /// subquery, CTE, view or function) gets them as a filter. A deferred relation (<see cref="Build"/>: an outer join,
    /// or inner joins nested in one) plans itself with them.
    /// </summary>
    private sealed class Relation
    {
        public TableDescriptor? Table { get; init; }
        public string Alias { get; init; } = "";
        public PlanNode? Source { get; init; }
        public Func<List<BExpr>, Access>? Build { get; init; }
        public required List<ScopeColumn> Columns { get; init; }

        /// <summary>A LATERAL source (<see cref="Source"/>) reading the FROM items before it: run again for each of their rows.</summary>
        public bool Lateral { get; init; }

        /// <summary>Where the relation's columns start in the row of its join group (FROM order).</summary>
        public int Offset { get; set; }

        public int Width => Columns.Count;
    }

    /// <summary>A planned relation or join: the plan, its estimated output rows and its estimated cost (<see cref="CostModel"/>).</summary>
    private sealed record Access(PlanNode Plan, double Rows, double Cost);

    /// <summary>
    /// Relations joined by inner joins (a FROM list with its inner JOINs flattened, or inner joins nested in an outer
    /// join) with the bound WHERE and ON conjuncts over the group's row: the relations' columns in FROM order.
    /// </summary>
    private sealed class JoinGroup
    {
        public required List<Relation> Relations { get; init; }
        public required Scope Scope { get; init; }
        public required List<BExpr> Conjuncts { get; init; }
    }

    /// <summary>The most relations one join group may have (conjuncts record the relations they read as a 64-bit mask).</summary>
    private const int JoinGroupRelationsMax = 64;

    /// <summary>
    /// Plans FROM and WHERE together: predicates on one relation go into its scan (and its key bounds), the inner
    /// joins are ordered by estimated cost (<see cref="PlanJoins"/>), and the output row is in FROM order.
    /// </summary>
    public (PlanNode Plan, Scope Scope) PlanFromWhere(FromItem[] from, Expr? where, Scope? outer)
    {
        var group = BindJoinGroup(from, where, outer);
        return (PlanJoinGroup(group, []).Plan, group.Scope);
    }

    private JoinGroup BindJoinGroup(FromItem[] from, Expr? where, Scope? outer)
    {
        var relations = new List<Relation>();
        var conditions = new List<Expr>();
        foreach (var item in from) Flatten(item, outer, relations, conditions);
        if (where is not null) conditions.Add(where);
        if (relations.Count > JoinGroupRelationsMax)
        {
            throw new SqlException("54001", $"too many relations joined at one level ({relations.Count}, at most {JoinGroupRelationsMax})");
        }

        var scope = LeftScope(relations, outer);
        CheckDuplicateAliases(relations);

        var conjuncts = new List<BExpr>();
        foreach (var cond in conditions)
        {
            var bound = Coerce(BindExpr(cond, scope), SqlType.Bool, false, cond.Position);
            SplitAnd(bound, conjuncts);
        }
        return new JoinGroup { Relations = relations, Scope = scope, Conjuncts = conjuncts };
    }

    /// <summary>
    /// Plans a join group with <paramref name="pushedOnto"/> (conjuncts over the group's row from an enclosing outer
    /// join's WHERE) added to its own. A conjunct reading one relation is pushed onto it; one reading several joins
    /// them; one with a subquery (when there are several relations), or reading none, filters the joined rows.
    /// </summary>
    private Access PlanJoinGroup(JoinGroup group, List<BExpr> pushedOnto)
    {
        var relations = group.Relations;
        var pushed = relations.Select(_ => new List<BExpr>()).ToArray();
        var joinConjuncts = new List<JoinConjunct>();
        var final = new List<BExpr>();
        foreach (var c in group.Conjuncts.Concat(pushedOnto))
        {
            var (mask, hasSubquery) = Mask(c, relations);
            if (hasSubquery && relations.Count > 1 || mask == 0)
            {
                final.Add(c);   // constant, outer-only, or a subquery that must see the whole row
                continue;
            }
            if (BitOperations.PopCount(mask) == 1)
            {
                var i = BitOperations.TrailingZeroCount(mask);
                pushed[i].Add(Shift(c, -relations[i].Offset));
                continue;
            }
            joinConjuncts.Add(NewJoinConjunct(c, mask, relations));
        }
        var access = new Access[relations.Count];
        for (var i = 0; i < relations.Count; i++) access[i] = PlanRelationAccess(relations[i], pushed[i]);
        var result = relations.Count == 1 ? access[0] : PlanJoins(relations, access, pushed, joinConjuncts);
        if (final.Count == 0) return result;
        return new Access(new FilterNode(result.Plan, AndAll(final)!), Math.Max(1, result.Rows * CostModel.Selectivity(final)), result.Cost);
    }

    /// <summary>A relation planned on its own with the conjuncts pushed onto it (over its own columns).</summary>
    private Access PlanRelationAccess(Relation r, List<BExpr> pushed)
    {
        if (r.Table is not null)
        {
            var scan = PlanScan(r.Table, r.Alias, pushed);
            return new Access(scan, EstimateScanRows(r.Table, pushed), ScanCost(scan));
        }
        if (r.Build is not null) return r.Build(pushed);
        var source = r.Source!;
        var rows = EstimateSourceRows(source);
        if (pushed.Count == 0) return new Access(source, rows, rows * CostModel.RowCost);
        return new Access(new FilterNode(source, AndAll(pushed)!), Math.Max(1, rows * CostModel.Selectivity(pushed)), rows * CostModel.RowCost);
    }

    private static void CheckDuplicateAliases(List<Relation> relations)
    {
        var seen = new HashSet<string>();
        foreach (var r in relations)
        {
            if (r.Alias.Length > 0 && !seen.Add(r.Alias))
            {
                throw new SqlException("42712", $"table name \"{r.Alias}\" specified more than once");
            }
        }
    }

    internal static void SplitAnd(BExpr e, List<BExpr> into)
    {
        if (e is AndExpr and)
        {
            SplitAnd(and.Left, into);
            SplitAnd(and.Right, into);
        }
        else if (e is not ConstExpr { Value: true })
        {
            into.Add(e);
        }
    }

    internal static BExpr? AndAll(IReadOnlyList<BExpr> parts)
    {
        if (parts.Count == 0) return null;
        var e = parts[0];
        for (var i = 1; i < parts.Count; i++) e = new AndExpr(e, parts[i]);
        return e;
    }

    private static bool HasSubquery(BExpr e)
    {
        var found = false;
        e.Walk(x => found |= x is SubqueryExpr);
        return found;
    }

    /// <summary>The relations an expression reads (bit i = relation i) and whether it contains a subquery.</summary>
    private static (ulong Mask, bool HasSubquery) Mask(BExpr e, List<Relation> relations)
    {
        var mask = 0UL;
        var sub = false;
        e.Walk(x =>
        {
            if (x is SubqueryExpr) sub = true;
            if (x is not ColumnExpr c) return;
            var r = relations.FindLastIndex(rel => rel.Offset <= c.Index);
            mask |= 1UL << r;
        });
        return (mask, sub);
    }

    /// <summary>Moves column references by <paramref name="delta"/> (from the combined row to one relation's row).</summary>
    private static BExpr Shift(BExpr e, int delta) => delta == 0 ? e : e.Rewrite(x => x is ColumnExpr c ? new ColumnExpr(c.Index + delta, c.Type, c.Name) : null);

    /// <summary>Turns a FROM item into relations: comma lists and inner joins flatten (their ON joins the WHERE); outer joins stay whole.</summary>
    private void Flatten(FromItem item, Scope? outer, List<Relation> relations, List<Expr> conditions)
    {
        if (IsFlatInnerJoin(item))
        {
            var j = (Join)item;
            Flatten(j.Left, outer, relations, conditions);
            Flatten(j.Right, outer, relations, conditions);
            if (j.On is not null) conditions.Add(j.On);
            return;
        }
        // Only a LATERAL subquery or a function may read the items before it: build their scope only for those.
        var mayBeLateral = item is SubqueryRef { Lateral: true } or FunctionRef;
        var relation = PlanRelation(item, outer, mayBeLateral && relations.Count > 0 ? LeftScope(relations, outer) : null);
        if (!relation.Lateral)
        {
            relations.Add(relation);
            return;
        }
        // The LATERAL item and everything before it in the group become one relation: a nested loop re-running it.
        var left = relations.ToList();
        relations.Clear();
        relations.Add(LateralRelation(left, relation, outer));
    }

    private static bool IsFlatInnerJoin(FromItem item) => item is Join { Kind: JoinKind.Inner or JoinKind.Cross, Natural: false, Using.Length: 0 };

    /// <summary>
    /// Plans a FROM item; <paramref name="lateral"/> is the scope of the FROM items before it (their row), which a
    /// LATERAL subquery or a function in FROM may read: such an item comes back as a <see cref="Relation.Lateral"/> one.
    /// </summary>
    private Relation PlanRelation(FromItem item, Scope? outer, Scope? lateral = null)
    {
        switch (item)
        {
            case TableRef t:
            {
                var alias = t.Alias ?? t.Name[^1];
                if (t.Name.Length == 1)
                {
                    for (var i = _ctes.Count - 1; i >= 0; i--)
                    {
                        if (_ctes[i].TryGetValue(t.Name[0], out var cte)) return NodeRelation(cte.Plan, Rename(cte.Columns, t.ColumnAliases, alias), alias);
                    }
                }
                var (schema, name) = SplitName(t.Name, t.Position);
                if (schema is "pg_catalog" or "information_schema" || schema is null && Catalog.Find("public", name) is null)
                {
                    if (VirtualCatalog?.Find(schema, name) is { } v)
                    {
                        return NodeRelation(new FunctionScanNode($"Function Scan on {name}", v.Columns, v.Rows), Rename(v.Columns, t.ColumnAliases, alias), alias);
                    }
                }
                var table = ResolveTable(t.Name, t.Position);
                if (table.Kind == RelationKind.View)
                {
                    var stmt = SqlParser.Parse(table.ViewQuery!)[0] as SelectStmt ?? throw new SqlException("XX000", $"view \"{table.Name}\" has no query");
                    var plan = PlanQuery(stmt, null, out _);
                    var viewCols = Rename(plan.Columns.ToArray(), table.Columns.Select(c => c.Name).ToArray(), table.Name);
                    return NodeRelation(plan, Rename(viewCols, t.ColumnAliases, alias), alias);
                }
                var names = table.Columns.Select(c => c.Name).ToArray();
                for (var i = 0; i < t.ColumnAliases.Length && i < names.Length; i++) names[i] = t.ColumnAliases[i];
                return new Relation
                {
                    Table = table,
                    Alias = alias,
                    Columns = table.Columns.Select((c, i) => new ScopeColumn
                    {
                        Table = alias, Name = names[i], Type = c.Type, Index = i, Hidden = c.Hidden, TableOid = table.Oid, AttNum = (short)(i + 1),
                    }).ToList(),
                };
            }
            case SubqueryRef s:
            {
                var alias = s.Alias ?? "subquery";
                if (s.Lateral && lateral is not null)
                {
                    var lateralPlan = PlanQuery(s.Query, lateral, out _);
                    if (lateral.Referenced) return LateralSource(NodeRelation(lateralPlan, Rename(lateralPlan.Columns.ToArray(), s.ColumnAliases, alias), alias));
                }
                var plan = PlanQuery(s.Query, outer, out _);
                return NodeRelation(plan, Rename(plan.Columns.ToArray(), s.ColumnAliases, alias), alias);
            }
            case FunctionRef f:
            {
                if (lateral is not null)
                {
                    var lateralFunction = PlanFunctionRelation(f, lateral);
                    if (lateral.Referenced) return LateralSource(lateralFunction);
                }
                return PlanFunctionRelation(f, outer);
            }
            case Join j when IsFlatInnerJoin(j):
            {
                // Inner joins under an outer join: a join group of their own, planned (and ordered) with what is pushed onto it.
                var group = BindJoinGroup([j], null, outer);
                return new Relation { Columns = group.Scope.Columns, Build = pushed => PlanJoinGroup(group, pushed) };
            }
            case Join j:
                return PlanOuterJoin(j, outer);
            default:
                throw new SqlException("0A000", $"FROM item {item.GetType().Name} is not supported");
        }
    }

    private static Relation NodeRelation(PlanNode plan, PlanColumn[] columns, string alias) => new()
    {
        Source = columns.Select(c => c.Name).SequenceEqual(plan.Columns.Select(c => c.Name)) ? plan : new AliasNode(plan, columns),
        Alias = alias,
        Columns = columns.Select((c, i) => new ScopeColumn { Table = alias, Name = c.Name, Type = c.Type, Index = i, TableOid = c.TableOid, AttNum = c.AttNum }).ToList(),
    };

    /// <summary>
    /// An outer join (or an inner one with USING or NATURAL): ON and USING are bound now, over the left columns then
    /// the right ones; the sides are planned when the conjuncts pushed onto the join are known (<see cref="PlanOuterJoinAccess"/>).
    /// </summary>
    private Relation PlanOuterJoin(Join j, Scope? outer)
    {
        var left = PlanRelation(j.Left, outer);
        var right = PlanRelation(j.Right, outer, new Scope(outer, left.Columns));
        if (right.Lateral && j.Kind is JoinKind.Right or JoinKind.Full)
        {
            var table = left.Columns.FirstOrDefault(c => c.Table is not null)?.Table;
            throw new SqlException("42P10", "invalid reference to FROM-clause entry" + (table is null ? "" : $" for table \"{table}\""), j.Right.Position,
                detail: "The combining JOIN type must be INNER or LEFT for a LATERAL reference.");
        }
        var columns = new List<ScopeColumn>();
        columns.AddRange(left.Columns);
        var usingNames = j.Natural
            ? left.Columns.Where(c => !c.Hidden && right.Columns.Any(r => !r.Hidden && r.Name == c.Name)).Select(c => c.Name).Distinct().ToArray()
            : j.Using;
        foreach (var c in right.Columns)
        {
            columns.Add(new ScopeColumn
            {
                Table = c.Table, Name = c.Name, Type = c.Type, Index = c.Index + left.Width, Hidden = c.Hidden,
                QualifiedOnly = c.QualifiedOnly || usingNames.Contains(c.Name), TableOid = c.TableOid, AttNum = c.AttNum,
            });
        }
        var scope = new Scope(outer, columns);
        var conjuncts = new List<BExpr>();
        if (j.On is not null) SplitAnd(Coerce(BindExpr(j.On, scope), SqlType.Bool, false, j.On.Position), conjuncts);
        foreach (var name in usingNames)
        {
            var l = left.Columns.FirstOrDefault(c => c.Name == name && !c.Hidden) ?? throw new SqlException("42703", $"column \"{name}\" specified in USING clause does not exist in left table");
            var r = right.Columns.FirstOrDefault(c => c.Name == name && !c.Hidden) ?? throw new SqlException("42703", $"column \"{name}\" specified in USING clause does not exist in right table");
            conjuncts.Add(BindOperator("=", new ColumnExpr(l.Index, l.Type, name), new ColumnExpr(r.Index + left.Width, r.Type, name), 0));
        }
        var kind = j.Kind == JoinKind.Cross ? JoinKind.Inner : j.Kind;
        if (right.Lateral)
        {
            return new Relation
            {
                Columns = columns,
                Build = pushed => LateralAccess(kind, PlanRelationAccess(left, []), right.Source!, [.. conjuncts, .. kind == JoinKind.Inner ? pushed : []], kind == JoinKind.Inner ? [] : pushed, columns),
            };
        }
        return new Relation { Columns = columns, Build = pushed => PlanOuterJoinAccess(kind, left, right, conjuncts, pushed) };
    }

    /// <summary>1 if the expression reads only the left side, 2 only the right, 0 neither or both.</summary>
    private static int Side(BExpr e, int leftWidth)
    {
        bool l = false, r = false, sub = false;
        e.Walk(x =>
        {
            if (x is SubqueryExpr) sub = true;
            if (x is ColumnExpr c)
            {
                if (c.Index < leftWidth) l = true;
                else r = true;
            }
        });
        if (sub) return 0;
        return l && !r ? 1 : r && !l ? 2 : 0;
    }

    private Relation PlanFunctionRelation(FunctionRef f, Scope? outer)
    {
        var name = f.Call.Name[^1].ToLowerInvariant();
        var alias = f.Alias ?? name;
        var scope = new Scope(outer, []);
        var args = f.Call.Args.Select(a => BindExpr(a, scope)).ToArray();
        if (name == "generate_series")
        {
            if (args.Length is < 2 or > 3) throw new SqlException("42883", "function generate_series needs 2 or 3 arguments", f.Call.Position);
            var isTime = args.Take(2).Any(a => a.Type.Id is SqlTypeId.Timestamp or SqlTypeId.TimestampTz or SqlTypeId.Date);
            var colName = f.ColumnAliases.Length > 0 ? f.ColumnAliases[0] : f.Alias ?? "generate_series";
            PlanColumn[] columns;
            Func<ExecContext, IEnumerable<object?[]>> rows;
            if (isTime)
            {
                var type = args.Any(a => a.Type.Id == SqlTypeId.TimestampTz) ? SqlType.TimestampTz : SqlType.Timestamp;
                var start = Coerce(args[0], type, false, f.Call.Position);
                var stop = Coerce(args[1], type, false, f.Call.Position);
                var step = args.Length == 3 ? Coerce(args[2], SqlType.Interval, false, f.Call.Position) : throw new SqlException("42883", "generate_series over timestamps needs a step interval", f.Call.Position);
                var add = Functions.Builtins.ResolveOperator("+", type, SqlType.Interval) ?? throw new SqlException("42883", "timestamp + interval is not available");
                columns = [new PlanColumn(colName, type)];
                rows = ctx => TimeSeries(ctx, start, stop, step, add);
            }
            else
            {
                var type = CommonType(args, f.Call.Position, "generate_series");
                if (type.Id is SqlTypeId.Int2) type = SqlType.Int4;
                var bound = args.Select(a => Coerce(a, type, false, f.Call.Position)).ToArray();
                columns = [new PlanColumn(colName, type)];
                rows = ctx => NumberSeries(ctx, bound, type);
            }
            return NodeRelation(new FunctionScanNode("Function Scan on generate_series", columns, rows), columns, alias);
        }
        // A scalar function in FROM yields one row.
        var e = BindExpr(f.Call, scope);
        var cols = new[] { new PlanColumn(f.ColumnAliases.Length > 0 ? f.ColumnAliases[0] : f.Alias ?? name, e.Type) };
        return NodeRelation(new ProjectNode(new OneRowNode(), [e], cols), cols, alias);
    }

    private static IEnumerable<object?[]> NumberSeries(ExecContext ctx, BExpr[] args, SqlType type)
    {
        var start = args[0].Eval(ctx, []);
        var stop = args[1].Eval(ctx, []);
        var step = args.Length == 3 ? args[2].Eval(ctx, []) : (object)1;
        if (start is null || stop is null || step is null) yield break;
        if (type.Id == SqlTypeId.Numeric || type.Id is SqlTypeId.Float8 or SqlTypeId.Float4)
        {
            SqlNumeric s = Values.ToNumeric(start), e = Values.ToNumeric(stop), st = Values.ToNumeric(step);
            if (st.IsZero) throw new SqlException("22023", "step size cannot equal zero");
            if (!s.IsFinite || !e.IsFinite || !st.IsFinite) throw new SqlException("22023", "start, stop and step values cannot be NaN or infinity");
            for (var v = s; st.Sign > 0 ? v <= e : v >= e; v += st)
            {
                ctx.Check();
                yield return [type.Id == SqlTypeId.Numeric ? v : (object)v.ToDouble()];
            }
            yield break;
        }
        long a = Values.ToLong(start), b = Values.ToLong(stop), d = Values.ToLong(step);
        if (d == 0) throw new SqlException("22023", "step size cannot equal zero");
        for (var v = a; d > 0 ? v <= b : v >= b; v += d)
        {
            ctx.Check();
            yield return [Values.Narrow(v, type.Id)];
            if (d > 0 && v > long.MaxValue - d || d < 0 && v < long.MinValue - d) yield break;
        }
    }

    private static IEnumerable<object?[]> TimeSeries(ExecContext ctx, BExpr start, BExpr stop, BExpr step, Functions.ScalarFunction add)
    {
        var s = start.Eval(ctx, []);
        var e = stop.Eval(ctx, []);
        var st = step.Eval(ctx, []);
        if (s is null || e is null || st is null) yield break;
        var forward = ((Interval)st).TotalMicroseconds > 0;
        if (((Interval)st).TotalMicroseconds == 0) throw new SqlException("22023", "step size cannot equal zero");
        for (var v = s; forward ? Values.Compare(v, e) <= 0 : Values.Compare(v, e) >= 0; v = add.Invoke([v, st], ctx.Functions)!)
        {
            ctx.Check();
            yield return [v];
        }
    }
}
