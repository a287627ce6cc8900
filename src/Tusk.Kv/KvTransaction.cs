using Tusk.Core;
using Tusk.Storage;

namespace Tusk.Kv;

/// <summary>
/// A transaction on a <see cref="KvStore"/> (the contract is <see cref="IKvTransaction"/>'s). Writes go to an
/// ordered in-memory buffer until commit; reads merge that buffer over the store's versions as of the read
/// timestamp. At SERIALIZABLE every key read and every range scanned (its bounds, cut at the last key returned
/// when the limit stopped the scan) is recorded for validation at commit; a read answered by the transaction's
/// own write is not recorded (it does not depend on anyone else).
///
/// <para>The engine iterator is created on the first read and reused: at REPEATABLE READ and SERIALIZABLE it
/// covers the snapshot for the transaction's whole life; at READ COMMITTED it is replaced when a read finds
/// that newer commits became visible. It pins engine memtables and tables until the transaction ends.</para>
///
/// <para>Not thread-safe: one thread at a time.</para>
/// </summary>
public sealed class KvTransaction : IKvTransaction
{
    private readonly KvStore _store;
    private readonly bool _sync;
    private readonly ReadSet? _reads;          // SERIALIZABLE only.
    private readonly long _writeBytesMax;
    private readonly SortedSet<BufferedWrite> _writes = new(BufferedWrite.Comparer);
    private readonly BufferedWrite _probe = new([], null);
    private long _writeBytes;                  // Keys and values in _writes.
    private ulong _readTimestamp;              // Registered with the store while Active.
    private LsmIterator? _iterator;
    private ulong _iteratorCovers;             // Every commit at or below it is in _iterator's view.
    private byte[] _scratch = new byte[64];
    private List<byte[]>? _locked;

    internal KvTransaction(KvStore store, IsolationLevel isolation, bool sync, ulong readTimestamp, ReadSet? reads, long writeBytesMax)
    {
        _store = store;
        Isolation = isolation;
        _sync = sync;
        _readTimestamp = readTimestamp;
        _reads = reads;
        _writeBytesMax = writeBytesMax;
    }

    /// <inheritdoc />
    public IsolationLevel Isolation { get; }

    /// <inheritdoc />
    public KvTransactionState State { get; private set; }

    /// <inheritdoc />
    public HlcTimestamp ReadTimestamp => new(_readTimestamp);

    /// <inheritdoc />
    public HlcTimestamp CommitTimestamp { get; private set; }

    /// <summary>Keys the transaction will write (tests).</summary>
    internal int WriteCount => _writes.Count;

    /// <summary>True when the SERIALIZABLE read set was merged into one span because of its limit (tests).</summary>
    internal bool ReadSetCollapsed => _reads?.Collapsed ?? false;

    /// <inheritdoc />
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        EnsureActive();
        CheckKey(key);
        if (TryGetBuffered(key, out var buffered))
        {
            return buffered?.Value == null ? null : (byte[])buffered.Value.Clone();
        }
        ulong readTimestamp = NextReadTimestamp();
        byte[]? value = MvccCursor.Get(Iterator(readTimestamp), key, readTimestamp, ref _scratch);
        _reads?.AddPoint(key.ToArray());
        return value;
    }

    /// <inheritdoc />
    public IReadOnlyList<KvPair> Scan(ReadOnlySpan<byte> beginInclusive, ReadOnlySpan<byte> endExclusive, int limit = int.MaxValue, bool reverse = false)
    {
        EnsureActive();
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        CheckKey(beginInclusive);
        CheckKey(endExclusive);
        bool unbounded = endExclusive.IsEmpty;
        var result = new List<KvPair>();
        if (!unbounded && beginInclusive.SequenceCompareTo(endExclusive) >= 0)
        {
            return result;
        }
        ulong readTimestamp = NextReadTimestamp();
        var cursor = new MvccCursor(Iterator(readTimestamp), readTimestamp, beginInclusive, endExclusive, unbounded, reverse);
        cursor.Start();
        using var buffered = BufferedRange(beginInclusive, endExclusive, unbounded, reverse).GetEnumerator();
        bool haveBuffered = buffered.MoveNext();
        while (result.Count < limit && (cursor.Valid || haveBuffered))
        {
            // Which comes first in scan order: the store's key (< 0), the buffered one (> 0), or both the same key (0)?
            int order = !cursor.Valid ? 1 : !haveBuffered ? -1 : cursor.Key.AsSpan().SequenceCompareTo(buffered.Current.Key);
            if (reverse && cursor.Valid && haveBuffered)
            {
                order = -order;
            }
            if (order < 0)
            {
                result.Add(new KvPair(cursor.Key, cursor.Value));
                cursor.Next();
                continue;
            }
            var w = buffered.Current;
            if (w.Value != null)
            {
                result.Add(new KvPair((byte[])w.Key.Clone(), (byte[])w.Value.Clone()));
            }
            if (order == 0)
            {
                cursor.Next(); // the transaction's own write shadows the stored version
            }
            haveBuffered = buffered.MoveNext();
        }
        RecordScan(beginInclusive, endExclusive, unbounded, reverse, result, limit);
        return result;
    }

    /// <summary>Records the range a scan observed: all of it, or up to its last key when the limit stopped it.</summary>
    private void RecordScan(ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end, bool unbounded, bool reverse, List<KvPair> result, int limit)
    {
        if (_reads == null)
        {
            return;
        }
        bool truncated = result.Count == limit;
        if (!truncated)
        {
            _reads.AddRange(begin.ToArray(), unbounded ? null : end.ToArray());
        }
        else if (!reverse)
        {
            _reads.AddRange(begin.ToArray(), ReadSpan.Successor(result[^1].Key));
        }
        else
        {
            _reads.AddRange((byte[])result[^1].Key.Clone(), unbounded ? null : end.ToArray());
        }
    }

    /// <inheritdoc />
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        EnsureActive();
        CheckKey(key);
        if (value.Length > KvStore.ValueLengthMax)
        {
            throw new KvLimitExceededException($"a value of {value.Length} bytes exceeds the limit of {KvStore.ValueLengthMax}");
        }
        Buffer(key, value.ToArray());
    }

    /// <inheritdoc />
    public void Delete(ReadOnlySpan<byte> key)
    {
        EnsureActive();
        CheckKey(key);
        Buffer(key, null);
    }

    private void Buffer(ReadOnlySpan<byte> key, byte[]? value)
    {
        bool exists = TryGetBuffered(key, out var existing);
        long delta = (value?.Length ?? 0) - (exists ? existing!.Value?.Length ?? 0 : -key.Length);
        if (_writeBytes + delta > _writeBytesMax)
        {
            throw new KvLimitExceededException($"the transaction's writes would exceed {_writeBytesMax} bytes (TransactionWriteBytesMax)");
        }
        _writeBytes += delta;
        if (exists)
        {
            existing!.Value = value;
        }
        else
        {
            _writes.Add(new BufferedWrite(key.ToArray(), value));
        }
    }

    /// <inheritdoc />
    public bool Lock(ReadOnlySpan<byte> key, TimeSpan timeout, KeyLockMode mode = KeyLockMode.Update, CancellationToken cancellation = default)
    {
        EnsureActive();
        CheckKey(key);
        var copy = key.ToArray();
        var acquired = _store.Locks.Acquire(this, copy, timeout, mode, cancellation);
        if (acquired) (_locked ??= []).Add(copy);
        if (Isolation != IsolationLevel.ReadCommitted && _store.WrittenAfter(copy, _readTimestamp))
        {
            _store.CountSerializationFailure();
            throw new KvSerializationException(KvConflictKind.WriteWrite, copy,
                "could not serialize access due to concurrent update: a locked key was written after this transaction's snapshot");
        }
        return acquired;
    }

    /// <inheritdoc />
    public void Unlock(ReadOnlySpan<byte> key)
    {
        if (_locked is null) return;
        var i = _locked.Count - 1;   // usually the latest lock
        while (i >= 0 && !_locked[i].AsSpan().SequenceEqual(key)) i--;
        if (i < 0) return;
        var held = _locked[i];
        _locked.RemoveAt(i);
        _store.Locks.Release(this, [held]);
    }

    /// <inheritdoc />
    public KvSavepoint Savepoint()
    {
        EnsureActive();
        return new KvSavepoint(_writes.Select(w => (w.Key, w.Value)).ToList(), _writeBytes, _locked?.Count ?? 0);
    }

    /// <inheritdoc />
    public void RollbackTo(KvSavepoint savepoint)
    {
        ArgumentNullException.ThrowIfNull(savepoint);
        EnsureActive();
        _writes.Clear();
        foreach (var (key, value) in savepoint.Writes) _writes.Add(new BufferedWrite(key, value));
        _writeBytes = savepoint.WriteBytes;
        // Locks are appended in the order taken; an early Unlock may have shifted them left, which only keeps more.
        if (_locked is not null && _locked.Count > savepoint.LockCount)
        {
            var later = _locked.GetRange(savepoint.LockCount, _locked.Count - savepoint.LockCount);
            _locked.RemoveRange(savepoint.LockCount, later.Count);
            _store.Locks.Release(this, later);
        }
    }

    /// <inheritdoc />
    public void Commit()
    {
        EnsureActive();
        try
        {
            CommitTimestamp = _writes.Count == 0
                ? new HlcTimestamp(_readTimestamp) // nothing to write: serialized at its snapshot
                : new HlcTimestamp(_store.CommitWrites(Isolation, _readTimestamp, _writes, _reads, _sync));
            State = KvTransactionState.Committed;
        }
        catch
        {
            State = KvTransactionState.RolledBack;
            throw;
        }
        finally
        {
            Release();
        }
    }

    /// <inheritdoc />
    public void Rollback()
    {
        if (State != KvTransactionState.Active)
        {
            return;
        }
        State = KvTransactionState.RolledBack;
        Release();
    }

    /// <summary>Rolls back when still active.</summary>
    public void Dispose() => Rollback();

    /// <summary>
    /// Drops the cached engine iterator; the next read creates one (tests: an old iterator pins the engine state
    /// it was created on, so it would hide what a vacuum removed since).
    /// </summary>
    internal void ResetIterator()
    {
        _iterator?.Dispose();
        _iterator = null;
    }

    private void Release()
    {
        if (_locked is not null)
        {
            _store.Locks.Release(this, _locked);
            _locked = null;
        }
        _iterator?.Dispose();
        _iterator = null;
        _writes.Clear();
        _store.Unregister(_readTimestamp);
    }

    /// <summary>The timestamp of the next read: the snapshot, or at READ COMMITTED the latest visible timestamp.</summary>
    private ulong NextReadTimestamp()
    {
        if (Isolation == IsolationLevel.ReadCommitted && _store.Visible != _readTimestamp)
        {
            _readTimestamp = _store.AdvanceRegistration(_readTimestamp);
        }
        return _readTimestamp;
    }

    /// <summary>An engine iterator whose view holds every commit at or below <paramref name="readTimestamp"/>.</summary>
    private LsmIterator Iterator(ulong readTimestamp)
    {
        if (_iterator == null || readTimestamp > _iteratorCovers)
        {
            _iterator?.Dispose();
            _iterator = null;
            _iterator = _store.NewEngineIterator(out _iteratorCovers);
            Invariant.Check(readTimestamp <= _iteratorCovers, "a read timestamp above the visible timestamp");
        }
        return _iterator;
    }

    private bool TryGetBuffered(ReadOnlySpan<byte> key, out BufferedWrite? write)
    {
        write = null;
        if (_writes.Count == 0)
        {
            return false;
        }
        _probe.Key = key.ToArray();
        bool found = _writes.TryGetValue(_probe, out write);
        _probe.Key = [];
        return found;
    }

    /// <summary>Buffered writes with keys in [begin, end), in scan order.</summary>
    private IEnumerable<BufferedWrite> BufferedRange(ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end, bool unbounded, bool reverse)
    {
        if (_writes.Count == 0)
        {
            return [];
        }
        var low = new BufferedWrite(begin.ToArray(), null);
        var high = unbounded ? _writes.Max! : new BufferedWrite(end.ToArray(), null);
        if (BufferedWrite.Comparer.Compare(low, high) > 0)
        {
            return [];
        }
        var view = _writes.GetViewBetween(low, high);
        IEnumerable<BufferedWrite> inRange = unbounded ? view : view.Where(w => w.Key.AsSpan().SequenceCompareTo(high.Key) < 0);
        return reverse ? inRange.Reverse() : inRange;
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length > KvStore.KeyLengthMax)
        {
            throw new KvLimitExceededException($"a key of {key.Length} bytes exceeds the limit of {KvStore.KeyLengthMax}");
        }
    }

    private void EnsureActive()
    {
        if (State != KvTransactionState.Active)
        {
            throw new InvalidOperationException($"the transaction is {State.ToString().ToLowerInvariant()}");
        }
    }
}
