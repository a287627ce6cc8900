namespace Tusk.Raft;

public enum RaftRole : byte
{
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}

/// <summary>
/// A batch of work for the host, taken with <see cref="RaftNode.TakeReady"/>. The host handles the fields in this
/// order and contract (the asynchronous-storage contract of etcd's raft, stated as fields):
/// <list type="number">
/// <item><see cref="Messages"/>: send now, in any order, even while this ready's persistence is in flight (a leader's
/// Appends go out while its own fsync runs).</item>
/// <item><see cref="Snapshot"/>, then <see cref="Entries"/> (truncating any durable entries at or after the first
/// entry's index), then <see cref="HardState"/>: persist durably, then update the <see cref="IRaftStorage"/> and call
/// <see cref="RaftNode.OnPersisted"/> with this ready. Persistence of successive readies may be batched into one
/// fsync but must complete in the order the readies were taken. A ready with nothing to persist still completes in
/// that order.</item>
/// <item><see cref="MessagesAfterPersist"/>: send only after <see cref="RaftNode.OnPersisted"/> for this ready (vote
/// grants and append acknowledgements promise durable state).</item>
/// <item><see cref="CommittedEntries"/>: apply in order, after restoring <see cref="Snapshot"/> into the state machine
/// if there is one. They are already durable locally, so applying may overlap step 2 of later readies.</item>
/// <item><see cref="ReadStates"/>: serve each read once the state machine has applied its index.</item>
/// </list>
/// </summary>
public sealed class RaftReady
{
    internal static readonly RaftReady Empty = new();

    /// <summary>Set if the hard state changed since the last ready.</summary>
    public HardState? HardState { get; internal set; }

    public IReadOnlyList<RaftEntry> Entries { get; internal set; } = [];

    public RaftSnapshot? Snapshot { get; internal set; }

    public IReadOnlyList<RaftMessage> Messages { get; internal set; } = [];

    public IReadOnlyList<RaftMessage> MessagesAfterPersist { get; internal set; } = [];

    public IReadOnlyList<RaftEntry> CommittedEntries { get; internal set; } = [];

    public IReadOnlyList<ReadState> ReadStates { get; internal set; } = [];

    /// <summary>The configuration after the committed entries of this ready (conf changes take effect when committed entries are handed out).</summary>
    public ConfState Conf { get; internal set; } = ConfState.Empty;

    public RaftRole Role { get; internal set; }

    /// <summary>The leader this node knows of, 0 if none.</summary>
    public ulong Leader { get; internal set; }

    /// <summary>True if something must be made durable before <see cref="RaftNode.OnPersisted"/>.</summary>
    public bool MustPersist => HardState is not null || Entries.Count > 0 || Snapshot is not null;

    // Messages to this node itself, stepped by OnPersisted (a leader's own acknowledgement, a candidate's own vote).
    internal List<RaftMessage> SelfMessages { get; } = [];

    internal ulong Sequence { get; set; }

    public override string ToString()
    {
        var parts = new List<string>();
        if (HardState is { } hs) parts.Add("HardState " + hs);
        if (Snapshot is { } s) parts.Add("Snapshot " + s);
        if (Entries.Count > 0) parts.Add("Entries: " + string.Join(", ", Entries));
        if (Messages.Count > 0) parts.Add("Messages: " + string.Join("; ", Messages));
        if (MessagesAfterPersist.Count > 0) parts.Add("AfterPersist: " + string.Join("; ", MessagesAfterPersist));
        if (CommittedEntries.Count > 0) parts.Add("Committed: " + string.Join(", ", CommittedEntries));
        if (ReadStates.Count > 0) parts.Add("ReadStates: " + string.Join(", ", ReadStates));
        return string.Join("\n", parts);
    }
}

public enum ProposeStatus : byte
{
    Ok,

    /// <summary>This node is not the leader; <see cref="ProposeResult.LeaderHint"/> names the leader if known.</summary>
    NotLeader,

    /// <summary>The leader is transferring leadership, or too many uncommitted bytes are pending: retry later.</summary>
    Dropped,

    /// <summary>A membership change is still pending (one at a time), or the leader has not committed an entry in its term yet.</summary>
    ConfChangePending,

    /// <summary>The change is not allowed (e.g. promoting a learner that has not caught up, or removing the last voter).</summary>
    Rejected,
}

/// <summary>The outcome of a proposal. On <see cref="ProposeStatus.Ok"/>, the entry is at (<see cref="Index"/>, <see cref="Term"/>):
/// it committed if an entry with that index and term is later handed out, and it was lost if another term's entry is.</summary>
public readonly record struct ProposeResult(ProposeStatus Status, ulong Index, ulong Term, ulong LeaderHint, string? Reason = null)
{
    public bool IsOk => Status == ProposeStatus.Ok;
}

/// <summary>A snapshot of a node's state for status displays and tests.</summary>
public readonly record struct RaftStatus(
    ulong Id, RaftRole Role, ulong Term, ulong Vote, ulong Leader, ulong Commit, ulong Applying, ulong LastIndex, ulong PersistedIndex,
    ConfState Conf, IReadOnlyDictionary<ulong, (ulong Match, ulong Next, string State)> Progress);
