using Tusk.Core;

namespace Tusk.Simulation;

/// <summary>A kind of fault a <see cref="FaultInjector"/> injects.</summary>
public enum FaultKind
{
    /// <summary>Two sides that cannot reach each other.</summary>
    Partition,

    /// <summary>One side's messages are cut, the other side's flow.</summary>
    AsymmetricPartition,

    /// <summary>One node cut off from all others.</summary>
    Isolation,

    /// <summary>One link clogged for a while.</summary>
    Clog,

    /// <summary>A random set of links clogged one by one, then unclogged one by one in another random order.</summary>
    SwizzleClog,

    /// <summary>A node crashed, restarted later.</summary>
    Crash,

    /// <summary>A node paused, resumed later.</summary>
    Pause,

    /// <summary>A node's wall clock stepped.</summary>
    ClockJump,
}

/// <summary>
/// Carries out a <see cref="FaultPlan"/> on a running simulation: the safety phase of a VOPR-style run (STYLE.md C3).
/// After <see cref="Start"/>, every exponentially distributed interval (mean
/// <see cref="FaultPlan.FaultIntervalMeanMicros"/>) it picks one enabled, currently possible fault kind uniformly and
/// applies it to random nodes; each fault heals itself after an exponentially distributed duration (mean
/// <see cref="FaultPlan.FaultDurationMeanMicros"/>). Faults overlap freely. <see cref="HealAll"/> then ends every
/// fault for the liveness phase.
///
/// <para><b>Who does what.</b> Network faults go to the <see cref="ISimNetworkFaults"/>. Nodes belong to the harness:
/// a crash marks the node down in the network (dropping its in-flight messages) and calls <see cref="Crash"/>; a
/// restart marks it up and calls <see cref="Restart"/>. A pause only calls <see cref="Pause"/> and later
/// <see cref="Resume"/>: the harness stops the node's timers and decides what happens to messages delivered
/// meanwhile (a stopped process's socket buffer keeps them). Crashes and pauses are chosen only when both of their
/// callbacks are set, and at most <see cref="MaxNodesDown"/> nodes are crashed or paused at once. Clock faults apply
/// to clocks given to <see cref="AttachClock"/>.</para>
///
/// <para>Every random choice comes from the injector's own <see cref="IRandom"/>; every decision is traced
/// (<c>"fault crash 2"</c>) through the executor. Single-threaded, on the executor's thread.</para>
/// </summary>
public sealed class FaultInjector
{
    private readonly SimExecutor _executor;
    private readonly ISimNetworkFaults _network;
    private readonly IRandom _random;
    private readonly int[] _nodes;
    private readonly SortedDictionary<int, SimClock> _clocks = [];
    private readonly SortedSet<int> _crashed = [];
    private readonly SortedSet<int> _paused = [];
    private readonly long[] _counts = new long[Enum.GetValues<FaultKind>().Length];

    // Timers of scheduled heals, restarts, resumes and swizzle steps, cancelled by HealAll. Pruned of finished timers
    // as it grows, so its size stays near the number of faults in force.
    private readonly List<SimTimer> _timers = [];

    private SimTimer? _nextFault;
    private bool _swizzling; // At most one swizzle at a time.

    /// <summary>
    /// Creates an injector for <paramref name="nodes"/> (distinct ids; the ones faults may hit), drawing from
    /// <paramref name="random"/>, which it then owns.
    /// </summary>
    public FaultInjector(SimExecutor executor, ISimNetworkFaults network, FaultPlan plan, IRandom random, IReadOnlyList<int> nodes)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(nodes);
        _nodes = [.. nodes];
        if (_nodes.Distinct().Count() != _nodes.Length)
        {
            throw new ArgumentException("node ids must be distinct", nameof(nodes));
        }
        _executor = executor;
        _network = network;
        _random = random;
        Plan = plan;
        MaxNodesDown = (_nodes.Length - 1) / 2;
    }

    /// <summary>The plan being carried out.</summary>
    public FaultPlan Plan { get; }

    /// <summary>Called with a node id when the injector crashes it (after the network marks it down).</summary>
    public Action<int>? Crash { get; set; }

    /// <summary>Called with a node id when the injector restarts it (after the network marks it up).</summary>
    public Action<int>? Restart { get; set; }

    /// <summary>Called with a node id when the injector pauses it.</summary>
    public Action<int>? Pause { get; set; }

    /// <summary>Called with a node id when the injector resumes it.</summary>
    public Action<int>? Resume { get; set; }

    /// <summary>Most nodes crashed or paused at once; defaults to a minority, (n − 1) / 2.</summary>
    public int MaxNodesDown { get; set; }

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/> or <see cref="HealAll"/>.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>Nodes crashed by the injector and not yet restarted, ascending.</summary>
    public IReadOnlyCollection<int> CrashedNodes => _crashed;

    /// <summary>Nodes paused by the injector and not yet resumed, ascending.</summary>
    public IReadOnlyCollection<int> PausedNodes => _paused;

    /// <summary>Faults injected so far, of every kind.</summary>
    public long FaultsInjected => _counts.Sum();

    /// <summary>Faults of <paramref name="kind"/> injected so far.</summary>
    public long CountOf(FaultKind kind) => _counts[(int)kind];

    /// <summary>Lets clock faults reach <paramref name="node"/>'s clock.</summary>
    public void AttachClock(int node, SimClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clocks[node] = clock;
    }

    /// <summary>
    /// Starts injecting. With <see cref="FaultPlan.ClockSkew"/>, first gives every attached clock a random skew and
    /// drift within the plan's bounds.
    /// </summary>
    public void Start()
    {
        Invariant.Check(!IsRunning, "FaultInjector: already started");
        IsRunning = true;
        if (Plan.ClockSkew)
        {
            foreach ((int node, SimClock clock) in _clocks)
            {
                clock.SkewMicros = SimRandom.Between(_random, -Plan.ClockSkewMaxMicros, Plan.ClockSkewMaxMicros);
                clock.DriftPpm = SimRandom.Between(_random, -Plan.ClockDriftMaxPpm, Plan.ClockDriftMaxPpm);
                Trace($"fault clock {node} skew {clock.SkewMicros}us drift {clock.DriftPpm}ppm");
            }
        }
        ScheduleNextFault();
    }

    /// <summary>Stops injecting new faults; faults in force still heal on their own schedule.</summary>
    public void Stop()
    {
        IsRunning = false;
        _nextFault?.Cancel();
        _nextFault = null;
    }

    /// <summary>
    /// Ends the fault phase: stops injecting, heals the network (partitions, blocks, isolations, clogs), restarts
    /// crashed nodes and resumes paused ones (ascending ids). Clock skew and drift stay: real clocks do not heal.
    /// </summary>
    public void HealAll()
    {
        Stop();
        foreach (SimTimer timer in _timers)
        {
            timer.Cancel();
        }
        _timers.Clear();
        _swizzling = false;
        Trace("fault heal-all");
        _network.Heal();
        foreach (int node in _crashed.ToArray())
        {
            RestartNode(node);
        }
        foreach (int node in _paused.ToArray())
        {
            ResumeNode(node);
        }
    }

    private void ScheduleNextFault()
    {
        long delay = 1 + SimRandom.Exponential(_random, Plan.FaultIntervalMeanMicros);
        _nextFault = _executor.Schedule(delay, () =>
        {
            _nextFault = null;
            InjectOne();
            if (IsRunning)
            {
                ScheduleNextFault();
            }
        });
    }

    private List<FaultKind> PossibleKinds()
    {
        bool twoNodes = _nodes.Length >= 2;
        int stopped = _crashed.Count + _paused.Count;
        bool canStop = stopped < MaxNodesDown && stopped < _nodes.Length;
        var kinds = new List<FaultKind>();
        AddIf(kinds, Plan.Partitions && twoNodes, FaultKind.Partition);
        AddIf(kinds, Plan.AsymmetricPartitions && twoNodes, FaultKind.AsymmetricPartition);
        AddIf(kinds, Plan.Isolations && twoNodes, FaultKind.Isolation);
        AddIf(kinds, Plan.Clogging && twoNodes, FaultKind.Clog);
        AddIf(kinds, Plan.Clogging && twoNodes && !_swizzling, FaultKind.SwizzleClog);
        AddIf(kinds, Plan.Crashes && canStop && Crash is not null && Restart is not null, FaultKind.Crash);
        AddIf(kinds, Plan.Pauses && canStop && Pause is not null && Resume is not null, FaultKind.Pause);
        AddIf(kinds, Plan.ClockSkew && _clocks.Count > 0, FaultKind.ClockJump);
        return kinds;
    }

    private static void AddIf(List<FaultKind> kinds, bool condition, FaultKind kind)
    {
        if (condition)
        {
            kinds.Add(kind);
        }
    }

    private void InjectOne()
    {
        List<FaultKind> kinds = PossibleKinds();
        if (kinds.Count == 0)
        {
            return;
        }
        FaultKind kind = SimRandom.Pick(_random, kinds);
        _counts[(int)kind]++;
        switch (kind)
        {
            case FaultKind.Partition: InjectPartition(); break;
            case FaultKind.AsymmetricPartition: InjectAsymmetricPartition(); break;
            case FaultKind.Isolation: HealLater(_network.Isolate(SimRandom.Pick(_random, _nodes))); break;
            case FaultKind.Clog: InjectClog(); break;
            case FaultKind.SwizzleClog: InjectSwizzle(); break;
            case FaultKind.Crash: InjectCrash(); break;
            case FaultKind.Pause: InjectPause(); break;
            case FaultKind.ClockJump: InjectClockJump(); break;
            default: Invariant.Fail("FaultInjector: unknown fault kind"); break;
        }
    }

    // Two non-empty sides, each sorted so traces read well.
    private (int[] Left, int[] Right) RandomSplit()
    {
        int[] shuffled = [.. _nodes];
        SimRandom.Shuffle(_random, shuffled);
        int split = (int)SimRandom.Between(_random, 1, shuffled.Length - 1);
        int[] left = shuffled[..split];
        int[] right = shuffled[split..];
        Array.Sort(left);
        Array.Sort(right);
        return (left, right);
    }

    private void InjectPartition()
    {
        (int[] left, int[] right) = RandomSplit();
        HealLater(_network.Partition(left, right));
    }

    private void InjectAsymmetricPartition()
    {
        (int[] left, int[] right) = RandomSplit();
        HealLater(_network.BlockOneWay(left, right));
    }

    private void HealLater(NetworkFault fault)
    {
        Trace("fault " + fault.Description);
        After(FaultDuration(), fault.Heal);
    }

    private (int From, int To) RandomLink()
    {
        int from = SimRandom.Pick(_random, _nodes);
        int to = _nodes[(Array.IndexOf(_nodes, from) + 1 + _random.Next(_nodes.Length - 1)) % _nodes.Length];
        return (from, to);
    }

    private void InjectClog()
    {
        (int from, int to) = RandomLink();
        long until = _executor.NowMicros + FaultDuration();
        Trace($"fault clog {from}->{to}");
        _network.Clog(from, to, until);
    }

    private void InjectSwizzle()
    {
        var links = new List<(int From, int To)>();
        foreach (int from in _nodes)
        {
            foreach (int to in _nodes)
            {
                if (from != to && SimRandom.Chance(_random, 0.5))
                {
                    links.Add((from, to));
                }
            }
        }
        if (links.Count == 0)
        {
            links.Add(RandomLink());
        }
        SimRandom.Shuffle(_random, links);
        _swizzling = true;
        Trace($"fault swizzle {links.Count} links");
        long gapMeanMicros = Math.Max(1, Plan.FaultDurationMeanMicros / (2 * links.Count));
        long at = 0;
        foreach ((int from, int to) in links)
        {
            at += 1 + SimRandom.Exponential(_random, gapMeanMicros);
            After(at, () => _network.Clog(from, to, long.MaxValue));
        }
        at += FaultDuration();
        SimRandom.Shuffle(_random, links);
        foreach ((int from, int to) in links)
        {
            at += 1 + SimRandom.Exponential(_random, gapMeanMicros);
            After(at, () => _network.Unclog(from, to));
        }
        After(at, () => _swizzling = false);
    }

    private int[] RunningNodes() => [.. _nodes.Where(n => !_crashed.Contains(n) && !_paused.Contains(n))];

    private void InjectCrash()
    {
        int node = SimRandom.Pick(_random, RunningNodes());
        _crashed.Add(node);
        Trace($"fault crash {node}");
        _network.SetNodeUp(node, false);
        Crash!(node);
        After(FaultDuration(), () => RestartNode(node));
    }

    private void RestartNode(int node)
    {
        if (_crashed.Remove(node))
        {
            Trace($"fault restart {node}");
            _network.SetNodeUp(node, true);
            Restart?.Invoke(node);
        }
    }

    private void InjectPause()
    {
        int node = SimRandom.Pick(_random, RunningNodes());
        _paused.Add(node);
        Trace($"fault pause {node}");
        Pause!(node);
        After(FaultDuration(), () => ResumeNode(node));
    }

    private void ResumeNode(int node)
    {
        if (_paused.Remove(node))
        {
            Trace($"fault resume {node}");
            Resume?.Invoke(node);
        }
    }

    private void InjectClockJump()
    {
        int node = SimRandom.Pick(_random, [.. _clocks.Keys]);
        long delta = SimRandom.Between(_random, -Plan.ClockSkewMaxMicros, Plan.ClockSkewMaxMicros);
        _clocks[node].Jump(delta);
        Trace($"fault clock-jump {node} by {delta}us");
    }

    private long FaultDuration() => 1 + SimRandom.Exponential(_random, Plan.FaultDurationMeanMicros);

    private void After(long delayMicros, Action action)
    {
        if (_timers.Count >= 64)
        {
            _timers.RemoveAll(timer => !timer.IsPending);
        }
        _timers.Add(_executor.Schedule(delayMicros, action));
    }

    private void Trace(string message)
    {
        if (_executor.IsTracing)
        {
            _executor.Trace(message);
        }
    }
}
