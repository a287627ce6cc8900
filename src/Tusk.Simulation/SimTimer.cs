namespace Tusk.Simulation;

/// <summary>
/// One scheduled event of a <see cref="SimExecutor"/>: the handle <see cref="SimExecutor.Schedule"/> returns.
/// Cancel it to keep its action from running. Single-threaded like its executor.
/// </summary>
public sealed class SimTimer
{
    private readonly SimExecutor _executor;
    private Action? _action; // Null once the timer has run or been cancelled.

    internal SimTimer(SimExecutor executor, long dueMicros, long sequence, Action action)
    {
        _executor = executor;
        DueMicros = dueMicros;
        Sequence = sequence;
        _action = action;
    }

    /// <summary>Virtual time at which the action runs.</summary>
    public long DueMicros { get; }

    /// <summary>
    /// Order of scheduling within the executor; breaks ties between timers due at the same time (first scheduled
    /// runs first).
    /// </summary>
    public long Sequence { get; }

    /// <summary>True until the timer runs or is cancelled.</summary>
    public bool IsPending => _action is not null;

    /// <summary>True once the timer was cancelled before running.</summary>
    public bool IsCancelled { get; private set; }

    /// <summary>
    /// Keeps the action from running. Returns true when the timer was pending, false when it had already run or
    /// been cancelled (so cancelling twice, or cancelling from inside the action itself, is harmless).
    /// </summary>
    public bool Cancel()
    {
        if (_action is null)
        {
            return false;
        }
        _action = null;
        IsCancelled = true;
        _executor.OnCancelled();
        return true;
    }

    /// <summary>Takes the action for running; null when cancelled. Called once, by the executor.</summary>
    internal Action? TakeAction()
    {
        Action? action = _action;
        _action = null;
        return action;
    }
}
