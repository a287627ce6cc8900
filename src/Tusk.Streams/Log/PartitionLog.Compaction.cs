using System.Buffers;
using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Streams.Log;

public sealed partial class PartitionLog
{
    // Protected by _maintenanceMu. The round in progress, or null. Offsets below _firstDirtyOffset were mapped by a
    // finished round (in this process: after a restart everything is dirty again, which is safe, only slower).
    private CleaningRound? _cleaningRound;
    private long _firstDirtyOffset = long.MinValue;

    /// <summary>
    /// A compaction round: a map from key to the newest offset seen for it in the "dirty" segments
    /// [first dirty, <see cref="DirtyEnd"/>), then a pass rewriting every closed segment from the log start to
    /// <see cref="DirtyEnd"/> with that map. Every record is in some round's map once, and that round's pass then
    /// visits every older record, so a record is dropped only when a newer one with its key exists, and a tombstone
    /// is dropped only after the values it deletes are gone.
    /// </summary>
    private sealed class CleaningRound(Dictionary<byte[], long> newestOffsetByKey, long dirtyEnd)
    {
        public Dictionary<byte[], long> NewestOffsetByKey { get; } = newestOffsetByKey;

        public long DirtyEnd { get; } = dirtyEnd;

        /// <summary>The pass continues with the first segment whose base is ≥ this.</summary>
        public long Cursor { get; set; } = long.MinValue;
    }

    /// <summary>Running totals of one <see cref="Compact"/> call.</summary>
    private sealed class CompactionStats
    {
        public long BytesMapped, BytesCleaned, BytesWritten, RecordsRemoved, TombstonesRemoved;
        public int SegmentsRewritten;

        public CompactionResult ToResult(bool moreWork) =>
            new(BytesMapped, BytesCleaned, BytesWritten, SegmentsRewritten, RecordsRemoved, TombstonesRemoved, moreWork);
    }

    /// <summary>
    /// Does a bounded amount of log compaction (cleanup.policy=compact): about
    /// <see cref="PartitionLogOptions.CompactionBytesPerRun"/> bytes of reading plus the segment in hand. Closed
    /// segments (never the active one; segments closed since the last <see cref="Sync"/> are first finished by a
    /// sync) are rewritten keeping only the newest
    /// record per key; records without a key are dropped; a tombstone (null value) is dropped once its segment's last
    /// append is delete.retention.ms before <paramref name="nowMs"/>. Offsets never change: a rewritten batch keeps
    /// its base offset, lastOffsetDelta and the surviving records byte for byte (their offset and timestamp deltas
    /// included), with a new length, count, max timestamp and CRC; a batch left empty disappears. Compressed batches
    /// (written before the topic became compacted) are kept whole.
    ///
    /// Crash-safe swap: write <c>X.log.cleaned</c>, <c>X.index.cleaned</c>, <c>X.timeindex.cleaned</c>, fsync each,
    /// fsync the directory; rename <c>X.log.cleaned</c> over <c>X.log</c> (the commit point), rename the index files,
    /// fsync the directory. <see cref="Open"/> discards the <c>.cleaned</c> files while <c>X.log.cleaned</c> exists and
    /// finishes the renames after it. Reads running during a swap keep reading the old file, whose records are a
    /// superset with the same offsets. An I/O failure makes the log refuse appends, as a failed flush does in the
    /// storage engine.
    /// </summary>
    public CompactionResult Compact(long nowMs)
    {
        lock (_maintenanceMu)
        {
            lock (_mu)
            {
                ThrowIfUnusableLocked();
            }
            var stats = new CompactionStats();
            if (!_options.CleanupPolicy.HasFlag(CleanupPolicy.Compact))
            {
                return stats.ToResult(moreWork: false);
            }
            FinishPendingCloses();
            try
            {
                long budget = _options.CompactionBytesPerRun;
                bool worked = false;
                if (_cleaningRound is null)
                {
                    _cleaningRound = MapDirtySegments(ref budget, stats);
                    if (_cleaningRound is null)
                    {
                        return stats.ToResult(moreWork: false); // nothing dirty
                    }
                    worked = true;
                }
                bool complete = CleanSegments(_cleaningRound, ref budget, worked, nowMs, stats);
                if (complete)
                {
                    _firstDirtyOffset = _cleaningRound.DirtyEnd;
                    _cleaningRound = null;
                }
                if (stats.SegmentsRewritten > 0)
                {
                    Report($"compaction rewrote {stats.SegmentsRewritten} segment(s), removed {stats.RecordsRemoved} records and {stats.TombstonesRemoved} tombstones");
                }
                return stats.ToResult(moreWork: _cleaningRound is not null || HasDirtySegment());
            }
            catch (IOException e) when (e is not CorruptionException)
            {
                _cleaningRound = null;
                Fail(e);
                throw;
            }
        }
    }

    /// <summary>True when a closed, finished segment at or after the first dirty offset exists.</summary>
    private bool HasDirtySegment()
    {
        var segment = AcquireCompactableSegment(_firstDirtyOffset, long.MaxValue);
        segment?.Release();
        return segment is not null;
    }

    /// <summary>
    /// The first closed, finished segment with base ≥ <paramref name="fromBase"/> that ends at or before
    /// <paramref name="endLimit"/>, pinned; or null.
    /// </summary>
    private LogSegment? AcquireCompactableSegment(long fromBase, long endLimit)
    {
        lock (_mu)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int closed = _segments.Count - 1 - _pendingCloses.Count;
            for (int i = 0; i < closed; i++)
            {
                var segment = _segments[i];
                if (segment.BaseOffset >= fromBase)
                {
                    if (segment.NextOffset > endLimit)
                    {
                        return null;
                    }
                    Invariant.Check(segment.TryAcquire(), "a listed segment is referenced");
                    return segment;
                }
            }
            return null;
        }
    }

    /// <summary>Starts a round: maps keys of dirty segments, at least one, up to the budget. Null when nothing is dirty.</summary>
    private CleaningRound? MapDirtySegments(ref long budget, CompactionStats stats)
    {
        var map = new Dictionary<byte[], long>(ByteArrayKeyComparer.Instance);
        long from = _firstDirtyOffset;
        long dirtyEnd = long.MinValue;
        while (AcquireCompactableSegment(from, long.MaxValue) is { } segment)
        {
            try
            {
                if (dirtyEnd != long.MinValue && segment.SizeBytes > budget)
                {
                    break;
                }
                using var scanner = new SegmentScanner(segment.Handle, segment.SizeBytes);
                while (NextVerifiedBatch(scanner, segment, out var header))
                {
                    if (header.Compression != 0 || header.IsControl)
                    {
                        continue; // opaque: its keys stay unmapped, which only keeps more records
                    }
                    var reader = new RecordReader(scanner.CurrentBatch());
                    for (int i = 0; i < header.RecordCount; i++)
                    {
                        var record = NextRecord(ref reader, segment, header);
                        if (!record.KeyIsNull)
                        {
                            long offset = header.BaseOffset + record.OffsetDelta;
                            var alternate = map.GetAlternateLookup<ReadOnlySpan<byte>>();
                            if (!alternate.TryGetValue(record.Key, out long known) || known < offset)
                            {
                                alternate[record.Key] = offset;
                            }
                        }
                    }
                }
                budget -= segment.SizeBytes;
                stats.BytesMapped += segment.SizeBytes;
                dirtyEnd = segment.NextOffset;
                from = segment.NextOffset;
            }
            finally
            {
                segment.Release();
            }
        }
        return dirtyEnd == long.MinValue ? null : new CleaningRound(map, dirtyEnd);
    }

    /// <summary>The pass: cleans segments from the cursor up to the round's end within the budget. True when the round is done.</summary>
    private bool CleanSegments(CleaningRound round, ref long budget, bool worked, long nowMs, CompactionStats stats)
    {
        while (AcquireCompactableSegment(round.Cursor, round.DirtyEnd) is { } segment)
        {
            bool replaced = false;
            try
            {
                if (worked && segment.SizeBytes > budget)
                {
                    return false;
                }
                bool tombstonesExpired = nowMs - segment.LastAppendMs >= _options.DeleteRetentionMs;
                var plan = CountRemovals(segment, round.NewestOffsetByKey, tombstonesExpired);
                stats.BytesCleaned += segment.SizeBytes;
                if (plan.Records + plan.Tombstones > 0)
                {
                    var cleaned = RewriteSegment(segment, round.NewestOffsetByKey, tombstonesExpired);
                    SwapIn(segment, cleaned);
                    replaced = true;
                    stats.SegmentsRewritten++;
                    stats.BytesWritten += cleaned.SizeBytes;
                    stats.RecordsRemoved += plan.Records;
                    stats.TombstonesRemoved += plan.Tombstones;
                }
                budget -= segment.SizeBytes;
                round.Cursor = segment.NextOffset;
                worked = true;
            }
            finally
            {
                segment.Release();
                if (replaced)
                {
                    segment.Release(); // the list's reference, given up by SwapIn
                }
            }
        }
        round.Cursor = round.DirtyEnd;
        return true;
    }

    /// <summary>What the cleaner would drop from a segment: records (shadowed or keyless) and tombstones.</summary>
    private static (long Records, long Tombstones) CountRemovals(LogSegment segment, Dictionary<byte[], long> map, bool tombstonesExpired)
    {
        long records = 0, tombstones = 0;
        using var scanner = new SegmentScanner(segment.Handle, segment.SizeBytes);
        while (NextVerifiedBatch(scanner, segment, out var header))
        {
            if (header.Compression != 0 || header.IsControl)
            {
                continue;
            }
            var reader = new RecordReader(scanner.CurrentBatch());
            for (int i = 0; i < header.RecordCount; i++)
            {
                switch (Decide(NextRecord(ref reader, segment, header), header, map, tombstonesExpired))
                {
                    case RecordFate.Shadowed:
                        records++;
                        break;
                    case RecordFate.ExpiredTombstone:
                        tombstones++;
                        break;
                }
            }
        }
        return (records, tombstones);
    }

    private enum RecordFate
    {
        Keep,
        Shadowed,
        ExpiredTombstone,
    }

    private static RecordFate Decide(in RecordView record, in BatchHeader header, Dictionary<byte[], long> map, bool tombstonesExpired)
    {
        if (record.KeyIsNull)
        {
            return RecordFate.Shadowed; // a compacted topic keeps nothing without a key
        }
        long offset = header.BaseOffset + record.OffsetDelta;
        if (map.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(record.Key, out long newest) && newest > offset)
        {
            return RecordFate.Shadowed;
        }
        return record.ValueIsNull && tombstonesExpired ? RecordFate.ExpiredTombstone : RecordFate.Keep;
    }

    /// <summary>Writes <c>X.log.cleaned</c> and its index files, all fsynced; returns the new segment (not yet swapped in).</summary>
    private LogSegment RewriteSegment(LogSegment segment, Dictionary<byte[], long> map, bool tombstonesExpired)
    {
        string cleanedPath = segment.Path + LogFiles.CleanedSuffix;
        _fs.Delete(cleanedPath);
        var file = _fs.Open(cleanedPath, FileOpenMode.CreateNew);
        var cleaned = new LogSegment(segment.BaseOffset, segment.Path, file, new SegmentIndex());
        try
        {
            using (var scanner = new SegmentScanner(segment.Handle, segment.SizeBytes))
            {
                byte[] output = [];
                try
                {
                    while (NextVerifiedBatch(scanner, segment, out var header))
                    {
                        var batch = scanner.CurrentBatch();
                        if (output.Length < batch.Length)
                        {
                            ArrayPool<byte>.Shared.Return(output);
                            output = ArrayPool<byte>.Shared.Rent(batch.Length);
                        }
                        int length = FilterBatch(batch, header, map, tombstonesExpired, output);
                        if (length > 0)
                        {
                            var kept = output.AsSpan(0, length);
                            long position = cleaned.SizeBytes;
                            file.WriteAt(position, kept);
                            cleaned.OnBatch(BatchHeader.Read(kept), position, _options.IndexIntervalBytes);
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(output);
                }
            }
            cleaned.NextOffset = segment.NextOffset; // the offset range is the segment's, whatever survived
            cleaned.LastAppendMs = segment.LastAppendMs;
            file.Sync();
            WriteCleanedFile(LogFiles.PathOf(_directory, segment.BaseOffset, LogFiles.IndexSuffix) + LogFiles.CleanedSuffix, cleaned.Index.EncodeOffsetIndex(cleaned.Footer));
            WriteCleanedFile(LogFiles.PathOf(_directory, segment.BaseOffset, LogFiles.TimeIndexSuffix) + LogFiles.CleanedSuffix, cleaned.Index.EncodeTimeIndex(segment.BaseOffset));
            _fs.SyncDirectory(_directory);
            return cleaned;
        }
        catch
        {
            cleaned.Release();
            throw;
        }
    }

    private void WriteCleanedFile(string path, ReadOnlySpan<byte> contents)
    {
        _fs.Delete(path);
        using var file = _fs.Open(path, FileOpenMode.CreateNew);
        file.WriteAt(0, contents);
        file.Sync();
    }

    /// <summary>Commits the swap on disk, then in memory (the old segment leaves the list; its reference is the caller's to drop).</summary>
    private void SwapIn(LogSegment old, LogSegment cleaned)
    {
        try
        {
            _fs.Rename(old.Path + LogFiles.CleanedSuffix, old.Path); // commit point
            foreach (string suffix in (ReadOnlySpan<string>)[LogFiles.IndexSuffix, LogFiles.TimeIndexSuffix])
            {
                string target = LogFiles.PathOf(_directory, old.BaseOffset, suffix);
                _fs.Rename(target + LogFiles.CleanedSuffix, target);
            }
            _fs.SyncDirectory(_directory);
        }
        catch
        {
            cleaned.Release();
            throw;
        }
        cleaned.EntryDurable = true;
        lock (_mu)
        {
            int index = _segments.IndexOf(old);
            Invariant.Check(index >= 0, "only compaction and retention remove closed segments, and they are serialized");
            _segments[index] = cleaned;
        }
    }

    /// <summary>
    /// Copies into <paramref name="output"/> the batch with only the records the cleaner keeps; returns its length,
    /// 0 when nothing survives. An untouched batch is copied whole; a rewritten one gets a new batchLength, record
    /// count, max timestamp (create time) and CRC.
    /// </summary>
    private static int FilterBatch(ReadOnlySpan<byte> batch, in BatchHeader header, Dictionary<byte[], long> map, bool tombstonesExpired, Span<byte> output)
    {
        if (header.Compression != 0 || header.IsControl)
        {
            batch.CopyTo(output);
            return batch.Length;
        }
        batch[..BatchHeader.HeaderBytes].CopyTo(output);
        int length = BatchHeader.HeaderBytes;
        int kept = 0;
        long maxTimestamp = -1;
        var reader = new RecordReader(batch);
        for (int i = 0; i < header.RecordCount; i++)
        {
            bool ok = reader.TryNext(out var record, out _);
            Invariant.Check(ok, "a batch counted by the first pass parses again");
            if (Decide(record, header, map, tombstonesExpired) != RecordFate.Keep)
            {
                continue;
            }
            reader.Records.Slice(record.Start, record.TotalBytes).CopyTo(output[length..]);
            length += record.TotalBytes;
            kept++;
            maxTimestamp = Math.Max(maxTimestamp, header.BaseTimestamp + record.TimestampDelta);
        }
        if (kept == 0)
        {
            return 0;
        }
        if (kept == header.RecordCount)
        {
            batch.CopyTo(output);
            return batch.Length;
        }
        var rebuilt = output[..length];
        BinaryPrimitives.WriteInt32BigEndian(rebuilt[BatchHeader.BatchLengthAt..], length - BatchHeader.LogOverheadBytes);
        BinaryPrimitives.WriteInt32BigEndian(rebuilt[BatchHeader.RecordCountAt..], kept);
        if (!header.IsLogAppendTime)
        {
            BinaryPrimitives.WriteInt64BigEndian(rebuilt[BatchHeader.MaxTimestampAt..], maxTimestamp);
        }
        BinaryPrimitives.WriteUInt32BigEndian(rebuilt[BatchHeader.CrcAt..], BatchHeader.ComputeCrc(rebuilt));
        return length;
    }

    /// <summary>Next batch of a closed segment; damage there is corruption (closed segments were synced).</summary>
    private static bool NextVerifiedBatch(SegmentScanner scanner, LogSegment segment, out BatchHeader header)
    {
        long at = scanner.Position;
        var status = scanner.Next(out header);
        if (status == BatchStatus.End)
        {
            return false;
        }
        if (status != BatchStatus.Valid)
        {
            CorruptionException.Throw(segment.Path, at, $"damaged batch ({status}) in a closed segment");
        }
        return true;
    }

    private static RecordView NextRecord(ref RecordReader reader, LogSegment segment, in BatchHeader header)
    {
        if (!reader.TryNext(out var record, out string? error))
        {
            CorruptionException.Throw(segment.Path, 0, $"batch at offset {header.BaseOffset}: {error}");
        }
        return record;
    }

    /// <summary>Byte-array keys compared by content; also looked up by span, so probing allocates nothing.</summary>
    private sealed class ByteArrayKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteArrayKeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => (int)Crc32C.Compute(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => (int)Crc32C.Compute(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
