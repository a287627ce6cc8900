using System.Globalization;
using Tusk.Simulation;
using Tusk.Simulation.Raft;

namespace Tusk.Cli.Commands;

/// <summary>
/// <c>tusk sim raft --seeds A..B</c>: runs deterministic simulations of the replicated KV store (Raft under
/// faults, checked for Raft's invariants, linearizability and liveness) and prints one line per failing seed and a
/// summary. A seed replays exactly, so <c>--seeds S..S --trace</c> prints the full event trace of a failure.
/// </summary>
internal static class SimCommand
{
    private static readonly string[] FaultNames = ["partition", "asymmetric", "isolate", "clog", "crash", "pause", "clock", "loss", "dup"];

    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            if (args.Length == 0) throw new UsageException("missing simulation: expected `tusk sim raft`", HelpText.Sim);
            stdout.WriteLine(HelpText.Sim.TrimEnd());
            return ExitCodes.Ok;
        }
        if (args[0] != "raft") throw new UsageException($"unknown simulation '{args[0]}'", HelpText.Sim);
        var a = Arguments.Parse(args[1..], HelpText.Sim, ["seeds", "faults"], ["trace", "verbose"]);
        if (a.HelpRequested)
        {
            stdout.WriteLine(HelpText.Sim.TrimEnd());
            return ExitCodes.Ok;
        }
        a.RequirePositionals(0, "no arguments");
        var (first, last) = ParseSeeds(a.Value("seeds", "1..100"));
        var filter = ParseFaults(a.Value("faults", "all"));
        var trace = a.Flag("trace");
        if (trace && last - first >= 10) throw new UsageException("--trace prints every event: give at most 10 seeds", HelpText.Sim);
        int passed = 0, failed = 0;
        long operations = 0;
        for (var seed = first; seed <= last; seed++)
        {
            var options = RaftSimOptions.FromSeed(seed, filter);
            var result = RaftKvSimulation.Run(options, trace ? line => stdout.WriteLine(line) : null);
            operations += result.OperationsCompleted;
            if (result.Passed) passed++;
            else failed++;
            if (!result.Passed || a.Flag("verbose") || trace) stdout.WriteLine(result.ToString());
            if (seed == ulong.MaxValue) break;
        }
        stdout.WriteLine($"{passed} passed, {failed} failed ({operations} client operations checked)");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static (ulong First, ulong Last) ParseSeeds(string text)
    {
        var parts = text.Split("..");
        if (parts.Length is < 1 or > 2
            || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !ulong.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || last < first)
        {
            throw new UsageException($"--seeds: expected A..B with A <= B (or one seed), got '{text}'", HelpText.Sim);
        }
        return (first, last);
    }

    private static Func<FaultPlan, FaultPlan>? ParseFaults(string text)
    {
        if (text == "all") return null;
        if (text == "none") return _ => FaultPlan.None;
        var allowed = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var f in allowed)
        {
            if (Array.IndexOf(FaultNames, f) < 0)
                throw new UsageException($"--faults: unknown fault '{f}' (expected all, none or a list of {string.Join(", ", FaultNames)})", HelpText.Sim);
        }
        bool On(string name) => Array.IndexOf(allowed, name) >= 0;
        return plan => plan with
        {
            Partitions = plan.Partitions && On("partition"),
            AsymmetricPartitions = plan.AsymmetricPartitions && On("asymmetric"),
            Isolations = plan.Isolations && On("isolate"),
            Clogging = plan.Clogging && On("clog"),
            Crashes = plan.Crashes && On("crash"),
            Pauses = plan.Pauses && On("pause"),
            ClockSkew = plan.ClockSkew && On("clock"),
            Link = plan.Link with
            {
                LossProbability = On("loss") ? plan.Link.LossProbability : 0,
                DuplicateProbability = On("dup") ? plan.Link.DuplicateProbability : 0,
            },
        };
    }
}
