using System.Text;
using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Simulation;

/// <summary>
/// An in-memory <see cref="IFileSystem"/> that enforces the durability contract strictly and injects faults, for
/// deterministic simulation (ARCHITECTURE.md principle 2, STYLE.md C3). Given the same seed and the same sequence
/// of calls it produces the same bytes, the same torn writes and the same random faults.
///
/// <para><b>Model.</b> A file is an inode (its contents) separate from its names. Each inode has current contents
/// (what readers see) and durable contents (as of its last successful <see cref="IFileHandle.Sync"/>). Each
/// directory has a current name-to-inode map and a durable one (as of its last successful
/// <see cref="SyncDirectory"/>). Create, rename and delete change only the current map. Directories themselves
/// (<see cref="CreateDirectory"/>) are durable at once: a simplification, since Tusk creates its directories once.
/// A rename across directories changes both maps; each becomes durable only when its own directory is synced, so
/// a crash after syncing only the target leaves the file reachable under both names (like a hard link).</para>
///
/// <para><b>What <see cref="Crash()"/> does, exactly.</b> (1) Every directory's current entries are replaced by
/// its durable entries: a file created but never directory-synced disappears, an unsynced rename is undone, an
/// unsynced delete is undone (the file reappears). (2) Every inode reachable from those entries loses its unsynced
/// writes and truncations: its contents become its durable contents, or, when tearing (see
/// <see cref="CrashOptions"/>), its durable contents plus an in-order prefix of its unsynced writes whose last
/// write is torn; whatever survives becomes durable. Inodes no longer reachable are gone. (3) All handles opened
/// before the crash become invalid: using them throws <see cref="SimulatedCrashException"/> (an
/// <see cref="IOException"/>); disposing them is a no-op. (4) All locks are released; disposing an old lock does
/// nothing. Fault settings and counters are kept.</para>
///
/// <para><b>Faults.</b> <see cref="FailAfter"/>, <see cref="SetFaultProbability"/>, <see cref="FailSync"/> and
/// <see cref="FaultPredicate"/> make chosen operations throw <see cref="SimulatedFaultException"/> (an
/// <see cref="IOException"/>). A failed operation has no effect: a failed write writes nothing, a failed sync leaves
/// the data not durable. <see cref="IFileSystem.FileExists"/> and <see cref="IFileHandle.Length"/> never fail.</para>
///
/// <para><b>Paths.</b> '/'-separated strings; empty and "." segments are dropped, ".." removes the previous
/// segment, a trailing '/' is ignored ("a//b/" is "a/b"). Relative paths live under the root "."; absolute ones
/// under "/". Both roots always exist. Opening or renaming into a missing directory throws
/// <see cref="DirectoryNotFoundException"/>.</para>
///
/// <para><b>Concurrency.</b> Safe for concurrent callers: every operation runs under one lock, so concurrent <see cref="IFileHandle.ReadAt"/>
/// calls are serialized (correct, not fast). Files are limited to <see cref="FileSizeBytesMax"/> bytes.</para>
/// </summary>
public sealed class SimFileSystem : IFileSystem
{
    /// <summary>Largest file the simulator holds; a write or truncate past it throws <see cref="IOException"/> (EFBIG).</summary>
    public const long FileSizeBytesMax = 1L << 30;

    private const string RelativeRoot = ".";
    private const string AbsoluteRoot = "/";

    private readonly Lock _mu = new();

    // Protected by _mu (IRandom is not thread-safe). Used for torn writes, corruption and random faults only.
    private readonly IRandom _random;

    // Every existing directory by normalized path, including both roots. Protected by _mu.
    private readonly SortedDictionary<string, DirectoryState> _directories = new(StringComparer.Ordinal);

    // Held locks by normalized path. Protected by _mu. Cleared by Crash.
    private readonly Dictionary<string, LockToken> _locks = new(StringComparer.Ordinal);

    private readonly Counters _counters = new(); // Protected by _mu.

    private long _nextInodeId = 1; // Protected by _mu.

    // Incremented by Crash; a handle or lock from an earlier epoch is dead. Protected by _mu.
    private long _epoch;

    // Fault settings, all protected by _mu.
    private Func<SimOperation, bool>? _faultPredicate;
    private bool _failSync;
    private SimOperationKind _failAfterKinds;
    private long _failAfterRemaining;
    private SimOperationKind _randomFaultKinds;
    private double _randomFaultProbability;

    /// <summary>Creates an empty file system whose random choices are fixed by <paramref name="seed"/>.</summary>
    public SimFileSystem(ulong seed)
        : this(new SeededRandom(seed))
    {
    }

    /// <summary>
    /// Creates an empty file system drawing its random choices from <paramref name="random"/>, which it then owns
    /// (it is called under the file system's lock; do not use it elsewhere).
    /// </summary>
    public SimFileSystem(IRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
        _directories[RelativeRoot] = new DirectoryState();
        _directories[AbsoluteRoot] = new DirectoryState();
    }

    /// <summary>
    /// Called before every faultable operation (under the file system's lock: it must not call back into this
    /// file system); returning true makes the operation throw <see cref="SimulatedFaultException"/> with no effect.
    /// Null (the default) disables it.
    /// </summary>
    public Func<SimOperation, bool>? FaultPredicate
    {
        get
        {
            lock (_mu)
            {
                return _faultPredicate;
            }
        }
        set
        {
            lock (_mu)
            {
                _faultPredicate = value;
            }
        }
    }

    /// <summary>
    /// When true, every <see cref="IFileHandle.Sync"/> and <see cref="SyncDirectory"/> throws
    /// <see cref="SimulatedFaultException"/> and makes nothing durable (a failing fsync).
    /// </summary>
    public bool FailSync
    {
        get
        {
            lock (_mu)
            {
                return _failSync;
            }
        }
        set
        {
            lock (_mu)
            {
                _failSync = value;
            }
        }
    }

    /// <summary>A snapshot of the operation counters.</summary>
    public SimFileSystemStats Stats
    {
        get
        {
            lock (_mu)
            {
                return _counters.Snapshot();
            }
        }
    }

    /// <summary>
    /// Lets the next <paramref name="operations"/> operations of the <paramref name="kinds"/> selected through
    /// (counted as attempted, even if another setting fails one), then fails every later one of them (a disk that
    /// dies) until <see cref="ClearFaults"/> or another call replaces the setting. <c>FailAfter(0, kinds)</c> fails
    /// the next one.
    /// </summary>
    public void FailAfter(int operations, SimOperationKind kinds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(operations);
        lock (_mu)
        {
            _failAfterKinds = kinds;
            _failAfterRemaining = operations;
        }
    }

    /// <summary>
    /// Makes each operation of the <paramref name="kinds"/> selected fail independently with
    /// <paramref name="probability"/>, drawn from the seeded random source. Replaces any earlier setting.
    /// </summary>
    public void SetFaultProbability(SimOperationKind kinds, double probability)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1.0);
        lock (_mu)
        {
            _randomFaultKinds = kinds;
            _randomFaultProbability = probability;
        }
    }

    /// <summary>Turns off every fault setting (<see cref="FailAfter"/>, probabilities, <see cref="FailSync"/>, the predicate).</summary>
    public void ClearFaults()
    {
        lock (_mu)
        {
            _faultPredicate = null;
            _failSync = false;
            _failAfterKinds = SimOperationKind.None;
            _failAfterRemaining = 0;
            _randomFaultKinds = SimOperationKind.None;
            _randomFaultProbability = 0;
        }
    }

    /// <summary>Sets every counter of <see cref="Stats"/> to zero.</summary>
    public void ResetStats()
    {
        lock (_mu)
        {
            _counters.Reset();
        }
    }

    /// <summary>Simulates power loss, dropping every unsynced byte. See the type's documentation for the exact effect.</summary>
    public void Crash() => Crash(CrashOptions.DropUnsynced);

    /// <summary>Simulates power loss; <paramref name="options"/> says whether unsynced writes are torn (see <see cref="CrashOptions"/>).</summary>
    public void Crash(CrashOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_mu)
        {
            _epoch++;
            _locks.Clear();
            _counters.Crashes++;
            // Sorted by inode id so random draws happen in a fixed order.
            var reachable = new SortedDictionary<long, SimInode>();
            foreach (var directory in _directories.Values)
            {
                directory.Current = new SortedDictionary<string, SimInode>(directory.Durable, StringComparer.Ordinal);
                foreach (var inode in directory.Durable.Values)
                {
                    reachable.TryAdd(inode.Id, inode);
                }
            }
            foreach (var inode in reachable.Values)
            {
                if (!inode.HasUnsyncedMutations)
                {
                    continue;
                }
                bool tear = options.TearProbability >= 1.0 || (options.TearProbability > 0 && _random.NextDouble() < options.TearProbability);
                if (tear)
                {
                    inode.Tear(_random, options.CorruptTornBytes);
                }
                else
                {
                    inode.DropUnsynced();
                }
            }
        }
    }

    /// <summary>
    /// XORs the byte at <paramref name="offset"/> of the file now named <paramref name="path"/> with a random
    /// non-zero mask, in both its current and durable contents (where each is long enough): bit rot on the media.
    /// </summary>
    public void CorruptByte(string path, long offset)
    {
        lock (_mu)
        {
            byte mask = (byte)(1 + _random.Next(255));
            XorByte(path, offset, mask);
        }
    }

    /// <summary>Flips bit <paramref name="bit"/> (0-7) of the byte at <paramref name="offset"/>, in both current and durable contents.</summary>
    public void FlipBit(string path, long offset, int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bit, 7);
        lock (_mu)
        {
            XorByte(path, offset, (byte)(1 << bit));
        }
    }

    /// <summary>Length of the durable (synced) contents of the file now named <paramref name="path"/>.</summary>
    public long GetDurableLength(string path)
    {
        lock (_mu)
        {
            return FindFile(path).Durable.Length;
        }
    }

    /// <summary>A copy of the durable (synced) contents of the file now named <paramref name="path"/>.</summary>
    public byte[] ReadDurable(string path)
    {
        lock (_mu)
        {
            return FindFile(path).Durable.Span.ToArray();
        }
    }

    /// <summary>True when the file now named <paramref name="path"/> has writes or truncations not yet synced.</summary>
    public bool HasUnsyncedData(string path)
    {
        lock (_mu)
        {
            return FindFile(path).HasUnsyncedMutations;
        }
    }

    /// <summary>
    /// A deep copy of the files and directories (current and durable state, inode identity preserved) with its
    /// own random source seeded by <paramref name="seed"/>. Handles, locks, fault settings and counters are not
    /// copied. Useful to explore several crash outcomes from one state.
    /// </summary>
    public SimFileSystem Clone(ulong seed)
    {
        var copy = new SimFileSystem(seed);
        lock (_mu)
        {
            var inodes = new Dictionary<long, SimInode>();
            SimInode Map(SimInode inode)
            {
                if (!inodes.TryGetValue(inode.Id, out var mapped))
                {
                    mapped = inode.Clone();
                    inodes.Add(inode.Id, mapped);
                }
                return mapped;
            }
            foreach (var (path, directory) in _directories)
            {
                var state = new DirectoryState();
                foreach (var (name, inode) in directory.Current)
                {
                    state.Current.Add(name, Map(inode));
                }
                foreach (var (name, inode) in directory.Durable)
                {
                    state.Durable.Add(name, Map(inode));
                }
                copy._directories[path] = state;
            }
            copy._nextInodeId = _nextInodeId;
        }
        return copy;
    }

    /// <summary>
    /// A readable dump of the state, one line per file: directory entries now and after a crash, with current
    /// and durable lengths. Stable across runs (sorted), so golden tests can print it.
    /// </summary>
    public string Describe()
    {
        lock (_mu)
        {
            var text = new StringBuilder();
            foreach (var (path, directory) in _directories)
            {
                var names = new SortedSet<string>(directory.Current.Keys, StringComparer.Ordinal);
                names.UnionWith(directory.Durable.Keys);
                foreach (string name in names)
                {
                    directory.Current.TryGetValue(name, out var current);
                    directory.Durable.TryGetValue(name, out var durable);
                    string where = current is null ? "deleted (not dir-synced)"
                        : durable is null ? "created (not dir-synced)"
                        : ReferenceEquals(current, durable) ? "durable entry"
                        : "replaced (not dir-synced)";
                    var inode = current ?? durable!;
                    text.Append(path == RelativeRoot ? name : FileSystemExtensions.Join(path, name))
                        .Append(": inode ").Append(inode.Id)
                        .Append(", length ").Append(inode.Current.Length)
                        .Append(", durable length ").Append(inode.Durable.Length)
                        .Append(", ").Append(where).Append('\n');
                }
            }
            return text.ToString();
        }
    }

    /// <inheritdoc />
    public IFileHandle Open(string path, FileOpenMode mode)
    {
        string normalized = NormalizePath(path);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.Open, normalized);
            var (directory, name) = FileEntry(normalized);
            bool exists = directory.Current.TryGetValue(name, out var inode);
            switch (mode)
            {
                case FileOpenMode.CreateNew when exists:
                    throw new IOException($"{path} already exists");
                case FileOpenMode.OpenExisting or FileOpenMode.ReadOnly when !exists:
                    throw new FileNotFoundException($"{path} does not exist", path);
                case FileOpenMode.CreateNew or FileOpenMode.OpenOrCreate or FileOpenMode.OpenExisting or FileOpenMode.ReadOnly:
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown FileOpenMode");
            }
            if (inode is null)
            {
                inode = new SimInode(_nextInodeId++);
                directory.Current.Add(name, inode);
            }
            _counters.Opens++;
            return new SimFileHandle(this, path, normalized, inode, readOnly: mode == FileOpenMode.ReadOnly, _epoch);
        }
    }

    /// <inheritdoc />
    public bool FileExists(string path)
    {
        string normalized = NormalizePath(path);
        lock (_mu)
        {
            if (_directories.ContainsKey(normalized))
            {
                return false;
            }
            var (parent, name) = Split(normalized);
            return _directories.TryGetValue(parent, out var directory) && directory.Current.ContainsKey(name);
        }
    }

    /// <inheritdoc />
    public void Rename(string source, string target)
    {
        string from = NormalizePath(source);
        string to = NormalizePath(target);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.Rename, from, to);
            var (sourceDirectory, sourceName) = FileEntry(from);
            if (!sourceDirectory.Current.TryGetValue(sourceName, out var inode))
            {
                throw new FileNotFoundException($"cannot rename {source}: it does not exist", source);
            }
            var (targetDirectory, targetName) = FileEntry(to);
            sourceDirectory.Current.Remove(sourceName);
            targetDirectory.Current[targetName] = inode;
            _counters.Renames++;
        }
    }

    /// <inheritdoc />
    public void Delete(string path)
    {
        string normalized = NormalizePath(path);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.Delete, normalized);
            if (_directories.ContainsKey(normalized))
            {
                throw new IOException($"cannot delete {path}: it is a directory");
            }
            var (parent, name) = Split(normalized);
            if (_directories.TryGetValue(parent, out var directory))
            {
                directory.Current.Remove(name);
            }
            _counters.Deletes++;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> List(string directory)
    {
        string normalized = NormalizePath(directory);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.List, normalized);
            _counters.Lists++;
            return _directories.TryGetValue(normalized, out var state) ? [.. state.Current.Keys] : [];
        }
    }

    private static bool IsRoot(string normalized) => normalized == RelativeRoot || normalized == AbsoluteRoot;

    /// <inheritdoc />
    public IReadOnlyList<string> ListDirectories(string directory)
    {
        string normalized = NormalizePath(directory);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.List, normalized);
            _counters.Lists++;
            var names = new List<string>();
            foreach (string path in _directories.Keys)
            {
                if (path != normalized && !IsRoot(path) && Split(path).Parent == normalized)
                {
                    names.Add(Split(path).Name);
                }
            }
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    /// <inheritdoc />
    public void DeleteDirectory(string path)
    {
        string normalized = NormalizePath(path);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.Delete, normalized);
            if (!_directories.TryGetValue(normalized, out var state))
            {
                return;
            }
            if (state.Current.Count > 0 || _directories.Keys.Any(p => p != normalized && !IsRoot(p) && Split(p).Parent == normalized))
            {
                throw new IOException($"cannot delete directory {normalized}: it is not empty");
            }
            // Simplification: removing an empty directory is durable at once (like CreateDirectory).
            _directories.Remove(normalized);
            _counters.Deletes++;
        }
    }

    /// <inheritdoc />
    public void CreateDirectory(string path)
    {
        string normalized = NormalizePath(path);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.CreateDirectory, normalized);
            var missing = new Stack<string>();
            for (string p = normalized; !_directories.ContainsKey(p); p = Split(p).Parent)
            {
                missing.Push(p);
            }
            // Only the shallowest missing directory can collide with a file: the deeper ones go in new, empty directories.
            if (missing.TryPeek(out string? top))
            {
                var (parent, name) = Split(top);
                if (_directories[parent].Current.ContainsKey(name))
                {
                    throw new IOException($"cannot create directory {top}: a file has that name");
                }
            }
            while (missing.Count > 0)
            {
                _directories.Add(missing.Pop(), new DirectoryState());
            }
            _counters.DirectoryCreations++;
        }
    }

    /// <inheritdoc />
    public void SyncDirectory(string directory)
    {
        string normalized = NormalizePath(directory);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.SyncDirectory, normalized);
            if (!_directories.TryGetValue(normalized, out var state))
            {
                throw new DirectoryNotFoundException($"cannot sync directory {directory}: it does not exist");
            }
            state.Durable = new SortedDictionary<string, SimInode>(state.Current, StringComparer.Ordinal);
            _counters.DirectorySyncs++;
        }
    }

    /// <inheritdoc />
    public IDisposable Lock(string path)
    {
        string normalized = NormalizePath(path);
        lock (_mu)
        {
            MaybeFail(SimOperationKind.Lock, normalized);
            if (_locks.ContainsKey(normalized))
            {
                throw new IOException($"{path} is locked: another process is using this data directory");
            }
            var (directory, name) = FileEntry(normalized);
            if (!directory.Current.ContainsKey(name))
            {
                directory.Current.Add(name, new SimInode(_nextInodeId++));
            }
            var token = new LockToken(this, normalized);
            _locks.Add(normalized, token);
            _counters.Locks++;
            return token;
        }
    }

    /// <summary>
    /// Normalizes a '/'-separated path: drops empty and "." segments and a trailing '/', resolves ".." lexically.
    /// Returns "." for the relative root and "/" for the absolute root.
    /// </summary>
    public static string NormalizePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        bool rooted = path[0] == '/';
        var segments = new List<string>();
        foreach (string segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }
            if (segment == "..")
            {
                if (segments.Count == 0)
                {
                    throw new ArgumentException($"path {path} goes above its root", nameof(path));
                }
                segments.RemoveAt(segments.Count - 1);
                continue;
            }
            segments.Add(segment);
        }
        string joined = string.Join('/', segments);
        return rooted ? "/" + joined : segments.Count == 0 ? RelativeRoot : joined;
    }

    // Splits a normalized non-root path into its parent directory and its last segment.
    private static (string Parent, string Name) Split(string normalized)
    {
        Invariant.Check(normalized is not RelativeRoot and not AbsoluteRoot, "Split: a root has no parent");
        int i = normalized.LastIndexOf('/');
        return i < 0 ? (RelativeRoot, normalized) : i == 0 ? (AbsoluteRoot, normalized[1..]) : (normalized[..i], normalized[(i + 1)..]);
    }

    // The directory that holds the file entry at a normalized path; throws when the path is a directory or its
    // parent is missing. Caller holds _mu.
    private (DirectoryState Directory, string Name) FileEntry(string normalized)
    {
        if (_directories.ContainsKey(normalized))
        {
            throw new IOException($"{normalized} is a directory");
        }
        var (parent, name) = Split(normalized);
        if (!_directories.TryGetValue(parent, out var directory))
        {
            throw new DirectoryNotFoundException($"directory {parent} of {normalized} does not exist");
        }
        return (directory, name);
    }

    // Caller holds _mu.
    private SimInode FindFile(string path)
    {
        string normalized = NormalizePath(path);
        var (directory, name) = FileEntry(normalized);
        return directory.Current.TryGetValue(name, out var inode)
            ? inode
            : throw new FileNotFoundException($"{path} does not exist", path);
    }

    // Caller holds _mu.
    private void XorByte(string path, long offset, byte mask)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var inode = FindFile(path);
        if (!inode.XorByte(offset, mask))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{path} is shorter than that");
        }
    }

    // Throws SimulatedFaultException when a fault setting selects this operation. Every setting is consulted
    // (and draws its randomness) whatever the others say, so the random sequence depends only on the calls.
    // Caller holds _mu.
    private void MaybeFail(SimOperationKind kind, string path, string? target = null)
    {
        var operation = new SimOperation(kind, path, target);
        bool fail = _failSync && kind is SimOperationKind.Sync or SimOperationKind.SyncDirectory;
        if ((_failAfterKinds & kind) != 0)
        {
            if (_failAfterRemaining > 0)
            {
                _failAfterRemaining--;
            }
            else
            {
                fail = true;
            }
        }
        if ((_randomFaultKinds & kind) != 0 && _randomFaultProbability > 0 && _random.NextDouble() < _randomFaultProbability)
        {
            fail = true;
        }
        if (_faultPredicate is { } predicate && predicate(operation))
        {
            fail = true;
        }
        if (fail)
        {
            _counters.FaultsInjected++;
            throw new SimulatedFaultException(operation);
        }
    }

    /// <summary>One directory's file entries. Subdirectories live in <see cref="_directories"/>, not here.</summary>
    private sealed class DirectoryState
    {
        /// <summary>Entries as a reader sees them now.</summary>
        public SortedDictionary<string, SimInode> Current { get; set; } = new(StringComparer.Ordinal);

        /// <summary>Entries as of the last successful SyncDirectory: what a crash restores.</summary>
        public SortedDictionary<string, SimInode> Durable { get; set; } = new(StringComparer.Ordinal);
    }

    /// <summary>Mutable counters behind <see cref="SimFileSystemStats"/>. Protected by the file system's lock.</summary>
    private sealed class Counters
    {
        public long Opens, Reads, BytesRead, Writes, BytesWritten, Syncs, Truncates, Renames, Deletes, Lists;
        public long DirectorySyncs, DirectoryCreations, Locks, FaultsInjected, Crashes;

        public SimFileSystemStats Snapshot() => new()
        {
            Opens = Opens,
            Reads = Reads,
            BytesRead = BytesRead,
            Writes = Writes,
            BytesWritten = BytesWritten,
            Syncs = Syncs,
            Truncates = Truncates,
            Renames = Renames,
            Deletes = Deletes,
            Lists = Lists,
            DirectorySyncs = DirectorySyncs,
            DirectoryCreations = DirectoryCreations,
            Locks = Locks,
            FaultsInjected = FaultsInjected,
            Crashes = Crashes,
        };

        public void Reset()
        {
            Opens = Reads = BytesRead = Writes = BytesWritten = Syncs = Truncates = Renames = Deletes = Lists = 0;
            DirectorySyncs = DirectoryCreations = Locks = FaultsInjected = Crashes = 0;
        }
    }

    /// <summary>A held lock; releasing it after a crash (which already released it) does nothing.</summary>
    private sealed class LockToken(SimFileSystem fileSystem, string path) : IDisposable
    {
        public void Dispose()
        {
            lock (fileSystem._mu)
            {
                if (fileSystem._locks.TryGetValue(path, out var holder) && ReferenceEquals(holder, this))
                {
                    fileSystem._locks.Remove(path);
                }
            }
        }
    }

    /// <summary>
    /// An open simulated file. Refers to its inode, not its name: it keeps working after a rename or delete, as a
    /// POSIX descriptor does. Dead after a crash (its epoch is older than the file system's).
    /// </summary>
    private sealed class SimFileHandle(SimFileSystem fileSystem, string path, string normalizedPath, SimInode inode, bool readOnly, long epoch) : IFileHandle
    {
        private bool _disposed; // Protected by fileSystem._mu.

        public string Path { get; } = path;

        public long Length
        {
            get
            {
                lock (fileSystem._mu)
                {
                    ThrowIfUnusable();
                    return inode.Current.Length;
                }
            }
        }

        public int ReadAt(long offset, Span<byte> buffer)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            lock (fileSystem._mu)
            {
                ThrowIfUnusable();
                fileSystem.MaybeFail(SimOperationKind.Read, normalizedPath);
                int n = inode.Current.Read(offset, buffer);
                fileSystem._counters.Reads++;
                fileSystem._counters.BytesRead += n;
                return n;
            }
        }

        public void WriteAt(long offset, ReadOnlySpan<byte> data)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            lock (fileSystem._mu)
            {
                ThrowIfNotWritable();
                fileSystem.MaybeFail(SimOperationKind.Write, normalizedPath);
                WriteLocked(offset, data);
            }
        }

        public long Append(ReadOnlySpan<byte> data)
        {
            lock (fileSystem._mu)
            {
                ThrowIfNotWritable();
                fileSystem.MaybeFail(SimOperationKind.Append, normalizedPath);
                long at = inode.Current.Length;
                WriteLocked(at, data);
                return at;
            }
        }

        public void Sync()
        {
            lock (fileSystem._mu)
            {
                ThrowIfUnusable();
                fileSystem.MaybeFail(SimOperationKind.Sync, normalizedPath);
                inode.Sync();
                fileSystem._counters.Syncs++;
            }
        }

        public void Truncate(long length)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            lock (fileSystem._mu)
            {
                ThrowIfNotWritable();
                fileSystem.MaybeFail(SimOperationKind.Truncate, normalizedPath);
                ThrowIfTooLarge(length);
                inode.SetLength(length);
                fileSystem._counters.Truncates++;
            }
        }

        public void Dispose()
        {
            lock (fileSystem._mu)
            {
                _disposed = true;
            }
        }

        // Caller holds the lock and has checked the handle and faults.
        private void WriteLocked(long offset, ReadOnlySpan<byte> data)
        {
            ThrowIfTooLarge(offset + data.Length);
            inode.Write(offset, data);
            fileSystem._counters.Writes++;
            fileSystem._counters.BytesWritten += data.Length;
        }

        private void ThrowIfTooLarge(long length)
        {
            if (length > FileSizeBytesMax)
            {
                throw new IOException($"{Path}: file would grow to {length} bytes, past the simulator's FileSizeBytesMax ({FileSizeBytesMax})");
            }
        }

        private void ThrowIfUnusable()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (epoch != fileSystem._epoch)
            {
                throw new SimulatedCrashException(Path);
            }
        }

        private void ThrowIfNotWritable()
        {
            ThrowIfUnusable();
            if (readOnly)
            {
                throw new NotSupportedException($"{Path} was opened ReadOnly");
            }
        }
    }
}
