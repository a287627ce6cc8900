using System.Buffers;
using Tusk.Sql.Catalog;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>
/// Index nested loop: for each outer (left) row, seeks the inner table's primary key or one secondary index with a
/// key range built from that row, instead of reading the inner table whole. <see cref="Bounds"/> holds the equality
/// values for a prefix of the index columns (expressions over the outer row, or constants from the inner side's own
/// predicates) and optional constant bounds on the next column, so a range is always a superset of the matches.
///
/// <para>Reads go through <see cref="Tusk.Kv.IKvTransaction.Get"/> and <see cref="Tusk.Kv.IKvTransaction.Scan"/>
/// exactly as <see cref="TableScanNode"/> and <see cref="IndexScanNode"/> do, so every seek lands in a SERIALIZABLE
/// transaction's read set (a point read for a full primary key, the seeked range otherwise): a concurrent insert
/// into a probed range is a conflict at commit, and a probe that found nothing still protects against phantoms.</para>
///
/// <para>Rows of the inner table must pass <see cref="InnerFilter"/> (over the inner row: its pushed predicates,
/// including the ones the bounds came from) and then <see cref="Residual"/> (over the combined row). A left join
/// emits an outer row with NULLs when nothing passed. The key buffers are allocated once per run, not per seek.</para>
/// </summary>
internal sealed class IndexNestedLoopJoinNode : PlanNode
{
    private const int BatchSize = 512;
    private readonly PlanNode _outer;
    private readonly TableScanNode _inner;
    private readonly JoinKind _kind;
    private readonly PlanColumn[] _columns;
    private readonly SqlType[] _seekTypes;
    private readonly SqlType[] _pkTypes;
    private readonly bool _isPointLookup;

    public IndexNestedLoopJoinNode(JoinKind kind, PlanNode outer, TableScanNode inner, IndexDescriptor? index, KeyBounds bounds,
        BExpr? innerFilter, BExpr? residual, PlanColumn[] columns)
    {
        if (kind is not (JoinKind.Inner or JoinKind.Left)) throw new ArgumentException($"an index nested loop cannot do a {kind} join", nameof(kind));
        if (bounds.Equal.Length == 0) throw new ArgumentException("an index nested loop needs at least one equality on the index", nameof(bounds));
        _kind = kind;
        _outer = outer;
        _inner = inner;
        Index = index;
        Bounds = bounds;
        InnerFilter = innerFilter;
        Residual = residual;
        _columns = columns;
        var t = inner.Table;
        _pkTypes = inner.KeyTypes;
        _seekTypes = index is null ? _pkTypes : index.ColumnIds.Select(id => t.Columns[t.ColumnIndex(id)].Type).ToArray();
        _isPointLookup = index is null && bounds.Equal.Length == _pkTypes.Length && bounds.Lower is null && bounds.Upper is null;
    }

    /// <summary>The secondary index seeked, or null for the primary key.</summary>
    public IndexDescriptor? Index { get; }

    public KeyBounds Bounds { get; }

    public BExpr? InnerFilter { get; }

    public BExpr? Residual { get; }

    public override IReadOnlyList<PlanColumn> Columns => _columns;

    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var begin = new ArrayBufferWriter<byte>(128);
        var end = new ArrayBufferWriter<byte>(128);
        var lookup = new ArrayBufferWriter<byte>(128);
        var values = new object?[_seekTypes.Length + 1];
        var pk = new object?[_pkTypes.Length];
        var tableId = _inner.Table.Id;
        var indexId = Index?.Id ?? TableDescriptor.PrimaryIndexId;
        var innerWidth = _inner.Columns.Count;
        foreach (var outerRow in _outer.Run(ctx))
        {
            var matched = false;
            if (Bounds.TryWriteRange(ctx, outerRow, tableId, indexId, _seekTypes, values, begin, end))
            {
                if (_isPointLookup)
                {
                    // The full primary key: one point read (begin is the row key itself).
                    var value = ctx.Tx.Get(begin.WrittenSpan);
                    if (value is not null && Combine(ctx, outerRow, _inner.Decode(begin.WrittenSpan, value)) is { } row)
                    {
                        matched = true;
                        yield return row;
                    }
                }
                else
                {
                    byte[]? resume = null;
                    while (true)
                    {
                        var batch = ctx.Tx.Scan(resume is null ? begin.WrittenSpan : resume, end.WrittenSpan, BatchSize);
                        foreach (var pair in batch)
                        {
                            ctx.Check();
                            var innerRow = Index is null ? _inner.Decode(pair.Key, pair.Value) : Fetch(ctx, pair, pk, lookup);
                            if (innerRow is null || Combine(ctx, outerRow, innerRow) is not { } row) continue;
                            matched = true;
                            yield return row;
                        }
                        if (batch.Count < BatchSize) break;
                        resume = [.. batch[^1].Key, 0];
                    }
                }
            }
            if (!matched && _kind == JoinKind.Left) yield return JoinRows.Combine(outerRow, JoinRows.Nulls(innerWidth));
        }
    }

    /// <summary>The row a secondary index entry points at, read by its primary key (null if gone).</summary>
    private object?[]? Fetch(ExecContext ctx, Tusk.Kv.KvPair entry, object?[] pk, ArrayBufferWriter<byte> key)
    {
        IndexEntries.PrimaryKeyOf(entry, _seekTypes, _pkTypes, pk);
        key.ResetWrittenCount();
        RowCodec.WriteKey(key, _inner.Table.Id, TableDescriptor.PrimaryIndexId, pk, _pkTypes);
        var value = ctx.Tx.Get(key.WrittenSpan);
        return value is null ? null : _inner.Decode(key.WrittenSpan, value);
    }

    /// <summary>The combined row when the inner row passes the inner filter and the residual; else null.</summary>
    private object?[]? Combine(ExecContext ctx, object?[] outerRow, object?[] innerRow)
    {
        if (InnerFilter is not null && !InnerFilter.IsTrue(ctx, innerRow)) return null;
        var row = JoinRows.Combine(outerRow, innerRow);
        return Residual is null || Residual.IsTrue(ctx, row) ? row : null;
    }

    public override void Explain(ExplainWriter w) => w.Node(_kind == JoinKind.Left ? "Nested Loop Left Join" : "Nested Loop", () =>
    {
        if (Residual is not null) w.Detail("Join Filter: " + Residual);
        _outer.Explain(w);
        var t = _inner.Table;
        var ids = Index?.ColumnIds ?? t.PrimaryKey;
        w.Node($"Index Scan using {Index?.Name ?? _inner.PrimaryIndexName} on {_inner.DisplayName}", () =>
        {
            w.Detail("Index Cond: " + Bounds.Describe(ids.Select(id => t.Columns[t.ColumnIndex(id)].Name).ToList()));
            if (InnerFilter is not null) w.Detail("Filter: " + InnerFilter);
        });
    });
}
