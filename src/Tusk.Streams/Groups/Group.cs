using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Groups;

/// <summary>
/// One classic group's state: members in join order, the generation, timers, and committed offsets. A plain
/// record of state with the bookkeeping that must stay consistent (awaiting counts, protocol support counts,
/// the static-member map, the leader); the protocol's decisions live in <see cref="GroupCoordinator"/>.
/// Single-threaded like its coordinator. Operations are O(1) except member removal and protocol selection,
/// which are O(members).
/// </summary>
internal sealed class Group
{
    private readonly List<GroupMember> _members = [];
    private readonly Dictionary<string, GroupMember> _membersById = new(StringComparer.Ordinal);

    // Protocol name -> number of members supporting it. Invariant: equals the count over _members.
    private readonly Dictionary<string, int> _protocolSupport = new(StringComparer.Ordinal);

    public Group(string groupId, long nowMs)
    {
        GroupId = groupId;
        StateSinceMs = nowMs;
    }

    public string GroupId { get; }

    public GroupState State { get; private set; } = GroupState.Empty;

    /// <summary>When the group entered <see cref="State"/> (drives offset retention of empty groups).</summary>
    public long StateSinceMs { get; private set; }

    /// <summary>Incremented by every completed join phase, including one that leaves the group empty.</summary>
    public int GenerationId { get; set; }

    /// <summary>The protocol type of the members ("consumer"), kept while the group is empty; null if never joined.</summary>
    public string? ProtocolType { get; set; }

    /// <summary>The protocol selected for the current generation. Invariant: non-null iff CompletingRebalance or Stable.</summary>
    public string? ProtocolName { get; set; }

    /// <summary>The leader's member id. Invariant: null iff there are no members; otherwise a member.</summary>
    public string? LeaderId { get; set; }

    /// <summary>Members in join order (the first is leader unless it failed to rejoin).</summary>
    public IReadOnlyList<GroupMember> Members => _members;

    /// <summary>Static instance id -> member id. Invariant: exactly the static members.</summary>
    public Dictionary<string, string> StaticMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Member ids handed out with MEMBER_ID_REQUIRED and not yet used, with the deadline to rejoin by.
    /// Invariant: disjoint from the members. They hold up the join phase until they rejoin or expire.
    /// </summary>
    public Dictionary<string, long> PendingMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Members of the current generation that have not sent SyncGroup yet.</summary>
    public HashSet<string> PendingSyncMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>When members still in <see cref="PendingSyncMembers"/> are removed (CompletingRebalance or Stable).</summary>
    public long SyncDeadlineMs { get; set; } = long.MaxValue;

    /// <summary>When the join phase completes even if some members have not rejoined (PreparingRebalance).</summary>
    public long JoinDeadlineMs { get; set; } = long.MaxValue;

    /// <summary>True while the first rebalance out of Empty waits for more members (no early completion).</summary>
    public bool InInitialDelay { get; set; }

    /// <summary>When the current initial-delay period ends.</summary>
    public long InitialDelayEndMs { get; set; } = long.MaxValue;

    /// <summary>How much longer the initial delay may still be extended by new members.</summary>
    public long InitialDelayRemainingMs { get; set; }

    /// <summary>Whether a member joined during the current initial-delay period.</summary>
    public bool NewMemberAdded { get; set; }

    /// <summary>Number of members with a parked JoinGroup. Invariant: equals the count over members.</summary>
    public int AwaitingJoinCount { get; private set; }

    /// <summary>
    /// While Empty: when the earliest committed offset expires (retention counts from the later of becoming
    /// empty and the offset's commit). Invariant: never above the true earliest expiry while Empty.
    /// </summary>
    public long RetentionDeadlineMs { get; set; } = long.MaxValue;

    /// <summary>Committed offsets, ordered by topic (ordinal) then partition.</summary>
    public SortedDictionary<OffsetPartition, OffsetEntry> Offsets { get; } = new(OffsetPartition.Comparer);

    /// <summary>Offset batches of this group handed to the host and not yet completed. The group is kept while any exist.</summary>
    public int PendingCommitBatches { get; set; }

    /// <summary>
    /// A lower bound on the group's next deadline (member expiry, pending member, join, sync, retention), so a
    /// tick skips groups with nothing due. Invariant: never above the true next deadline; lowered by
    /// <see cref="NoteDeadline"/> whenever a deadline is set, recomputed exactly after the group's timers run.
    /// </summary>
    public long NextDeadlineLowerBoundMs { get; set; } = long.MaxValue;

    public int Size => _members.Count;

    public bool Has(string memberId) => _membersById.ContainsKey(memberId);

    public GroupMember Get(string memberId) => _membersById[memberId];

    public bool TryGet(string memberId, out GroupMember member) => _membersById.TryGetValue(memberId, out member!);

    public bool IsLeader(string memberId) => LeaderId == memberId;

    public bool Is(GroupState state) => State == state;

    /// <summary>Every member has a parked JoinGroup and no assigned member id is still outstanding.</summary>
    public bool AllMembersJoined => _members.Count == AwaitingJoinCount && PendingMembers.Count == 0;

    /// <summary>The largest rebalance timeout of the members (the join phase waits this long).</summary>
    public int RebalanceTimeoutMs
    {
        get
        {
            int timeout = 0;
            foreach (var m in _members)
            {
                timeout = Math.Max(timeout, m.RebalanceTimeoutMs);
            }
            return timeout;
        }
    }

    public void NoteDeadline(long deadlineMs) => NextDeadlineLowerBoundMs = Math.Min(NextDeadlineLowerBoundMs, deadlineMs);

    public void TransitionTo(GroupState state, long nowMs)
    {
        bool valid = state switch
        {
            GroupState.PreparingRebalance => State is GroupState.Empty or GroupState.Stable or GroupState.CompletingRebalance,
            GroupState.CompletingRebalance => State == GroupState.PreparingRebalance,
            GroupState.Stable => State == GroupState.CompletingRebalance,
            GroupState.Empty => State == GroupState.PreparingRebalance,
            GroupState.Dead => State == GroupState.Empty,
            _ => false,
        };
        Invariant.Check(valid, $"group {GroupId}: no transition {State} -> {state}");
        State = state;
        StateSinceMs = nowMs;
    }

    /// <summary>
    /// Whether a member with <paramref name="protocolType"/> and <paramref name="protocols"/> may join: an
    /// empty group takes any non-empty type and protocol list; otherwise the type must match and at least one
    /// protocol must be supported by every current member.
    /// </summary>
    public bool SupportsProtocols(string protocolType, List<JoinGroupRequestProtocol> protocols)
    {
        if (protocolType.Length == 0 || protocols.Count == 0)
        {
            return false;
        }
        if (_members.Count == 0)
        {
            return true;
        }
        if (ProtocolType != protocolType)
        {
            return false;
        }
        foreach (var p in protocols)
        {
            if (_protocolSupport.TryGetValue(p.Name, out int count) && count == _members.Count)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The protocol for the next generation: among the protocols every member supports, each member votes for
    /// its most preferred one and the most votes win; ties go to the earliest in the first member's list.
    /// </summary>
    public string SelectProtocol()
    {
        Invariant.Check(_members.Count > 0, $"group {GroupId}: cannot select a protocol without members");
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, count) in _protocolSupport)
        {
            if (count == _members.Count)
            {
                candidates.Add(name);
            }
        }
        Invariant.Check(candidates.Count > 0, $"group {GroupId}: members share no protocol");
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var m in _members)
        {
            string vote = m.Vote(candidates);
            votes[vote] = votes.GetValueOrDefault(vote) + 1;
        }
        string? best = null;
        int bestVotes = 0;
        foreach (var p in _members[0].Protocols)
        {
            if (votes.TryGetValue(p.Name, out int n) && n > bestVotes)
            {
                best = p.Name;
                bestVotes = n;
            }
        }
        return best!;
    }

    /// <summary>Adds a member; the group's first member sets its protocol type.</summary>
    public void Add(GroupMember member, string protocolType)
    {
        Invariant.Check(!_membersById.ContainsKey(member.MemberId), $"group {GroupId}: member {member.MemberId} added twice");
        Invariant.Check(!member.IsAwaitingJoin && !member.IsAwaitingSync, "a member is added before it parks a request");
        if (member.GroupInstanceId != null)
        {
            Invariant.Check(!StaticMembers.ContainsKey(member.GroupInstanceId), $"group {GroupId}: instance {member.GroupInstanceId} added twice");
            StaticMembers[member.GroupInstanceId] = member.MemberId;
        }
        if (_members.Count == 0)
        {
            ProtocolType = protocolType;
        }
        _members.Add(member);
        _membersById[member.MemberId] = member;
        AddSupport(member.Protocols, +1);
        LeaderId ??= member.MemberId;
        PendingMembers.Remove(member.MemberId);
    }

    /// <summary>
    /// Removes a member (the caller answers its parked requests first). A removed leader is replaced by the
    /// first remaining member.
    /// </summary>
    public void Remove(GroupMember member)
    {
        Invariant.Check(!member.IsAwaitingJoin && !member.IsAwaitingSync, $"group {GroupId}: member {member.MemberId} removed with a parked request");
        bool removed = _membersById.Remove(member.MemberId);
        Invariant.Check(removed, $"group {GroupId}: removing unknown member {member.MemberId}");
        _members.Remove(member);
        AddSupport(member.Protocols, -1);
        if (member.GroupInstanceId != null)
        {
            StaticMembers.Remove(member.GroupInstanceId);
        }
        if (LeaderId == member.MemberId)
        {
            LeaderId = _members.Count > 0 ? _members[0].MemberId : null;
        }
        PendingSyncMembers.Remove(member.MemberId);
    }

    /// <summary>Gives a static member a new member id (a restarted instance took its place).</summary>
    public void RenameStaticMember(GroupMember member, string newMemberId)
    {
        Invariant.Check(member.GroupInstanceId != null, "only static members are renamed");
        string oldMemberId = member.MemberId;
        _membersById.Remove(oldMemberId);
        member.MemberId = newMemberId;
        _membersById[newMemberId] = member;
        StaticMembers[member.GroupInstanceId] = newMemberId;
        if (LeaderId == oldMemberId)
        {
            LeaderId = newMemberId;
        }
        if (PendingSyncMembers.Remove(oldMemberId))
        {
            PendingSyncMembers.Add(newMemberId);
        }
    }

    public void UpdateProtocols(GroupMember member, List<JoinGroupRequestProtocol> protocols)
    {
        AddSupport(member.Protocols, -1);
        member.Protocols = protocols;
        AddSupport(protocols, +1);
    }

    /// <summary>Parks (or, with null, clears) the member's JoinGroup, keeping <see cref="AwaitingJoinCount"/>.</summary>
    public void SetAwaitingJoin(GroupMember member, long? requestId)
    {
        if (requestId.HasValue && !member.IsAwaitingJoin)
        {
            AwaitingJoinCount++;
        }
        else if (!requestId.HasValue && member.IsAwaitingJoin)
        {
            AwaitingJoinCount--;
        }
        member.AwaitingJoinRequestId = requestId;
    }

    /// <summary>Moves to the next generation: CompletingRebalance with a selected protocol, or Empty without members.</summary>
    public void InitNextGeneration(long nowMs)
    {
        GenerationId++;
        if (_members.Count > 0)
        {
            ProtocolName = SelectProtocol();
            TransitionTo(GroupState.CompletingRebalance, nowMs);
        }
        else
        {
            ProtocolName = null;
            TransitionTo(GroupState.Empty, nowMs);
        }
        PendingSyncMembers.Clear();
    }

    /// <summary>Recounts protocol support over the members, for invariant checks.</summary>
    public bool ProtocolSupportIsConsistent()
    {
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var m in _members)
        {
            foreach (string name in DistinctNames(m.Protocols))
            {
                expected[name] = expected.GetValueOrDefault(name) + 1;
            }
        }
        if (expected.Count != _protocolSupport.Count)
        {
            return false;
        }
        foreach (var (name, count) in expected)
        {
            if (_protocolSupport.GetValueOrDefault(name) != count)
            {
                return false;
            }
        }
        return true;
    }

    private void AddSupport(List<JoinGroupRequestProtocol> protocols, int delta)
    {
        foreach (string name in DistinctNames(protocols))
        {
            int count = _protocolSupport.GetValueOrDefault(name) + delta;
            if (count == 0)
            {
                _protocolSupport.Remove(name);
            }
            else
            {
                _protocolSupport[name] = count;
            }
        }
    }

    // A member listing a protocol twice supports it once (Kafka keys protocols by name). Lists are short.
    private static IEnumerable<string> DistinctNames(List<JoinGroupRequestProtocol> protocols)
    {
        for (int i = 0; i < protocols.Count; i++)
        {
            string name = protocols[i].Name;
            bool duplicate = false;
            for (int j = 0; j < i && !duplicate; j++)
            {
                duplicate = protocols[j].Name == name;
            }
            if (!duplicate)
            {
                yield return name;
            }
        }
    }
}

/// <summary>A (topic, partition) key of a group's offsets.</summary>
internal readonly record struct OffsetPartition(string Topic, int Partition)
{
    /// <summary>Orders by topic (ordinal) then partition.</summary>
    public static readonly IComparer<OffsetPartition> Comparer = Comparer<OffsetPartition>.Create(static (a, b) =>
    {
        int c = string.CompareOrdinal(a.Topic, b.Topic);
        return c != 0 ? c : a.Partition.CompareTo(b.Partition);
    });
}

/// <summary>An applied committed offset and the commit batch that wrote it.</summary>
/// <param name="Value">The offset.</param>
/// <param name="CommitId">The batch that wrote it (0 when loaded at startup); a completion only overwrites older ids.</param>
internal readonly record struct OffsetEntry(CommittedOffset Value, long CommitId);
