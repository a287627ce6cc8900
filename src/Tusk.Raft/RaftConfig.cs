namespace Tusk.Raft;

/// <summary>How a leader confirms it is still the leader before serving a read.</summary>
public enum ReadOnlyOption
{
    /// <summary>ReadIndex: a heartbeat round acknowledged by a quorum after the read arrived. Safe under any clock behaviour.</summary>
    Safe,

    /// <summary>
    /// Lease: a leader that heard from a quorum within the lease serves reads at once. Correct only if no node's
    /// tick rate differs from another's by more than <see cref="RaftConfig.MaxClockDriftFraction"/> (and ticks are
    /// not paused for longer than the lease, e.g. by a stalled VM). Requires <see cref="RaftConfig.CheckQuorum"/>.
    /// </summary>
    LeaseBased,
}

/// <summary>Settings of one Raft node. Validated by <see cref="Validate"/> when the node is built.</summary>
public sealed record RaftConfig
{
    /// <summary>This node's id; never 0.</summary>
    public required ulong Id { get; init; }

    /// <summary>The group id stamped on every message (multi-Raft); 0 for a single group.</summary>
    public ulong Group { get; init; }

    /// <summary>
    /// The voters of a brand-new group. Used only when storage is empty: the node then writes the bootstrap
    /// entry (index 1, term 1, set-voters), identical on every initial member. Empty for a node joining later.
    /// </summary>
    public ulong[] InitialVoters { get; init; } = [];

    /// <summary>A follower campaigns after a random timeout in [ElectionTicks, 2 × ElectionTicks) without word from a leader.</summary>
    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Pre-vote (dissertation §9.6): a node rejoining after a partition does not disrupt a working leader.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader steps down when it has not heard from a quorum in an election timeout; followers ignore
    /// votes while they have a live leader (leader stickiness).</summary>
    public bool CheckQuorum { get; init; } = true;

    public ReadOnlyOption ReadOnly { get; init; } = ReadOnlyOption.Safe;

    /// <summary>The most a node's tick rate may differ from another's, as a fraction (0.1 = 10 %). Shortens the lease.</summary>
    public double MaxClockDriftFraction { get; init; } = 0.1;

    /// <summary>Entry bytes per Append message (at least one entry is always sent).</summary>
    public int MaxSizePerMessageBytes { get; init; } = 1 << 20;

    /// <summary>Append messages in flight to one follower in the replicate state.</summary>
    public int MaxInflightMessages { get; init; } = 256;

    /// <summary>Entry bytes in flight to one follower; 0 = no byte limit beyond the message count.</summary>
    public long MaxInflightBytes { get; init; } = 32L << 20;

    /// <summary>Uncommitted entry bytes a leader accepts before it drops proposals (back-pressure); 0 = no limit.</summary>
    public long MaxUncommittedEntriesBytes { get; init; } = 64L << 20;

    /// <summary>Committed entry bytes handed out for applying in one <see cref="RaftReady"/>.</summary>
    public long MaxCommittedBytesPerReady { get; init; } = 16L << 20;

    /// <summary>Snapshot bytes per Snapshot message.</summary>
    public int SnapshotChunkBytes { get; init; } = 1 << 20;

    /// <summary>A learner is promoted to voter only when it is at most this many entries behind the leader.</summary>
    public ulong LearnerCatchUpEntries { get; init; } = 1000;

    /// <summary>
    /// The index the state machine had applied (durably) when this node was built; entries after it and up to
    /// the commit index are handed out again. 0 = the snapshot's index.
    /// </summary>
    public ulong Applied { get; init; }

    public void Validate()
    {
        if (Id == 0) throw new ArgumentException("raft: Id must not be 0");
        if (HeartbeatTicks <= 0) throw new ArgumentException("raft: HeartbeatTicks must be positive");
        if (ElectionTicks <= HeartbeatTicks) throw new ArgumentException("raft: ElectionTicks must be greater than HeartbeatTicks");
        if (MaxSizePerMessageBytes <= 0 || MaxInflightMessages <= 0 || SnapshotChunkBytes <= 0 || MaxCommittedBytesPerReady <= 0)
            throw new ArgumentException("raft: message, in-flight, chunk and ready limits must be positive");
        if (MaxInflightBytes < 0 || MaxUncommittedEntriesBytes < 0) throw new ArgumentException("raft: byte limits must not be negative");
        if (MaxClockDriftFraction is < 0 or >= 0.5) throw new ArgumentException("raft: MaxClockDriftFraction must be in [0, 0.5)");
        if (ReadOnly == ReadOnlyOption.LeaseBased && !CheckQuorum) throw new ArgumentException("raft: lease reads require CheckQuorum");
        if (InitialVoters.Contains(0UL)) throw new ArgumentException("raft: voter id 0 is reserved");
    }
}
