using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Groups;

/// <summary>Time: session expiry, the join, initial-delay and sync deadlines, and offset retention.</summary>
public sealed partial class GroupCoordinator
{
    private enum DeadlineKind
    {
        None,
        PendingMemberExpiry,
        MemberExpiry,
        InitialDelayEnd,
        JoinPhaseEnd,
        SyncExpiry,
        OffsetRetention,
    }

    /// <summary>The earliest deadline of a group: what fires, when, and for which member or assigned id.</summary>
    private readonly record struct Deadline(DeadlineKind Kind, long AtMs, GroupMember? Member, string? PendingMemberId);

    /// <summary>
    /// Advances time: fires every deadline at or before <paramref name="nowMs"/>, in deadline order per group —
    /// members whose session expired are removed (and the group rebalances), join phases past their timeout
    /// complete without the members that did not rejoin, members that never sent SyncGroup are removed, unused
    /// assigned member ids lapse, and offsets of long-empty groups expire (as tombstones to persist). Replies
    /// this releases go through <see cref="TakeResponses"/>.
    /// </summary>
    public void Tick(long nowMs)
    {
        long now = Advance(nowMs);
        foreach (var group in _groups.Values)
        {
            if (group.NextDeadlineLowerBoundMs <= now)
            {
                _dueGroups.Add(group);
            }
        }
        foreach (var group in _dueGroups)
        {
            RunDeadlines(group, now);
            MaybeRemoveGroup(group);
        }
        _dueGroups.Clear();
    }

    private void RunDeadlines(Group group, long now)
    {
        // Every firing removes a member or an assigned id, ends a phase, or moves its deadline past now; the
        // bound only turns a bug into an invariant failure instead of a hung tick.
        long firingsMax = 8L * (group.Size + group.PendingMembers.Count + 8);
        for (long firing = 0; ; firing++)
        {
            Invariant.Check(firing <= firingsMax, $"group {group.GroupId}: deadlines keep firing at {now}");
            var due = NextDeadline(group);
            if (due.AtMs > now)
            {
                group.NextDeadlineLowerBoundMs = due.AtMs;
                return;
            }
            Fire(group, due, now);
        }
    }

    private void Fire(Group group, Deadline due, long now)
    {
        switch (due.Kind)
        {
            case DeadlineKind.PendingMemberExpiry:
                group.PendingMembers.Remove(due.PendingMemberId!);
                _memberCount--;
                TryCompleteJoin(group, now);
                break;
            case DeadlineKind.MemberExpiry:
                RemoveMemberAndUpdateGroup(group, due.Member!, now);
                break;
            case DeadlineKind.InitialDelayEnd:
                if (group.NewMemberAdded && group.InitialDelayRemainingMs > 0)
                {
                    // Members are still arriving: wait another delay, within the rebalance timeout.
                    long delay = Math.Min(_options.InitialRebalanceDelayMs, group.InitialDelayRemainingMs);
                    group.InitialDelayRemainingMs -= delay;
                    group.NewMemberAdded = false;
                    group.InitialDelayEndMs = now + delay;
                    group.NoteDeadline(group.InitialDelayEndMs);
                }
                else
                {
                    CompleteJoinPhase(group, now);
                }
                break;
            case DeadlineKind.JoinPhaseEnd:
                CompleteJoinPhase(group, now);
                break;
            case DeadlineKind.SyncExpiry:
                foreach (string memberId in group.PendingSyncMembers.ToArray())
                {
                    RemoveMember(group, group.Get(memberId));
                }
                PrepareRebalance(group, now);
                break;
            case DeadlineKind.OffsetRetention:
                ExpireOffsets(group, now);
                break;
            default:
                Invariant.Fail($"group {group.GroupId}: no deadline to fire");
                break;
        }
    }

    /// <summary>The group's earliest deadline (AtMs = long.MaxValue when nothing is scheduled).</summary>
    private static Deadline NextDeadline(Group group)
    {
        var best = new Deadline(DeadlineKind.None, long.MaxValue, null, null);
        foreach (var (id, deadline) in group.PendingMembers)
        {
            if (deadline < best.AtMs)
            {
                best = new Deadline(DeadlineKind.PendingMemberExpiry, deadline, null, id);
            }
        }
        foreach (var member in group.Members)
        {
            if (member.CanExpire && member.HeartbeatDeadlineMs < best.AtMs)
            {
                best = new Deadline(DeadlineKind.MemberExpiry, member.HeartbeatDeadlineMs, member, null);
            }
        }
        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                long phaseEnd = group.InInitialDelay ? group.InitialDelayEndMs : group.JoinDeadlineMs;
                if (phaseEnd < best.AtMs)
                {
                    best = new Deadline(group.InInitialDelay ? DeadlineKind.InitialDelayEnd : DeadlineKind.JoinPhaseEnd, phaseEnd, null, null);
                }
                break;
            case GroupState.CompletingRebalance:
            case GroupState.Stable:
                if (group.PendingSyncMembers.Count > 0 && group.SyncDeadlineMs < best.AtMs)
                {
                    best = new Deadline(DeadlineKind.SyncExpiry, group.SyncDeadlineMs, null, null);
                }
                break;
            case GroupState.Empty:
                // Expiry waits while the group's own writes are in flight, so a tombstone never races a commit.
                if (group.Offsets.Count > 0 && group.PendingCommitBatches == 0 && group.RetentionDeadlineMs < best.AtMs)
                {
                    best = new Deadline(DeadlineKind.OffsetRetention, group.RetentionDeadlineMs, null, null);
                }
                break;
        }
        return best;
    }

    /// <summary>
    /// Deletes the offsets of an empty group whose retention passed and hands their tombstones to the host as
    /// one batch. Memory forgets them at once; should the tombstones not become durable, the offsets come back
    /// at the next start and expire again.
    /// </summary>
    private void ExpireOffsets(Group group, long now)
    {
        if (_pendingCommits.Count >= _options.PendingCommitsMax)
        {
            // The host is behind on writes: try again at the next tick.
            group.RetentionDeadlineMs = now + 1;
            group.NoteDeadline(group.RetentionDeadlineMs);
            return;
        }
        var expired = new List<OffsetPartition>();
        long nextExpiry = long.MaxValue;
        foreach (var (key, entry) in group.Offsets)
        {
            long expiry = RetentionExpiry(group, entry.Value);
            if (expiry <= now)
            {
                expired.Add(key);
            }
            else
            {
                nextExpiry = Math.Min(nextExpiry, expiry);
            }
        }
        group.RetentionDeadlineMs = nextExpiry;
        group.NoteDeadline(nextExpiry);
        if (expired.Count == 0)
        {
            return;
        }
        var records = new List<OffsetRecord>(expired.Count);
        foreach (var key in expired)
        {
            group.Offsets.Remove(key);
            records.Add(new OffsetRecord(group.GroupId, key.Topic, key.Partition, null));
        }
        StartWrite(group, records, requestId: null, response: null, accepted: []);
    }

    /// <summary>
    /// Forgets every group's committed offsets for a deleted topic, so a topic recreated under the same name
    /// starts from the groups' reset policy instead of offsets beyond its log. The tombstones come out through
    /// <see cref="TakeOffsetsToPersist"/> like any other offset write (no reply is attached to them).
    /// </summary>
    public void DeleteTopicOffsets(string topic, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Advance(nowMs);
        foreach (var group in _groups.Values)
        {
            List<OffsetRecord>? records = null;
            foreach (var key in group.Offsets.Keys.Where(k => k.Topic == topic).ToList())
            {
                group.Offsets.Remove(key);
                (records ??= []).Add(new OffsetRecord(group.GroupId, key.Topic, key.Partition, null));
            }
            if (records != null)
            {
                StartWrite(group, records, requestId: null, response: null, accepted: []);
            }
        }
    }

    private long RetentionExpiry(Group group, CommittedOffset offset) =>
        Math.Max(group.StateSinceMs, offset.CommitTimestampMs) + _options.OffsetsRetentionMs;

    /// <summary>Hands a batch to the host under a new commit id; the group is kept until it completes.</summary>
    private void StartWrite(Group group, List<OffsetRecord> records, long? requestId, OffsetCommitResponse? response,
        List<(int Topic, int Partition)> accepted)
    {
        Invariant.Check(_pendingCommits.Count < _options.PendingCommitsMax, "offset batches beyond PendingCommitsMax");
        long commitId = ++_lastCommitId;
        _pendingCommits.Add(commitId, new PendingCommit(commitId, requestId, group, records, response, accepted));
        _toPersist.Add(new OffsetWrite(commitId, records));
        group.PendingCommitBatches++;
        if (requestId.HasValue)
        {
            _parkedCount++;
        }
    }
}
