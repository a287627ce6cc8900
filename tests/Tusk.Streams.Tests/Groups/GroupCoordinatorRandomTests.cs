using Tusk.Core;
using Tusk.Protocols.Kafka;
using Tusk.Streams.Groups;
using Xunit;
using Xunit.Abstractions;

namespace Tusk.Streams.Tests.Groups;

/// <summary>
/// Many simulated consumers drive a coordinator through random joins, leaves, crashes, pauses (missed
/// heartbeats), metadata changes, commits, out-of-order and failed persistence, and ticks; then the chaos stops
/// and the group must converge. Everything runs on one seed (set TUSK_SEED to replay one). Checked on the
/// history, besides <see cref="GroupCoordinator.CheckInvariants"/> after every step:
/// <list type="bullet">
/// <item>at most one generation is active: every successful JoinGroup, SyncGroup and Heartbeat names the group's
/// current generation, and once a generation delivered an assignment no older one does;</item>
/// <item>every Stable member got its assignment from the same generation, exactly as that generation's leader
/// assigned it, and assignments of the current generation's members never overlap;</item>
/// <item>no member is in two generations at once: a member id belongs to one client, its generations only
/// grow, and every member told it joined generation g is in the member list g's leader received;</item>
/// <item>a commit that names a generation succeeds only if that generation was current when it arrived.</item>
/// </list>
/// </summary>
public sealed class GroupCoordinatorRandomTests(ITestOutputHelper output)
{
    private const int Partitions = 6;

    [Fact]
    public void RandomMembershipKeepsOneGenerationAndConverges()
    {
        string? fixedSeed = Environment.GetEnvironmentVariable("TUSK_SEED");
        IEnumerable<ulong> seeds = fixedSeed != null ? [ulong.Parse(fixedSeed)] : Enumerable.Range(1, 40).Select(i => (ulong)i);
        var outcomes = new Dictionary<string, int>();
        foreach (ulong seed in seeds)
        {
            var sim = new Simulation(seed, outcomes);
            try
            {
                sim.Run(chaosSteps: 3_000);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed} failed (replay with TUSK_SEED={seed}): {e.Message}\n--- last events ---\n{sim.Trace()}\n{e}");
            }
        }
        output.WriteLine(string.Join("\n", outcomes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} = {kv.Value}")));
        if (fixedSeed == null)
        {
            // The runs must have gone through the paths they are meant to check, not around them.
            string[] expected =
            [
                "join.ok", "join.member_id_required", "join.static_takeover", "sync.ok", "sync.parked_then_ok", "sync.rebalance_in_progress",
                "heartbeat.rebalance_in_progress", "heartbeat.unknown_member", "commit.ok", "commit.illegal_generation", "commit.failed_write",
                "fenced_instance", "converged_with_members",
            ];
            foreach (string outcome in expected)
            {
                Assert.True(outcomes.GetValueOrDefault(outcome) > 0, $"no run saw {outcome}: {string.Join(", ", outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))}");
            }
        }
    }

    private enum ClientState
    {
        NeedJoin,
        NeedSync,
        Stable,
    }

    private sealed class Client(string name, string group, short version, string? instanceId, int sessionMs, int rebalanceMs)
    {
        public string Name { get; } = name;
        public string Group { get; } = group;
        public short Version { get; } = version;
        public string? InstanceId { get; } = instanceId;
        public int SessionMs { get; } = sessionMs;
        public int RebalanceMs { get; } = rebalanceMs;
        public bool Alive { get; set; } = true;
        public bool Paused { get; set; }
        public string MemberId { get; set; } = "";
        public int Generation { get; set; } = -1;
        public ClientState State { get; set; } = ClientState.NeedJoin;
        public long? InFlight { get; set; }
        public long LastHeartbeatMs { get; set; }
        public byte Subscription { get; set; }
        public List<JoinGroupResponseMember> LeaderMembers { get; set; } = [];
        public bool IsLeader { get; set; }
        public byte[] Assignment { get; set; } = [];
        public int CommitGeneration { get; set; }
        public int GenerationAtCommit { get; set; }
        public bool StaleCommit { get; set; }
        public int PreviousGeneration { get; set; } = -1;

        public void Reset()
        {
            PreviousGeneration = -1;
            MemberId = "";
            Generation = -1;
            State = ClientState.NeedJoin;
        }
    }

    private sealed class GenerationRecord
    {
        public string? Leader { get; set; }
        public string? Protocol { get; set; }
        public HashSet<string>? Members { get; set; }
        public Dictionary<string, byte[]>? Assignments { get; set; }
        public List<string> Joined { get; } = [];
    }

    private sealed class Simulation
    {
        private static readonly string[] Groups = ["g1", "g2"];
        private readonly SeededRandom _rng;
        private readonly GroupCoordinator _coordinator;
        private readonly List<Client> _clients = [];
        private readonly Dictionary<long, Client> _inFlight = [];
        private readonly List<OffsetWrite> _toPersist = [];
        private readonly Dictionary<(string Group, int Generation), GenerationRecord> _generations = [];
        private readonly Dictionary<string, int> _maxSyncedGeneration = [];
        private readonly Dictionary<string, string> _memberOwner = new(StringComparer.Ordinal);
        private readonly Queue<string> _trace = new();
        private long _now = 1_000_000;
        private long _nextRequestId = 1;
        private int _clientCounter;

        // The SyncGroup being sent, while its own call drains (a reply for it then was not parked).
        private long _callRequestId;

        private readonly Dictionary<string, int> _outcomes;

        public Simulation(ulong seed, Dictionary<string, int> outcomes)
        {
            _outcomes = outcomes;
            _rng = new SeededRandom(seed);
            var options = new GroupCoordinatorOptions
            {
                InitialRebalanceDelayMs = _rng.Next(2) == 0 ? 0 : 3_000,
                OffsetsRetentionMs = 120_000,
                PendingCommitsMax = 8,
            };
            _coordinator = new GroupCoordinator(options, new SeededRandom(seed * 31 + 7));
        }

        public string Trace() => string.Join("\n", _trace);

        private void Count(string outcome) => _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;

        public void Run(int chaosSteps)
        {
            for (int step = 0; step < chaosSteps; step++)
            {
                ChaosStep();
            }
            Heal();
        }

        private void Log(string message)
        {
            _trace.Enqueue($"t={_now} {message}");
            if (_trace.Count > 60)
            {
                _trace.Dequeue();
            }
        }

        private void ChaosStep()
        {
            int roll = _rng.Next(100);
            var alive = _clients.Where(c => c.Alive).ToList();
            if (roll < 40 && alive.Count > 0)
            {
                Act(alive[_rng.Next(alive.Count)], allowCommit: true);
            }
            else if (roll < 60)
            {
                AdvanceTime(_rng.Next(1_500));
            }
            else if (roll < 70)
            {
                PersistSome(failPercent: 10);
            }
            else if (roll < 76 && alive.Count < 10)
            {
                StartClient();
            }
            else if (roll < 80 && alive.Count > 0)
            {
                var c = alive[_rng.Next(alive.Count)];
                c.Alive = false;
                Log($"{c.Name} crashes");
            }
            else if (roll < 83 && alive.Count > 0)
            {
                Leave(alive[_rng.Next(alive.Count)]);
            }
            else if (roll < 89 && alive.Count > 0)
            {
                var c = alive[_rng.Next(alive.Count)];
                c.Paused = !c.Paused;
                Log($"{c.Name} {(c.Paused ? "pauses" : "resumes")}");
            }
            else if (roll < 92 && alive.Count > 0)
            {
                var c = alive[_rng.Next(alive.Count)];
                if (c.State == ClientState.Stable && c.InFlight == null)
                {
                    c.Subscription++;
                    c.State = ClientState.NeedJoin; // subscription changed: rejoin with new metadata
                    Log($"{c.Name} changes subscription");
                }
            }
            else if (roll < 95 && alive.Count > 0)
            {
                // A delayed duplicate of an earlier commit arrives, still carrying the previous generation.
                var c = alive[_rng.Next(alive.Count)];
                if (c.InFlight == null && c.PreviousGeneration >= 0)
                {
                    SendCommit(c, stale: true);
                }
            }
        }

        private void Heal()
        {
            foreach (var c in _clients)
            {
                c.Paused = false;
            }
            for (int round = 0; round < 2_000; round++)
            {
                foreach (var c in _clients.Where(c => c.Alive).ToList())
                {
                    Act(c, allowCommit: false);
                }
                PersistSome(failPercent: 0);
                if (Converged())
                {
                    if (_clients.Any(c => c.Alive))
                    {
                        Count("converged_with_members");
                    }
                    return;
                }
                AdvanceTime(250);
            }
            throw new Xunit.Sdk.XunitException("no convergence after the chaos stopped: " + string.Join("; ", Groups.Select(g =>
                $"{g}: {_coordinator.GetGroupSummary(g)?.State.ToString() ?? "Dead"} gen {_coordinator.GetGroupSummary(g)?.GenerationId} members [{string.Join(",", _coordinator.GetGroupSummary(g)?.MemberIds ?? [])}] live [{string.Join(",", _clients.Where(c => c.Alive && c.Group == g).Select(c => $"{c.Name}:{c.MemberId}:{c.State}:{c.Generation}"))}]")));
        }

        private bool Converged()
        {
            foreach (string g in Groups)
            {
                var live = _clients.Where(c => c.Alive && c.Group == g).ToList();
                var summary = _coordinator.GetGroupSummary(g);
                if (live.Count == 0)
                {
                    if (summary != null && summary.MemberIds.Count > 0)
                    {
                        return false;
                    }
                    continue;
                }
                if (summary == null || summary.State != GroupState.Stable)
                {
                    return false;
                }
                if (!live.All(c => c.State == ClientState.Stable && c.Generation == summary.GenerationId)
                    || !live.Select(c => c.MemberId).OrderBy(x => x, StringComparer.Ordinal).SequenceEqual(summary.MemberIds.OrderBy(x => x, StringComparer.Ordinal)))
                {
                    return false;
                }
            }
            return true;
        }

        private void StartClient()
        {
            string group = Groups[_rng.Next(Groups.Length)];
            string name = "c" + _clientCounter++;
            string? instanceId = null;
            short version = (short)_rng.Next(6);
            if (_rng.Next(5) == 0)
            {
                // A static member: a restart of an instance, usually after its previous incarnation stopped, but
                // sometimes while it still runs (a zombie, which the new incarnation fences).
                string candidate = $"{group}-pod{_rng.Next(3)}";
                if (_rng.Next(3) == 0 || !_clients.Any(c => c.Alive && c.InstanceId == candidate))
                {
                    instanceId = candidate;
                    version = 5;
                }
            }
            var client = new Client(name, group, version, instanceId, 6_000 + _rng.Next(6_000), 8_000 + _rng.Next(12_000)) { LastHeartbeatMs = _now };
            _clients.Add(client);
            Log($"{name} starts in {group} v{version}{(instanceId != null ? " as " + instanceId : "")}");
        }

        private void AdvanceTime(long ms)
        {
            _now += ms;
            _coordinator.Tick(_now);
            Drain();
            // Heartbeats of live, unpaused clients are due on time.
            foreach (var c in _clients.Where(c => c.Alive && !c.Paused && c.State == ClientState.Stable && c.InFlight == null).ToList())
            {
                if (_now - c.LastHeartbeatMs >= c.SessionMs / 4)
                {
                    Heartbeat(c);
                }
            }
        }

        private void Act(Client c, bool allowCommit)
        {
            if (c.InFlight != null)
            {
                return;
            }
            switch (c.State)
            {
                case ClientState.NeedJoin:
                    SendJoin(c);
                    break;
                case ClientState.NeedSync:
                    SendSync(c);
                    break;
                case ClientState.Stable:
                    if (allowCommit && _rng.Next(3) == 0)
                    {
                        SendCommit(c);
                    }
                    else if (!c.Paused)
                    {
                        Heartbeat(c);
                    }
                    break;
            }
        }

        private long Request(Client c)
        {
            long id = _nextRequestId++;
            c.InFlight = id;
            _inFlight.Add(id, c);
            return id;
        }

        private void SendJoin(Client c)
        {
            long id = Request(c);
            Log($"{c.Name} JoinGroup#{id} member={c.MemberId}");
            _coordinator.JoinGroup(id, c.Version, new JoinGroupRequest
            {
                GroupId = c.Group,
                MemberId = c.MemberId,
                GroupInstanceId = c.InstanceId,
                SessionTimeoutMs = c.SessionMs,
                RebalanceTimeoutMs = c.RebalanceMs,
                ProtocolType = "consumer",
                Protocols = [new("range", [c.Subscription]), new("roundrobin", [c.Subscription])],
            }, c.Name, "/sim", _now);
            Drain();
        }

        private void SendSync(Client c)
        {
            long id = Request(c);
            var assignments = new List<SyncGroupRequestAssignment>();
            if (c.IsLeader)
            {
                // Partition p goes to member p mod n, in the order the leader received them.
                for (int i = 0; i < c.LeaderMembers.Count; i++)
                {
                    byte[] partitions = Enumerable.Range(0, Partitions).Where(p => p % c.LeaderMembers.Count == i).Select(p => (byte)p).ToArray();
                    assignments.Add(new SyncGroupRequestAssignment(c.LeaderMembers[i].MemberId, partitions));
                }
                var record = GenerationOf(c.Group, c.Generation);
                record.Assignments ??= assignments.ToDictionary(a => a.MemberId, a => a.Assignment);
            }
            Log($"{c.Name} SyncGroup#{id} gen={c.Generation} leader={c.IsLeader}");
            _coordinator.SyncGroup(id, 3, new SyncGroupRequest
            {
                GroupId = c.Group,
                GenerationId = c.Generation,
                MemberId = c.MemberId,
                GroupInstanceId = c.InstanceId,
                Assignments = assignments,
            }, _now);
            _callRequestId = id;
            Drain();
            _callRequestId = 0;
        }

        private void SendCommit(Client c, bool stale = false)
        {
            long id = Request(c);
            c.StaleCommit = stale;
            c.CommitGeneration = stale ? c.PreviousGeneration : c.Generation;
            c.GenerationAtCommit = _coordinator.GetGroupSummary(c.Group)?.GenerationId ?? -2;
            Log($"{c.Name} OffsetCommit#{id} gen={c.Generation}");
            _coordinator.OffsetCommit(id, 7, new OffsetCommitRequest
            {
                GroupId = c.Group,
                GenerationId = c.CommitGeneration,
                MemberId = c.MemberId,
                GroupInstanceId = c.InstanceId,
                Topics = [new OffsetCommitRequestTopic { Name = "t", Partitions = c.Assignment.Select(p => new OffsetCommitRequestPartition(p, _now, -1, c.Name)).ToList() }],
            }, _now);
            Drain();
        }

        private void Heartbeat(Client c)
        {
            c.LastHeartbeatMs = _now;
            var summary = _coordinator.GetGroupSummary(c.Group);
            var error = _coordinator.Heartbeat(3, new HeartbeatRequest { GroupId = c.Group, GenerationId = c.Generation, MemberId = c.MemberId, GroupInstanceId = c.InstanceId }, _now).ErrorCode;
            Log($"{c.Name} Heartbeat gen={c.Generation} -> {error}");
            if (error == ErrorCode.RebalanceInProgress)
            {
                Count("heartbeat.rebalance_in_progress");
            }
            else if (error == ErrorCode.UnknownMemberId)
            {
                Count("heartbeat.unknown_member");
            }
            if (error == ErrorCode.None)
            {
                Assert.True(summary != null && summary.GenerationId == c.Generation && summary.State != GroupState.PreparingRebalance,
                    $"{c.Name}: heartbeat NONE for generation {c.Generation}, group at {summary?.GenerationId} {summary?.State}");
            }
            OnMembershipError(c, error);
            Drain();
        }

        private void Leave(Client c)
        {
            short version = c.InstanceId != null ? (short)3 : (short)_rng.Next(4);
            Log($"{c.Name} leaves (v{version})");
            c.Alive = false;
            if (c.MemberId.Length > 0)
            {
                _coordinator.LeaveGroup(version, new LeaveGroupRequest
                {
                    GroupId = c.Group,
                    MemberId = c.MemberId,
                    Members = [new LeaveGroupRequestMember(c.MemberId, c.InstanceId)],
                }, _now);
                Drain();
            }
        }

        private void PersistSome(int failPercent)
        {
            if (_toPersist.Count == 0)
            {
                return;
            }
            // Complete a random subset in random order: completions may arrive in any order.
            int count = failPercent == 0 ? _toPersist.Count : 1 + _rng.Next(_toPersist.Count);
            for (int i = 0; i < count && _toPersist.Count > 0; i++)
            {
                int index = _rng.Next(_toPersist.Count);
                var batch = _toPersist[index];
                _toPersist.RemoveAt(index);
                if (_rng.Next(100) < failPercent)
                {
                    _coordinator.FailCommit(batch.CommitId, ErrorCode.RequestTimedOut, _now);
                }
                else
                {
                    _coordinator.CompleteCommit(batch.CommitId, _now);
                }
                Drain();
            }
        }

        private void Drain()
        {
            foreach (var reply in _coordinator.TakeResponses())
            {
                Assert.True(_inFlight.Remove(reply.RequestId, out var c), $"reply for request {reply.RequestId}, which is not in flight");
                c!.InFlight = null;
                if (!c.Alive)
                {
                    continue; // the connection is gone
                }
                switch (reply.Response)
                {
                    case JoinGroupResponse join:
                        OnJoin(c, join);
                        break;
                    case SyncGroupResponse sync:
                        OnSync(c, sync, parked: reply.RequestId != _callRequestId);
                        break;
                    case OffsetCommitResponse commit:
                        OnCommit(c, commit);
                        break;
                }
            }
            _toPersist.AddRange(_coordinator.TakeOffsetsToPersist());
            foreach (string g in Groups)
            {
                if (_coordinator.GetGroupSummary(g) == null)
                {
                    // The group was dropped (empty, no offsets): a new incarnation counts generations from 0 again.
                    // Member ids are never reused, so its members cannot be confused with the old ones.
                    foreach (var key in _generations.Keys.Where(k => k.Group == g).ToList())
                    {
                        _generations.Remove(key);
                    }
                    _maxSyncedGeneration.Remove(g);
                }
            }
            Assert.Equal(_inFlight.Count, _coordinator.ParkedRequestCount);
            _coordinator.CheckInvariants();
            CheckDisjointAssignments();
        }

        private GenerationRecord GenerationOf(string group, int generation)
        {
            if (!_generations.TryGetValue((group, generation), out var record))
            {
                record = new GenerationRecord();
                _generations.Add((group, generation), record);
            }
            return record;
        }

        private void OnJoin(Client c, JoinGroupResponse join)
        {
            Log($"{c.Name} <- Join {join.ErrorCode} gen={join.GenerationId} member={join.MemberId} leader={join.Leader} members={join.Members.Count}");
            if (join.ErrorCode != ErrorCode.None)
            {
                switch (join.ErrorCode)
                {
                    case ErrorCode.MemberIdRequired:
                        Count("join.member_id_required");
                        c.MemberId = join.MemberId;
                        break;
                    case ErrorCode.UnknownMemberId:
                        c.Reset();
                        break;
                    default:
                        OnMembershipError(c, join.ErrorCode);
                        break;
                }
                return;
            }
            Count(c.InstanceId != null && join.Members.Count == 0 && join.Leader != join.MemberId && c.Generation < 0 ? "join.static_takeover" : "join.ok");
            var summary = _coordinator.GetGroupSummary(c.Group)!;
            Assert.True(join.GenerationId == summary.GenerationId, $"{c.Name} joined generation {join.GenerationId} but the group is at {summary.GenerationId}");
            Assert.True(join.GenerationId >= c.Generation, $"{c.Name} went back from generation {c.Generation} to {join.GenerationId}");
            if (_memberOwner.TryGetValue(join.MemberId, out string? owner))
            {
                Assert.True(owner == c.Name, $"member id {join.MemberId} given to {c.Name} and {owner}");
            }
            _memberOwner[join.MemberId] = c.Name;

            var record = GenerationOf(c.Group, join.GenerationId);
            record.Protocol ??= join.ProtocolName;
            Assert.Equal(record.Protocol, join.ProtocolName);
            if (join.Members.Count > 0)
            {
                Assert.Equal(join.Leader, join.MemberId);
                var members = join.Members.Select(m => m.MemberId).ToHashSet();
                Assert.True(record.Members == null || record.Members.SetEquals(members), $"generation {join.GenerationId} has two member lists");
                record.Members = members;
            }
            if (c.InstanceId == null)
            {
                // Static takeovers keep the old leader id on purpose; dynamic members all see one leader.
                record.Leader ??= join.Leader;
                Assert.Equal(record.Leader, join.Leader);
                record.Joined.Add(join.MemberId);
            }
            if (record.Members != null)
            {
                foreach (string joined in record.Joined)
                {
                    Assert.True(record.Members.Contains(joined), $"{joined} joined generation {join.GenerationId} but is not in its leader's member list");
                }
            }
            if (c.MemberId == join.MemberId && c.Generation >= 0 && c.Generation != join.GenerationId)
            {
                c.PreviousGeneration = c.Generation;
            }
            c.MemberId = join.MemberId;
            c.Generation = join.GenerationId;
            c.IsLeader = join.Leader == join.MemberId && join.Members.Count > 0;
            c.LeaderMembers = join.Members;
            c.State = ClientState.NeedSync;
        }

        private void OnSync(Client c, SyncGroupResponse sync, bool parked)
        {
            Log($"{c.Name} <- Sync {sync.ErrorCode} gen={c.Generation} assignment=[{string.Join(",", sync.Assignment)}]");
            if (sync.ErrorCode != ErrorCode.None)
            {
                Count(sync.ErrorCode == ErrorCode.RebalanceInProgress ? "sync.rebalance_in_progress" : "sync.error");
                OnMembershipError(c, sync.ErrorCode);
                return;
            }
            Count(parked ? "sync.parked_then_ok" : "sync.ok");
            var summary = _coordinator.GetGroupSummary(c.Group)!;
            Assert.True(summary.State == GroupState.Stable && summary.GenerationId == c.Generation,
                $"{c.Name} got an assignment of generation {c.Generation} while the group is {summary.State} at {summary.GenerationId}");
            int maxSynced = _maxSyncedGeneration.GetValueOrDefault(c.Group, -1);
            Assert.True(c.Generation >= maxSynced, $"generation {c.Generation} delivered an assignment after generation {maxSynced} did");
            _maxSyncedGeneration[c.Group] = c.Generation;
            var record = GenerationOf(c.Group, c.Generation);
            if (c.InstanceId == null && record.Assignments != null)
            {
                Assert.Equal(record.Assignments.GetValueOrDefault(c.MemberId) ?? [], sync.Assignment);
            }
            c.Assignment = sync.Assignment;
            c.State = ClientState.Stable;
            c.LastHeartbeatMs = _now;
        }

        private void OnCommit(Client c, OffsetCommitResponse commit)
        {
            var errors = commit.Topics.SelectMany(t => t.Partitions).Select(p => p.ErrorCode).Distinct().ToList();
            Log($"{c.Name} <- Commit [{string.Join(",", errors)}] gen={c.CommitGeneration}");
            foreach (var error in errors)
            {
                Count(error switch
                {
                    ErrorCode.None => "commit.ok",
                    ErrorCode.IllegalGeneration => "commit.illegal_generation",
                    ErrorCode.RequestTimedOut => "commit.failed_write",
                    _ => "commit.other",
                });
            }
            if (errors.Contains(ErrorCode.None) && c.CommitGeneration >= 0)
            {
                Assert.True(c.CommitGeneration == c.GenerationAtCommit,
                    $"{c.Name}: commit of generation {c.CommitGeneration} accepted while the group was at {c.GenerationAtCommit}");
            }
            if (c.StaleCommit)
            {
                return; // the client moved on long ago; the reply to a duplicate tells it nothing
            }
            foreach (var error in errors)
            {
                OnMembershipError(c, error);
            }
        }

        private void OnMembershipError(Client c, ErrorCode error)
        {
            switch (error)
            {
                case ErrorCode.None:
                case ErrorCode.CoordinatorNotAvailable:
                case ErrorCode.RequestTimedOut:
                    break;
                case ErrorCode.RebalanceInProgress:
                    c.State = ClientState.NeedJoin;
                    break;
                case ErrorCode.IllegalGeneration:
                case ErrorCode.UnknownMemberId:
                    c.Reset();
                    break;
                case ErrorCode.FencedInstanceId:
                    Count("fenced_instance");
                    c.Alive = false; // a newer incarnation owns the instance id: a real client stops with a fatal error
                    break;
                default:
                    c.State = ClientState.NeedJoin;
                    break;
            }
        }

        private void CheckDisjointAssignments()
        {
            foreach (string g in Groups)
            {
                var summary = _coordinator.GetGroupSummary(g);
                if (summary == null || summary.State != GroupState.Stable)
                {
                    continue;
                }
                // Only current members count: a static member's replaced incarnation keeps believing in its
                // assignment until its next request is fenced (no rebalance happens on a static restart).
                var members = summary.MemberIds.ToHashSet();
                var owners = new Dictionary<byte, string>();
                foreach (var c in _clients.Where(c => c.Alive && c.Group == g && c.State == ClientState.Stable
                    && c.Generation == summary.GenerationId && members.Contains(c.MemberId)))
                {
                    foreach (byte p in c.Assignment)
                    {
                        Assert.True(owners.TryAdd(p, c.Name), $"partition {p} of {g} owned by {owners.GetValueOrDefault(p)} and {c.Name} in generation {summary.GenerationId}");
                    }
                }
            }
        }
    }
}
