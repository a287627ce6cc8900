using System.Collections.Concurrent;
using Tusk.Simulation.Checkers;
using Tusk.Simulation.Raft;
using Xunit;
using Xunit.Abstractions;

namespace Tusk.Simulation.Tests;

/// <summary>
/// The replicated KV store under the deterministic simulator: every seed picks a cluster, Raft settings and a fault
/// mix, runs clients through a fault phase and a liveness phase, and checks Raft's invariants and the
/// linearizability of the history. TUSK_RAFT_SEEDS=N sweeps N seeds (default 500); a failure prints the seed,
/// which `tusk sim raft --seeds S..S --trace` replays exactly.
/// </summary>
public sealed class RaftSimulationTests(ITestOutputHelper output)
{
    private static int SeedCount => int.TryParse(Environment.GetEnvironmentVariable("TUSK_RAFT_SEEDS"), out var n) ? n : 500;

    [Fact]
    public void SweepOfSeedsIsSafeAndLive()
    {
        var results = new ConcurrentBag<RaftSimResult>();
        Parallel.For(1, SeedCount + 1, new ParallelOptions { MaxDegreeOfParallelism = 2 },
            seed => results.Add(RaftKvSimulation.Run(RaftSimOptions.FromSeed((ulong)seed))));
        var failed = results.Where(r => !r.Passed).OrderBy(r => r.Options.Seed).ToList();
        foreach (var f in failed.Take(10)) output.WriteLine(f.ToString());
        var ops = results.Sum(r => r.OperationsCompleted);
        output.WriteLine($"{results.Count - failed.Count} passed, {failed.Count} failed; {ops} operations completed; " +
            $"{results.Count(r => r.Linearizability == LinearizabilityStatus.Unknown)} histories too large to decide");
        Assert.Equal(SeedCount, results.Count);
        Assert.True(failed.Count == 0, $"{failed.Count} seeds failed, first: {failed.FirstOrDefault()}");
        // The sweep must exercise what it claims: elections under faults, snapshots, many operations.
        Assert.True(ops > SeedCount * 50, $"only {ops} operations completed");
        Assert.True(results.Count(r => r.LeadersElected > 1) > SeedCount / 4, "too few runs saw a change of leader");
    }

    [Fact]
    public void ARunIsAPureFunctionOfItsSeed()
    {
        var a = new List<string>();
        var b = new List<string>();
        var first = RaftKvSimulation.Run(RaftSimOptions.FromSeed(42), a.Add);
        var second = RaftKvSimulation.Run(RaftSimOptions.FromSeed(42), b.Add);
        Assert.Equal(first.ToString(), second.ToString());
        Assert.True(a.Count > 1000);
        Assert.Equal(a, b);
        var other = new List<string>();
        RaftKvSimulation.Run(RaftSimOptions.FromSeed(43), other.Add);
        Assert.NotEqual(a, other);
    }

    [Fact]
    public void WithoutFaultsEveryOperationCompletes()
    {
        var result = RaftKvSimulation.Run(RaftSimOptions.FromSeed(7, _ => FaultPlan.None) with { Nodes = 3, Clients = 4 });
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(0, result.OperationsGivenUp);
        Assert.True(result.OperationsCompleted > 500, result.ToString());
        Assert.Equal(LinearizabilityStatus.Linearizable, result.Linearizability);
    }

    [Fact]
    public void TheCheckerCatchesStaleReads()
    {
        // A deliberately broken host that answers reads from its local state without ReadIndex: some seed must fail.
        var caught = Enumerable.Range(1, 60)
            .Select(seed => RaftKvSimulation.Run(RaftSimOptions.FromSeed((ulong)seed) with { UnsafeLocalReads = true }))
            .FirstOrDefault(r => !r.Passed);
        Assert.NotNull(caught);
        output.WriteLine(caught.ToString());
        Assert.Contains("not linearizable", caught.Failure, StringComparison.Ordinal);
    }
}
