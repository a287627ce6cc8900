using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Storage.Log;

namespace Tusk.Raft;

/// <summary>
/// The durable log, hard state and latest snapshot of one Raft group, kept in a directory of an
/// <see cref="IFileSystem"/> on top of the shared <see cref="SegmentedLog"/> (ARCHITECTURE.md principle 8). The
/// in-memory <see cref="MemoryRaftStorage"/> it derives from is the index the node reads; every mutator writes a
/// log record first and then updates it. docs/raft.md ("Durable log") describes the layout, formats and rules.
///
/// <para><b>Group commit.</b> <see cref="Save"/> and the mutators append records without syncing, so a host can
/// save several readies and make them durable with one <see cref="Sync"/> before calling
/// <see cref="RaftNode.OnPersisted"/> for each of them. Until then the in-memory view is ahead of the disk.
/// Exceptions: writing a snapshot file (<see cref="ApplySnapshot"/>, <see cref="CreateSnapshotAndCompact"/>) is
/// durable at once, and rolling to a new segment syncs the one it closes.</para>
///
/// <para><b>Failure.</b> After any exception while writing, the instance is failed: every later mutator
/// and <see cref="Sync"/> throws <see cref="IOException"/>. What reached the disk is unknown (a failed fsync may
/// have dropped it), so the only way on is to dispose and <see cref="Open"/> again.</para>
///
/// <para>Not thread-safe: the host serializes every call, as it does for <see cref="RaftNode"/>. One instance
/// per directory; the host keeps a second process out. Memory: the entries since the last compaction and the
/// latest snapshot's data, as in <see cref="MemoryRaftStorage"/>; <see cref="Open"/> reads the whole log.</para>
/// </summary>
/// <remarks>
/// Format (little-endian). <c>&lt;dir&gt;/log/NNNNNN.raftlog</c> are <see cref="SegmentedLog"/> segments (each record
/// framed and checksummed by <see cref="LogRecord"/>); a record's payload starts with its type:
/// <code>
///   1 Entries        [count : u32] then per entry [term : u64][index : u64][type : u8][data length : u32][data]
///   2 HardState      [term : u64][vote : u64][commit : u64]
///   3 SnapshotMarker [index : u64][term : u64][kind : u8]   kind 0 install (reset the log to the snapshot),
///                                                            kind 1 compaction start (first record of its segment)
///   4 CompactionEnd  [index : u64][last index : u64]        closes the state restated after a compaction start
/// </code>
/// <c>&lt;dir&gt;/snapshot.snap</c>, replaced with <see cref="FileSystemExtensions.WriteAtomically"/>:
/// <code>
///   ["TUSKRSNP"][version : u32 = 1][masked crc32c of the rest : u32]
///   [index : u64][term : u64][conf state: voters : i32, learners : i32, ids : u64 each][data length : u64][data]
/// </code>
/// A new record type or marker kind is a format change: older code rejects it as corruption rather than
/// misreading it.
/// </remarks>
public sealed class DurableRaftStorage : MemoryRaftStorage, IDisposable
{
    /// <summary>Default size at which the active segment is closed and a new one started.</summary>
    public const long DefaultSegmentBytesMax = 64L << 20;

    /// <summary>The latest snapshot, replaced atomically.</summary>
    public const string SnapshotFileName = "snapshot.snap";

    /// <summary>The subdirectory holding the <see cref="SegmentedLog"/> segments.</summary>
    public const string LogDirectoryName = "log";

    /// <summary>File name suffix of the log segments.</summary>
    public const string SegmentSuffix = ".raftlog";

    /// <summary>
    /// Payload bytes an Entries record aims for: a longer batch is split into several records (an entry larger
    /// than this gets a record of its own). Bounds the encode buffer and what one torn record can lose.
    /// </summary>
    public const int EntriesRecordBytesMax = 1 << 20;

    /// <summary>Largest entry data accepted: what fits in one log record.</summary>
    public const int EntryDataBytesMax = LogRecord.PayloadLengthMax - EntriesHeaderBytes - EntryHeaderBytes;

    // Snapshot file (see the type's remarks): a 16-byte header, then the checksummed body.
    private const uint SnapshotFormatVersion = 1;
    private const int SnapshotHeaderBytes = 16;
    private const int SnapshotBodyFixedBytes = 8 + 8 + 8; // index, term, data length (conf state is variable)
    private static ReadOnlySpan<byte> SnapshotMagic => "TUSKRSNP"u8;

    // Record sizes (see the type's remarks), the type byte included.
    private const int EntriesHeaderBytes = 1 + 4;
    private const int EntryHeaderBytes = 8 + 8 + 1 + 4;
    private const int HardStateRecordBytes = 1 + 8 + 8 + 8;
    private const int MarkerRecordBytes = 1 + 8 + 8 + 1;
    private const int CompactionEndRecordBytes = 1 + 8 + 8;

    private const int FrameBufferBytesRetainedMax = 4 << 20;

    private readonly IFileSystem _fs;
    private readonly SegmentedLog _log;
    private readonly long _segmentBytesMax;
    private readonly string _snapshotPath;
    private readonly string _logDirectory;

    // Encode buffer for one record, LogRecord.HeaderLength bytes of room before the payload. Reused; shrunk after
    // an unusually large record.
    private byte[] _frame = new byte[4096];

    // True when records were appended since the log was last known durable. Sync() does nothing when false.
    private bool _unsynced;

    // The first failure of a write; once set the instance refuses further writes (see the type comment).
    private Exception? _failure;

    private DurableRaftStorage(IFileSystem fs, string directory, SegmentedLog log, long segmentBytesMax)
    {
        _fs = fs;
        Directory = directory;
        _log = log;
        _segmentBytesMax = segmentBytesMax;
        _snapshotPath = FileSystemExtensions.Join(directory, SnapshotFileName);
        _logDirectory = FileSystemExtensions.Join(directory, LogDirectoryName);
    }

    /// <summary>The group's directory.</summary>
    public string Directory { get; }

    /// <summary>Ids of the log segments on disk, ascending (the last one is being written).</summary>
    public IReadOnlyList<ulong> Segments => _log.Segments;

    /// <summary>fsync calls issued (files and directories: log syncs, segment rolls, snapshot files, deletions, recovery cuts).</summary>
    public long Syncs { get; private set; }

    /// <summary>Bytes written: log records with their framing, and snapshot files.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>
    /// Opens (or creates) the storage in <paramref name="directory"/>: reads the snapshot file, replays every log
    /// segment (cutting a torn tail of the newest), reconciles the two, and starts a new active segment.
    /// Throws <see cref="CorruptionException"/> naming the file and offset when the data cannot be explained.
    /// </summary>
    public static DurableRaftStorage Open(IFileSystem fs, string directory, long segmentBytesMax = DefaultSegmentBytesMax)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentBytesMax, 1);
        fs.CreateDirectory(directory);
        var log = SegmentedLog.Open(fs, FileSystemExtensions.Join(directory, LogDirectoryName), SegmentSuffix);
        var storage = new DurableRaftStorage(fs, directory, log, segmentBytesMax);
        try
        {
            storage.Recover();
        }
        catch
        {
            log.Dispose();
            throw;
        }
        return storage;
    }

    /// <summary>
    /// Writes what <paramref name="ready"/> asks to persist, in the order of its contract: snapshot (file, then
    /// marker), entries (replacing any suffix from the first entry's index), hard state. Not durable until
    /// <see cref="Sync"/> (except the snapshot file).
    /// </summary>
    public void Save(RaftReady ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (ready.Snapshot is { } snapshot) ApplySnapshot(snapshot);
        if (ready.Entries.Count > 0) Append(ready.Entries);
        if (ready.HardState is { } hardState) SetHardState(hardState);
    }

    /// <summary>Makes everything saved so far durable (one fsync of the active segment; none if nothing is pending).</summary>
    public void Sync()
    {
        ThrowIfFailed();
        if (!_unsynced) return;
        try
        {
            _log.Sync();
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
        Syncs++;
        _unsynced = false;
    }

    /// <summary>Writes a HardState record, then records the state in memory.</summary>
    public override void SetHardState(HardState state)
    {
        ThrowIfFailed();
        try
        {
            WriteHardState(state, mayRoll: true);
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
        base.SetHardState(state);
    }

    /// <summary>
    /// Writes Entries records (several when the batch exceeds <see cref="EntriesRecordBytesMax"/>), then appends in
    /// memory, dropping any held entries at or after the first new index (a conflicting suffix).
    /// </summary>
    public override void Append(IReadOnlyList<RaftEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ThrowIfFailed();
        if (entries.Count == 0) return;
        ValidateAppend(entries);
        try
        {
            WriteEntries(entries, mayRoll: true);
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
        base.Append(entries);
    }

    /// <summary>
    /// Installs <paramref name="snapshot"/> (a follower taking the leader's snapshot): writes the snapshot file
    /// atomically and durably, then a marker record that resets the log to it; the held entries are dropped.
    /// </summary>
    public override void ApplySnapshot(RaftSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ThrowIfFailed();
        if (snapshot.Metadata.Index < SnapshotMetadata.Index) throw new ArgumentException("snapshot is older than the one held");
        try
        {
            WriteSnapshotFile(snapshot);
            WriteMarker(snapshot.Metadata.Index, snapshot.Metadata.Term, MarkerKind.Install, mayRoll: true);
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
        base.ApplySnapshot(snapshot);
    }

    /// <summary>
    /// Records a state-machine snapshot taken at <paramref name="index"/> and compacts the log: writes the snapshot
    /// file, starts a segment restating the whole remaining state (compaction start marker, hard state, the
    /// entries after <paramref name="index"/>, compaction end), syncs it, and deletes every older segment. A crash
    /// at any step recovers to the state before or after the compaction, which hold the same entries.
    /// </summary>
    public override void CreateSnapshotAndCompact(ulong index, ConfState conf, ReadOnlyMemory<byte> data) => Compact(index, conf, data, fileWritten: false);

    /// <summary>
    /// Writes the snapshot file only (atomically and durably), for a following <see cref="CompactToSnapshotFile"/>.
    /// It reads and changes no log state, so a host may call it from a thread other than the one that writes the log,
    /// while that one goes on appending; but never concurrently with a <see cref="Save"/> of a ready that carries a
    /// snapshot, nor with another call of this method (they write the same file), and only with an index above the
    /// snapshot held (an older file would then sit behind a newer marker).
    /// </summary>
    public void WriteSnapshotFile(SnapshotMetadata metadata, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ThrowIfFailed();
        try
        {
            WriteSnapshotFile(new RaftSnapshot(metadata, data));
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
    }

    /// <summary>
    /// <see cref="CreateSnapshotAndCompact"/> for a snapshot whose file <see cref="WriteSnapshotFile(SnapshotMetadata, ReadOnlyMemory{byte})"/>
    /// already wrote at <paramref name="index"/>: only the compaction (the restating segment, its sync, the deletion of
    /// older segments) is left, which is what must exclude readers.
    /// </summary>
    public void CompactToSnapshotFile(ulong index, ConfState conf, ReadOnlyMemory<byte> data) => Compact(index, conf, data, fileWritten: true);

    private void Compact(ulong index, ConfState conf, ReadOnlyMemory<byte> data, bool fileWritten)
    {
        ArgumentNullException.ThrowIfNull(conf);
        ThrowIfFailed();
        if (index <= SnapshotMetadata.Index) return;
        if (index > LastIndex) throw new ArgumentException($"snapshot index {index} beyond the last index {LastIndex}");
        TryGetTerm(index, out var term);
        var kept = new List<RaftEntry>();
        if (index < LastIndex) GetEntries(index + 1, LastIndex + 1, long.MaxValue, kept);
        try
        {
            if (!fileWritten) WriteSnapshotFile(new RaftSnapshot(new SnapshotMetadata(index, term, conf), data));
            // StartSegment syncs the segment it closes: the old segments are complete and durable from here on,
            // so a crash while the compaction segment is written leaves the old state intact behind it.
            ulong compactionSegment = StartNextSegment();
            WriteMarker(index, term, MarkerKind.CompactionStart, mayRoll: false);
            WriteHardState(HardState, mayRoll: false);
            WriteEntries(kept, mayRoll: false);
            WriteCompactionEnd(index, LastIndex);
            _log.Sync();
            Syncs++;
            _unsynced = false;
            base.CreateSnapshotAndCompact(index, conf, data);
            if (_log.DeleteSegmentsBefore(compactionSegment) > 0) Syncs++;
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
    }

    /// <summary>Closes the active segment without syncing: call <see cref="Sync"/> first to keep what was saved.</summary>
    public void Dispose() => _log.Dispose();

    // The checks of MemoryRaftStorage.Append, made before anything is written: a record the replay could not
    // apply must never reach the log.
    private void ValidateAppend(IReadOnlyList<RaftEntry> entries)
    {
        var first = entries[0].Index;
        if (first < FirstIndex) throw new ArgumentException($"append at {first} below the first index {FirstIndex}");
        if (first > LastIndex + 1) throw new ArgumentException($"append at {first} leaves a gap after {LastIndex}");
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Index != first + (ulong)i) throw new ArgumentException("entries are not contiguous");
            if (entries[i].Data.Length > EntryDataBytesMax)
                throw new ArgumentException($"entry {entries[i].Index} holds {entries[i].Data.Length} bytes, more than {EntryDataBytesMax}");
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
            throw new IOException($"raft storage {Directory} failed earlier ({_failure.Message}); dispose it and open it again", _failure);
    }

    private void Fail(Exception e) => _failure ??= e;

    // ---- writing ----

    private ulong StartNextSegment()
    {
        bool closing = _log.ActiveSegment != 0;
        ulong id = (_log.Segments.Count > 0 ? _log.Segments[^1] : 0) + 1;
        _log.StartSegment(id);
        Syncs += closing ? 2 : 1; // the closing segment, then the directory
        _unsynced = false;
        return id;
    }

    /// <summary>Room for a record of <paramref name="payloadLength"/> bytes; the payload starts at the returned span.</summary>
    private Span<byte> Reserve(int payloadLength)
    {
        int frameLength = LogRecord.HeaderLength + payloadLength;
        if (_frame.Length < frameLength) _frame = new byte[Math.Max(frameLength, _frame.Length * 2)];
        return _frame.AsSpan(LogRecord.HeaderLength, payloadLength);
    }

    /// <summary>Appends the record built by <see cref="Reserve"/>, first rolling to a new segment if it would overflow the active one.</summary>
    private void AppendReserved(int payloadLength, bool mayRoll)
    {
        int frameLength = LogRecord.HeaderLength + payloadLength;
        long active = _log.ActiveLength;
        if (mayRoll && active > 0 && active + frameLength > _segmentBytesMax) StartNextSegment();
        _log.AppendFrame(_frame.AsSpan(0, frameLength));
        BytesWritten += frameLength;
        _unsynced = true;
        if (_frame.Length > FrameBufferBytesRetainedMax) _frame = new byte[4096];
    }

    private void WriteHardState(HardState state, bool mayRoll)
    {
        var p = Reserve(HardStateRecordBytes);
        p[0] = (byte)RecordType.HardState;
        BinaryPrimitives.WriteUInt64LittleEndian(p[1..], state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(p[9..], state.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(p[17..], state.Commit);
        AppendReserved(HardStateRecordBytes, mayRoll);
    }

    private void WriteMarker(ulong index, ulong term, MarkerKind kind, bool mayRoll)
    {
        var p = Reserve(MarkerRecordBytes);
        p[0] = (byte)RecordType.SnapshotMarker;
        BinaryPrimitives.WriteUInt64LittleEndian(p[1..], index);
        BinaryPrimitives.WriteUInt64LittleEndian(p[9..], term);
        p[17] = (byte)kind;
        AppendReserved(MarkerRecordBytes, mayRoll);
    }

    private void WriteCompactionEnd(ulong index, ulong lastIndex)
    {
        var p = Reserve(CompactionEndRecordBytes);
        p[0] = (byte)RecordType.CompactionEnd;
        BinaryPrimitives.WriteUInt64LittleEndian(p[1..], index);
        BinaryPrimitives.WriteUInt64LittleEndian(p[9..], lastIndex);
        AppendReserved(CompactionEndRecordBytes, mayRoll: false);
    }

    private void WriteEntries(IReadOnlyList<RaftEntry> entries, bool mayRoll)
    {
        var start = 0;
        while (start < entries.Count)
        {
            // At least one entry per record; more while the record stays within EntriesRecordBytesMax.
            var end = start + 1;
            long bytes = EntriesHeaderBytes + EntryHeaderBytes + entries[start].Data.Length;
            while (end < entries.Count && bytes + EntryHeaderBytes + entries[end].Data.Length <= EntriesRecordBytesMax)
            {
                bytes += EntryHeaderBytes + entries[end].Data.Length;
                end++;
            }
            var p = Reserve((int)bytes);
            p[0] = (byte)RecordType.Entries;
            BinaryPrimitives.WriteUInt32LittleEndian(p[1..], (uint)(end - start));
            var at = EntriesHeaderBytes;
            for (var i = start; i < end; i++)
            {
                var e = entries[i];
                BinaryPrimitives.WriteUInt64LittleEndian(p[at..], e.Term);
                BinaryPrimitives.WriteUInt64LittleEndian(p[(at + 8)..], e.Index);
                p[at + 16] = (byte)e.Type;
                BinaryPrimitives.WriteUInt32LittleEndian(p[(at + 17)..], (uint)e.Data.Length);
                e.Data.Span.CopyTo(p[(at + EntryHeaderBytes)..]);
                at += EntryHeaderBytes + e.Data.Length;
            }
            Invariant.Check(at == bytes, "raft storage: entries record length mismatch");
            AppendReserved((int)bytes, mayRoll);
            start = end;
        }
    }

    private void WriteSnapshotFile(RaftSnapshot snapshot)
    {
        byte[] contents = EncodeSnapshot(snapshot);
        _fs.WriteAtomically(_snapshotPath, contents);
        Syncs += 2; // the temporary file, then the directory after the rename
        BytesWritten += contents.Length;
    }

    /// <summary>The snapshot file's bytes (format in the type's remarks).</summary>
    internal static byte[] EncodeSnapshot(RaftSnapshot snapshot)
    {
        var meta = snapshot.Metadata;
        long total = (long)SnapshotHeaderBytes + SnapshotBodyFixedBytes + meta.Conf.EncodedLength + snapshot.Data.Length;
        if (total > Array.MaxLength) throw new ArgumentException($"snapshot of {snapshot.Data.Length} bytes is too large for one file");
        var bytes = new byte[total];
        SnapshotMagic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), SnapshotFormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), meta.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), meta.Term);
        meta.Conf.Encode(bytes.AsSpan(32), out var confBytes);
        var at = 32 + confBytes;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), (ulong)snapshot.Data.Length);
        snapshot.Data.Span.CopyTo(bytes.AsSpan(at + 8));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), Crc32C.Mask(Crc32C.Compute(bytes.AsSpan(SnapshotHeaderBytes))));
        return bytes;
    }

    /// <summary>Decodes a snapshot file, verifying magic, version and checksum; <see cref="CorruptionException"/> otherwise.</summary>
    internal static RaftSnapshot DecodeSnapshot(string path, byte[] bytes)
    {
        if (bytes.Length < SnapshotHeaderBytes + SnapshotBodyFixedBytes + 8)
            CorruptionException.Throw(path, 0, $"snapshot file of {bytes.Length} bytes is shorter than its fixed fields");
        if (!bytes.AsSpan(0, 8).SequenceEqual(SnapshotMagic)) CorruptionException.Throw(path, 0, "not a snapshot file (bad magic)");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != SnapshotFormatVersion) CorruptionException.Throw(path, 8, $"unknown snapshot format version {version}");
        var stored = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        if (stored != Crc32C.Compute(bytes.AsSpan(SnapshotHeaderBytes)))
            CorruptionException.Throw(path, SnapshotHeaderBytes, $"snapshot checksum mismatch over bytes [{SnapshotHeaderBytes}, {bytes.Length})");
        var index = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        var term = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24));
        ConfState conf;
        int confBytes;
        try
        {
            conf = ConfState.Decode(bytes.AsSpan(32), out confBytes);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new CorruptionException(path, 32, "snapshot conf state does not decode: " + e.Message);
        }
        var at = 32 + confBytes;
        if (at + 8 > bytes.Length) CorruptionException.Throw(path, at, "snapshot ends inside its data length");
        var length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
        if (length != (ulong)(bytes.Length - at - 8))
            CorruptionException.Throw(path, at, $"snapshot data length {length} does not match the {bytes.Length - at - 8} bytes that follow");
        return new RaftSnapshot(new SnapshotMetadata(index, term, conf), bytes.AsMemory(at + 8));
    }

    // ---- recovery ----

    private void Recover()
    {
        RaftSnapshot? file = _fs.FileExists(_snapshotPath) ? DecodeSnapshot(_snapshotPath, _fs.ReadAll(_snapshotPath)) : null;
        var replay = new LogReplay(SegmentPath);
        if (_log.Replay(0, replay.Visit) > 0) Syncs++; // the cut of a torn tail is synced
        var log = replay.Finish();

        // Reconcile with the snapshot file. Markers are written only after their file is durable, so the file is at
        // least as new as the log's last marker; it is newer when a crash came between the two.
        var marker = log.SnapshotMetadata;
        var fileMeta = file?.Metadata ?? SnapshotMetadata.Empty;
        if (marker.Index > fileMeta.Index)
            CorruptionException.Throw(_snapshotPath, 0,
                $"snapshot file missing or older than its marker: the log was reset to a snapshot at index {marker.Index}, the file holds index {fileMeta.Index}");
        bool keepEntries = true;
        if (marker.Index == fileMeta.Index)
        {
            if (marker.Term != fileMeta.Term)
                CorruptionException.Throw(_snapshotPath, 24, $"snapshot term {fileMeta.Term} differs from its marker's term {marker.Term} at index {marker.Index}");
        }
        else
        {
            // Raft §7: if the log holds the snapshot's last entry (same index and term), the entries after it stay;
            // otherwise the whole log gives way to the snapshot.
            keepEntries = log.TryGetTerm(fileMeta.Index, out var term) && term == fileMeta.Term;
        }

        if (file is not null) base.ApplySnapshot(file);
        if (keepEntries && log.LastIndex > fileMeta.Index)
        {
            var entries = new List<RaftEntry>();
            log.GetEntries(fileMeta.Index + 1, log.LastIndex + 1, long.MaxValue, entries);
            base.Append(entries);
        }
        base.SetHardState(log.HardState);
        if (HardState.Commit > LastIndex)
            CorruptionException.Throw(_log.Segments.Count > 0 ? SegmentPath(_log.Segments[^1]) : _snapshotPath, 0,
                $"hard state commit {HardState.Commit} is beyond the last index {LastIndex}");

        StartNextSegment();
        // A dropped log must stay dropped: without this marker the next replay would append later entries after
        // the old log's last entry and find a gap.
        if (!keepEntries) WriteMarker(fileMeta.Index, fileMeta.Term, MarkerKind.Install, mayRoll: false);
    }

    private string SegmentPath(ulong segment) => FileSystemExtensions.Join(_logDirectory, _log.SegmentName(segment));

    /// <summary>
    /// Rebuilds the state from the log's records, in order, applying each to a <see cref="MemoryRaftStorage"/> as
    /// the live mutator did, so the reference implementation decides truncation exactly as it did then. Two
    /// rules go beyond plain replay: a compaction segment's restated state replaces the state only once its
    /// CompactionEnd is read (a compaction cut short by a crash leaves the old segments' state standing), and a
    /// gap (entries that do not continue the log: segments partly deleted after a compaction) is corruption
    /// unless a later reset (install marker or complete compaction) makes the records before it irrelevant.
    /// </summary>
    private sealed class LogReplay(Func<ulong, string> segmentPath)
    {
        private MemoryRaftStorage _state = new();

        // The state restated by the compaction segment being read; null outside one.
        private MemoryRaftStorage? _compaction;
        private ulong _compactionSegment;

        // The first record that did not continue the log. While set, the state is unknown and only resets apply.
        private (string Path, long Offset, string Detail)? _gap;

        public void Visit(ulong segment, long offset, ReadOnlySpan<byte> payload)
        {
            // A compaction segment that ended without its CompactionEnd was cut short by a crash.
            if (_compaction is not null && segment != _compactionSegment) _compaction = null;
            var path = segmentPath(segment);
            if (payload.Length == 0) CorruptionException.Throw(path, offset, "empty raft log record");
            switch ((RecordType)payload[0])
            {
                case RecordType.Entries: VisitEntries(path, offset, payload); break;
                case RecordType.HardState: VisitHardState(path, offset, payload); break;
                case RecordType.SnapshotMarker: VisitMarker(segment, path, offset, payload); break;
                case RecordType.CompactionEnd: VisitCompactionEnd(path, offset, payload); break;
                default: CorruptionException.Throw(path, offset, $"unknown raft log record type {payload[0]}"); break;
            }
        }

        /// <summary>The replayed state: snapshot metadata (without conf or data), entries and hard state.</summary>
        public MemoryRaftStorage Finish()
        {
            _compaction = null; // the newest segment ended mid-compaction: the state before it stands
            if (_gap is { } gap)
                CorruptionException.Throw(gap.Path, gap.Offset, gap.Detail + "; no later snapshot or compaction covers it, so a log segment is missing");
            return _state;
        }

        private void VisitEntries(string path, long offset, ReadOnlySpan<byte> payload)
        {
            var entries = DecodeEntries(path, offset, payload);
            if (_compaction is null && _gap is not null) return;
            var target = _compaction ?? _state;
            var covered = 0;
            while (covered < entries.Count && entries[covered].Index <= target.SnapshotMetadata.Index) covered++;
            if (covered == entries.Count) return;
            entries.RemoveRange(0, covered);
            var first = entries[0].Index;
            if (first > target.LastIndex + 1)
            {
                var detail = $"entries from index {first} do not continue the log, which ends at index {target.LastIndex}";
                if (_compaction is not null) CorruptionException.Throw(path, offset, detail + " (inside a compaction segment)");
                _gap = (path, offset, detail);
                return;
            }
            target.Append(entries);
        }

        private static List<RaftEntry> DecodeEntries(string path, long offset, ReadOnlySpan<byte> payload)
        {
            if (payload.Length < EntriesHeaderBytes) CorruptionException.Throw(path, offset, "entries record shorter than its header");
            var count = BinaryPrimitives.ReadUInt32LittleEndian(payload[1..]);
            if (count == 0 || count > (uint)((payload.Length - EntriesHeaderBytes) / EntryHeaderBytes))
                CorruptionException.Throw(path, offset, $"entries record of {payload.Length} bytes claims {count} entries");
            // One copy of the record holds the data of all its entries.
            var slab = payload.ToArray();
            var entries = new List<RaftEntry>((int)count);
            var at = EntriesHeaderBytes;
            for (var i = 0; i < (int)count; i++)
            {
                if (payload.Length - at < EntryHeaderBytes) CorruptionException.Throw(path, offset, $"entries record ends inside entry {i}");
                var term = BinaryPrimitives.ReadUInt64LittleEndian(payload[at..]);
                var index = BinaryPrimitives.ReadUInt64LittleEndian(payload[(at + 8)..]);
                var type = payload[at + 16];
                var length = BinaryPrimitives.ReadUInt32LittleEndian(payload[(at + 17)..]);
                if (length > (uint)(payload.Length - at - EntryHeaderBytes))
                    CorruptionException.Throw(path, offset, $"entry {index} claims {length} bytes, more than its record holds");
                if (type > (byte)EntryType.ConfChange) CorruptionException.Throw(path, offset, $"entry {index} has unknown type {type}");
                if (index == 0 || (i > 0 && index != entries[0].Index + (ulong)i))
                    CorruptionException.Throw(path, offset, $"entry index {index} out of sequence in its record");
                entries.Add(new RaftEntry(term, index, (EntryType)type, slab.AsMemory(at + EntryHeaderBytes, (int)length)));
                at += EntryHeaderBytes + (int)length;
            }
            if (at != payload.Length) CorruptionException.Throw(path, offset, $"entries record has {payload.Length - at} bytes after its last entry");
            return entries;
        }

        private void VisitHardState(string path, long offset, ReadOnlySpan<byte> payload)
        {
            RequireLength(path, offset, payload, HardStateRecordBytes);
            var state = new HardState(
                BinaryPrimitives.ReadUInt64LittleEndian(payload[1..]),
                BinaryPrimitives.ReadUInt64LittleEndian(payload[9..]),
                BinaryPrimitives.ReadUInt64LittleEndian(payload[17..]));
            if (_compaction is not null) _compaction.SetHardState(state);
            else if (_gap is null) _state.SetHardState(state);
        }

        private void VisitMarker(ulong segment, string path, long offset, ReadOnlySpan<byte> payload)
        {
            RequireLength(path, offset, payload, MarkerRecordBytes);
            var index = BinaryPrimitives.ReadUInt64LittleEndian(payload[1..]);
            var term = BinaryPrimitives.ReadUInt64LittleEndian(payload[9..]);
            var reset = new MemoryRaftStorage();
            reset.ApplySnapshot(new RaftSnapshot(new SnapshotMetadata(index, term, ConfState.Empty), ReadOnlyMemory<byte>.Empty));
            switch ((MarkerKind)payload[17])
            {
                case MarkerKind.Install:
                    if (_compaction is not null) CorruptionException.Throw(path, offset, "install marker inside a compaction's restated state");
                    if (_gap is null && index < _state.SnapshotMetadata.Index)
                        CorruptionException.Throw(path, offset, $"snapshot marker at index {index} goes back before index {_state.SnapshotMetadata.Index}");
                    reset.SetHardState(_state.HardState); // an install resets the entries, not the hard state
                    _state = reset;
                    _gap = null;
                    break;
                case MarkerKind.CompactionStart:
                    if (offset != 0) CorruptionException.Throw(path, offset, "compaction start marker is not the first record of its segment");
                    _compaction = reset;
                    _compactionSegment = segment;
                    break;
                default:
                    CorruptionException.Throw(path, offset, $"unknown snapshot marker kind {payload[17]}");
                    break;
            }
        }

        private void VisitCompactionEnd(string path, long offset, ReadOnlySpan<byte> payload)
        {
            RequireLength(path, offset, payload, CompactionEndRecordBytes);
            var index = BinaryPrimitives.ReadUInt64LittleEndian(payload[1..]);
            var lastIndex = BinaryPrimitives.ReadUInt64LittleEndian(payload[9..]);
            if (_compaction is null) CorruptionException.Throw(path, offset, "compaction end without a compaction start in its segment");
            if (_compaction.SnapshotMetadata.Index != index || _compaction.LastIndex != lastIndex)
                CorruptionException.Throw(path, offset,
                    $"compaction end says ({index}, {lastIndex}) but the segment restated ({_compaction.SnapshotMetadata.Index}, {_compaction.LastIndex})");
            _state = _compaction;
            _compaction = null;
            _gap = null;
        }

        private static void RequireLength(string path, long offset, ReadOnlySpan<byte> payload, int expected)
        {
            if (payload.Length != expected)
                CorruptionException.Throw(path, offset, $"record of type {payload[0]} has {payload.Length} bytes, expected {expected}");
        }
    }

    private enum RecordType : byte
    {
        Entries = 1,
        HardState = 2,
        SnapshotMarker = 3,
        CompactionEnd = 4,
    }

    private enum MarkerKind : byte
    {
        /// <summary>Reset the log to the snapshot (a follower installing one); written after the snapshot file.</summary>
        Install = 0,

        /// <summary>First record of a compaction segment; the reset counts only if its CompactionEnd follows in the same segment.</summary>
        CompactionStart = 1,
    }
}
