using System.Collections.Concurrent;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Storage.Cache;
using Tusk.Storage.Log;
using Tusk.Storage.Manifest;
using Tusk.Storage.Sstable;

namespace Tusk.Storage;

/// <summary>
/// Tusk's LSM-tree storage engine (DDIA chapter 3): a write-ahead log, an arena skiplist memtable, SSTables
/// with block indexes and bloom filters, and leveled compaction in the background; MVCC by sequence number
/// with snapshots, iterators both ways and range deletions.
///
/// Directory layout: <c>LOCK</c>, <c>CURRENT</c> (names the manifest), <c>MANIFEST-NNNNNN</c> (version edits),
/// <c>NNNNNN.log</c> (WAL segments), <c>NNNNNN.sst</c> (tables). One process at a time (LOCK).
///
/// Threading: all public methods are thread-safe. Writers are serialized through a group-commit queue whose
/// leader writes one WAL record and does at most one fsync for the whole group; readers never block writers
/// and take no lock on the hot path. Flushes and compactions run through <see cref="IJobScheduler"/>.
///
/// Durability: a write with <see cref="WriteOptions.Sync"/> returns after its WAL record is fsynced; one
/// without returns once the record is in the OS (it survives a process crash, not a power failure).
/// </summary>
public sealed partial class LsmEngine : IDisposable
{
    private const string LockFileName = "LOCK";
    private const string WalSuffix = ".log";

    private readonly IFileSystem _fs;
    private readonly StorageOptions _options;
    private readonly IJobScheduler _scheduler;
    private readonly IDisposable _directoryLock;
    private readonly BlockCache _blockCache;
    private readonly TableCache _tables;
    private readonly VersionSet _versions;
    private readonly Memtable.ArenaPool _arenas;
    private readonly ConcurrentQueue<FileMetadata> _obsoleteFiles = new();
    private readonly Statistics _stats = new();
    private SegmentedLog _wal = null!;

    // Guards the memtable list, the writer queue, background-job flags and snapshots.
    private readonly object _mutex = new();
    private Memtable.Memtable _mem = null!;             // Protected by _mutex (swapped only by the commit leader).
    private readonly List<Memtable.Memtable> _imms = []; // Newest first. Protected by _mutex.
    private SuperVersion _super = null!;                 // Swapped under _mutex; read lock-free.
    private ulong _lastSequence;                         // Visible sequence; written by the commit leader.
    private Exception? _backgroundError;                 // Once set, writes fail. Protected by _mutex.
    private bool _closed;                                // Protected by _mutex.
    private uint _memtableSeed = 0x9E3779B9;

    private LsmEngine(IFileSystem fs, string directory, StorageOptions options, IDisposable directoryLock)
    {
        _fs = fs;
        Directory = directory;
        _options = options;
        _scheduler = options.Scheduler ?? ThreadPoolJobScheduler.Instance;
        _directoryLock = directoryLock;
        _blockCache = new BlockCache(options.BlockCacheSizeBytes);
        _tables = new TableCache(fs, directory, options.MaxOpenFiles, _blockCache);
        _versions = new VersionSet(fs, directory, options, f => _obsoleteFiles.Enqueue(f));
        _arenas = new Memtable.ArenaPool(options.MaxWriteBufferNumber + 1);
        _compactPointers = new byte[]?[Version.MaxLevels];
    }

    /// <summary>The data directory.</summary>
    public string Directory { get; }

    /// <summary>Sequence number of the newest visible write.</summary>
    public ulong LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>Opens (or creates) the engine in <paramref name="directory"/> on the operating system's file system.</summary>
    public static LsmEngine Open(string directory, StorageOptions? options = null) =>
        Open(OsFileSystem.Instance, Path.GetFullPath(directory).Replace('\\', '/'), options);

    /// <summary>
    /// Opens (or creates) the engine in <paramref name="directory"/> on <paramref name="fs"/>: replays the WAL
    /// (verifying every record, cutting a torn tail), writes what it replayed to tables, and starts a fresh
    /// manifest. Throws <see cref="CorruptionException"/> when data is damaged, <see cref="IOException"/> when
    /// another process holds the directory, <see cref="ArgumentException"/> for invalid options.
    /// </summary>
    public static LsmEngine Open(IFileSystem fs, string directory, StorageOptions? options = null)
    {
        options ??= new StorageOptions();
        options.Validate();
        bool exists = VersionSet.Exists(fs, directory);
        if (!exists)
        {
            var stray = fs.List(directory).FirstOrDefault(n =>
                n.EndsWith(".sst", StringComparison.Ordinal) || n.EndsWith(".log", StringComparison.Ordinal)
                || n.StartsWith("MANIFEST-", StringComparison.Ordinal));
            if (stray != null)
            {
                throw new CorruptionException(FileSystemExtensions.Join(directory, VersionSet.CurrentFileName), 0,
                    $"CURRENT is missing but the directory holds database files ({stray}); refusing to create a new database over them");
            }
        }
        if (!exists && !options.CreateIfMissing)
        {
            throw new IOException($"no database in {directory} (and CreateIfMissing is false)");
        }
        if (exists && options.ErrorIfExists)
        {
            throw new IOException($"a database already exists in {directory} (and ErrorIfExists is true)");
        }
        fs.CreateDirectory(directory);
        var directoryLock = fs.Lock(FileSystemExtensions.Join(directory, LockFileName));
        var engine = new LsmEngine(fs, directory, options, directoryLock);
        try
        {
            engine.Recover(exists);
            return engine;
        }
        catch
        {
            engine.DisposeAfterFailedOpen();
            throw;
        }
    }

    private void Recover(bool exists)
    {
        if (exists)
        {
            _versions.Recover();
        }
        ulong recoveredNextFile = _versions.PeekNextFileNumber;
        ulong lastSequence = _versions.LastSequence;
        _wal = SegmentedLog.Open(_fs, Directory, WalSuffix);
        // A crash can leave files numbered at or above the manifest's next file number (an unfinished flush or
        // compaction): never hand those numbers out again. They are removed below as explained leftovers.
        foreach (string name in _fs.List(Directory))
        {
            if (SegmentedLog.TryParseSegmentName(name, WalSuffix, out ulong n) || SegmentedLog.TryParseSegmentName(name, ".sst", out n))
            {
                _versions.MarkFileNumberUsed(n);
            }
            else if (name.StartsWith("MANIFEST-", StringComparison.Ordinal)
                && ulong.TryParse(name.AsSpan("MANIFEST-".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n))
            {
                _versions.MarkFileNumberUsed(n);
            }
        }

        // Replay every WAL segment the manifest still needs into memtables, writing each full one to L0.
        var recoveredTables = new List<FileMetadata>();
        var replay = new Memtable.Memtable(null, _options.WriteBufferSizeBytes, 0, NextSeed());
        long cut = _wal.Replay(_versions.LogNumber, (segment, offset, payload) =>
        {
            var inserter = new RecoveryInserter(this, replay, recoveredTables, segment, offset);
            if (!WriteBatch.Decode(payload, ref inserter))
            {
                throw new CorruptionException(FileSystemExtensions.Join(Directory, _wal.SegmentName(segment)), offset,
                    "WAL record passed its checksum but does not decode as a write batch");
            }
            replay = inserter.Memtable;
            WriteBatch.ReadHeader(payload, out ulong first, out int count);
            lastSequence = Math.Max(lastSequence, first + (ulong)Math.Max(count, 1) - 1);
        });
        if (cut > 0)
        {
            Report($"recovery: cut a torn WAL tail of {cut} bytes (writes never acknowledged as synced)");
        }
        if (!replay.IsEmpty)
        {
            recoveredTables.Add(WriteLevel0Table(replay));
        }
        replay.Unref();

        // New WAL segment, then a fresh manifest that lists the recovered tables and makes the old segments obsolete.
        ulong logNumber = _versions.NewFileNumber();
        _wal.StartSegment(logNumber);
        if (recoveredTables.Count > 0 || !exists)
        {
            var edit = new VersionEdit();
            foreach (var f in recoveredTables)
            {
                edit.AddFile(0, f);
            }
            _versions.ApplyWithoutLogging(edit);
        }
        _versions.ReleasePendingOutputs(recoveredTables.Select(f => f.Number));
        _versions.WriteNewManifest(logNumber, lastSequence);
        _lastSequence = lastSequence;
        _wal.DeleteSegmentsBefore(logNumber);
        RemoveLeftoverFiles(recoveredNextFile);

        _mem = new Memtable.Memtable(_arenas, _options.WriteBufferSizeBytes, logNumber, NextSeed());
        lock (_mutex)
        {
            InstallSuperVersion();
            MaybeScheduleWork();
        }
    }

    /// <summary>
    /// Deletes files a crash left behind and the directory state explains: tables numbered at or above the
    /// recovered next-file number (outputs of a flush or compaction that never committed) and tables a
    /// committed edit deleted. Anything else that is not live is left in place and reported.
    /// </summary>
    private void RemoveLeftoverFiles(ulong recoveredNextFile)
    {
        var live = _versions.LiveTableNumbers();
        foreach (string name in _fs.List(Directory))
        {
            if (name.EndsWith(".sst", StringComparison.Ordinal)
                && SegmentedLog.TryParseSegmentName(name, ".sst", out ulong number) && !live.Contains(number))
            {
                if (number >= recoveredNextFile || _versions.DeletedTableNumbers.Contains(number))
                {
                    _fs.Delete(FileSystemExtensions.Join(Directory, name));
                }
                else
                {
                    Report($"recovery: {name} is not part of the database and its origin is unknown; left in place");
                }
            }
            else if (name.StartsWith("MANIFEST-", StringComparison.Ordinal) && name != VersionSet.ManifestName(_versions.ManifestNumber))
            {
                _fs.Delete(FileSystemExtensions.Join(Directory, name));
            }
            else if (name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                _fs.Delete(FileSystemExtensions.Join(Directory, name));
            }
        }
        _fs.SyncDirectory(Directory);
    }

    private uint NextSeed()
    {
        _memtableSeed = _memtableSeed * 1664525 + 1013904223;
        return _memtableSeed;
    }

    private void Report(string message) => _options.Log?.Invoke(message);

    /// <summary>Inserts replayed WAL entries, flushing a full memtable to an L0 table.</summary>
    private struct RecoveryInserter(LsmEngine engine, Memtable.Memtable memtable, List<FileMetadata> tables, ulong segment, long offset)
        : IBatchVisitor
    {
        public Memtable.Memtable Memtable = memtable;

        public void Visit(ulong sequence, EntryKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (Memtable.TryAdd(sequence, kind, key, value))
            {
                return;
            }
            tables.Add(engine.WriteLevel0Table(Memtable));
            Memtable.Unref();
            int capacity = Math.Max(engine._options.WriteBufferSizeBytes,
                Tusk.Storage.Memtable.SkipList.MaxNodeBytes(key.Length + InternalKey.TrailerLength, value.Length) + 4096);
            Memtable = new Memtable.Memtable(null, capacity, 0, engine.NextSeed());
            if (!Memtable.TryAdd(sequence, kind, key, value))
            {
                throw new CorruptionException(engine._wal.SegmentName(segment), offset, "WAL entry too large to replay");
            }
        }
    }

    /// <summary>Writes a memtable to a new L0 table (synced, directory synced) and returns its metadata.</summary>
    private FileMetadata WriteLevel0Table(Memtable.Memtable mem)
    {
        ulong number = _versions.NewTableNumber();
        string path = _tables.TablePath(number);
        long size;
        TableProperties props;
        byte[] smallest, largest;
        try
        {
            using var builder = new TableBuilder(_fs.Open(path, FileOpenMode.CreateNew), _options.BlockSizeBytes,
                _options.BlockRestartInterval, _options.BloomBitsPerKey);
            using (var it = mem.NewIterator())
            {
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    builder.Add(it.Key, it.Value);
                }
            }
            foreach (var t in mem.RangeTombstones)
            {
                builder.AddRangeTombstone(t);
            }
            size = builder.Finish();
            props = builder.Properties;
            smallest = builder.Smallest!;
            largest = builder.Largest!;
            builder.Dispose();
            _fs.SyncDirectory(Directory);
        }
        catch
        {
            DeleteUnusedTable(number);
            throw;
        }
        _stats.AddFlush(size);
        return new FileMetadata
        {
            Number = number,
            Size = size,
            Smallest = smallest,
            Largest = largest,
            SmallestSequence = props.SmallestSequence,
            LargestSequence = props.LargestSequence,
            HasRangeTombstones = props.RangeDeletionCount > 0,
        };
    }

    /// <summary>Deletes a table no version references (a failed job's output) and ends its pending state.</summary>
    private void DeleteUnusedTable(ulong number)
    {
        try
        {
            _fs.Delete(_tables.TablePath(number));
        }
        catch (IOException e)
        {
            Report($"could not delete unused table {number}: {e.Message} (it is removed at the next open)");
        }
        _versions.ReleasePendingOutputs([number]);
    }

    /// <summary>Installs a new super version for the current memtables and version. Caller holds _mutex.</summary>
    private void InstallSuperVersion()
    {
        // AcquireCurrent takes the version's reference under the version set's lock: a flush or compaction thread
        // may install a newer version (and release this one) at any moment, even while we hold _mutex.
        var next = new SuperVersion(_mem, [.. _imms], _versions.AcquireCurrent());
        var old = _super;
        Volatile.Write(ref _super, next);
        old?.Unref();
    }

    /// <summary>A referenced super version; lock-free (retries if it was replaced and released meanwhile).</summary>
    private SuperVersion AcquireSuperVersion()
    {
        while (true)
        {
            var sv = Volatile.Read(ref _super);
            if (sv.TryRef())
            {
                return sv;
            }
            ThrowIfClosed(); // a closed engine's super version is released and never replaced
        }
    }

    /// <summary>Deletes tables no version references any more.</summary>
    private void DeleteObsoleteFiles()
    {
        bool any = false;
        while (_obsoleteFiles.TryDequeue(out var f))
        {
            _tables.Forget(f.Number);
            try
            {
                _fs.Delete(_tables.TablePath(f.Number));
                any = true;
            }
            catch (IOException e)
            {
                Report($"could not delete obsolete table {f.Number}: {e.Message}");
            }
        }
        if (any)
        {
            try
            {
                _fs.SyncDirectory(Directory);
            }
            catch (IOException e)
            {
                Report($"could not sync directory after deleting tables: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Closes the engine: waits for running background work, syncs the WAL, releases files and the directory lock.
    /// Later calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        lock (_mutex)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            Monitor.PulseAll(_mutex); // wake stalled writers: they see _closed and fail
            while (_flushRunning || _compactionRunning)
            {
                Monitor.Wait(_mutex);
            }
            // A commit leader may be writing outside the mutex: wait for the queue to drain.
            while (_writers.Count > 0)
            {
                Monitor.Wait(_mutex);
            }
        }
        try
        {
            if (_backgroundError == null)
            {
                _wal.Sync();
            }
        }
        finally
        {
            _wal.Dispose();
            _super.Unref();
            DeleteObsoleteFiles();
            _tables.Clear();
            _versions.Dispose();
            _directoryLock.Dispose();
        }
    }

    private void DisposeAfterFailedOpen()
    {
        _closed = true;
        _wal?.Dispose();
        _tables.Clear();
        _versions.Dispose();
        _directoryLock.Dispose();
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed))
        {
            throw new ObjectDisposedException(nameof(LsmEngine), $"the engine for {Directory} is closed");
        }
    }
}
