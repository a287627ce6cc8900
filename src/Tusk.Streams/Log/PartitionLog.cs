using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Streams.Log;

/// <summary>
/// One partition's log, stored as Kafka stores it (DDIA chapter 11): a directory of segment files
/// <c>{baseOffset:D20}.log</c> holding Kafka RecordBatch v2 batches byte for byte as produced, with only baseOffset
/// and partitionLeaderEpoch (both outside the batch CRC) rewritten, so a fetch copies bytes and never re-encodes.
/// Closed segments also have <c>.index</c> and <c>.timeindex</c> files and a producer-state <c>.snapshot</c> at their
/// end (formats on <see cref="SegmentIndex"/> and <see cref="ProducerStateTable"/>). All I/O goes through
/// <see cref="IFileSystem"/>; time comes in as <c>nowMs</c> arguments.
///
/// <para><b>Threading.</b> Every method is thread-safe. One lock (<c>_mu</c>) guards the metadata and is never
/// held across I/O on segment data. Appends are serialized by their own lock (<c>_appendMu</c>): an append reserves
/// its offsets and file position under <c>_mu</c>, writes outside it, then publishes the new end (index, size, log
/// end offset) under <c>_mu</c> again, so reads, syncs and maintenance never wait for a write. <see cref="Read"/> and
/// <see cref="OffsetForTimestamp"/> take the lock only to look up the index and pin the segment, then copy
/// outside it, so they run concurrently with appends. <see cref="Sync"/> calls are serialized among themselves
/// (<c>_syncMu</c>) and let appends continue; one fsync covers every batch appended before it (group commit).
/// Retention and compaction are serialized among themselves (<c>_maintenanceMu</c>).</para>
///
/// <para><b>Durability contract.</b> An append is visible to reads at once and durable once
/// <see cref="SyncedOffset"/> ≥ its <see cref="AppendResult.EndOffset"/>: every offset below
/// <see cref="SyncedOffset"/> survives any crash. A segment is fsynced before its index and snapshot files are
/// written, so those files witness that every offset below the segment's end was durable; recovery treats a damaged
/// batch below the highest such witness (the recovery point) as corruption, and a damaged batch above it as a torn
/// tail (cut, with every later segment) unless a valid batch follows it. After a failed write or fsync the log refuses
/// further appends and syncs (the state of the file is unknown); reads go on, and reopening recovers.</para>
///
/// <para><b>Memory.</b> Per segment the sparse indexes (about 20 bytes per <see cref="PartitionLogOptions.IndexIntervalBytes"/>
/// of data) and an open file handle; per producer about 150 bytes. <see cref="AppendInPlace"/> writes the caller's
/// buffer with one system call; <see cref="Append"/> first copies it into a pooled buffer (it stamps offsets);
/// reads copy into the caller's buffer only.</para>
/// </summary>
public sealed partial class PartitionLog : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _directory;
    private readonly PartitionLogOptions _options;

    private readonly Lock _mu = new();

    // Serializes appends, held across an append's write system call (offsets and file positions are assigned in
    // order); taken before _mu, never while holding it.
    private readonly Lock _appendMu = new();

    // Held across fsyncs; taken before _mu, never while holding it.
    private readonly Lock _syncMu = new();

    // Serializes ApplyRetention and Compact; taken before _syncMu and _mu.
    private readonly Lock _maintenanceMu = new();

    // Protected by _mu. Ascending base offsets; the last one is the active segment (the only one appended to).
    // Invariant: _segments[i].NextOffset ≤ _segments[i + 1].BaseOffset; never empty.
    private readonly List<LogSegment> _segments;

    // Protected by _mu. Segments closed by a roll whose data may be unsynced and whose index and snapshot files are
    // not written yet, oldest first; Sync finishes them. Invariant: they are the segments just before the active one.
    private readonly List<PendingClose> _pendingCloses = [];

    // _pendingCloses.Count, written under _mu, read by Sync's lock-free fast path.
    private int _pendingCloseCount;

    // Protected by _mu.
    private readonly ProducerStateTable _producers;

    // Written under _mu, read anywhere with Volatile. Invariant: equals _segments[0].BaseOffset.
    private long _logStartOffset;

    // Written under _mu, read anywhere with Volatile. Invariant: equals _segments[^1].NextOffset.
    private long _logEndOffset;

    // Written under _syncMu and _mu, read anywhere with Volatile. Invariant: _syncedOffset ≤ _logEndOffset; never decreases.
    private long _syncedOffset;

    // Protected by _mu. Set by the first failed write or fsync; appends and syncs then throw.
    private Exception? _failure;

    // Protected by _mu.
    private bool _disposed;

    /// <summary>A segment closed by a roll, with the producer state at its end (the snapshot to write).</summary>
    private readonly record struct PendingClose(LogSegment Segment, byte[] ProducerSnapshot);

    private PartitionLog(IFileSystem fs, string directory, PartitionLogOptions options, RecoveredLog recovered)
    {
        _fs = fs;
        _directory = directory;
        _options = options;
        _segments = recovered.Segments;
        _producers = recovered.Producers;
        _logStartOffset = _segments[0].BaseOffset;
        _logEndOffset = _segments[^1].NextOffset;
        _syncedOffset = _logEndOffset; // recovery fsynced everything it kept
    }

    /// <summary>
    /// Opens (creating if needed) the partition log in <paramref name="directory"/> and recovers it: finishes or
    /// discards an interrupted compaction swap, loads the indexes of closed segments whose index files are intact
    /// (and rebuilds the others by scanning), scans the segments after the recovery point verifying every batch,
    /// cuts a torn tail, and rebuilds idempotent-producer state from the newest snapshot plus the batches after it.
    /// Throws <see cref="CorruptionException"/> (file, offset) for damage that a crash cannot explain.
    /// </summary>
    public static PartitionLog Open(IFileSystem fs, string directory, PartitionLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var recovered = new LogRecovery(fs, directory, options).Run();
        return new PartitionLog(fs, directory, options, recovered);
    }

    /// <summary>The directory holding the partition's files.</summary>
    public string DirectoryPath => _directory;

    /// <summary>The options the log was opened with.</summary>
    public PartitionLogOptions Options => _options;

    /// <summary>The first offset a read may ask for (the base of the oldest segment).</summary>
    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    /// <summary>The offset the next append gets; on one node also the high watermark.</summary>
    public long LogEndOffset => Volatile.Read(ref _logEndOffset);

    /// <summary>Every offset below this is durable (fsynced). Never decreases while the log is open.</summary>
    public long SyncedOffset => Volatile.Read(ref _syncedOffset);

    /// <summary>Number of segment files, the active one included.</summary>
    public int SegmentCount
    {
        get
        {
            lock (_mu)
            {
                return _segments.Count;
            }
        }
    }

    /// <summary>Bytes of batches in all segments.</summary>
    public long SizeBytes
    {
        get
        {
            lock (_mu)
            {
                long total = 0;
                foreach (var segment in _segments)
                {
                    total += segment.SizeBytes;
                }
                return total;
            }
        }
    }

    /// <summary>Base offsets of the segments, oldest first (for tests and tools).</summary>
    internal long[] SegmentBaseOffsets()
    {
        lock (_mu)
        {
            var bases = new long[_segments.Count];
            for (int i = 0; i < bases.Length; i++)
            {
                bases[i] = _segments[i].BaseOffset;
            }
            return bases;
        }
    }

    /// <summary>Producers with idempotence state (for tests and metrics).</summary>
    internal int ProducerCount
    {
        get
        {
            lock (_mu)
            {
                return _producers.Count;
            }
        }
    }

    /// <summary>
    /// Closes the files without syncing (call <see cref="Sync"/> first to keep unsynced batches across a power
    /// failure). Reads still copying finish first: the last reference closes each file.
    /// </summary>
    public void Dispose()
    {
        lock (_maintenanceMu)
        {
            lock (_syncMu)
            {
                lock (_mu)
                {
                    if (_disposed)
                    {
                        return;
                    }
                    _disposed = true;
                    foreach (var segment in _segments)
                    {
                        segment.Release();
                    }
                }
            }
        }
    }

    /// <summary>Throws when the log is closed or failed. Caller holds _mu.</summary>
    private void ThrowIfUnusableLocked()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null)
        {
            throw new IOException($"partition log {_directory} failed earlier and refuses writes until it is reopened: {_failure.Message}", _failure);
        }
    }

    /// <summary>Records the first I/O failure; appends and syncs refuse to run after it.</summary>
    private void Fail(Exception failure)
    {
        lock (_mu)
        {
            _failure ??= failure;
        }
    }

    /// <summary>Index of the segment holding <paramref name="offset"/>: the last one with base ≤ offset. Caller holds _mu.</summary>
    private int FindSegmentLocked(long offset)
    {
        int lo = 0, hi = _segments.Count - 1, found = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_segments[mid].BaseOffset <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    /// <summary>Writes a whole file under a temporary name, fsyncs it and renames it into place (the caller syncs the directory).</summary>
    internal static void WriteFileDurably(IFileSystem fs, string path, ReadOnlySpan<byte> contents)
    {
        string temp = path + LogFiles.TempSuffix;
        fs.Delete(temp);
        using (var file = fs.Open(temp, FileOpenMode.CreateNew))
        {
            file.WriteAt(0, contents);
            file.Sync();
        }
        fs.Rename(temp, path);
    }

    private void Report(string message) => _options.Log?.Invoke($"{_directory}: {message}");
}
