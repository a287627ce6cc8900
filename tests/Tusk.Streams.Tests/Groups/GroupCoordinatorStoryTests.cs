using Tusk.Core;
using Tusk.Protocols.Kafka;
using Tusk.Streams.Groups;
using Xunit;

namespace Tusk.Streams.Tests.Groups;

/// <summary>
/// The consumer-group protocol told as stories: what clients send, what the coordinator answers, when, and in
/// which state it leaves the group. Sessions are 10 s and rebalance timeouts 30 s unless a story says otherwise.
/// </summary>
public sealed class GroupCoordinatorStoryTests
{
    private const string G = "orders";

    [Fact]
    public void TwoConsumersFormOneGenerationTheLeaderAssignsAndBothHeartbeat()
    {
        var d = new CoordinatorDriver(CoordinatorDriver.Options(initialDelayMs: 3_000));

        // A takes an id (v5 requires one) and rejoins with it: the first rebalance of an empty group waits 3 s.
        string a = d.JoinNew(G, "a");
        long aJoin = d.SendJoin(G, a, clientId: "a");
        Assert.Equal(GroupState.PreparingRebalance, d.State(G));

        // B arrives 1 s later, inside the delay, which therefore runs once more.
        d.Advance(1_000);
        string b = d.JoinNew(G, "b");
        long bJoin = d.SendJoin(G, b, clientId: "b");
        d.Advance(2_000);
        Assert.True(d.IsParked(aJoin) && d.IsParked(bJoin), "the delay is extended because B joined during it");
        d.Advance(2_999);
        Assert.True(d.IsParked(aJoin));
        d.Advance(1);

        var aReply = d.Released<JoinGroupResponse>(aJoin)!;
        var bReply = d.Released<JoinGroupResponse>(bJoin)!;
        Assert.Equal((ErrorCode.None, 1, "range", a), (aReply.ErrorCode, aReply.GenerationId, aReply.ProtocolName, aReply.Leader));
        Assert.Equal((ErrorCode.None, 1, a, b), (bReply.ErrorCode, bReply.GenerationId, bReply.Leader, bReply.MemberId));
        Assert.Equal([a, b], aReply.Members.Select(m => m.MemberId));
        Assert.All(aReply.Members, m => Assert.Equal(CoordinatorDriver.RangeMetadata, m.Metadata));
        Assert.Empty(bReply.Members);
        Assert.Equal(GroupState.CompletingRebalance, d.State(G));

        // The follower syncs first and waits; the leader's assignment answers both.
        long bSync = d.SendSync(G, 1, b);
        Assert.True(d.IsParked(bSync));
        Assert.Equal(ErrorCode.None, d.Heartbeat(G, 1, b)); // heartbeats while waiting for the leader are fine
        long aSync = d.SendSync(G, 1, a, new() { [a] = [0], [b] = [1] });
        Assert.Equal([0], d.Released<SyncGroupResponse>(aSync)!.Assignment);
        Assert.Equal([1], d.Released<SyncGroupResponse>(bSync)!.Assignment);
        Assert.Equal(GroupState.Stable, d.State(G));

        d.Advance(3_000);
        Assert.Equal(ErrorCode.None, d.Heartbeat(G, 1, a));
        Assert.Equal(ErrorCode.None, d.Heartbeat(G, 1, b));

        var described = d.Coordinator.DescribeGroups(4, new DescribeGroupsRequest { Groups = [G, "nope"] }).Groups;
        Assert.Equal(("Stable", "consumer", "range"), (described[0].GroupState, described[0].ProtocolType, described[0].ProtocolData));
        Assert.Equal([("a", "/10.0.0.1", (byte)0), ("b", "/10.0.0.1", (byte)1)],
            described[0].Members.Select(m => (m.ClientId, m.ClientHost, m.MemberAssignment.Single())));
        Assert.Equal(("Dead", ErrorCode.None), (described[1].GroupState, described[1].ErrorCode));
        Assert.Equal([new ListedGroup(G, "consumer")], d.Coordinator.ListGroups(2).Groups);
    }

    [Fact]
    public void AThirdMemberTriggersARebalanceAndEveryoneRejoinsIntoTheNextGeneration()
    {
        var d = new CoordinatorDriver();
        var (ids, gen) = d.StableGroup(G, "a", "b");

        // C takes an id: nothing changes until it rejoins with it.
        string c = d.JoinNew(G, "c");
        Assert.Equal(GroupState.Stable, d.State(G));
        long cJoin = d.SendJoin(G, c, clientId: "c");
        Assert.Equal(GroupState.PreparingRebalance, d.State(G));

        // The others learn about it from their heartbeats and rejoin.
        Assert.Equal(ErrorCode.RebalanceInProgress, d.Heartbeat(G, gen, ids["a"]));
        Assert.Equal(ErrorCode.RebalanceInProgress, d.Heartbeat(G, gen, ids["b"]));
        long aJoin = d.SendJoin(G, ids["a"], clientId: "a");
        Assert.True(d.IsParked(cJoin) && d.IsParked(aJoin), "B has not rejoined yet");
        long bJoin = d.SendJoin(G, ids["b"], clientId: "b");

        var replies = new[] { aJoin, bJoin, cJoin }.Select(id => d.Released<JoinGroupResponse>(id)!).ToList();
        Assert.All(replies, r => Assert.Equal((ErrorCode.None, gen + 1, ids["a"]), (r.ErrorCode, r.GenerationId, r.Leader)));
        Assert.Equal(3, replies[0].Members.Count);

        // The old generation is over.
        Assert.Equal(ErrorCode.IllegalGeneration, d.Heartbeat(G, gen, ids["b"]));
        Assert.Equal(ErrorCode.None, d.Heartbeat(G, gen + 1, ids["b"]));
    }

    [Fact]
    public void AMemberWhoseSessionExpiresIsRemovedOnTickAndTheGroupRebalancesWithoutIt()
    {
        var d = new CoordinatorDriver();
        var (ids, gen) = d.StableGroup(G, "a", "b");

        d.Advance(9_000);
        Assert.Equal(ErrorCode.None, d.Heartbeat(G, gen, ids["a"]));
        d.Advance(999);
        Assert.Equal(GroupState.Stable, d.State(G)); // B's 10 s session has 1 ms left
        d.Advance(1);
        Assert.Equal(GroupState.PreparingRebalance, d.State(G));
        Assert.Equal([ids["a"]], d.Summary(G).MemberIds);

        Assert.Equal(ErrorCode.RebalanceInProgress, d.Heartbeat(G, gen, ids["a"]));
        var rejoin = d.Join(G, ids["a"], clientId: "a");
        Assert.Equal((gen + 1, ids["a"], 1), (rejoin.GenerationId, rejoin.Leader, rejoin.Members.Count));
        Assert.Equal(ErrorCode.UnknownMemberId, d.Heartbeat(G, gen, ids["b"]));
    }

    [Fact]
    public void MembersThatDoNotRejoinWithinTheRebalanceTimeoutAreDropped()
    {
        var d = new CoordinatorDriver();
        var (ids, gen) = d.StableGroup(G, "a", "b", "c");

        // The leader rejoining forces a rebalance; B follows, C keeps heartbeating but never rejoins.
        long aJoin = d.SendJoin(G, ids["a"], clientId: "a");
        long bJoin = d.SendJoin(G, ids["b"], clientId: "b");
        for (int i = 0; i < 5; i++)
        {
            d.Advance(5_000);
            Assert.Equal(ErrorCode.RebalanceInProgress, d.Heartbeat(G, gen, ids["c"]));
        }
        d.Advance(4_999);
        Assert.True(d.IsParked(aJoin) && d.IsParked(bJoin));
        d.Advance(1);

        var aReply = d.Released<JoinGroupResponse>(aJoin)!;
        Assert.Equal(gen + 1, aReply.GenerationId);
        Assert.Equal([ids["a"], ids["b"]], aReply.Members.Select(m => m.MemberId));
        Assert.Equal(ErrorCode.UnknownMemberId, d.Heartbeat(G, gen, ids["c"]));
    }

    [Fact]
    public void FollowersWaitingForALeaderThatNeverSyncsAreSentBackToRejoin()
    {
        var d = new CoordinatorDriver();
        string a = d.JoinNew(G, "a");
        string b = d.JoinNew(G, "b");
        long aJoin = d.SendJoin(G, a, clientId: "a");
        long bJoin = d.SendJoin(G, b, clientId: "b");
        int gen = d.Released<JoinGroupResponse>(aJoin)!.GenerationId;
        Assert.Equal(gen, d.Released<JoinGroupResponse>(bJoin)!.GenerationId);

        // The leader stays alive (its heartbeats are answered NONE) but never sends its assignment.
        long bSync = d.SendSync(G, gen, b);
        for (int i = 0; i < 5; i++)
        {
            d.Advance(5_000);
            Assert.Equal(ErrorCode.None, d.Heartbeat(G, gen, a));
        }
        d.Advance(4_999);
        Assert.True(d.IsParked(bSync));
        d.Advance(1); // 30 s after the join: the leader, which never synced, is removed, and B must rejoin

        Assert.Equal(ErrorCode.RebalanceInProgress, d.Released<SyncGroupResponse>(bSync)!.ErrorCode);
        Assert.Equal([b], d.Summary(G).MemberIds);
        var rejoin = d.Join(G, b, clientId: "b");
        Assert.Equal((gen + 1, b), (rejoin.GenerationId, rejoin.Leader));
    }

    [Fact]
    public void ACommitFromAnOldGenerationIsFencedAndOffsetsAreVisibleOnlyOnceDurable()
    {
        var d = new CoordinatorDriver();
        var (ids, gen) = d.StableGroup(G, "a", "b");

        long commit = d.SendCommit(G, gen, ids["a"], "t", 0, 10, "a@1");
        Assert.True(d.IsParked(commit), "the reply waits until the offset is durable");
        var batch = Assert.Single(d.ToPersist);
        Assert.Equal(new OffsetRecord(G, "t", 0, new CommittedOffset(10, -1, "a@1", d.NowMs)), Assert.Single(batch.Records));
        Assert.Equal(-1, d.Fetch(G, "t", 0).CommittedOffset);
        d.PersistAll();
        Assert.Equal(ErrorCode.None, d.CommitError(commit));
        Assert.Equal((10L, "a@1"), (d.Fetch(G, "t", 0).CommittedOffset, d.Fetch(G, "t", 0).Metadata));

        // B's session expires; A rejoins into the next generation, and cannot commit before it has its assignment.
        d.Advance(5_000);
        Assert.Equal(ErrorCode.None, d.Heartbeat(G, gen, ids["a"]));
        d.Advance(5_000);
        var rejoin = d.Join(G, ids["a"], clientId: "a");
        Assert.Equal(gen + 1, rejoin.GenerationId);
        Assert.Equal(ErrorCode.RebalanceInProgress, d.CommitError(d.SendCommit(G, gen + 1, ids["a"], "t", 0, 11)));
        d.SendSync(G, gen + 1, ids["a"], new() { [ids["a"]] = [0, 1] });

        // A commit still carrying the old generation (a zombie of generation 1) is fenced; so is expired B.
        Assert.Equal(ErrorCode.IllegalGeneration, d.CommitError(d.SendCommit(G, gen, ids["a"], "t", 0, 12)));
        Assert.Equal(ErrorCode.UnknownMemberId, d.CommitError(d.SendCommit(G, gen, ids["b"], "t", 1, 5)));
        Assert.Equal(ErrorCode.UnknownMemberId, d.CommitError(d.SendCommit(G, -1, "", "t", 1, 5)));
        Assert.Empty(d.ToPersist);

        long current = d.SendCommit(G, gen + 1, ids["a"], "t", 0, 13);
        d.PersistAll();
        Assert.Equal(ErrorCode.None, d.CommitError(current));
        Assert.Equal(13, d.Fetch(G, "t", 0).CommittedOffset);
    }

    /// <summary>A deleted topic's offsets vanish from every group, durably (tombstones), and other topics' stay.</summary>
    [Fact]
    public void DeletingATopicForgetsItsCommittedOffsetsInEveryGroup()
    {
        var d = new CoordinatorDriver();
        d.SendCommit("g1", -1, "", "gone", 0, 10);
        d.SendCommit("g1", -1, "", "kept", 0, 20);
        d.SendCommit("g2", -1, "", "gone", 1, 30);
        d.PersistAll();
        d.Coordinator.DeleteTopicOffsets("gone", d.NowMs);
        d.Drain();
        var tombstones = d.ToPersist.SelectMany(w => w.Records).ToList();
        Assert.Equal(2, tombstones.Count);
        Assert.All(tombstones, r => Assert.True(r.Topic == "gone" && r.Value == null));
        d.PersistAll();
        Assert.Equal(-1, d.Fetch("g1", "gone", 0).CommittedOffset);
        Assert.Equal(-1, d.Fetch("g2", "gone", 1).CommittedOffset);
        Assert.Equal(20, d.Fetch("g1", "kept", 0).CommittedOffset);
    }

    [Fact]
    public void SimpleConsumersCommitWithoutAGroupAndFailedWritesApplyNothing()
    {
        var d = new CoordinatorDriver();
        long first = d.SendCommit("simple", -1, "", "t", 1, 5, "m", leaderEpoch: 3);
        Assert.Equal(GroupState.Empty, d.State("simple"));
        d.PersistAll();
        Assert.Equal(ErrorCode.None, d.CommitError(first));
        var fetched = d.Fetch("simple", "t", 1);
        Assert.Equal((5L, 3, "m"), (fetched.CommittedOffset, fetched.CommittedLeaderEpoch, fetched.Metadata));

        long failed = d.SendCommit("simple", -1, "", "t", 1, 6);
        var batch = Assert.Single(d.ToPersist);
        d.ToPersist.Clear();
        d.Fail(batch.CommitId, ErrorCode.CoordinatorNotAvailable);
        Assert.Equal(ErrorCode.CoordinatorNotAvailable, d.CommitError(failed));
        Assert.Equal(5, d.Fetch("simple", "t", 1).CommittedOffset);

        // Batches completed out of order: the higher commit id wins.
        long seven = d.SendCommit("simple", -1, "", "t", 0, 7);
        long eight = d.SendCommit("simple", -1, "", "t", 0, 8);
        var batches = d.ToPersist.ToList();
        d.ToPersist.Clear();
        d.Complete(batches[1].CommitId);
        Assert.True(d.IsParked(seven));
        Assert.Equal(ErrorCode.None, d.CommitError(eight));
        d.Complete(batches[0].CommitId);
        Assert.Equal(ErrorCode.None, d.CommitError(seven));
        Assert.Equal(8, d.Fetch("simple", "t", 0).CommittedOffset);

        // Null topics (v2+) fetch everything, ordered; unknown partitions and groups read -1 without error.
        var all = d.Coordinator.OffsetFetch(2, new OffsetFetchRequest { GroupId = "simple", Topics = null });
        Assert.Equal([(0, 8L), (1, 5L)], all.Topics.Single().Partitions.Select(p => (p.PartitionIndex, p.CommittedOffset)));
        Assert.Equal((-1L, "", ErrorCode.None), (d.Fetch("nope", "t", 0).CommittedOffset, d.Fetch("nope", "t", 0).Metadata, d.Fetch("nope", "t", 0).ErrorCode));
        Assert.Empty(d.Coordinator.OffsetFetch(2, new OffsetFetchRequest { GroupId = "nope", Topics = null }).Topics);
        // A generation of a group the coordinator does not know is stale.
        Assert.Equal(ErrorCode.IllegalGeneration, d.CommitError(d.SendCommit("gone", 3, "m", "t", 0, 1)));
    }

    [Fact]
    public void V4JoinsWithoutAnIdGetOneAndAnUnusedIdHoldsTheRebalanceOnlyUntilItExpires()
    {
        var d = new CoordinatorDriver();
        string pending = d.JoinNew(G, "slow");
        Assert.Equal((GroupState.Empty, 1, 0), (d.Summary(G).State, d.Summary(G).PendingMemberCount, d.Summary(G).MemberIds.Count));

        // A v3 client joins without the handshake; the join phase waits for the id handed to "slow".
        long v3Join = d.SendJoin(G, version: 3, clientId: "old");
        Assert.True(d.IsParked(v3Join));
        d.Advance(CoordinatorDriver.SessionMs - 1);
        Assert.True(d.IsParked(v3Join));
        d.Advance(1);
        var reply = d.Released<JoinGroupResponse>(v3Join)!;
        Assert.Equal((ErrorCode.None, 1, reply.MemberId), (reply.ErrorCode, reply.GenerationId, reply.Leader));
        Assert.StartsWith("old-", reply.MemberId);
        Assert.Equal(0, d.Summary(G).PendingMemberCount);

        // The lapsed id is no longer known.
        Assert.Equal(ErrorCode.UnknownMemberId, d.Join(G, pending, clientId: "slow").ErrorCode);
        // A member id for a group that does not exist is stale too; a group id must be given.
        Assert.Equal(ErrorCode.UnknownMemberId, d.Join("other", "x-1").ErrorCode);
        Assert.Equal(ErrorCode.InvalidGroupId, d.Join("").ErrorCode);
        Assert.Equal(ErrorCode.InvalidSessionTimeout, d.Released<JoinGroupResponse>(d.SendJoin(G, sessionMs: 1_000))!.ErrorCode);
    }

    [Fact]
    public void LeavingMembersTriggerARebalanceAndTheLastOneLeavesNothingBehind()
    {
        var d = new CoordinatorDriver();
        var (ids, gen) = d.StableGroup(G, "a", "b");

        var left = d.Leave(G, ids["b"]);
        Assert.Equal((ErrorCode.None, ErrorCode.None), (left.ErrorCode, left.Members.Single().ErrorCode));
        Assert.Equal(GroupState.PreparingRebalance, d.State(G));
        Assert.Equal(ErrorCode.RebalanceInProgress, d.Heartbeat(G, gen, ids["a"]));
        Assert.Equal(gen + 1, d.Join(G, ids["a"], clientId: "a").GenerationId);

        Assert.Equal(ErrorCode.UnknownMemberId, d.Leave(G, "stranger").Members.Single().ErrorCode);
        Assert.Equal(ErrorCode.UnknownMemberId, d.Leave(G, "stranger", version: 0).ErrorCode);

        var last = d.Leave(G, ids["a"], version: 0);
        Assert.Equal(ErrorCode.None, last.ErrorCode);
        Assert.Equal(GroupState.Dead, d.State(G)); // empty and without offsets: forgotten
        Assert.Empty(d.Coordinator.ListGroups(0).Groups);
    }

    [Fact]
    public void AGroupThatEmptiesKeepsItsOffsetsUntilRetentionExpiresThem()
    {
        var d = new CoordinatorDriver(CoordinatorDriver.Options(retentionMs: 60_000));
        var (ids, gen) = d.StableGroup(G, "a");
        d.SendCommit(G, gen, ids["a"], "t", 0, 42);
        d.PersistAll();
        d.Leave(G, ids["a"]);
        Assert.Equal((GroupState.Empty, gen + 1, 1), (d.Summary(G).State, d.Summary(G).GenerationId, d.Summary(G).OffsetCount));

        d.Advance(59_999);
        Assert.Empty(d.ToPersist);
        d.Advance(1);
        var tombstones = Assert.Single(d.ToPersist);
        Assert.Equal(new OffsetRecord(G, "t", 0, null), Assert.Single(tombstones.Records));
        Assert.Equal(-1, d.Fetch(G, "t", 0).CommittedOffset);
        Assert.Equal(GroupState.Empty, d.State(G)); // kept until the tombstone is durable
        d.PersistAll();
        Assert.Equal(GroupState.Dead, d.State(G));
    }

    [Fact]
    public void OffsetsLoadedAtStartupAreServedAndLoadingAfterServingIsABug()
    {
        var d = new CoordinatorDriver();
        d.Coordinator.LoadOffsets(
        [
            new OffsetRecord("g1", "t", 0, new CommittedOffset(5, 1, "x", 100)),
            new OffsetRecord("g1", "t", 1, new CommittedOffset(6, 1, "", 100)),
            new OffsetRecord("g1", "t", 1, null),
            new OffsetRecord("g2", "u", 0, new CommittedOffset(1, -1, "", 100)),
            new OffsetRecord("g3", "u", 0, new CommittedOffset(1, -1, "", 100)),
            new OffsetRecord("g3", "u", 0, null),
        ], d.NowMs);
        Assert.Equal(5, d.Fetch("g1", "t", 0).CommittedOffset);
        Assert.Equal(-1, d.Fetch("g1", "t", 1).CommittedOffset);
        Assert.Equal(["g1", "g2"], d.Coordinator.ListGroups(0).Groups.Select(g => g.GroupId));

        // Commits of the restored group continue normally and outrank the loaded values.
        long commit = d.SendCommit("g1", -1, "", "t", 0, 9);
        d.PersistAll();
        Assert.Equal(ErrorCode.None, d.CommitError(commit));
        Assert.Equal(9, d.Fetch("g1", "t", 0).CommittedOffset);
        Assert.Throws<InvariantViolationException>(() => d.Coordinator.LoadOffsets([], d.NowMs));
    }

    [Fact]
    public void ARestartedStaticMemberTakesOverWithoutARebalanceAndFencesItsOldIncarnation()
    {
        var d = new CoordinatorDriver();
        long aJoin = d.SendJoin(G, instanceId: "pod-a", clientId: "a"); // static members skip the id handshake
        var a = d.Released<JoinGroupResponse>(aJoin)!;
        Assert.StartsWith("pod-a-", a.MemberId);
        d.SendSync(G, a.GenerationId, a.MemberId, new() { [a.MemberId] = [7] }, instanceId: "pod-a");
        Assert.Equal(GroupState.Stable, d.State(G));

        var restarted = d.Join(G, instanceId: "pod-a", clientId: "a");
        Assert.Equal((ErrorCode.None, a.GenerationId), (restarted.ErrorCode, restarted.GenerationId));
        Assert.NotEqual(a.MemberId, restarted.MemberId);
        Assert.Equal(a.MemberId, restarted.Leader); // the old leader id: the new instance must not re-assign a stable group
        Assert.Equal(GroupState.Stable, d.State(G));

        long sync = d.SendSync(G, restarted.GenerationId, restarted.MemberId, instanceId: "pod-a");
        Assert.Equal([7], d.Released<SyncGroupResponse>(sync)!.Assignment);
        Assert.Equal(ErrorCode.FencedInstanceId, d.Heartbeat(G, a.GenerationId, a.MemberId, "pod-a"));
        Assert.Equal(ErrorCode.None, d.Heartbeat(G, a.GenerationId, restarted.MemberId, "pod-a"));

        // Leaving by instance id alone removes it.
        var left = d.Coordinator.LeaveGroup(3, new LeaveGroupRequest { GroupId = G, Members = [new("", "pod-a")] }, d.NowMs);
        Assert.Equal(ErrorCode.None, left.Members.Single().ErrorCode);
        Assert.Equal(GroupState.Dead, d.State(G));
    }

    [Fact]
    public void TheProtocolIsTheMostPreferredOneEveryMemberSupports()
    {
        var d = new CoordinatorDriver();
        var rr = new JoinGroupRequestProtocol("roundrobin", [9]);
        var range = new JoinGroupRequestProtocol("range", [8]);
        string a = d.JoinNew(G, "a");
        string b = d.JoinNew(G, "b");
        long aJoin = d.SendJoin(G, a, protocols: [rr, range]);
        long bJoin = d.SendJoin(G, b, protocols: [range, rr]);
        var aReply = d.Released<JoinGroupResponse>(aJoin)!;
        Assert.Equal("roundrobin", aReply.ProtocolName); // one vote each: the first member's preference breaks the tie
        Assert.Equal([[9], [9]], aReply.Members.Select(m => m.Metadata));
        Assert.Equal("roundrobin", d.Released<JoinGroupResponse>(bJoin)!.ProtocolName);

        // A member that only knows "range" narrows the choice.
        string c = d.JoinNew(G, "c");
        long cJoin = d.SendJoin(G, c, protocols: [range]);
        d.SendJoin(G, a, protocols: [rr, range]);
        d.SendJoin(G, b, protocols: [range, rr]);
        Assert.Equal("range", d.Released<JoinGroupResponse>(cJoin)!.ProtocolName);

        // Nothing in common, or another protocol type: refused.
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, d.Join(G, protocols: [new("sticky", [])]).ErrorCode);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, d.Join(G, protocolType: "connect").ErrorCode);
    }

    [Fact]
    public void RejoiningWithUnchangedMetadataReturnsTheCurrentGenerationWithoutARebalance()
    {
        var d = new CoordinatorDriver();
        string a = d.JoinNew(G, "a");
        string b = d.JoinNew(G, "b");
        long aJoin = d.SendJoin(G, a);
        long bJoin = d.SendJoin(G, b);
        int gen = d.Released<JoinGroupResponse>(bJoin)!.GenerationId;
        d.Released<JoinGroupResponse>(aJoin);

        // B lost its JoinGroup response during CompletingRebalance and asks again: same answer.
        var again = d.Join(G, b);
        Assert.Equal((gen, a, 0), (again.GenerationId, again.Leader, again.Members.Count));
        var leaderAgain = d.Join(G, a);
        Assert.Equal(2, leaderAgain.Members.Count);

        d.SendSync(G, gen, a, new() { [a] = [0], [b] = [1] });
        Assert.Equal(GroupState.Stable, d.State(G));
        // A follower rejoining a stable group unchanged gets the generation back at once...
        Assert.Equal(gen, d.Join(G, b).GenerationId);
        Assert.Equal(GroupState.Stable, d.State(G));
        // ...but changed metadata starts a rebalance.
        long changed = d.SendJoin(G, b, protocols: [new("range", [42])]);
        Assert.True(d.IsParked(changed));
        Assert.Equal(GroupState.PreparingRebalance, d.State(G));
    }

    [Fact]
    public void LimitsRefuseWorkInsteadOfGrowing()
    {
        var d = new CoordinatorDriver(CoordinatorDriver.Options(membersPerGroupMax: 2, pendingCommitsMax: 1));
        var (ids, gen) = d.StableGroup(G, "a", "b");
        Assert.Equal(GroupCoordinator.GroupMaxSizeReached, d.Join(G, version: 3).ErrorCode);
        Assert.Equal(GroupCoordinator.GroupMaxSizeReached, d.Join(G, version: 4).ErrorCode);

        long first = d.SendCommit(G, gen, ids["a"], "t", 0, 1);
        Assert.True(d.IsParked(first));
        Assert.Equal(ErrorCode.CoordinatorNotAvailable, d.CommitError(d.SendCommit(G, gen, ids["b"], "t", 1, 1)));
        d.PersistAll();
        Assert.Equal(ErrorCode.None, d.CommitError(first));

        string tooLong = new('x', d.Coordinator.Options.OffsetMetadataBytesMax + 1);
        Assert.Equal(ErrorCode.OffsetMetadataTooLarge, d.CommitError(d.SendCommit(G, gen, ids["a"], "t", 0, 2, tooLong)));

        var options = new GroupCoordinatorOptions();
        Assert.Equal(options.MembersMax + options.PendingCommitsMax, options.PendingResponsesMax);
        Assert.True(options.MembersMax >= options.MembersPerGroupMax);
        Assert.Throws<ArgumentException>(() => new GroupCoordinator(new GroupCoordinatorOptions { MembersMax = 10, MembersPerGroupMax = 20 }, new SeededRandom(1)));
        Assert.Throws<ArgumentException>(() => new GroupCoordinator(new GroupCoordinatorOptions { GroupMinSessionTimeoutMs = 0 }, new SeededRandom(1)));
    }

    [Fact]
    public void GeneratedMemberIdsComeFromTheSeededRandomSource()
    {
        static string FirstId(ulong seed) => new CoordinatorDriver(seed: seed).JoinNew(G, "c");
        Assert.Equal(FirstId(7), FirstId(7));
        Assert.NotEqual(FirstId(7), FirstId(8));
        Assert.Matches("^c-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", FirstId(7));
    }
}
