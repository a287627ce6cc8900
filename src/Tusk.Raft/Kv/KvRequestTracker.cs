namespace Tusk.Raft.Kv;

/// <summary>How a host answers a client request.</summary>
public enum KvAnswer : byte
{
    /// <summary>Done: the result is in <see cref="KvResult"/>.</summary>
    Ok,

    /// <summary>The attempt did not take effect (its entry was replaced), or its outcome must be learnt by retrying the same request.</summary>
    Retry,

    /// <summary>This node cannot serve it now (not the leader, or leadership changed): try the leader.</summary>
    NotLeader,
}

/// <summary>
/// The client requests a Raft KV host has in flight, and when each is answered, for every host alike (the real
/// node and the simulated one): a write waits for its log entry to be applied (Ok if the entry at its index has its
/// term, Retry if another entry took the index or a snapshot covered it); a read waits for its ReadIndex to be
/// confirmed and then for the state machine to reach that index; reads the core dropped because this node's term or
/// role changed are answered NotLeader. <typeparamref name="TClient"/> identifies a request to the host; answers go
/// to the callback given at construction. Single-threaded: the host's loop.
/// </summary>
public sealed class KvRequestTracker<TClient>(Action<TClient, KvAnswer, KvResult> answer)
{
    private readonly SortedDictionary<ulong, (TClient Client, ulong Term)> _writes = [];
    private readonly Dictionary<ulong, (TClient Client, string Key)> _reads = [];
    private readonly List<(ulong Index, TClient Client, string Key)> _readsAwaitingApply = [];
    private ulong _nextReadId;
    private ulong _readsTerm;
    private RaftRole _readsRole;

    /// <summary>Requests not answered yet.</summary>
    public int Pending => _writes.Count + _reads.Count + _readsAwaitingApply.Count;

    /// <summary>A proposed write whose entry is at (<paramref name="index"/>, <paramref name="term"/>).</summary>
    public void AddWrite(ulong index, ulong term, TClient client) => _writes[index] = (client, term);

    /// <summary>Starts a linearizable read: <paramref name="readIndex"/> asks the core (its <see cref="RaftNode.ReadIndex"/>); NotLeader if it cannot.</summary>
    public void AddRead(TClient client, string key, Func<ulong, bool> readIndex)
    {
        var id = ++_nextReadId;
        if (readIndex(id)) _reads[id] = (client, key);
        else answer(client, KvAnswer.NotLeader, default);
    }

    /// <summary>After the host handled a ready: answers what it settles. Call after applying its committed entries.</summary>
    public void OnReady(RaftReady ready, ulong term, KvStateMachine state)
    {
        if (ready.Snapshot is { } snapshot) AnswerWritesThrough(snapshot.Metadata.Index, null);
        if (term != _readsTerm || ready.Role != _readsRole)
        {
            // The core drops the reads it has not confirmed when the term or role changes.
            _readsTerm = term;
            _readsRole = ready.Role;
            foreach (var (client, _) in _reads.Values) answer(client, KvAnswer.NotLeader, default);
            _reads.Clear();
        }
        foreach (var rs in ready.ReadStates)
        {
            if (_reads.Remove(rs.RequestId, out var read)) _readsAwaitingApply.Add((rs.Index, read.Client, read.Key));
        }
        for (var i = 0; i < _readsAwaitingApply.Count; i++)
        {
            var (index, client, key) = _readsAwaitingApply[i];
            if (index > state.AppliedIndex) continue;
            answer(client, KvAnswer.Ok, new KvResult(true, state.Read(key)));
            _readsAwaitingApply.RemoveAt(i--);
        }
    }

    /// <summary>The host applied <paramref name="entry"/> with <paramref name="result"/>: answers the writes up to its index.</summary>
    public void OnApplied(RaftEntry entry, KvResult? result) => AnswerWritesThrough(entry.Index, (entry, result));

    private void AnswerWritesThrough(ulong index, (RaftEntry Entry, KvResult? Result)? applied)
    {
        while (_writes.Count > 0)
        {
            using var first = _writes.GetEnumerator();
            first.MoveNext();
            var (writeIndex, (client, term)) = first.Current;
            if (writeIndex > index) return;
            _writes.Remove(writeIndex);
            if (applied is { } a && writeIndex == a.Entry.Index && term == a.Entry.Term && a.Result is { } r) answer(client, KvAnswer.Ok, r);
            else answer(client, KvAnswer.Retry, default);
        }
    }

    /// <summary>Forgets every request without answering (the host stopped; its clients time out).</summary>
    public void Clear()
    {
        _writes.Clear();
        _reads.Clear();
        _readsAwaitingApply.Clear();
    }
}
