using System.Text;
using Tusk.Core;
using Xunit;

namespace Tusk.Simulation.Tests;

public sealed class FaultInjectorTests
{
    private static readonly FaultPlan _everything = FaultPlan.None with
    {
        Partitions = true,
        AsymmetricPartitions = true,
        Isolations = true,
        Clogging = true,
        Crashes = true,
        Pauses = true,
        ClockSkew = true,
        ClockSkewMaxMicros = 100_000,
        ClockDriftMaxPpm = 200,
        FaultIntervalMeanMicros = 20_000,
        FaultDurationMeanMicros = 100_000,
        Link = LinkOptions.Default with { LossProbability = 0.01, DuplicateProbability = 0.01 },
    };

    /// <summary>
    /// A small world: <paramref name="nodes"/> nodes that each send a ping to a random peer every ~1 ms and answer
    /// every ping with a pong, under an injector carrying out <paramref name="plan"/>; crash, restart, pause and
    /// resume are recorded. Everything random derives from <paramref name="seed"/>.
    /// </summary>
    private sealed class World
    {
        private readonly SeededRandom _workloadRandom;
        private readonly SortedSet<int> _stopped = [];

        public World(ulong seed, int nodes, FaultPlan? plan = null, bool trace = true)
        {
            var root = new SeededRandom(seed);
            _workloadRandom = new SeededRandom(root.NextUInt64());
            var networkRandom = new SeededRandom(root.NextUInt64());
            var faultRandom = new SeededRandom(root.NextUInt64());
            Plan = plan ?? FaultPlan.Random(new SeededRandom(root.NextUInt64()));
            if (trace)
            {
                Executor.Tracer = line => Trace.Append(line).Append('\n');
            }
            Network = new SimNetwork<string>(Executor, networkRandom, Plan.Link);
            int[] ids = [.. Enumerable.Range(1, nodes)];
            foreach (int id in ids)
            {
                int self = id;
                Network.AddNode(self, (from, message) => OnMessage(self, from, message));
                Clocks[self] = new SimClock(Executor);
                Executor.Schedule(1 + (long)_workloadRandom.Next(1_000), () => Tick(self));
            }
            Injector = new FaultInjector(Executor, Network, Plan, faultRandom, ids)
            {
                Crash = node => Record("crash", node),
                Restart = node => Record("restart", node),
                Pause = node => Record("pause", node),
                Resume = node => Record("resume", node),
            };
            foreach ((int id, SimClock clock) in Clocks)
            {
                Injector.AttachClock(id, clock);
            }
        }

        public SimExecutor Executor { get; } = new();

        public SimNetwork<string> Network { get; }

        public FaultInjector Injector { get; }

        public FaultPlan Plan { get; }

        public SortedDictionary<int, SimClock> Clocks { get; } = [];

        public StringBuilder Trace { get; } = new();

        public List<string> Events { get; } = [];

        public int MostStoppedAtOnce { get; private set; }

        public long Pongs { get; private set; }

        private void Record(string what, int node)
        {
            Events.Add($"{what} {node}");
            if (what is "crash" or "pause")
            {
                Assert.True(_stopped.Add(node), $"{node} stopped twice");
            }
            else
            {
                Assert.True(_stopped.Remove(node), $"{node} {what} without being stopped");
            }
            MostStoppedAtOnce = Math.Max(MostStoppedAtOnce, _stopped.Count);
        }

        private void Tick(int node)
        {
            if (!_stopped.Contains(node))
            {
                int peer = 1 + _workloadRandom.Next(Network.Nodes.Count);
                Network.Send(node, peer, $"ping@{Clocks[node].WallMicros}");
            }
            Executor.Schedule(500 + (long)_workloadRandom.Next(1_000), () => Tick(node));
        }

        private void OnMessage(int node, int from, string message)
        {
            if (message.StartsWith("ping", StringComparison.Ordinal))
            {
                Network.Send(node, from, "pong");
            }
            else
            {
                Pongs++;
            }
        }

        /// <summary>Faults for <paramref name="faultMicros"/>, then healed for <paramref name="healedMicros"/>.</summary>
        public void Run(long faultMicros, long healedMicros)
        {
            Injector.Start();
            Executor.RunFor(faultMicros);
            Injector.HealAll();
            Executor.RunFor(healedMicros);
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameTraceAndAnotherSeedAnotherOne()
    {
        static string RunOnce(ulong seed)
        {
            var world = new World(seed, nodes: 5, _everything);
            world.Run(faultMicros: 1_000_000, healedMicros: 200_000);
            return world.Plan + "\n" + world.Trace;
        }

        string first = RunOnce(42);
        string second = RunOnce(42);
        string other = RunOnce(43);

        Assert.True(first.Length > 100_000, "the run should trace a lot of traffic");
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.Contains(" fault crash ", first, StringComparison.Ordinal);
        Assert.Contains(" net deliver ", first, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomPlansAreReproducibleAndVaryAcrossSeeds()
    {
        Assert.Equal(FaultPlan.Random(new SeededRandom(9)), FaultPlan.Random(new SeededRandom(9)));
        Assert.Equal(FaultPlan.Random(new SeededRandom(9)).ToString(), FaultPlan.Random(new SeededRandom(9)).ToString());

        FaultPlan[] plans = [.. Enumerable.Range(0, 64).Select(seed => FaultPlan.Random(new SeededRandom((ulong)seed)))];
        Assert.True(plans.Select(p => p.ToString()).Distinct().Count() > 50);
        foreach (Func<FaultPlan, bool> feature in new Func<FaultPlan, bool>[]
        {
            p => p.Partitions, p => p.AsymmetricPartitions, p => p.Isolations, p => p.Clogging, p => p.Crashes,
            p => p.Pauses, p => p.ClockSkew, p => p.Link.LossProbability > 0, p => p.Link.DuplicateProbability > 0,
            p => p.Link.Fifo, p => p.Link.SpikeProbability > 0,
        })
        {
            Assert.Contains(plans, p => feature(p));
            Assert.Contains(plans, p => !feature(p));
        }
    }

    [Fact]
    public void ThePlanPrintsItsMix()
    {
        Assert.Equal("faults[none] every~500000us lasting~1000000us link[latency=100us+exp(400us) reorder]", FaultPlan.None.ToString());
        var plan = FaultPlan.None with
        {
            Partitions = true,
            Crashes = true,
            ClockSkew = true,
            ClockSkewMaxMicros = 5_000,
            ClockDriftMaxPpm = 100,
            Link = LinkOptions.Fixed with { LossProbability = 0.05, SpikeProbability = 0.01, SpikeMaxMicros = 20_000 },
        };
        Assert.Equal(
            "faults[partition crash clock(skew<=5000us drift<=100ppm) loss=0.05] every~500000us lasting~1000000us "
            + "link[latency=1000us+exp(0us) spike=0.01x<=20000us fifo]",
            plan.ToString());
        Assert.False(FaultPlan.None.AnyFault);
        Assert.True(plan.AnyFault);
    }

    [Fact]
    public void EveryKindIsInjectedAndHealAllLeavesAHealthyCluster()
    {
        var world = new World(7, nodes: 5, _everything, trace: false);
        world.Injector.Start();
        world.Executor.RunFor(3_000_000);

        foreach (FaultKind kind in Enum.GetValues<FaultKind>())
        {
            Assert.True(world.Injector.CountOf(kind) > 0, $"{kind} never injected");
        }
        Assert.Equal(Enum.GetValues<FaultKind>().Sum(k => world.Injector.CountOf(k)), world.Injector.FaultsInjected);
        Assert.True(world.MostStoppedAtOnce <= 2, "at most a minority of 5 may be down at once");
        Assert.True(world.MostStoppedAtOnce >= 1);
        Assert.Contains(world.Clocks.Values, c => c.SkewMicros != 0 || c.DriftPpm != 0);

        world.Injector.HealAll();
        Assert.False(world.Injector.IsRunning);
        Assert.Empty(world.Injector.CrashedNodes);
        Assert.Empty(world.Injector.PausedNodes);
        foreach (int from in world.Network.Nodes)
        {
            Assert.True(world.Network.IsNodeUp(from));
            foreach (int to in world.Network.Nodes)
            {
                Assert.False(world.Network.IsLinkCut(from, to));
                Assert.False(world.Network.IsClogged(from, to));
            }
        }
        long faults = world.Injector.FaultsInjected;
        int events = world.Events.Count;
        long pongsBefore = world.Pongs;
        world.Executor.RunFor(1_000_000);
        Assert.Equal(faults, world.Injector.FaultsInjected); // nothing new after HealAll
        Assert.Equal(events, world.Events.Count);            // no late restart or resume
        Assert.True(world.Pongs - pongsBefore > 5_000, "a healed cluster talks freely");
    }

    [Fact]
    public void CrashMarksTheNodeDownInTheNetworkUntilRestart()
    {
        var plan = FaultPlan.None with { Crashes = true, FaultIntervalMeanMicros = 10_000, FaultDurationMeanMicros = 50_000 };
        var world = new World(11, nodes: 3, plan, trace: false);
        var downAtCrash = new List<bool>();
        world.Injector.Crash = node => downAtCrash.Add(!world.Network.IsNodeUp(node));
        world.Injector.Restart = node => downAtCrash.Add(!world.Network.IsNodeUp(node));
        world.Injector.Start();
        world.Executor.RunFor(1_000_000);
        world.Injector.HealAll();

        Assert.True(downAtCrash.Count >= 4);
        Assert.Equal(downAtCrash.Count, 2 * world.Injector.CountOf(FaultKind.Crash));
        // Crash callbacks see the node down, restart callbacks see it up again.
        Assert.All(downAtCrash.Where((_, i) => i % 2 == 0), Assert.True);
        Assert.All(downAtCrash.Where((_, i) => i % 2 == 1), Assert.False);
        Assert.True(world.Network.Stats.DroppedNodeDown + world.Network.Stats.DroppedStale > 0);
    }

    [Fact]
    public void WithoutCallbacksCrashesAndPausesAreNeverChosen()
    {
        var plan = FaultPlan.None with { Crashes = true, Pauses = true, Partitions = true, FaultIntervalMeanMicros = 10_000 };
        var world = new World(5, nodes: 3, plan, trace: false);
        world.Injector.Crash = null;
        world.Injector.Resume = null;
        world.Injector.Start();
        world.Executor.RunFor(500_000);
        Assert.Equal(0, world.Injector.CountOf(FaultKind.Crash));
        Assert.Equal(0, world.Injector.CountOf(FaultKind.Pause));
        Assert.True(world.Injector.CountOf(FaultKind.Partition) > 10);
    }

    [Fact]
    public void SwizzleClogsLinksOneByOneAndUnclogsThemAll()
    {
        var plan = FaultPlan.None with { Clogging = true, FaultIntervalMeanMicros = 200_000, FaultDurationMeanMicros = 100_000 };
        var world = new World(3, nodes: 4, plan);
        world.Injector.Start();
        world.Executor.RunFor(2_000_000);
        world.Injector.Stop();
        world.Executor.RunFor(100_000_000); // every fault heals itself in time

        string trace = world.Trace.ToString();
        Assert.True(world.Injector.CountOf(FaultKind.SwizzleClog) > 0);
        Assert.Contains("until unclog", trace, StringComparison.Ordinal);
        foreach (int from in world.Network.Nodes)
        {
            foreach (int to in world.Network.Nodes)
            {
                Assert.False(world.Network.IsClogged(from, to), $"{from}->{to} still clogged");
            }
        }
        Assert.True(world.Network.Stats.Held > 0);
        Assert.Equal(0, world.Network.Stats.DroppedPartition);
    }

    [Fact]
    public void InjectorArgumentsAreChecked()
    {
        var executor = new SimExecutor();
        var network = new SimNetwork<string>(executor, new SeededRandom(1));
        Assert.Throws<ArgumentException>(() => new FaultInjector(executor, network, FaultPlan.None, new SeededRandom(1), [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => FaultPlan.None with { FaultIntervalMeanMicros = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => FaultPlan.None with { ClockDriftMaxPpm = SimClock.DriftPpmMax + 1 });
    }
}
