using Tusk.Core;
using Tusk.Storage.Iterators;

namespace Tusk.Storage.Memtable;

/// <summary>Result of a point lookup in one source (memtable or table).</summary>
internal enum LookupResult
{
    /// <summary>No entry for the key visible at the snapshot in this source: look in older sources.</summary>
    NotFound,

    /// <summary>The newest visible entry is a value.</summary>
    Found,

    /// <summary>The newest visible entry is a point deletion.</summary>
    Deleted,
}

/// <summary>
/// The in-memory write buffer: an arena skiplist of point entries plus the range tombstones written into
/// it. Append-only. One writer (the commit leader) adds entries; readers run concurrently. Reference
/// counted: the arena goes back to <see cref="ArenaPool"/> when the last reader and the engine let go.
/// Each memtable corresponds to the WAL segment <see cref="LogNumber"/>: once it is flushed, that segment
/// is no longer needed for recovery.
/// </summary>
internal sealed class Memtable
{
    private readonly SkipList _list;
    private readonly byte[] _arena;
    private readonly ArenaPool? _pool;
    // Range tombstones: an append-only array published with its count as one immutable object, so readers see a
    // consistent prefix and appends cost amortized O(1). Their bytes count against the memtable's capacity.
    private TombstoneList _tombstones = TombstoneList.Empty;
    private long _tombstoneBytes; // written by the writer only
    private int _refs = 1;

    public Memtable(ArenaPool? pool, int capacityBytes, ulong logNumber, uint seed)
    {
        _pool = pool;
        _arena = pool?.Rent(capacityBytes) ?? GC.AllocateUninitializedArray<byte>(capacityBytes);
        _list = new SkipList(_arena, seed);
        LogNumber = logNumber;
    }

    /// <summary>The WAL segment holding this memtable's writes.</summary>
    public ulong LogNumber { get; }

    /// <summary>Bytes used: arena plus range tombstones (the memtable's memory footprint).</summary>
    public long ApproximateBytes => _list.UsedBytes + Volatile.Read(ref _tombstoneBytes);

    /// <summary>Arena capacity.</summary>
    public int CapacityBytes => _list.CapacityBytes;

    /// <summary>Number of point entries.</summary>
    public int Count => _list.Count;

    /// <summary>True when nothing was written.</summary>
    public bool IsEmpty => _list.Count == 0 && Volatile.Read(ref _tombstones).Count == 0;

    /// <summary>Range tombstones written into this memtable so far (a stable view).</summary>
    public ArraySegment<RangeTombstone> RangeTombstones
    {
        get
        {
            var list = Volatile.Read(ref _tombstones);
            return new ArraySegment<RangeTombstone>(list.Items, 0, list.Count);
        }
    }

    /// <summary>Changes (to a new object) whenever a range tombstone is added: a cache key for derived data.</summary>
    public object RangeTombstoneVersion => Volatile.Read(ref _tombstones);

    /// <summary>Bytes still free (arena capacity minus arena and tombstone use).</summary>
    public long FreeBytes => _list.CapacityBytes - _list.UsedBytes - Volatile.Read(ref _tombstoneBytes);

    /// <summary>Adds one entry. Writer only. Returns false when the arena is full (nothing added).</summary>
    public bool TryAdd(ulong sequence, EntryKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (kind == EntryKind.RangeDelete)
        {
            long charge = key.Length + value.Length + TombstoneOverheadBytes;
            if (FreeBytes < charge)
            {
                return false;
            }
            var t = new RangeTombstone(key.ToArray(), value.ToArray(), sequence);
            var old = _tombstones;
            var items = old.Items;
            if (old.Count == items.Length)
            {
                Array.Resize(ref items, Math.Max(4, items.Length * 2));
            }
            items[old.Count] = t; // beyond every published count: no reader looks at this slot yet
            Volatile.Write(ref _tombstoneBytes, _tombstoneBytes + charge);
            Volatile.Write(ref _tombstones, new TombstoneList(items, old.Count + 1));
            return true;
        }
        return _list.TryInsert(key, InternalKey.Trailer(sequence, kind), value);
    }

    /// <summary>Bytes charged per range tombstone beyond its keys (object and array slot).</summary>
    private const int TombstoneOverheadBytes = 64;

    private sealed class TombstoneList(RangeTombstone[] items, int count)
    {
        public static readonly TombstoneList Empty = new([], 0);
        public readonly RangeTombstone[] Items = items;
        public readonly int Count = count;
    }

    /// <summary>
    /// Finds the newest entry for <paramref name="userKey"/> with sequence ≤ <paramref name="sequence"/>.
    /// Point entries only: range tombstones are applied by the caller.
    /// </summary>
    public LookupResult Get(scoped ReadOnlySpan<byte> userKey, ulong sequence, out ReadOnlySpan<byte> value, out ulong foundSequence)
    {
        int length = userKey.Length + InternalKey.TrailerLength;
        Span<byte> target = length <= 256 ? stackalloc byte[256] : new byte[length];
        target = target[..length];
        InternalKey.Write(target, userKey, sequence, EntryKind.Seek);
        int node = _list.SeekGreaterOrEqual(target);
        value = default;
        foundSequence = 0;
        if (node == 0)
        {
            return LookupResult.NotFound;
        }
        var key = _list.KeyAt(node);
        if (!InternalKey.UserKey(key).SequenceEqual(userKey))
        {
            return LookupResult.NotFound;
        }
        foundSequence = InternalKey.SequenceOf(key);
        if (InternalKey.KindOf(key) == EntryKind.Delete)
        {
            return LookupResult.Deleted;
        }
        value = _list.ValueAt(node);
        return LookupResult.Found;
    }

    /// <summary>An iterator over the point entries (pins this memtable until disposed).</summary>
    public InternalIterator NewIterator()
    {
        Ref();
        return new MemtableIterator(this, _list);
    }

    /// <summary>Takes a reference.</summary>
    public void Ref()
    {
        int n = Interlocked.Increment(ref _refs);
        Invariant.Check(n > 1, "Memtable.Ref after release");
    }

    /// <summary>Drops a reference; the last one returns the arena to the pool.</summary>
    public void Unref()
    {
        int n = Interlocked.Decrement(ref _refs);
        Invariant.Check(n >= 0, "Memtable.Unref below zero");
        if (n == 0)
        {
            _pool?.Return(_arena);
        }
    }

    private sealed class MemtableIterator : InternalIterator
    {
        private readonly Memtable _owner;
        private readonly SkipList _list;
        private int _node;
        private bool _disposed;

        public MemtableIterator(Memtable owner, SkipList list)
        {
            _owner = owner;
            _list = list;
            KeyArray = owner._arena;
        }

        public override ReadOnlySpan<byte> Value => _list.ValueAt(_node);

        public override void SeekToFirst() => Set(_list.First);

        public override void SeekToLast() => Set(_list.Last);

        public override void Seek(ReadOnlySpan<byte> target) => Set(_list.SeekGreaterOrEqual(target));

        public override void Next() => Set(_list.NextOf(_node));

        public override void Prev() => Set(_list.SeekLessThan(_list.KeyAt(_node)));

        private void Set(int node)
        {
            _node = node;
            IsValid = node != 0;
            if (IsValid)
            {
                _list.KeyLocation(node, out KeyOffset, out KeyLength);
            }
        }

        public override void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                _owner.Unref();
            }
        }
    }
}

/// <summary>
/// Recycles memtable arenas (large arrays) so that switching memtables does not allocate a new 64 MiB array
/// on the large-object heap each time. Holds at most <see cref="_max"/> free arenas. Thread-safe.
/// </summary>
internal sealed class ArenaPool(int max)
{
    private readonly int _max = max;
    private readonly Stack<byte[]> _free = new();

    public byte[] Rent(int capacityBytes)
    {
        lock (_free)
        {
            while (_free.Count > 0)
            {
                var a = _free.Pop();
                if (a.Length == capacityBytes)
                {
                    return a;
                }
            }
        }
        return GC.AllocateUninitializedArray<byte>(capacityBytes);
    }

    public void Return(byte[] arena)
    {
        lock (_free)
        {
            if (_free.Count < _max)
            {
                _free.Push(arena);
            }
        }
    }
}
