using System.Diagnostics.CodeAnalysis;
using Tusk.Core;

namespace Tusk.Simulation.Checkers;

/// <summary>
/// Decides whether a history of <see cref="KvOperation"/>s on a key-value store is linearizable: whether each
/// operation can be given an instant between its invocation and its response such that, in the order of those
/// instants, every read and compare-and-set sees what a single-copy register per key would show.
///
/// <para><b>Model.</b> Each key is an independent register, initially absent (null). Get reads it; Put sets it
/// (null deletes); Cas sets the new value iff the current value equals the expected one (null = absent) and reports
/// whether it did. Ok operations took effect inside their interval with the recorded result. Failed ones had no
/// effect and are dropped. Unknown ones may have taken effect at any instant after their invocation, or never:
/// their response time is +infinity, and "never" is the search placing them last, where no one sees them.</para>
///
/// <para><b>Algorithm.</b> Linearizability is compositional (Herlihy &amp; Wing's locality; Porcupine's
/// P-compositionality): the history is linearizable iff each key's sub-history is. Each key is searched
/// separately with Wing &amp; Gong's backtracking search over a linked list of call and return events, plus Lowe's
/// memo of failed (linearized set, state) configurations (<see cref="RegisterSearch"/>). Unknown operations, which
/// a plain search would try at every point for the rest of the history, are kept in check by four sound reductions:
/// unobserved values share one state and unobserved Unknown writes are dropped when nothing can need them
/// (<see cref="RegisterHistory"/>); an Unknown operation that changes nothing is not placed; one must be followed
/// by an operation that depends on it; and a failed configuration covers those with more Unknown operations placed
/// (<see cref="ConfigurationMemo"/>). The search is bounded by <see cref="StepBudgetPerKey"/> steps: a key whose
/// search runs out is Unknown, never Ok. A NotLinearizable key is shrunk to a small witness
/// (<see cref="MinimizeViolations"/>) and explained (<see cref="LinearizabilityViolation"/>).</para>
///
/// <para>Cost: histories of a few thousand operations over tens of keys with 5-10 concurrent clients take a few
/// thousand steps per key. The search is exponential in the worst case (many mutually concurrent or unanswered
/// operations on one key): that is what the budget is for. Stateless apart from its settings; thread-safe.</para>
/// </summary>
public sealed class LinearizabilityChecker
{
    /// <summary>The default of <see cref="StepBudgetPerKey"/>.</summary>
    public const long DefaultStepBudgetPerKey = 2_000_000;

    /// <summary>
    /// The default of <see cref="MinimizeStepBudgetPerKey"/>: ten full searches' worth, since shrinking runs two
    /// searches per accepted subset and proving a violation is a search's most expensive outcome.
    /// </summary>
    public const long DefaultMinimizeStepBudgetPerKey = 10 * DefaultStepBudgetPerKey;

    private readonly long _stepBudgetPerKey = DefaultStepBudgetPerKey;
    private readonly long _minimizeStepBudgetPerKey = DefaultMinimizeStepBudgetPerKey;

    /// <summary>
    /// Search steps (list entries visited, roughly tens of nanoseconds each) allowed per key before it is
    /// declared Unknown. A budget instead of a timeout keeps verdicts deterministic.
    /// </summary>
    public long StepBudgetPerKey
    {
        get => _stepBudgetPerKey;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _stepBudgetPerKey = value;
        }
    }

    /// <summary>
    /// When true (the default), a violation is shrunk to a small non-linearizable subset of its key's operations
    /// (see <see cref="LinearizabilityViolation.IsMinimal"/>).
    /// </summary>
    public bool MinimizeViolations { get; init; } = true;

    /// <summary>Search steps allowed, per violating key, for shrinking it; when spent, the witness is reported unshrunk further.</summary>
    public long MinimizeStepBudgetPerKey
    {
        get => _minimizeStepBudgetPerKey;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _minimizeStepBudgetPerKey = value;
        }
    }

    /// <summary>Checks <paramref name="history"/> (any order); throws <see cref="ArgumentException"/> on a malformed operation.</summary>
    public LinearizabilityResult Check(IEnumerable<KvOperation> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var byKey = new Dictionary<string, List<KvOperation>>(StringComparer.Ordinal);
        int operationCount = 0;
        foreach (KvOperation operation in history)
        {
            ArgumentNullException.ThrowIfNull(operation, nameof(history));
            operation.Validate();
            if (!byKey.TryGetValue(operation.Key, out List<KvOperation>? operations))
            {
                operations = [];
                byKey.Add(operation.Key, operations);
            }
            operations.Add(operation);
            operationCount++;
        }
        var keys = new List<string>(byKey.Keys);
        keys.Sort(StringComparer.Ordinal);
        var results = new List<KeyLinearizability>(keys.Count);
        foreach (string key in keys)
        {
            results.Add(CheckKey(key, byKey[key]));
        }
        return new LinearizabilityResult(results, operationCount);
    }

    private KeyLinearizability CheckKey(string key, List<KvOperation> operations)
    {
        RegisterHistory history = RegisterHistory.Compile(operations);
        SearchResult search = RegisterSearch.Run(history, StepBudgetPerKey, explain: false);
        return new KeyLinearizability
        {
            Key = key,
            Status = search.Status,
            OperationCount = operations.Count,
            SearchedOperationCount = history.Operations.Length,
            Steps = search.Steps,
            Violation = search.Status == LinearizabilityStatus.NotLinearizable ? Explain(key, operations.Count, history) : null,
        };
    }

    private LinearizabilityViolation Explain(string key, int keyOperationCount, RegisterHistory history)
    {
        bool minimal = false;
        if (MinimizeViolations)
        {
            (history, minimal) = Minimize(history);
        }
        SearchResult search = RegisterSearch.Run(history, long.MaxValue, explain: true);
        Invariant.Check(search.Status == LinearizabilityStatus.NotLinearizable && search.Deepest is not null,
            "LinearizabilityChecker: the witness of a violation was linearizable when explained");
        DeadEnd deadEnd = search.Deepest;
        KvOperation[] prefix = Select(history, deadEnd.Prefix);
        var witness = new List<KvOperation>(history.Operations);
        witness.Sort(static (a, b) => a.InvokeTime != b.InvokeTime ? a.InvokeTime.CompareTo(b.InvokeTime) : a.Id.CompareTo(b.Id));
        return new LinearizabilityViolation
        {
            Key = key,
            KeyOperationCount = keyOperationCount,
            Operations = witness,
            IsMinimal = minimal,
            LongestPrefix = prefix,
            ValueAfterPrefix = Replay(prefix),
            Blocked = history.Operations[deadEnd.Blocked],
            Candidates = Select(history, deadEnd.Candidates),
        };
    }

    /// <summary>
    /// Shrinks a non-linearizable history. First it cuts the history off in time: the shortest prefix in invocation
    /// order that is still non-linearizable, found by bisection (violations are usually local in time, and a prefix
    /// is cheaper to search). Then it removes chunks of halving size while the history stays non-linearizable, and
    /// finally single operations until no single removal keeps it so (Zeller's ddmin, complements only). Every
    /// accepted subset was checked NotLinearizable, so the witness is sound even when the budget stops the shrinking.
    ///
    /// <para>Removing writes can make a subset fail for a reason the real history does not have (a read whose
    /// writer is gone, a failed Cas whose cause is gone), which would send a person after the wrong bug. So a subset
    /// must keep a writer of every value its reads observe (<see cref="KeepsObservedWriters"/>), and must still fail
    /// when all writes it left out are added back as Unknown (<see cref="Shrinker.TryAccept"/>).</para>
    /// </summary>
    private (RegisterHistory History, bool Minimal) Minimize(RegisterHistory history)
    {
        var shrinker = new Shrinker(this, history);
        List<KvOperation> current = shrinker.CutInTime([.. history.Operations]);
        int chunk = Math.Max(1, current.Count / 2);
        while (!shrinker.Exhausted)
        {
            bool removed = false;
            for (int start = 0; start < current.Count && !shrinker.Exhausted;)
            {
                if (shrinker.TryAccept(Without(current, start, chunk), out List<KvOperation>? smaller))
                {
                    (current, removed) = (smaller, true);
                }
                else
                {
                    start += chunk;
                }
            }
            if (chunk == 1 && !removed)
            {
                break;
            }
            chunk = Math.Max(1, chunk / 2);
        }
        return (shrinker.Accepted, !shrinker.Exhausted);
    }

    /// <summary>
    /// The trials of <see cref="Minimize"/>: each candidate subset is checked under the remaining shrink budget;
    /// the last one found NotLinearizable is <see cref="Accepted"/>.
    /// </summary>
    private sealed class Shrinker(LinearizabilityChecker checker, RegisterHistory original)
    {
        private readonly HashSet<string> _written = WrittenValues([.. original.Operations]);
        private readonly KvOperation[] _writes = Writes(original.Operations);
        private long _budget = checker.MinimizeStepBudgetPerKey;

        /// <summary>The smallest history found NotLinearizable so far.</summary>
        public RegisterHistory Accepted { get; private set; } = original;

        /// <summary>True once the shrink budget is spent.</summary>
        public bool Exhausted => _budget <= 0;

        /// <summary>
        /// Whether <paramref name="candidate"/> is a fair witness: it keeps observed writers, it is NotLinearizable, and
        /// it stays so with every write it left out added back as Unknown (free to take effect at any time after its
        /// invocation, or never). The last condition rejects subsets that fail only because a write that explains
        /// them was removed: a read of a repeated value whose later writer is gone, a failed Cas that relied on a
        /// write to change the value. If fair, accepts it.
        /// </summary>
        public bool TryAccept(List<KvOperation> candidate, [NotNullWhen(true)] out List<KvOperation>? accepted)
        {
            accepted = null;
            if (Exhausted || !KeepsObservedWriters(candidate, _written) || !IsNotLinearizable(candidate, out RegisterHistory? compiled))
            {
                return false;
            }
            var present = new HashSet<KvOperation>(candidate, ReferenceEqualityComparer.Instance);
            var widened = new List<KvOperation>(candidate);
            foreach (KvOperation write in _writes)
            {
                if (!present.Contains(write))
                {
                    widened.Add(write with { Outcome = KvOutcome.Unknown, ResponseTime = KvOperation.NoResponse, CasSucceeded = false });
                }
            }
            if (widened.Count > candidate.Count && !IsNotLinearizable(widened, out _))
            {
                return false;
            }
            Accepted = compiled;
            accepted = [.. compiled.Operations];
            return true;
        }

        private bool IsNotLinearizable(List<KvOperation> operations, [NotNullWhen(true)] out RegisterHistory? compiled)
        {
            RegisterHistory history = RegisterHistory.Compile(operations);
            SearchResult search = RegisterSearch.Run(history, Math.Min(_budget, checker.StepBudgetPerKey), explain: false);
            _budget -= Math.Max(1, search.Steps);
            compiled = search.Status == LinearizabilityStatus.NotLinearizable ? history : null;
            return compiled is not null;
        }

        /// <summary>The operations of <paramref name="operations"/> that may change the value: Puts, successful or Unknown Cases.</summary>
        private static KvOperation[] Writes(KvOperation[] operations)
        {
            var writes = new List<KvOperation>();
            foreach (KvOperation operation in operations)
            {
                if (operation.Kind == KvOperationKind.Put
                    || (operation.Kind == KvOperationKind.Cas && (operation.Outcome == KvOutcome.Unknown || operation.CasSucceeded)))
                {
                    writes.Add(operation);
                }
            }
            return [.. writes];
        }

        /// <summary>The shortest NotLinearizable prefix (by invoke time) that bisection finds, or all of them.</summary>
        public List<KvOperation> CutInTime(List<KvOperation> operations)
        {
            operations.Sort(static (a, b) => a.InvokeTime != b.InvokeTime ? a.InvokeTime.CompareTo(b.InvokeTime) : a.Id.CompareTo(b.Id));
            List<KvOperation> best = operations;
            int linearizable = 0; // a prefix length assumed not to be enough (the empty one surely is not)
            int enough = operations.Count;
            while (enough - linearizable > 1 && !Exhausted)
            {
                int middle = linearizable + (enough - linearizable) / 2;
                if (TryAccept(operations.GetRange(0, middle), out List<KvOperation>? prefix))
                {
                    (best, enough) = (prefix, middle);
                }
                else
                {
                    linearizable = middle;
                }
            }
            return best;
        }
    }

    /// <summary>The non-null values that operations of <paramref name="operations"/> write (or may write).</summary>
    private static HashSet<string> WrittenValues(List<KvOperation> operations)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (KvOperation operation in operations)
        {
            if (operation.Kind != KvOperationKind.Get && operation.Value is not null)
            {
                written.Add(operation.Value);
            }
        }
        return written;
    }

    /// <summary>
    /// True when every value that an Ok Get of <paramref name="candidate"/> read, or an Ok successful Cas expected,
    /// is written by an operation of <paramref name="candidate"/> or by none of the original ones
    /// (<paramref name="written"/>).
    /// </summary>
    private static bool KeepsObservedWriters(List<KvOperation> candidate, HashSet<string> written)
    {
        HashSet<string> kept = WrittenValues(candidate);
        foreach (KvOperation operation in candidate)
        {
            string? observed = operation switch
            {
                { Kind: KvOperationKind.Get, Outcome: KvOutcome.Ok } => operation.ReadValue,
                { Kind: KvOperationKind.Cas, Outcome: KvOutcome.Ok, CasSucceeded: true } => operation.Expected,
                _ => null,
            };
            if (observed is not null && written.Contains(observed) && !kept.Contains(observed))
            {
                return false;
            }
        }
        return true;
    }

    private static List<KvOperation> Without(List<KvOperation> operations, int start, int count)
    {
        int end = Math.Min(operations.Count, start + count);
        var result = new List<KvOperation>(operations.Count - (end - start));
        for (int i = 0; i < operations.Count; i++)
        {
            if (i < start || i >= end)
            {
                result.Add(operations[i]);
            }
        }
        return result;
    }

    /// <summary>
    /// The value after running <paramref name="linearization"/> (a sequence the search accepted) on a register from
    /// absent. Recomputed here because the search tracks unobserved values only as one shared id.
    /// </summary>
    private static string? Replay(KvOperation[] linearization)
    {
        string? value = null;
        foreach (KvOperation operation in linearization)
        {
            if (operation.Kind == KvOperationKind.Put
                || (operation.Kind == KvOperationKind.Cas && value == operation.Expected && (operation.Outcome == KvOutcome.Unknown || operation.CasSucceeded)))
            {
                value = operation.Value;
            }
        }
        return value;
    }

    private static KvOperation[] Select(RegisterHistory history, int[] indexes)
    {
        var selected = new KvOperation[indexes.Length];
        for (int i = 0; i < indexes.Length; i++)
        {
            selected[i] = history.Operations[indexes[i]];
        }
        return selected;
    }
}
