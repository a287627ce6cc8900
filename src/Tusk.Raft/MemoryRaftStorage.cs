namespace Tusk.Raft;

/// <summary>
/// An <see cref="IRaftStorage"/> kept in memory: the reference implementation, used directly by tests and the
/// simulator and as the in-memory index of <see cref="DurableRaftStorage"/>. Memory grows with the entries since
/// the last <see cref="CreateSnapshotAndCompact"/>. Not thread-safe.
/// </summary>
public class MemoryRaftStorage : IRaftStorage
{
    // Invariant: _entries[i].Index == _snapshot.Metadata.Index + 1 + i.
    private readonly List<RaftEntry> _entries = [];
    private RaftSnapshot _snapshot = new(SnapshotMetadata.Empty, ReadOnlyMemory<byte>.Empty);

    public HardState HardState { get; private set; }

    public SnapshotMetadata SnapshotMetadata => _snapshot.Metadata;

    public ulong FirstIndex => _snapshot.Metadata.Index + 1;

    public ulong LastIndex => _snapshot.Metadata.Index + (ulong)_entries.Count;

    /// <summary>Number of entries held (after the snapshot).</summary>
    public int EntryCount => _entries.Count;

    public bool TryGetTerm(ulong index, out ulong term)
    {
        var snap = _snapshot.Metadata.Index;
        if (index == snap) { term = _snapshot.Metadata.Term; return true; }
        if (index < snap || index > LastIndex) { term = 0; return false; }
        term = _entries[(int)(index - snap - 1)].Term;
        return true;
    }

    public void GetEntries(ulong low, ulong high, long maxBytes, List<RaftEntry> into)
    {
        if (low < FirstIndex || high > LastIndex + 1 || low >= high)
            throw new ArgumentOutOfRangeException(nameof(low), $"entries [{low}, {high}) outside [{FirstIndex}, {LastIndex + 1})");
        var snap = _snapshot.Metadata.Index;
        long bytes = 0;
        for (var i = low; i < high; i++)
        {
            var e = _entries[(int)(i - snap - 1)];
            bytes += e.SizeBytes;
            if (bytes > maxBytes && i > low) break;
            into.Add(e);
        }
    }

    public RaftSnapshot GetSnapshot() => _snapshot;

    /// <summary>Records the hard state as persisted.</summary>
    public virtual void SetHardState(HardState state) => HardState = state;

    /// <summary>Appends entries, first dropping any held entries at or after the first new index (a conflicting suffix).</summary>
    public virtual void Append(IReadOnlyList<RaftEntry> entries)
    {
        if (entries.Count == 0) return;
        var first = entries[0].Index;
        if (first < FirstIndex) throw new ArgumentException($"append at {first} below the first index {FirstIndex}");
        if (first > LastIndex + 1) throw new ArgumentException($"append at {first} leaves a gap after {LastIndex}");
        var keep = (int)(first - FirstIndex);
        if (keep < _entries.Count) _entries.RemoveRange(keep, _entries.Count - keep);
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Index != first + (ulong)i) throw new ArgumentException("entries are not contiguous");
            _entries.Add(entries[i]);
        }
    }

    /// <summary>Replaces the whole log with <paramref name="snapshot"/> (a follower installing the leader's snapshot).</summary>
    public virtual void ApplySnapshot(RaftSnapshot snapshot)
    {
        if (snapshot.Metadata.Index < _snapshot.Metadata.Index) throw new ArgumentException("snapshot is older than the one held");
        _snapshot = snapshot;
        _entries.Clear();
    }

    /// <summary>
    /// Records a snapshot of the state machine taken at <paramref name="index"/> (≤ the applied index) and drops
    /// the entries it covers, keeping the log from index + 1. Entries beyond the snapshot stay.
    /// </summary>
    public virtual void CreateSnapshotAndCompact(ulong index, ConfState conf, ReadOnlyMemory<byte> data)
    {
        if (index <= _snapshot.Metadata.Index) return;
        if (index > LastIndex) throw new ArgumentException($"snapshot index {index} beyond the last index {LastIndex}");
        TryGetTerm(index, out var term);
        var drop = (int)(index - _snapshot.Metadata.Index);
        _entries.RemoveRange(0, drop);
        _snapshot = new RaftSnapshot(new SnapshotMetadata(index, term, conf), data);
    }
}
