namespace Tusk.Simulation.Checkers;

/// <summary>What a <see cref="KvOperation"/> does to its key's register.</summary>
public enum KvOperationKind
{
    /// <summary>Reads the key's value (null when absent); no effect.</summary>
    Get,

    /// <summary>Sets the key's value (null deletes it).</summary>
    Put,

    /// <summary>Compare-and-set: sets the new value iff the current one equals the expected one (null = absent).</summary>
    Cas,
}

/// <summary>How a <see cref="KvOperation"/> ended, as the client saw it.</summary>
public enum KvOutcome
{
    /// <summary>The response arrived: the operation took effect between invocation and response, with the recorded result.</summary>
    Ok,

    /// <summary>The operation definitely had no effect (the server said so before doing anything). Checkers drop it.</summary>
    Failed,

    /// <summary>
    /// No response (timeout, crash, lost connection): the operation may have taken effect at any instant after its
    /// invocation, even after the client gave up, or never. Its response time counts as +infinity.
    /// </summary>
    Unknown,
}

/// <summary>
/// One client operation on a key-value store whose keys are independent registers, as a history entry for
/// <see cref="LinearizabilityChecker"/>. Times are virtual (ticks, ns, a recorder's counter): the checker only
/// compares them. An operation that responded before another was invoked (<c>a.ResponseTime &lt; b.InvokeTime</c>,
/// strictly) must take effect before it; operations whose intervals touch or overlap are concurrent.
/// Values are strings; null means absent. Every key starts absent.
///
/// <para>Which fields mean something depends on <see cref="Kind"/> and <see cref="Outcome"/>:
/// <see cref="Value"/> is the value a Put writes or a Cas's new value; <see cref="Expected"/> is a Cas's expected
/// value; <see cref="ReadValue"/> is what an Ok Get read; <see cref="CasSucceeded"/> is an Ok Cas's result. Unused
/// fields are null/false. <see cref="ResponseTime"/> is ignored for Unknown operations
/// (<see cref="HistoryRecorder"/> sets it to <see cref="NoResponse"/>).</para>
/// </summary>
public sealed record KvOperation
{
    /// <summary>The response time of an operation that never responded (+infinity).</summary>
    public const long NoResponse = long.MaxValue;

    /// <summary>Identifies the operation in reports (the recorder uses its position in the history).</summary>
    public required int Id { get; init; }

    /// <summary>The client (process, connection) that issued it.</summary>
    public required int ClientId { get; init; }

    /// <summary>Get, Put or Cas.</summary>
    public required KvOperationKind Kind { get; init; }

    /// <summary>The key; each key is an independent register.</summary>
    public required string Key { get; init; }

    /// <summary>Put: the value written (null deletes). Cas: the new value. Get: unused (null).</summary>
    public string? Value { get; init; }

    /// <summary>Cas: the value it expects (null = absent). Otherwise unused (null).</summary>
    public string? Expected { get; init; }

    /// <summary>Ok Get: the value read (null = absent). Otherwise unused (null).</summary>
    public string? ReadValue { get; init; }

    /// <summary>Ok Cas: whether it set the new value. Otherwise unused (false).</summary>
    public bool CasSucceeded { get; init; }

    /// <summary>When the client sent it.</summary>
    public required long InvokeTime { get; init; }

    /// <summary>When the client got the response (or learned of the failure); <see cref="NoResponse"/> if never.</summary>
    public long ResponseTime { get; init; } = NoResponse;

    /// <summary>Ok, Failed or Unknown.</summary>
    public required KvOutcome Outcome { get; init; }

    /// <summary>One line of the text format (<see cref="KvHistoryFormat"/>), e.g. <c>3 c1 10 20 get "k" -> "v"</c>.</summary>
    public override string ToString() => KvHistoryFormat.FormatLine(this);

    /// <summary>Throws <see cref="ArgumentException"/> when the fields contradict each other.</summary>
    internal void Validate()
    {
        if (Key is null)
        {
            throw new ArgumentException($"operation {Id}: key is null");
        }
        if (!Enum.IsDefined(Kind) || !Enum.IsDefined(Outcome))
        {
            throw new ArgumentException($"operation {Id}: kind {Kind} or outcome {Outcome} is not defined");
        }
        if (Outcome != KvOutcome.Unknown && ResponseTime < InvokeTime)
        {
            throw new ArgumentException($"operation {Id}: response time {ResponseTime} is before invoke time {InvokeTime}");
        }
    }
}
