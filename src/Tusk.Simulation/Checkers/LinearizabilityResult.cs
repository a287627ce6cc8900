using System.Globalization;
using System.Text;

namespace Tusk.Simulation.Checkers;

/// <summary>The verdict on a history or on one key.</summary>
public enum LinearizabilityStatus
{
    /// <summary>A linearization exists (for a whole history: for every key).</summary>
    Linearizable,

    /// <summary>No linearization exists (for a whole history: for at least one key). A bug, or a wrongly recorded history.</summary>
    NotLinearizable,

    /// <summary>The search ran out of its step budget before deciding (and no key was found NotLinearizable).</summary>
    Unknown,
}

/// <summary>What <see cref="LinearizabilityChecker.Check"/> found for one key.</summary>
public sealed class KeyLinearizability
{
    /// <summary>The key.</summary>
    public required string Key { get; init; }

    /// <summary>The verdict for this key.</summary>
    public required LinearizabilityStatus Status { get; init; }

    /// <summary>Operations on this key in the history.</summary>
    public required int OperationCount { get; init; }

    /// <summary>Of those, the ones the search had to place (Failed ones and ones that cannot matter are left out).</summary>
    public required int SearchedOperationCount { get; init; }

    /// <summary>Search steps spent (not counting minimization of a violation).</summary>
    public required long Steps { get; init; }

    /// <summary>Set when <see cref="Status"/> is NotLinearizable.</summary>
    public LinearizabilityViolation? Violation { get; init; }

    /// <summary>One line, or the violation's explanation.</summary>
    public override string ToString()
    {
        string key = KvHistoryFormat.FormatValue(Key);
        return Status switch
        {
            LinearizabilityStatus.NotLinearizable when Violation is not null => Violation.ToString(),
            LinearizabilityStatus.Unknown => string.Create(CultureInfo.InvariantCulture,
                $"key {key}: unknown: the search gave up after {Steps} steps on {SearchedOperationCount} operations (raise StepBudgetPerKey, or check fewer concurrent or unanswered operations per key)"),
            _ => string.Create(CultureInfo.InvariantCulture,
                $"key {key}: {Status} ({OperationCount} operations, {Steps} steps)"),
        };
    }
}

/// <summary>
/// Why one key's history is not linearizable, in terms a person can act on. <see cref="Operations"/> is a subset of
/// the key's operations that is already not linearizable on its own, and stays so even if every write it leaves out
/// could have taken effect at any time after its invocation (so the other operations cannot explain it away). When
/// <see cref="LinearizabilityChecker.MinimizeViolations"/> is on it is shrunk until no single operation can be
/// removed that way (<see cref="IsMinimal"/>). The rest describes the deepest dead end of the search on that subset.
/// </summary>
public sealed class LinearizabilityViolation
{
    /// <summary>The key.</summary>
    public required string Key { get; init; }

    /// <summary>Operations on this key in the whole history.</summary>
    public required int KeyOperationCount { get; init; }

    /// <summary>A non-linearizable subset of the key's operations, ordered by invoke time.</summary>
    public required IReadOnlyList<KvOperation> Operations { get; init; }

    /// <summary>
    /// True when no single operation of <see cref="Operations"/> can be removed: without it they would be linearizable,
    /// or it is the writer of a value another of them reads, or other writes of the key could then explain them.
    /// </summary>
    public required bool IsMinimal { get; init; }

    /// <summary>The longest linearizable prefix the search found for <see cref="Operations"/>, in linearization order.</summary>
    public required IReadOnlyList<KvOperation> LongestPrefix { get; init; }

    /// <summary>The key's value after <see cref="LongestPrefix"/> (null = absent).</summary>
    public required string? ValueAfterPrefix { get; init; }

    /// <summary>The operation that had to be placed next (its response came next) but could not be.</summary>
    public required KvOperation Blocked { get; init; }

    /// <summary>The other operations that could have gone next at that point; none led to a linearization either.</summary>
    public required IReadOnlyList<KvOperation> Candidates { get; init; }

    /// <summary>A multi-line explanation: the subset, the prefix, and what goes wrong after it.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        string key = KvHistoryFormat.FormatValue(Key);
        text.Append(CultureInfo.InvariantCulture,
            $"key {key}: not linearizable. These {Operations.Count} of its {KeyOperationCount} operations alone are not linearizable");
        text.Append(IsMinimal ? ", whatever the key's other writes did (none of them can be left out):\n" : ", whatever the key's other writes did (not shrunk to a minimum):\n");
        AppendOperations(text, Operations);
        text.Append(CultureInfo.InvariantCulture,
            $"Longest linearizable prefix of these: {LongestPrefix.Count} operations, leaving the value {KvHistoryFormat.FormatValue(ValueAfterPrefix)}");
        text.Append(LongestPrefix.Count == 0 ? ".\n" : ":\n");
        AppendOperations(text, LongestPrefix);
        text.Append("Stuck at: ").Append(Blocked).Append('\n');
        text.Append("  ").Append(WhyBlocked()).Append('\n');
        if (Candidates.Count > 0)
        {
            text.Append("  The other operations that could go next here lead to dead ends as well:\n");
            AppendOperations(text, Candidates, indent: "    ");
        }
        return text.ToString();
    }

    private string WhyBlocked()
    {
        string value = KvHistoryFormat.FormatValue(ValueAfterPrefix);
        string response = Blocked.Outcome == KvOutcome.Ok
            ? string.Create(CultureInfo.InvariantCulture, $"It responded at {Blocked.ResponseTime}, so it must take effect by then; but ")
            : "Here ";
        return Blocked switch
        {
            { Kind: KvOperationKind.Get } when Blocked.ReadValue != ValueAfterPrefix =>
                response + $"it read {KvHistoryFormat.FormatValue(Blocked.ReadValue)} while the value is {value}.",
            { Kind: KvOperationKind.Cas, CasSucceeded: true, Outcome: KvOutcome.Ok } when Blocked.Expected != ValueAfterPrefix =>
                response + $"it succeeded expecting {KvHistoryFormat.FormatValue(Blocked.Expected)} while the value is {value}.",
            { Kind: KvOperationKind.Cas, CasSucceeded: false, Outcome: KvOutcome.Ok } when Blocked.Expected == ValueAfterPrefix =>
                response + $"it failed although the value is {value}, which it expected.",
            _ => response + $"although it can take effect on the value {value}, nothing after it can be linearized.",
        };
    }

    private static void AppendOperations(StringBuilder text, IReadOnlyList<KvOperation> operations, string indent = "  ")
    {
        foreach (KvOperation operation in operations)
        {
            text.Append(indent).Append(operation).Append('\n');
        }
    }
}

/// <summary>
/// The verdict of <see cref="LinearizabilityChecker.Check"/> on a whole history: NotLinearizable if any key is,
/// else Unknown if any key's search gave up, else Linearizable. <see cref="ToString"/> prints a summary and every
/// violation and unknown key.
/// </summary>
public sealed class LinearizabilityResult
{
    /// <summary>Combines per-key results (in the order given; the checker sorts keys ordinally).</summary>
    internal LinearizabilityResult(IReadOnlyList<KeyLinearizability> keys, int operationCount)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Keys = keys;
        OperationCount = operationCount;
        var violations = new List<LinearizabilityViolation>();
        bool unknown = false;
        foreach (KeyLinearizability key in keys)
        {
            Steps += key.Steps;
            unknown |= key.Status == LinearizabilityStatus.Unknown;
            if (key.Violation is not null)
            {
                violations.Add(key.Violation);
            }
        }
        Violations = violations;
        Status = violations.Count > 0 ? LinearizabilityStatus.NotLinearizable
            : unknown ? LinearizabilityStatus.Unknown
            : LinearizabilityStatus.Linearizable;
    }

    /// <summary>The verdict.</summary>
    public LinearizabilityStatus Status { get; }

    /// <summary>True when <see cref="Status"/> is Linearizable.</summary>
    public bool IsLinearizable => Status == LinearizabilityStatus.Linearizable;

    /// <summary>One result per key.</summary>
    public IReadOnlyList<KeyLinearizability> Keys { get; }

    /// <summary>The violations, one per non-linearizable key.</summary>
    public IReadOnlyList<LinearizabilityViolation> Violations { get; }

    /// <summary>Operations in the history.</summary>
    public int OperationCount { get; }

    /// <summary>Search steps over all keys.</summary>
    public long Steps { get; }

    /// <summary>A summary line, then each violation and each key whose search gave up.</summary>
    public override string ToString()
    {
        int unknown = 0;
        foreach (KeyLinearizability key in Keys)
        {
            unknown += key.Status == LinearizabilityStatus.Unknown ? 1 : 0;
        }
        int linearizable = Keys.Count - Violations.Count - unknown;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{Status}: {OperationCount} operations on {Keys.Count} keys (linearizable {linearizable}, not linearizable {Violations.Count}, unknown {unknown}); {Steps} search steps\n");
        foreach (KeyLinearizability key in Keys)
        {
            if (key.Status != LinearizabilityStatus.Linearizable)
            {
                text.Append(key).Append('\n');
            }
        }
        return text.ToString().TrimEnd('\n');
    }
}
