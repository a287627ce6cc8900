using Tusk.Core;

namespace Tusk.Storage;

/// <summary>The write path: group commit into the WAL, then the memtable; making room; stalls.</summary>
public sealed partial class LsmEngine
{
    /// <summary>One queued write. Reused per thread (a thread has at most one write in flight).</summary>
    private sealed class Writer
    {
        public WriteBatch? Batch;    // null: a request to switch the memtable (Flush)
        public bool Sync;
        public bool Done;
        public Exception? Error;
    }

    [ThreadStatic] private static Writer? t_writer;
    [ThreadStatic] private static WriteBatch? t_batch;

    private readonly Queue<Writer> _writers = new();   // Protected by _mutex; the head is the commit leader.
    private readonly WriteBatch _groupBatch = new(1 << 16); // Leader only.

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteOptions? options = null)
    {
        var batch = t_batch ??= new WriteBatch();
        batch.Clear();
        batch.Put(key, value);
        Write(batch, options);
    }

    /// <summary>Deletes <paramref name="key"/> (no error if absent).</summary>
    public void Delete(ReadOnlySpan<byte> key, WriteOptions? options = null)
    {
        var batch = t_batch ??= new WriteBatch();
        batch.Clear();
        batch.Delete(key);
        Write(batch, options);
    }

    /// <summary>Deletes every key in [<paramref name="beginInclusive"/>, <paramref name="endExclusive"/>) in one write.</summary>
    public void DeleteRange(ReadOnlySpan<byte> beginInclusive, ReadOnlySpan<byte> endExclusive, WriteOptions? options = null)
    {
        var batch = t_batch ??= new WriteBatch();
        batch.Clear();
        batch.DeleteRange(beginInclusive, endExclusive);
        Write(batch, options);
    }

    /// <summary>
    /// Applies <paramref name="batch"/> atomically. Concurrent writers are grouped: the first in the queue (the
    /// leader) writes the group's WAL record with one system call and, if any member asked for it, one fsync,
    /// then inserts the group into the memtable and publishes its sequence numbers.
    /// </summary>
    public void Write(WriteBatch batch, WriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return;
        }
        Commit(batch, options?.Sync ?? false);
    }

    private void Commit(WriteBatch? batch, bool sync)
    {
        var w = t_writer ??= new Writer();
        w.Batch = batch;
        w.Sync = sync;
        w.Done = false;
        w.Error = null;

        WriteBatch group;
        Writer last;
        bool groupSync;
        Memtable.Memtable mem;
        ulong sequence;
        lock (_mutex)
        {
            ThrowIfClosed();
            _writers.Enqueue(w);
            while (!w.Done && _writers.Peek() != w)
            {
                Monitor.Wait(_mutex);
            }
            if (w.Done)
            {
                ThrowIfFailed(w);
                return;
            }
            // Leader.
            try
            {
                (group, last, groupSync) = BuildGroup(w);
                MakeRoomForWrite(batch == null ? 0 : MemtableBytesNeeded(group), force: batch == null);
            }
            catch (Exception e)
            {
                CompleteGroup(w, w, e);
                throw;
            }
            if (batch == null)
            {
                CompleteGroup(w, w, null);
                return;
            }
            mem = _mem;
            sequence = _lastSequence + 1;
        }

        // Outside the mutex: only the leader is here, the memtable cannot be switched under it.
        Exception? error = null;
        try
        {
            group.SetSequence(sequence);
            var frame = group.Frame;
            _wal.AppendFrame(frame);
            if (groupSync)
            {
                _wal.Sync();
            }
            _stats.AddWrite(group.UserBytes, frame.Length, group.Count, groupSync);
            var inserter = new MemtableInserter(mem);
            bool ok = WriteBatch.Decode(frame[Log.LogRecord.HeaderLength..], ref inserter);
            Invariant.Check(ok && inserter.Ok, "memtable insert failed after room was made");
            Volatile.Write(ref _lastSequence, sequence + (ulong)group.Count - 1);
        }
        catch (Exception e)
        {
            // The WAL's state is unknown (a failed fsync may have dropped pages): stop accepting writes.
            error = e is InvariantViolationException ? e : new IOException("write failed; the engine now refuses writes: " + e.Message, e);
        }
        lock (_mutex)
        {
            if (error != null)
            {
                _backgroundError ??= error;
            }
            CompleteGroup(w, last, error);
        }
        if (error != null)
        {
            throw error;
        }
    }

    private static void ThrowIfFailed(Writer w)
    {
        if (w.Error != null)
        {
            throw new IOException("write failed: " + w.Error.Message, w.Error);
        }
    }

    /// <summary>Pops the group [leader .. last] off the queue, marks it done, wakes the next leader. Caller holds _mutex.</summary>
    private void CompleteGroup(Writer leader, Writer last, Exception? error)
    {
        while (true)
        {
            var x = _writers.Dequeue();
            x.Error = error;
            x.Done = true;
            if (x == last)
            {
                break;
            }
        }
        Invariant.Check(leader.Done, "group completed without its leader");
        Monitor.PulseAll(_mutex);
    }

    /// <summary>Chooses the writers to commit together. Caller holds _mutex and is the leader.</summary>
    private (WriteBatch Group, Writer Last, bool Sync) BuildGroup(Writer leader)
    {
        if (leader.Batch == null || _writers.Count == 1)
        {
            return (leader.Batch!, leader, leader.Sync);
        }
        int size = leader.Batch.EncodedLength;
        // Keep small writes from waiting behind a huge group (LevelDB's rule).
        int maxSize = size <= 128 << 10 ? Math.Min(_options.MaxWriteGroupBytes, size + (128 << 10)) : _options.MaxWriteGroupBytes;
        Writer last = leader;
        bool sync = leader.Sync;
        int members = 1;
        bool first = true;
        foreach (var x in _writers)
        {
            if (first)
            {
                first = false; // the leader
                continue;
            }
            if (x.Batch == null || size + x.Batch.EncodedLength > maxSize)
            {
                break;
            }
            size += x.Batch.EncodedLength;
            sync |= x.Sync;
            last = x;
            members++;
        }
        if (members == 1)
        {
            return (leader.Batch, leader, leader.Sync);
        }
        _groupBatch.Clear();
        foreach (var x in _writers)
        {
            _groupBatch.AppendEntriesOf(x.Batch!);
            if (x == last)
            {
                break;
            }
        }
        return (_groupBatch, last, sync);
    }

    private static int MemtableBytesNeeded(WriteBatch batch) =>
        batch.EncodedLength + batch.Count * Memtable.SkipList.MaxNodeBytes(InternalKey.TrailerLength, 0);

    /// <summary>
    /// Makes sure the active memtable can take <paramref name="needed"/> bytes, switching it when full and
    /// applying back-pressure: a delay per write group while L0 is at the slowdown trigger, and a full stop
    /// while all memtables wait for flush or L0 is at the stop trigger. Caller holds _mutex and is the leader.
    /// </summary>
    private void MakeRoomForWrite(int needed, bool force)
    {
        bool allowDelay = !force;
        while (true)
        {
            ThrowIfClosed(); // a writer stalled here when the engine closes must not wait for a flush that never comes
            if (_backgroundError != null)
            {
                throw new IOException("the engine refuses writes after a background error: " + _backgroundError.Message, _backgroundError);
            }
            int level0 = _versions.Current.Files[0].Count;
            if (allowDelay && level0 >= _options.Level0SlowdownWritesTrigger)
            {
                allowDelay = false;
                long start = _options.Clock.MonotonicTicks;
                Monitor.Wait(_mutex, TimeSpan.FromMicroseconds(_options.SlowdownDelayMicros));
                _stats.AddSlowdown(ElapsedMicros(start));
                continue;
            }
            if (!force && _mem.FreeBytes >= needed)
            {
                return;
            }
            if (force && _mem.IsEmpty)
            {
                return;
            }
            if (_imms.Count >= _options.MaxWriteBufferNumber - 1)
            {
                WaitForBackground(stall: true);
                continue;
            }
            if (level0 >= _options.Level0StopWritesTrigger)
            {
                WaitForBackground(stall: true);
                continue;
            }
            SwitchMemtable(needed);
            force = false;
        }
    }

    /// <summary>Starts a new WAL segment and memtable; the old memtable waits for flush. Caller holds _mutex.</summary>
    private void SwitchMemtable(int needed)
    {
        ulong logNumber = _versions.NewFileNumber();
        try
        {
            _wal.StartSegment(logNumber);
        }
        catch (Exception e)
        {
            // The WAL could not move on; its state is uncertain, so stop accepting writes.
            _backgroundError ??= e;
            Monitor.PulseAll(_mutex);
            throw;
        }
        int capacity = Math.Max(_options.WriteBufferSizeBytes, needed + 4096);
        var next = new Memtable.Memtable(capacity == _options.WriteBufferSizeBytes ? _arenas : null, capacity, logNumber, NextSeed());
        _imms.Insert(0, _mem);
        _mem = next;
        InstallSuperVersion();
        MaybeScheduleWork();
    }

    /// <summary>
    /// Waits for background work to make progress. With a queueing scheduler (tests) runs a pending job on this
    /// thread instead, outside the mutex. Caller holds _mutex.
    /// </summary>
    private void WaitForBackground(bool stall)
    {
        long start = _options.Clock.MonotonicTicks;
        MaybeScheduleWork();
        Monitor.Exit(_mutex);
        bool ran;
        try
        {
            ran = _scheduler.TryRunPendingJob();
        }
        finally
        {
            Monitor.Enter(_mutex);
        }
        if (!ran)
        {
            Monitor.Wait(_mutex, TimeSpan.FromMilliseconds(100));
        }
        if (stall)
        {
            _stats.AddStall(ElapsedMicros(start));
        }
    }

    private long ElapsedMicros(long startTicks) =>
        (_options.Clock.MonotonicTicks - startTicks) * 1_000_000 / _options.Clock.TicksPerSecond;

    private struct MemtableInserter(Memtable.Memtable mem) : IBatchVisitor
    {
        public bool Ok = true;

        public void Visit(ulong sequence, EntryKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
            Ok &= mem.TryAdd(sequence, kind, key, value);
    }
}
