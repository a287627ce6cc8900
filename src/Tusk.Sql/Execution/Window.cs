using System.Text;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>
/// A window function's result while a query is planned: bound where the call appears, replaced by a column of the
/// WindowAgg node computing it once the nodes exist. Never evaluated.
/// </summary>
internal sealed class WindowRefExpr : BExpr
{
    public WindowRefExpr(int ordinal, SqlType type, string display)
    {
        Ordinal = ordinal;
        Type = type;
        Display = display;
    }

    public int Ordinal { get; }

    public string Display { get; }

    public override object? Eval(ExecContext ctx, object?[] row) => throw new InvalidOperationException("a window function reference was not planned");

    public override bool IsRowIndependent => false;

    public override void Explain(StringBuilder sb) => sb.Append(Display);
}

internal enum FrameMode : byte { Rows, Range, Groups }

/// <summary>
/// A frame: the rows of the partition a window function sees for each row. Offsets are row-independent
/// (constants, parameters). For RANGE with an offset, <see cref="Subtract"/>/<see cref="Add"/> compute the bound
/// from the current row's key (a one-column row) and <see cref="Less"/> compares a key with a bound (a two-column
/// row: key, bound).
/// </summary>
internal sealed class WindowFrameSpec
{
    public required FrameMode Mode { get; init; }
    public required FrameBoundKind StartKind { get; init; }
    public BExpr? StartOffset { get; init; }
    public required FrameBoundKind EndKind { get; init; }
    public BExpr? EndOffset { get; init; }
    public BExpr? Subtract { get; init; }
    public BExpr? Add { get; init; }
    public BExpr? Less { get; init; }
    public BExpr? Greater { get; init; }

    /// <summary>PostgreSQL's default: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.</summary>
    public static WindowFrameSpec Default { get; } = new() { Mode = FrameMode.Range, StartKind = FrameBoundKind.UnboundedPreceding, EndKind = FrameBoundKind.CurrentRow };

    /// <summary>Whether the frame starts at the partition's first row and its end never moves back (running aggregates).</summary>
    public bool StartsAtPartition => StartKind == FrameBoundKind.UnboundedPreceding;
}

/// <summary>One window function call of a WindowAgg node: its arguments over the input row, or an aggregate.</summary>
internal sealed class WindowFunction
{
    public required string Name { get; init; }
    public required BExpr[] Args { get; init; }
    public AggregateSpec? Aggregate { get; init; }
    public required WindowFrameSpec Frame { get; init; }
    public required SqlType ResultType { get; init; }
}

/// <summary>
/// Computes window functions over input sorted by (partition keys, order keys): buffers one partition at a time and
/// emits each of its rows with the functions' results appended. Rows with equal order keys are peers (rank, RANGE
/// frames). Aggregates whose frame starts at the partition start run incrementally (each row adds the rows its frame
/// gained); other frames re-aggregate when their start moves.
/// </summary>
internal sealed class WindowAggNode(PlanNode child, int[] partitionKeys, (int Index, bool Descending, bool NullsFirst)[] orderKeys, WindowFunction[] functions, PlanColumn[] columns) : PlanNode
{
    private readonly int[] _orderIndexes = orderKeys.Select(k => k.Index).ToArray();

    public override IReadOnlyList<PlanColumn> Columns => columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var partition = new List<object?[]>();
        foreach (var row in child.Run(ctx))
        {
            ctx.Check();
            if (partition.Count > 0 && !Values.SameAt(partitionKeys, partition[0], row))
            {
                foreach (var r in Emit(ctx, partition)) yield return r;
                partition = [];
            }
            partition.Add(row);
        }
        if (partition.Count > 0)
        {
            foreach (var r in Emit(ctx, partition)) yield return r;
        }
    }

    private IEnumerable<object?[]> Emit(ExecContext ctx, List<object?[]> rows)
    {
        var n = rows.Count;
        var groupOf = new int[n];
        var groupStarts = new List<int> { 0 };
        for (var i = 1; i < n; i++)
        {
            var peer = orderKeys.Length == 0 || Values.SameAt(_orderIndexes, rows[i - 1], rows[i]);
            if (!peer) groupStarts.Add(i);
            groupOf[i] = groupStarts.Count - 1;
        }
        var partition = new Partition(rows, groupOf, [.. groupStarts, n]);
        var results = new object?[functions.Length][];
        for (var f = 0; f < functions.Length; f++) results[f] = Compute(ctx, functions[f], partition);
        var width = rows[0].Length;
        for (var i = 0; i < n; i++)
        {
            var output = new object?[width + functions.Length];
            rows[i].CopyTo(output, 0);
            for (var f = 0; f < functions.Length; f++) output[width + f] = results[f][i];
            yield return output;
        }
    }

    /// <summary>A buffered partition: its rows, each row's peer group, and where each group starts (with n at the end).</summary>
    private sealed record Partition(List<object?[]> Rows, int[] GroupOf, int[] GroupStarts)
    {
        public int Count => Rows.Count;
        public int Groups => GroupStarts.Length - 1;
        public int GroupStart(int i) => GroupStarts[GroupOf[i]];
        public int GroupEnd(int i) => GroupStarts[GroupOf[i] + 1];
    }

    private object?[] Compute(ExecContext ctx, WindowFunction fn, Partition p)
    {
        var n = p.Count;
        var result = new object?[n];
        switch (fn.Name)
        {
            case "row_number":
                for (var i = 0; i < n; i++) result[i] = (long)(i + 1);
                return result;
            case "rank":
                for (var i = 0; i < n; i++) result[i] = (long)(p.GroupStart(i) + 1);
                return result;
            case "dense_rank":
                for (var i = 0; i < n; i++) result[i] = (long)(p.GroupOf[i] + 1);
                return result;
            case "percent_rank":
                for (var i = 0; i < n; i++) result[i] = n == 1 ? 0.0 : (double)p.GroupStart(i) / (n - 1);
                return result;
            case "cume_dist":
                for (var i = 0; i < n; i++) result[i] = (double)p.GroupEnd(i) / n;
                return result;
            case "ntile":
                return Ntile(ctx, fn, p);
            case "lag":
            case "lead":
                for (var i = 0; i < n; i++)
                {
                    var offset = fn.Args.Length > 1 ? fn.Args[1].Eval(ctx, p.Rows[i]) : 1L;
                    if (offset is null) continue;
                    var target = fn.Name == "lag" ? i - Values.ToLong(offset) : i + Values.ToLong(offset);
                    result[i] = target >= 0 && target < n ? fn.Args[0].Eval(ctx, p.Rows[(int)target])
                        : fn.Args.Length > 2 ? fn.Args[2].Eval(ctx, p.Rows[i]) : null;
                }
                return result;
        }
        var frames = new (int Start, int End)[n];
        var bounds = FrameBounds.Evaluate(ctx, fn.Frame);
        for (var i = 0; i < n; i++) frames[i] = Frame(ctx, fn.Frame, bounds, p, i);
        switch (fn.Name)
        {
            case "first_value":
                for (var i = 0; i < n; i++) result[i] = frames[i].End > frames[i].Start ? fn.Args[0].Eval(ctx, p.Rows[frames[i].Start]) : null;
                return result;
            case "last_value":
                for (var i = 0; i < n; i++) result[i] = frames[i].End > frames[i].Start ? fn.Args[0].Eval(ctx, p.Rows[frames[i].End - 1]) : null;
                return result;
            case "nth_value":
                for (var i = 0; i < n; i++)
                {
                    var nth = fn.Args[1].Eval(ctx, p.Rows[i]);
                    if (nth is null) continue;
                    var k = Values.ToLong(nth);
                    if (k <= 0) throw new SqlException("22016", "argument of nth_value must be greater than zero");
                    var at = frames[i].Start + k - 1;
                    result[i] = at < frames[i].End ? fn.Args[0].Eval(ctx, p.Rows[(int)at]) : null;
                }
                return result;
        }
        Aggregate(ctx, fn.Aggregate!, frames, p, result);
        return result;
    }

    private static object?[] Ntile(ExecContext ctx, WindowFunction fn, Partition p)
    {
        var n = p.Count;
        var result = new object?[n];
        var buckets = fn.Args[0].Eval(ctx, p.Rows[0]);
        if (buckets is null) return result;
        var b = Values.ToLong(buckets);
        if (b <= 0) throw new SqlException("22014", "argument of ntile must be greater than zero");
        // As PostgreSQL: every bucket gets n / b rows, the first n % b buckets one more.
        var size = n / b;
        var extra = n % b;
        var row = 0;
        for (var bucket = 1L; bucket <= b && row < n; bucket++)
        {
            var rows = size + (bucket <= extra ? 1 : 0);
            for (var k = 0; k < rows && row < n; k++) result[row++] = (int)bucket;
        }
        return result;
    }

    /// <summary>An aggregate over each row's frame: incremental while the frame's start stays and its end grows.</summary>
    private static void Aggregate(ExecContext ctx, AggregateSpec spec, (int Start, int End)[] frames, Partition p, object?[] result)
    {
        Accumulator? acc = null;
        int accStart = -1, accEnd = -1;
        object? last = null;
        for (var i = 0; i < frames.Length; i++)
        {
            var (s, e) = frames[i];
            if (e < s) e = s;
            if (acc is not null && s == accStart && e == accEnd)
            {
                result[i] = last;
                continue;
            }
            if (acc is null || s != accStart || e < accEnd)
            {
                acc = spec.NewAccumulator();
                accStart = s;
                accEnd = s;
            }
            for (var j = accEnd; j < e; j++) acc.Add(ctx, p.Rows[j]);
            accEnd = e;
            last = acc.Result();
            result[i] = last;
        }
    }

    /// <summary>The frame's offsets, evaluated once per partition.</summary>
    private readonly record struct FrameBounds(object? Start, object? End)
    {
        public static FrameBounds Evaluate(ExecContext ctx, WindowFrameSpec f) =>
            new(Offset(ctx, f.StartOffset, "starting", f.Mode), Offset(ctx, f.EndOffset, "ending", f.Mode));

        private static object? Offset(ExecContext ctx, BExpr? e, string which, FrameMode mode)
        {
            if (e is null) return null;
            var v = e.Eval(ctx, []) ?? throw new SqlException("22004", $"frame {which} offset must not be null");
            var negative = v is Interval iv ? iv.Months < 0 || iv.Days < 0 || iv.Microseconds < 0 : e.Type.IsNumeric && Values.ToDouble(v) < 0;
            if (negative)
            {
                throw new SqlException("22013", mode == FrameMode.Range ? "invalid preceding or following size in window function" : $"frame {which} offset must not be negative");
            }
            return v;
        }
    }

    /// <summary>Row <paramref name="i"/>'s frame as [Start, End) in the partition (End ≤ Start when empty).</summary>
    private (int Start, int End) Frame(ExecContext ctx, WindowFrameSpec f, FrameBounds bounds, Partition p, int i)
    {
        var n = p.Count;
        var g = p.GroupOf[i];
        var start = f.StartKind switch
        {
            FrameBoundKind.UnboundedPreceding => 0,
            FrameBoundKind.CurrentRow => f.Mode == FrameMode.Rows ? i : p.GroupStart(i),
            FrameBoundKind.Preceding or FrameBoundKind.Following => f.Mode switch
            {
                FrameMode.Rows => (int)Math.Clamp(i + Signed(f.StartKind, bounds.Start), 0, n),
                FrameMode.Groups => GroupIndex(g + Signed(f.StartKind, bounds.Start), p) is var sg && sg >= p.Groups ? n : p.GroupStarts[Math.Max(0, sg)],
                _ => RangeBound(ctx, f, f.StartKind, bounds.Start!, p, i, start: true),
            },
            _ => n,
        };
        var end = f.EndKind switch
        {
            FrameBoundKind.UnboundedFollowing => n,
            FrameBoundKind.CurrentRow => f.Mode == FrameMode.Rows ? i + 1 : p.GroupEnd(i),
            FrameBoundKind.Preceding or FrameBoundKind.Following => f.Mode switch
            {
                FrameMode.Rows => (int)Math.Clamp(i + Signed(f.EndKind, bounds.End) + 1, 0, n),
                FrameMode.Groups => GroupIndex(g + Signed(f.EndKind, bounds.End), p) is var eg && eg < 0 ? 0 : p.GroupStarts[Math.Min(p.Groups, eg + 1)],
                _ => RangeBound(ctx, f, f.EndKind, bounds.End!, p, i, start: false),
            },
            _ => 0,
        };
        return (start, end);
    }

    private static long Signed(FrameBoundKind kind, object? offset)
    {
        var v = Math.Min(Values.ToLong(offset!), int.MaxValue);
        return kind == FrameBoundKind.Preceding ? -v : v;
    }

    private static int GroupIndex(long g, Partition p) => (int)Math.Clamp(g, -1, p.Groups);

    /// <summary>
    /// A RANGE offset bound: the first row at or after the bound (start) or the first row past it (end), searched among
    /// the rows with a non-null key; a row whose key is NULL has its peers (the other NULLs) as the range.
    /// </summary>
    private int RangeBound(ExecContext ctx, WindowFrameSpec f, FrameBoundKind kind, object offset, Partition p, int i, bool start)
    {
        var (keyIndex, descending, nullsFirst) = orderKeys[0];
        var key = p.Rows[i][keyIndex];
        if (key is null) return start ? p.GroupStart(i) : p.GroupEnd(i);
        var n = p.Count;
        // The non-null keys are contiguous: after the NULLs when they sort first, before them otherwise.
        int lo = 0, hi = n;
        if (nullsFirst)
        {
            while (lo < n && p.Rows[lo][keyIndex] is null) lo++;
        }
        else
        {
            while (hi > 0 && p.Rows[hi - 1][keyIndex] is null) hi--;
        }
        // Moving towards earlier rows subtracts when ascending and adds when descending.
        var earlier = kind == FrameBoundKind.Preceding;
        var add = earlier == descending;
        object? bound;
        try
        {
            bound = (add ? f.Add! : f.Subtract!).Eval(ctx, [key, offset]);
        }
        catch (SqlException e) when (e.SqlState is "22003" or "22008")
        {
            // The bound is past the type's range: every row is on the other side of it.
            return earlier ? lo : hi;
        }
        // "before" = the row sorts before the bound: key < bound ascending, key > bound descending.
        var before = descending ? f.Greater! : f.Less!;
        var after = descending ? f.Less! : f.Greater!;
        var test = start ? before : after;
        // Rows satisfying the test form a prefix (start: rows before the bound; end: rows not after it are the prefix).
        int a = lo, b = hi;
        while (a < b)
        {
            var mid = (a + b) / 2;
            var inPrefix = test.IsTrue(ctx, [p.Rows[mid][keyIndex], bound]) == start;
            if (inPrefix) a = mid + 1;
            else b = mid;
        }
        return a;
    }

    public override void Explain(ExplainWriter w) => w.Node("WindowAgg", () => child.Explain(w));
}
