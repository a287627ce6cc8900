using System.Buffers.Binary;
using System.Text;
using Tusk.Core.IO;
using Tusk.Storage;

namespace Tusk.Raft.Kv;

/// <summary>
/// An <see cref="IKvStore"/> on the LSM storage engine (<see cref="LsmEngine"/>): the replicated state lives in
/// Tusk.Storage. Keys: <c>d</c> + UTF-8 key → UTF-8 value; <c>s</c> + session id (big-endian) → sequence, success,
/// value; <c>m</c> → applied index. The changes of one <see cref="Commit"/> go in one <see cref="WriteBatch"/> with the
/// applied index, without fsync: the Raft log is the durable record, and after a crash the engine holds a consistent
/// prefix (the batches are atomic), from whose applied index Raft hands out the remaining committed entries again.
/// </summary>
public sealed class LsmKvStore : IKvStore
{
    private static readonly byte[] AppliedKey = "m"u8.ToArray();
    private readonly LsmEngine _engine;
    private readonly WriteBatch _batch = new();

    // Changes since the last commit, so reads see them before they are written (null value: deleted).
    private readonly Dictionary<string, string?> _pendingData = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, (ulong Sequence, KvResult Result)> _pendingSessions = [];

    private LsmKvStore(LsmEngine engine)
    {
        _engine = engine;
        var applied = engine.Get(AppliedKey);
        AppliedIndex = applied is null ? 0 : BinaryPrimitives.ReadUInt64BigEndian(applied);
        foreach (var _ in Data()) Count++;
    }

    /// <summary>Opens (recovering) the engine in <paramref name="directory"/>.</summary>
    public static LsmKvStore Open(IFileSystem fs, string directory, StorageOptions? options = null) => new(LsmEngine.Open(fs, directory, options));

    public ulong AppliedIndex { get; private set; }

    public long Count { get; private set; }

    public string? Get(string key)
    {
        if (_pendingData.TryGetValue(key, out var pending)) return pending;
        var value = _engine.Get(DataKey(key));
        return value is null ? null : Encoding.UTF8.GetString(value);
    }

    public void Put(string key, string value)
    {
        if (Get(key) is null) Count++;
        _pendingData[key] = value;
        _batch.Put(DataKey(key), Encoding.UTF8.GetBytes(value));
    }

    public void Delete(string key)
    {
        if (Get(key) is not null) Count--;
        _pendingData[key] = null;
        _batch.Delete(DataKey(key));
    }

    public bool TryGetSession(ulong session, out ulong sequence, out KvResult result)
    {
        if (_pendingSessions.TryGetValue(session, out var p))
        {
            (sequence, result) = p;
            return true;
        }
        var raw = _engine.Get(SessionKey(session));
        if (raw is null)
        {
            sequence = 0;
            result = default;
            return false;
        }
        (sequence, result) = DecodeSession(raw);
        return true;
    }

    public void SetSession(ulong session, ulong sequence, KvResult result)
    {
        _pendingSessions[session] = (sequence, result);
        var value = result.Value is null ? [] : Encoding.UTF8.GetBytes(result.Value);
        var raw = new byte[10 + value.Length];
        BinaryPrimitives.WriteUInt64BigEndian(raw, sequence);
        raw[8] = result.Succeeded ? (byte)1 : (byte)0;
        raw[9] = result.Value is null ? (byte)0 : (byte)1;
        value.CopyTo(raw.AsSpan(10));
        _batch.Put(SessionKey(session), raw);
    }

    public void SetAppliedIndex(ulong index) => AppliedIndex = index;

    public void Commit()
    {
        var applied = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(applied, AppliedIndex);
        _batch.Put(AppliedKey, applied);
        _engine.Write(_batch, WriteOptions.Default);
        _batch.Clear();
        _pendingData.Clear();
        _pendingSessions.Clear();
    }

    public IEnumerable<(string Key, string Value)> Data() => ReadData(_engine, null);

    private static IEnumerable<(string Key, string Value)> ReadData(LsmEngine engine, Snapshot? at)
    {
        using var it = engine.NewIterator(new ReadOptions { Snapshot = at, FillCache = at is null });
        for (it.Seek("d"u8); it.Valid && it.Key[0] == (byte)'d'; it.Next())
        {
            yield return (Encoding.UTF8.GetString(it.Key[1..]), Encoding.UTF8.GetString(it.Value));
        }
    }

    public IEnumerable<(ulong Session, ulong Sequence, KvResult Result)> Sessions() => ReadSessions(_engine, null);

    private static IEnumerable<(ulong Session, ulong Sequence, KvResult Result)> ReadSessions(LsmEngine engine, Snapshot? at)
    {
        using var it = engine.NewIterator(new ReadOptions { Snapshot = at, FillCache = at is null });
        for (it.Seek("s"u8); it.Valid && it.Key[0] == (byte)'s'; it.Next())
        {
            var (sequence, result) = DecodeSession(it.Value);
            yield return (BinaryPrimitives.ReadUInt64BigEndian(it.Key[1..]), sequence, result);
        }
    }

    public void Clear()
    {
        _batch.Clear();
        _pendingData.Clear();
        _pendingSessions.Clear();
        _engine.DeleteRange("d"u8, "t"u8);
        Count = 0;
        AppliedIndex = 0;
    }

    public IKvStoreCapture Capture()
    {
        if (_batch.Count > 0) throw new InvalidOperationException("capture with uncommitted changes");
        return new LsmCapture(_engine, _engine.GetSnapshot(), AppliedIndex, Count);
    }

    public void Dispose() => _engine.Dispose();

    /// <summary>An engine snapshot: the iterators read the state as of the capture while the engine goes on.</summary>
    private sealed class LsmCapture(LsmEngine engine, Snapshot snapshot, ulong applied, long count) : IKvStoreCapture
    {
        public ulong AppliedIndex => applied;

        public long Count => count;

        public IEnumerable<(string Key, string Value)> Data() => ReadData(engine, snapshot);

        public IEnumerable<(ulong Session, ulong Sequence, KvResult Result)> Sessions() => ReadSessions(engine, snapshot);

        public void Dispose() => snapshot.Dispose();
    }

    private static byte[] DataKey(string key)
    {
        var bytes = new byte[1 + Encoding.UTF8.GetByteCount(key)];
        bytes[0] = (byte)'d';
        Encoding.UTF8.GetBytes(key, bytes.AsSpan(1));
        return bytes;
    }

    private static byte[] SessionKey(ulong session)
    {
        var bytes = new byte[9];
        bytes[0] = (byte)'s';
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(1), session);
        return bytes;
    }

    private static (ulong Sequence, KvResult Result) DecodeSession(ReadOnlySpan<byte> raw)
    {
        var value = raw[9] == 0 ? null : Encoding.UTF8.GetString(raw[10..]);
        return (BinaryPrimitives.ReadUInt64BigEndian(raw), new KvResult(raw[8] == 1, value));
    }
}
