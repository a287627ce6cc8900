namespace Tusk.Raft;

/// <summary>
/// The durable part of a node's log, as the core reads it. The core never writes through this interface: the
/// host persists what a <see cref="RaftReady"/> asks for, updates the storage, and only then reports it with
/// <see cref="RaftNode.OnPersisted"/>. Everything returned describes durable state.
/// Called only from the thread that drives the node.
/// </summary>
public interface IRaftStorage
{
    /// <summary>The persisted hard state and the configuration of the latest snapshot.</summary>
    HardState HardState { get; }

    /// <summary>The metadata of the latest snapshot (<see cref="SnapshotMetadata.Empty"/> if none).</summary>
    SnapshotMetadata SnapshotMetadata { get; }

    /// <summary>The first index with an entry available: snapshot index + 1.</summary>
    ulong FirstIndex { get; }

    /// <summary>The last persisted index (the snapshot's index if no entries follow it).</summary>
    ulong LastIndex { get; }

    /// <summary>The term of the entry at <paramref name="index"/>; false if it is compacted (below the snapshot) or beyond <see cref="LastIndex"/>.
    /// The snapshot's own index answers with the snapshot's term.</summary>
    bool TryGetTerm(ulong index, out ulong term);

    /// <summary>Adds the entries in [<paramref name="low"/>, <paramref name="high"/>) to <paramref name="into"/>, stopping once
    /// <paramref name="maxBytes"/> is reached (always at least one entry). Requires FirstIndex ≤ low &lt; high ≤ LastIndex + 1.</summary>
    void GetEntries(ulong low, ulong high, long maxBytes, List<RaftEntry> into);

    /// <summary>The latest snapshot, for sending to a follower that is behind the compacted log.</summary>
    RaftSnapshot GetSnapshot();
}
