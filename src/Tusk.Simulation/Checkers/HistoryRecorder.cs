namespace Tusk.Simulation.Checkers;

/// <summary>
/// Builds a history of <see cref="KvOperation"/>s as clients run: call an <c>Invoke*</c> method just before a
/// request is sent (it returns the operation's id) and exactly one of <c>Complete*</c>, <see cref="Fail"/> or
/// <see cref="Timeout"/> when its fate is known. Operations never finished count as Unknown in
/// <see cref="ToHistory"/>. Ids are positions in the history (0, 1, 2, ...).
///
/// <para>Times are whatever the caller measures with (simulated ticks, monotonic ns); take the invoke time before
/// sending and the response time after receiving, so real-time order between operations is never overstated.
/// Safe for concurrent callers (one lock), so real-process tests can share one recorder among client threads.</para>
/// </summary>
public sealed class HistoryRecorder
{
    private readonly Lock _mu = new();

    // Protected by _mu. _operations[id].Id == id. Invariant: _finished[id] iff one of Complete*/Fail/Timeout ran for id.
    private readonly List<KvOperation> _operations = [];
    private readonly List<bool> _finished = [];

    /// <summary>Operations invoked so far.</summary>
    public int Count
    {
        get
        {
            lock (_mu)
            {
                return _operations.Count;
            }
        }
    }

    /// <summary>Records a Get invoked at <paramref name="time"/>; returns its id.</summary>
    public int InvokeGet(int clientId, string key, long time) =>
        Add(clientId, KvOperationKind.Get, key, value: null, expected: null, time);

    /// <summary>Records a Put of <paramref name="value"/> (null deletes) invoked at <paramref name="time"/>; returns its id.</summary>
    public int InvokePut(int clientId, string key, string? value, long time) =>
        Add(clientId, KvOperationKind.Put, key, value, expected: null, time);

    /// <summary>Records a compare-and-set invoked at <paramref name="time"/>; returns its id.</summary>
    public int InvokeCas(int clientId, string key, string? expected, string? newValue, long time) =>
        Add(clientId, KvOperationKind.Cas, key, newValue, expected, time);

    /// <summary>The Get <paramref name="id"/> returned <paramref name="value"/> (null = absent) at <paramref name="time"/>.</summary>
    public void CompleteGet(int id, string? value, long time) =>
        Finish(id, KvOperationKind.Get, time, op => op with { Outcome = KvOutcome.Ok, ReadValue = value, ResponseTime = time });

    /// <summary>The Put <paramref name="id"/> was acknowledged at <paramref name="time"/>.</summary>
    public void CompletePut(int id, long time) =>
        Finish(id, KvOperationKind.Put, time, op => op with { Outcome = KvOutcome.Ok, ResponseTime = time });

    /// <summary>The Cas <paramref name="id"/> answered <paramref name="succeeded"/> at <paramref name="time"/>.</summary>
    public void CompleteCas(int id, bool succeeded, long time) =>
        Finish(id, KvOperationKind.Cas, time, op => op with { Outcome = KvOutcome.Ok, CasSucceeded = succeeded, ResponseTime = time });

    /// <summary>
    /// Operation <paramref name="id"/> definitely had no effect (e.g. rejected before execution), learned at
    /// <paramref name="time"/>. When in doubt, use <see cref="Timeout"/> instead: a Failed operation that did take
    /// effect makes a correct system look broken.
    /// </summary>
    public void Fail(int id, long time) =>
        Finish(id, kind: null, time, op => op with { Outcome = KvOutcome.Failed, ResponseTime = time });

    /// <summary>Operation <paramref name="id"/> got no answer: it may take effect at any time after its invocation, or never.</summary>
    public void Timeout(int id) =>
        Finish(id, kind: null, time: null, op => op with { Outcome = KvOutcome.Unknown, ResponseTime = KvOperation.NoResponse });

    /// <summary>A snapshot of the history in invocation order; unfinished operations appear as Unknown.</summary>
    public IReadOnlyList<KvOperation> ToHistory()
    {
        lock (_mu)
        {
            var history = new KvOperation[_operations.Count];
            for (int i = 0; i < history.Length; i++)
            {
                history[i] = _finished[i] ? _operations[i] : _operations[i] with { Outcome = KvOutcome.Unknown };
            }
            return history;
        }
    }

    /// <summary>Writes <see cref="ToHistory"/> in the <see cref="KvHistoryFormat"/> text form.</summary>
    public void Write(TextWriter writer) => KvHistoryFormat.Write(writer, ToHistory());

    private int Add(int clientId, KvOperationKind kind, string key, string? value, string? expected, long time)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_mu)
        {
            int id = _operations.Count;
            _operations.Add(new KvOperation
            {
                Id = id,
                ClientId = clientId,
                Kind = kind,
                Key = key,
                Value = value,
                Expected = expected,
                InvokeTime = time,
                Outcome = KvOutcome.Unknown,
            });
            _finished.Add(false);
            return id;
        }
    }

    private void Finish(int id, KvOperationKind? kind, long? time, Func<KvOperation, KvOperation> finish)
    {
        lock (_mu)
        {
            if ((uint)id >= (uint)_operations.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(id), id, "no operation with this id was invoked");
            }
            KvOperation operation = _operations[id];
            if (_finished[id])
            {
                throw new InvalidOperationException($"operation {id} already finished: {operation}");
            }
            if (kind is not null && operation.Kind != kind)
            {
                throw new InvalidOperationException($"operation {id} is a {operation.Kind}, not a {kind}");
            }
            if (time < operation.InvokeTime)
            {
                throw new ArgumentOutOfRangeException(nameof(time), time, $"operation {id} was invoked later, at {operation.InvokeTime}");
            }
            _operations[id] = finish(operation);
            _finished[id] = true;
        }
    }
}
