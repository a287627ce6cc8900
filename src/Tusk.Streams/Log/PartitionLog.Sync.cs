using Tusk.Core;

namespace Tusk.Streams.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Makes every batch appended before the call durable, then raises <see cref="SyncedOffset"/> to the log end
    /// offset seen at the start. Cheap when there is nothing to do (no lock, no system call), so a host may call it
    /// freely. Concurrent callers are serialized; appends continue during the fsync, and a caller that waited for
    /// another's fsync usually finds its own batches covered and returns at once (group commit).
    ///
    /// Order (what recovery relies on): for each segment closed by a roll since the last sync, fsync its file, then
    /// write (fsync, rename) its <c>.index</c>, <c>.timeindex</c> and the <c>.snapshot</c> at its end; fsync the
    /// directory (new segment files, renamed index files); fsync the active segment. A failure leaves
    /// <see cref="SyncedOffset"/> unchanged and makes the log refuse further appends and syncs.
    /// </summary>
    public void Sync()
    {
        if (Volatile.Read(ref _syncedOffset) >= Volatile.Read(ref _logEndOffset) && Volatile.Read(ref _pendingCloseCount) == 0)
        {
            return;
        }
        lock (_syncMu)
        {
            PendingClose[] pending;
            LogSegment active;
            long target;
            bool syncDirectory;
            lock (_mu)
            {
                ThrowIfUnusableLocked();
                if (_syncedOffset >= _logEndOffset && _pendingCloses.Count == 0)
                {
                    return;
                }
                pending = [.. _pendingCloses];
                active = _segments[^1];
                // Pending and active segments stay in _segments (retention and compaction skip them), so these succeed.
                foreach (var p in pending)
                {
                    Invariant.Check(p.Segment.TryAcquire(), "a pending segment is still listed");
                }
                Invariant.Check(active.TryAcquire(), "the active segment is listed");
                target = _logEndOffset;
                syncDirectory = pending.Length > 0 || !active.EntryDurable;
            }
            try
            {
                foreach (var p in pending)
                {
                    CloseDurably(p);
                }
                if (syncDirectory)
                {
                    _fs.SyncDirectory(_directory);
                }
                active.Handle.Sync();
            }
            catch (IOException e)
            {
                Fail(e);
                throw;
            }
            finally
            {
                foreach (var p in pending)
                {
                    p.Segment.Release();
                }
                active.Release();
            }
            lock (_mu)
            {
                _pendingCloses.RemoveRange(0, pending.Length);
                Volatile.Write(ref _pendingCloseCount, _pendingCloses.Count);
                if (syncDirectory)
                {
                    active.EntryDurable = true;
                    foreach (var p in pending)
                    {
                        p.Segment.EntryDurable = true;
                    }
                }
                Invariant.Check(target <= _logEndOffset, "the log end offset never decreases");
                if (target > _syncedOffset)
                {
                    Volatile.Write(ref _syncedOffset, target);
                }
            }
        }
    }

    /// <summary>
    /// Fsyncs a closed segment and writes the files that certify it. A closed segment's fields no longer change
    /// (only the active segment is appended to), so they are read here without the lock.
    /// </summary>
    private void CloseDurably(PendingClose pending)
    {
        var segment = pending.Segment;
        segment.Handle.Sync();
        WriteFileDurably(_fs, LogFiles.PathOf(_directory, segment.BaseOffset, LogFiles.IndexSuffix), segment.Index.EncodeOffsetIndex(segment.Footer));
        WriteFileDurably(_fs, LogFiles.PathOf(_directory, segment.BaseOffset, LogFiles.TimeIndexSuffix), segment.Index.EncodeTimeIndex(segment.BaseOffset));
        WriteFileDurably(_fs, LogFiles.PathOf(_directory, segment.NextOffset, LogFiles.SnapshotSuffix), pending.ProducerSnapshot);
    }
}
