using System.Buffers.Binary;
using System.Text;

namespace Tusk.Raft.Kv;

/// <summary>
/// The state machine of the replicated key-value store: applies committed <see cref="KvCommand"/>s in log order,
/// with client sessions so a retried request (same client and sequence) is applied once and answered with the
/// first answer. Deterministic: every replica that applies the same entries holds the same state. Single-threaded.
/// Held in memory; <see cref="Snapshot"/> serializes the data and the session table for InstallSnapshot.
/// </summary>
public sealed class KvStateMachine
{
    private readonly SortedDictionary<string, string> _data = new(StringComparer.Ordinal);

    // Per client: the last applied sequence and its result. Bounded by the number of clients; a production
    // deployment expires idle sessions through a replicated command (not needed by the simulator's clients).
    private readonly SortedDictionary<ulong, (ulong Sequence, KvResult Result)> _sessions = [];

    /// <summary>The index of the last entry applied (or of the snapshot restored).</summary>
    public ulong AppliedIndex { get; private set; }

    public int Count => _data.Count;

    /// <summary>Applies the entry at <paramref name="index"/>; null for entries that carry no command (the leader's empty entry, conf changes).</summary>
    public KvResult? Apply(RaftEntry entry)
    {
        if (entry.Index <= AppliedIndex) return null;
        AppliedIndex = entry.Index;
        if (entry.Type != EntryType.Normal || entry.Data.IsEmpty) return null;
        return Apply(KvCommand.Decode(entry.Data.Span));
    }

    private KvResult Apply(KvCommand command)
    {
        if (_sessions.TryGetValue(command.ClientId, out var session) && command.Sequence <= session.Sequence)
        {
            // A retry of a request already applied: answer as the first time, change nothing.
            return session.Result;
        }
        _data.TryGetValue(command.Key, out var current);
        KvResult result;
        switch (command.Op)
        {
            case KvOp.Put:
                _data[command.Key] = command.Value ?? "";
                result = new KvResult(true, current);
                break;
            case KvOp.Cas:
                if (current == command.Expected)
                {
                    _data[command.Key] = command.Value ?? "";
                    result = new KvResult(true, current);
                }
                else
                {
                    result = new KvResult(false, current);
                }
                break;
            case KvOp.Delete:
                result = new KvResult(_data.Remove(command.Key), current);
                break;
            default:
                result = new KvResult(true, current);
                break;
        }
        _sessions[command.ClientId] = (command.Sequence, result);
        return result;
    }

    /// <summary>Reads a key at the applied state (callers ensure linearizability through ReadIndex or a lease).</summary>
    public string? Read(string key) => _data.TryGetValue(key, out var v) ? v : null;

    /// <summary>Serializes the data and sessions: applied index, then counts and length-prefixed UTF-8 strings.</summary>
    public byte[] Snapshot()
    {
        using var stream = new MemoryStream();
        var eight = new byte[8];
        void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(eight, v); stream.Write(eight); }
        void Str(string? s)
        {
            if (s is null) { U64(ulong.MaxValue); return; }
            var bytes = Encoding.UTF8.GetBytes(s);
            U64((ulong)bytes.Length);
            stream.Write(bytes);
        }
        U64(AppliedIndex);
        U64((ulong)_data.Count);
        foreach (var (k, v) in _data) { Str(k); Str(v); }
        U64((ulong)_sessions.Count);
        foreach (var (client, (seq, result)) in _sessions)
        {
            U64(client);
            U64(seq);
            U64(result.Succeeded ? 1UL : 0UL);
            Str(result.Value);
        }
        return stream.ToArray();
    }

    /// <summary>Replaces the state with a snapshot taken by <see cref="Snapshot"/>; throws <see cref="FormatException"/> on malformed data.</summary>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var at = 0;
        ulong U64(ReadOnlySpan<byte> s)
        {
            if (at + 8 > s.Length) throw new FormatException("kv snapshot: truncated");
            var v = BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);
            at += 8;
            return v;
        }
        string? Str(ReadOnlySpan<byte> s)
        {
            var n = U64(s);
            if (n == ulong.MaxValue) return null;
            if (n > (ulong)(s.Length - at)) throw new FormatException("kv snapshot: bad string length");
            var v = Encoding.UTF8.GetString(s.Slice(at, (int)n));
            at += (int)n;
            return v;
        }
        _data.Clear();
        _sessions.Clear();
        if (snapshot.IsEmpty)
        {
            AppliedIndex = 0;
            return;
        }
        AppliedIndex = U64(snapshot);
        var count = U64(snapshot);
        for (ulong i = 0; i < count; i++)
        {
            var k = Str(snapshot) ?? throw new FormatException("kv snapshot: null key");
            _data[k] = Str(snapshot) ?? "";
        }
        var sessions = U64(snapshot);
        for (ulong i = 0; i < sessions; i++)
        {
            var client = U64(snapshot);
            var seq = U64(snapshot);
            var ok = U64(snapshot) == 1;
            _sessions[client] = (seq, new KvResult(ok, Str(snapshot)));
        }
    }

    /// <summary>Sets the applied index after a snapshot restore done elsewhere (the snapshot's index).</summary>
    public void SetAppliedIndex(ulong index) => AppliedIndex = index;
}
