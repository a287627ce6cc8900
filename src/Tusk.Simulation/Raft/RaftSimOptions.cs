using Tusk.Core;
using Tusk.Raft;

namespace Tusk.Simulation.Raft;

/// <summary>
/// Everything one simulated run of the replicated KV store uses, drawn from its seed (swarm testing): cluster size,
/// Raft settings, disk latency, snapshot frequency, the client workload and the fault plan.
/// </summary>
public sealed record RaftSimOptions
{
    public required ulong Seed { get; init; }

    public int Nodes { get; init; } = 3;

    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Virtual time between two ticks of a node.</summary>
    public long TickMicros { get; init; } = 10_000;

    public bool PreVote { get; init; } = true;

    public bool CheckQuorum { get; init; } = true;

    public ReadOnlyOption ReadOnly { get; init; } = ReadOnlyOption.Safe;

    /// <summary>The most a node's tick rate differs from nominal, in ppm (kept inside the lease's drift bound).</summary>
    public long TickDriftMaxPpm { get; init; }

    /// <summary>Time one durable write (append + fsync) takes: a minimum plus an exponential tail.</summary>
    public long DiskLatencyMinMicros { get; init; } = 200;

    public long DiskLatencyTailMeanMicros { get; init; } = 500;

    /// <summary>A node snapshots its state machine and compacts its log every this many applied entries (0 = never).</summary>
    public int SnapshotEveryEntries { get; init; } = 50;

    public int SnapshotChunkBytes { get; init; } = 256;

    /// <summary>Probability that an fsync of a node's Raft log fails (the node then stops and restarts).</summary>
    public double FsyncFailureProbability { get; init; }

    /// <summary>A crash tears unsynced writes (keeps a random prefix) instead of dropping them.</summary>
    public bool TornWrites { get; init; }

    public int MaxInflightMessages { get; init; } = 16;

    public int Clients { get; init; } = 4;

    public int Keys { get; init; } = 3;

    /// <summary>A client waits this long for an answer before trying another node (with the same request).</summary>
    public long ClientAttemptTimeoutMicros { get; init; } = 300_000;

    /// <summary>A client gives up on a request after this long; a write's outcome is then unknown.</summary>
    public long ClientOperationDeadlineMicros { get; init; } = 3_000_000;

    public long FaultPhaseMicros { get; init; } = 10_000_000;

    /// <summary>After healing, a write must commit and every node must apply it within this bound.</summary>
    public long LivenessBoundMicros { get; init; } = 15_000_000;

    public FaultPlan Faults { get; init; } = FaultPlan.None;

    /// <summary>A deliberately broken host for testing the checkers: reads are answered from local state, without ReadIndex.</summary>
    public bool UnsafeLocalReads { get; init; }

    /// <summary>Search budget per key for the linearizability checker.</summary>
    public long CheckerStepsPerKey { get; init; } = 2_000_000;

    /// <summary>Draws every knob from <paramref name="seed"/>. <paramref name="faults"/> overrides the drawn fault plan.</summary>
    public static RaftSimOptions FromSeed(ulong seed, Func<FaultPlan, FaultPlan>? faults = null)
    {
        var rng = new SeededRandom(seed ^ 0x5EED_0F_7A5CUL);
        var nodes = SimRandom.Pick(rng, [1, 3, 3, 3, 5, 5]);
        var electionTicks = (int)SimRandom.Between(rng, 5, 20);
        var heartbeatTicks = (int)SimRandom.Between(rng, 1, Math.Max(1, electionTicks / 4));
        var lease = SimRandom.Chance(rng, 0.25);
        var checkQuorum = lease || SimRandom.Chance(rng, 0.8);
        var plan = FaultPlan.Random(new SeededRandom(seed ^ 0xFA17UL));
        if (faults is not null) plan = faults(plan);
        return new RaftSimOptions
        {
            Seed = seed,
            Nodes = nodes,
            ElectionTicks = electionTicks,
            HeartbeatTicks = heartbeatTicks,
            TickMicros = SimRandom.Pick(rng, [2_000L, 5_000L, 10_000L, 20_000L]),
            PreVote = SimRandom.Chance(rng, 0.8),
            CheckQuorum = checkQuorum,
            ReadOnly = lease ? ReadOnlyOption.LeaseBased : ReadOnlyOption.Safe,
            TickDriftMaxPpm = plan.ClockSkew ? SimRandom.Between(rng, 0, 40_000) : 0,
            DiskLatencyMinMicros = SimRandom.Between(rng, 20, 2_000),
            DiskLatencyTailMeanMicros = SimRandom.Between(rng, 1, 5_000),
            SnapshotEveryEntries = SimRandom.Pick(rng, [0, 10, 30, 100]),
            SnapshotChunkBytes = SimRandom.Pick(rng, [64, 512, 1 << 20]),
            FsyncFailureProbability = plan.Crashes ? SimRandom.Pick(rng, [0.0, 0.0, 0.001, 0.01]) : 0,
            TornWrites = SimRandom.Chance(rng, 0.5),
            MaxInflightMessages = SimRandom.Pick(rng, [1, 4, 64]),
            Clients = (int)SimRandom.Between(rng, 1, 6),
            Keys = (int)SimRandom.Between(rng, 1, 5),
            Faults = plan,
        };
    }

    public override string ToString() =>
        $"seed={Seed} nodes={Nodes} election={ElectionTicks} heartbeat={HeartbeatTicks} tick={TickMicros}us prevote={PreVote} " +
        $"checkquorum={CheckQuorum} reads={ReadOnly} drift<={TickDriftMaxPpm}ppm disk={DiskLatencyMinMicros}us+exp({DiskLatencyTailMeanMicros}us) " +
        $"snapshot-every={SnapshotEveryEntries} chunk={SnapshotChunkBytes} fsync-fail={FsyncFailureProbability} torn={TornWrites} inflight={MaxInflightMessages} clients={Clients} keys={Keys} {Faults}";
}
