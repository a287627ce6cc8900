using Tusk.Core;
using Tusk.Simulation.Checkers;

namespace Tusk.Simulation.Tests;

/// <summary>
/// Generates histories that are linearizable by construction: clients issue Get/Put/Cas one at a time on a few
/// keys, and each operation takes effect on an atomic in-memory register at a random instant inside its interval,
/// with the result recorded from that register. Some operations fail (no effect) and some get no answer (Unknown:
/// applied or not, at a random instant after invocation, possibly after the client moved on). Every written value
/// is unique ("v" + id), so tests can corrupt results in ways that are surely wrong.
/// </summary>
internal static class AtomicRegisterSimulation
{
    public sealed record Options
    {
        public int Clients { get; init; } = 5;
        public int Keys { get; init; } = 3;
        public int OperationsPerClient { get; init; } = 30;
        public double UnknownProbability { get; init; } = 0.05;
        public double FailedProbability { get; init; } = 0.05;
        public int DurationMax { get; init; } = 30;
    }

    private sealed record Planned(KvOperation Operation, long EffectTime, bool Applies);

    /// <summary>Options drawn from <paramref name="random"/>: 2-9 clients, 1-5 keys, 5-40 operations each.</summary>
    public static Options RandomOptions(SeededRandom random) => new()
    {
        Clients = 2 + random.Next(8),
        Keys = 1 + random.Next(5),
        OperationsPerClient = 5 + random.Next(36),
        UnknownProbability = random.NextDouble() * 0.15,
        FailedProbability = random.NextDouble() * 0.1,
        DurationMax = 1 + random.Next(40),
    };

    public static List<KvOperation> Generate(ulong seed, Options options)
    {
        var random = new SeededRandom(seed);
        List<Planned> plan = Plan(random, options);
        var effects = new List<Planned>(plan);
        effects.Sort(static (a, b) => a.EffectTime != b.EffectTime ? a.EffectTime.CompareTo(b.EffectTime) : a.Operation.Id.CompareTo(b.Operation.Id));
        var register = new Dictionary<string, string?>(StringComparer.Ordinal);
        var results = new KvOperation[plan.Count];
        foreach (Planned planned in effects)
        {
            results[planned.Operation.Id] = planned.Applies ? Apply(register, planned.Operation) : planned.Operation;
        }
        return [.. results];
    }

    private static List<Planned> Plan(SeededRandom random, Options options)
    {
        var plan = new List<Planned>();
        var written = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (int client = 0; client < options.Clients; client++)
        {
            long time = random.Next(20);
            for (int i = 0; i < options.OperationsPerClient; i++)
            {
                int id = plan.Count;
                string key = "k" + random.Next(options.Keys);
                long duration = 1 + random.Next(options.DurationMax);
                KvOperation operation = Command(random, id, client, key, written) with { InvokeTime = time };
                double roll = random.NextDouble();
                KvOutcome outcome = roll < options.UnknownProbability ? KvOutcome.Unknown
                    : roll < options.UnknownProbability + options.FailedProbability ? KvOutcome.Failed
                    : KvOutcome.Ok;
                long effect = time + random.Next((int)duration + 1);
                bool applies = outcome == KvOutcome.Ok || (outcome == KvOutcome.Unknown && random.Chance(0.5));
                if (outcome == KvOutcome.Unknown)
                {
                    effect = time + random.Next(4 * (int)duration + 1); // may land after the client gave up
                }
                long response = outcome == KvOutcome.Unknown ? KvOperation.NoResponse : time + duration;
                plan.Add(new Planned(operation with { Outcome = outcome, ResponseTime = response }, effect, applies));
                time += duration + random.Next(10);
            }
        }
        return plan;
    }

    private static KvOperation Command(SeededRandom random, int id, int client, string key, Dictionary<string, List<string>> written)
    {
        var operation = new KvOperation { Id = id, ClientId = client, Kind = KvOperationKind.Get, Key = key, InvokeTime = 0, Outcome = KvOutcome.Ok };
        int roll = random.Next(100);
        if (roll < 40)
        {
            return operation;
        }
        string value = "v" + id;
        if (!written.TryGetValue(key, out List<string>? values))
        {
            values = [];
            written.Add(key, values);
        }
        string? expected = values.Count == 0 || random.Chance(0.1) ? null : values[values.Count - 1 - random.Next(Math.Min(3, values.Count))];
        values.Add(value);
        return roll < 75
            ? operation with { Kind = KvOperationKind.Put, Value = value }
            : operation with { Kind = KvOperationKind.Cas, Expected = expected, Value = value };
    }

    private static KvOperation Apply(Dictionary<string, string?> register, KvOperation operation)
    {
        string? current = register.GetValueOrDefault(operation.Key);
        bool known = operation.Outcome == KvOutcome.Ok;
        switch (operation.Kind)
        {
            case KvOperationKind.Get:
                return known ? operation with { ReadValue = current } : operation;
            case KvOperationKind.Put:
                register[operation.Key] = operation.Value;
                return operation;
            default:
                bool matches = current == operation.Expected;
                if (matches)
                {
                    register[operation.Key] = operation.Value;
                }
                return known ? operation with { CasSucceeded = matches } : operation;
        }
    }
}
