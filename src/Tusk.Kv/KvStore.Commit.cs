using Tusk.Core;
using Tusk.Storage;

namespace Tusk.Kv;

/// <summary>The commit pipeline: validate and stamp under the lock, write outside it, publish in timestamp order.</summary>
public sealed partial class KvStore
{
    /// <summary>
    /// Commits <paramref name="writes"/> (sorted by key, at least one) of a transaction that read at
    /// <paramref name="readTimestamp"/>; returns the commit timestamp. Throws <see cref="KvSerializationException"/>
    /// when validation fails (nothing was written) and <see cref="IOException"/> when the engine failed (the
    /// outcome is then unknown and the store refuses further commits).
    /// </summary>
    internal ulong CommitWrites(IsolationLevel isolation, ulong readTimestamp, IReadOnlyCollection<BufferedWrite> writes, ReadSet? reads, bool sync)
    {
        Invariant.Check(writes.Count > 0, "a commit without writes goes nowhere near the pipeline");
        var keys = new byte[writes.Count][];
        int size = 0;
        int i = 0;
        foreach (var w in writes)
        {
            keys[i++] = w.Key;
            size += MvccEncoding.VersionKeyLength(w.Key) + 1 + (w.Value?.Length ?? 0) + 8;
        }

        ulong timestamp;
        lock (_mutex)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_failure != null)
            {
                throw new IOException("the store refuses commits after a failed write: " + _failure.Message, _failure);
            }
            var conflict = Validate(isolation, readTimestamp, keys, reads);
            if (conflict != null)
            {
                Interlocked.Increment(ref _serializationFailureCount);
                throw conflict;
            }
            timestamp = Clock.Now().Value;
            Invariant.Check(timestamp > _lastCommit, "commit timestamps must grow");
            if (timestamp >= _ceiling)
            {
                RaiseCeiling(timestamp);
            }
            _tracker.Record(timestamp, keys);
            _tracker.Forget(HorizonLocked());
            _pending.Add(timestamp);
            _lastCommit = timestamp;
        }

        Exception? error = null;
        try
        {
            _engine.Write(BuildBatch(writes, timestamp, size), sync ? WriteOptions.Durable : WriteOptions.Default);
        }
        catch (Exception e)
        {
            error = e;
        }
        lock (_mutex)
        {
            if (error != null)
            {
                _failure ??= error;
            }
            _pending.Remove(timestamp);
            AdvanceVisibleLocked();
            Monitor.PulseAll(_mutex);
            // Return only once new transactions see this commit: wait for earlier commits still being written.
            while (error == null && _visible < timestamp)
            {
                Monitor.Wait(_mutex);
            }
        }
        if (error != null)
        {
            throw new IOException("commit failed; its outcome is unknown and the store refuses further commits: " + error.Message, error);
        }
        Interlocked.Increment(ref _commitCount);
        return timestamp;
    }

    /// <summary>
    /// Whether a transaction committed a write of <paramref name="key"/> after <paramref name="snapshot"/> (true too when
    /// the commit history kept for validation no longer reaches back to the snapshot: it cannot be ruled out).
    /// </summary>
    internal bool WrittenAfter(byte[] key, ulong snapshot)
    {
        lock (_mutex)
        {
            return snapshot < _tracker.Floor || _tracker.LatestCommit(key) > snapshot;
        }
    }

    internal void CountSerializationFailure() => Interlocked.Increment(ref _serializationFailureCount);

    /// <summary>
    /// The conflict that forbids this commit, or null. Caller holds _mutex. READ COMMITTED is not validated (the
    /// later committer's writes win); REPEATABLE READ checks the write set; SERIALIZABLE also the read set. Every
    /// check asks for a tracked commit after the snapshot: all of those are before this commit's timestamp, which
    /// is taken after validation under the same lock.
    /// </summary>
    private KvSerializationException? Validate(IsolationLevel isolation, ulong snapshot, byte[][] keys, ReadSet? reads)
    {
        if (isolation == IsolationLevel.ReadCommitted)
        {
            return null;
        }
        if (snapshot < _tracker.Floor)
        {
            return new KvSerializationException(KvConflictKind.SnapshotTooOld, null,
                $"could not serialize access: the transaction's snapshot {new HlcTimestamp(snapshot)} is older than the commit history "
                + $"kept for validation (from {new HlcTimestamp(_tracker.Floor)}; raise TrackedKeysMax or shorten transactions)");
        }
        foreach (byte[] key in keys)
        {
            ulong latest = _tracker.LatestCommit(key);
            if (latest > snapshot)
            {
                return new KvSerializationException(KvConflictKind.WriteWrite, key,
                    $"could not serialize access due to concurrent update: a key was written at {new HlcTimestamp(latest)}, after this transaction's snapshot {new HlcTimestamp(snapshot)}");
            }
        }
        if (isolation == IsolationLevel.Serializable && reads != null)
        {
            foreach (var span in reads.Spans)
            {
                byte[]? key;
                if (span.IsPoint)
                {
                    key = _tracker.LatestCommit(span.Begin) > snapshot ? span.Begin : null;
                }
                else
                {
                    key = _tracker.FindNewerInRange(span.Begin, span.End, snapshot);
                }
                if (key != null)
                {
                    return new KvSerializationException(KvConflictKind.ReadWrite, key,
                        $"could not serialize access due to read/write dependencies among transactions: a key this transaction {(span.IsPoint ? "read" : "scanned")} was written after its snapshot {new HlcTimestamp(snapshot)}");
                }
            }
        }
        return null;
    }

    /// <summary>Moves the visible timestamp up to just below the oldest commit still being written. Caller holds _mutex.</summary>
    private void AdvanceVisibleLocked()
    {
        ulong visible = _pending.Count == 0 ? _lastCommit : _pending.Min - 1;
        if (visible > _visible)
        {
            Volatile.Write(ref _visible, visible);
        }
    }

    private static WriteBatch BuildBatch(IReadOnlyCollection<BufferedWrite> writes, ulong timestamp, int size)
    {
        var batch = new WriteBatch(size + 64);
        byte[] scratch = new byte[256];
        var ts = new HlcTimestamp(timestamp);
        foreach (var w in writes)
        {
            int keyLength = MvccEncoding.VersionKeyLength(w.Key);
            int valueLength = 1 + (w.Value?.Length ?? 0);
            if (scratch.Length < keyLength + valueLength)
            {
                scratch = new byte[Math.Max(keyLength + valueLength, scratch.Length * 2)];
            }
            MvccEncoding.WriteVersionKey(scratch, w.Key, ts);
            var value = scratch.AsSpan(keyLength, valueLength);
            if (w.Value == null)
            {
                value[0] = MvccEncoding.KindTombstone;
            }
            else
            {
                value[0] = MvccEncoding.KindValue;
                w.Value.CopyTo(value[1..]);
            }
            batch.Put(scratch.AsSpan(0, keyLength), value);
        }
        return batch;
    }
}
