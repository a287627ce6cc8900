using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Streams.Log;

/// <summary>What recovery hands to the log: its segments (oldest first, the last one active) and producer state.</summary>
internal sealed record RecoveredLog(List<LogSegment> Segments, ProducerStateTable Producers);

/// <summary>
/// Opens a partition directory and brings it to a consistent state (<see cref="PartitionLog.Open"/>).
///
/// <para><b>Recovery point.</b> A segment's <c>.log</c> is fsynced before its <c>.index</c>, <c>.timeindex</c> and the
/// <c>.snapshot</c> at its end are written, so an intact index footer or snapshot proves that every offset below
/// its end offset was durable. The recovery point R is the highest such proof. A damaged batch that would hold an
/// offset below R is corruption. Above R, a damaged batch is a torn tail — bytes written but never synced, so never
/// acknowledged — unless a valid batch follows it (a tear leaves nothing valid after it): the segment is cut there
/// and every later segment deleted (their bytes follow the tear; a later segment with an intact index would
/// contradict that and is corruption). Batches above R must also carry dense offsets.</para>
///
/// <para><b>Steps.</b> (1) Finish or discard an interrupted compaction swap: <c>X.log.cleaned</c> still present
/// means the swap did not commit (delete every <c>X.*.cleaned</c>); otherwise leftover <c>X.index.cleaned</c> /
/// <c>X.timeindex.cleaned</c> belong to the committed <c>X.log</c> and are renamed into place. Delete <c>.tmp</c>
/// files and index files without a segment. (2) Load the indexes of segments whose index files are intact and
/// describe the file's current length; scan the others, verifying every batch. (3) Rebuild producer state from the
/// newest intact snapshot and the batch headers after it. (4) Write the index files of closed segments that lacked
/// them (after fsyncing the segment), fsync the active segment and the directory: everything kept is durable.</para>
///
/// <para>Limitation: a batch above R whose damage leaves no valid batch after it is indistinguishable from a torn
/// write and is cut, as is a closed segment's tail when both its index and the snapshot after it are damaged.</para>
/// </summary>
internal sealed class LogRecovery(IFileSystem fs, string directory, PartitionLogOptions options)
{
    // Segments opened so far; released if recovery fails.
    private readonly List<LogSegment> _segments = [];

    public RecoveredLog Run()
    {
        fs.CreateDirectory(directory);
        try
        {
            return RunCore();
        }
        catch
        {
            foreach (var segment in _segments)
            {
                segment.Release();
            }
            throw;
        }
    }

    private RecoveredLog RunCore()
    {
        ResolveInterruptedFiles();
        var names = fs.List(directory);
        var bases = Parse(names, LogFiles.LogSuffix);
        DeleteOrphanIndexes(names, bases);
        var (producers, snapshotOffset) = LoadNewestSnapshot(names);
        if (bases.Count == 0)
        {
            if (snapshotOffset > 0)
            {
                CorruptionException.Throw(LogFiles.PathOf(directory, snapshotOffset, LogFiles.SnapshotSuffix), 0,
                    $"the directory has no segment files, but this snapshot shows offsets below {snapshotOffset} were durable");
            }
            return CreateEmpty();
        }
        var files = new IFileHandle[bases.Count];
        var loaded = new (SegmentIndex Index, SegmentFooter Footer)?[bases.Count];
        long recoveryPoint = snapshotOffset;
        try
        {
            for (int i = 0; i < bases.Count; i++)
            {
                files[i] = fs.Open(LogFiles.PathOf(directory, bases[i], LogFiles.LogSuffix), FileOpenMode.OpenExisting);
            }
        }
        catch
        {
            foreach (var file in files)
            {
                file?.Dispose();
            }
            throw;
        }
        for (int i = 0; i < bases.Count; i++)
        {
            long nextBase = i + 1 < bases.Count ? bases[i + 1] : long.MaxValue;
            loaded[i] = TryLoadIndex(bases[i], files[i].Length, nextBase);
            if (loaded[i] is { } l)
            {
                recoveryPoint = Math.Max(recoveryPoint, l.Footer.NextOffset);
            }
        }
        List<LogSegment> rebuilt;
        try
        {
            rebuilt = Walk(bases, files, loaded, recoveryPoint, producers, snapshotOffset);
        }
        catch
        {
            DisposeFrom(files, _segments.Count); // the others belong to segments, released by Run
            throw;
        }
        long logEndOffset = _segments[^1].NextOffset;
        if (logEndOffset < recoveryPoint)
        {
            CorruptionException.Throw(_segments[^1].Path, _segments[^1].SizeBytes,
                $"the log ends at offset {logEndOffset}, but an index or snapshot shows offsets below {recoveryPoint} were durable");
        }
        Finish(rebuilt);
        return new RecoveredLog([.. _segments], producers);
    }

    /// <summary>Builds the segments in order, loading or scanning each; returns the closed segments whose indexes were rebuilt.</summary>
    private List<LogSegment> Walk(List<long> bases, IFileHandle[] files, (SegmentIndex Index, SegmentFooter Footer)?[] loaded,
        long recoveryPoint, ProducerStateTable producers, long snapshotOffset)
    {
        var rebuilt = new List<LogSegment>();
        long previousEnd = long.MinValue;
        for (int i = 0; i < bases.Count; i++)
        {
            string path = LogFiles.PathOf(directory, bases[i], LogFiles.LogSuffix);
            if (bases[i] < previousEnd)
            {
                CorruptionException.Throw(path, 0, $"segment starts at offset {bases[i]}, inside the previous segment (which ends at {previousEnd})");
            }
            bool isLast = i == bases.Count - 1;
            long nextBase = isLast ? long.MaxValue : bases[i + 1];
            var segment = new LogSegment(bases[i], path, files[i], loaded[i]?.Index ?? new SegmentIndex());
            _segments.Add(segment);
            if (loaded[i] is { } l)
            {
                segment.SizeBytes = l.Footer.SizeBytes;
                segment.NextOffset = l.Footer.NextOffset;
                segment.MaxTimestampMs = l.Footer.MaxTimestampMs;
                segment.LastAppendMs = l.Footer.LastAppendMs;
                if (segment.NextOffset > snapshotOffset)
                {
                    ReplayHeaders(segment, snapshotOffset, producers);
                }
                previousEnd = segment.NextOffset;
                continue;
            }
            long tornAt = Scan(segment, recoveryPoint, snapshotOffset, producers, nextBase);
            // A closed segment that ends short of its successor lost unsynced batches, so it is a torn tail too
            // (below the recovery point a shorter end is compaction's doing and the segment keeps its range).
            bool endsShort = !isLast && segment.NextOffset < nextBase && segment.NextOffset >= recoveryPoint;
            if (tornAt >= 0 || endsShort)
            {
                if (tornAt >= 0)
                {
                    options.Log?.Invoke($"{path}: cut a torn tail of {segment.Handle.Length - tornAt} bytes at byte {tornAt} (offset {segment.NextOffset})");
                    segment.Handle.Truncate(tornAt);
                }
                DeleteLaterSegments(bases, files, loaded, i);
                break;
            }
            if (!isLast)
            {
                if (segment.NextOffset < nextBase && !options.CleanupPolicy.HasFlag(CleanupPolicy.Compact))
                {
                    // Below the recovery point these offsets were durable, and only compaction shortens a segment.
                    CorruptionException.Throw(path, segment.SizeBytes,
                        $"closed segment ends at offset {segment.NextOffset}, but the next segment starts at {nextBase}: batches are missing");
                }
                segment.NextOffset = nextBase;
                segment.LastAppendMs = segment.MaxTimestampMs; // unknown after a rebuild; the newest timestamp stands in
                rebuilt.Add(segment);
                options.Log?.Invoke($"{path}: rebuilt the indexes of a closed segment");
            }
            previousEnd = segment.NextOffset;
        }
        return rebuilt;
    }

    /// <summary>
    /// Verifies every batch of a segment without usable indexes, building its indexes. Returns the byte position
    /// of a torn tail to cut, or -1 when the whole file is valid.
    /// </summary>
    private long Scan(LogSegment segment, long recoveryPoint, long snapshotOffset, ProducerStateTable producers, long nextBase)
    {
        using var scanner = new SegmentScanner(segment.Handle, segment.Handle.Length);
        while (true)
        {
            long at = scanner.Position;
            var status = scanner.Next(out var header);
            if (status == BatchStatus.End)
            {
                return -1;
            }
            long expected = segment.NextOffset;
            if (status == BatchStatus.Valid)
            {
                bool dense = header.BaseOffset == expected;
                if (header.BaseOffset < expected || (!dense && expected >= recoveryPoint))
                {
                    CorruptionException.Throw(segment.Path, at, $"batch has base offset {header.BaseOffset}; the previous batch ends at {expected}");
                }
                if (header.LastOffset >= nextBase || at + header.TotalBytes > PartitionLogOptions.SegmentBytesMax)
                {
                    CorruptionException.Throw(segment.Path, at, $"batch [{header.BaseOffset}, {header.LastOffset}] runs past the segment's range (next segment at {nextBase})");
                }
                segment.OnBatch(header, at, options.IndexIntervalBytes);
                if (header.HasProducerId && header.BaseOffset >= snapshotOffset)
                {
                    producers.Apply(header, header.BaseOffset);
                }
                continue;
            }
            string what = status switch
            {
                BatchStatus.Incomplete => "incomplete batch",
                BatchStatus.Malformed => "malformed batch header",
                _ => "batch fails its CRC",
            };
            if (expected < recoveryPoint)
            {
                CorruptionException.Throw(segment.Path, at,
                    $"{what} at offset {expected}; offsets below {recoveryPoint} were durable (index or snapshot), so this is damage, not a torn write");
            }
            if (status == BatchStatus.BadCrc)
            {
                scanner.Seek(at + header.TotalBytes);
                if (scanner.Next(out _) == BatchStatus.Valid)
                {
                    CorruptionException.Throw(segment.Path, at, $"{what} at offset {expected}, but a valid batch follows it: damage, not a torn write");
                }
            }
            return at;
        }
    }

    /// <summary>Replays the producer fields of the batches of an indexed segment from <paramref name="fromOffset"/> on.</summary>
    private static void ReplayHeaders(LogSegment segment, long fromOffset, ProducerStateTable producers)
    {
        long position = fromOffset > segment.BaseOffset ? segment.Index.LookupPosition(fromOffset - segment.BaseOffset) : 0;
        Span<byte> bytes = stackalloc byte[BatchHeader.HeaderBytes];
        while (position < segment.SizeBytes)
        {
            segment.Handle.ReadExactly(position, bytes);
            var header = BatchHeader.Read(bytes);
            if (!BatchHeader.LooksLikeHeader(bytes) || position + header.TotalBytes > segment.SizeBytes)
            {
                CorruptionException.Throw(segment.Path, position, "no valid batch header where the previous batch ends");
            }
            if (header.HasProducerId && header.BaseOffset >= fromOffset)
            {
                producers.Apply(header, header.BaseOffset);
            }
            position += header.TotalBytes;
        }
    }

    /// <summary>Deletes the segments after <paramref name="index"/> (they follow a torn tail); an indexed one is corruption.</summary>
    private void DeleteLaterSegments(List<long> bases, IFileHandle[] files, (SegmentIndex, SegmentFooter)?[] loaded, int index)
    {
        for (int j = index + 1; j < bases.Count; j++)
        {
            if (loaded[j] is not null)
            {
                CorruptionException.Throw(LogFiles.PathOf(directory, bases[j], LogFiles.IndexSuffix), 0,
                    $"segment {bases[j]} was closed and synced, yet an earlier segment ends in a torn write");
            }
        }
        for (int j = index + 1; j < bases.Count; j++)
        {
            files[j].Dispose();
            options.Log?.Invoke($"{LogFiles.PathOf(directory, bases[j], LogFiles.LogSuffix)}: deleted, it follows a torn tail ({files[j].Length} bytes never synced)");
            fs.Delete(LogFiles.PathOf(directory, bases[j], LogFiles.LogSuffix));
            fs.Delete(LogFiles.PathOf(directory, bases[j], LogFiles.IndexSuffix));
            fs.Delete(LogFiles.PathOf(directory, bases[j], LogFiles.TimeIndexSuffix));
        }
    }

    private static void DisposeFrom(IFileHandle[] files, int from)
    {
        for (int j = from; j < files.Length; j++)
        {
            files[j].Dispose();
        }
    }

    /// <summary>Makes the recovered state durable: rebuilt index files, the active segment, the directory.</summary>
    private void Finish(List<LogSegment> rebuilt)
    {
        foreach (var segment in rebuilt)
        {
            segment.Handle.Sync();
            PartitionLog.WriteFileDurably(fs, LogFiles.PathOf(directory, segment.BaseOffset, LogFiles.IndexSuffix), segment.Index.EncodeOffsetIndex(segment.Footer));
            PartitionLog.WriteFileDurably(fs, LogFiles.PathOf(directory, segment.BaseOffset, LogFiles.TimeIndexSuffix), segment.Index.EncodeTimeIndex(segment.BaseOffset));
        }
        // After a process crash the page cache may still hold bytes that never reached the disk: sync what recovery kept.
        _segments[^1].Handle.Sync();
        fs.SyncDirectory(directory);
        foreach (var segment in _segments)
        {
            segment.EntryDurable = true;
        }
    }

    private RecoveredLog CreateEmpty()
    {
        string path = LogFiles.PathOf(directory, 0, LogFiles.LogSuffix);
        var file = fs.Open(path, FileOpenMode.CreateNew);
        var segment = new LogSegment(0, path, file, new SegmentIndex()) { EntryDurable = true };
        _segments.Add(segment);
        fs.SyncDirectory(directory);
        return new RecoveredLog([segment], new ProducerStateTable());
    }

    /// <summary>Loads both index files of a segment if they are intact and describe the file as it is now.</summary>
    private (SegmentIndex Index, SegmentFooter Footer)? TryLoadIndex(long baseOffset, long fileLength, long nextBase)
    {
        string indexPath = LogFiles.PathOf(directory, baseOffset, LogFiles.IndexSuffix);
        string timeIndexPath = LogFiles.PathOf(directory, baseOffset, LogFiles.TimeIndexSuffix);
        if (!fs.FileExists(indexPath) || !fs.FileExists(timeIndexPath))
        {
            return null;
        }
        var decoded = SegmentIndex.TryDecode(fs.ReadAll(indexPath), fs.ReadAll(timeIndexPath), baseOffset);
        if (decoded is not { } d || d.Footer.SizeBytes != fileLength || d.Footer.NextOffset > nextBase)
        {
            options.Log?.Invoke($"{indexPath}: damaged or stale; the segment will be scanned");
            return null;
        }
        return d;
    }

    /// <summary>The newest snapshot that decodes, and its offset (long.MinValue and an empty table when none does).</summary>
    private (ProducerStateTable Table, long Offset) LoadNewestSnapshot(IReadOnlyList<string> names)
    {
        var offsets = Parse(names, LogFiles.SnapshotSuffix);
        for (int i = offsets.Count - 1; i >= 0; i--)
        {
            string path = LogFiles.PathOf(directory, offsets[i], LogFiles.SnapshotSuffix);
            var table = ProducerStateTable.TryDeserialize(fs.ReadAll(path), offsets[i]);
            if (table is not null)
            {
                return (table, offsets[i]);
            }
            // Derived data: a damaged snapshot is dropped and the state rebuilt from the batches.
            options.Log?.Invoke($"{path}: damaged producer snapshot deleted");
            fs.Delete(path);
        }
        return (new ProducerStateTable(), long.MinValue);
    }

    /// <summary>Step 1: interrupted compaction swaps, temporary files.</summary>
    private void ResolveInterruptedFiles()
    {
        bool changed = false;
        var names = fs.List(directory);
        var cleanedBases = new SortedSet<long>();
        foreach (string name in names)
        {
            if (name.EndsWith(LogFiles.TempSuffix, StringComparison.Ordinal))
            {
                fs.Delete(FileSystemExtensions.Join(directory, name));
                changed = true;
            }
            else if (TryParseCleaned(name, out long offset))
            {
                cleanedBases.Add(offset);
            }
        }
        foreach (long offset in cleanedBases)
        {
            string log = LogFiles.PathOf(directory, offset, LogFiles.LogSuffix);
            string cleanedLog = log + LogFiles.CleanedSuffix;
            bool committed = !fs.FileExists(cleanedLog) || !fs.FileExists(log);
            foreach (string suffix in (ReadOnlySpan<string>)[LogFiles.LogSuffix, LogFiles.IndexSuffix, LogFiles.TimeIndexSuffix])
            {
                string target = LogFiles.PathOf(directory, offset, suffix);
                string cleaned = target + LogFiles.CleanedSuffix;
                if (!fs.FileExists(cleaned))
                {
                    continue;
                }
                if (committed)
                {
                    fs.Rename(cleaned, target);
                }
                else
                {
                    fs.Delete(cleaned);
                }
            }
            options.Log?.Invoke($"{log}: {(committed ? "finished" : "discarded")} an interrupted compaction swap");
            changed = true;
        }
        if (changed)
        {
            fs.SyncDirectory(directory);
        }
    }

    private static bool TryParseCleaned(string name, out long offset)
    {
        offset = 0;
        if (!name.EndsWith(LogFiles.CleanedSuffix, StringComparison.Ordinal))
        {
            return false;
        }
        string inner = name[..^LogFiles.CleanedSuffix.Length];
        return LogFiles.TryParse(inner, LogFiles.LogSuffix, out offset)
            || LogFiles.TryParse(inner, LogFiles.IndexSuffix, out offset)
            || LogFiles.TryParse(inner, LogFiles.TimeIndexSuffix, out offset);
    }

    /// <summary>Index files whose segment is gone (retention deleted the segment first) are deleted.</summary>
    private void DeleteOrphanIndexes(IReadOnlyList<string> names, List<long> bases)
    {
        var segments = new HashSet<long>(bases);
        foreach (string suffix in (ReadOnlySpan<string>)[LogFiles.IndexSuffix, LogFiles.TimeIndexSuffix])
        {
            foreach (long offset in Parse(names, suffix))
            {
                if (!segments.Contains(offset))
                {
                    fs.Delete(LogFiles.PathOf(directory, offset, suffix));
                }
            }
        }
    }

    private static List<long> Parse(IReadOnlyList<string> names, string suffix)
    {
        var offsets = new List<long>();
        foreach (string name in names)
        {
            if (LogFiles.TryParse(name, suffix, out long offset))
            {
                offsets.Add(offset);
            }
        }
        offsets.Sort();
        return offsets;
    }
}
