using Tusk.Sql.Catalog;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>
/// FOREIGN KEY enforcement for the writes of one bound statement. <see cref="TableWriter"/> calls it after each row it
/// writes: a new or changed referencing row must find its key in the referenced table (a point read of the primary
/// key or unique index entry; 23503 if absent), and a deleted or re-keyed referenced row applies each referencing
/// key's action to the rows that still point at it (found through an index on the referencing columns when one
/// exists): NO ACTION and RESTRICT fail with 23503, CASCADE deletes or re-keys them, SET NULL and SET DEFAULT update
/// them — through their own <see cref="TableWriter"/>, so their constraints and keys are enforced in turn.
/// </summary>
/// <remarks>
/// NO ACTION checks wait for the end of the statement (<see cref="EndStatement"/>), as PostgreSQL's do; RESTRICT is
/// checked at once and the other actions are applied per row. The reads join the transaction's read set: under
/// SERIALIZABLE a concurrent transaction that breaks a key (deletes the referenced row, or inserts a referencing row
/// the delete did not see) makes one of the two fail with 40001. Below SERIALIZABLE a check takes a shared lock on
/// the referenced row (which DELETE and UPDATE lock exclusively), actions lock the referencing rows they change, and
/// REPEATABLE READ looks for referencing rows committed after its snapshot (40001).
/// </remarks>
internal sealed class ForeignKeys
{
    private readonly Catalog.Catalog _catalog;
    private readonly Func<TableDescriptor, (TableWriter Writer, BExpr?[] Defaults)> _writerFor;
    private readonly Dictionary<int, Link[]> _outgoing = [];
    private readonly Dictionary<int, Link[]> _incoming = [];
    private readonly Dictionary<int, (TableWriter Writer, BExpr?[] Defaults)> _writers = [];

    private ForeignKeys(Catalog.Catalog catalog, Func<TableDescriptor, (TableWriter Writer, BExpr?[] Defaults)> writerFor)
    {
        _catalog = catalog;
        _writerFor = writerFor;
    }

    /// <summary>
    /// The enforcement for writes to <paramref name="table"/>, or null when no foreign key references it or is declared
    /// on it. <paramref name="writerFor"/> builds the writer (with its CHECKs and defaults bound) of another table
    /// whose rows an action changes; it is called at most once per table.
    /// </summary>
    public static ForeignKeys? For(Catalog.Catalog catalog, TableDescriptor table, Func<TableDescriptor, (TableWriter Writer, BExpr?[] Defaults)> writerFor)
    {
        if (table.ForeignKeys.Count == 0 && !catalog.Relations.Any(r => r.ForeignKeys.Exists(f => f.ReferencedTableId == table.Id))) return null;
        return new ForeignKeys(catalog, writerFor);
    }

    /// <summary>
    /// The checks of one statement's execution that wait for its end, as PostgreSQL's NO ACTION checks run after the
    /// statement: a referencing row written before the row it references (one INSERT of a tree's nodes, children
    /// first), or a referenced row removed in the same statement as the rows referencing it (DELETE FROM tree).
    /// </summary>
    private sealed class Pending
    {
        public readonly List<(Link Link, object?[] Row)> Present = [];      // referencing rows whose key must exist
        public readonly List<(Link Link, object?[] Row)> Unreferenced = []; // removed keys nothing may still reference
    }

    private Pending PendingOf(ExecContext ctx)
    {
        if (ctx.Cache.TryGetValue(this, out var p)) return (Pending)p;
        var pending = new Pending();
        ctx.Cache[this] = pending;
        return pending;
    }

    /// <summary>Runs the checks the statement deferred (call once its rows are written); 23503 when one fails.</summary>
    public void EndStatement(ExecContext ctx)
    {
        if (!ctx.Cache.Remove(this, out var p)) return;
        var pending = (Pending)p;
        foreach (var (link, row) in pending.Present) CheckPresent(ctx, link, row);
        foreach (var (link, row) in pending.Unreferenced)
        {
            if (link.FindReferencing(ctx, row).Count > 0) throw StillReferenced(link, row);
        }
    }

    /// <summary>After <paramref name="row"/> was inserted into <paramref name="table"/>: each of its keys must be present (at the statement's end).</summary>
    public void Inserted(ExecContext ctx, TableDescriptor table, object?[] row)
    {
        foreach (var link in Outgoing(table)) PendingOf(ctx).Present.Add((link, row));
    }

    /// <summary>After a row of <paramref name="table"/> changed: changed keys must be present; a changed referenced key applies ON UPDATE.</summary>
    public void Updated(ExecContext ctx, TableDescriptor table, object?[] oldRow, object?[] newRow)
    {
        foreach (var link in Outgoing(table))
        {
            if (!Values.SameAt(link.ChildOrdinals, oldRow, newRow)) PendingOf(ctx).Present.Add((link, newRow));
        }
        foreach (var link in Incoming(table))
        {
            if (!Values.SameAt(link.ParentOrdinals, oldRow, newRow)) Act(ctx, link, oldRow, newRow, link.Key.OnUpdate);
        }
    }

    /// <summary>After a row of <paramref name="table"/> was deleted: ON DELETE for each key that references the table.</summary>
    public void Deleted(ExecContext ctx, TableDescriptor table, object?[] row)
    {
        foreach (var link in Incoming(table)) Act(ctx, link, row, null, link.Key.OnDelete);
    }

    /// <summary>ALTER TABLE ... ADD FOREIGN KEY: every existing row of <paramref name="child"/> must find its key.</summary>
    public static void ValidateExisting(ExecContext ctx, TableDescriptor child, ForeignKeyDescriptor key, TableDescriptor parent)
    {
        var link = Link.Create(key, child, parent);
        foreach (var row in new TableScanNode(child, child.Name, new KeyBounds(), null).Run(ctx)) CheckPresent(ctx, link, row);
    }

    private Link[] Outgoing(TableDescriptor table)
    {
        if (table.ForeignKeys.Count == 0) return [];
        if (_outgoing.TryGetValue(table.Id, out var links)) return links;
        links = table.ForeignKeys
            .Select(f => (Key: f, Parent: f.ReferencedTableId == table.Id ? table : _catalog.FindById(f.ReferencedTableId)))
            .Where(x => x.Parent is not null)
            .Select(x => Link.Create(x.Key, table, x.Parent!))
            .ToArray();
        _outgoing[table.Id] = links;
        return links;
    }

    private Link[] Incoming(TableDescriptor table)
    {
        if (_incoming.TryGetValue(table.Id, out var links)) return links;
        links = _catalog.Relations
            .SelectMany(child => child.ForeignKeys.Where(f => f.ReferencedTableId == table.Id).Select(f => Link.Create(f, child.Id == table.Id ? table : child, table)))
            .ToArray();
        _incoming[table.Id] = links;
        return links;
    }

    /// <summary>A referencing row's key must be present in the referenced table unless one of its columns is NULL (MATCH SIMPLE).</summary>
    private static void CheckPresent(ExecContext ctx, Link link, object?[] row)
    {
        var values = new object?[link.ChildOrdinals.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = row[link.ChildOrdinals[i]];
            if (v is null) return;
            values[i] = v;
        }
        var key = link.ParentKey(values);
        // Below SERIALIZABLE (which validates the read at commit), a shared lock on the referenced row keeps a
        // concurrent DELETE or re-key of it waiting until this transaction ends, as PostgreSQL's FOR KEY SHARE does;
        // at REPEATABLE READ a referenced row changed after the snapshot is a 40001.
        if (key is not null && ctx.Tx.Isolation != Kv.IsolationLevel.Serializable)
        {
            // The row lock is on the parent's primary key, which DELETE and UPDATE lock: through a unique index, the
            // entry names it.
            var rowKey = link.ViaUniqueIndex && ctx.Tx.Get(key) is { } entry ? link.ParentRowKey(entry) : key;
            ctx.Tx.Lock(rowKey, ctx.LockTimeout, Kv.KeyLockMode.KeyShare, ctx.Cancellation);
        }
        if (key is not null && ctx.Tx.Get(key) is not null) return;
        var names = string.Join(", ", link.ChildOrdinals.Select(o => link.Child.Columns[o].Name));
        var text = string.Join(", ", link.ChildOrdinals.Select(o => TextFormat.Format(row[o]!, link.Child.Columns[o].Type)));
        throw new SqlException("23503", $"insert or update on table \"{link.Child.Name}\" violates foreign key constraint \"{link.Key.Name}\"",
            detail: $"Key ({names})=({text}) is not present in table \"{link.Parent.Name}\".")
        {
            SchemaName = link.Child.Schema, TableName = link.Child.Name, ConstraintName = link.Key.Name,
        };
    }

    /// <summary>The referenced row <paramref name="oldRow"/> was deleted (<paramref name="newRow"/> null) or re-keyed: apply <paramref name="action"/>.</summary>
    private void Act(ExecContext ctx, Link link, object?[] oldRow, object?[]? newRow, string action)
    {
        var referencing = link.FindReferencing(ctx, oldRow);
        if (ctx.Tx.Isolation == Kv.IsolationLevel.RepeatableRead) CheckNoneUnseen(ctx, link, oldRow, referencing);
        if (referencing.Count == 0) return;
        if (action is "cascade" or "set null" or "set default") referencing = LockReferencing(ctx, link, oldRow, referencing);
        switch (action)
        {
            case "cascade" when newRow is null:
            {
                var writer = WriterFor(link.Child).Writer;
                foreach (var row in referencing) writer.Delete(ctx, row);
                return;
            }
            case "cascade":
            {
                var writer = WriterFor(link.Child).Writer;
                foreach (var row in referencing)
                {
                    var updated = (object?[])row.Clone();
                    for (var i = 0; i < link.ChildOrdinals.Length; i++)
                    {
                        updated[link.ChildOrdinals[i]] = Values.Cast(newRow[link.ParentOrdinals[i]], link.ParentTypes[i], link.ChildTypes[i]);
                    }
                    writer.Update(ctx, row, updated);
                }
                return;
            }
            case "set null" or "set default":
            {
                var (writer, defaults) = WriterFor(link.Child);
                foreach (var row in referencing)
                {
                    var updated = (object?[])row.Clone();
                    foreach (var o in link.ChildOrdinals) updated[o] = action == "set null" ? null : defaults[o]?.Eval(ctx, []);
                    writer.Update(ctx, row, updated);
                }
                // A default equal to the key just removed left the rows pointing at it (PostgreSQL then fails as NO ACTION).
                if (action == "set default" && link.FindReferencing(ctx, oldRow).Count > 0) throw StillReferenced(link, oldRow);
                return;
            }
            case "no action":
                PendingOf(ctx).Unreferenced.Add((link, oldRow));   // the statement may still remove the referencing rows
                return;
            default:
                throw StillReferenced(link, oldRow);
        }
    }

    /// <summary>
    /// Locks the referencing rows an action is about to change, as UPDATE and DELETE lock theirs (a concurrent UPDATE of
    /// one waits instead of writing it back). At READ COMMITTED each is then read again: one deleted or re-pointed
    /// meanwhile is left alone, one changed otherwise is acted on as it is now.
    /// </summary>
    private List<object?[]> LockReferencing(ExecContext ctx, Link link, object?[] oldRow, List<object?[]> rows)
    {
        var writer = WriterFor(link.Child).Writer;
        var readCommitted = ctx.Tx.Isolation == Kv.IsolationLevel.ReadCommitted;
        var timeout = ctx.LockTimeout;
        var lookup = readCommitted ? new TableScanNode(link.Child, link.Child.Name, new KeyBounds(), null) : null;
        var locked = new List<object?[]>(rows.Count);
        foreach (var row in rows)
        {
            var key = writer.PrimaryKey(row);
            ctx.Tx.Lock(key, timeout, cancellation: ctx.Cancellation);
            if (lookup is null)
            {
                locked.Add(row);
                continue;
            }
            if (lookup.LookupKey(ctx, key) is not { } fresh) continue;
            var stillReferences = true;
            for (var i = 0; i < link.ChildOrdinals.Length && stillReferences; i++)
            {
                var parentValue = oldRow[link.ParentOrdinals[i]];
                stillReferences = fresh[link.ChildOrdinals[i]] is { } v && parentValue is not null
                    && Values.CompareNullable(Values.Cast(v, link.ChildTypes[i], link.ParentTypes[i]), parentValue) == 0;
            }
            if (stillReferences) locked.Add(fresh);
        }
        return locked;
    }

    /// <summary>
    /// REPEATABLE READ: a referencing row committed after the snapshot is invisible to it, yet removing its parent
    /// would leave it dangling. Looked for at the latest committed state; finding one is a 40001, as PostgreSQL's
    /// crosscheck snapshot raises.
    /// </summary>
    private static void CheckNoneUnseen(ExecContext ctx, Link link, object?[] oldRow, List<object?[]> seen)
    {
        if (ctx.Session is null) return;
        using var latest = ctx.Session.Engine.Kv.Begin(Kv.IsolationLevel.ReadCommitted);
        var now = link.FindReferencing(new ExecContext(latest, ctx.Parameters, ctx.Functions, ctx.Session, ctx.Cancellation), oldRow);
        if (now.Count <= seen.Count && now.All(r => seen.Exists(s => Values.RowComparer.Instance.Equals(s, r)))) return;
        throw new SqlException("40001", "could not serialize access due to concurrent update",
            detail: $"A row of \"{link.Child.Name}\" referencing the changed key of \"{link.Parent.Name}\" was committed after this transaction's snapshot.",
            hint: "The transaction might succeed if retried.");
    }

    private static SqlException StillReferenced(Link link, object?[] oldRow)
    {
        var names = string.Join(", ", link.ParentOrdinals.Select(o => link.Parent.Columns[o].Name));
        var text = string.Join(", ", link.ParentOrdinals.Select(o => TextFormat.Format(oldRow[o]!, link.Parent.Columns[o].Type)));
        return new SqlException("23503",
            $"update or delete on table \"{link.Parent.Name}\" violates foreign key constraint \"{link.Key.Name}\" on table \"{link.Child.Name}\"",
            detail: $"Key ({names})=({text}) is still referenced from table \"{link.Child.Name}\".")
        {
            SchemaName = link.Child.Schema, TableName = link.Child.Name, ConstraintName = link.Key.Name,
        };
    }

    private (TableWriter Writer, BExpr?[] Defaults) WriterFor(TableDescriptor table)
    {
        if (!_writers.TryGetValue(table.Id, out var entry))
        {
            entry = _writerFor(table);
            _writers[table.Id] = entry;
        }
        return entry;
    }

    /// <summary>One foreign key resolved against its two tables: column positions, types and the access paths both ways.</summary>
    private sealed class Link
    {
        private SqlType[] _parentKeyTypes = [];
        private int[] _parentKeyOrder = [];
        private int _parentIndexId;
        private SqlType[] _parentPkTypes = [];
        private PlanNode _referencingScan = null!;

        public required ForeignKeyDescriptor Key { get; init; }
        public required TableDescriptor Child { get; init; }
        public required TableDescriptor Parent { get; init; }
        public required int[] ChildOrdinals { get; init; }
        public required int[] ParentOrdinals { get; init; }
        public required SqlType[] ChildTypes { get; init; }
        public required SqlType[] ParentTypes { get; init; }

        public static Link Create(ForeignKeyDescriptor key, TableDescriptor child, TableDescriptor parent)
        {
            var childOrdinals = key.ColumnIds.Select(child.ColumnIndex).ToArray();
            var parentOrdinals = key.ReferencedColumnIds.Select(parent.ColumnIndex).ToArray();
            var link = new Link
            {
                Key = key,
                Child = child,
                Parent = parent,
                ChildOrdinals = childOrdinals,
                ParentOrdinals = parentOrdinals,
                ChildTypes = childOrdinals.Select(o => child.Columns[o].Type).ToArray(),
                ParentTypes = parentOrdinals.Select(o => parent.Columns[o].Type).ToArray(),
            };
            link.PlanParentLookup();
            link.PlanReferencingScan();
            return link;
        }

        /// <summary>The referenced key is the primary key or a unique index (DDL checked that one matches the column set).</summary>
        private void PlanParentLookup()
        {
            var ids = Key.ReferencedColumnIds;
            _parentPkTypes = Parent.PrimaryKey.Select(id => Parent.Columns[Parent.ColumnIndex(id)].Type).ToArray();
            int[] keyColumns;
            if (SameSet(Parent.PrimaryKey, ids))
            {
                _parentIndexId = TableDescriptor.PrimaryIndexId;
                keyColumns = Parent.PrimaryKey;
            }
            else
            {
                var index = Parent.Indexes.Find(i => i.Unique && SameSet(i.ColumnIds, ids))
                    ?? throw new SqlException("42830", $"there is no unique constraint matching given keys for referenced table \"{Parent.Name}\"");
                _parentIndexId = index.Id;
                keyColumns = index.ColumnIds;
            }
            _parentKeyOrder = keyColumns.Select(id => Array.IndexOf(ids, id)).ToArray();
            _parentKeyTypes = _parentKeyOrder.Select(i => ParentTypes[i]).ToArray();
        }

        /// <summary>
        /// Rows of the referencing table by key value: through a secondary index or the primary key when its leading
        /// columns are the key's columns, else a full scan. The key values (in the referencing types) come in as the
        /// outer row, so the bounds are evaluated per lookup.
        /// </summary>
        private void PlanReferencingScan()
        {
            var ids = Key.ColumnIds;
            var table = new TableScanNode(Child, Child.Name, new KeyBounds(), null);
            KeyBounds Bounds(int[] keyColumns) => new()
            {
                Equal = keyColumns.Take(ids.Length).Select(id => Array.IndexOf(ids, id))
                    .Select(i => (BExpr)new OuterColumnExpr(1, i, ChildTypes[i], Child.Columns[ChildOrdinals[i]].Name)).ToArray(),
            };
            var index = Child.Indexes.Find(i => i.ColumnIds.Length >= ids.Length && SameSet(i.ColumnIds[..ids.Length], ids));
            if (index is not null) _referencingScan = new IndexScanNode(table, index, Bounds(index.ColumnIds), null);
            else if (Child.PrimaryKey.Length >= ids.Length && SameSet(Child.PrimaryKey[..ids.Length], ids)) _referencingScan = new TableScanNode(Child, Child.Name, Bounds(Child.PrimaryKey), null);
            else _referencingScan = table;
        }

        private static bool SameSet(int[] a, int[] b) => a.Length == b.Length && a.All(b.Contains);

        /// <summary>Whether the referenced key is a unique index's rather than the primary key.</summary>
        public bool ViaUniqueIndex => _parentIndexId != TableDescriptor.PrimaryIndexId;

        /// <summary>The referenced row's primary key, from its unique index entry's value.</summary>
        public byte[] ParentRowKey(byte[] entryValue)
        {
            var values = new object?[_parentPkTypes.Length];
            RowCodec.DecodeKeyValues(entryValue, [], _parentPkTypes, values);
            return RowCodec.Key(Parent.Id, TableDescriptor.PrimaryIndexId, values, _parentPkTypes);
        }

        /// <summary>The referenced table's key for the referencing values (non-null), or null when a value cannot be converted.</summary>
        public byte[]? ParentKey(object?[] childValues)
        {
            var values = new object?[_parentKeyOrder.Length];
            try
            {
                for (var i = 0; i < values.Length; i++)
                {
                    var j = _parentKeyOrder[i];
                    values[i] = Values.Cast(childValues[j], ChildTypes[j], ParentTypes[j]);
                }
            }
            catch (SqlException)
            {
                return null;
            }
            return RowCodec.Key(Parent.Id, _parentIndexId, values, _parentKeyTypes);
        }

        /// <summary>The referencing rows (materialized) that point at <paramref name="parentRow"/>'s key.</summary>
        public List<object?[]> FindReferencing(ExecContext ctx, object?[] parentRow)
        {
            var values = new object?[ParentOrdinals.Length];
            for (var i = 0; i < values.Length; i++)
            {
                var v = parentRow[ParentOrdinals[i]];
                if (v is null) return [];
                try
                {
                    values[i] = Values.Cast(v, ParentTypes[i], ChildTypes[i]);
                }
                catch (SqlException)
                {
                    return [];
                }
            }
            var rows = new List<object?[]>();
            ctx.PushOuter(values);
            try
            {
                foreach (var row in _referencingScan.Run(ctx))
                {
                    if (Matches(row, values)) rows.Add(row);
                }
            }
            finally
            {
                ctx.PopOuter();
            }
            return rows;
        }

        private bool Matches(object?[] row, object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (row[ChildOrdinals[i]] is not { } v || Values.Compare(v, values[i]!) != 0) return false;
            }
            return true;
        }
    }
}
