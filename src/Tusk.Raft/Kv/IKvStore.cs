namespace Tusk.Raft.Kv;

/// <summary>
/// Where <see cref="KvStateMachine"/> keeps its state: the data, the client sessions and the applied index. Changes
/// made while applying the entries of one ready become visible together with <see cref="Commit"/>; reads see them
/// at once (read-your-writes within the batch). Single-threaded.
/// </summary>
public interface IKvStore : IDisposable
{
    /// <summary>The index of the last entry whose effects are stored.</summary>
    ulong AppliedIndex { get; }

    /// <summary>Number of keys with a value.</summary>
    long Count { get; }

    string? Get(string key);

    void Put(string key, string value);

    void Delete(string key);

    bool TryGetSession(ulong session, out ulong sequence, out KvResult result);

    void SetSession(ulong session, ulong sequence, KvResult result);

    void SetAppliedIndex(ulong index);

    /// <summary>Makes the changes since the last commit one atomic unit (not necessarily durable: the Raft log is).</summary>
    void Commit();

    /// <summary>Every key and value, ascending by key (ordinal), as committed.</summary>
    IEnumerable<(string Key, string Value)> Data();

    IEnumerable<(ulong Session, ulong Sequence, KvResult Result)> Sessions();

    /// <summary>Removes everything (before a snapshot is restored).</summary>
    void Clear();

    /// <summary>
    /// A consistent, read-only view of the committed state, cheap to take (no copy of the data for the LSM store), to
    /// be read on another thread while this store goes on changing. Requires no uncommitted changes. Dispose it.
    /// </summary>
    IKvStoreCapture Capture();
}

/// <summary>A point-in-time view of an <see cref="IKvStore"/>; may be read from any one thread.</summary>
public interface IKvStoreCapture : IDisposable
{
    ulong AppliedIndex { get; }

    long Count { get; }

    IEnumerable<(string Key, string Value)> Data();

    IEnumerable<(ulong Session, ulong Sequence, KvResult Result)> Sessions();
}

/// <summary>An <see cref="IKvStore"/> in memory: volatile, rebuilt from the Raft snapshot and log at restart.</summary>
public sealed class MemoryKvStore : IKvStore
{
    private readonly SortedDictionary<string, string> _data = new(StringComparer.Ordinal);
    private readonly SortedDictionary<ulong, (ulong Sequence, KvResult Result)> _sessions = [];

    public ulong AppliedIndex { get; private set; }

    public long Count => _data.Count;

    public string? Get(string key) => _data.TryGetValue(key, out var v) ? v : null;

    public void Put(string key, string value) => _data[key] = value;

    public void Delete(string key) => _data.Remove(key);

    public bool TryGetSession(ulong session, out ulong sequence, out KvResult result)
    {
        var found = _sessions.TryGetValue(session, out var s);
        (sequence, result) = s;
        return found;
    }

    public void SetSession(ulong session, ulong sequence, KvResult result) => _sessions[session] = (sequence, result);

    public void SetAppliedIndex(ulong index) => AppliedIndex = index;

    public void Commit()
    {
    }

    public IEnumerable<(string Key, string Value)> Data() => _data.Select(kv => (kv.Key, kv.Value));

    public IEnumerable<(ulong Session, ulong Sequence, KvResult Result)> Sessions() => _sessions.Select(s => (s.Key, s.Value.Sequence, s.Value.Result));

    public void Clear()
    {
        _data.Clear();
        _sessions.Clear();
        AppliedIndex = 0;
    }

    public IKvStoreCapture Capture() => new MemoryCapture(AppliedIndex, [.. Data()], [.. Sessions()]);

    public void Dispose()
    {
    }

    private sealed class MemoryCapture((string, string)[] data, (ulong, ulong, KvResult)[] sessions) : IKvStoreCapture
    {
        public MemoryCapture(ulong applied, (string, string)[] data, (ulong, ulong, KvResult)[] sessions) : this(data, sessions) => AppliedIndex = applied;

        public ulong AppliedIndex { get; }

        public long Count => data.Length;

        public IEnumerable<(string Key, string Value)> Data() => data;

        public IEnumerable<(ulong Session, ulong Sequence, KvResult Result)> Sessions() => sessions;

        public void Dispose()
        {
        }
    }
}
