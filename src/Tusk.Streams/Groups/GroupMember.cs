using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Groups;

/// <summary>
/// One member of a classic group: its identity, the protocols it supports, its timers and the request it has
/// parked, if any. Owned by its <see cref="Group"/>; mutated only by the coordinator's thread.
/// </summary>
internal sealed class GroupMember
{
    public GroupMember(string memberId, string? groupInstanceId, string clientId, string clientHost,
        List<JoinGroupRequestProtocol> protocols, int rebalanceTimeoutMs, int sessionTimeoutMs)
    {
        MemberId = memberId;
        GroupInstanceId = groupInstanceId;
        ClientId = clientId;
        ClientHost = clientHost;
        Protocols = protocols;
        RebalanceTimeoutMs = rebalanceTimeoutMs;
        SessionTimeoutMs = sessionTimeoutMs;
    }

    /// <summary>The member id; changes only when a static member is replaced by a new instance.</summary>
    public string MemberId { get; set; }

    /// <summary>The static instance id, or null for a dynamic member.</summary>
    public string? GroupInstanceId { get; }

    /// <summary>Client id of the latest JoinGroup.</summary>
    public string ClientId { get; set; }

    /// <summary>Client host of the latest JoinGroup.</summary>
    public string ClientHost { get; set; }

    /// <summary>Supported protocols, most preferred first. Replaced only through <see cref="Group.UpdateProtocols"/>.</summary>
    public List<JoinGroupRequestProtocol> Protocols { get; set; }

    /// <summary>How long the coordinator waits for this member to rejoin.</summary>
    public int RebalanceTimeoutMs { get; set; }

    /// <summary>How long the member lives without a heartbeat.</summary>
    public int SessionTimeoutMs { get; set; }

    /// <summary>
    /// The parked JoinGroup's request id. Invariant: set only while the group is PreparingRebalance; changed only
    /// through <see cref="Group.SetAwaitingJoin"/> (which keeps the group's count).
    /// </summary>
    public long? AwaitingJoinRequestId { get; set; }

    /// <summary>The parked SyncGroup's request id. Invariant: set only while the group is CompletingRebalance.</summary>
    public long? AwaitingSyncRequestId { get; set; }

    /// <summary>The assignment of <see cref="AssignmentGenerationId"/> (empty until the leader syncs).</summary>
    public byte[] Assignment { get; set; } = [];

    /// <summary>The generation <see cref="Assignment"/> belongs to, or -1.</summary>
    public int AssignmentGenerationId { get; set; } = -1;

    /// <summary>True until the member's first join completes; such a member expires by the new-member timeout.</summary>
    public bool IsNew { get; set; }

    /// <summary>
    /// When the member expires. For a new member: its join deadline (new-member timeout); otherwise last
    /// heartbeat + session timeout, not enforced while a JoinGroup or SyncGroup is parked (the rebalance and
    /// sync timeouts bound those waits, and the timer restarts when the parked request is answered).
    /// </summary>
    public long HeartbeatDeadlineMs { get; set; }

    public bool IsStatic => GroupInstanceId != null;

    public bool IsAwaitingJoin => AwaitingJoinRequestId.HasValue;

    public bool IsAwaitingSync => AwaitingSyncRequestId.HasValue;

    /// <summary>Whether the member's session timer runs now (see <see cref="HeartbeatDeadlineMs"/>).</summary>
    public bool CanExpire => IsNew || (!IsAwaitingJoin && !IsAwaitingSync);

    /// <summary>The member's metadata for <paramref name="protocol"/>, or null if it does not support it.</summary>
    public byte[]? MetadataFor(string protocol)
    {
        foreach (var p in Protocols)
        {
            if (p.Name == protocol)
            {
                return p.Metadata;
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="protocols"/> equals the member's protocols (names, order and metadata).</summary>
    public bool Matches(List<JoinGroupRequestProtocol> protocols)
    {
        if (protocols.Count != Protocols.Count)
        {
            return false;
        }
        for (int i = 0; i < protocols.Count; i++)
        {
            if (protocols[i].Name != Protocols[i].Name || !protocols[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The member's most preferred protocol among <paramref name="candidates"/>.</summary>
    public string Vote(HashSet<string> candidates)
    {
        foreach (var p in Protocols)
        {
            if (candidates.Contains(p.Name))
            {
                return p.Name;
            }
        }
        throw new InvariantViolationException($"member {MemberId} supports none of the candidate protocols");
    }
}
