using Tusk.Core;
using Tusk.Protocols.Kafka;
using Tusk.Streams.Groups;
using Xunit;

namespace Tusk.Streams.Tests.Groups;

/// <summary>
/// Plays the host for a <see cref="GroupCoordinator"/> in tests: owns the clock, numbers requests, drains
/// replies and offset batches after every call (checking exactly one reply per request id), and checks the
/// coordinator's invariants after every step.
/// </summary>
internal sealed class CoordinatorDriver
{
    public const int SessionMs = 10_000;
    public const int RebalanceMs = 30_000;
    public static readonly byte[] RangeMetadata = [1, 2, 3];

    private long _nextRequestId = 1;
    private readonly HashSet<long> _outstanding = [];
    private readonly Dictionary<long, object> _released = [];

    public CoordinatorDriver(GroupCoordinatorOptions? options = null, ulong seed = 1)
    {
        Coordinator = new GroupCoordinator(options ?? Options(), new SeededRandom(seed));
    }

    public GroupCoordinator Coordinator { get; }

    public long NowMs { get; private set; } = 1_000_000;

    /// <summary>Offset batches handed out and not yet completed by this driver, in hand-out order.</summary>
    public List<OffsetWrite> ToPersist { get; } = [];

    public static GroupCoordinatorOptions Options(int initialDelayMs = 0, int membersPerGroupMax = 1_000, int pendingCommitsMax = 100,
        long retentionMs = 7L * 24 * 3600 * 1000) => new()
    {
        InitialRebalanceDelayMs = initialDelayMs,
        MembersPerGroupMax = membersPerGroupMax,
        PendingCommitsMax = pendingCommitsMax,
        OffsetsRetentionMs = retentionMs,
    };

    public static List<JoinGroupRequestProtocol> Range() => [new("range", RangeMetadata)];

    public long SendJoin(string group, string memberId = "", short version = 5, string? instanceId = null, string clientId = "client",
        List<JoinGroupRequestProtocol>? protocols = null, int sessionMs = SessionMs, int rebalanceMs = RebalanceMs, string protocolType = "consumer")
    {
        long id = NewRequest();
        Coordinator.JoinGroup(id, version, new JoinGroupRequest
        {
            GroupId = group,
            MemberId = memberId,
            GroupInstanceId = instanceId,
            SessionTimeoutMs = sessionMs,
            RebalanceTimeoutMs = rebalanceMs,
            ProtocolType = protocolType,
            Protocols = protocols ?? Range(),
        }, clientId, "/10.0.0.1", NowMs);
        Drain();
        return id;
    }

    /// <summary>A join expected to be answered at once.</summary>
    public JoinGroupResponse Join(string group, string memberId = "", short version = 5, string? instanceId = null, string clientId = "client",
        List<JoinGroupRequestProtocol>? protocols = null, string protocolType = "consumer")
    {
        long id = SendJoin(group, memberId, version, instanceId, clientId, protocols, protocolType: protocolType);
        return Released<JoinGroupResponse>(id) ?? throw new Xunit.Sdk.XunitException($"JoinGroup {id} was parked, expected an immediate reply");
    }

    /// <summary>The first half of the v4+ handshake: returns the member id the coordinator assigned.</summary>
    public string JoinNew(string group, string clientId)
    {
        var reply = Join(group, clientId: clientId);
        Assert.Equal(ErrorCode.MemberIdRequired, reply.ErrorCode);
        Assert.StartsWith(clientId + "-", reply.MemberId);
        return reply.MemberId;
    }

    public long SendSync(string group, int generation, string memberId, Dictionary<string, byte[]>? assignments = null, string? instanceId = null)
    {
        long id = NewRequest();
        Coordinator.SyncGroup(id, 3, new SyncGroupRequest
        {
            GroupId = group,
            GenerationId = generation,
            MemberId = memberId,
            GroupInstanceId = instanceId,
            Assignments = assignments?.Select(kv => new SyncGroupRequestAssignment(kv.Key, kv.Value)).ToList() ?? [],
        }, NowMs);
        Drain();
        return id;
    }

    public ErrorCode Heartbeat(string group, int generation, string memberId, string? instanceId = null)
    {
        var response = Coordinator.Heartbeat(3, new HeartbeatRequest { GroupId = group, GenerationId = generation, MemberId = memberId, GroupInstanceId = instanceId }, NowMs);
        Drain();
        return response.ErrorCode;
    }

    public LeaveGroupResponse Leave(string group, string memberId, short version = 3, string? instanceId = null)
    {
        var response = Coordinator.LeaveGroup(version, new LeaveGroupRequest
        {
            GroupId = group,
            MemberId = memberId,
            Members = [new LeaveGroupRequestMember(memberId, instanceId)],
        }, NowMs);
        Drain();
        return response;
    }

    public long SendCommit(string group, int generation, string memberId, string topic, int partition, long offset, string? metadata = null, int leaderEpoch = -1)
    {
        long id = NewRequest();
        Coordinator.OffsetCommit(id, 7, new OffsetCommitRequest
        {
            GroupId = group,
            GenerationId = generation,
            MemberId = memberId,
            Topics = [new OffsetCommitRequestTopic { Name = topic, Partitions = [new(partition, offset, leaderEpoch, metadata)] }],
        }, NowMs);
        Drain();
        return id;
    }

    /// <summary>The single partition error of a commit reply (the reply must have been released).</summary>
    public ErrorCode CommitError(long requestId) =>
        (Released<OffsetCommitResponse>(requestId) ?? throw new Xunit.Sdk.XunitException($"OffsetCommit {requestId} not answered"))
            .Topics.Single().Partitions.Single().ErrorCode;

    /// <summary>Persists and completes every batch handed out so far, in hand-out order.</summary>
    public void PersistAll()
    {
        var batches = ToPersist.ToList();
        ToPersist.Clear();
        foreach (var batch in batches)
        {
            Coordinator.CompleteCommit(batch.CommitId, NowMs);
            Drain();
        }
    }

    /// <summary>Completes one batch (which the test took out of <see cref="ToPersist"/>).</summary>
    public void Complete(long commitId)
    {
        Coordinator.CompleteCommit(commitId, NowMs);
        Drain();
    }

    /// <summary>Reports one batch as not persisted.</summary>
    public void Fail(long commitId, ErrorCode error)
    {
        Coordinator.FailCommit(commitId, error, NowMs);
        Drain();
    }

    public OffsetFetchResponsePartition Fetch(string group, string topic, int partition)
    {
        var response = Coordinator.OffsetFetch(5, new OffsetFetchRequest
        {
            GroupId = group,
            Topics = [new OffsetFetchRequestTopic { Name = topic, PartitionIndexes = [partition] }],
        });
        return response.Topics.Single().Partitions.Single();
    }

    public void Advance(long ms)
    {
        NowMs += ms;
        Coordinator.Tick(NowMs);
        Drain();
    }

    public GroupSummary Summary(string group) => Coordinator.GetGroupSummary(group) ?? throw new Xunit.Sdk.XunitException($"no group {group}");

    public GroupState State(string group) => Coordinator.GetGroupSummary(group)?.State ?? GroupState.Dead;

    /// <summary>The reply released for <paramref name="requestId"/>, taken once; null while still parked.</summary>
    public T? Released<T>(long requestId) where T : class
    {
        if (!_released.Remove(requestId, out object? response))
        {
            Assert.Contains(requestId, _outstanding);
            return null;
        }
        return Assert.IsType<T>(response);
    }

    public bool IsParked(long requestId) => _outstanding.Contains(requestId);

    private long NewRequest()
    {
        long id = _nextRequestId++;
        _outstanding.Add(id);
        return id;
    }

    public void Drain()
    {
        foreach (var reply in Coordinator.TakeResponses())
        {
            Assert.True(_outstanding.Remove(reply.RequestId), $"reply for request {reply.RequestId}, which is not outstanding (a second reply?)");
            _released.Add(reply.RequestId, reply.Response);
        }
        ToPersist.AddRange(Coordinator.TakeOffsetsToPersist());
        Assert.Equal(_outstanding.Count, Coordinator.ParkedRequestCount);
        Coordinator.CheckInvariants();
    }

    /// <summary>
    /// Forms a Stable group of <paramref name="clients"/> in one generation (all take an id, then all rejoin);
    /// the leader assigns partition i to the i-th member. Returns member ids by client and the generation.
    /// </summary>
    public (Dictionary<string, string> Ids, int Generation) StableGroup(string group, params string[] clients)
    {
        var ids = clients.ToDictionary(c => c, c => JoinNew(group, c));
        var joins = clients.ToDictionary(c => c, c => SendJoin(group, ids[c], clientId: c));
        var replies = clients.ToDictionary(c => c, c => Released<JoinGroupResponse>(joins[c]) ?? throw new Xunit.Sdk.XunitException($"{c} still parked"));
        int generation = replies[clients[0]].GenerationId;
        Assert.All(replies.Values, r => Assert.Equal((ErrorCode.None, generation), (r.ErrorCode, r.GenerationId)));
        string leader = replies[clients[0]].Leader;
        var leaderReply = replies.Values.Single(r => r.MemberId == leader);
        var assignments = leaderReply.Members.Select((m, i) => (m.MemberId, i)).ToDictionary(x => x.MemberId, x => new[] { (byte)x.i });
        var syncs = clients.ToDictionary(c => c, c => SendSync(group, generation, ids[c], ids[c] == leader ? assignments : null));
        foreach (string c in clients)
        {
            var sync = Released<SyncGroupResponse>(syncs[c]);
            Assert.NotNull(sync);
            Assert.Equal(ErrorCode.None, sync.ErrorCode);
            Assert.Equal(assignments[ids[c]], sync.Assignment);
        }
        Assert.Equal(GroupState.Stable, State(group));
        return (ids, generation);
    }
}
