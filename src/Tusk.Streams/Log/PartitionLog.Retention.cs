using Tusk.Core.IO;

namespace Tusk.Streams.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Applies the delete policy (when <see cref="PartitionLogOptions.CleanupPolicy"/> includes it): deletes the
    /// oldest closed segments, oldest first, while each one is older than retention.ms (its largest timestamp more
    /// than that before <paramref name="nowMs"/>) or the partition would still hold at least retention.bytes
    /// without it. Never the active segment. Segments closed since the last <see cref="Sync"/> are first finished
    /// by a sync (the host may sync rarely; this runs in the background anyway). Advances
    /// <see cref="LogStartOffset"/> to the oldest remaining segment and deletes producer snapshots below it. Also
    /// expires the idempotence state of producers silent for producer.id.expiration.ms (under any policy).
    /// Returns the number of segments deleted.
    /// </summary>
    public int ApplyRetention(long nowMs)
    {
        lock (_maintenanceMu)
        {
            FinishPendingCloses();
            List<LogSegment> victims;
            long logStartOffset;
            lock (_mu)
            {
                ThrowIfUnusableLocked();
                _producers.RemoveExpired(nowMs, _options.ProducerIdExpirationMs);
                if (!_options.CleanupPolicy.HasFlag(CleanupPolicy.Delete))
                {
                    return 0;
                }
                victims = PickExpiredSegmentsLocked(nowMs);
                if (victims.Count == 0)
                {
                    return 0;
                }
                _segments.RemoveRange(0, victims.Count);
                logStartOffset = _segments[0].BaseOffset;
                Volatile.Write(ref _logStartOffset, logStartOffset);
            }
            try
            {
                // A crash before the directory sync brings the files back: the log start simply stays where it was.
                foreach (var segment in victims)
                {
                    _fs.Delete(segment.Path);
                    _fs.Delete(LogFiles.PathOf(_directory, segment.BaseOffset, LogFiles.IndexSuffix));
                    _fs.Delete(LogFiles.PathOf(_directory, segment.BaseOffset, LogFiles.TimeIndexSuffix));
                }
                foreach (string name in _fs.List(_directory))
                {
                    if (LogFiles.TryParse(name, LogFiles.SnapshotSuffix, out long offset) && offset < logStartOffset)
                    {
                        _fs.Delete(FileSystemExtensions.Join(_directory, name));
                    }
                }
                _fs.SyncDirectory(_directory);
            }
            finally
            {
                foreach (var segment in victims)
                {
                    segment.Release(); // the list's reference; a read still copying keeps the file open
                }
            }
            Report($"retention deleted {victims.Count} segment(s); log start offset is now {logStartOffset}");
            return victims.Count;
        }
    }

    /// <summary>Syncs when rolls left closed segments without their index and snapshot files. Caller holds _maintenanceMu.</summary>
    private void FinishPendingCloses()
    {
        if (Volatile.Read(ref _pendingCloseCount) > 0)
        {
            Sync();
        }
    }

    /// <summary>The prefix of closed, finished segments that retention may delete. Caller holds _mu.</summary>
    private List<LogSegment> PickExpiredSegmentsLocked(long nowMs)
    {
        var victims = new List<LogSegment>();
        long total = 0;
        foreach (var segment in _segments)
        {
            total += segment.SizeBytes;
        }
        int closed = _segments.Count - 1 - _pendingCloses.Count;
        for (int i = 0; i < closed; i++)
        {
            var segment = _segments[i];
            bool expired = _options.RetentionMs >= 0 && nowMs - segment.MaxTimestampMs > _options.RetentionMs;
            bool oversized = _options.RetentionBytes >= 0 && total - segment.SizeBytes >= _options.RetentionBytes;
            if (!expired && !oversized)
            {
                break;
            }
            victims.Add(segment);
            total -= segment.SizeBytes;
        }
        return victims;
    }
}
