using Tusk.Sql.Functions;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>One aggregate call: its function, arguments (evaluated on the input row), DISTINCT, FILTER and ORDER BY.</summary>
internal sealed class AggregateSpec
{
    public required string Name { get; init; }
    public required BExpr[] Args { get; init; }
    public bool Distinct { get; init; }
    public bool Star { get; init; }
    public BExpr? Filter { get; init; }
    public (BExpr Key, bool Descending, bool NullsFirst)[] OrderBy { get; init; } = [];
    public required SqlType ResultType { get; init; }

    public string Display => $"{Name}({(Star ? "*" : (Distinct ? "DISTINCT " : "") + string.Join(", ", Args.Select(a => a.ToString())))})";

    public static bool IsAggregate(string name) => name is "count" or "sum" or "avg" or "min" or "max" or "string_agg" or "bool_and"
        or "bool_or" or "every" or "jsonb_agg" or "json_agg" or "jsonb_object_agg" or "json_object_agg" or "array_agg" or "stddev" or "stddev_samp"
        or "stddev_pop" or "variance" or "var_samp" or "var_pop";

    /// <summary>The result type PostgreSQL gives <paramref name="name"/> over <paramref name="arg"/>.</summary>
    public static SqlType ResultTypeOf(string name, SqlType? arg) => name switch
    {
        "count" => SqlType.Int8,
        "sum" => arg!.Id switch
        {
            SqlTypeId.Int2 or SqlTypeId.Int4 => SqlType.Int8,
            SqlTypeId.Int8 or SqlTypeId.Numeric => SqlType.Numeric,
            SqlTypeId.Float4 => SqlType.Float4,
            SqlTypeId.Float8 => SqlType.Float8,
            SqlTypeId.Interval => SqlType.Interval,
            SqlTypeId.Unknown => SqlType.Float8,
            _ => throw new SqlException("42883", $"function sum({arg.Name}) does not exist"),
        },
        "avg" => arg!.Id switch
        {
            SqlTypeId.Int2 or SqlTypeId.Int4 or SqlTypeId.Int8 or SqlTypeId.Numeric => SqlType.Numeric,
            SqlTypeId.Float4 or SqlTypeId.Float8 or SqlTypeId.Unknown => SqlType.Float8,
            SqlTypeId.Interval => SqlType.Interval,
            _ => throw new SqlException("42883", $"function avg({arg.Name}) does not exist"),
        },
        "stddev" or "stddev_samp" or "stddev_pop" or "variance" or "var_samp" or "var_pop" =>
            arg!.Id is SqlTypeId.Float4 or SqlTypeId.Float8 ? SqlType.Float8 : SqlType.Numeric,
        "min" or "max" => arg!.Id == SqlTypeId.Unknown ? SqlType.Text : arg,
        "string_agg" => arg!.Id == SqlTypeId.Bytea ? SqlType.Bytea : SqlType.Text,
        "bool_and" or "bool_or" or "every" => SqlType.Bool,
        "jsonb_agg" or "json_agg" or "jsonb_object_agg" or "json_object_agg" => SqlType.Jsonb,
        "array_agg" => SqlType.Text,
        _ => throw new SqlException("42883", $"function {name} does not exist"),
    };

    public Accumulator NewAccumulator() => new(this);
}

/// <summary>The running state of one aggregate in one group.</summary>
internal sealed class Accumulator(AggregateSpec spec)
{
    private long _count;
    private object? _value;
    private double _sumSq;
    private double _sum;
    private HashSet<object?[]>? _distinct;
    private List<(object?[] Args, object?[] Keys)>? _items;

    public void Add(ExecContext ctx, object?[] row)
    {
        if (spec.Filter is not null && !spec.Filter.IsTrue(ctx, row)) return;
        if (spec.Star)
        {
            _count++;
            return;
        }
        var args = new object?[spec.Args.Length];
        for (var i = 0; i < args.Length; i++) args[i] = spec.Args[i].Eval(ctx, row);
        var collects = spec.Name is "string_agg" or "jsonb_agg" or "json_agg" or "jsonb_object_agg" or "json_object_agg" or "array_agg";
        if (!collects && args[0] is null) return;
        if (spec.Distinct)
        {
            _distinct ??= new HashSet<object?[]>(Values.RowComparer.Instance);
            if (!_distinct.Add(args)) return;
        }
        if (collects)
        {
            if (spec.Name == "string_agg" && args[0] is null) return;
            var keys = new object?[spec.OrderBy.Length];
            for (var i = 0; i < keys.Length; i++) keys[i] = spec.OrderBy[i].Key.Eval(ctx, row);
            (_items ??= []).Add((args, keys));
            return;
        }
        var v = args[0]!;
        _count++;
        switch (spec.Name)
        {
            case "count":
                break;
            case "sum":
            case "avg":
                if (v is Interval iv)
                {
                    var s = _value is Interval acc ? acc : default;
                    _value = new Interval(s.Months + iv.Months, s.Days + iv.Days, s.Microseconds + iv.Microseconds);
                }
                else if (spec.ResultType.Id is SqlTypeId.Float4 or SqlTypeId.Float8)
                {
                    _value = (_value is double d ? d : 0) + Values.ToDouble(v);
                }
                else
                {
                    _value = Accumulate(_value, v);
                }
                break;
            case "min":
                if (_value is null || Values.Compare(v, _value) < 0) _value = v;
                break;
            case "max":
                if (_value is null || Values.Compare(v, _value) > 0) _value = v;
                break;
            case "bool_and":
            case "every":
                _value = (_value is not bool b0 || b0) && (bool)v;
                break;
            case "bool_or":
                _value = (_value is bool b1 && b1) || (bool)v;
                break;
            default:
            {
                var d = Values.ToDouble(v);
                _sum += d;
                _sumSq += d * d;
                break;
            }
        }
    }

    public object? Result()
    {
        switch (spec.Name)
        {
            case "count":
                return _count;
            case "sum":
                if (_count == 0) return null;
                return spec.ResultType.Id switch
                {
                    SqlTypeId.Int8 => SumAsInt8(_value!),
                    SqlTypeId.Float4 => (float)(double)_value!,
                    SqlTypeId.Numeric => Values.ToNumeric(_value!),
                    _ => _value,
                };
            case "avg":
                if (_count == 0) return null;
                return _value switch
                {
                    double d => d / _count,
                    long l => Values.Arithmetic('/', SqlNumeric.FromInt64(l), SqlNumeric.FromInt64(_count), SqlTypeId.Numeric),
                    SqlNumeric m => Values.Arithmetic('/', m, SqlNumeric.FromInt64(_count), SqlTypeId.Numeric),
                    Interval i => new Interval((int)(i.Months / _count), (int)(i.Days / _count), i.Microseconds / _count),
                    _ => null,
                };
            case "string_agg":
            {
                if (_items is null) return null;
                var items = Ordered();
                var sb = new System.Text.StringBuilder();
                for (var i = 0; i < items.Count; i++)
                {
                    if (i > 0 && items[i].Args.Length > 1 && items[i].Args[1] is string sep) sb.Append(sep);
                    sb.Append(Values.ToText(items[i].Args[0]!, spec.Args[0].Type));
                }
                return sb.ToString();
            }
            case "jsonb_agg":
            case "json_agg":
            case "array_agg":
                if (_items is null) return null;
                return Jsonb.BuildArray(Ordered().Select(x => (x.Args[0], spec.Args[0].Type)).ToList());
            case "jsonb_object_agg":
            case "json_object_agg":
                if (_items is null) return null;
                return Jsonb.BuildObject(Ordered().Select(x => (Values.ToText(x.Args[0] ?? throw new SqlException("22004", "field name must not be null"), spec.Args[0].Type), x.Args[1], spec.Args[1].Type)).ToList());
            case "stddev":
            case "stddev_samp":
            case "variance":
            case "var_samp":
            case "stddev_pop":
            case "var_pop":
            {
                var pop = spec.Name.EndsWith("_pop", StringComparison.Ordinal);
                if (_count == 0 || !pop && _count == 1) return null;
                var n = (double)_count;
                var variance = Math.Max(0, (_sumSq - _sum * _sum / n) / (pop ? n : n - 1));
                var r = spec.Name.StartsWith("stddev", StringComparison.Ordinal) ? Math.Sqrt(variance) : variance;
                return spec.ResultType.Id == SqlTypeId.Numeric ? SqlNumeric.FromDouble(r).Round(16) : r;
            }
            default:
                return _value;
        }
    }

    /// <summary>
    /// sum/avg of integers and numerics: a long while the running sum fits one (the common case, no allocation beyond
    /// the box), numeric from the first overflow on; numerics always add as numeric (no overflow before 131072 digits).
    /// </summary>
    private static object Accumulate(object? sum, object v)
    {
        if (v is SqlNumeric || sum is SqlNumeric) return Values.ToNumeric(sum ?? 0L) + Values.ToNumeric(v);
        var acc = sum is long l ? l : 0L;
        var add = Values.ToLong(v);
        var total = acc + add;
        if (((acc ^ total) & (add ^ total)) < 0) return SqlNumeric.FromInt64(acc) + SqlNumeric.FromInt64(add);
        return total;
    }

    /// <summary>sum(int2/int4) is int8: bigint out of range if the exact sum does not fit.</summary>
    private static object SumAsInt8(object sum) => sum switch
    {
        long l => l,
        SqlNumeric n when n.TryRoundToInt64(out var l) => l,
        _ => throw Values.Overflow(SqlTypeId.Int8),
    };

    private List<(object?[] Args, object?[] Keys)> Ordered()
    {
        var items = _items!;
        if (spec.OrderBy.Length == 0) return items;
        var indexed = items.Select((x, i) => (x, i)).ToList();
        indexed.Sort((a, b) =>
        {
            for (var k = 0; k < spec.OrderBy.Length; k++)
            {
                var (_, desc, nullsFirst) = spec.OrderBy[k];
                var x = a.x.Keys[k];
                var y = b.x.Keys[k];
                if (x is null || y is null)
                {
                    if (x is null && y is null) continue;
                    return x is null ? (nullsFirst ? -1 : 1) : (nullsFirst ? 1 : -1);
                }
                var c = Values.Compare(x, y);
                if (c != 0) return desc ? -c : c;
            }
            return a.i.CompareTo(b.i);
        });
        return indexed.Select(x => x.x).ToList();
    }
}

/// <summary>Hash aggregation: output rows are the group key values followed by the aggregate results.</summary>
internal sealed class AggregateNode(PlanNode child, BExpr[] groupBy, AggregateSpec[] aggregates, PlanColumn[] columns) : PlanNode
{
    public override IReadOnlyList<PlanColumn> Columns => columns;


    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var groups = new Dictionary<object?[], Accumulator[]>(Values.RowComparer.Instance);
        var order = new List<object?[]>();
        foreach (var row in child.Run(ctx))
        {
            ctx.Check();
            var key = new object?[groupBy.Length];
            for (var i = 0; i < key.Length; i++) key[i] = groupBy[i].Eval(ctx, row);
            if (!groups.TryGetValue(key, out var accs))
            {
                accs = aggregates.Select(a => a.NewAccumulator()).ToArray();
                groups[key] = accs;
                order.Add(key);
            }
            foreach (var a in accs) a.Add(ctx, row);
        }
        if (groupBy.Length == 0 && groups.Count == 0)
        {
            var empty = aggregates.Select(a => a.NewAccumulator()).ToArray();
            yield return empty.Select(a => a.Result()).ToArray();
            yield break;
        }
        foreach (var key in order)
        {
            var accs = groups[key];
            var output = new object?[key.Length + accs.Length];
            key.CopyTo(output, 0);
            for (var i = 0; i < accs.Length; i++) output[key.Length + i] = accs[i].Result();
            yield return output;
        }
    }

    public override void Explain(ExplainWriter w) => w.Node(groupBy.Length == 0 ? "Aggregate" : "HashAggregate", () =>
    {
        if (groupBy.Length > 0) w.Detail("Group Key: " + string.Join(", ", groupBy.Select(g => g.ToString())));
        child.Explain(w);
    });
}
