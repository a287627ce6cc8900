using Tusk.Core;

namespace Tusk.Raft;

/// <summary>
/// A node's view of its log: the durable part in <see cref="IRaftStorage"/> followed by the unstable part held
/// here (entries and possibly a snapshot not yet reported durable). Entries move from unstable to storage when
/// the host reports them persisted (<see cref="StableTo"/>). Single-threaded, owned by one <see cref="RaftNode"/>.
/// </summary>
internal sealed class RaftLog
{
    private readonly IRaftStorage _storage;

    // The unstable part. Invariant: _unstable[i].Index == _offset + i. _offset is the index the next unstable
    // entry gets, even when _unstable is empty. Everything below _offset is durable in storage (or covered by
    // the pending snapshot).
    private readonly List<RaftEntry> _unstable = [];
    private ulong _offset;

    // Invariant: _offset <= _inProgress <= _offset + _unstable.Count. Entries below _inProgress have been handed
    // to the host for persistence and not yet reported durable.
    private ulong _inProgress;

    // A snapshot received from the leader and not yet reported durable. Invariant: if set, _offset == its index + 1.
    private RaftSnapshot? _pendingSnapshot;
    private bool _snapshotInProgress;

    public RaftLog(IRaftStorage storage)
    {
        _storage = storage;
        _offset = storage.LastIndex + 1;
        _inProgress = _offset;
        Committed = storage.HardState.Commit;
        if (Committed < storage.SnapshotMetadata.Index) Committed = storage.SnapshotMetadata.Index;
        if (Committed > storage.LastIndex)
            throw new CorruptionException("raft hard state", 0, $"commit {Committed} is beyond the last durable index {storage.LastIndex}");
        Applying = storage.SnapshotMetadata.Index;
    }

    public IRaftStorage Storage => _storage;

    /// <summary>The highest index known to be committed. Invariant: Applying ≤ Committed ≤ LastIndex.</summary>
    public ulong Committed { get; private set; }

    /// <summary>The highest index handed out to the host for applying (or covered by a handed-out snapshot).</summary>
    public ulong Applying { get; set; }

    public ulong FirstIndex => _pendingSnapshot is { } s ? s.Metadata.Index + 1 : _storage.FirstIndex;

    public ulong LastIndex => _unstable.Count > 0 ? _offset + (ulong)_unstable.Count - 1
        : _pendingSnapshot is { } s ? s.Metadata.Index
        : _offset - 1;

    public ulong LastTerm => Term(LastIndex);

    /// <summary>The highest index durable on this node: everything up to it has been reported persisted.</summary>
    public ulong PersistedIndex => _pendingSnapshot is null ? _offset - 1 : _storage.SnapshotMetadata.Index;

    public bool HasPendingSnapshot => _pendingSnapshot is not null;

    public bool TryTerm(ulong index, out ulong term)
    {
        if (_pendingSnapshot is { } snap)
        {
            if (index == snap.Metadata.Index) { term = snap.Metadata.Term; return true; }
            if (index < snap.Metadata.Index) { term = 0; return false; }
        }
        if (index >= _offset)
        {
            var i = index - _offset;
            if (i < (ulong)_unstable.Count) { term = _unstable[(int)i].Term; return true; }
            term = 0;
            return false;
        }
        return _storage.TryGetTerm(index, out term);
    }

    /// <summary>The term at <paramref name="index"/>, or 0 if the entry is compacted or does not exist.</summary>
    public ulong Term(ulong index) => TryTerm(index, out var t) ? t : 0;

    public bool MatchTerm(ulong index, ulong term) => TryTerm(index, out var t) && t == term;

    /// <summary>Raft §5.4.1: is a candidate's log (lastIndex, lastTerm) at least as up to date as ours?</summary>
    public bool IsUpToDate(ulong lastIndex, ulong lastTerm)
    {
        var ourTerm = LastTerm;
        return lastTerm > ourTerm || (lastTerm == ourTerm && lastIndex >= LastIndex);
    }

    /// <summary>Entries in [low, high), at most <paramref name="maxBytes"/> (at least one). False if low is compacted.</summary>
    public bool TryEntries(ulong low, ulong high, long maxBytes, List<RaftEntry> into)
    {
        if (low < FirstIndex) return false;
        high = Math.Min(high, LastIndex + 1);
        if (low >= high) return true;
        var startCount = into.Count;
        if (low < _offset)
        {
            var storageHigh = Math.Min(high, _offset);
            _storage.GetEntries(low, storageHigh, maxBytes, into);
            if ((ulong)(into.Count - startCount) < storageHigh - low) return true;  // the byte limit stopped it
            low = storageHigh;
        }
        long bytes = 0;
        for (var i = startCount; i < into.Count; i++) bytes += into[i].SizeBytes;
        for (var index = low; index < high; index++)
        {
            var e = _unstable[(int)(index - _offset)];
            bytes += e.SizeBytes;
            if (bytes > maxBytes && into.Count > startCount) break;
            into.Add(e);
        }
        return true;
    }

    /// <summary>
    /// Follower side of AppendEntries: if our log has (prevIndex, prevTerm), appends the entries that are new,
    /// truncating a conflicting suffix, and advances the commit index. Returns the last index known to match the
    /// leader, or null if prevIndex/prevTerm does not match.
    /// </summary>
    public ulong? MaybeAppend(ulong prevIndex, ulong prevTerm, ulong leaderCommit, RaftEntry[] entries)
    {
        if (!MatchTerm(prevIndex, prevTerm)) return null;
        var lastNew = prevIndex + (ulong)entries.Length;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            Invariant.Check(conflict > Committed, $"raft: entry {conflict} conflicts with the committed prefix (commit {Committed})");
            Append(entries.AsSpan((int)(conflict - prevIndex - 1)));
        }
        CommitTo(Math.Min(leaderCommit, lastNew));
        return lastNew;
    }

    /// <summary>The index of the first entry whose term differs from ours or that we lack; 0 if we hold all of them.</summary>
    private ulong FindConflict(RaftEntry[] entries)
    {
        foreach (var e in entries)
        {
            if (!MatchTerm(e.Index, e.Term)) return e.Index;
        }
        return 0;
    }

    /// <summary>
    /// Fast log backtracking: the largest index ≤ <paramref name="index"/> whose term is ≤ <paramref name="term"/>,
    /// and that term. Entries after it cannot match an entry of term ≤ <paramref name="term"/>.
    /// </summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        index = Math.Min(index, LastIndex);
        while (true)
        {
            if (!TryTerm(index, out var t)) return (index, 0);
            if (t <= term) return (index, t);
            if (index == 0) return (0, 0);
            index--;
        }
    }

    /// <summary>Appends entries whose first index may overwrite an unstable or durable suffix.</summary>
    public void Append(ReadOnlySpan<RaftEntry> entries)
    {
        if (entries.IsEmpty) return;
        var after = entries[0].Index;
        Invariant.Check(after > Committed, $"raft: append at {after} would overwrite committed entries (commit {Committed})");
        var end = _offset + (ulong)_unstable.Count;
        if (after == end)
        {
            // Plain append.
        }
        else if (after <= _offset)
        {
            // Replace the whole unstable part; the host truncates the durable suffix from `after` when it persists.
            _unstable.Clear();
            _offset = after;
            _pendingSnapshot = null;
            _snapshotInProgress = false;
        }
        else
        {
            Invariant.Check(after < end, $"raft: append at {after} leaves a gap after {end - 1}");
            _unstable.RemoveRange((int)(after - _offset), (int)(end - after));
        }
        _inProgress = Math.Min(_inProgress, after);
        if (_inProgress < _offset) _inProgress = _offset;
        foreach (var e in entries) _unstable.Add(e);
    }

    public void CommitTo(ulong index)
    {
        if (index <= Committed) return;
        Invariant.Check(index <= LastIndex, $"raft: commit {index} is beyond the last index {LastIndex}");
        Committed = index;
    }

    /// <summary>Leader side: commits <paramref name="index"/> if its entry is from <paramref name="term"/> (Raft §5.4.2).</summary>
    public bool MaybeCommit(ulong index, ulong term)
    {
        if (index > Committed && Term(index) == term)
        {
            CommitTo(index);
            return true;
        }
        return false;
    }

    /// <summary>Replaces the log with a snapshot from the leader; the host persists it from the next ready.</summary>
    public void Restore(RaftSnapshot snapshot)
    {
        _pendingSnapshot = snapshot;
        _snapshotInProgress = false;
        _unstable.Clear();
        _offset = snapshot.Metadata.Index + 1;
        _inProgress = _offset;
        Committed = snapshot.Metadata.Index;
    }

    /// <summary>Entries to hand to the host for persistence: unstable and not yet handed out.</summary>
    public void TakeUnstableEntries(List<RaftEntry> into)
    {
        var end = _offset + (ulong)_unstable.Count;
        for (var i = _inProgress; i < end; i++) into.Add(_unstable[(int)(i - _offset)]);
        _inProgress = end;
    }

    public bool HasUnstableEntriesToTake => _inProgress < _offset + (ulong)_unstable.Count;

    public RaftSnapshot? TakePendingSnapshot()
    {
        if (_pendingSnapshot is null || _snapshotInProgress) return null;
        _snapshotInProgress = true;
        return _pendingSnapshot;
    }

    public bool HasPendingSnapshotToTake => _pendingSnapshot is not null && !_snapshotInProgress;

    /// <summary>The host reports entries up to (index, term) durable. Ignored if the entry was replaced meanwhile.</summary>
    public void StableTo(ulong index, ulong term)
    {
        if (index < _offset) return;
        var i = index - _offset;
        if (i >= (ulong)_unstable.Count || _unstable[(int)i].Term != term) return;
        _unstable.RemoveRange(0, (int)i + 1);
        _offset = index + 1;
        if (_inProgress < _offset) _inProgress = _offset;
    }

    public void StableSnapshotTo(ulong index)
    {
        if (_pendingSnapshot is { } s && s.Metadata.Index == index && _snapshotInProgress) _pendingSnapshot = null;
    }

    /// <summary>Committed, durable entries not yet handed out for applying, at most <paramref name="maxBytes"/> (at least one).</summary>
    public void TakeCommittedEntries(long maxBytes, List<RaftEntry> into)
    {
        if (_pendingSnapshot is not null) return;
        var high = Math.Min(Committed, PersistedIndex);
        if (Applying >= high) return;
        var start = into.Count;
        TryEntries(Applying + 1, high + 1, maxBytes, into);
        if (into.Count > start) Applying = into[^1].Index;
    }

    public bool HasCommittedEntriesToTake => _pendingSnapshot is null && Applying < Math.Min(Committed, PersistedIndex);

    public override string ToString() =>
        $"committed={Committed} applying={Applying} persisted={PersistedIndex} last={LastIndex} unstable={_offset}+{_unstable.Count}";
}
