using System.Globalization;
using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Storage.Log;

/// <summary>
/// The append-only, segmented, checksummed log shared by the storage engine's WAL and, later, Raft logs and
/// topic partitions (ARCHITECTURE.md principle 8). A log is a directory of segment files named
/// <c>{id:D6}{suffix}</c>; ids are chosen by the caller (the WAL uses file numbers, a Raft log would use the
/// first index, a partition the base offset) and increase. Only the newest segment is written.
///
/// Durability: <see cref="Sync"/> makes every record appended so far durable. <see cref="StartSegment"/> syncs
/// the segment it closes, so only the newest segment can have a torn tail, and a damaged record anywhere else
/// is corruption. <see cref="Replay"/> verifies every record, truncates a torn tail of the newest segment and
/// raises <see cref="CorruptionException"/> (file, offset) for anything else.
///
/// Threading: one writer at a time (appends, sync, segment changes); the caller serializes.
/// </summary>
public sealed class SegmentedLog : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _directory;
    private readonly string _suffix;
    private readonly List<ulong> _segments; // ascending; Invariant: last is _activeId when _active != null
    private IFileHandle? _active;
    private ulong _activeId;
    private long _syncedLength; // bytes of the active segment known to be durable

    private SegmentedLog(IFileSystem fs, string directory, string suffix, List<ulong> segments)
    {
        _fs = fs;
        _directory = directory;
        _suffix = suffix;
        _segments = segments;
    }

    /// <summary>Opens the log in <paramref name="directory"/> (created if missing). Nothing is read until <see cref="Replay"/>.</summary>
    public static SegmentedLog Open(IFileSystem fs, string directory, string suffix = ".log")
    {
        fs.CreateDirectory(directory);
        var ids = new List<ulong>();
        foreach (string name in fs.List(directory))
        {
            if (TryParseSegmentName(name, suffix, out ulong id))
            {
                ids.Add(id);
            }
        }
        ids.Sort();
        return new SegmentedLog(fs, directory, suffix, ids);
    }

    /// <summary>Parses <c>{id}{suffix}</c>.</summary>
    public static bool TryParseSegmentName(string name, string suffix, out ulong id)
    {
        id = 0;
        return name.EndsWith(suffix, StringComparison.Ordinal)
            && name.Length > suffix.Length
            && name.AsSpan(0, name.Length - suffix.Length).IndexOfAnyExceptInRange('0', '9') < 0
            && ulong.TryParse(name.AsSpan(0, name.Length - suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }

    /// <summary>The segment file name for <paramref name="id"/>.</summary>
    public string SegmentName(ulong id) => id.ToString("D6", CultureInfo.InvariantCulture) + _suffix;

    /// <summary>Ids of the segments on disk, ascending.</summary>
    public IReadOnlyList<ulong> Segments => _segments;

    /// <summary>Id of the segment being written (0 before <see cref="StartSegment"/>).</summary>
    public ulong ActiveSegment => _activeId;

    /// <summary>Bytes in the active segment.</summary>
    public long ActiveLength => _active?.Length ?? 0;

    /// <summary>
    /// Reads every record of every segment with id ≥ <paramref name="fromSegment"/>, in order, verifying
    /// checksums. A torn tail of the newest segment is cut off (and the cut made durable); its bytes were
    /// never acknowledged as synced. Returns the number of bytes cut.
    /// </summary>
    public long Replay(ulong fromSegment, ReplayVisitor visit)
    {
        long cut = 0;
        // The newest segment that holds anything may end in a torn write; empty segments after it (created just
        // before a crash) show that nothing was written later.
        int newestIndex = _segments.Count - 1;
        while (newestIndex > 0 && SegmentLength(_segments[newestIndex]) == 0)
        {
            newestIndex--;
        }
        for (int i = 0; i < _segments.Count; i++)
        {
            ulong id = _segments[i];
            if (id < fromSegment)
            {
                continue;
            }
            bool newest = i >= newestIndex;
            string path = FileSystemExtensions.Join(_directory, SegmentName(id));
            using var file = _fs.Open(path, newest ? FileOpenMode.OpenExisting : FileOpenMode.ReadOnly);
            var reader = new LogReader(file);
            while (true)
            {
                var status = reader.Read(out var payload, out long offset);
                if (status == LogReadStatus.Record)
                {
                    visit(id, offset, payload);
                    continue;
                }
                if (status == LogReadStatus.TornTail)
                {
                    if (!newest)
                    {
                        CorruptionException.Throw(path, reader.Position, "damaged record at the end of a closed (synced) segment");
                    }
                    cut = file.Length - reader.Position;
                    file.Truncate(reader.Position);
                }
                break;
            }
            if (newest)
            {
                // Make the recovered tail durable even when nothing was cut: an earlier recovery may have cut it and
                // then failed to fsync, leaving a truncation that is visible but not durable (fsync errors leave the
                // page cache in an unknown state). Later segments will treat this one as closed and synced.
                file.Sync();
            }
        }
        return cut;
    }

    private long SegmentLength(ulong id)
    {
        using var f = _fs.Open(FileSystemExtensions.Join(_directory, SegmentName(id)), FileOpenMode.ReadOnly);
        return f.Length;
    }

    /// <summary>
    /// Makes <paramref name="id"/> the active segment: syncs and closes the current one, creates the new file
    /// and syncs the directory so the new segment survives a crash.
    /// </summary>
    public void StartSegment(ulong id)
    {
        Invariant.Check(_segments.Count == 0 || id > _segments[^1], "segment ids must increase");
        // Sync the closing segment before the new one exists: a crash must never leave a newer segment behind
        // an older one with an unsynced (tearable) tail. If the sync fails, nothing has changed.
        _active?.Sync();
        string path = FileSystemExtensions.Join(_directory, SegmentName(id));
        var next = _fs.Open(path, FileOpenMode.CreateNew);
        try
        {
            _fs.SyncDirectory(_directory);
        }
        catch
        {
            next.Dispose();
            TryDelete(path);
            throw;
        }
        _active?.Dispose();
        _active = next;
        _syncedLength = 0;
        _segments.Add(id);
        _activeId = id;
    }

    private void TryDelete(string path)
    {
        try
        {
            _fs.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the caller is already failing; an empty stray segment is harmless to recovery.
        }
    }

    /// <summary>Frames and appends one record; returns its offset in the active segment. Not durable until <see cref="Sync"/>.</summary>
    public long Append(ReadOnlySpan<byte> payload)
    {
        int total = LogRecord.HeaderLength + payload.Length;
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(total);
        try
        {
            payload.CopyTo(rented.AsSpan(LogRecord.HeaderLength));
            return AppendFrame(rented.AsSpan(0, total));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Appends one record whose payload the caller wrote at <paramref name="frame"/>[<see cref="LogRecord.HeaderLength"/>..]
    /// (room left for the header, so the payload is never copied): seals the header, including the synced
    /// watermark, and writes the record with one system call. Returns its offset. Not durable until <see cref="Sync"/>.
    /// </summary>
    public long AppendFrame(Span<byte> frame)
    {
        Invariant.Check(_active != null, "AppendFrame before StartSegment");
        LogRecord.SealInPlace(frame, _syncedLength);
        return _active.Append(frame);
    }

    /// <summary>Makes every appended record durable.</summary>
    public void Sync()
    {
        if (_active != null)
        {
            long length = _active.Length;
            _active.Sync();
            _syncedLength = length;
        }
    }

    /// <summary>Cuts the active segment back to <paramref name="offset"/> (drops a suffix of records) and syncs.</summary>
    public void TruncateActive(long offset)
    {
        Invariant.Check(_active != null, "TruncateActive before StartSegment");
        _active.Truncate(offset);
        _active.Sync();
        _syncedLength = Math.Min(_syncedLength, offset);
    }

    /// <summary>Deletes the segments with id below <paramref name="id"/> (never the active one).</summary>
    public int DeleteSegmentsBefore(ulong id)
    {
        int deleted = 0;
        while (_segments.Count > 0 && _segments[0] < id && !(_active != null && _segments[0] == _activeId))
        {
            _fs.Delete(FileSystemExtensions.Join(_directory, SegmentName(_segments[0])));
            _segments.RemoveAt(0);
            deleted++;
        }
        if (deleted > 0)
        {
            _fs.SyncDirectory(_directory);
        }
        return deleted;
    }

    /// <summary>Closes the active segment without syncing (call <see cref="Sync"/> first to keep unsynced records).</summary>
    public void Dispose()
    {
        _active?.Dispose();
        _active = null;
    }
}

/// <summary>Receives one replayed record: segment id, offset in the segment, payload (valid during the call).</summary>
public delegate void ReplayVisitor(ulong segment, long offset, ReadOnlySpan<byte> payload);
