namespace Tusk.Streams.Groups;

/// <summary>
/// The states of a classic consumer group, as Kafka names them (DescribeGroups reports these names).
/// <code>
///   Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance --leader syncs--> Stable
///     ^                 ^      |  (no member left)                               |                              |
///     |                 |      +------------------------------------------------>|--> Empty                     |
///     |                 +------ member joins / leaves / expires / changes metadata -------------------------------+
///   Dead: removed (empty, no members, no offsets); never visible in a live group.
/// </code>
/// </summary>
public enum GroupState
{
    /// <summary>No members; the group may still hold committed offsets.</summary>
    Empty,

    /// <summary>Waiting for every known member to (re)join, up to the rebalance timeout.</summary>
    PreparingRebalance,

    /// <summary>A generation is chosen; waiting for the leader's assignment (SyncGroup).</summary>
    CompletingRebalance,

    /// <summary>Every member of the current generation can fetch its assignment and heartbeat.</summary>
    Stable,

    /// <summary>The group was removed (nothing left to keep).</summary>
    Dead,
}
