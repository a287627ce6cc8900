using Tusk.Core;

namespace Tusk.Simulation.Checkers;

/// <summary>
/// One key's operations prepared for <see cref="RegisterSearch"/>: values interned to small integers (0 = absent,
/// so the register starts in state 0) and each operation reduced to a <see cref="RegisterStep"/>.
///
/// <para>Values that no operation observes (no Ok Get reads them, no Cas expects them) all share one id,
/// <see cref="UnobservedValue"/>. The model only ever compares the state with observed values, so such values behave
/// identically in every sequence; sharing an id lets the search see that one Unknown write of an unobserved value
/// after another changes nothing (and skip it), instead of trying every subset of them.</para>
///
/// <para>Operations that cannot change the verdict are left out, so the search has fewer to place:
/// Failed ones (no effect), Unknown Gets (no effect, nothing observed), and Unknown writes whose new value nobody
/// observes, when the key has no Ok failed Cas. Why the last is safe: take a linearization that applies such a write
/// W of value v. Until the next Put, the state is v; an Ok Get there would read v and an Ok successful Cas would
/// expect v (neither exists, by the rule); Ok failed Cases are excluded; Unknown Cases there expect something else
/// and do nothing, so they can move to the end, where any Unknown operation may go. Removing W then changes no
/// observation. Conversely, a linearization without W stays one with W appended at the end.</para>
/// </summary>
internal sealed class RegisterHistory
{
    /// <summary>The value id shared by every written value that no operation observes.</summary>
    public const int UnobservedValue = 1;

    private RegisterHistory(KvOperation[] operations, RegisterStep[] steps, int valueCount)
    {
        Operations = operations;
        Steps = steps;
        ValueCount = valueCount;
    }

    /// <summary>The operations kept, in input order. <c>Steps[i]</c> describes <c>Operations[i]</c>.</summary>
    public KvOperation[] Operations { get; }

    /// <summary>The compiled operations.</summary>
    public RegisterStep[] Steps { get; }

    /// <summary>Value ids in use: 0 (absent), <see cref="UnobservedValue"/>, then one per observed value.</summary>
    public int ValueCount { get; }

    /// <summary>Compiles the operations of one key (the caller has validated them and checked they share a key).</summary>
    public static RegisterHistory Compile(IReadOnlyList<KvOperation> operations)
    {
        var observed = new HashSet<string>(StringComparer.Ordinal);
        bool observesAbsent = false;
        bool hasFailedCas = false;
        foreach (KvOperation operation in operations)
        {
            if (operation.Outcome == KvOutcome.Failed)
            {
                continue;
            }
            if (operation.Kind == KvOperationKind.Cas)
            {
                Observe(operation.Expected, observed, ref observesAbsent);
            }
            else if (operation is { Kind: KvOperationKind.Get, Outcome: KvOutcome.Ok })
            {
                Observe(operation.ReadValue, observed, ref observesAbsent);
            }
            hasFailedCas |= operation is { Kind: KvOperationKind.Cas, Outcome: KvOutcome.Ok, CasSucceeded: false };
        }

        var kept = new List<KvOperation>(operations.Count);
        foreach (KvOperation operation in operations)
        {
            if (IsKept(operation, observed, observesAbsent, hasFailedCas))
            {
                kept.Add(operation);
            }
        }
        return Intern(kept, observed);
    }

    private static void Observe(string? value, HashSet<string> observed, ref bool observesAbsent)
    {
        if (value is null)
        {
            observesAbsent = true;
        }
        else
        {
            observed.Add(value);
        }
    }

    private static bool IsKept(KvOperation operation, HashSet<string> observed, bool observesAbsent, bool hasFailedCas)
    {
        if (operation.Outcome == KvOutcome.Failed)
        {
            return false;
        }
        if (operation.Outcome == KvOutcome.Ok)
        {
            return true;
        }
        if (operation.Kind == KvOperationKind.Get)
        {
            return false;
        }
        bool valueObserved = operation.Value is null ? observesAbsent : observed.Contains(operation.Value);
        return valueObserved || hasFailedCas;
    }

    private static RegisterHistory Intern(List<KvOperation> kept, HashSet<string> observed)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int valueCount = UnobservedValue + 1;
        var steps = new RegisterStep[kept.Count];
        for (int i = 0; i < kept.Count; i++)
        {
            KvOperation operation = kept[i];
            string? value = operation.Kind == KvOperationKind.Get ? operation.ReadValue : operation.Value;
            steps[i] = new RegisterStep(
                operation.Kind,
                Unknown: operation.Outcome == KvOutcome.Unknown,
                CasSucceeded: operation.CasSucceeded,
                Value: IdOf(value, observed, ids, ref valueCount),
                Expected: operation.Kind == KvOperationKind.Cas ? IdOf(operation.Expected, observed, ids, ref valueCount) : 0);
            Invariant.Check(operation.Outcome != KvOutcome.Failed, "RegisterHistory: a failed operation was kept");
        }
        return new RegisterHistory([.. kept], steps, valueCount);
    }

    private static int IdOf(string? value, HashSet<string> observed, Dictionary<string, int> ids, ref int valueCount)
    {
        if (value is null)
        {
            return 0;
        }
        if (!observed.Contains(value))
        {
            return UnobservedValue;
        }
        if (!ids.TryGetValue(value, out int id))
        {
            id = valueCount++;
            ids.Add(value, id);
        }
        return id;
    }
}

/// <summary>
/// One operation as the register model sees it. <see cref="Value"/> is the value id a Put or Cas writes, or the one
/// an Ok Get read; <see cref="Expected"/> is a Cas's expected value id.
/// </summary>
internal readonly record struct RegisterStep(KvOperationKind Kind, bool Unknown, bool CasSucceeded, int Value, int Expected)
{
    /// <summary>
    /// The register model: whether this operation can take effect in <paramref name="state"/> with its recorded
    /// result, and the state after it. An Unknown operation's result was never seen, so it is always legal (an Unknown
    /// Cas sets its value iff the state matches); "never took effect" is the search placing it last.
    /// </summary>
    public bool TryApply(int state, out int next)
    {
        switch (Kind)
        {
            case KvOperationKind.Get:
                next = state;
                return state == Value;
            case KvOperationKind.Put:
                next = Value;
                return true;
            default:
                bool matches = state == Expected;
                if (Unknown)
                {
                    next = matches ? Value : state;
                    return true;
                }
                next = CasSucceeded ? Value : state;
                return matches == CasSucceeded;
        }
    }
}
