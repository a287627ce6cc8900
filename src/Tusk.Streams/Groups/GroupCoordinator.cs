using System.Text;
using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Groups;

/// <summary>
/// The classic (pre-KIP-848) Kafka consumer-group coordinator as a deterministic, sans-I/O state machine
/// (STYLE.md C2, ARCHITECTURE.md principle 1): group membership, rebalances, generations, assignment hand-off,
/// session expiry, and committed offsets. Behaviour follows Apache Kafka's GroupCoordinator (JoinGroup v4+
/// MEMBER_ID_REQUIRED, delayed joins with the initial rebalance delay, leader election, protocol voting,
/// pending-sync expiry, static membership, generation fencing of commits, KIP-211 offset retention).
///
/// <para><b>Threading.</b> Not thread-safe: one thread (or one lock) serializes every call, as for any core.
/// Nothing inside blocks, sleeps, reads a clock or touches I/O; time arrives as <c>nowMs</c> (a monotonic
/// millisecond clock; a value earlier than one already seen is treated as the latest seen).</para>
///
/// <para><b>Host contract.</b></para>
/// <list type="number">
/// <item>Startup: call <see cref="LoadOffsets"/> with every persisted <see cref="OffsetRecord"/> in write
/// order, before any request.</item>
/// <item>Requests: <see cref="JoinGroup"/>, <see cref="SyncGroup"/> and <see cref="OffsetCommit"/> take a
/// host-chosen request id, unique among requests still unanswered, and answer later through
/// <see cref="TakeResponses"/>: exactly one <see cref="GroupReply"/> per request id, released when the
/// rebalance step completes (bounded by the rebalance, sync and session timeouts) or when the commit is durable.
/// <see cref="Heartbeat"/>, <see cref="LeaveGroup"/>, <see cref="OffsetFetch"/>, <see cref="DescribeGroups"/>
/// and <see cref="ListGroups"/> answer at once. After every call, drain <see cref="TakeResponses"/> and
/// <see cref="TakeOffsetsToPersist"/> (any call may release replies parked by earlier ones).</item>
/// <item>Ordering per connection: Kafka answers a connection's requests in order, so, like Kafka's broker
/// (which mutes the channel), the host reads no further request from a connection while one of its requests
/// is parked here.</item>
/// <item>Durability: an OffsetCommit's response is held until its offsets are durable. The host persists each
/// <see cref="OffsetWrite"/> (see its ordering contract) and then calls <see cref="CompleteCommit"/>; only then
/// does the response appear in <see cref="TakeResponses"/> and the offsets become visible to
/// <see cref="OffsetFetch"/>. A failed write is reported with <see cref="FailCommit"/>, which answers with the
/// given error and applies nothing. Tombstone batches (expired offsets) are completed the same way.</item>
/// <item>Time: call <see cref="Tick"/> periodically (100 ms is plenty); timeouts fire at the first tick at or
/// after their deadline.</item>
/// <item>Group membership itself is soft state and is not persisted: after a restart members get
/// UNKNOWN_MEMBER_ID and rejoin, as after a coordinator move in Kafka.</item>
/// </list>
///
/// <para><b>Invariants</b> (checked by <see cref="CheckInvariants"/>): at most one generation is current per
/// group, and in Stable every member holds an assignment of that generation; a member is in one group once; a
/// member parks at most one request; parked requests never exceed
/// <see cref="GroupCoordinatorOptions.PendingResponsesMax"/>; offsets become visible only after the host
/// confirmed them durable.</para>
///
/// <para><b>Costs.</b> Requests cost O(1) plus O(members of the group) when a rebalance step runs or a member is
/// removed. <see cref="Tick"/> costs O(groups) plus O(members) of each group with a deadline due. Memory is
/// bounded by the limits in <see cref="GroupCoordinatorOptions"/>. Request and response objects handed in or
/// out are owned by the receiver afterwards; the coordinator keeps references to request protocol metadata.</para>
/// </summary>
public sealed partial class GroupCoordinator
{
    /// <summary>GROUP_MAX_SIZE_REACHED (81), not yet in <see cref="ErrorCode"/>.</summary>
    internal const ErrorCode GroupMaxSizeReached = ErrorCode.GroupMaxSizeReached;

    /// <summary>DescribeGroups authorized operations without an authorizer: READ (3), DELETE (6), DESCRIBE (8).</summary>
    internal const int GroupOperationsAll = (1 << 3) | (1 << 6) | (1 << 8);

    /// <summary>Longest client or instance id kept as the prefix of a generated member id.</summary>
    internal const int MemberIdPrefixLengthMax = 128;

    private readonly GroupCoordinatorOptions _options;
    private readonly IRandom _random;

    // Every live group, ordered by id (ordinal) so ListGroups and ticks are deterministic.
    // Invariant: no group here is Dead.
    private readonly SortedDictionary<string, Group> _groups = new(StringComparer.Ordinal);

    // Released replies, in release order, until the host takes them.
    private List<GroupReply> _replies = [];

    // Offset batches for the host to persist, in commit id order, until the host takes them.
    private List<OffsetWrite> _toPersist = [];

    // Batches handed out (or about to be) and not yet completed, by commit id.
    // Invariant: Count <= PendingCommitsMax.
    private readonly Dictionary<long, PendingCommit> _pendingCommits = [];

    // Reused by Tick.
    private readonly List<Group> _dueGroups = [];

    // The latest time seen. Invariant: never decreases.
    private long _nowMs = long.MinValue;

    // Last commit id handed out; ids start at 1 (0 marks offsets loaded at startup).
    private long _lastCommitId;

    // Members plus outstanding assigned ids (MEMBER_ID_REQUIRED) over all groups. Invariant: <= MembersMax.
    private int _memberCount;

    // Requests parked: JoinGroup and SyncGroup waiting on a rebalance, OffsetCommit waiting on persistence.
    // Invariant: equals the parked request ids over all members plus pending commits with a request; <= PendingResponsesMax.
    private int _parkedCount;

    // Set by the first request; LoadOffsets is only allowed before.
    private bool _serving;

    /// <summary>Creates a coordinator with no groups.</summary>
    /// <param name="options">Timeouts and limits (validated here).</param>
    /// <param name="random">Source of generated member ids (seeded in tests and simulation).</param>
    public GroupCoordinator(GroupCoordinatorOptions options, IRandom random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _options = options;
        _random = random;
    }

    /// <summary>The options the coordinator runs with.</summary>
    public GroupCoordinatorOptions Options => _options;

    /// <summary>Number of groups held (live, or empty with committed offsets).</summary>
    public int GroupCount => _groups.Count;

    /// <summary>Requests parked in the coordinator (JoinGroup, SyncGroup, OffsetCommit).</summary>
    public int ParkedRequestCount => _parkedCount;

    /// <summary>Whether <see cref="TakeResponses"/> has something.</summary>
    public bool HasResponses => _replies.Count > 0;

    /// <summary>Whether <see cref="TakeOffsetsToPersist"/> has something.</summary>
    public bool HasOffsetsToPersist => _toPersist.Count > 0;

    /// <summary>
    /// Takes the replies released since the last call, in release order (which is the order the protocol
    /// completed them; a connection never has two, see the host contract).
    /// </summary>
    public IReadOnlyList<GroupReply> TakeResponses()
    {
        if (_replies.Count == 0)
        {
            return [];
        }
        var taken = _replies;
        _replies = [];
        return taken;
    }

    /// <summary>Takes the offset batches to persist, in increasing commit id order.</summary>
    public IReadOnlyList<OffsetWrite> TakeOffsetsToPersist()
    {
        if (_toPersist.Count == 0)
        {
            return [];
        }
        var taken = _toPersist;
        _toPersist = [];
        return taken;
    }

    /// <summary>A read-only view of one group, or null if the coordinator holds no such group.</summary>
    public GroupSummary? GetGroupSummary(string groupId)
    {
        if (!_groups.TryGetValue(groupId, out var group))
        {
            return null;
        }
        var members = new List<string>(group.Size);
        foreach (var m in group.Members)
        {
            members.Add(m.MemberId);
        }
        return new GroupSummary(group.GroupId, group.State, group.GenerationId, group.ProtocolType, group.ProtocolName,
            group.LeaderId, members, group.PendingMembers.Count, group.Offsets.Count);
    }

    private long Advance(long nowMs)
    {
        _serving = true;
        _nowMs = Math.Max(_nowMs, nowMs);
        return _nowMs;
    }

    private Group CreateGroup(string groupId, long nowMs)
    {
        var group = new Group(groupId, nowMs);
        _groups.Add(groupId, group);
        return group;
    }

    /// <summary>Drops a group with nothing left to keep: empty, no members or assigned ids, no offsets, nothing in flight.</summary>
    private void MaybeRemoveGroup(Group group)
    {
        if (group.Is(GroupState.Empty) && group.Size == 0 && group.PendingMembers.Count == 0
            && group.Offsets.Count == 0 && group.PendingCommitBatches == 0)
        {
            group.TransitionTo(GroupState.Dead, _nowMs);
            _groups.Remove(group.GroupId);
        }
    }

    /// <summary>A fresh member id: the client (or instance) id, a dash, and a UUID drawn from the seeded random source.</summary>
    private string NewMemberId(Group group, string prefix)
    {
        if (prefix.Length > MemberIdPrefixLengthMax)
        {
            prefix = prefix[..MemberIdPrefixLengthMax];
        }
        Span<byte> bytes = stackalloc byte[16];
        while (true)
        {
            _random.NextBytes(bytes);
            bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // UUID version 4 (Guid's byte order keeps it in byte 7)
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
            string id = prefix + "-" + new Guid(bytes).ToString("D");
            if (!group.Has(id) && !group.PendingMembers.ContainsKey(id))
            {
                return id;
            }
        }
    }

    private void Reply(long requestId, object response) => _replies.Add(new GroupReply(requestId, response));

    private static int Utf8Length(string s) => Encoding.UTF8.GetByteCount(s);

    /// <summary>
    /// Verifies the coordinator's invariants and throws <see cref="InvariantViolationException"/> on the first
    /// broken one. O(total members + offsets); meant for tests, simulation and debug builds.
    /// </summary>
    public void CheckInvariants()
    {
        int members = 0, parked = 0;
        var pendingBatches = new Dictionary<Group, int>();
        foreach (var pending in _pendingCommits.Values)
        {
            pendingBatches[pending.Group] = pendingBatches.GetValueOrDefault(pending.Group) + 1;
            if (pending.RequestId.HasValue)
            {
                parked++;
            }
            Invariant.Check(_groups.TryGetValue(pending.Group.GroupId, out var g) && ReferenceEquals(g, pending.Group),
                $"pending commit {pending.CommitId} belongs to a group that is gone");
        }
        foreach (var group in _groups.Values)
        {
            CheckGroupInvariants(group, pendingBatches.GetValueOrDefault(group));
            members += group.Size + group.PendingMembers.Count;
            foreach (var m in group.Members)
            {
                parked += (m.IsAwaitingJoin ? 1 : 0) + (m.IsAwaitingSync ? 1 : 0);
            }
        }
        Invariant.Check(members == _memberCount, $"member count {_memberCount} but {members} members and assigned ids");
        Invariant.Check(_memberCount <= _options.MembersMax, $"{_memberCount} members exceed MembersMax {_options.MembersMax}");
        Invariant.Check(parked == _parkedCount, $"parked count {_parkedCount} but {parked} parked requests");
        Invariant.Check(_parkedCount <= _options.PendingResponsesMax, $"{_parkedCount} parked requests exceed {_options.PendingResponsesMax}");
        Invariant.Check(_pendingCommits.Count <= _options.PendingCommitsMax, $"{_pendingCommits.Count} pending commits exceed {_options.PendingCommitsMax}");
    }

    private void CheckGroupInvariants(Group group, int pendingBatches)
    {
        string g = "group " + group.GroupId;
        Invariant.Check(!group.Is(GroupState.Dead), $"{g}: Dead but still held");
        Invariant.Check(group.PendingCommitBatches == pendingBatches, $"{g}: {group.PendingCommitBatches} pending batches recorded, {pendingBatches} exist");
        Invariant.Check(group.ProtocolSupportIsConsistent(), $"{g}: protocol support counts drifted");
        Invariant.Check((group.LeaderId == null) == (group.Size == 0), $"{g}: leader {group.LeaderId ?? "null"} with {group.Size} members");
        Invariant.Check(group.LeaderId == null || group.Has(group.LeaderId), $"{g}: leader {group.LeaderId} is not a member");
        bool generationActive = group.State is GroupState.CompletingRebalance or GroupState.Stable;
        // While preparing, the previous generation's protocol is kept until the next one is selected.
        Invariant.Check(!generationActive || group.ProtocolName != null, $"{g}: no protocol in state {group.State}");
        Invariant.Check(!group.Is(GroupState.Empty) || group.ProtocolName == null, $"{g}: protocol {group.ProtocolName} while Empty");
        Invariant.Check(!group.Is(GroupState.Empty) || group.Size == 0, $"{g}: Empty with {group.Size} members");
        Invariant.Check(!generationActive || group.Size > 0,
            $"{g}: {group.State} without members");
        int awaitingJoin = 0, statics = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in group.Members)
        {
            Invariant.Check(seen.Add(m.MemberId), $"{g}: member {m.MemberId} listed twice");
            Invariant.Check(!group.PendingMembers.ContainsKey(m.MemberId), $"{g}: {m.MemberId} is both a member and an assigned id");
            awaitingJoin += m.IsAwaitingJoin ? 1 : 0;
            Invariant.Check(!m.IsAwaitingJoin || group.Is(GroupState.PreparingRebalance), $"{g}: {m.MemberId} has a parked join in {group.State}");
            Invariant.Check(!m.IsAwaitingSync || group.Is(GroupState.CompletingRebalance), $"{g}: {m.MemberId} has a parked sync in {group.State}");
            if (generationActive)
            {
                Invariant.Check(m.MetadataFor(group.ProtocolName!) != null, $"{g}: {m.MemberId} does not support the selected {group.ProtocolName}");
            }
            if (group.Is(GroupState.Stable))
            {
                Invariant.Check(m.AssignmentGenerationId == group.GenerationId,
                    $"{g}: Stable at generation {group.GenerationId} but {m.MemberId} holds generation {m.AssignmentGenerationId}'s assignment");
            }
            if (m.GroupInstanceId != null)
            {
                statics++;
                Invariant.Check(group.StaticMembers.TryGetValue(m.GroupInstanceId, out string? mapped) && mapped == m.MemberId,
                    $"{g}: instance {m.GroupInstanceId} not mapped to {m.MemberId}");
            }
        }
        Invariant.Check(statics == group.StaticMembers.Count, $"{g}: {group.StaticMembers.Count} instance ids for {statics} static members");
        Invariant.Check(awaitingJoin == group.AwaitingJoinCount, $"{g}: awaiting-join count {group.AwaitingJoinCount}, actual {awaitingJoin}");
        foreach (string id in group.PendingSyncMembers)
        {
            Invariant.Check(group.Has(id), $"{g}: pending sync member {id} is not a member");
        }
        long next = NextDeadline(group).AtMs;
        Invariant.Check(group.NextDeadlineLowerBoundMs <= next,
            $"{g}: deadline bound {group.NextDeadlineLowerBoundMs} above the next deadline {next}");
    }

    /// <summary>An OffsetCommit (or tombstone batch) handed to the host and not yet completed.</summary>
    private sealed class PendingCommit(long commitId, long? requestId, Group group, List<OffsetRecord> records,
        OffsetCommitResponse? response, List<(int Topic, int Partition)> accepted)
    {
        public long CommitId { get; } = commitId;

        /// <summary>The OffsetCommit to answer, or null for an expiry (tombstone) batch.</summary>
        public long? RequestId { get; } = requestId;

        public Group Group { get; } = group;

        public List<OffsetRecord> Records { get; } = records;

        /// <summary>The response to release; accepted partitions read NONE until a failure overwrites them.</summary>
        public OffsetCommitResponse? Response { get; } = response;

        /// <summary>Positions (topic, partition) in <see cref="Response"/> of the partitions in <see cref="Records"/>.</summary>
        public List<(int Topic, int Partition)> Accepted { get; } = accepted;
    }
}

/// <summary>A read-only view of one group (for admin endpoints, tests and simulation checkers).</summary>
/// <param name="GroupId">The group id.</param>
/// <param name="State">The group's state.</param>
/// <param name="GenerationId">The current generation.</param>
/// <param name="ProtocolType">The members' protocol type, or null if no member ever joined.</param>
/// <param name="ProtocolName">The selected protocol (CompletingRebalance and Stable), or null.</param>
/// <param name="LeaderId">The leader's member id, or null without members.</param>
/// <param name="MemberIds">Member ids in join order.</param>
/// <param name="PendingMemberCount">Assigned member ids (MEMBER_ID_REQUIRED) not yet used to rejoin.</param>
/// <param name="OffsetCount">Committed partitions.</param>
public sealed record GroupSummary(string GroupId, GroupState State, int GenerationId, string? ProtocolType, string? ProtocolName,
    string? LeaderId, IReadOnlyList<string> MemberIds, int PendingMemberCount, int OffsetCount);
