namespace Tusk.Streams.Groups;

/// <summary>
/// Timeouts and limits of a <see cref="GroupCoordinator"/>. Defaults follow Apache Kafka's broker settings
/// where Kafka has one (named in each summary); the rest are Tusk's bounds (ARCHITECTURE.md principle 7).
/// Validated by the coordinator's constructor.
/// </summary>
public sealed class GroupCoordinatorOptions
{
    /// <summary>Smallest session timeout a member may ask for (group.min.session.timeout.ms).</summary>
    public int GroupMinSessionTimeoutMs { get; init; } = 6_000;

    /// <summary>Largest session timeout a member may ask for (group.max.session.timeout.ms).</summary>
    public int GroupMaxSessionTimeoutMs { get; init; } = 1_800_000;

    /// <summary>
    /// How long the first rebalance of an empty group waits for more members before completing, extended by
    /// each new member up to the rebalance timeout (group.initial.rebalance.delay.ms). 0 disables the delay.
    /// </summary>
    public int InitialRebalanceDelayMs { get; init; } = 3_000;

    /// <summary>
    /// How long a member that has never completed a join may wait in a rebalance before it is dropped: its
    /// session timer cannot run while its first JoinGroup is parked (Kafka's NewMemberJoinTimeoutMs, KIP-394).
    /// </summary>
    public int NewMemberJoinTimeoutMs { get; init; } = 300_000;

    /// <summary>Longest metadata string stored with an offset, in UTF-8 bytes (offset.metadata.max.bytes).</summary>
    public int OffsetMetadataBytesMax { get; init; } = 4_096;

    /// <summary>
    /// How long offsets of an empty group are kept after the group became empty or after their last commit,
    /// whichever is later (offsets.retention.minutes, 7 days).
    /// </summary>
    public long OffsetsRetentionMs { get; init; } = 7L * 24 * 3600 * 1000;

    /// <summary>Most groups (live or holding offsets); new groups beyond it get COORDINATOR_NOT_AVAILABLE.</summary>
    public int GroupsMax { get; init; } = 10_000;

    /// <summary>
    /// Most members of one group (group.max.size): joins beyond it get GROUP_MAX_SIZE_REACHED. Members waiting
    /// to rejoin with an assigned id (MEMBER_ID_REQUIRED) count too.
    /// </summary>
    public int MembersPerGroupMax { get; init; } = 1_000;

    /// <summary>Most members over all groups (members and members waiting to rejoin with an assigned id).</summary>
    public int MembersMax { get; init; } = 100_000;

    /// <summary>Most offset batches handed to the host and not yet completed; commits beyond it are refused.</summary>
    public int PendingCommitsMax { get; init; } = 10_000;

    /// <summary>Most committed partitions one group may hold; commits of further partitions are refused.</summary>
    public int OffsetsPerGroupMax { get; init; } = 100_000;

    /// <summary>Largest total of protocol names and metadata one member may send in a JoinGroup, in bytes.</summary>
    public int MemberProtocolBytesMax { get; init; } = 1 << 20;

    /// <summary>Largest assignment the leader may give one member, in bytes.</summary>
    public int AssignmentBytesMax { get; init; } = 1 << 20;

    /// <summary>
    /// Most requests parked in the coordinator at once (JoinGroup and SyncGroup waiting for the rebalance,
    /// OffsetCommit waiting for persistence). Derived rather than configured: a member parks at most one
    /// request at a time (a newer JoinGroup or SyncGroup answers the older one), so parked requests never
    /// exceed <see cref="MembersMax"/> + <see cref="PendingCommitsMax"/>.
    /// </summary>
    public int PendingResponsesMax => MembersMax + PendingCommitsMax;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Require(GroupMinSessionTimeoutMs > 0, nameof(GroupMinSessionTimeoutMs), "must be positive");
        Require(GroupMaxSessionTimeoutMs >= GroupMinSessionTimeoutMs, nameof(GroupMaxSessionTimeoutMs), "must be at least GroupMinSessionTimeoutMs");
        Require(InitialRebalanceDelayMs >= 0, nameof(InitialRebalanceDelayMs), "must not be negative");
        Require(NewMemberJoinTimeoutMs > 0, nameof(NewMemberJoinTimeoutMs), "must be positive");
        Require(OffsetMetadataBytesMax >= 0, nameof(OffsetMetadataBytesMax), "must not be negative");
        Require(OffsetsRetentionMs > 0, nameof(OffsetsRetentionMs), "must be positive");
        Require(GroupsMax > 0, nameof(GroupsMax), "must be positive");
        Require(MembersPerGroupMax > 0, nameof(MembersPerGroupMax), "must be positive");
        Require(MembersMax >= MembersPerGroupMax, nameof(MembersMax), "must be at least MembersPerGroupMax");
        Require(PendingCommitsMax > 0, nameof(PendingCommitsMax), "must be positive");
        Require(OffsetsPerGroupMax > 0, nameof(OffsetsPerGroupMax), "must be positive");
        Require(MemberProtocolBytesMax > 0, nameof(MemberProtocolBytesMax), "must be positive");
        Require(AssignmentBytesMax > 0, nameof(AssignmentBytesMax), "must be positive");
        Require((long)MembersMax + PendingCommitsMax <= int.MaxValue, nameof(MembersMax), "MembersMax + PendingCommitsMax must fit in an int");
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {message}", name);
        }
    }
}
