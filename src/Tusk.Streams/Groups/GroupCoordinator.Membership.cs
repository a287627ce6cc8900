using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Groups;

/// <summary>Membership: JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the rebalance steps behind them.</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>
    /// Handles a JoinGroup. The reply is released through <see cref="TakeResponses"/> under
    /// <paramref name="requestId"/>: at once for errors, MEMBER_ID_REQUIRED (v4+ dynamic members joining without
    /// an id get one to rejoin with) and followers rejoining a stable group unchanged; otherwise when the join
    /// phase completes — every known member rejoined, or the rebalance timeout passed (members that did not
    /// rejoin are then removed).
    /// </summary>
    /// <param name="requestId">The host's id for this request.</param>
    /// <param name="version">The request's API version (v4+ requires known member ids).</param>
    /// <param name="request">The parsed request; the coordinator keeps its protocol list.</param>
    /// <param name="clientId">The request header's client id (prefix of generated member ids).</param>
    /// <param name="clientHost">The client's address, as DescribeGroups reports it.</param>
    /// <param name="nowMs">The current time.</param>
    public void JoinGroup(long requestId, short version, JoinGroupRequest request, string clientId, string clientHost, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        long now = Advance(nowMs);
        string memberId = request.MemberId;
        ErrorCode error = ValidateJoin(request);
        if (error != ErrorCode.None)
        {
            ReplyJoinError(requestId, memberId, error);
            return;
        }
        if (_parkedCount >= _options.PendingResponsesMax)
        {
            ReplyJoinError(requestId, memberId, ErrorCode.CoordinatorNotAvailable);
            return;
        }
        // v0 has no rebalance timeout: it is the session timeout.
        int rebalanceTimeoutMs = version == 0 || request.RebalanceTimeoutMs <= 0 ? request.SessionTimeoutMs : request.RebalanceTimeoutMs;
        bool isNewMember = memberId.Length == 0;
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            // A group is created by a member without an id; a member id for an unknown group is stale.
            if (!isNewMember)
            {
                ReplyJoinError(requestId, memberId, ErrorCode.UnknownMemberId);
                return;
            }
            if (_groups.Count >= _options.GroupsMax)
            {
                ReplyJoinError(requestId, memberId, ErrorCode.CoordinatorNotAvailable);
                return;
            }
            group = CreateGroup(request.GroupId, now);
        }

        if (!AcceptJoiningMember(group, memberId))
        {
            // Over the size limit: a known member that has not rejoined yet is dropped (Kafka kicks out the last rejoiners).
            if (group.TryGet(memberId, out var rejected))
            {
                RemoveMember(group, rejected);
            }
            else if (group.PendingMembers.Remove(memberId))
            {
                _memberCount--;
            }
            ReplyJoinError(requestId, "", GroupMaxSizeReached);
        }
        else if (isNewMember)
        {
            JoinNewMember(group, requestId, version, request, rebalanceTimeoutMs, clientId, clientHost, now);
        }
        else
        {
            JoinKnownMember(group, requestId, request, rebalanceTimeoutMs, clientId, clientHost, now);
        }

        if (group.Is(GroupState.PreparingRebalance))
        {
            TryCompleteJoin(group, now);
        }
        MaybeRemoveGroup(group);
    }

    /// <summary>
    /// Handles a SyncGroup. The leader's call carries the assignments; they are delivered to every member of the
    /// generation (followers that synced earlier are answered then, later ones at once). Replies go through
    /// <see cref="TakeResponses"/> under <paramref name="requestId"/>.
    /// </summary>
    public void SyncGroup(long requestId, short version, SyncGroupRequest request, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        long now = Advance(nowMs);
        ErrorCode error = ErrorCode.None;
        Group? group = null;
        if (request.GroupId.Length == 0)
        {
            error = ErrorCode.InvalidGroupId;
        }
        else if (_parkedCount >= _options.PendingResponsesMax)
        {
            error = ErrorCode.CoordinatorNotAvailable;
        }
        else if (!_groups.TryGetValue(request.GroupId, out group))
        {
            error = ErrorCode.UnknownMemberId;
        }
        else
        {
            error = ValidateCurrentMember(group, request.MemberId, request.GroupInstanceId);
            if (error == ErrorCode.None && request.GenerationId != group.GenerationId)
            {
                error = ErrorCode.IllegalGeneration;
            }
        }
        if (error != ErrorCode.None)
        {
            Reply(requestId, new SyncGroupResponse { ErrorCode = error });
            return;
        }

        var member = group!.Get(request.MemberId);
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                Reply(requestId, new SyncGroupResponse { ErrorCode = ErrorCode.RebalanceInProgress });
                break;
            case GroupState.CompletingRebalance:
                ParkSync(member, requestId);
                group.PendingSyncMembers.Remove(member.MemberId);
                if (group.IsLeader(member.MemberId))
                {
                    CompleteAssignment(group, request.Assignments, now);
                }
                break;
            case GroupState.Stable:
                group.PendingSyncMembers.Remove(member.MemberId);
                Reply(requestId, new SyncGroupResponse { Assignment = member.Assignment });
                SetHeartbeatDeadline(group, member, now + member.SessionTimeoutMs);
                break;
            default:
                // A validated member means the group has members, so it is not Empty.
                Invariant.Fail($"group {group.GroupId}: SyncGroup from member {member.MemberId} in {group.State}");
                break;
        }
    }

    /// <summary>
    /// Handles a Heartbeat and returns its response: NONE keeps the member alive; REBALANCE_IN_PROGRESS (also
    /// keeping it alive) tells it to rejoin; ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and FENCED_INSTANCE_ID tell it
    /// that it is no longer part of the current generation.
    /// </summary>
    public HeartbeatResponse Heartbeat(short version, HeartbeatRequest request, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        long now = Advance(nowMs);
        if (request.GroupId.Length == 0)
        {
            return new HeartbeatResponse { ErrorCode = ErrorCode.InvalidGroupId };
        }
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            return new HeartbeatResponse { ErrorCode = ErrorCode.UnknownMemberId };
        }
        ErrorCode error = ValidateCurrentMember(group, request.MemberId, request.GroupInstanceId);
        if (error == ErrorCode.None && request.GenerationId != group.GenerationId)
        {
            error = ErrorCode.IllegalGeneration;
        }
        if (error != ErrorCode.None)
        {
            return new HeartbeatResponse { ErrorCode = error };
        }
        var member = group.Get(request.MemberId);
        SetHeartbeatDeadline(group, member, now + member.SessionTimeoutMs);
        return new HeartbeatResponse
        {
            ErrorCode = group.Is(GroupState.PreparingRebalance) ? ErrorCode.RebalanceInProgress : ErrorCode.None,
        };
    }

    /// <summary>
    /// Handles a LeaveGroup and returns its response (v0-v2: the member's error at top level; v3: one result per
    /// member). Leaving members are removed at once and the group rebalances without them; replies released as a
    /// consequence (a join phase completing) go through <see cref="TakeResponses"/>.
    /// </summary>
    public LeaveGroupResponse LeaveGroup(short version, LeaveGroupRequest request, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        long now = Advance(nowMs);
        if (request.GroupId.Length == 0)
        {
            return new LeaveGroupResponse { ErrorCode = ErrorCode.InvalidGroupId };
        }
        var results = new List<LeaveGroupResponseMember>();
        _groups.TryGetValue(request.GroupId, out var group);
        foreach (var leaving in request.LeavingMembers(version))
        {
            ErrorCode error = group == null ? ErrorCode.UnknownMemberId : Leave(group, leaving, now);
            results.Add(new LeaveGroupResponseMember(leaving.MemberId, leaving.GroupInstanceId, error));
        }
        if (group != null)
        {
            MaybeRemoveGroup(group);
        }
        if (version >= 3)
        {
            return new LeaveGroupResponse { Members = results };
        }
        return new LeaveGroupResponse { ErrorCode = results.Count > 0 ? results[0].ErrorCode : ErrorCode.None };
    }

    private ErrorCode Leave(Group group, LeaveGroupRequestMember leaving, long now)
    {
        if (leaving.MemberId.Length == 0)
        {
            // Administrative removal of a static member by instance id alone.
            if (leaving.GroupInstanceId != null && group.StaticMembers.TryGetValue(leaving.GroupInstanceId, out string? current))
            {
                RemoveMemberAndUpdateGroup(group, group.Get(current), now);
                return ErrorCode.None;
            }
            return ErrorCode.UnknownMemberId;
        }
        if (group.PendingMembers.Remove(leaving.MemberId))
        {
            _memberCount--;
            TryCompleteJoin(group, now);
            return ErrorCode.None;
        }
        ErrorCode error = ValidateCurrentMember(group, leaving.MemberId, leaving.GroupInstanceId);
        if (error == ErrorCode.None)
        {
            RemoveMemberAndUpdateGroup(group, group.Get(leaving.MemberId), now);
        }
        return error;
    }

    private ErrorCode ValidateJoin(JoinGroupRequest request)
    {
        if (request.GroupId.Length == 0)
        {
            return ErrorCode.InvalidGroupId;
        }
        if (request.SessionTimeoutMs < _options.GroupMinSessionTimeoutMs || request.SessionTimeoutMs > _options.GroupMaxSessionTimeoutMs)
        {
            return ErrorCode.InvalidSessionTimeout;
        }
        if (request.GroupInstanceId is { Length: 0 })
        {
            return ErrorCode.InvalidRequest;
        }
        long protocolBytes = 0;
        foreach (var p in request.Protocols)
        {
            protocolBytes += Utf8Length(p.Name) + p.Metadata.Length;
        }
        return protocolBytes > _options.MemberProtocolBytesMax ? ErrorCode.InvalidRequest : ErrorCode.None;
    }

    /// <summary>
    /// Whether the group has room for the joining member (Kafka's rule): an empty group always; while preparing,
    /// a member already rejoined, or anyone while fewer than the limit have rejoined (members that then fail to
    /// rejoin are removed when the phase completes); otherwise a member, or anyone below the limit.
    /// </summary>
    private bool AcceptJoiningMember(Group group, string memberId) => group.State switch
    {
        GroupState.PreparingRebalance =>
            (group.TryGet(memberId, out var m) && m.IsAwaitingJoin) || group.AwaitingJoinCount < _options.MembersPerGroupMax,
        GroupState.CompletingRebalance or GroupState.Stable => group.Has(memberId) || group.Size < _options.MembersPerGroupMax,
        _ => true,
    };

    private void JoinNewMember(Group group, long requestId, short version, JoinGroupRequest request, int rebalanceTimeoutMs,
        string clientId, string clientHost, long now)
    {
        if (!group.SupportsProtocols(request.ProtocolType, request.Protocols))
        {
            ReplyJoinError(requestId, "", ErrorCode.InconsistentGroupProtocol);
            return;
        }
        string? instanceId = request.GroupInstanceId;
        if (instanceId != null && group.StaticMembers.TryGetValue(instanceId, out string? oldMemberId))
        {
            ReplaceStaticMember(group, group.Get(oldMemberId), NewMemberId(group, instanceId), requestId, request,
                rebalanceTimeoutMs, clientId, clientHost, now);
            return;
        }
        if (_memberCount >= _options.MembersMax)
        {
            ReplyJoinError(requestId, "", ErrorCode.CoordinatorNotAvailable);
            return;
        }
        string newMemberId = NewMemberId(group, instanceId ?? clientId);
        if (instanceId == null && version >= 4)
        {
            // KIP-394: hand out the id and wait for the member to rejoin with it, so a client that dies between
            // the two requests leaves only a short-lived pending id, not a member that stalls the rebalance.
            if (group.Size + group.PendingMembers.Count >= _options.MembersPerGroupMax)
            {
                ReplyJoinError(requestId, "", GroupMaxSizeReached);
                return;
            }
            long deadline = now + request.SessionTimeoutMs;
            group.PendingMembers.Add(newMemberId, deadline);
            group.NoteDeadline(deadline);
            _memberCount++;
            Reply(requestId, new JoinGroupResponse { ErrorCode = ErrorCode.MemberIdRequired, MemberId = newMemberId });
            return;
        }
        AddMemberAndRebalance(group, newMemberId, instanceId, requestId, request, rebalanceTimeoutMs, clientId, clientHost, now);
    }

    private void JoinKnownMember(Group group, long requestId, JoinGroupRequest request, int rebalanceTimeoutMs,
        string clientId, string clientHost, long now)
    {
        string memberId = request.MemberId;
        if (!group.SupportsProtocols(request.ProtocolType, request.Protocols))
        {
            ReplyJoinError(requestId, memberId, ErrorCode.InconsistentGroupProtocol);
            return;
        }
        if (group.PendingMembers.ContainsKey(memberId))
        {
            // The second half of the MEMBER_ID_REQUIRED handshake. Assigned ids are never static.
            if (request.GroupInstanceId != null)
            {
                ReplyJoinError(requestId, memberId, ErrorCode.InvalidRequest);
                return;
            }
            group.PendingMembers.Remove(memberId);
            _memberCount--;
            AddMemberAndRebalance(group, memberId, null, requestId, request, rebalanceTimeoutMs, clientId, clientHost, now);
            return;
        }
        ErrorCode error = ValidateCurrentMember(group, memberId, request.GroupInstanceId);
        if (error != ErrorCode.None)
        {
            ReplyJoinError(requestId, memberId, error);
            return;
        }
        var member = group.Get(memberId);
        member.ClientId = clientId;
        member.ClientHost = clientHost;
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                UpdateMemberAndRebalance(group, member, requestId, request, rebalanceTimeoutMs, now);
                break;
            case GroupState.CompletingRebalance:
                if (member.Matches(request.Protocols))
                {
                    // It missed its JoinGroup response: send the current generation again.
                    Reply(requestId, JoinResult(group, member, group.IsLeader(memberId), group.LeaderId));
                }
                else
                {
                    UpdateMemberAndRebalance(group, member, requestId, request, rebalanceTimeoutMs, now);
                }
                break;
            case GroupState.Stable:
                // The leader rejoining forces a rebalance (it saw metadata change); so does changed member metadata.
                if (group.IsLeader(memberId) || !member.Matches(request.Protocols))
                {
                    UpdateMemberAndRebalance(group, member, requestId, request, rebalanceTimeoutMs, now);
                }
                else
                {
                    Reply(requestId, JoinResult(group, member, includeMembers: false, group.LeaderId));
                }
                break;
            default:
                ReplyJoinError(requestId, memberId, ErrorCode.UnknownMemberId);
                break;
        }
    }

    /// <summary>
    /// Checks that <paramref name="memberId"/> is a current member and, for a static member, that the instance
    /// id still maps to it (a newer instance fences the old one with FENCED_INSTANCE_ID).
    /// </summary>
    private static ErrorCode ValidateCurrentMember(Group group, string memberId, string? groupInstanceId)
    {
        if (groupInstanceId != null)
        {
            if (!group.StaticMembers.TryGetValue(groupInstanceId, out string? current))
            {
                return ErrorCode.UnknownMemberId;
            }
            return current == memberId ? ErrorCode.None : ErrorCode.FencedInstanceId;
        }
        return group.Has(memberId) ? ErrorCode.None : ErrorCode.UnknownMemberId;
    }

    private void AddMemberAndRebalance(Group group, string memberId, string? instanceId, long requestId, JoinGroupRequest request,
        int rebalanceTimeoutMs, string clientId, string clientHost, long now)
    {
        var member = new GroupMember(memberId, instanceId, clientId, clientHost, request.Protocols, rebalanceTimeoutMs, request.SessionTimeoutMs)
        {
            IsNew = true,
        };
        if (group.Is(GroupState.PreparingRebalance) && group.InInitialDelay)
        {
            group.NewMemberAdded = true;
        }
        group.Add(member, request.ProtocolType);
        _memberCount++;
        ParkJoin(group, member, requestId);
        // Its session timer cannot run while its first JoinGroup is parked; bound the wait instead.
        SetHeartbeatDeadline(group, member, now + _options.NewMemberJoinTimeoutMs);
        MaybePrepareRebalance(group, now);
    }

    private void UpdateMemberAndRebalance(Group group, GroupMember member, long requestId, JoinGroupRequest request, int rebalanceTimeoutMs, long now)
    {
        group.UpdateProtocols(member, request.Protocols);
        member.RebalanceTimeoutMs = rebalanceTimeoutMs;
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        ParkJoin(group, member, requestId);
        MaybePrepareRebalance(group, now);
    }

    /// <summary>
    /// A restarted static member (known instance id, no member id) takes over its old member entry under a new
    /// id. The old instance's parked requests are fenced. A stable group whose selected protocol stays the same
    /// does not rebalance: the new instance gets the current generation (with the old leader id, so it does not
    /// run an assignment the stable group would ignore) and fetches the old assignment with SyncGroup.
    /// </summary>
    private void ReplaceStaticMember(Group group, GroupMember member, string newMemberId, long requestId, JoinGroupRequest request,
        int rebalanceTimeoutMs, string clientId, string clientHost, long now)
    {
        string? currentLeader = group.LeaderId;
        if (member.IsAwaitingJoin)
        {
            CompleteJoin(group, member, new JoinGroupResponse { ErrorCode = ErrorCode.FencedInstanceId, MemberId = member.MemberId });
        }
        if (member.IsAwaitingSync)
        {
            CompleteSync(member, new SyncGroupResponse { ErrorCode = ErrorCode.FencedInstanceId });
        }
        group.RenameStaticMember(member, newMemberId);
        member.ClientId = clientId;
        member.ClientHost = clientHost;
        group.UpdateProtocols(member, request.Protocols);
        member.RebalanceTimeoutMs = rebalanceTimeoutMs;
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        SetHeartbeatDeadline(group, member, now + member.SessionTimeoutMs);
        ParkJoin(group, member, requestId);
        switch (group.State)
        {
            case GroupState.Stable:
                if (group.SelectProtocol() == group.ProtocolName)
                {
                    CompleteJoin(group, member, JoinResult(group, member, includeMembers: false, currentLeader));
                }
                else
                {
                    PrepareRebalance(group, now);
                }
                break;
            case GroupState.CompletingRebalance:
                // The leader may already be assigning to the old id: rebalance so the new id gets an assignment.
                PrepareRebalance(group, now);
                break;
            case GroupState.PreparingRebalance:
                break;
            default:
                Invariant.Fail($"group {group.GroupId}: static member {member.GroupInstanceId} replaced in {group.State}");
                break;
        }
    }

    private void MaybePrepareRebalance(Group group, long now)
    {
        if (group.State is GroupState.Empty or GroupState.Stable or GroupState.CompletingRebalance)
        {
            PrepareRebalance(group, now);
        }
    }

    /// <summary>
    /// Starts a join phase: parked SyncGroups are answered REBALANCE_IN_PROGRESS, assignments are cleared, and
    /// the phase ends when every member rejoined or at the rebalance timeout. Out of Empty, the phase first
    /// waits the initial rebalance delay (extended while new members keep arriving, up to the rebalance
    /// timeout) so that a group of consumers starting together forms one generation instead of many.
    /// </summary>
    private void PrepareRebalance(Group group, long now)
    {
        if (group.Is(GroupState.CompletingRebalance))
        {
            ResetAndPropagateAssignmentError(group, ErrorCode.RebalanceInProgress, now);
        }
        group.PendingSyncMembers.Clear();
        group.SyncDeadlineMs = long.MaxValue;
        bool fromEmpty = group.Is(GroupState.Empty);
        group.TransitionTo(GroupState.PreparingRebalance, now);
        int rebalanceTimeoutMs = group.RebalanceTimeoutMs;
        if (fromEmpty && _options.InitialRebalanceDelayMs > 0)
        {
            group.InInitialDelay = true;
            group.NewMemberAdded = false;
            group.InitialDelayEndMs = now + _options.InitialRebalanceDelayMs;
            group.InitialDelayRemainingMs = Math.Max(rebalanceTimeoutMs - _options.InitialRebalanceDelayMs, 0);
            group.JoinDeadlineMs = long.MaxValue;
            group.NoteDeadline(group.InitialDelayEndMs);
        }
        else
        {
            group.InInitialDelay = false;
            group.InitialDelayEndMs = long.MaxValue;
            group.JoinDeadlineMs = now + rebalanceTimeoutMs;
            group.NoteDeadline(group.JoinDeadlineMs);
        }
        TryCompleteJoin(group, now);
    }

    private void TryCompleteJoin(Group group, long now)
    {
        if (group.Is(GroupState.PreparingRebalance) && !group.InInitialDelay && group.AllMembersJoined)
        {
            CompleteJoinPhase(group, now);
        }
    }

    /// <summary>
    /// Ends the join phase (everyone rejoined, or the deadline passed): dynamic members that did not rejoin are
    /// removed, a rejoined leader is kept or elected, the generation advances, the protocol is selected, and
    /// every parked JoinGroup is answered — the leader's with all members' metadata.
    /// </summary>
    private void CompleteJoinPhase(Group group, long now)
    {
        group.InInitialDelay = false;
        group.InitialDelayEndMs = long.MaxValue;
        group.JoinDeadlineMs = long.MaxValue;
        for (int i = group.Size - 1; i >= 0; i--)
        {
            var member = group.Members[i];
            if (!member.IsAwaitingJoin && !member.IsStatic)
            {
                RemoveMember(group, member);
            }
        }
        if (!MaybeElectJoinedLeader(group) && group.Size > 0)
        {
            // Only static members that have not rejoined remain: wait another round for them (or their expiry).
            group.JoinDeadlineMs = now + group.RebalanceTimeoutMs;
            group.NoteDeadline(group.JoinDeadlineMs);
            return;
        }
        group.InitNextGeneration(now);
        if (group.Is(GroupState.Empty))
        {
            group.RetentionDeadlineMs = now + _options.OffsetsRetentionMs;
            group.NoteDeadline(group.RetentionDeadlineMs);
            return;
        }
        foreach (var member in group.Members)
        {
            if (member.IsAwaitingJoin)
            {
                CompleteJoin(group, member, JoinResult(group, member, group.IsLeader(member.MemberId), group.LeaderId));
            }
            member.IsNew = false;
            SetHeartbeatDeadline(group, member, now + member.SessionTimeoutMs);
            group.PendingSyncMembers.Add(member.MemberId);
        }
        // Members that do not send SyncGroup within the rebalance timeout are removed (Kafka's pending-sync expiry).
        group.SyncDeadlineMs = now + group.RebalanceTimeoutMs;
        group.NoteDeadline(group.SyncDeadlineMs);
    }

    /// <summary>Keeps a rejoined leader, or makes the first rejoined member leader; false if nobody rejoined.</summary>
    private static bool MaybeElectJoinedLeader(Group group)
    {
        if (group.LeaderId == null)
        {
            return false;
        }
        if (group.Get(group.LeaderId).IsAwaitingJoin)
        {
            return true;
        }
        foreach (var member in group.Members)
        {
            if (member.IsAwaitingJoin)
            {
                group.LeaderId = member.MemberId;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The leader's SyncGroup: stores each member's assignment for this generation (members the leader left
    /// out get an empty one, unknown member ids are ignored), answers every parked SyncGroup, and makes the
    /// group Stable.
    /// </summary>
    private void CompleteAssignment(Group group, List<SyncGroupRequestAssignment> assignments, long now)
    {
        var byMember = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var a in assignments)
        {
            if (a.Assignment.Length > _options.AssignmentBytesMax)
            {
                // Kafka answers an assignment too large to store with UNKNOWN_SERVER_ERROR and rebalances.
                ResetAndPropagateAssignmentError(group, ErrorCode.UnknownServerError, now);
                PrepareRebalance(group, now);
                return;
            }
            byMember[a.MemberId] = a.Assignment;
        }
        foreach (var member in group.Members)
        {
            member.Assignment = byMember.GetValueOrDefault(member.MemberId) ?? [];
            member.AssignmentGenerationId = group.GenerationId;
        }
        foreach (var member in group.Members)
        {
            if (member.IsAwaitingSync)
            {
                CompleteSync(member, new SyncGroupResponse { Assignment = member.Assignment });
                SetHeartbeatDeadline(group, member, now + member.SessionTimeoutMs);
            }
        }
        group.TransitionTo(GroupState.Stable, now);
    }

    private void ResetAndPropagateAssignmentError(Group group, ErrorCode error, long now)
    {
        foreach (var member in group.Members)
        {
            member.Assignment = [];
            member.AssignmentGenerationId = -1;
            if (member.IsAwaitingSync)
            {
                CompleteSync(member, new SyncGroupResponse { ErrorCode = error });
                SetHeartbeatDeadline(group, member, now + member.SessionTimeoutMs);
            }
        }
    }

    /// <summary>Removes a member, answering its parked requests with UNKNOWN_MEMBER_ID; no rebalance is started.</summary>
    private void RemoveMember(Group group, GroupMember member)
    {
        if (member.IsAwaitingJoin)
        {
            CompleteJoin(group, member, new JoinGroupResponse { ErrorCode = ErrorCode.UnknownMemberId });
        }
        if (member.IsAwaitingSync)
        {
            CompleteSync(member, new SyncGroupResponse { ErrorCode = ErrorCode.UnknownMemberId });
        }
        group.Remove(member);
        _memberCount--;
    }

    /// <summary>Removes a member (left or expired) and rebalances the rest, or lets a join phase finish without it.</summary>
    private void RemoveMemberAndUpdateGroup(Group group, GroupMember member, long now)
    {
        RemoveMember(group, member);
        switch (group.State)
        {
            case GroupState.Stable:
            case GroupState.CompletingRebalance:
                PrepareRebalance(group, now);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group, now);
                break;
        }
    }

    private void SetHeartbeatDeadline(Group group, GroupMember member, long deadlineMs)
    {
        member.HeartbeatDeadlineMs = deadlineMs;
        group.NoteDeadline(deadlineMs);
    }

    /// <summary>Parks a JoinGroup; an older parked JoinGroup of the same member is answered REBALANCE_IN_PROGRESS.</summary>
    private void ParkJoin(Group group, GroupMember member, long requestId)
    {
        if (member.IsAwaitingJoin)
        {
            CompleteJoin(group, member, new JoinGroupResponse { ErrorCode = ErrorCode.RebalanceInProgress, MemberId = member.MemberId });
        }
        group.SetAwaitingJoin(member, requestId);
        _parkedCount++;
    }

    /// <summary>Parks a SyncGroup; an older parked SyncGroup of the same member is answered REBALANCE_IN_PROGRESS.</summary>
    private void ParkSync(GroupMember member, long requestId)
    {
        if (member.IsAwaitingSync)
        {
            CompleteSync(member, new SyncGroupResponse { ErrorCode = ErrorCode.RebalanceInProgress });
        }
        member.AwaitingSyncRequestId = requestId;
        _parkedCount++;
    }

    private void CompleteJoin(Group group, GroupMember member, JoinGroupResponse response)
    {
        long requestId = member.AwaitingJoinRequestId!.Value;
        group.SetAwaitingJoin(member, null);
        _parkedCount--;
        Reply(requestId, response);
    }

    private void CompleteSync(GroupMember member, SyncGroupResponse response)
    {
        long requestId = member.AwaitingSyncRequestId!.Value;
        member.AwaitingSyncRequestId = null;
        _parkedCount--;
        Reply(requestId, response);
    }

    private void ReplyJoinError(long requestId, string memberId, ErrorCode error) =>
        Reply(requestId, new JoinGroupResponse { ErrorCode = error, MemberId = memberId });

    /// <summary>The current generation as <paramref name="member"/> sees it; the leader also gets every member's metadata.</summary>
    private static JoinGroupResponse JoinResult(Group group, GroupMember member, bool includeMembers, string? leaderId)
    {
        string protocol = group.ProtocolName!;
        var response = new JoinGroupResponse
        {
            GenerationId = group.GenerationId,
            ProtocolName = protocol,
            Leader = leaderId ?? "",
            MemberId = member.MemberId,
        };
        if (includeMembers)
        {
            response.Members = new List<JoinGroupResponseMember>(group.Size);
            foreach (var m in group.Members)
            {
                response.Members.Add(new JoinGroupResponseMember(m.MemberId, m.GroupInstanceId, m.MetadataFor(protocol)!));
            }
        }
        return response;
    }
}
