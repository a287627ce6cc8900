using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Planning;

/// <summary>
/// Window functions: calls with OVER are bound where they appear (the select list, ORDER BY) to placeholders
/// (<see cref="WindowRefExpr"/>); their arguments and windows are bound over the rows after WHERE, GROUP BY and
/// HAVING. <see cref="PlanWindows"/> then adds, per distinct (PARTITION BY, ORDER BY), a Sort and a WindowAgg node,
/// and the placeholders become the columns those nodes append.
/// </summary>
internal sealed partial class Planner
{
    private static readonly HashSet<string> WindowOnlyFunctions =
    [
        "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value", "last_value", "nth_value",
    ];

    internal static bool IsWindowOnly(string name) => WindowOnlyFunctions.Contains(name);

    /// <summary>The window calls of one SELECT while it is bound.</summary>
    private sealed class WindowBinding
    {
        public required Scope Input { get; init; }
        public required Dictionary<string, WindowSpec> Named { get; init; }
        public List<WindowCallPlan> Calls { get; } = [];
    }

    /// <summary>One window call: its function, and its window bound over the input row.</summary>
    private sealed record WindowCallPlan(WindowFunction Function, BExpr[] PartitionBy, (BExpr Key, bool Descending, bool NullsFirst)[] OrderBy, string[] Display, string Key);

    /// <summary>Whether the expression has a window function call of this query level (not inside subqueries).</summary>
    internal static bool ContainsWindow(Expr? e) => e switch
    {
        null => false,
        FuncCall { Over: not null } => true,
        _ => AnyOperand(e, ContainsWindow),
    };

    /// <summary>42P20 when a clause that runs before windows (WHERE, GROUP BY, HAVING) has a window function.</summary>
    private static void RejectWindows(SelectCore core)
    {
        void Check(Expr? e, string clause)
        {
            if (ContainsWindow(e)) throw new SqlException("42P20", $"window functions are not allowed in {clause}", e!.Position);
        }
        Check(core.Where, "WHERE");
        foreach (var g in core.GroupBy) Check(g, "GROUP BY");
        Check(core.Having, "HAVING");
    }

    /// <summary>The WINDOW clause's definitions, each resolved against the ones before it.</summary>
    private static Dictionary<string, WindowSpec> NamedWindows(SelectCore core)
    {
        var named = new Dictionary<string, WindowSpec>();
        foreach (var (name, spec) in core.Windows)
        {
            if (named.ContainsKey(name)) throw new SqlException("42P20", $"window \"{name}\" is already defined");
            named[name] = ResolveWindow(spec, named);
        }
        return named;
    }

    /// <summary>A window with its reference to a named window (<c>OVER w</c>, <c>OVER (w ORDER BY ...)</c>) merged in, as PostgreSQL does.</summary>
    private static WindowSpec ResolveWindow(WindowSpec w, Dictionary<string, WindowSpec> named)
    {
        if (w.RefName is null) return w;
        if (!named.TryGetValue(w.RefName, out var referenced)) throw new SqlException("42704", $"window \"{w.RefName}\" does not exist");
        if (w.Bare) return referenced;
        if (w.PartitionBy.Length > 0) throw new SqlException("42P20", $"cannot override PARTITION BY clause of window \"{w.RefName}\"");
        if (w.OrderBy.Length > 0 && referenced.OrderBy.Length > 0) throw new SqlException("42P20", $"cannot override ORDER BY clause of window \"{w.RefName}\"");
        if (referenced.Frame is not null) throw new SqlException("42P20", $"cannot copy window \"{w.RefName}\" because it has a frame clause");
        return new WindowSpec(null, referenced.PartitionBy, w.OrderBy.Length > 0 ? w.OrderBy : referenced.OrderBy, w.Frame);
    }

    /// <summary>
    /// The scope the select list and ORDER BY are bound in when the query has window functions: window calls become
    /// placeholders, everything else binds as in <paramref name="input"/>.
    /// </summary>
    private Scope WindowScope(Scope input, WindowBinding windows, Scope? outer) => new(outer, input.Columns)
    {
        Hook = e => e is FuncCall { Over: not null } f ? BindWindowCall(f, windows) : input.Hook?.Invoke(e),
    };

    private WindowRefExpr BindWindowCall(FuncCall f, WindowBinding windows)
    {
        var name = f.Name[^1].ToLowerInvariant();
        if (f.Args.Any(ContainsWindow) || ContainsWindow(f.Filter)) throw new SqlException("42P20", "window function calls cannot be nested", f.Position);
        var spec = ResolveWindow(f.Over!, windows.Named);
        var input = windows.Input;
        var partitionBy = spec.PartitionBy.Select(p => BindWindowKey(p, input)).ToArray();
        var orderBy = spec.OrderBy.Select(o => (BindWindowKey(o.Expression, input), o.Descending, o.NullsFirst ?? o.Descending)).ToArray();
        var frame = BindFrame(spec, orderBy.Select(o => o.Item1.Type).ToArray(), input.Parent, f.Position);
        WindowFunction function;
        if (AggregateSpec.IsAggregate(name))
        {
            if (f.Distinct) throw new SqlException("0A000", "DISTINCT is not implemented for window functions", f.Position);
            if (f.OrderBy.Length > 0) throw new SqlException("0A000", "aggregate ORDER BY is not implemented for window functions", f.Position);
            var aggregate = BindAggregate(f, input, window: true);
            function = new WindowFunction { Name = name, Args = aggregate.Args, Aggregate = aggregate, Frame = frame, ResultType = aggregate.ResultType };
        }
        else if (IsWindowOnly(name))
        {
            if (f.Filter is not null) throw new SqlException("0A000", "FILTER is not implemented for non-aggregate window functions", f.Position);
            if (f.Distinct || f.StarArgument || f.OrderBy.Length > 0)
            {
                throw new SqlException("42601", $"{(f.Distinct ? "DISTINCT" : f.StarArgument ? "*" : "ORDER BY")} specified, but {name} is not an aggregate function", f.Position);
            }
            var args = f.Args.Select(a => BindExpr(a, input)).ToArray();
            var (bound, type) = TypeWindowFunction(name, args, f.Position);
            function = new WindowFunction { Name = name, Args = bound, Frame = frame, ResultType = type };
        }
        else
        {
            throw new SqlException("42809", $"OVER specified, but {name} is not a window function nor an aggregate function", f.Position);
        }
        var display = spec.PartitionBy.Select(SqlText.Print)
            .Concat(spec.OrderBy.Select(o => SqlText.Print(o.Expression) + (o.Descending ? " DESC" : ""))).ToArray();
        var key = string.Join("\u0001", spec.PartitionBy.Select(AstPrinter.Print)) + "\u0002"
            + string.Join("\u0001", spec.OrderBy.Select(o => AstPrinter.Print(o.Expression) + (o.Descending ? " desc" : "") + (o.NullsFirst ?? o.Descending ? " nf" : "")));
        windows.Calls.Add(new WindowCallPlan(function, partitionBy, orderBy, display, key));
        return new WindowRefExpr(windows.Calls.Count - 1, function.ResultType, SqlText.Print(f));
    }

    private BExpr BindWindowKey(Expr e, Scope input)
    {
        var bound = BindExpr(e, input);
        return bound.Type.Id == SqlTypeId.Unknown ? Coerce(bound, SqlType.Text, false, e.Position) : bound;
    }

    /// <summary>The arguments of a window-only function coerced as PostgreSQL declares them, and its result type.</summary>
    private (BExpr[] Args, SqlType Type) TypeWindowFunction(string name, BExpr[] args, int position)
    {
        void Arity(int min, int max)
        {
            if (args.Length < min || args.Length > max)
            {
                var types = string.Join(", ", args.Select(a => a.Type.Id == SqlTypeId.Unknown ? "unknown" : a.Type.Name));
                throw new SqlException("42883", $"function {name}({types}) does not exist", position);
            }
        }
        switch (name)
        {
            case "row_number" or "rank" or "dense_rank":
                Arity(0, 0);
                return (args, SqlType.Int8);
            case "percent_rank" or "cume_dist":
                Arity(0, 0);
                return (args, SqlType.Float8);
            case "ntile":
                Arity(1, 1);
                return ([Coerce(args[0], SqlType.Int4, false, position)], SqlType.Int4);
            case "lag" or "lead":
            {
                Arity(1, 3);
                var value = args[0].Type.Id == SqlTypeId.Unknown && args.Length < 3 ? Coerce(args[0], SqlType.Text, false, position) : args[0];
                if (args.Length < 3) return (args.Length == 1 ? [value] : [value, Coerce(args[1], SqlType.Int4, false, position)], value.Type);
                var type = CommonType([value, args[2]], position, name);
                if (type.Id == SqlTypeId.Unknown) type = SqlType.Text;
                return ([Coerce(value, type, false, position), Coerce(args[1], SqlType.Int4, false, position), Coerce(args[2], type, false, position)], type);
            }
            case "first_value" or "last_value":
            {
                Arity(1, 1);
                var value = args[0].Type.Id == SqlTypeId.Unknown ? Coerce(args[0], SqlType.Text, false, position) : args[0];
                return ([value], value.Type);
            }
            default:
            {
                Arity(2, 2);
                var value = args[0].Type.Id == SqlTypeId.Unknown ? Coerce(args[0], SqlType.Text, false, position) : args[0];
                return ([value, Coerce(args[1], SqlType.Int4, false, position)], value.Type);
            }
        }
    }

    /// <summary>Checks a frame clause as PostgreSQL does and binds its offsets (row-independent: constants, parameters).</summary>
    private WindowFrameSpec BindFrame(WindowSpec spec, SqlType[] orderTypes, Scope? outer, int position)
    {
        if (spec.Frame is not { } f) return WindowFrameSpec.Default;
        if (f.Start.Kind == FrameBoundKind.UnboundedFollowing) throw new SqlException("42P20", "frame start cannot be UNBOUNDED FOLLOWING", position);
        if (f.End.Kind == FrameBoundKind.UnboundedPreceding) throw new SqlException("42P20", "frame end cannot be UNBOUNDED PRECEDING", position);
        if (f.Start.Kind == FrameBoundKind.CurrentRow && f.End.Kind == FrameBoundKind.Preceding)
        {
            throw new SqlException("42P20", "frame starting from current row cannot have preceding rows", position);
        }
        if (f.Start.Kind == FrameBoundKind.Following && f.End.Kind is FrameBoundKind.Preceding or FrameBoundKind.CurrentRow)
        {
            throw new SqlException("42P20", "frame starting from following row cannot have preceding rows", position);
        }
        if (f.Exclude is not null) throw new SqlException("0A000", $"EXCLUDE {f.Exclude.ToUpperInvariant()} is not supported", position);
        var mode = f.Mode switch { "rows" => FrameMode.Rows, "groups" => FrameMode.Groups, _ => FrameMode.Range };
        if (mode == FrameMode.Groups && orderTypes.Length == 0) throw new SqlException("42P20", "GROUPS mode requires an ORDER BY clause", position);
        var hasOffset = f.Start.Offset is not null || f.End.Offset is not null;
        var empty = new Scope(outer, []);
        if (mode != FrameMode.Range || !hasOffset)
        {
            var word = mode == FrameMode.Rows ? "ROWS" : "GROUPS";
            BExpr? Offset(Expr? e) => e is null ? null : Coerce(BindFrameOffset(e, empty, word), SqlType.Int8, false, e.Position);
            return new WindowFrameSpec { Mode = mode, StartKind = f.Start.Kind, StartOffset = Offset(f.Start.Offset), EndKind = f.End.Kind, EndOffset = Offset(f.End.Offset) };
        }
        if (orderTypes.Length != 1) throw new SqlException("42P20", "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column", position);
        var keyType = orderTypes[0];
        if (!(keyType.IsNumeric || keyType.Id is SqlTypeId.Date or SqlTypeId.Timestamp or SqlTypeId.TimestampTz or SqlTypeId.Time or SqlTypeId.Interval))
        {
            throw new SqlException("42883", $"RANGE with offset PRECEDING/FOLLOWING is not supported for column type {keyType.Name}", position);
        }
        var offsetType = keyType.IsNumeric ? keyType : SqlType.Interval;
        BExpr? RangeOffset(Expr? e) => e is null ? null : Coerce(BindFrameOffset(e, empty, "RANGE"), offsetType, false, e.Position);
        var start = RangeOffset(f.Start.Offset);
        var end = RangeOffset(f.End.Offset);
        var key = new ColumnExpr(0, keyType, "key");
        var offsetColumn = new ColumnExpr(1, offsetType, "offset");
        var add = BindOperator("+", key, offsetColumn, position);
        var subtract = BindOperator("-", key, offsetColumn, position);
        var bound = new ColumnExpr(1, add.Type, "bound");
        return new WindowFrameSpec
        {
            Mode = mode, StartKind = f.Start.Kind, StartOffset = start, EndKind = f.End.Kind, EndOffset = end,
            Add = add, Subtract = subtract, Less = BindOperator("<", key, bound, position), Greater = BindOperator(">", key, bound, position),
        };
    }

    private BExpr BindFrameOffset(Expr e, Scope empty, string mode)
    {
        try
        {
            return BindExpr(e, empty);
        }
        catch (SqlException ex) when (ex.SqlState is "42703" or "42P01")
        {
            throw new SqlException("42P10", $"argument of {mode} must not contain variables", e.Position);
        }
    }

    /// <summary>
    /// Adds the WindowAgg nodes (each over a Sort on its partition and order keys) above <paramref name="input"/>, and
    /// replaces the window placeholders in <paramref name="exprs"/> by the columns holding the results.
    /// </summary>
    private PlanNode PlanWindows(PlanNode input, WindowBinding windows, List<BExpr> exprs)
    {
        var plan = input;
        var resultIndex = new int[windows.Calls.Count];
        foreach (var group in windows.Calls.Select((c, i) => (Call: c, Index: i)).GroupBy(x => x.Call.Key))
        {
            var first = group.First().Call;
            var keyExprs = first.PartitionBy.Concat(first.OrderBy.Select(o => o.Key)).ToList();
            var keyIndexes = new int[keyExprs.Count];
            var extra = new List<BExpr>();
            for (var k = 0; k < keyExprs.Count; k++)
            {
                if (keyExprs[k] is ColumnExpr c)
                {
                    keyIndexes[k] = c.Index;
                    continue;
                }
                keyIndexes[k] = plan.Columns.Count + extra.Count;
                extra.Add(keyExprs[k]);
            }
            if (extra.Count > 0)
            {
                var passed = plan.Columns.Select((c, i) => (BExpr)new ColumnExpr(i, c.Type, c.Name));
                plan = new ProjectNode(plan, [.. passed, .. extra], [.. plan.Columns, .. extra.Select(e => new PlanColumn("?window?", e.Type))]);
            }
            var partitionCount = first.PartitionBy.Length;
            var sortKeys = keyIndexes.Select((index, k) => k < partitionCount ? (index, false, false) : (index, first.OrderBy[k - partitionCount].Descending, first.OrderBy[k - partitionCount].NullsFirst)).ToArray();
            if (sortKeys.Length > 0) plan = new SortNode(plan, sortKeys, first.Display);
            var functions = group.Select(x => x.Call.Function).ToArray();
            var width = plan.Columns.Count;
            var columns = plan.Columns.Concat(functions.Select(fn => new PlanColumn(fn.Name, fn.ResultType))).ToArray();
            var k2 = 0;
            foreach (var (_, index) in group) resultIndex[index] = width + k2++;
            plan = new WindowAggNode(plan, keyIndexes[..partitionCount], sortKeys[partitionCount..], functions, columns);
        }
        for (var i = 0; i < exprs.Count; i++)
        {
            exprs[i] = exprs[i].Rewrite(e => e is WindowRefExpr w ? new ColumnExpr(resultIndex[w.Ordinal], w.Type, w.Display) : null);
        }
        return plan;
    }
}
