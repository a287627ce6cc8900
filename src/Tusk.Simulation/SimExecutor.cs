using System.Globalization;
using Tusk.Core;

namespace Tusk.Simulation;

/// <summary>
/// A single-threaded discrete-event executor on virtual time (ARCHITECTURE.md principle 2, STYLE.md C3): the heart
/// of the simulator. Everything simulated (message deliveries, node ticks, disk completions, faults) is an action
/// scheduled at a virtual time in microseconds; <see cref="Step"/> runs the earliest one and moves
/// <see cref="NowMicros"/> to its time. Nothing else moves time, so a run is a pure function of the seeds of the
/// components that schedule work and of the order in which they do it.
///
/// <para><b>Order.</b> Events run by (due time, sequence number): ties in time run in the order they were scheduled,
/// never by hash or allocation order. An action may schedule more events, including at the current time (delay 0);
/// those run after every event already due at that time.</para>
///
/// <para><b>Limits.</b> At most <see cref="PendingMax"/> events may be pending, and at most
/// <see cref="EventsPerInstantMax"/> may run without time advancing; past either the executor fails an
/// <see cref="Invariant"/>, since a runaway feedback loop (a node replying to itself with zero latency) would
/// otherwise hang the test instead of failing it.</para>
///
/// <para><b>Threads.</b> Not thread-safe and not reentrant: call it from one thread, and never call
/// <see cref="Step"/> or <c>RunUntil</c> from inside an action. An exception thrown by an action propagates out of
/// <see cref="Step"/> with the executor consistent (the event is consumed; time has advanced to it).</para>
///
/// <para><b>Cost.</b> Scheduling and running are O(log n) in the number of queued events (a binary heap).
/// Cancelled events stay in the heap until they reach its head and are then discarded.</para>
/// </summary>
public sealed class SimExecutor
{
    /// <summary>Default for <see cref="PendingMax"/>.</summary>
    public const int DefaultPendingMax = 10_000_000;

    /// <summary>Default for <see cref="EventsPerInstantMax"/>.</summary>
    public const long DefaultEventsPerInstantMax = 1_000_000;

    // Heap of scheduled timers, cancelled ones included, keyed by (due, sequence).
    private readonly PriorityQueue<SimTimer, (long Due, long Sequence)> _queue = new();

    private long _nextSequence;

    // Events in _queue that are still pending. Invariant: _pending <= _queue.Count.
    private int _pending;

    // Events run since time last advanced. Invariant: _eventsAtThisInstant <= EventsPerInstantMax.
    private long _eventsAtThisInstant;

    private bool _running; // True while an action runs; guards against reentrant Step.

    /// <summary>Creates an executor whose clock starts at <paramref name="startMicros"/>.</summary>
    public SimExecutor(long startMicros = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startMicros);
        NowMicros = startMicros;
    }

    /// <summary>Virtual time in microseconds. Only moves forward.</summary>
    public long NowMicros { get; private set; }

    /// <summary>Events scheduled and neither run nor cancelled.</summary>
    public int Pending => _pending;

    /// <summary>Events run so far.</summary>
    public long EventsRun { get; private set; }

    /// <summary>Most events that may be pending at once.</summary>
    public int PendingMax { get; init; } = DefaultPendingMax;

    /// <summary>Most events that may run at one virtual instant before the run is declared a livelock.</summary>
    public long EventsPerInstantMax { get; init; } = DefaultEventsPerInstantMax;

    /// <summary>
    /// Receives trace lines (see <see cref="Trace"/>). Null, the default, turns tracing off; components check
    /// <see cref="IsTracing"/> before building a line, so tracing costs nothing when off.
    /// </summary>
    public Action<string>? Tracer { get; set; }

    /// <summary>True when <see cref="Tracer"/> is set.</summary>
    public bool IsTracing => Tracer is not null;

    /// <summary>Virtual time of the earliest pending event, or null when none is pending.</summary>
    public long? NextEventMicros => TryPeekPending(out SimTimer? next) ? next.DueMicros : null;

    /// <summary>
    /// Writes <c>"{NowMicros} {message}"</c> to <see cref="Tracer"/>, if set. Two runs with the same seeds write the
    /// same lines, so traces can be compared to find where runs diverge.
    /// </summary>
    public void Trace(string message)
    {
        Tracer?.Invoke(NowMicros.ToString(CultureInfo.InvariantCulture) + " " + message);
    }

    /// <summary>Runs <paramref name="action"/> <paramref name="delayMicros"/> from now (0 is allowed).</summary>
    public SimTimer Schedule(long delayMicros, Action action)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delayMicros);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delayMicros, long.MaxValue - NowMicros);
        return ScheduleAt(NowMicros + delayMicros, action);
    }

    /// <summary>Runs <paramref name="action"/> at virtual time <paramref name="timeMicros"/> (not in the past).</summary>
    public SimTimer ScheduleAt(long timeMicros, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeMicros, NowMicros);
        Invariant.Check(_pending < PendingMax, "SimExecutor: PendingMax events pending (runaway scheduling?)");
        var timer = new SimTimer(this, timeMicros, _nextSequence++, action);
        _queue.Enqueue(timer, (timeMicros, timer.Sequence));
        _pending++;
        return timer;
    }

    /// <summary>Runs the earliest pending event. Returns false, doing nothing, when none is pending.</summary>
    public bool Step()
    {
        if (!TryPeekPending(out _))
        {
            return false;
        }
        RunHead();
        return true;
    }

    /// <summary>
    /// Runs every event due at or before <paramref name="timeMicros"/>, including those scheduled meanwhile, then
    /// sets the clock to <paramref name="timeMicros"/> (if it is later than now). Returns the number of events run.
    /// </summary>
    public long RunUntil(long timeMicros)
    {
        long before = EventsRun;
        while (TryPeekPending(out SimTimer? next) && next.DueMicros <= timeMicros)
        {
            RunHead();
        }
        AdvanceTo(timeMicros);
        return EventsRun - before;
    }

    /// <summary>
    /// Runs events until <paramref name="condition"/> holds (checked before the first event and after each one) or
    /// no event is due by <paramref name="deadlineMicros"/>; in the latter case the clock moves to the deadline and
    /// the condition is checked once more. Returns whether it held. Time never passes the deadline.
    /// </summary>
    public bool RunUntil(Func<bool> condition, long deadlineMicros)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (!condition())
        {
            if (!TryPeekPending(out SimTimer? next) || next.DueMicros > deadlineMicros)
            {
                AdvanceTo(deadlineMicros);
                return condition();
            }
            RunHead();
        }
        return true;
    }

    /// <summary>Runs events for <paramref name="durationMicros"/> of virtual time; see <see cref="RunUntil(long)"/>.</summary>
    public long RunFor(long durationMicros)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(durationMicros);
        return RunUntil(NowMicros + durationMicros);
    }

    /// <summary>Called by <see cref="SimTimer.Cancel"/>.</summary>
    internal void OnCancelled()
    {
        _pending--;
        Invariant.Check(_pending >= 0, "SimExecutor: pending count went negative");
    }

    private void AdvanceTo(long timeMicros)
    {
        if (timeMicros > NowMicros)
        {
            NowMicros = timeMicros;
            _eventsAtThisInstant = 0;
        }
    }

    // Discards cancelled timers at the head of the heap; on true, the head is pending.
    private bool TryPeekPending([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SimTimer? next)
    {
        while (_queue.TryPeek(out next, out _))
        {
            if (next.IsPending)
            {
                return true;
            }
            _queue.Dequeue();
        }
        next = null;
        return false;
    }

    // Precondition: the head of the heap is pending (TryPeekPending returned true).
    private void RunHead()
    {
        Invariant.Check(!_running, "SimExecutor: Step or RunUntil called from inside an action");
        SimTimer timer = _queue.Dequeue();
        Invariant.Check(timer.DueMicros >= NowMicros, "SimExecutor: time would go backwards");
        AdvanceTo(timer.DueMicros);
        Action? action = timer.TakeAction();
        Invariant.Check(action is not null, "SimExecutor: head timer was not pending");
        _pending--;
        EventsRun++;
        _eventsAtThisInstant++;
        Invariant.Check(_eventsAtThisInstant <= EventsPerInstantMax,
            "SimExecutor: EventsPerInstantMax events ran without time advancing (livelock?)");
        _running = true;
        try
        {
            action();
        }
        finally
        {
            _running = false;
        }
    }
}
