using System.Text;
using Tusk.Sql.Catalog;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>
/// Writes rows of one table in the statement's transaction, keeping every index and constraint: NOT NULL (23502),
/// CHECK (23514), PRIMARY KEY and UNIQUE (23505, found with a point read of the key, so SERIALIZABLE sees
/// concurrent inserts of the same key as a conflict), and FOREIGN KEY through <see cref="Keys"/> (23503, and the
/// referential actions) after each row is written.
/// </summary>
internal sealed class TableWriter
{
    private readonly TableDescriptor _table;
    private readonly int[] _pkOrdinals;
    private readonly SqlType[] _pkTypes;
    private readonly bool[] _isKey;
    private readonly (string Name, BExpr Check)[] _checks;

    public TableWriter(TableDescriptor table, (string Name, BExpr Check)[] checks)
    {
        _table = table;
        _pkOrdinals = table.PrimaryKey.Select(table.ColumnIndex).ToArray();
        _pkTypes = _pkOrdinals.Select(o => table.Columns[o].Type).ToArray();
        _isKey = new bool[table.Columns.Count];
        foreach (var o in _pkOrdinals) _isKey[o] = true;
        _checks = checks;
        _hiddenKey = _pkOrdinals.Length == 1 && table.Columns[_pkOrdinals[0]].Hidden;
    }

    private readonly bool _hiddenKey;

    public TableDescriptor Table => _table;

    /// <summary>Foreign keys to enforce after each write; null when none involve the table (or for internal rewrites).</summary>
    public ForeignKeys? Keys { get; init; }

    public byte[] PrimaryKey(object?[] row)
    {
        var values = new object?[_pkOrdinals.Length];
        for (var i = 0; i < values.Length; i++) values[i] = row[_pkOrdinals[i]];
        return RowCodec.Key(_table.Id, TableDescriptor.PrimaryIndexId, values, _pkTypes);
    }

    /// <summary>Validates NOT NULL and CHECK constraints of a new row version.</summary>
    public void Validate(ExecContext ctx, object?[] row)
    {
        for (var i = 0; i < row.Length; i++)
        {
            var c = _table.Columns[i];
            if (row[i] is null && c.NotNull)
            {
                throw new SqlException("23502", $"null value in column \"{c.Name}\" of relation \"{_table.Name}\" violates not-null constraint",
                    detail: $"Failing row contains {FormatRow(row)}.") { SchemaName = _table.Schema, TableName = _table.Name, ColumnName = c.Name };
            }
        }
        foreach (var (name, check) in _checks)
        {
            if (check.Eval(ctx, row) is false)
            {
                throw new SqlException("23514", $"new row for relation \"{_table.Name}\" violates check constraint \"{name}\"",
                    detail: $"Failing row contains {FormatRow(row)}.") { SchemaName = _table.Schema, TableName = _table.Name, ConstraintName = name };
            }
        }
    }

    /// <summary>
    /// The first unique constraint <paramref name="row"/> would violate (primary key, then unique indexes):
    /// its name and the existing row's primary key; null when none.
    /// </summary>
    public (string Constraint, IndexDescriptor? Index, byte[] ExistingKey)? FindConflict(ExecContext ctx, object?[] row, byte[]? ignoreKey = null)
    {
        var key = PrimaryKey(row);
        // A hidden rowid comes from a sequence and is unique by construction: no read (and no read-set entry) needed.
        if (!_hiddenKey && (ignoreKey is null || !key.AsSpan().SequenceEqual(ignoreKey)) && ctx.Tx.Get(key) is not null)
        {
            return (_table.PrimaryKeyName ?? _table.Name + "_pkey", null, key);
        }
        foreach (var index in _table.Indexes)
        {
            if (!index.Unique) continue;
            var (entryKey, _, unique) = IndexEntries.Entry(_table, index, row);
            if (!unique) continue;
            var existing = ctx.Tx.Get(entryKey);
            if (existing is null) continue;
            var existingPk = RowCodec.Key(_table.Id, TableDescriptor.PrimaryIndexId, DecodePk(existing), _pkTypes);
            if (ignoreKey is not null && existingPk.AsSpan().SequenceEqual(ignoreKey)) continue;
            return (index.Name, index, existingPk);
        }
        return null;
    }

    private object?[] DecodePk(byte[] packed)
    {
        var values = new object?[_pkTypes.Length];
        RowCodec.DecodeKeyValues(packed, [], _pkTypes, values);
        return values;
    }

    public SqlException DuplicateKey(string constraint, IndexDescriptor? index, object?[] row)
    {
        var ordinals = index is null ? _pkOrdinals : index.ColumnIds.Select(_table.ColumnIndex).ToArray();
        var names = string.Join(", ", ordinals.Select(o => _table.Columns[o].Name));
        var values = string.Join(", ", ordinals.Select(o => row[o] is null ? "null" : TextFormat.Format(row[o]!, _table.Columns[o].Type)));
        return new SqlException("23505", $"duplicate key value violates unique constraint \"{constraint}\"", detail: $"Key ({names})=({values}) already exists.")
        {
            SchemaName = _table.Schema, TableName = _table.Name, ConstraintName = constraint,
        };
    }

    /// <summary>
    /// At READ COMMITTED, locks the keys a new row claims, its primary key and its unique index entries, before
    /// <see cref="FindConflict"/> looks for them. Without it, two transactions inserting the same key would both find
    /// it free and the later commit would overwrite the earlier (READ COMMITTED commits are not validated). With it,
    /// the second waits for the first, then finds its row: 23505, or ON CONFLICT's action, as in PostgreSQL. Other
    /// levels need no lock: first-committer-wins validation aborts the second with 40001. Returns the keys it newly
    /// locked (null when none), for the caller to give up if it writes nothing after all.
    /// </summary>
    public List<byte[]>? LockNewKeys(ExecContext ctx, object?[] row, TimeSpan timeout)
    {
        if (ctx.Tx.Isolation != Kv.IsolationLevel.ReadCommitted) return null;
        List<byte[]>? locked = null;   // the keys this call locked that the transaction did not hold before
        if (!_hiddenKey)
        {
            var key = PrimaryKey(row);
            if (ctx.Tx.Lock(key, timeout, cancellation: ctx.Cancellation)) (locked ??= []).Add(key);
        }
        foreach (var index in _table.Indexes)
        {
            if (!index.Unique) continue;
            var (entryKey, _, unique) = IndexEntries.Entry(_table, index, row);
            if (unique && ctx.Tx.Lock(entryKey, timeout, cancellation: ctx.Cancellation)) (locked ??= []).Add(entryKey);
        }
        return locked;
    }

    /// <summary>Inserts a validated row that <see cref="FindConflict"/> found no conflict for.</summary>
    public void Insert(ExecContext ctx, object?[] row)
    {
        ctx.Tx.Put(PrimaryKey(row), RowCodec.EncodeValue(_table, row, _isKey));
        foreach (var index in _table.Indexes)
        {
            var (key, value, _) = IndexEntries.Entry(_table, index, row);
            ctx.Tx.Put(key, value);
        }
        Keys?.Inserted(ctx, _table, row);
    }

    /// <summary>Inserts with full checking; throws 23505 on a duplicate.</summary>
    public void InsertChecked(ExecContext ctx, object?[] row)
    {
        Validate(ctx, row);
        if (FindConflict(ctx, row) is { } conflict) throw DuplicateKey(conflict.Constraint, conflict.Index, row);
        Insert(ctx, row);
    }

    /// <summary>Replaces <paramref name="oldRow"/> with <paramref name="newRow"/>, moving index entries that changed.</summary>
    public void Update(ExecContext ctx, object?[] oldRow, object?[] newRow)
    {
        Validate(ctx, newRow);
        var oldKey = PrimaryKey(oldRow);
        var newKey = PrimaryKey(newRow);
        var keyChanged = !oldKey.AsSpan().SequenceEqual(newKey);
        var lockNewKeys = ctx.Tx.Isolation == Kv.IsolationLevel.ReadCommitted;   // as LockNewKeys, for the keys that change
        var timeout = lockNewKeys ? ctx.LockTimeout : TimeSpan.Zero;
        if (keyChanged && lockNewKeys) ctx.Tx.Lock(newKey, timeout, cancellation: ctx.Cancellation);
        if (keyChanged && ctx.Tx.Get(newKey) is not null) throw DuplicateKey(_table.PrimaryKeyName ?? _table.Name + "_pkey", null, newRow);
        foreach (var index in _table.Indexes)
        {
            var (ok, _, _) = IndexEntries.Entry(_table, index, oldRow);
            var (nk, nv, unique) = IndexEntries.Entry(_table, index, newRow);
            var moved = !ok.AsSpan().SequenceEqual(nk);
            if (!moved && !keyChanged) continue;
            if (moved && unique)
            {
                if (lockNewKeys) ctx.Tx.Lock(nk, timeout, cancellation: ctx.Cancellation);
                if (ctx.Tx.Get(nk) is not null) throw DuplicateKey(index.Name, index, newRow);
            }
            ctx.Tx.Delete(ok);
            ctx.Tx.Put(nk, nv);
        }
        if (keyChanged) ctx.Tx.Delete(oldKey);
        ctx.Tx.Put(newKey, RowCodec.EncodeValue(_table, newRow, _isKey));
        Keys?.Updated(ctx, _table, oldRow, newRow);
    }

    public void Delete(ExecContext ctx, object?[] row)
    {
        ctx.Tx.Delete(PrimaryKey(row));
        foreach (var index in _table.Indexes)
        {
            ctx.Tx.Delete(IndexEntries.Entry(_table, index, row).Key);
        }
        Keys?.Deleted(ctx, _table, row);
    }

    private string FormatRow(object?[] row)
    {
        var sb = new StringBuilder("(");
        var first = true;
        for (var i = 0; i < row.Length; i++)
        {
            if (_table.Columns[i].Hidden) continue;
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(row[i] is null ? "null" : TextFormat.Format(row[i]!, _table.Columns[i].Type));
        }
        return sb.Append(')').ToString();
    }
}
