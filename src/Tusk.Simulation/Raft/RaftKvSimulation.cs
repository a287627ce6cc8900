using Tusk.Core;
using Tusk.Raft;
using Tusk.Simulation.Checkers;

namespace Tusk.Simulation.Raft;

/// <summary>The verdict of one simulated run.</summary>
public sealed record RaftSimResult(
    RaftSimOptions Options, bool Passed, string? Failure, int OperationsCompleted, int OperationsGivenUp, int LeadersElected,
    ulong HighestTerm, int CommittedEntries, long MessagesSent, long FaultsInjected, LinearizabilityStatus Linearizability)
{
    public override string ToString() =>
        (Passed ? "PASS" : "FAIL") + $" seed={Options.Seed} ops={OperationsCompleted} gave-up={OperationsGivenUp} leaders={LeadersElected} " +
        $"term={HighestTerm} committed={CommittedEntries} messages={MessagesSent} faults={FaultsInjected} linearizability={Linearizability}" +
        (Failure is null ? "" : "\n  " + Failure.Replace("\n", "\n  ", StringComparison.Ordinal) + "\n  options: " + Options);
}

/// <summary>
/// One deterministic run of a replicated KV cluster (ARCHITECTURE.md principle 2): Raft nodes, clients and faults on
/// one thread in virtual time. Phases: a fault phase (clients run while the <see cref="FaultInjector"/> partitions,
/// clogs, crashes and pauses per the seed's plan), then a liveness phase (everything healed; a write must commit and
/// every node must apply it within <see cref="RaftSimOptions.LivenessBoundMicros"/>), then the checks: Raft invariants
/// (<see cref="RaftInvariants"/>) and linearizability of the clients' history. A run is a pure function of its options.
/// </summary>
public sealed class RaftKvSimulation
{
    private readonly SimRaftNode[] _nodes;
    private readonly SimKvClient[] _clients;
    private readonly long[] _tickDriftPpm;

    private RaftKvSimulation(RaftSimOptions options, Action<string>? trace)
    {
        Options = options;
        Executor = new SimExecutor { Tracer = trace };
        var root = new SeededRandom(options.Seed);
        Network = new SimNetwork<SimEnvelope>(Executor, new SeededRandom(root.NextUInt64()), options.Faults.Link);
        DiskRandom = new SeededRandom(root.NextUInt64());
        var clientRandom = new SeededRandom(root.NextUInt64());
        var injectorRandom = new SeededRandom(root.NextUInt64());
        var voters = Enumerable.Range(1, options.Nodes).Select(i => (ulong)i).ToArray();
        _nodes = new SimRaftNode[options.Nodes];
        _tickDriftPpm = new long[options.Nodes + 1];
        for (var i = 0; i < options.Nodes; i++)
        {
            var id = i + 1;
            var config = new RaftConfig
            {
                Id = (ulong)id,
                InitialVoters = voters,
                ElectionTicks = options.ElectionTicks,
                HeartbeatTicks = options.HeartbeatTicks,
                PreVote = options.PreVote,
                CheckQuorum = options.CheckQuorum,
                ReadOnly = options.ReadOnly,
                MaxInflightMessages = options.MaxInflightMessages,
                SnapshotChunkBytes = options.SnapshotChunkBytes,
                MaxSizePerMessageBytes = 4096,
            };
            _nodes[i] = new SimRaftNode(this, id, config, options.TickMicros);
            _tickDriftPpm[id] = options.TickDriftMaxPpm == 0 ? 0 : SimRandom.Between(DiskRandom, -options.TickDriftMaxPpm, options.TickDriftMaxPpm);
            var node = _nodes[i];
            Network.AddNode(id, (from, m) => node.Deliver(from, m));
        }
        _clients = new SimKvClient[options.Clients + 1];
        for (var i = 0; i <= options.Clients; i++)
        {
            var client = new SimKvClient(this, 1001 + i, new SeededRandom(clientRandom.NextUInt64()));
            _clients[i] = client;
            Network.AddNode(client.Id, (_, m) => client.Deliver(m));
        }
        Injector = new FaultInjector(Executor, Network, options.Faults, injectorRandom, [.. Enumerable.Range(1, options.Nodes)])
        {
            Crash = id => _nodes[id - 1].Crash(),
            Restart = id => _nodes[id - 1].Start(),
            Pause = id => _nodes[id - 1].Pause(),
            Resume = id => _nodes[id - 1].Resume(),
        };
    }

    public RaftSimOptions Options { get; }

    public SimExecutor Executor { get; }

    public SimNetwork<SimEnvelope> Network { get; }

    public FaultInjector Injector { get; }

    public HistoryRecorder History { get; } = new();

    public RaftInvariants Invariants { get; } = new();

    internal IRandom DiskRandom { get; }

    internal long TickDriftPpm(int node) => _tickDriftPpm[node];

    /// <summary>A node stops itself (a failed fsync): it is down for a while, then restarts from its disk, unless the
    /// fault injector has taken it down meanwhile (the injector then restarts it).</summary>
    internal void FailStop(int id)
    {
        var node = _nodes[id - 1];
        if (Executor.IsTracing) Executor.Trace($"node {id} fail-stop: fsync failed");
        node.Crash();
        Network.SetNodeUp(id, false);
        Executor.Schedule(SimRandom.Between(DiskRandom, 50_000, 500_000), () =>
        {
            if (Executor.IsTracing) Executor.Trace($"node {id} restart after fail-stop (injector has it down: {Injector.CrashedNodes.Contains(id)}, up: {node.IsUp})");
            if (Injector.CrashedNodes.Contains(id) || node.IsUp) return;
            Network.SetNodeUp(id, true);
            node.Start();
        });
    }

    /// <summary>Runs the seed's whole scenario and checks it. <paramref name="trace"/> receives every event (for replaying a failure).</summary>
    public static RaftSimResult Run(RaftSimOptions options, Action<string>? trace = null) => new RaftKvSimulation(options, trace).Run();

    private RaftSimResult Run()
    {
        string? failure = null;
        var linearizability = LinearizabilityStatus.Unknown;
        try
        {
            foreach (var n in _nodes) n.Start();
            for (var i = 0; i < Options.Clients; i++) _clients[i].Start();
            Injector.Start();
            Executor.RunUntil(Options.FaultPhaseMicros);
            failure = FirstViolation();
            if (failure is null)
            {
                Injector.Stop();
                Injector.HealAll();
                Network.DefaultLink = LinkOptions.Default;
                foreach (var n in _nodes) n.Disk?.ClearFaults();
                failure = CheckLiveness();
            }
            for (var i = 0; i < Options.Clients; i++) _clients[i].Stop();
            for (var a = 0; a < _nodes.Length; a++)
            {
                for (var b = a + 1; b < _nodes.Length; b++)
                {
                    if (_nodes[a].IsUp && _nodes[b].IsUp) Invariants.CheckLogMatching(_nodes[a].Id, _nodes[a].Storage, _nodes[b].Id, _nodes[b].Storage);
                }
            }
            failure ??= FirstViolation();
            if (failure is null)
            {
                var result = new LinearizabilityChecker { StepBudgetPerKey = Options.CheckerStepsPerKey }.Check(History.ToHistory());
                linearizability = result.Status;
                if (result.Status == LinearizabilityStatus.NotLinearizable) failure = "history is not linearizable:\n" + result;
            }
        }
        catch (InvariantViolationException e)
        {
            failure = "invariant violated inside a node: " + e.Message + "\n" + e.StackTrace;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IndexOutOfRangeException or NullReferenceException or KeyNotFoundException)
        {
            failure = $"a node or the harness threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}";
        }
        return new RaftSimResult(
            Options, failure is null, failure, _clients.Sum(c => c.Completed), _clients.Sum(c => c.GaveUp), Invariants.LeadersElected,
            Invariants.HighestTerm, Invariants.CommittedEntries, Network.Stats.Sent, Injector.FaultsInjected, linearizability);
    }

    private string? FirstViolation() => Invariants.Violations.Count == 0 ? null : string.Join("\n", Invariants.Violations);

    /// <summary>After healing: a probe write commits, and every node applies through it, within the bound.</summary>
    private string? CheckLiveness()
    {
        var start = Executor.NowMicros;
        var deadline = start + Options.LivenessBoundMicros;
        var probe = _clients[^1];
        var committed = false;
        probe.Probe("liveness", "probe-" + Options.Seed, () => committed = true);
        Executor.RunUntil(() => committed, deadline);
        if (!committed) return $"liveness: no write committed within {Options.LivenessBoundMicros / 1000} ms after healing ({NodeSummary()})";
        var target = _nodes.Max(n => n.Raft?.CommitIndex ?? 0);
        var converged = Executor.RunUntil(() => _nodes.All(n => n.Kv.AppliedIndex >= target), deadline);
        if (!converged) return $"liveness: not every node applied index {target} within the bound ({NodeSummary()})";
        var reference = _nodes[0].Kv.Read("liveness");
        foreach (var n in _nodes)
        {
            if (n.Kv.Read("liveness") != reference) return $"node {n.Id} disagrees on the probe value";
        }
        return null;
    }

    private string NodeSummary() => string.Join("; ", _nodes.Select(n => n.Raft is { } r
        ? $"{n.Id}:{r.Role} term={r.Term} commit={r.CommitIndex} applied={n.Kv.AppliedIndex}" + (n.IsPaused ? " paused" : "")
        : $"{n.Id}:down"));

    /// <summary>Runs seeds [<paramref name="first"/>, <paramref name="last"/>] and returns every result.</summary>
    public static IEnumerable<RaftSimResult> Sweep(ulong first, ulong last, Func<FaultPlan, FaultPlan>? faults = null)
    {
        for (var seed = first; seed <= last; seed++) yield return Run(RaftSimOptions.FromSeed(seed, faults));
    }
}
