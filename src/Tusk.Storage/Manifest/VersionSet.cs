using System.Globalization;
using System.Text;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Storage.Log;

namespace Tusk.Storage.Manifest;

/// <summary>
/// The durable record of which tables are live: a manifest file of <see cref="VersionEdit"/>s (framed like
/// log records) named by <c>CURRENT</c>, which is replaced atomically. Holds the current <see cref="Version"/>
/// and the counters that must survive restarts (next file number, last sequence, WAL log number).
///
/// Threading: <see cref="LogAndApply"/> calls are serialized by <c>_applyLock</c> (flush and compaction
/// threads); the manifest write and fsync happen without <c>_lock</c>, which only guards installing the
/// new version and reference counts, so readers are never blocked by manifest I/O.
/// </summary>
internal sealed class VersionSet : IDisposable
{
    public const string CurrentFileName = "CURRENT";

    private readonly IFileSystem _fs;
    private readonly string _directory;
    private readonly StorageOptions _options;
    private readonly Action<FileMetadata> _onFileObsolete;
    private readonly object _lock = new();
    private readonly object _applyLock = new();
    private IFileHandle? _manifest;
    private Exception? _failure; // a failed manifest write or fsync: the manifest's state is unknown, so no more edits
    private readonly SortedSet<ulong> _pendingOutputs = []; // tables being written; Protected by _lock
    private Version _current;
    private long _nextFileNumber = 2;

    public VersionSet(IFileSystem fs, string directory, StorageOptions options, Action<FileMetadata> onFileObsolete)
    {
        _fs = fs;
        _directory = directory;
        _options = options;
        _onFileObsolete = onFileObsolete;
        _current = NewVersion(EmptyLevels());
    }

    /// <summary>WAL segments below this number are no longer needed for recovery.</summary>
    public ulong LogNumber { get; private set; }

    /// <summary>Last sequence number recorded in the manifest (the engine keeps the live one).</summary>
    public ulong LastSequence { get; private set; }

    public ulong ManifestNumber { get; private set; }

    /// <summary>Tables that the recovered manifest records as deleted (their files may linger after a crash).</summary>
    public HashSet<ulong> DeletedTableNumbers { get; } = [];

    public long ManifestBytes => _manifest?.Length ?? 0;

    /// <summary>The next file number that would be handed out.</summary>
    public ulong PeekNextFileNumber => (ulong)Interlocked.Read(ref _nextFileNumber);

    /// <summary>A new, unique file number (WAL segments, tables and manifests share one space).</summary>
    public ulong NewFileNumber() => (ulong)Interlocked.Increment(ref _nextFileNumber) - 1;

    /// <summary>
    /// A file number for a table a flush or compaction is about to write. Until <see cref="ReleasePendingOutputs"/>,
    /// the manifest records a next file number no higher than it, so after a crash the unfinished table is
    /// recognised as an orphan (at or above the recorded number, and not live) and removed.
    /// </summary>
    public ulong NewTableNumber()
    {
        lock (_lock)
        {
            ulong n = NewFileNumber();
            _pendingOutputs.Add(n);
            return n;
        }
    }

    /// <summary>Ends the pending state of tables once their edit is installed (or they were deleted).</summary>
    public void ReleasePendingOutputs(IEnumerable<ulong> numbers)
    {
        lock (_lock)
        {
            foreach (ulong n in numbers)
            {
                _pendingOutputs.Remove(n);
            }
        }
    }

    /// <summary>The next file number as recorded in the manifest: below every table still being written.</summary>
    private ulong RecordableNextFileNumber()
    {
        lock (_lock)
        {
            ulong next = PeekNextFileNumber;
            return _pendingOutputs.Count > 0 ? Math.Min(next, _pendingOutputs.Min) : next;
        }
    }

    /// <summary>Makes sure numbers below <paramref name="number"/> are never handed out again.</summary>
    public void MarkFileNumberUsed(ulong number)
    {
        while (true)
        {
            long cur = Interlocked.Read(ref _nextFileNumber);
            if ((ulong)cur > number || Interlocked.CompareExchange(ref _nextFileNumber, (long)number + 1, cur) == cur)
            {
                return;
            }
        }
    }

    /// <summary>The current version with a reference taken; the caller must <see cref="Version.Unref"/> it.</summary>
    public Version AcquireCurrent()
    {
        lock (_lock)
        {
            _current.Ref();
            return _current;
        }
    }

    /// <summary>
    /// The current version without a reference: only for reading its shape at a moment (scores, level sizes,
    /// file lists a compaction pins separately). To keep a version, use <see cref="AcquireCurrent"/>: another
    /// thread's <see cref="LogAndApply"/> may release this one at any time.
    /// </summary>
    public Version Current => Volatile.Read(ref _current);

    public static string ManifestName(ulong number) => "MANIFEST-" + number.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="directory"/> holds a database.</summary>
    public static bool Exists(IFileSystem fs, string directory) =>
        fs.FileExists(FileSystemExtensions.Join(directory, CurrentFileName));

    /// <summary>Loads the state named by CURRENT. Throws <see cref="CorruptionException"/> on a damaged manifest.</summary>
    public void Recover()
    {
        string currentPath = FileSystemExtensions.Join(_directory, CurrentFileName);
        string name = Encoding.UTF8.GetString(_fs.ReadAll(currentPath)).TrimEnd('\n');
        if (!name.StartsWith("MANIFEST-", StringComparison.Ordinal)
            || !ulong.TryParse(name.AsSpan("MANIFEST-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out ulong manifestNumber))
        {
            throw new CorruptionException(currentPath, 0, $"CURRENT does not name a manifest: '{name}'");
        }
        string path = FileSystemExtensions.Join(_directory, name);
        if (!_fs.FileExists(path))
        {
            throw new CorruptionException(currentPath, 0, $"CURRENT names {name}, which does not exist");
        }
        var levels = EmptyLevels();
        var byNumber = new Dictionary<ulong, (int Level, FileMetadata File)>();
        ulong? logNumber = null, nextFile = null, lastSequence = null;
        using (var file = _fs.Open(path, FileOpenMode.ReadOnly))
        {
            var reader = new LogReader(file);
            while (reader.Read(out var payload, out long offset) == LogReadStatus.Record)
            {
                var edit = VersionEdit.Decode(payload, path, offset);
                logNumber = edit.LogNumber ?? logNumber;
                nextFile = edit.NextFileNumber ?? nextFile;
                lastSequence = edit.LastSequence ?? lastSequence;
                foreach (var (level, number) in edit.DeletedFiles)
                {
                    DeletedTableNumbers.Add(number);
                    if (!byNumber.Remove(number))
                    {
                        throw new CorruptionException(path, offset, $"edit deletes table {number} at L{level}, which is not live");
                    }
                }
                foreach (var (level, f) in edit.NewFiles)
                {
                    byNumber[f.Number] = (level, f);
                }
            }
            // A torn final edit was never acknowledged (its flush or compaction never completed): ignore it.
        }
        if (logNumber == null || nextFile == null || lastSequence == null)
        {
            throw new CorruptionException(path, 0, "manifest lacks log number, next file number or last sequence");
        }
        foreach (var (level, f) in byNumber.Values)
        {
            levels[level].Add(f);
        }
        SortLevels(levels);
        CheckLevels(levels, path);
        LogNumber = logNumber.Value;
        LastSequence = lastSequence.Value;
        ManifestNumber = manifestNumber;
        MarkFileNumberUsed(Math.Max(nextFile.Value, manifestNumber + 1) - 1);
        Install(NewVersion(levels));
    }

    /// <summary>
    /// Starts a fresh manifest holding the whole current state, then points CURRENT at it (atomically). Done
    /// at every open, so a manifest never grows without bound across restarts, and when it grows too big.
    /// </summary>
    public void WriteNewManifest(ulong logNumber, ulong lastSequence)
    {
        lock (_applyLock)
        {
            ulong number = NewFileNumber();
            var edit = new VersionEdit { LogNumber = logNumber, LastSequence = lastSequence };
            var v = Current;
            for (int level = 0; level < Version.MaxLevels; level++)
            {
                foreach (var f in v.Files[level])
                {
                    edit.AddFile(level, f);
                }
            }
            edit.NextFileNumber = RecordableNextFileNumber();
            string name = ManifestName(number);
            var file = _fs.Open(FileSystemExtensions.Join(_directory, name), FileOpenMode.CreateNew);
            AppendRecord(file, edit.Encode());
            file.Sync();
            _fs.SyncDirectory(_directory);
            _fs.WriteAtomically(FileSystemExtensions.Join(_directory, CurrentFileName), Encoding.UTF8.GetBytes(name + "\n"));
            var old = _manifest;
            ulong oldNumber = ManifestNumber;
            _manifest = file;
            ManifestNumber = number;
            LogNumber = logNumber;
            LastSequence = lastSequence;
            old?.Dispose();
            if (oldNumber != 0 && oldNumber != number)
            {
                _fs.Delete(FileSystemExtensions.Join(_directory, ManifestName(oldNumber)));
            }
        }
    }

    /// <summary>
    /// Records <paramref name="edit"/> durably in the manifest and installs the version it produces. If the
    /// manifest write fails, nothing is installed and the exception propagates (the engine stops writes).
    /// </summary>
    public void LogAndApply(VersionEdit edit, ulong lastSequence)
    {
        lock (_applyLock)
        {
            Invariant.Check(_manifest != null, "LogAndApply before WriteNewManifest");
            if (_failure != null)
            {
                throw new IOException("the manifest could not be written earlier; no further changes are recorded: " + _failure.Message, _failure);
            }
            edit.NextFileNumber = RecordableNextFileNumber();
            edit.LastSequence = lastSequence;
            var next = Apply(Current, edit);
            try
            {
                AppendRecord(_manifest, edit.Encode());
                _manifest.Sync();
            }
            catch (Exception e)
            {
                // After a failed write or fsync the file may hold a partial or unsynced edit (and Linux may have
                // dropped the dirty pages): appending more could put a valid edit after a lost one.
                _failure = e;
                throw;
            }
            if (edit.LogNumber is { } log)
            {
                LogNumber = log;
            }
            LastSequence = lastSequence;
            Install(next);
            if (_manifest.Length > 64L << 20)
            {
                WriteNewManifest(LogNumber, lastSequence);
            }
        }
    }

    /// <summary>Installs the version <paramref name="edit"/> produces without writing the manifest (recovery only: a new manifest follows).</summary>
    public void ApplyWithoutLogging(VersionEdit edit)
    {
        lock (_applyLock)
        {
            Install(Apply(Current, edit));
        }
    }

    /// <summary>Appends one edit; every earlier edit was synced, so the watermark is the current length.</summary>
    private static void AppendRecord(IFileHandle file, byte[] payload)
    {
        var frame = new byte[LogRecord.HeaderLength + payload.Length];
        payload.CopyTo(frame, LogRecord.HeaderLength);
        LogRecord.SealInPlace(frame, file.Length);
        file.Append(frame);
    }

    private Version Apply(Version baseVersion, VersionEdit edit)
    {
        var levels = new List<FileMetadata>[Version.MaxLevels];
        for (int i = 0; i < Version.MaxLevels; i++)
        {
            levels[i] = new List<FileMetadata>(baseVersion.Files[i]);
        }
        foreach (var (level, number) in edit.DeletedFiles)
        {
            int removed = levels[level].RemoveAll(f => f.Number == number);
            Invariant.Check(removed == 1, $"edit deletes table {number} not in L{level}");
        }
        foreach (var (level, f) in edit.NewFiles)
        {
            levels[level].Add(f);
        }
        SortLevels(levels);
        if (Invariant.Enabled)
        {
            CheckLevels(levels, "in-memory version");
        }
        return NewVersion(levels);
    }

    private static void SortLevels(List<FileMetadata>[] levels)
    {
        levels[0].Sort((a, b) =>
        {
            int c = b.LargestSequence.CompareTo(a.LargestSequence);
            return c != 0 ? c : b.Number.CompareTo(a.Number);
        });
        for (int i = 1; i < levels.Length; i++)
        {
            levels[i].Sort((a, b) => InternalKey.Compare(a.Smallest, b.Smallest));
        }
    }

    private static void CheckLevels(List<FileMetadata>[] levels, string path)
    {
        for (int level = 1; level < levels.Length; level++)
        {
            var files = levels[level];
            for (int i = 1; i < files.Count; i++)
            {
                if (InternalKey.Compare(files[i - 1].Largest, files[i].Smallest) >= 0)
                {
                    throw new CorruptionException(path, 0, $"overlapping tables in L{level}: {files[i - 1]} and {files[i]}");
                }
            }
        }
    }

    private Version NewVersion(List<FileMetadata>[] levels)
    {
        var v = new Version(this, levels);
        Compaction.CompactionPicker.ComputeScore(v, _options);
        return v;
    }

    /// <summary>Recomputes the compaction score of the current version (after files stop being compacted).</summary>
    public void RefreshCompactionScore()
    {
        lock (_lock)
        {
            Compaction.CompactionPicker.ComputeScore(_current, _options);
        }
    }

    private void Install(Version next)
    {
        Version old;
        lock (_lock)
        {
            foreach (var level in next.Files)
            {
                foreach (var f in level)
                {
                    f.Refs++;
                }
            }
            old = _current; // next arrives with its creator's reference, which becomes the version set's
            Volatile.Write(ref _current, next);
        }
        old.Unref();
    }

    /// <summary>Called when a version's last reference goes: tables it alone kept alive become obsolete.</summary>
    internal void OnVersionReleased(Version v)
    {
        List<FileMetadata>? obsolete = null;
        lock (_lock)
        {
            foreach (var level in v.Files)
            {
                foreach (var f in level)
                {
                    f.Refs--;
                    Invariant.Check(f.Refs >= 0, "file refs below zero");
                    if (f.Refs == 0)
                    {
                        (obsolete ??= []).Add(f);
                    }
                }
            }
        }
        if (obsolete != null)
        {
            foreach (var f in obsolete)
            {
                _onFileObsolete(f);
            }
        }
    }

    /// <summary>Numbers of every table referenced by any live version (for cleaning up the directory).</summary>
    public HashSet<ulong> LiveTableNumbers()
    {
        lock (_lock)
        {
            var set = new HashSet<ulong>();
            foreach (var level in _current.Files)
            {
                foreach (var f in level)
                {
                    set.Add(f.Number);
                }
            }
            return set;
        }
    }

    private static List<FileMetadata>[] EmptyLevels()
    {
        var levels = new List<FileMetadata>[Version.MaxLevels];
        for (int i = 0; i < levels.Length; i++)
        {
            levels[i] = [];
        }
        return levels;
    }

    public void Dispose()
    {
        _manifest?.Dispose();
        _manifest = null;
    }
}
