using Tusk.Kv;
using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Planning;

internal sealed partial class Planner
{
    /// <summary>Plans a query; <paramref name="correlated"/> tells whether it reads columns of <paramref name="outer"/> or above.</summary>
    public PlanNode PlanQuery(SelectStmt q, Scope? outer, out bool correlated)
    {
        var level = outer is null ? 0 : outer.Level + 1;
        _frames.Add((level, false));
        var frame = _frames.Count - 1;
        var pushedCtes = false;
        try
        {
            if (q.With is not null)
            {
                _ctes.Add(new Dictionary<string, CteEntry>());
                pushedCtes = true;
                foreach (var cte in q.With.Ctes) PlanCte(cte, q.With.Recursive, outer);
            }
            if (q.Locking.Length > 0 && (outer is not null || _frames.Count > 1))
            {
                throw new SqlException("0A000", $"{LockingName(q.Locking[0])} is supported only at the top level of a query", q.Position);
            }
            var (plan, width) = q.Locking.Length > 0
                ? q.Body is SelectCore lockedCore
                    ? PlanSelectCore(lockedCore, outer, q.OrderBy, q.Locking)
                    : throw new SqlException("0A000", $"{LockingName(q.Locking[0])} is not allowed with UNION/INTERSECT/EXCEPT", q.Position)
                : PlanBody(q.Body, outer, q.OrderBy);
            if (q.Limit is not null || q.Offset is not null)
            {
                var empty = new Scope(outer, []);
                var limit = q.Limit is null ? null : Coerce(BindExpr(q.Limit, empty), SqlType.Int8, false, q.Limit.Position);
                var offset = q.Offset is null ? null : Coerce(BindExpr(q.Offset, empty), SqlType.Int8, false, q.Offset.Position);
                if (limit is ConstExpr { Value: null }) limit = null;
                plan = new LimitNode(plan, limit, offset);
            }
            if (width < plan.Columns.Count)
            {
                var cols = plan.Columns.Take(width).ToArray();
                plan = new ProjectNode(plan, cols.Select((c, i) => (BExpr)new ColumnExpr(i, c.Type, c.Name)).ToArray(), cols);
            }
            correlated = _frames[frame].Correlated;
            return plan;
        }
        finally
        {
            if (pushedCtes) _ctes.RemoveAt(_ctes.Count - 1);
            _frames.RemoveAt(frame);
        }
    }

    private void PlanCte(CommonTableExpr cte, bool recursive, Scope? outer)
    {
        var scope = _ctes[^1];
        if (recursive && cte.Query.Body is SetOperation union && union.Op.Equals("union", StringComparison.OrdinalIgnoreCase) && References(cte.Query, cte.Name))
        {
            var (anchor, anchorWidth) = PlanBody(union.Left, outer, []);
            var columns = Rename(anchor.Columns.Take(anchorWidth).ToArray(), cte.Columns, cte.Name);
            var node = new RecursiveUnionNode(columns, union.All) { Anchor = anchor };
            scope[cte.Name] = new CteEntry(node.WorkTable, columns);
            var (recursivePlan, _) = PlanBody(union.Right, outer, []);
            if (recursivePlan.Columns.Count != columns.Length)
            {
                throw new SqlException("42601", $"each UNION query must have the same number of columns in recursive query \"{cte.Name}\"");
            }
            node.Recursive = CoerceColumns(recursivePlan, columns.Select(c => c.Type).ToArray());
            scope[cte.Name] = new CteEntry(new MaterializeNode(node, $"CTE {cte.Name}"), columns);
            return;
        }
        var plan = PlanQuery(cte.Query, outer, out _);
        var cols = Rename(plan.Columns.ToArray(), cte.Columns, cte.Name);
        scope[cte.Name] = new CteEntry(new MaterializeNode(plan, $"CTE {cte.Name}"), cols);
    }

    /// <summary>Whether the query reads a relation called <paramref name="name"/> in a FROM clause (a recursive CTE's self-reference).</summary>
    private static bool References(SelectStmt q, string name) => References(q.Body, name);

    private static bool References(QueryBody body, string name) => body switch
    {
        SelectCore core => core.From.Any(f => References(f, name)),
        SetOperation set => References(set.Left, name) || References(set.Right, name),
        NestedQuery nested => References(nested.Query, name),
        _ => false,
    };

    private static bool References(FromItem item, string name) => item switch
    {
        TableRef { Name.Length: 1 } t => t.Name[0] == name,
        SubqueryRef s => References(s.Query, name),
        Join j => References(j.Left, name) || References(j.Right, name),
        _ => false,
    };

    private static PlanColumn[] Rename(PlanColumn[] columns, string[] names, string relation)
    {
        if (names.Length > columns.Length) throw new SqlException("42P10", $"\"{relation}\" has {columns.Length} columns available but {names.Length} columns specified");
        return columns.Select((c, i) => i < names.Length ? c with { Name = names[i] } : c).ToArray();
    }

    /// <summary>Adds a projection casting the plan's columns to <paramref name="types"/> where they differ.</summary>
    private PlanNode CoerceColumns(PlanNode plan, SqlType[] types)
    {
        var cols = plan.Columns;
        if (cols.Select(c => c.Type).SequenceEqual(types)) return plan;
        var exprs = cols.Select((c, i) => Coerce(new ColumnExpr(i, c.Type, c.Name), types[i], false, 0)).ToArray();
        return new ProjectNode(plan, exprs, cols.Select((c, i) => c with { Type = types[i] }).ToArray());
    }

    /// <summary>Plans a query body with ORDER BY; returns the plan and how many leading columns are its output (the rest are sort keys).</summary>
    private (PlanNode Plan, int Width) PlanBody(QueryBody body, Scope? outer, OrderItem[] orderBy)
    {
        switch (body)
        {
            case SelectCore core:
                return PlanSelectCore(core, outer, orderBy);
            case NestedQuery nested:
            {
                var plan = PlanQuery(nested.Query, outer, out _);
                return (SortByOutput(plan, orderBy, outer), plan.Columns.Count);
            }
            case ValuesBody values:
            {
                var plan = PlanValues(values, outer, null);
                return (SortByOutput(plan, orderBy, outer), plan.Columns.Count);
            }
            case SetOperation set:
            {
                var (left, lw) = PlanBody(set.Left, outer, []);
                var (right, rw) = PlanBody(set.Right, outer, []);
                if (lw != rw) throw new SqlException("42601", $"each {set.Op} query must have the same number of columns");
                var types = new SqlType[lw];
                for (var i = 0; i < lw; i++)
                {
                    types[i] = CommonType([new ColumnExpr(i, left.Columns[i].Type, ""), new ColumnExpr(i, right.Columns[i].Type, "")], 0, set.Op);
                }
                left = CoerceColumns(left, types);
                right = CoerceColumns(right, types);
                var columns = left.Columns.Select((c, i) => new PlanColumn(c.Name, types[i])).ToArray();
                PlanNode plan = new SetOpNode(set.Op.ToUpperInvariant(), set.All, left, right, columns);
                return (SortByOutput(plan, orderBy, outer), lw);
            }
            default:
                throw new SqlException("0A000", $"query form {body.GetType().Name} is not supported");
        }
    }

    /// <summary>ORDER BY over a plan's output columns only (set operations, VALUES): names and ordinals.</summary>
    private PlanNode SortByOutput(PlanNode plan, OrderItem[] orderBy, Scope? outer)
    {
        if (orderBy.Length == 0) return plan;
        var scope = new Scope(outer, plan.Columns.Select((c, i) => new ScopeColumn { Table = null, Name = c.Name, Type = c.Type, Index = i }).ToList());
        var keys = new List<(int, bool, bool)>();
        var display = new List<string>();
        var extra = new List<BExpr>();
        foreach (var item in orderBy)
        {
            var index = OutputOrdinal(item.Expression, plan.Columns);
            if (index < 0)
            {
                var e = BindExpr(item.Expression, scope);
                index = plan.Columns.Count + extra.Count;
                extra.Add(e);
            }
            keys.Add((index, item.Descending, item.NullsFirst ?? item.Descending));
            display.Add(SqlText.Print(item.Expression) + (item.Descending ? " DESC" : ""));
        }
        if (extra.Count > 0)
        {
            var cols = plan.Columns.ToList();
            var exprs = cols.Select((c, i) => (BExpr)new ColumnExpr(i, c.Type, c.Name)).Concat(extra).ToArray();
            plan = new ProjectNode(plan, exprs, [.. cols, .. extra.Select(e => new PlanColumn("?sort?", e.Type))]);
        }
        return new SortNode(plan, [.. keys], [.. display]);
    }

    /// <summary>An ORDER BY/GROUP BY item that names an output column: an integer ordinal or a bare output name; else -1.</summary>
    private static int OutputOrdinal(Expr e, IReadOnlyList<PlanColumn> columns)
    {
        if (e is Literal { Kind: LiteralKind.Integer } lit)
        {
            var n = int.Parse(lit.Text, System.Globalization.CultureInfo.InvariantCulture);
            if (n < 1 || n > columns.Count) throw new SqlException("42P10", $"ORDER BY position {n} is not in select list", e.Position);
            return n - 1;
        }
        if (e is ColumnRef { Parts.Length: 1 } c)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                if (columns[i].Name == c.Parts[0]) return i;
            }
        }
        return -1;
    }

    private ValuesNode PlanValues(ValuesBody values, Scope? outer, SqlType[]? targetTypes)
    {
        var scope = new Scope(outer, []);
        var width = values.Rows[0].Length;
        var rows = new List<BExpr[]>();
        foreach (var r in values.Rows)
        {
            if (r.Length != width) throw new SqlException("42601", "VALUES lists must all be the same length", r.Length > 0 ? r[0].Position : -1);
            rows.Add(r.Select(e => e is DefaultValue ? new ConstExpr(DefaultMarker.Instance, SqlType.Unknown) : BindExpr(e, scope)).ToArray());
        }
        var types = new SqlType[width];
        for (var i = 0; i < width; i++)
        {
            types[i] = targetTypes is not null && i < targetTypes.Length
                ? targetTypes[i]
                : CommonType(rows.Select(r => r[i]).Where(x => x is not ConstExpr { Value: DefaultMarker }).ToList(), values.Rows[0][i].Position, "VALUES");
        }
        var bound = rows.Select(r => r.Select((e, i) => e is ConstExpr { Value: DefaultMarker } ? e : Coerce(e, types[i], targetTypes is not null, e is ConstExpr ? 0 : 0)).ToArray()).ToArray();
        var columns = types.Select((t, i) => new PlanColumn($"column{i + 1}", t)).ToArray();
        return new ValuesNode(columns, bound);
    }

    private (PlanNode Plan, int Width) PlanSelectCore(SelectCore core, Scope? outer, OrderItem[] orderBy, LockingClause[]? locking = null)
    {
        RejectWindows(core);
        var (input, scope) = core.From.Length == 0
            ? (new OneRowNode(), new Scope(outer, []))
            : PlanFromWhere(core.From, core.Where, outer);
        if (core.From.Length == 0 && core.Where is not null)
        {
            input = new FilterNode(input, Coerce(BindExpr(core.Where, scope), SqlType.Bool, false, core.Where.Position));
        }

        // Expand * into column references (over the FROM scope).
        var targets = new List<(Expr Expr, string Name, ScopeColumn? Source)>();
        foreach (var t in core.Targets)
        {
            if (t.Expression is Star star)
            {
                var matched = false;
                foreach (var c in scope.Columns)
                {
                    if (c.Hidden || c.QualifiedOnly || (star.Table is not null && c.Table != star.Table.Split('.')[^1])) continue;
                    matched = true;
                    Expr refExpr = c.Table is null ? new ColumnRef([c.Name]) : new ColumnRef([c.Table, c.Name]);
                    targets.Add((refExpr with { Position = star.Position }, c.Name, c));
                }
                if (!matched && star.Table is not null) throw new SqlException("42P01", $"missing FROM-clause entry for table \"{star.Table}\"", star.Position);
                if (!matched && core.From.Length == 0) throw new SqlException("42601", "SELECT * with no tables specified is not valid", star.Position);
                continue;
            }
            targets.Add((t.Expression, t.Alias ?? OutputName(t.Expression), null));
        }

        var aggregated = core.GroupBy.Length > 0 || core.Having is not null
            || targets.Any(t => ContainsAggregate(t.Expr)) || orderBy.Any(o => ContainsAggregate(o.Expression));
        var bindScope = scope;
        List<AggregateSpec>? aggregates = null;
        BExpr[]? groupExprs = null;
        if (aggregated)
        {
            (bindScope, aggregates, groupExprs) = PrepareAggregation(core, targets, scope, outer);
        }
        var aggregateScope = bindScope;
        WindowBinding? windows = null;
        if (core.Windows.Length > 0 || targets.Any(t => ContainsWindow(t.Expr)) || orderBy.Any(o => ContainsWindow(o.Expression)))
        {
            windows = new WindowBinding { Input = bindScope, Named = NamedWindows(core) };
            bindScope = WindowScope(bindScope, windows, outer);
        }

        var exprs = new List<BExpr>();
        var columns = new List<PlanColumn>();
        foreach (var (expr, name, source) in targets)
        {
            var bound = BindExpr(expr, bindScope);
            if (bound.Type.Id == SqlTypeId.Unknown) bound = Coerce(bound, SqlType.Text, false, expr.Position);
            exprs.Add(bound);
            columns.Add(new PlanColumn(name, bound.Type, source?.TableOid ?? 0, source?.AttNum ?? 0));
        }
        var width = exprs.Count;
        BExpr? having = core.Having is null ? null : Coerce(BindExpr(core.Having, aggregateScope), SqlType.Bool, false, core.Having.Position);

        // ORDER BY: output columns by ordinal or name, else expressions computed as hidden columns.
        var sortKeys = new List<(int Index, bool, bool)>();
        var display = new List<string>();
        var hidden = new Dictionary<string, int>();
        int SortColumn(Expr expr)
        {
            var index = OutputOrdinal(expr, columns);
            var printed = AstPrinter.Print(expr);
            if (index < 0) index = targets.FindIndex(t => AstPrinter.Print(t.Expr) == printed);
            if (index < 0 && !hidden.TryGetValue(printed, out index))
            {
                if (core.Distinct && core.DistinctOn is null) throw new SqlException("42P10", "for SELECT DISTINCT, ORDER BY expressions must appear in select list", expr.Position);
                var e = BindExpr(expr, bindScope);
                index = exprs.Count;
                exprs.Add(e);
                columns.Add(new PlanColumn("?sort?", e.Type));
                hidden[printed] = index;
            }
            return index;
        }
        foreach (var item in orderBy)
        {
            sortKeys.Add((SortColumn(item.Expression), item.Descending, item.NullsFirst ?? item.Descending));
            display.Add(SqlText.Print(item.Expression) + (item.Descending ? " DESC" : ""));
        }
        int[]? distinctOn = null;
        if (core.DistinctOn is { Length: > 0 } on)
        {
            // As PostgreSQL: the ORDER BY must begin with the DISTINCT ON expressions (in any order); those it leaves
            // out are sorted on after it, so each group's rows are together and its first row in ORDER BY order.
            distinctOn = on.Select(SortColumn).ToArray();
            var remaining = new HashSet<int>(distinctOn);
            foreach (var key in sortKeys)
            {
                if (remaining.Count == 0) break;
                if (!distinctOn.Contains(key.Index)) throw new SqlException("42P10", "SELECT DISTINCT ON expressions must match initial ORDER BY expressions", on[0].Position);
                remaining.Remove(key.Index);
            }
            for (var i = 0; i < on.Length; i++)
            {
                if (!remaining.Remove(distinctOn[i])) continue;
                sortKeys.Add((distinctOn[i], false, false));
                display.Add(SqlText.Print(on[i]));
            }
        }

        if (aggregated)
        {
            var aggColumns = groupExprs!.Select((g, i) => new PlanColumn($"group{i}", g.Type))
                .Concat(aggregates!.Select(a => new PlanColumn(a.Name, a.ResultType))).ToArray();
            input = new AggregateNode(input, groupExprs!, [.. aggregates!], aggColumns);
            if (having is not null) input = new FilterNode(input, having);
        }
        if (windows is { Calls.Count: > 0 })
        {
            if (locking is not null) throw new SqlException("0A000", $"{LockingName(locking[0])} is not allowed with window functions");
            input = PlanWindows(input, windows, exprs);
        }
        if (locking is not null)
        {
            if (aggregated) throw new SqlException("0A000", $"{LockingName(locking[0])} is not allowed with {(core.GroupBy.Length > 0 ? "GROUP BY clause" : "aggregate functions")}", core.From.Length > 0 ? core.From[0].Position : -1);
            if (core.Distinct) throw new SqlException("0A000", $"{LockingName(locking[0])} is not allowed with DISTINCT clause");
            if (core.From.Length == 0) throw new SqlException("0A000", $"{LockingName(locking[0])} must specify unqualified relation names");
            // The whole FROM row travels beside the output (through the sort) so that LockRows can lock, re-read and
            // re-check each row, and compute the output again from what it read.
            var visible = exprs.Count;
            var fromWidth = input.Columns.Count;
            var carried = exprs.Concat(input.Columns.Select((c, i) => (BExpr)new ColumnExpr(i, c.Type, c.Name))).ToArray();
            PlanNode carrying = new ProjectNode(input, carried, [.. columns, .. input.Columns]);
            if (sortKeys.Count > 0) carrying = new SortNode(carrying, [.. sortKeys], [.. display]);
            var where = core.Where is null ? null : Coerce(BindExpr(core.Where, scope), SqlType.Bool, false, core.Where.Position);
            return (new LockRowsNode(carrying, visible, fromWidth, [.. exprs], where, LockTargets(locking, scope)), width);
        }
        PlanNode plan = new ProjectNode(input, [.. exprs], [.. columns]);
        if (distinctOn is not null)
        {
            return (new UniqueNode(new SortNode(plan, [.. sortKeys], [.. display]), distinctOn), width);
        }
        if (core.Distinct) plan = new DistinctNode(plan, width);
        if (sortKeys.Count > 0) plan = new SortNode(plan, [.. sortKeys], [.. display]);
        return (plan, width);
    }

    private static string LockingName(LockingClause c) => "FOR " + c.Strength.ToUpperInvariant();

    /// <summary>
    /// The base tables a locking clause names (all of the FROM clause's when it names none), each with where its row
    /// starts in the FROM row; a named relation that is not a base table is an error, as in PostgreSQL.
    /// </summary>
    private LockRowsNode.Target[] LockTargets(LockingClause[] clauses, Scope scope)
    {
        var targets = new List<LockRowsNode.Target>();
        var relations = scope.Columns.GroupBy(c => c.Table ?? "").Select(g => (Alias: g.Key, Columns: g.ToList())).ToList();
        foreach (var clause in clauses)
        {
            var names = clause.Tables.Length > 0 ? clause.Tables : relations.Select(r => r.Alias).ToArray();
            foreach (var name in names)
            {
                var relation = relations.FirstOrDefault(r => r.Alias == name);
                if (relation.Columns is null)
                {
                    throw new SqlException("42P01", $"relation \"{name}\" in {LockingName(clause)} clause not found in FROM clause");
                }
                var oid = relation.Columns[0].TableOid;
                var table = oid == 0 ? null : Catalog.FindById(oid - Tusk.Sql.Catalog.Catalog.OidBase);
                if (table is null || table.Kind != RelationKind.Table || relation.Columns.Count != table.Columns.Count
                    || relation.Columns.Any(c => c.TableOid != oid || c.Index != relation.Columns[0].Index + c.AttNum - relation.Columns[0].AttNum))
                {
                    if (clause.Tables.Length == 0) continue;   // subqueries and functions in FROM are not locked
                    throw new SqlException("0A000", $"{LockingName(clause)} cannot be applied to \"{name}\": only base tables can be locked");
                }
                var mode = clause.Strength switch
                {
                    "update" => KeyLockMode.Update,
                    "no key update" => KeyLockMode.NoKeyUpdate,
                    "share" => KeyLockMode.Share,
                    _ => KeyLockMode.KeyShare,
                };
                var existing = targets.FindIndex(t => t.Alias == name);
                if (existing >= 0)
                {
                    // Named twice: the stronger lock wins.
                    if (mode > targets[existing].Mode) targets[existing] = targets[existing] with { Mode = mode };
                    continue;
                }
                targets.Add(new LockRowsNode.Target(name, relation.Columns[0].Index - relation.Columns[0].AttNum + 1, new TableWriter(table, []),
                    new TableScanNode(table, name, new KeyBounds(), null), clause.Wait, mode));
            }
        }
        return [.. targets];
    }

    /// <summary>The name PostgreSQL gives an unaliased output column.</summary>
    internal static string OutputName(Expr e) => e switch
    {
        ColumnRef c => c.Parts[^1],
        FuncCall f => f.Name[^1] switch
        {
            "current_timestamp" or "current_date" or "current_time" or "localtimestamp" or "localtime" or "current_user" or "session_user" or "user" => f.Name[^1],
            var n => n,
        },
        Parser.Cast { Operand: Literal { Kind: LiteralKind.String } } c => c.Type.Name switch
        {
            "timestamptz" => "timestamptz",
            _ => c.Type.Name,
        },
        Parser.Cast c => OutputName(c.Operand) is var inner && inner != "?column?" ? inner : TypeOutputName(c.Type),
        Case => "case",
        Exists => "exists",
        Subquery s when s.Query.Body is SelectCore { Targets.Length: 1 } sc => OutputName(sc.Targets[0].Expression) is var n && sc.Targets[0].Alias is null ? n : sc.Targets[0].Alias!,
        _ => "?column?",
    };

    private static string TypeOutputName(TypeName t) => t.Name switch
    {
        "int" or "integer" => "int4",
        "bigint" => "int8",
        "smallint" => "int2",
        "boolean" => "bool",
        "real" => "float4",
        "double precision" or "float" => "float8",
        "decimal" => "numeric",
        "character varying" => "varchar",
        "character" or "char" => "bpchar",
        _ => t.Name,
    };

    /// <summary>
    /// Binds GROUP BY and sets up the scope after aggregation: group keys, then aggregates (registered as they are met
    /// while binding the select list, HAVING and ORDER BY).
    /// </summary>
    private (Scope, List<AggregateSpec>, BExpr[]) PrepareAggregation(SelectCore core, List<(Expr Expr, string Name, ScopeColumn? Source)> targets, Scope scope, Scope? outer)
    {
        var groupAsts = new List<Expr>();
        foreach (var g in core.GroupBy)
        {
            if (g is Literal { Kind: LiteralKind.Integer } lit)
            {
                var n = int.Parse(lit.Text, System.Globalization.CultureInfo.InvariantCulture);
                if (n < 1 || n > targets.Count) throw new SqlException("42P10", $"GROUP BY position {n} is not in select list", g.Position);
                groupAsts.Add(targets[n - 1].Expr);
            }
            else if (g is ColumnRef { Parts.Length: 1 } c && scope.Find(null, c.Parts[0], c.Position) is null && targets.FindIndex(t => t.Name == c.Parts[0]) is var ti and >= 0)
            {
                groupAsts.Add(targets[ti].Expr);
            }
            else
            {
                groupAsts.Add(g);
            }
        }
        var groupExprs = groupAsts.Select(g => BindExpr(g, scope)).ToArray();
        var groupText = groupAsts.Select(AstPrinter.Print).ToArray();
        var aggregates = new List<AggregateSpec>();
        var postColumns = new List<ScopeColumn>();
        for (var i = 0; i < groupExprs.Length; i++)
        {
            if (groupExprs[i] is ColumnExpr ce && scope.Columns.Find(c => c.Index == ce.Index) is { } sc)
            {
                postColumns.Add(new ScopeColumn { Table = sc.Table, Name = sc.Name, Type = sc.Type, Index = i, TableOid = sc.TableOid, AttNum = sc.AttNum });
            }
        }
        var post = new Scope(outer, postColumns);
        post.Hook = e =>
        {
            if (e is FuncCall f && AggregateSpec.IsAggregate(f.Name[^1].ToLowerInvariant()))
            {
                var spec = BindAggregate(f, scope);
                var existing = aggregates.FindIndex(a => a.Display == spec.Display && a.Filter?.ToString() == spec.Filter?.ToString() && a.OrderBy.Length == 0 && spec.OrderBy.Length == 0);
                if (existing >= 0) return new ColumnExpr(groupExprs.Length + existing, spec.ResultType, spec.Display);
                aggregates.Add(spec);
                return new ColumnExpr(groupExprs.Length + aggregates.Count - 1, spec.ResultType, spec.Display);
            }
            if (e is Literal or ParamRef) return null;
            var printed = AstPrinter.Print(e);
            var gi = Array.IndexOf(groupText, printed);
            if (gi >= 0) return new ColumnExpr(gi, groupExprs[gi].Type, printed);
            if (e is ColumnRef c)
            {
                var col = scope.Find(c.Parts.Length >= 2 ? c.Parts[^2] : null, c.Parts[^1], c.Position);
                if (col is null) return null;   // an outer reference: resolved through the parents
                for (var i = 0; i < groupExprs.Length; i++)
                {
                    if (groupExprs[i] is ColumnExpr g && g.Index == col.Index) return new ColumnExpr(i, g.Type, printed);
                }
                throw new SqlException("42803", $"column \"{string.Join(".", c.Parts)}\" must appear in the GROUP BY clause or be used in an aggregate function", c.Position);
            }
            return null;
        };
        return (post, aggregates, groupExprs);
    }

    /// <summary>An aggregate call; as a window function (<paramref name="window"/>) its arguments may hold aggregates of the query.</summary>
    private AggregateSpec BindAggregate(FuncCall f, Scope scope, bool window = false)
    {
        var name = f.Name[^1].ToLowerInvariant();
        if (!window && f.Args.Any(ContainsAggregate)) throw new SqlException("42803", "aggregate function calls cannot be nested", f.Position);
        var args = f.Args.Select(a => BindExpr(a, scope)).ToArray();
        if (f.StarArgument)
        {
            if (name != "count") throw new SqlException("42809", $"{name}(*) specified, but {name} is not an aggregate function taking *", f.Position);
            return new AggregateSpec { Name = name, Args = [], Star = true, ResultType = SqlType.Int8, Filter = BindFilter(f, scope) };
        }
        var expected = name switch
        {
            "string_agg" or "jsonb_object_agg" or "json_object_agg" => 2,
            _ => 1,
        };
        if (args.Length != expected) throw new SqlException("42883", $"function {name} with {args.Length} argument(s) does not exist", f.Position);
        if (name is "string_agg") args = args.Select(a => Coerce(a, a.Type.Id == SqlTypeId.Bytea ? SqlType.Bytea : SqlType.Text, false, f.Position)).ToArray();
        if (name is "bool_and" or "bool_or" or "every") args = [Coerce(args[0], SqlType.Bool, false, f.Position)];
        if (args[0].Type.Id == SqlTypeId.Unknown) args[0] = Coerce(args[0], name is "sum" or "avg" ? SqlType.Float8 : SqlType.Text, false, f.Position);
        var orderBy = f.OrderBy.Select(o => (BindExpr(o.Expression, scope), o.Descending, o.NullsFirst ?? o.Descending)).ToArray();
        return new AggregateSpec
        {
            Name = name,
            Args = args,
            Distinct = f.Distinct,
            Filter = BindFilter(f, scope),
            OrderBy = orderBy,
            ResultType = AggregateSpec.ResultTypeOf(name, args[0].Type),
        };
    }

    private BExpr? BindFilter(FuncCall f, Scope scope) => f.Filter is null ? null : Coerce(BindExpr(f.Filter, scope), SqlType.Bool, false, f.Filter.Position);
}

/// <summary>Marks DEFAULT in an INSERT's VALUES row.</summary>
internal sealed class DefaultMarker
{
    public static readonly DefaultMarker Instance = new();
}
