using System.Buffers.Binary;
using System.Text;

namespace Tusk.Raft.Kv;

/// <summary>
/// The state machine of the replicated key-value store: applies committed <see cref="KvCommand"/>s in log order,
/// with client sessions so a retried request (same session and sequence) is applied once and answered with the
/// first answer. Deterministic: every replica that applies the same entries holds the same state. Single-threaded.
/// The state lives in an <see cref="IKvStore"/>: in memory (<see cref="MemoryKvStore"/>, the default) or in the LSM
/// engine (<see cref="LsmKvStore"/>); the host calls <see cref="Commit"/> after applying each batch of entries.
/// <see cref="Snapshot"/> serializes the data and the session table for InstallSnapshot.
/// </summary>
public sealed class KvStateMachine(IKvStore? store = null)
{
    private readonly IKvStore _store = store ?? new MemoryKvStore();

    /// <summary>The index of the last entry applied (or of the snapshot restored).</summary>
    public ulong AppliedIndex => _store.AppliedIndex;

    public long Count => _store.Count;

    public IKvStore Store => _store;

    /// <summary>Applies the entry; null for entries that carry no command (the leader's empty entry, conf changes) or were applied before.</summary>
    public KvResult? Apply(RaftEntry entry)
    {
        if (entry.Index <= AppliedIndex) return null;
        _store.SetAppliedIndex(entry.Index);
        if (entry.Type != EntryType.Normal || entry.Data.IsEmpty) return null;
        return Apply(KvCommand.Decode(entry.Data.Span));
    }

    /// <summary>Makes the entries applied since the last call one atomic change of the store.</summary>
    public void Commit() => _store.Commit();

    private KvResult Apply(KvCommand command)
    {
        if (_store.TryGetSession(command.ClientId, out var sequence, out var previous) && command.Sequence <= sequence)
        {
            // A retry of a request already applied: answer as the first time, change nothing.
            return previous;
        }
        KvResult result;
        if (command.Op == KvOp.Put)
        {
            // A put answers only "done": no read of the value it replaces (the hot path of the store).
            _store.Put(command.Key, command.Value ?? "");
            result = new KvResult(true, null);
            _store.SetSession(command.ClientId, command.Sequence, result);
            return result;
        }
        var current = _store.Get(command.Key);
        switch (command.Op)
        {
            case KvOp.Cas when current == command.Expected:
                _store.Put(command.Key, command.Value ?? "");
                result = new KvResult(true, current);
                break;
            case KvOp.Cas:
                result = new KvResult(false, current);
                break;
            case KvOp.Delete:
                if (current is not null) _store.Delete(command.Key);
                result = new KvResult(current is not null, current);
                break;
            default:
                result = new KvResult(true, current);
                break;
        }
        _store.SetSession(command.ClientId, command.Sequence, result);
        return result;
    }

    /// <summary>Reads a key at the applied state (callers ensure linearizability through ReadIndex or a lease).</summary>
    public string? Read(string key) => _store.Get(key);

    /// <summary>Serializes the data and sessions: applied index, then counts and length-prefixed UTF-8 strings.</summary>
    public byte[] Snapshot()
    {
        using var capture = _store.Capture();
        return Encode(capture);
    }

    /// <summary>A consistent view of the state to encode later, on another thread, with <see cref="Encode"/> (then dispose it).</summary>
    public IKvStoreCapture Capture() => _store.Capture();

    /// <summary>Encodes a captured state in the format <see cref="Restore"/> reads.</summary>
    public static byte[] Encode(IKvStoreCapture capture)
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
        U64(capture.AppliedIndex);
        var countAt = stream.Position;
        U64(0);
        ulong count = 0;
        foreach (var (k, v) in capture.Data()) { Str(k); Str(v); count++; }
        var sessionsAt = stream.Position;
        U64(0);
        ulong sessions = 0;
        foreach (var (session, seq, result) in capture.Sessions())
        {
            U64(session);
            U64(seq);
            U64(result.Succeeded ? 1UL : 0UL);
            Str(result.Value);
            sessions++;
        }
        var bytesOut = stream.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(bytesOut.AsSpan((int)countAt), count);
        BinaryPrimitives.WriteUInt64LittleEndian(bytesOut.AsSpan((int)sessionsAt), sessions);
        return bytesOut;
    }

    /// <summary>Replaces the state with a snapshot taken by <see cref="Snapshot"/> and commits it; throws <see cref="FormatException"/> on malformed data.</summary>
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
        // Parse everything before touching the store, so a malformed snapshot changes nothing.
        var data = new List<(string, string)>();
        var sessions = new List<(ulong, ulong, KvResult)>();
        ulong applied = 0;
        if (!snapshot.IsEmpty)
        {
            applied = U64(snapshot);
            var count = U64(snapshot);
            for (ulong i = 0; i < count; i++)
            {
                var k = Str(snapshot) ?? throw new FormatException("kv snapshot: null key");
                data.Add((k, Str(snapshot) ?? ""));
            }
            var sessionCount = U64(snapshot);
            for (ulong i = 0; i < sessionCount; i++)
            {
                var session = U64(snapshot);
                var seq = U64(snapshot);
                var ok = U64(snapshot) == 1;
                sessions.Add((session, seq, new KvResult(ok, Str(snapshot))));
            }
            if (at != snapshot.Length) throw new FormatException("kv snapshot: trailing bytes");
        }
        _store.Clear();
        foreach (var (k, v) in data) _store.Put(k, v);
        foreach (var (session, seq, result) in sessions) _store.SetSession(session, seq, result);
        _store.SetAppliedIndex(applied);
        _store.Commit();
    }

    /// <summary>Sets the applied index after a snapshot restore (the snapshot's index) and commits.</summary>
    public void SetAppliedIndex(ulong index)
    {
        _store.SetAppliedIndex(index);
        _store.Commit();
    }
}
