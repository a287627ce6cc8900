using Tusk.Core;
using Tusk.Simulation.Checkers;
using Xunit;

namespace Tusk.Simulation.Tests;

/// <summary>
/// The linearizability checker on hand-written histories (each says in its name what it shows), on generated
/// histories that are linearizable by construction and on corrupted copies of them that surely are not, on a
/// pathological history that exhausts the step budget, and the history text format and recorder.
/// </summary>
public sealed class LinearizabilityCheckerTests
{
    private static readonly LinearizabilityChecker _checker = new();

    private static LinearizabilityResult Check(string history) => _checker.Check(KvHistoryFormat.Parse(history));

    private static void AssertLinearizable(string history)
    {
        LinearizabilityResult result = Check(history);
        Assert.True(result.IsLinearizable, result.ToString());
    }

    private static LinearizabilityViolation AssertViolation(string history)
    {
        LinearizabilityResult result = Check(history);
        Assert.True(result.Status == LinearizabilityStatus.NotLinearizable, result.ToString());
        return Assert.Single(result.Violations);
    }

    [Fact]
    public void SequentialHistoryOfEveryKindIsLinearizable() => AssertLinearizable("""
        0 c1 0 5 get "k" -> nil
        1 c1 10 20 put "k" "a" -> ok
        2 c1 30 40 get "k" -> "a"
        3 c1 50 60 cas "k" "a" "b" -> true
        4 c1 70 80 cas "k" "a" "c" -> false
        5 c1 90 100 get "k" -> "b"
        6 c1 110 120 put "k" nil -> ok
        7 c1 130 140 cas "k" nil "d" -> true
        8 c1 150 160 get "k" -> "d"
        """);

    [Theory]
    [InlineData("nil")] // the get took effect before the put
    [InlineData("\"a\"")] // after it
    public void ReadConcurrentWithAPutMaySeeEitherValue(string read) => AssertLinearizable($"""
        0 c1 0 100 put "k" "a" -> ok
        1 c2 10 20 get "k" -> {read}
        """);

    [Fact]
    public void ReadsConcurrentWithAPutMustNotGoBackInTime()
    {
        // Each read alone may see either value, but once c2 saw "a", c3's later read cannot see the old nil.
        LinearizabilityViolation violation = AssertViolation("""
            0 c1 0 100 put "k" "a" -> ok
            1 c2 10 20 get "k" -> "a"
            2 c3 30 40 get "k" -> nil
            """);
        Assert.Equal(3, violation.Operations.Count);
        Assert.True(violation.IsMinimal);
    }

    [Fact]
    public void StaleReadAfterACompletedPutIsNotLinearizable()
    {
        LinearizabilityViolation violation = AssertViolation("""
            0 c1 0 10 put "k" "a" -> ok
            1 c1 20 30 put "k" "b" -> ok
            2 c2 40 50 get "k" -> "a"
            """);
        Assert.Equal("k", violation.Key);
        Assert.Equal(2, violation.Blocked.Id);
        Assert.Equal("b", violation.ValueAfterPrefix);
        Assert.Equal(new[] { 0, 1 }, Ids(violation.LongestPrefix));
        Assert.Equal(new[] { 0, 1, 2 }, Ids(violation.Operations));
        Assert.True(violation.IsMinimal);
        string text = violation.ToString();
        Assert.Contains("key \"k\": not linearizable", text, StringComparison.Ordinal);
        Assert.Contains("Stuck at: 2 c2 40 50 get \"k\" -> \"a\"", text, StringComparison.Ordinal);
        Assert.Contains("it read \"a\" while the value is \"b\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadOfAValueNeverWrittenIsNotLinearizableAndShrinksToThatRead()
    {
        LinearizabilityViolation violation = AssertViolation("""
            0 c1 0 10 put "k" "a" -> ok
            1 c2 5 15 get "k" -> "a"
            2 c1 20 30 put "k" "b" -> ok
            3 c2 25 35 get "k" -> "ghost"
            4 c3 40 50 get "k" -> "b"
            """);
        Assert.Equal(new[] { 3 }, Ids(violation.Operations));
        Assert.Empty(violation.LongestPrefix);
        Assert.Null(violation.ValueAfterPrefix);
    }

    [Theory]
    [InlineData("cas \"k\" nil \"a\" -> true", true)] // expects absent, and the key is absent
    [InlineData("cas \"k\" nil \"a\" -> false", false)] // fails although the key is absent
    [InlineData("cas \"k\" \"x\" \"a\" -> false", true)] // expects a value the key does not have
    [InlineData("cas \"k\" \"x\" \"a\" -> true", false)] // succeeds expecting a value the key does not have
    public void CasOnAFreshKeyFollowsItsExpectedValue(string command, bool linearizable)
    {
        LinearizabilityResult result = Check($"""
            0 c1 0 10 {command}
            1 c1 20 30 get "k" -> {(command.EndsWith("true", StringComparison.Ordinal) ? "\"a\"" : "nil")}
            """);
        Assert.True(linearizable == result.IsLinearizable, result.ToString());
    }

    [Fact]
    public void FailedCasConcurrentWithTheWriteThatBrokeItIsLinearizable() => AssertLinearizable("""
        0 c1 0 10 put "k" "a" -> ok
        1 c2 20 60 put "k" "b" -> ok
        2 c3 30 40 cas "k" "a" "c" -> false
        3 c3 70 80 get "k" -> "b"
        """);

    [Fact]
    public void LostUpdateThroughTwoSuccessfulCasesIsCaught()
    {
        // Both clients read "0" and both compare-and-set from "0", concurrently; both claim success.
        LinearizabilityViolation violation = AssertViolation("""
            0 c1 0 10 put "k" "0" -> ok
            1 c1 20 30 get "k" -> "0"
            2 c2 21 31 get "k" -> "0"
            3 c1 40 60 cas "k" "0" "1" -> true
            4 c2 41 61 cas "k" "0" "2" -> true
            5 c3 70 80 get "k" -> "2"
            """);
        Assert.Contains(3, Ids(violation.Operations));
        Assert.Contains(4, Ids(violation.Operations));
        Assert.True(violation.IsMinimal);
    }

    [Theory]
    [InlineData("nil", "nil")] // never took effect
    [InlineData("\"a\"", "\"a\"")] // took effect before the first read
    [InlineData("nil", "\"a\"")] // took effect between the reads, after the client had given up
    public void UnknownPutMayOrMayNotHaveTakenEffect(string firstRead, string secondRead) => AssertLinearizable($"""
        0 c1 0 10 put "k" "a" -> unknown
        1 c2 20 30 get "k" -> {firstRead}
        2 c2 40 50 get "k" -> {secondRead}
        """);

    [Fact]
    public void UnknownPutCannotBeUndoneOnceSeen()
    {
        LinearizabilityViolation violation = AssertViolation("""
            0 c1 0 ? put "k" "a" -> unknown
            1 c2 20 30 get "k" -> "a"
            2 c2 40 50 get "k" -> nil
            """);
        Assert.Equal(2, violation.Blocked.Id);
    }

    [Fact]
    public void UnknownPutCannotTakeEffectBeforeItsInvocation()
    {
        AssertViolation("""
            0 c2 0 10 get "k" -> "a"
            1 c1 20 ? put "k" "a" -> unknown
            """);
    }

    [Theory]
    [InlineData("\"a\"")] // the cas took effect (the key held "x")
    [InlineData("\"x\"")] // it did not
    public void UnknownCasMayOrMayNotHaveTakenEffect(string read) => AssertLinearizable($"""
        0 c1 0 10 put "k" "x" -> ok
        1 c1 20 ? cas "k" "x" "a" -> unknown
        2 c2 40 50 get "k" -> {read}
        3 c3 60 70 get "k" -> {read}
        """);

    [Fact]
    public void UnknownCasCannotSucceedWhenItsExpectedValueWasNeverThere()
    {
        AssertViolation("""
            0 c1 0 10 put "k" "x" -> ok
            1 c1 20 ? cas "k" "y" "a" -> unknown
            2 c2 40 50 get "k" -> "a"
            """);
    }

    [Fact]
    public void FailedOperationsHaveNoEffect()
    {
        AssertLinearizable("""
            0 c1 0 10 put "k" "a" -> failed
            1 c2 20 30 get "k" -> nil
            2 c2 40 50 get "k" -> failed
            """);
        AssertViolation("""
            0 c1 0 10 put "k" "a" -> failed
            1 c2 20 30 get "k" -> "a"
            """);
    }

    [Fact]
    public void TouchingIntervalsAreConcurrentButDisjointOnesAreOrdered()
    {
        AssertLinearizable("""
            0 c1 0 10 put "k" "a" -> ok
            1 c2 10 20 get "k" -> nil
            """);
        AssertViolation("""
            0 c1 0 10 put "k" "a" -> ok
            1 c2 11 20 get "k" -> nil
            """);
    }

    [Fact]
    public void KeysAreCheckedIndependentlyAndOnlyTheBrokenOneIsReported()
    {
        LinearizabilityResult result = Check("""
            0 c1 0 10 put "a" "1" -> ok
            1 c1 0 10 put "b" "1" -> ok
            2 c2 20 30 get "a" -> "1"
            3 c2 20 30 get "b" -> nil
            4 c3 5 25 put "c" "1" -> ok
            5 c3 30 40 get "c" -> "1"
            """);
        Assert.Equal(LinearizabilityStatus.NotLinearizable, result.Status);
        Assert.Equal(new[] { "a", "b", "c" }, Keys(result));
        Assert.Equal(
            new[] { LinearizabilityStatus.Linearizable, LinearizabilityStatus.NotLinearizable, LinearizabilityStatus.Linearizable },
            Statuses(result));
        Assert.Equal("b", Assert.Single(result.Violations).Key);
        Assert.StartsWith("NotLinearizable: 6 operations on 3 keys (linearizable 2, not linearizable 1, unknown 0);", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyHistoryIsLinearizable()
    {
        LinearizabilityResult result = _checker.Check([]);
        Assert.True(result.IsLinearizable);
        Assert.Empty(result.Keys);
    }

    [Fact]
    public void MalformedOperationIsRejected()
    {
        var operation = new KvOperation { Id = 0, ClientId = 1, Kind = KvOperationKind.Get, Key = "k", InvokeTime = 10, ResponseTime = 5, Outcome = KvOutcome.Ok };
        Assert.Throws<ArgumentException>(() => _checker.Check([operation]));
    }

    /// <summary>
    /// A put "z" followed by <paramref name="concurrentPuts"/> mutually concurrent puts and then a read of "z": not
    /// linearizable, but the search must try every subset of the concurrent puts (n·2^(n-1) configurations) to know.
    /// </summary>
    private static List<KvOperation> Pathological(int concurrentPuts)
    {
        var recorder = new HistoryRecorder();
        recorder.CompletePut(recorder.InvokePut(0, "k", "z", 0), 1);
        var ids = new List<int>();
        for (int i = 0; i < concurrentPuts; i++)
        {
            ids.Add(recorder.InvokePut(i + 1, "k", "p" + i, 10 + i));
        }
        foreach (int id in ids)
        {
            recorder.CompletePut(id, 1000 + id);
        }
        recorder.CompleteGet(recorder.InvokeGet(0, "k", 2000), "z", 2001);
        recorder.CompleteGet(recorder.InvokeGet(0, "other", 0), null, 1);
        return [.. recorder.ToHistory()];
    }

    [Fact]
    public void SearchThatExhaustsItsStepBudgetIsUnknownNotOk()
    {
        var checker = new LinearizabilityChecker { StepBudgetPerKey = 10_000 };
        LinearizabilityResult result = checker.Check(Pathological(20));
        Assert.Equal(LinearizabilityStatus.Unknown, result.Status);
        Assert.False(result.IsLinearizable);
        KeyLinearizability key = result.Keys[0];
        Assert.Equal("k", key.Key);
        Assert.Equal(LinearizabilityStatus.Unknown, key.Status);
        Assert.Equal(10_000, key.Steps);
        Assert.Null(key.Violation);
        Assert.Equal(LinearizabilityStatus.Linearizable, result.Keys[1].Status);
        Assert.Contains("key \"k\": unknown: the search gave up after 10000 steps", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void SameShapeWithinTheBudgetIsDecided()
    {
        LinearizabilityResult result = _checker.Check(Pathological(8));
        Assert.Equal(LinearizabilityStatus.NotLinearizable, result.Status);
        Assert.True(result.Steps > 1000, $"only {result.Steps} steps: the history is not the hard case it should be");
        // The cheapest proof needs no concurrent put at all: put z, put p_i, get z.
        Assert.Equal(3, result.Violations[0].Operations.Count);
    }

    [Fact]
    public void NotLinearizableKeyOutranksUnknownKey()
    {
        List<KvOperation> history = Pathological(20);
        history.Add(new KvOperation { Id = 99, ClientId = 9, Kind = KvOperationKind.Get, Key = "x", InvokeTime = 0, ResponseTime = 1, ReadValue = "ghost", Outcome = KvOutcome.Ok });
        LinearizabilityResult result = new LinearizabilityChecker { StepBudgetPerKey = 10_000 }.Check(history);
        Assert.Equal(LinearizabilityStatus.NotLinearizable, result.Status);
        Assert.Equal(new[] { LinearizabilityStatus.Unknown, LinearizabilityStatus.Linearizable, LinearizabilityStatus.NotLinearizable }, Statuses(result));
    }

    [Fact]
    public void GeneratedLinearizableHistoriesPass()
    {
        int unknown = 0;
        for (ulong seed = 0; seed < 300; seed++)
        {
            var options = AtomicRegisterSimulation.RandomOptions(new SeededRandom(seed ^ 0xabcdef));
            List<KvOperation> history = AtomicRegisterSimulation.Generate(seed, options);
            LinearizabilityResult result = _checker.Check(history);
            Assert.True(result.IsLinearizable, $"seed {seed} {options}:\n{result}\n{KvHistoryFormat.Format(history)}");
            unknown += Count(history, KvOutcome.Unknown);
        }
        Assert.True(unknown > 500, $"only {unknown} unknown operations generated");
    }

    [Fact]
    public void GeneratedHistoryWithAReadOfANeverWrittenValueFails()
    {
        for (ulong seed = 0; seed < 200; seed++)
        {
            var random = new SeededRandom(seed);
            List<KvOperation> history = AtomicRegisterSimulation.Generate(seed, AtomicRegisterSimulation.RandomOptions(random));
            int index = RandomOkGet(history, random);
            if (index < 0)
            {
                continue;
            }
            history[index] = history[index] with { ReadValue = "never-written" };
            AssertCaught(history, seed, history[index].Key);
        }
    }

    [Fact]
    public void GeneratedHistoryWithAStaleReadFails()
    {
        int corrupted = 0;
        for (ulong seed = 0; seed < 200; seed++)
        {
            var random = new SeededRandom(seed);
            List<KvOperation> history = AtomicRegisterSimulation.Generate(seed, AtomicRegisterSimulation.RandomOptions(random));
            if (!TryCorruptWithStaleRead(history, random))
            {
                continue;
            }
            corrupted++;
            AssertCaught(history, seed, key: null);
        }
        Assert.True(corrupted > 100, $"only {corrupted} histories had a stale read to inject");
    }

    /// <summary>
    /// Replaces the result of an Ok get G with the value of an Ok put P such that another Ok put Q of the same key
    /// responded before G was invoked and was invoked after P responded: P, Q, G are in real-time order, every
    /// written value is unique, so P's value can never be current again when G runs.
    /// </summary>
    private static bool TryCorruptWithStaleRead(List<KvOperation> history, SeededRandom random)
    {
        int offset = random.Next(history.Count);
        for (int i = 0; i < history.Count; i++)
        {
            KvOperation get = history[(i + offset) % history.Count];
            if (get is not { Kind: KvOperationKind.Get, Outcome: KvOutcome.Ok })
            {
                continue;
            }
            foreach (KvOperation overwrite in history)
            {
                if (!IsOkPut(overwrite, get.Key) || overwrite.ResponseTime >= get.InvokeTime)
                {
                    continue;
                }
                foreach (KvOperation stale in history)
                {
                    if (IsOkPut(stale, get.Key) && stale.ResponseTime < overwrite.InvokeTime)
                    {
                        history[get.Id] = get with { ReadValue = stale.Value };
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static bool IsOkPut(KvOperation operation, string key) =>
        operation is { Kind: KvOperationKind.Put, Outcome: KvOutcome.Ok } && operation.Key == key;

    /// <summary>
    /// The corrupted history must be NotLinearizable, and the violation must stand up: its witness is not
    /// linearizable even with every other write of the key free to take effect any time after its invocation, no
    /// single operation can be dropped from it (unless it writes a value the rest reads), and its prefix replays.
    /// </summary>
    private static void AssertCaught(List<KvOperation> history, ulong seed, string? key)
    {
        LinearizabilityResult result = _checker.Check(history);
        Assert.True(result.Status == LinearizabilityStatus.NotLinearizable, $"seed {seed}:\n{KvHistoryFormat.Format(history)}");
        LinearizabilityViolation violation = Assert.Single(result.Violations);
        if (key is not null)
        {
            Assert.Equal(key, violation.Key);
        }
        Assert.True(IsFairWitness([.. violation.Operations], history), $"seed {seed}: unfair witness\n{violation}");
        Assert.True(violation.IsMinimal, violation.ToString());
        for (int i = 0; i < violation.Operations.Count; i++)
        {
            var smaller = new List<KvOperation>(violation.Operations);
            smaller.RemoveAt(i);
            Assert.False(!IsObservedWriter(violation.Operations[i], smaller) && IsFairWitness(smaller, history),
                $"seed {seed}: witness not minimal without {violation.Operations[i]}\n{violation}");
        }
        Assert.Equal(violation.ValueAfterPrefix, Replay(violation.LongestPrefix));
        Assert.DoesNotContain(violation.Blocked, violation.LongestPrefix);
    }

    /// <summary>
    /// Not linearizable, also when every write of <paramref name="history"/> on the same key that is not in
    /// <paramref name="witness"/> is added as an Unknown operation.
    /// </summary>
    private static bool IsFairWitness(List<KvOperation> witness, List<KvOperation> history)
    {
        var plain = new LinearizabilityChecker { MinimizeViolations = false };
        if (plain.Check(witness).Status != LinearizabilityStatus.NotLinearizable)
        {
            return false;
        }
        var widened = new List<KvOperation>(witness);
        foreach (KvOperation operation in history)
        {
            bool writes = operation.Outcome != KvOutcome.Failed && (operation.Kind == KvOperationKind.Put
                || (operation.Kind == KvOperationKind.Cas && (operation.Outcome == KvOutcome.Unknown || operation.CasSucceeded)));
            if (writes && operation.Key == witness[0].Key && !witness.Contains(operation))
            {
                widened.Add(operation with { Outcome = KvOutcome.Unknown, ResponseTime = KvOperation.NoResponse, CasSucceeded = false });
            }
        }
        return plain.Check(widened).Status == LinearizabilityStatus.NotLinearizable;
    }

    private static bool IsObservedWriter(KvOperation writer, List<KvOperation> others)
    {
        if (writer.Kind == KvOperationKind.Get || writer.Value is null)
        {
            return false;
        }
        foreach (KvOperation other in others)
        {
            if ((other is { Kind: KvOperationKind.Get, Outcome: KvOutcome.Ok } && other.ReadValue == writer.Value)
                || (other is { Kind: KvOperationKind.Cas, Outcome: KvOutcome.Ok, CasSucceeded: true } && other.Expected == writer.Value))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Runs <paramref name="operations"/> in order on a register and returns its final value; fails on a result it contradicts.</summary>
    private static string? Replay(IReadOnlyList<KvOperation> operations)
    {
        string? value = null;
        foreach (KvOperation operation in operations)
        {
            bool unknown = operation.Outcome == KvOutcome.Unknown;
            switch (operation.Kind)
            {
                case KvOperationKind.Get:
                    Assert.Equal(operation.ReadValue, value);
                    break;
                case KvOperationKind.Put:
                    value = operation.Value;
                    break;
                default:
                    bool matches = value == operation.Expected;
                    Assert.True(unknown || matches == operation.CasSucceeded, $"{operation} on {value}");
                    value = matches ? operation.Value : value;
                    break;
            }
        }
        return value;
    }

    /// <summary>
    /// The checker against the definition, on thousands of tiny histories over a tiny value domain (so values repeat
    /// and nil matters): a brute-force search over every order that respects real time, every Unknown operation
    /// applied at any point or never, and no pruning at all. Half the histories are atomic-register executions, half
    /// have one result changed at random; both verdicts must come up often.
    /// </summary>
    [Fact]
    public void AgreesWithBruteForceOnTinyHistories()
    {
        int linearizable = 0;
        int violations = 0;
        for (ulong seed = 0; seed < 4000; seed++)
        {
            var random = new SeededRandom(seed);
            List<KvOperation> history = TinyHistory(random, count: 2 + random.Next(9), timeSpan: 20, okProbability: 0.6, mutateProbability: 0.5);
            bool expected = BruteForceLinearizable(history);
            LinearizabilityResult result = _checker.Check(history);
            Assert.True(expected == result.IsLinearizable, $"seed {seed}: brute force says {expected}\n{result}\n{KvHistoryFormat.Format(history)}");
            if (!expected)
            {
                Assert.Equal(LinearizabilityStatus.NotLinearizable, result.Status);
                LinearizabilityViolation violation = Assert.Single(result.Violations);
                Assert.False(BruteForceLinearizable([.. violation.Operations]), $"seed {seed}: witness is linearizable\n{violation}");
            }
            linearizable += expected ? 1 : 0;
            violations += expected ? 0 : 1;
        }
        Assert.True(linearizable > 1000 && violations > 500, $"{linearizable} linearizable, {violations} not");
    }

    private static readonly string?[] _tinyValues = [null, "a", "b", "c"];

    /// <summary>
    /// <paramref name="count"/> operations by up to 4 clients on one key, invoked in [0, <paramref name="timeSpan"/>),
    /// values from {nil, a, b, c}, every outcome (Ok with <paramref name="okProbability"/>, else 60% Unknown, 40%
    /// Failed); with <paramref name="mutateProbability"/> one Ok result is changed.
    /// </summary>
    private static List<KvOperation> TinyHistory(SeededRandom random, int count, int timeSpan, double okProbability, double mutateProbability)
    {
        var history = new List<KvOperation>();
        var effects = new List<(long Time, int Index, bool Applies)>();
        for (int i = 0; i < count; i++)
        {
            long invoke = random.Next(timeSpan);
            long response = invoke + random.Next(8);
            KvOperationKind kind = (KvOperationKind)random.Next(3);
            KvOutcome outcome = random.Chance(okProbability) ? KvOutcome.Ok : random.Chance(0.6) ? KvOutcome.Unknown : KvOutcome.Failed;
            history.Add(new KvOperation
            {
                Id = i,
                ClientId = random.Next(4),
                Kind = kind,
                Key = "k",
                Value = kind == KvOperationKind.Get ? null : _tinyValues[random.Next(4)],
                Expected = kind == KvOperationKind.Cas ? _tinyValues[random.Next(4)] : null,
                InvokeTime = invoke,
                ResponseTime = outcome == KvOutcome.Unknown ? KvOperation.NoResponse : response,
                Outcome = outcome,
            });
            long effect = outcome == KvOutcome.Unknown ? invoke + random.Next(30) : invoke + random.Next((int)(response - invoke) + 1);
            effects.Add((effect, i, outcome == KvOutcome.Ok || (outcome == KvOutcome.Unknown && random.Chance(0.5))));
        }
        effects.Sort();
        string? value = null;
        foreach ((long _, int index, bool applies) in effects)
        {
            if (applies)
            {
                history[index] = ApplyTiny(history[index], ref value);
            }
        }
        int mutated = random.Next(count);
        KvOperation victim = history[mutated];
        if (random.Chance(mutateProbability) && victim.Outcome == KvOutcome.Ok && victim.Kind != KvOperationKind.Put)
        {
            history[mutated] = victim.Kind == KvOperationKind.Get
                ? victim with { ReadValue = _tinyValues[(Array.IndexOf(_tinyValues, victim.ReadValue) + 1 + random.Next(3)) % 4] }
                : victim with { CasSucceeded = !victim.CasSucceeded };
        }
        return history;
    }

    private static KvOperation ApplyTiny(KvOperation operation, ref string? value)
    {
        bool ok = operation.Outcome == KvOutcome.Ok;
        switch (operation.Kind)
        {
            case KvOperationKind.Get:
                return ok ? operation with { ReadValue = value } : operation;
            case KvOperationKind.Put:
                value = operation.Value;
                return operation;
            default:
                bool matches = value == operation.Expected;
                value = matches ? operation.Value : value;
                return ok ? operation with { CasSucceeded = matches } : operation;
        }
    }

    /// <summary>
    /// The checker against a plain reference search (recursive, Lowe's memo on (placed set, value), none of the
    /// checker's other prunings or list structures) on histories of up to 50 operations.
    /// </summary>
    [Fact]
    public void AgreesWithAPlainReferenceSearchOnSmallHistories()
    {
        int violations = 0;
        for (ulong seed = 0; seed < 1000; seed++)
        {
            var random = new SeededRandom(seed);
            int count = 10 + random.Next(41);
            List<KvOperation> history = TinyHistory(random, count, timeSpan: count * 2, okProbability: 0.85, mutateProbability: 1.0);
            bool expected = ReferenceLinearizable(history);
            LinearizabilityResult result = _checker.Check(history);
            Assert.True(expected == result.IsLinearizable, $"seed {seed}: reference says {expected}\n{result}\n{KvHistoryFormat.Format(history)}");
            violations += expected ? 0 : 1;
        }
        Assert.True(violations > 100, $"only {violations} violations");
    }

    private static bool ReferenceLinearizable(List<KvOperation> history)
    {
        var operations = new List<KvOperation>();
        foreach (KvOperation operation in history)
        {
            if (operation.Outcome != KvOutcome.Failed)
            {
                operations.Add(operation);
            }
        }
        Assert.True(operations.Count <= 64);
        return Reference(operations, placed: 0, value: null, failed: []);
    }

    private static bool Reference(List<KvOperation> operations, ulong placed, string? value, HashSet<(ulong, string?)> failed)
    {
        var pending = new List<KvOperation>();
        bool okLeft = false;
        for (int i = 0; i < operations.Count; i++)
        {
            if ((placed & (1UL << i)) == 0)
            {
                pending.Add(operations[i]);
                okLeft |= operations[i].Outcome == KvOutcome.Ok;
            }
        }
        if (!okLeft)
        {
            return true;
        }
        if (failed.Contains((placed, value)))
        {
            return false;
        }
        for (int i = 0; i < operations.Count; i++)
        {
            if ((placed & (1UL << i)) == 0 && MayGoNext(operations[i], pending) && TryStepTiny(operations[i], value, out string? after)
                && Reference(operations, placed | (1UL << i), after, failed))
            {
                return true;
            }
        }
        failed.Add((placed, value));
        return false;
    }

    /// <summary>Linearizability by definition, for one key: exhaustive, exponential, only for tiny histories.</summary>
    private static bool BruteForceLinearizable(List<KvOperation> history)
    {
        var pending = new List<KvOperation>();
        foreach (KvOperation operation in history)
        {
            if (operation.Outcome != KvOutcome.Failed)
            {
                pending.Add(operation);
            }
        }
        return BruteForce(pending, value: null);
    }

    private static bool BruteForce(List<KvOperation> pending, string? value)
    {
        bool okLeft = false;
        foreach (KvOperation operation in pending)
        {
            okLeft |= operation.Outcome == KvOutcome.Ok;
        }
        if (!okLeft)
        {
            return true; // the Unknown operations left never take effect
        }
        foreach (KvOperation next in pending)
        {
            if (!MayGoNext(next, pending) || !TryStepTiny(next, value, out string? after))
            {
                continue;
            }
            var rest = new List<KvOperation>(pending);
            rest.Remove(next);
            if (BruteForce(rest, after))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>No pending Ok operation responded before <paramref name="next"/> was invoked.</summary>
    private static bool MayGoNext(KvOperation next, List<KvOperation> pending)
    {
        foreach (KvOperation other in pending)
        {
            if (other.Outcome == KvOutcome.Ok && other.ResponseTime < next.InvokeTime)
            {
                return false;
            }
        }
        return true;
    }

    private static bool TryStepTiny(KvOperation operation, string? value, out string? after)
    {
        after = value;
        switch (operation.Kind)
        {
            case KvOperationKind.Get:
                return operation.Outcome != KvOutcome.Ok || operation.ReadValue == value;
            case KvOperationKind.Put:
                after = operation.Value;
                return true;
            default:
                bool matches = value == operation.Expected;
                after = matches ? operation.Value : value;
                return operation.Outcome != KvOutcome.Ok || matches == operation.CasSucceeded;
        }
    }

    [Fact]
    public void ThousandsOfOperationsOnTensOfKeysTakeFewSteps()
    {
        var options = new AtomicRegisterSimulation.Options
        {
            Clients = 10,
            Keys = 20,
            OperationsPerClient = 500,
            UnknownProbability = 0.05,
            FailedProbability = 0.05,
        };
        List<KvOperation> history = AtomicRegisterSimulation.Generate(7, options);
        LinearizabilityResult result = _checker.Check(history);
        Assert.True(result.IsLinearizable, result.ToString());
        Assert.Equal(5000, result.OperationCount);
        Assert.Equal(20, result.Keys.Count);
        Assert.True(result.Steps < 50 * 5000L, $"{result.Steps} steps");
    }

    [Fact]
    public void TextFormatRoundTripsGeneratedHistories()
    {
        for (ulong seed = 0; seed < 50; seed++)
        {
            List<KvOperation> history = AtomicRegisterSimulation.Generate(seed, AtomicRegisterSimulation.RandomOptions(new SeededRandom(seed)));
            string text = KvHistoryFormat.Format(history);
            Assert.StartsWith(KvHistoryFormat.Header + "\n", text, StringComparison.Ordinal);
            Assert.Equal(history, KvHistoryFormat.Parse(text));
        }
    }

    [Fact]
    public void TextFormatRoundTripsAwkwardValuesAndEveryOutcome()
    {
        var history = new List<KvOperation>
        {
            new() { Id = 0, ClientId = 1, Kind = KvOperationKind.Put, Key = "a \"quoted\" key\n", Value = "tab\there \\ é \u0001", InvokeTime = -5, ResponseTime = 3, Outcome = KvOutcome.Ok },
            new() { Id = 1, ClientId = 2, Kind = KvOperationKind.Get, Key = "", InvokeTime = 0, ResponseTime = 9, ReadValue = "nil", Outcome = KvOutcome.Ok },
            new() { Id = 2, ClientId = 2, Kind = KvOperationKind.Get, Key = "k", InvokeTime = 0, ResponseTime = 9, ReadValue = null, Outcome = KvOutcome.Ok },
            new() { Id = 3, ClientId = 3, Kind = KvOperationKind.Cas, Key = "k", Expected = null, Value = "x", InvokeTime = 1, Outcome = KvOutcome.Unknown },
            new() { Id = 4, ClientId = 3, Kind = KvOperationKind.Cas, Key = "k", Expected = "x", Value = null, InvokeTime = 1, ResponseTime = 2, CasSucceeded = true, Outcome = KvOutcome.Ok },
            new() { Id = 5, ClientId = 4, Kind = KvOperationKind.Put, Key = "k", Value = null, InvokeTime = 1, ResponseTime = 7, Outcome = KvOutcome.Failed },
            new() { Id = 6, ClientId = 4, Kind = KvOperationKind.Get, Key = "k", InvokeTime = 1, ResponseTime = 8, Outcome = KvOutcome.Unknown },
        };
        string text = KvHistoryFormat.Format(history);
        Assert.Equal(history, KvHistoryFormat.Parse(text));
        Assert.Equal("2 c2 0 9 get \"k\" -> nil", history[2].ToString());
        Assert.Equal("3 c3 1 ? cas \"k\" nil \"x\" -> unknown", history[3].ToString());
        Assert.Equal("6 c4 1 8 get \"k\" -> unknown", history[6].ToString());
    }

    [Theory]
    [InlineData("0 c1 0 10 put \"k\" \"a\" -> true", "a put's result")]
    [InlineData("0 c1 0 10 get \"k\" -> a", "a value is quoted or nil")]
    [InlineData("0 x1 0 10 get \"k\" -> nil", "client")]
    [InlineData("0 c1 0 10 del \"k\" -> ok", "unknown command")]
    [InlineData("0 c1 0 10 put \"k -> ok", "unterminated string")]
    [InlineData("0 c1 0 10 cas \"k\" \"a\" -> true", "takes a key and 2 value(s)")]
    public void TextFormatErrorsNameTheLine(string line, string message)
    {
        var error = Assert.Throws<FormatException>(() => KvHistoryFormat.Parse("# header\n\n" + line + "\n"));
        Assert.StartsWith("line 3: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecorderBuildsTheHistoryAndReportsUnfinishedOperationsAsUnknown()
    {
        var recorder = new HistoryRecorder();
        int put = recorder.InvokePut(1, "k", "a", 0);
        int get = recorder.InvokeGet(2, "k", 1);
        int cas = recorder.InvokeCas(3, "k", "a", "b", 2);
        int lost = recorder.InvokePut(4, "k", "c", 3);
        int rejected = recorder.InvokeGet(5, "k", 4);
        int pending = recorder.InvokeGet(6, "k", 5);
        recorder.CompletePut(put, 10);
        recorder.CompleteGet(get, "a", 11);
        recorder.CompleteCas(cas, true, 12);
        recorder.Timeout(lost);
        recorder.Fail(rejected, 13);
        Assert.Equal(6, recorder.Count);

        IReadOnlyList<KvOperation> history = recorder.ToHistory();
        var writer = new StringWriter { NewLine = "\n" };
        recorder.Write(writer);
        Assert.Equal("""
            # id client invoke response command -> result
            0 c1 0 10 put "k" "a" -> ok
            1 c2 1 11 get "k" -> "a"
            2 c3 2 12 cas "k" "a" "b" -> true
            3 c4 3 ? put "k" "c" -> unknown
            4 c5 4 13 get "k" -> failed
            5 c6 5 ? get "k" -> unknown

            """, writer.ToString());
        Assert.Equal(history, KvHistoryFormat.Parse(writer.ToString()));
        Assert.Equal(pending, history[pending].Id);
        Assert.True(_checker.Check(history).IsLinearizable);
    }

    [Fact]
    public void RecorderRejectsMisuse()
    {
        var recorder = new HistoryRecorder();
        int put = recorder.InvokePut(1, "k", "a", 10);
        Assert.Throws<InvalidOperationException>(() => recorder.CompleteGet(put, "a", 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.CompletePut(put, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.CompletePut(put + 1, 20));
        recorder.CompletePut(put, 20);
        Assert.Throws<InvalidOperationException>(() => recorder.Timeout(put));
    }

    private static int RandomOkGet(List<KvOperation> history, SeededRandom random)
    {
        int offset = random.Next(history.Count);
        for (int i = 0; i < history.Count; i++)
        {
            int index = (i + offset) % history.Count;
            if (history[index] is { Kind: KvOperationKind.Get, Outcome: KvOutcome.Ok })
            {
                return index;
            }
        }
        return -1;
    }

    private static int Count(List<KvOperation> history, KvOutcome outcome)
    {
        int count = 0;
        foreach (KvOperation operation in history)
        {
            count += operation.Outcome == outcome ? 1 : 0;
        }
        return count;
    }

    private static int[] Ids(IReadOnlyList<KvOperation> operations)
    {
        var ids = new int[operations.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = operations[i].Id;
        }
        return ids;
    }

    private static string[] Keys(LinearizabilityResult result)
    {
        var keys = new string[result.Keys.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = result.Keys[i].Key;
        }
        return keys;
    }

    private static LinearizabilityStatus[] Statuses(LinearizabilityResult result)
    {
        var statuses = new LinearizabilityStatus[result.Keys.Count];
        for (int i = 0; i < statuses.Length; i++)
        {
            statuses[i] = result.Keys[i].Status;
        }
        return statuses;
    }
}
