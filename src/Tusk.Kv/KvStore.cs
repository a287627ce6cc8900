using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Storage;

namespace Tusk.Kv;

/// <summary>
/// The transactional, MVCC key space on one node (DDIA chapter 7): optimistic transactions at READ COMMITTED,
/// REPEATABLE READ (snapshot isolation) and SERIALIZABLE (snapshot isolation plus read-set validation) over one
/// <see cref="LsmEngine"/>, with versions stamped by a hybrid logical clock. The storage format is in
/// <see cref="MvccEncoding"/>; the design in docs/kv.md.
///
/// <para><b>Timestamps.</b> Commit timestamps come from <see cref="Clock"/>, under the commit lock, so they
/// are unique and grow in commit order. A transaction reads at the <em>visible timestamp</em>: every commit at or
/// below it has been applied to the engine (commits are written to the engine outside the lock and may finish
/// out of order; the visible timestamp waits for the slowest). A later commit therefore always gets a timestamp
/// above every snapshot already taken, which is what validation relies on.</para>
///
/// <para><b>Commit pipeline</b> (<see cref="CommitWrites"/>): under <c>_mutex</c>, validate against the
/// in-memory <see cref="CommitTracker"/>, take a timestamp, record the write set and mark the commit pending;
/// then, without the lock, write every version in one <see cref="WriteBatch"/> (atomic; with fsync when
/// durable), so concurrent commits share the engine's group commit and one fsync; then retire the pending
/// commit, advance the visible timestamp and wait until it covers this commit.</para>
///
/// <para><b>Restart.</b> A synced metadata key holds a timestamp ceiling above every commit timestamp handed
/// out; at open the clock is moved past it, so commit timestamps never repeat or go backwards across restarts
/// even when the wall clock does (CockroachDB persists an HLC upper bound for the same reason).</para>
///
/// <para>Thread-safe. Transactions are single-threaded objects bound to their store.</para>
/// </summary>
public sealed partial class KvStore : IOrderedKv, IDisposable
{
    /// <summary>Largest user key accepted (its escaped form stays well inside the engine's key limit).</summary>
    public const int KeyLengthMax = 16 << 10;

    /// <summary>Largest value accepted (one byte of the engine's limit carries the version kind).</summary>
    public const int ValueLengthMax = WriteBatch.ValueLengthMax - 1;

    private const byte FormatVersion = 1;
    private static readonly byte[] _formatKey = MvccEncoding.MetaKey("format");
    private static readonly byte[] _ceilingKey = MvccEncoding.MetaKey("hlc-ceiling");

    private readonly LsmEngine _engine;
    private readonly KvStoreOptions _options;
    private readonly ulong _ceilingWindow; // TimestampCeilingWindowMicros in packed timestamp units.

    private readonly object _mutex = new();
    private LockTable? _locks;

    /// <summary>Row locks (created on first use).</summary>
    internal LockTable Locks => _locks ?? Interlocked.CompareExchange(ref _locks, new LockTable(_options.Clock), null) ?? _locks!;
    private readonly CommitTracker _tracker;                       // Protected by _mutex.
    private readonly SortedDictionary<ulong, int> _snapshots = []; // Read timestamp → live registrations. Protected by _mutex.
    private readonly SortedSet<ulong> _pending = [];               // Commits with a timestamp, not yet in the engine. Protected by _mutex.
    private ulong _lastCommit;  // Newest commit timestamp handed out (or the open timestamp). Protected by _mutex.
    private ulong _ceiling;     // Invariant: every commit timestamp handed out is below the persisted ceiling. Protected by _mutex.
    private Exception? _failure; // Once set, commits fail: the engine's state is unknown. Protected by _mutex.
    private bool _disposed;      // Protected by _mutex.

    // Invariant: every commit with a timestamp <= _visible is applied to the engine, and _visible <= _lastCommit.
    // Only grows. Written under _mutex; read without it.
    private ulong _visible;

    private long _commitCount;
    private long _serializationFailureCount;

    private KvStore(LsmEngine engine, KvStoreOptions options)
    {
        _engine = engine;
        _options = options;
        Clock = new Hlc(options.Clock);
        _ceilingWindow = (ulong)options.TimestampCeilingWindowMicros << HlcTimestamp.LogicalBits;

        byte[]? format = engine.Get(_formatKey);
        if (format != null && (format.Length != 1 || format[0] != FormatVersion))
        {
            throw new CorruptionException(engine.Directory, 0, $"Tusk.Kv format {Convert.ToHexString(format)} is not the supported version {FormatVersion}");
        }
        if (format == null && HasDataKeys(engine))
        {
            throw new CorruptionException(engine.Directory, 0, "the database holds MVCC versions but no Tusk.Kv format key");
        }
        byte[]? ceiling = engine.Get(_ceilingKey);
        if (ceiling != null)
        {
            if (ceiling.Length != 8)
            {
                throw new CorruptionException(engine.Directory, 0, $"the HLC ceiling key holds {ceiling.Length} bytes, not 8");
            }
            Clock.Update(new HlcTimestamp(BinaryPrimitives.ReadUInt64BigEndian(ceiling)));
        }
        _visible = Clock.Now().Value;
        _lastCommit = _visible;
        _tracker = new CommitTracker(options.TrackedKeysMax, _visible);
        lock (_mutex)
        {
            RaiseCeiling(_visible, writeFormat: format == null);
        }
    }

    /// <summary>Opens (or creates) a store in <paramref name="directory"/> on the operating system's file system.</summary>
    public static KvStore Open(string directory, KvStoreOptions? options = null) =>
        Open(OsFileSystem.Instance, Path.GetFullPath(directory).Replace('\\', '/'), options);

    /// <summary>
    /// Opens (or creates) a store in <paramref name="directory"/> on <paramref name="fs"/>. Throws what
    /// <see cref="LsmEngine.Open(IFileSystem, string, StorageOptions?)"/> throws, <see cref="CorruptionException"/>
    /// when the directory is not a Tusk.Kv database of a supported format, and <see cref="ArgumentException"/> for
    /// invalid options.
    /// </summary>
    public static KvStore Open(IFileSystem fs, string directory, KvStoreOptions? options = null)
    {
        options ??= new KvStoreOptions();
        options.Validate();
        var engine = LsmEngine.Open(fs, directory, options.Storage);
        try
        {
            return new KvStore(engine, options);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>The hybrid logical clock commit timestamps come from.</summary>
    public Hlc Clock { get; }

    /// <summary>Every commit at or below this timestamp is visible; new transactions read at it.</summary>
    public HlcTimestamp VisibleTimestamp => new(Volatile.Read(ref _visible));

    /// <summary>Transactions committed (with writes) since open.</summary>
    public long CommitCount => Interlocked.Read(ref _commitCount);

    /// <summary>Commits refused with <see cref="KvSerializationException"/> since open.</summary>
    public long SerializationFailureCount => Interlocked.Read(ref _serializationFailureCount);

    /// <summary>The engine (tests and tools).</summary>
    internal LsmEngine Engine => _engine;

    /// <summary>Keys the commit tracker holds (tests).</summary>
    internal int TrackedKeyCount
    {
        get
        {
            lock (_mutex)
            {
                return _tracker.KeyCount;
            }
        }
    }

    /// <inheritdoc />
    IKvTransaction IOrderedKv.Begin(IsolationLevel isolation) => Begin(isolation);

    /// <inheritdoc />
    IKvTransaction IOrderedKv.Begin(KvTransactionOptions options) => Begin(options);

    /// <summary>Starts a transaction at <paramref name="isolation"/>.</summary>
    public KvTransaction Begin(IsolationLevel isolation = IsolationLevel.Serializable) =>
        Begin(isolation == IsolationLevel.Serializable ? KvTransactionOptions.Serializable : new KvTransactionOptions { Isolation = isolation });

    /// <summary>Starts a transaction with <paramref name="options"/>.</summary>
    public KvTransaction Begin(KvTransactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Isolation))
        {
            throw new ArgumentException($"unknown isolation level {options.Isolation}", nameof(options));
        }
        bool sync = options.Durability switch
        {
            CommitDurability.Default => _options.SyncCommit,
            CommitDurability.Sync => true,
            CommitDurability.Async => false,
            _ => throw new ArgumentException($"unknown durability {options.Durability}", nameof(options)),
        };
        ulong readTimestamp;
        lock (_mutex)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            readTimestamp = _visible;
            RegisterLocked(readTimestamp);
        }
        return new KvTransaction(this, options.Isolation, sync, readTimestamp,
            options.Isolation == IsolationLevel.Serializable ? new ReadSet(_options.ReadSpansMax) : null,
            _options.TransactionWriteBytesMax);
    }

    /// <summary>The oldest timestamp a live transaction reads at (the visible timestamp when there is none).</summary>
    public HlcTimestamp OldestSnapshot
    {
        get
        {
            lock (_mutex)
            {
                return new(HorizonLocked());
            }
        }
    }

    /// <summary>Moves a READ COMMITTED transaction's registration to the visible timestamp; returns it.</summary>
    internal ulong AdvanceRegistration(ulong registered)
    {
        lock (_mutex)
        {
            ulong visible = _visible;
            if (visible != registered)
            {
                UnregisterLocked(registered);
                RegisterLocked(visible);
            }
            return visible;
        }
    }

    /// <summary>Ends a transaction's registration at <paramref name="readTimestamp"/>.</summary>
    internal void Unregister(ulong readTimestamp)
    {
        lock (_mutex)
        {
            UnregisterLocked(readTimestamp);
        }
    }

    private void RegisterLocked(ulong readTimestamp) =>
        _snapshots[readTimestamp] = _snapshots.GetValueOrDefault(readTimestamp) + 1;

    private void UnregisterLocked(ulong readTimestamp)
    {
        int n = _snapshots[readTimestamp] - 1;
        if (n == 0)
        {
            _snapshots.Remove(readTimestamp);
        }
        else
        {
            _snapshots[readTimestamp] = n;
        }
    }

    /// <summary>The oldest read timestamp any live or future transaction can use. Caller holds _mutex.</summary>
    private ulong HorizonLocked()
    {
        foreach (var entry in _snapshots)
        {
            return Math.Min(entry.Key, _visible);
        }
        return _visible;
    }

    /// <summary>Creates an engine iterator and the visible timestamp it covers (every commit at or below it).</summary>
    internal LsmIterator NewEngineIterator(out ulong covers)
    {
        // Read the visible timestamp first: the commits it covers are in the engine before the iterator pins its state.
        covers = Volatile.Read(ref _visible);
        return _engine.NewIterator();
    }

    /// <summary>The visible timestamp, read without the lock.</summary>
    internal ulong Visible => Volatile.Read(ref _visible);

    /// <summary>
    /// Writes a new ceiling, <paramref name="above"/> plus the window, synced, before any timestamp at or above the
    /// old one is used. Caller holds _mutex. Rare: once per window of commit timestamps.
    /// </summary>
    private void RaiseCeiling(ulong above, bool writeFormat = false)
    {
        ulong ceiling = above + _ceilingWindow;
        var batch = new WriteBatch();
        if (writeFormat)
        {
            batch.Put(_formatKey, [FormatVersion]);
        }
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(value, ceiling);
        batch.Put(_ceilingKey, value);
        try
        {
            _engine.Write(batch, WriteOptions.Durable);
        }
        catch (Exception e)
        {
            _failure ??= e;
            throw;
        }
        _ceiling = ceiling;
    }

    private static bool HasDataKeys(LsmEngine engine)
    {
        using var it = engine.NewIterator();
        it.Seek([MvccEncoding.DataPrefix]);
        return it.Valid && it.Key[0] < MvccEncoding.DataEnd;
    }

    /// <summary>
    /// Closes the store: waits for commits being written, then closes the engine. Transactions still open fail
    /// on their next operation.
    /// </summary>
    public void Dispose()
    {
        lock (_mutex)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            while (_pending.Count > 0)
            {
                Monitor.Wait(_mutex);
            }
        }
        _engine.Dispose();
    }
}
