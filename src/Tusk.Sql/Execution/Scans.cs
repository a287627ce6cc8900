using System.Buffers;
using Tusk.Core.Encoding;
using Tusk.Kv;
using Tusk.Sql.Catalog;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>
/// Narrowing of an index scan derived from WHERE conjuncts: equality values for a prefix of the index columns, then
/// optionally a lower and an upper bound on the next column. The conjuncts themselves stay in the filter, so bounds
/// only need to be a superset of the matching keys.
/// </summary>
internal sealed class KeyBounds
{
    public BExpr[] Equal { get; init; } = [];
    public (BExpr Value, bool Inclusive)? Lower { get; init; }
    public (BExpr Value, bool Inclusive)? Upper { get; init; }

    public bool IsEmpty => Equal.Length == 0 && Lower is null && Upper is null;

    public string Describe(IReadOnlyList<string> columnNames)
    {
        var parts = new List<string>();
        for (var i = 0; i < Equal.Length; i++) parts.Add($"({columnNames[i]} = {Equal[i]})");
        if (Lower is { } lo) parts.Add($"({columnNames[Equal.Length]} {(lo.Inclusive ? ">=" : ">")} {lo.Value})");
        if (Upper is { } hi) parts.Add($"({columnNames[Equal.Length]} {(hi.Inclusive ? "<=" : "<")} {hi.Value})");
        return string.Join(" AND ", parts);
    }

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_begin;
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_end;

    /// <summary>The key range [begin, end) for the current parameter values, or null when no key can match.</summary>
    public (byte[] Begin, byte[] End)? Range(ExecContext ctx, int tableId, int indexId, SqlType[] keyTypes)
    {
        // The buffers are only written after every bound value was evaluated, so no other range can be built meanwhile.
        var begin = t_begin ??= new ArrayBufferWriter<byte>(128);
        var end = t_end ??= new ArrayBufferWriter<byte>(128);
        if (!TryWriteRange(ctx, [], tableId, indexId, keyTypes, new object?[Equal.Length + 1], begin, end)) return null;
        return (begin.WrittenSpan.ToArray(), end.WrittenSpan.ToArray());
    }

    /// <summary>
    /// Writes the key range [begin, end) into the buffers (reset first), the bound values read from
    /// <paramref name="row"/> (an index nested loop's outer row; constants and parameters ignore it); false when no
    /// key can match. <paramref name="values"/> is scratch space of at least <see cref="Equal"/>.Length + 1 elements.
    /// The range with only equalities is the tuple prefix and its extensions: end = begin + 0xFF.
    /// </summary>
    public bool TryWriteRange(ExecContext ctx, object?[] row, int tableId, int indexId, SqlType[] keyTypes, object?[] values,
        ArrayBufferWriter<byte> begin, ArrayBufferWriter<byte> end)
    {
        for (var i = 0; i < Equal.Length; i++)
        {
            var v = Convert(Equal[i].Eval(ctx, row), Equal[i].Type, keyTypes[i], out var exact);
            if (v is null || !exact) return false;   // = NULL matches nothing; 1.5 never equals an integer key
            values[i] = v;
        }
        object? lower = null, upper = null;
        var lowerExact = true;
        if (Lower is { } lo && lo.Value.Eval(ctx, row) is { } lv) lower = Convert(lv, lo.Value.Type, keyTypes[Equal.Length], out lowerExact);
        if (Upper is { } hi && hi.Value.Eval(ctx, row) is { } uv) upper = Convert(uv, hi.Value.Type, keyTypes[Equal.Length], out _);

        begin.ResetWrittenCount();
        end.ResetWrittenCount();
        RowCodec.WriteKey(begin, tableId, indexId, values.AsSpan(0, Equal.Length), keyTypes);
        end.Write(begin.WrittenSpan);
        if (lower is not null)
        {
            var w = new TupleWriter(begin);
            RowCodec.AppendKeyValue(ref w, lower, keyTypes[Equal.Length]);
            if (!Lower!.Value.Inclusive && lowerExact) AppendTupleEnd(begin);
        }
        if (upper is not null)
        {
            var w = new TupleWriter(end);
            RowCodec.AppendKeyValue(ref w, upper, keyTypes[Equal.Length]);   // inclusive of the bound; the filter drops it when exclusive
        }
        AppendTupleEnd(end);
        return TupleEncoding.CompareBytes(begin.WrittenSpan, end.WrittenSpan) < 0;
    }

    /// <summary>Turns a packed tuple into the smallest key after it and all its extensions (<see cref="TupleEncoding.TupleRange"/>).</summary>
    private static void AppendTupleEnd(ArrayBufferWriter<byte> key)
    {
        key.GetSpan(1)[0] = 0xFF;
        key.Advance(1);
    }

    /// <summary>Converts a bound to the key column's type; null when it cannot be represented (then no bound is used).</summary>
    private static object? Convert(object? value, SqlType from, SqlType to, out bool exact)
    {
        exact = true;
        if (value is null) return null;
        try
        {
            var v = Values.Cast(value, from, to);
            if (v is not null && Values.IsNumber(value) && Values.IsNumber(v) && Values.Compare(v, value) != 0) exact = false;
            return v;
        }
        catch (Exception e) when (e is SqlException or SqlDataException)
        {
            // Not representable in the key's type (too long, out of range): no key equals it.
            exact = false;
            return null;
        }
    }
}

/// <summary>Reads a table's rows through its primary index, optionally narrowed by key bounds, with a filter.</summary>
internal sealed class TableScanNode : PlanNode
{
    private const int BatchSize = 512;
    private readonly PlanColumn[] _columns;
    private readonly int[] _keyOrdinals;
    private readonly SqlType[] _keyTypes;
    private readonly bool[] _isKey;
    private readonly Dictionary<int, int> _ordinalById;

    public TableScanNode(TableDescriptor table, string alias, KeyBounds bounds, BExpr? filter)
    {
        Table = table;
        Alias = alias;
        Bounds = bounds;
        Filter = filter;
        _columns = table.Columns.Select((c, i) => new PlanColumn(c.Name, c.Type, table.Oid, (short)(i + 1))).ToArray();
        _keyOrdinals = table.PrimaryKey.Select(table.ColumnIndex).ToArray();
        _keyTypes = _keyOrdinals.Select(o => table.Columns[o].Type).ToArray();
        _isKey = new bool[table.Columns.Count];
        foreach (var o in _keyOrdinals) _isKey[o] = true;
        _ordinalById = table.Columns.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i);
    }

    public TableDescriptor Table { get; }
    public string Alias { get; }
    public KeyBounds Bounds { get; }
    public BExpr? Filter { get; }

    public override IReadOnlyList<PlanColumn> Columns => _columns;

    /// <summary>The primary key's column types, in key order.</summary>
    public SqlType[] KeyTypes => _keyTypes;

    /// <summary>The name EXPLAIN shows for the primary index.</summary>
    public string PrimaryIndexName => Table.PrimaryKeyName ?? Table.Name + "_rowid";

    /// <summary>The relation as EXPLAIN names it: the table, then the alias when it differs.</summary>
    public string DisplayName => Table.Name + (Alias != Table.Name ? " " + Alias : "");

    public bool IsPointLookup => Bounds.Equal.Length == _keyOrdinals.Length && Bounds.Lower is null && Bounds.Upper is null;


    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var range = Bounds.Range(ctx, Table.Id, TableDescriptor.PrimaryIndexId, _keyTypes);
        if (range is null) yield break;
        var (begin, end) = range.Value;
        if (IsPointLookup)
        {
            var value = ctx.Tx.Get(begin);
            if (value is null) yield break;
            var row = Decode(begin, value);
            if (Filter is null || Filter.IsTrue(ctx, row)) yield return row;
            yield break;
        }
        while (true)
        {
            var batch = ctx.Tx.Scan(begin, end, BatchSize);
            foreach (var pair in batch)
            {
                ctx.Check();
                var row = Decode(pair.Key, pair.Value);
                if (Filter is null || Filter.IsTrue(ctx, row)) yield return row;
            }
            if (batch.Count < BatchSize) yield break;
            begin = [.. batch[^1].Key, 0];
        }
    }

    public object?[] Decode(ReadOnlySpan<byte> key, byte[] value)
    {
        var row = new object?[_columns.Length];
        RowCodec.DecodeKey(key, _keyOrdinals, _keyTypes, row);
        RowCodec.DecodeValue(Table, value, row, _ordinalById);
        return row;
    }

    /// <summary>Reads one row by its primary key values (index scans); null if absent.</summary>
    public object?[]? Lookup(ExecContext ctx, object?[] keyValues) =>
        LookupKey(ctx, RowCodec.Key(Table.Id, TableDescriptor.PrimaryIndexId, keyValues, _keyTypes));

    /// <summary>Reads one row by its row key (ON CONFLICT, row locks); null if absent.</summary>
    public object?[]? LookupKey(ExecContext ctx, byte[] key)
    {
        var value = ctx.Tx.Get(key);
        return value is null ? null : Decode(key, value);
    }

    public override void Explain(ExplainWriter w)
    {
        var name = DisplayName;
        if (Bounds.IsEmpty)
        {
            w.Node($"Seq Scan on {name}", Filter is null ? null : () => w.Detail("Filter: " + Filter));
            return;
        }
        w.Node($"Index Scan using {PrimaryIndexName} on {name}", () =>
        {
            w.Detail("Index Cond: " + Bounds.Describe(_keyOrdinals.Select(o => Table.Columns[o].Name).ToList()));
            if (Filter is not null) w.Detail("Filter: " + Filter);
        });
    }
}

/// <summary>Reads rows through a secondary index: entries in the bounds, then each row by its primary key.</summary>
internal sealed class IndexScanNode : PlanNode
{
    private const int BatchSize = 512;
    private readonly TableScanNode _table;
    private readonly SqlType[] _indexTypes;
    private readonly SqlType[] _pkTypes;

    public IndexScanNode(TableScanNode table, IndexDescriptor index, KeyBounds bounds, BExpr? filter)
    {
        _table = table;
        Index = index;
        Bounds = bounds;
        Filter = filter;
        var t = table.Table;
        _indexTypes = index.ColumnIds.Select(id => t.Columns[t.ColumnIndex(id)].Type).ToArray();
        _pkTypes = t.PrimaryKey.Select(id => t.Columns[t.ColumnIndex(id)].Type).ToArray();
    }

    public IndexDescriptor Index { get; }
    public KeyBounds Bounds { get; }
    public BExpr? Filter { get; }

    public override IReadOnlyList<PlanColumn> Columns => _table.Columns;


    public override IEnumerable<object?[]> Run(ExecContext ctx)
    {
        var range = Bounds.Range(ctx, _table.Table.Id, Index.Id, _indexTypes);
        if (range is null) yield break;
        var (begin, end) = range.Value;
        var pk = new object?[_pkTypes.Length];
        while (true)
        {
            var batch = ctx.Tx.Scan(begin, end, BatchSize);
            foreach (var pair in batch)
            {
                ctx.Check();
                IndexEntries.PrimaryKeyOf(pair, _indexTypes, _pkTypes, pk);
                var row = _table.Lookup(ctx, pk);
                if (row is not null && (Filter is null || Filter.IsTrue(ctx, row))) yield return row;
            }
            if (batch.Count < BatchSize) yield break;
            begin = [.. batch[^1].Key, 0];
        }
    }

    public override void Explain(ExplainWriter w)
    {
        var t = _table.Table;
        var name = t.Name + (_table.Alias != t.Name ? " " + _table.Alias : "");
        w.Node($"Index Scan using {Index.Name} on {name}", () =>
        {
            w.Detail("Index Cond: " + Bounds.Describe(Index.ColumnIds.Select(id => t.Columns[t.ColumnIndex(id)].Name).ToList()));
            if (Filter is not null) w.Detail("Filter: " + Filter);
        });
    }
}

/// <summary>Secondary index entries: building them from rows and finding the primary key in them.</summary>
internal static class IndexEntries
{
    /// <summary>
    /// The entry of <paramref name="row"/> in <paramref name="index"/>: a unique index with no NULL in its values keys by
    /// the values alone (value = the primary key); otherwise the primary key is appended to the key (value empty).
    /// </summary>
    public static (byte[] Key, byte[] Value, bool Unique) Entry(TableDescriptor table, IndexDescriptor index, object?[] row)
    {
        var values = new object?[index.ColumnIds.Length];
        var types = new SqlType[index.ColumnIds.Length];
        var hasNull = false;
        for (var i = 0; i < values.Length; i++)
        {
            var o = table.ColumnIndex(index.ColumnIds[i]);
            values[i] = row[o];
            types[i] = table.Columns[o].Type;
            hasNull |= values[i] is null;
        }
        var pkValues = new object?[table.PrimaryKey.Length];
        var pkTypes = new SqlType[table.PrimaryKey.Length];
        for (var i = 0; i < pkValues.Length; i++)
        {
            var o = table.ColumnIndex(table.PrimaryKey[i]);
            pkValues[i] = row[o];
            pkTypes[i] = table.Columns[o].Type;
        }
        if (index.Unique && !hasNull)
        {
            var pk = RowCodec.Key(0, 0, pkValues, pkTypes);
            return (RowCodec.Key(table.Id, index.Id, values, types), pk, true);
        }
        return (RowCodec.Key(table.Id, index.Id, [.. values, .. pkValues], [.. types, .. pkTypes]), [], false);
    }

    /// <summary>Extracts the primary key values of an index entry into <paramref name="pk"/>.</summary>
    public static void PrimaryKeyOf(KvPair pair, SqlType[] indexTypes, SqlType[] pkTypes, object?[] pk)
    {
        // A unique entry's value is the packed primary key; otherwise the primary key ends the entry's key.
        if (pair.Value.Length > 0) RowCodec.DecodeKeyValues(pair.Value, [], pkTypes, pk);
        else RowCodec.DecodeKeyValues(pair.Key, indexTypes, pkTypes, pk);
    }
}
