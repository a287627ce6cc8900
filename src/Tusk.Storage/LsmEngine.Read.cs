using Tusk.Storage.Iterators;
using Tusk.Storage.Memtable;
using Tusk.Storage.Sstable;

namespace Tusk.Storage;

/// <summary>The read path: point lookups, iterators, snapshots.</summary>
public sealed partial class LsmEngine
{
    private readonly SortedDictionary<ulong, int> _snapshots = new(); // sequence → count; Protected by _mutex.

    /// <summary>
    /// The value of <paramref name="key"/>, or null when absent or deleted (as of the snapshot in
    /// <paramref name="options"/>, else the latest state). Lock-free. Throws <see cref="Tusk.Core.CorruptionException"/>
    /// when a block it needs fails its checksum.
    /// </summary>
    public byte[]? Get(ReadOnlySpan<byte> key, ReadOptions? options = null)
    {
        ThrowIfClosed();
        // Pin first, then read the sequence (as RocksDB does). Read the other way round, a flush and a compaction
        // between the two steps could drop versions that sequence still needs. This way round, writes in memtables
        // newer than the pinned ones are simply not seen: memtables hold contiguous sequence ranges, so the
        // reader sees an exact prefix of the writes, as of a moment during the call.
        var sv = AcquireSuperVersion();
        ulong sequence = options?.Snapshot?.Sequence ?? Volatile.Read(ref _lastSequence);
        try
        {
            int length = key.Length + InternalKey.TrailerLength;
            Span<byte> seekKey = length <= 256 ? stackalloc byte[256] : new byte[length];
            seekKey = seekKey[..length];
            InternalKey.Write(seekKey, key, sequence, EntryKind.Seek);

            byte[]? value = null;
            var result = sv.Mem.Get(key, sequence, out var memValue, out ulong found);
            for (int i = 0; result == LookupResult.NotFound && i < sv.Immutables.Length; i++)
            {
                result = sv.Immutables[i].Get(key, sequence, out memValue, out found);
            }
            if (result == LookupResult.Found)
            {
                value = memValue.ToArray();
            }
            else if (result == LookupResult.NotFound)
            {
                result = sv.Version.Get(_tables, seekKey, key, KeyHash.Hash64(key), out value, out found);
            }
            if (result != LookupResult.Found)
            {
                return null;
            }
            var tombstones = sv.RangeTombstones(_tables);
            if (!tombstones.IsEmpty && tombstones.MaxCoveringSequence(key, sequence) > found)
            {
                return null;
            }
            return value;
        }
        finally
        {
            sv.Unref();
        }
    }

    /// <summary>
    /// An iterator over the latest state (or the snapshot in <paramref name="options"/>). It sees one consistent
    /// sequence number for its whole life and pins what it reads: dispose it.
    /// </summary>
    public LsmIterator NewIterator(ReadOptions? options = null)
    {
        ThrowIfClosed();
        bool fillCache = options?.FillCache ?? true;
        var sv = AcquireSuperVersion(); // pinned before the sequence is read: see Get
        ulong sequence = options?.Snapshot?.Sequence ?? Volatile.Read(ref _lastSequence);
        var children = new List<InternalIterator>();
        try
        {
            children.Add(sv.Mem.NewIterator());
            foreach (var m in sv.Immutables)
            {
                children.Add(m.NewIterator());
            }
            foreach (var f in sv.Version.Files[0])
            {
                var reader = _tables.Acquire(f);
                try
                {
                    children.Add(reader.NewIterator(fillCache));
                }
                finally
                {
                    reader.Release();
                }
            }
            for (int level = 1; level < Manifest.Version.MaxLevels; level++)
            {
                if (sv.Version.Files[level].Count > 0)
                {
                    children.Add(new LevelIterator(_tables, sv.Version.Files[level], fillCache));
                }
            }
            var tombstones = sv.RangeTombstones(_tables);
            return new LsmIterator(new MergingIterator([.. children]), sequence, tombstones, sv.Unref);
        }
        catch
        {
            foreach (var c in children)
            {
                c.Dispose();
            }
            sv.Unref();
            throw;
        }
    }

    /// <summary>A snapshot of the current state; reads through it ignore later writes. Dispose it when done.</summary>
    public Snapshot GetSnapshot()
    {
        lock (_mutex)
        {
            ThrowIfClosed();
            ulong sequence = _lastSequence;
            _snapshots[sequence] = _snapshots.GetValueOrDefault(sequence) + 1;
            return new Snapshot(sequence, ReleaseSnapshot);
        }
    }

    private void ReleaseSnapshot(Snapshot snapshot)
    {
        lock (_mutex)
        {
            int n = _snapshots[snapshot.Sequence] - 1;
            if (n == 0)
            {
                _snapshots.Remove(snapshot.Sequence);
            }
            else
            {
                _snapshots[snapshot.Sequence] = n;
            }
        }
    }

    /// <summary>The oldest sequence a live snapshot can read (the last sequence when none). Caller holds _mutex.</summary>
    private ulong SmallestSnapshot()
    {
        foreach (var kv in _snapshots)
        {
            return kv.Key;
        }
        return _lastSequence;
    }
}
