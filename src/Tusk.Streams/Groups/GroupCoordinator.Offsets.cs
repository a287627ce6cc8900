using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Groups;

/// <summary>Committed offsets: OffsetCommit with generation fencing, persistence hand-off, OffsetFetch, startup load.</summary>
public sealed partial class GroupCoordinator
{
    /// <summary>
    /// Restores committed offsets at startup, before any request: <paramref name="records"/> in the order they
    /// were written (a later record for a key wins; a null value deletes the key). Groups come back Empty with
    /// their offsets; their retention counts from <paramref name="nowMs"/>. Group limits are not applied here:
    /// recovery keeps everything it finds.
    /// </summary>
    public void LoadOffsets(IEnumerable<OffsetRecord> records, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(records);
        Invariant.Check(!_serving, "LoadOffsets must run before the first request");
        _nowMs = Math.Max(_nowMs, nowMs);
        var touched = new HashSet<Group>();
        foreach (var record in records)
        {
            if (!_groups.TryGetValue(record.GroupId, out var group))
            {
                group = CreateGroup(record.GroupId, _nowMs);
            }
            touched.Add(group);
            var key = new OffsetPartition(record.Topic, record.Partition);
            if (record.Value is { } value)
            {
                group.Offsets[key] = new OffsetEntry(value, 0);
            }
            else
            {
                group.Offsets.Remove(key);
            }
        }
        foreach (var group in touched)
        {
            long earliest = long.MaxValue;
            foreach (var entry in group.Offsets.Values)
            {
                earliest = Math.Min(earliest, RetentionExpiry(group, entry.Value));
            }
            group.RetentionDeadlineMs = earliest;
            group.NoteDeadline(earliest);
            MaybeRemoveGroup(group);
        }
    }

    /// <summary>
    /// Handles an OffsetCommit. Members commit with their member id and current generation: a commit from
    /// another generation gets ILLEGAL_GENERATION (the fence against zombies of an earlier generation), one
    /// during CompletingRebalance REBALANCE_IN_PROGRESS. A commit with generation -1 and no member id (a
    /// "simple" consumer that assigns partitions itself, or an admin tool) is accepted only while the group has
    /// no members, and creates the group if needed. Accepted offsets go to <see cref="TakeOffsetsToPersist"/>;
    /// the reply under <paramref name="requestId"/> is released by <see cref="CompleteCommit"/> or
    /// <see cref="FailCommit"/> (at once when nothing was accepted).
    /// </summary>
    public void OffsetCommit(long requestId, short version, OffsetCommitRequest request, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(request);
        long now = Advance(nowMs);
        ErrorCode groupError = ErrorCode.None;
        if (!_groups.TryGetValue(request.GroupId, out var group))
        {
            if (request.GenerationId >= 0)
            {
                groupError = ErrorCode.IllegalGeneration; // a generation of a group that no longer exists
            }
            else if (_groups.Count >= _options.GroupsMax)
            {
                groupError = ErrorCode.CoordinatorNotAvailable;
            }
            else
            {
                group = CreateGroup(request.GroupId, now);
            }
        }
        if (group != null)
        {
            groupError = ValidateOffsetCommit(group, request);
            if (groupError == ErrorCode.None && group.Is(GroupState.CompletingRebalance))
            {
                // The member has its new generation but not its assignment yet; it will commit after syncing.
                groupError = ErrorCode.RebalanceInProgress;
            }
            if (groupError == ErrorCode.None && group.TryGet(request.MemberId, out var member))
            {
                SetHeartbeatDeadline(group, member, now + member.SessionTimeoutMs);
            }
        }

        var response = new OffsetCommitResponse();
        var records = new List<OffsetRecord>();
        var accepted = new List<(int Topic, int Partition)>();
        var newKeys = new HashSet<OffsetPartition>();
        for (int t = 0; t < request.Topics.Count; t++)
        {
            var topic = request.Topics[t];
            var topicResult = new OffsetCommitResponseTopic { Name = topic.Name };
            for (int p = 0; p < topic.Partitions.Count; p++)
            {
                var partition = topic.Partitions[p];
                ErrorCode error = groupError;
                if (error == ErrorCode.None)
                {
                    error = ValidatePartitionCommit(group!, topic.Name, partition, newKeys);
                }
                topicResult.Partitions.Add(new OffsetCommitResponsePartition(partition.PartitionIndex, error));
                if (error == ErrorCode.None)
                {
                    var value = new CommittedOffset(partition.CommittedOffset, partition.CommittedLeaderEpoch, partition.CommittedMetadata ?? "", now);
                    records.Add(new OffsetRecord(request.GroupId, topic.Name, partition.PartitionIndex, value));
                    accepted.Add((t, p));
                }
            }
            response.Topics.Add(topicResult);
        }

        if (records.Count > 0 && (_pendingCommits.Count >= _options.PendingCommitsMax || _parkedCount >= _options.PendingResponsesMax))
        {
            // The host is behind on writes: refuse with a retriable error instead of queueing without bound.
            SetErrors(response, accepted, ErrorCode.CoordinatorNotAvailable);
            records.Clear();
        }
        if (records.Count == 0)
        {
            Reply(requestId, response);
        }
        else
        {
            StartWrite(group!, records, requestId, response, accepted);
        }
        if (group != null)
        {
            MaybeRemoveGroup(group);
        }
    }

    /// <summary>
    /// The host made batch <paramref name="commitId"/> durable: its offsets become visible to OffsetFetch (unless
    /// a batch with a higher id already wrote the same partition) and its OffsetCommit reply is released.
    /// </summary>
    public void CompleteCommit(long commitId, long nowMs)
    {
        Advance(nowMs);
        var pending = TakePendingCommit(commitId);
        var group = pending.Group;
        foreach (var record in pending.Records)
        {
            if (record.Value is not { } value)
            {
                continue; // tombstones were applied to memory when the offsets expired
            }
            var key = new OffsetPartition(record.Topic, record.Partition);
            if (!group.Offsets.TryGetValue(key, out var existing) || existing.CommitId < commitId)
            {
                group.Offsets[key] = new OffsetEntry(value, commitId);
            }
            if (group.Is(GroupState.Empty))
            {
                group.RetentionDeadlineMs = Math.Min(group.RetentionDeadlineMs, RetentionExpiry(group, value));
            }
        }
        FinishPendingCommit(pending, ErrorCode.None);
    }

    /// <summary>
    /// The host could not make batch <paramref name="commitId"/> durable: nothing is applied and the accepted
    /// partitions are answered with <paramref name="error"/> (a retriable one such as
    /// COORDINATOR_NOT_AVAILABLE or REQUEST_TIMED_OUT lets the client retry).
    /// </summary>
    public void FailCommit(long commitId, ErrorCode error, long nowMs)
    {
        Invariant.Check(error != ErrorCode.None, "FailCommit needs an error");
        Advance(nowMs);
        FinishPendingCommit(TakePendingCommit(commitId), error);
    }

    /// <summary>
    /// Handles an OffsetFetch and returns its response: each requested partition's committed offset (-1 with
    /// no error when the group has none), or with null topics (v2+) every committed partition of the group.
    /// Only offsets confirmed durable are visible.
    /// </summary>
    public OffsetFetchResponse OffsetFetch(short version, OffsetFetchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _serving = true;
        var response = new OffsetFetchResponse();
        _groups.TryGetValue(request.GroupId, out var group);
        if (request.Topics == null)
        {
            if (group != null)
            {
                OffsetFetchResponseTopic? current = null;
                foreach (var (key, entry) in group.Offsets)
                {
                    if (current == null || current.Name != key.Topic)
                    {
                        current = new OffsetFetchResponseTopic { Name = key.Topic };
                        response.Topics.Add(current);
                    }
                    current.Partitions.Add(FetchedOffset(key.Partition, entry.Value));
                }
            }
            return response;
        }
        foreach (var topic in request.Topics)
        {
            var topicResult = new OffsetFetchResponseTopic { Name = topic.Name };
            foreach (int partition in topic.PartitionIndexes)
            {
                topicResult.Partitions.Add(group != null && group.Offsets.TryGetValue(new OffsetPartition(topic.Name, partition), out var entry)
                    ? FetchedOffset(partition, entry.Value)
                    : new OffsetFetchResponsePartition(partition, -1, -1, "", ErrorCode.None));
            }
            response.Topics.Add(topicResult);
        }
        return response;
    }

    private static OffsetFetchResponsePartition FetchedOffset(int partition, CommittedOffset offset) =>
        new(partition, offset.Offset, offset.LeaderEpoch, offset.Metadata, ErrorCode.None);

    /// <summary>Kafka's commit validation: who may commit to the group in its current state.</summary>
    private static ErrorCode ValidateOffsetCommit(Group group, OffsetCommitRequest request)
    {
        if (request.GenerationId < 0 && group.Is(GroupState.Empty))
        {
            return ErrorCode.None; // not using group management, and nobody is
        }
        if (request.GenerationId >= 0 || request.MemberId.Length > 0 || request.GroupInstanceId != null)
        {
            ErrorCode error = ValidateCurrentMember(group, request.MemberId, request.GroupInstanceId);
            if (error != ErrorCode.None)
            {
                return error;
            }
            return request.GenerationId == group.GenerationId ? ErrorCode.None : ErrorCode.IllegalGeneration;
        }
        // A simple commit while the group has members would overwrite their positions.
        return ErrorCode.UnknownMemberId;
    }

    private ErrorCode ValidatePartitionCommit(Group group, string topic, OffsetCommitRequestPartition partition, HashSet<OffsetPartition> newKeys)
    {
        if (partition.CommittedMetadata != null && Utf8Length(partition.CommittedMetadata) > _options.OffsetMetadataBytesMax)
        {
            return ErrorCode.OffsetMetadataTooLarge;
        }
        var key = new OffsetPartition(topic, partition.PartitionIndex);
        if (!group.Offsets.ContainsKey(key) && !newKeys.Contains(key))
        {
            if (group.Offsets.Count + newKeys.Count >= _options.OffsetsPerGroupMax)
            {
                return ErrorCode.InvalidCommitOffsetSize;
            }
            newKeys.Add(key);
        }
        return ErrorCode.None;
    }

    private PendingCommit TakePendingCommit(long commitId)
    {
        if (!_pendingCommits.Remove(commitId, out var pending))
        {
            Invariant.Fail($"commit {commitId} is not pending (completed twice, or never handed out)");
        }
        return pending;
    }

    private void FinishPendingCommit(PendingCommit pending, ErrorCode error)
    {
        var group = pending.Group;
        group.PendingCommitBatches--;
        if (group.Is(GroupState.Empty))
        {
            group.NoteDeadline(group.RetentionDeadlineMs); // retention waits for in-flight batches; it may run again
        }
        if (pending.RequestId is long requestId)
        {
            if (error != ErrorCode.None)
            {
                SetErrors(pending.Response!, pending.Accepted, error);
            }
            _parkedCount--;
            Reply(requestId, pending.Response!);
        }
        MaybeRemoveGroup(group);
    }

    private static void SetErrors(OffsetCommitResponse response, List<(int Topic, int Partition)> positions, ErrorCode error)
    {
        foreach (var (t, p) in positions)
        {
            var partitions = response.Topics[t].Partitions;
            partitions[p] = partitions[p] with { ErrorCode = error };
        }
    }
}
