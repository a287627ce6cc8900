using Tusk.Core;

namespace Tusk.Simulation;

/// <summary>
/// A simulated message network on a <see cref="SimExecutor"/> (ARCHITECTURE.md principle 2, STYLE.md C3). Nodes are
/// int ids, each with a delivery callback; <see cref="Send"/> hands a message to the directed link
/// (from, to), which delays, loses, duplicates and reorders it as its <see cref="LinkOptions"/> say, and the
/// network's faults (partitions, one-way blocks, isolation, clogging, nodes down) cut or hold it. All random choices
/// come from the <see cref="IRandom"/> given at construction, and every collection is ordered by node id, so a run
/// is a pure function of the seeds and the calls made.
///
/// <para><b>The life of a message.</b> At send: dropped if the sender is down, the receiver is down or unknown, or
/// the link is cut; otherwise lost with the link's loss probability; otherwise it draws a latency (in FIFO mode, at
/// least that of the link's previous message) and, with the duplicate probability, a copy is made with its own
/// latency. At arrival: if the link is clogged (or still releasing earlier held messages) it is held, in order,
/// until the clog lifts. At delivery: dropped if the link is now cut, the receiver is down, or the receiver went down
/// since the send (its incarnation changed: a message to a previous life of a node never reaches the new one);
/// otherwise the receiver's callback runs, from an executor event. Messages from a sender that crashed after sending
/// are still delivered, like packets already on the wire.</para>
///
/// <para><b>Faults are counted.</b> Each <see cref="Partition"/>, <see cref="BlockOneWay"/> and
/// <see cref="Isolate"/> returns a <see cref="NetworkFault"/> that undoes exactly itself; a link stays cut while any
/// fault cuts it. <see cref="Heal"/> ends them all. A node's link to itself is never cut.</para>
///
/// <para><b>Trace.</b> With <see cref="SimExecutor.Tracer"/> set, every send, duplicate, hold, drop, delivery and
/// fault is traced as one line (<c>"net deliver 1->2 m7"</c>); messages are described by <see cref="Describe"/>.</para>
///
/// <para><b>Limits.</b> A clogged link holds at most <see cref="HeldPerLinkMax"/> messages; more are dropped (a full
/// socket buffer). Messages in flight are bounded by the executor's <see cref="SimExecutor.PendingMax"/>.
/// Single-threaded: call it only from the executor's thread, from actions or between steps.</para>
/// </summary>
/// <typeparam name="TMessage">The message type; the network never looks inside a message.</typeparam>
public sealed class SimNetwork<TMessage> : ISimNetworkFaults
{
    /// <summary>Default for <see cref="HeldPerLinkMax"/>.</summary>
    public const int DefaultHeldPerLinkMax = 100_000;

    private readonly SimExecutor _executor;
    private readonly IRandom _random;
    private readonly SortedDictionary<int, NodeState> _nodes = [];

    // Per directed link state, created on first use.
    private readonly SortedDictionary<(int From, int To), LinkState> _links = [];

    // How many active faults cut each directed link, and isolate each node. Invariant: every count is positive.
    private readonly SortedDictionary<(int From, int To), int> _blocks = [];
    private readonly SortedDictionary<int, int> _isolations = [];

    // Bumped by Heal: a NetworkFault made before a global heal no longer undoes anything.
    private long _faultGeneration;

    private int[] _nodeIds = [];
    private long _lastMessageId;
    private long _sent, _duplicated, _delivered, _held;
    private long _droppedLoss, _droppedPartition, _droppedNodeDown, _droppedStale, _droppedClogOverflow;

    /// <summary>
    /// Creates a network driven by <paramref name="executor"/>, drawing from <paramref name="random"/> (which it then
    /// owns: give it its own stream, e.g. <c>new SeededRandom(parent.NextUInt64())</c>).
    /// </summary>
    public SimNetwork(SimExecutor executor, IRandom random, LinkOptions? defaultLink = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(random);
        _executor = executor;
        _random = random;
        DefaultLink = defaultLink ?? LinkOptions.Default;
    }

    private enum DropReason
    {
        Loss,
        Partition,
        NodeDown,
        Stale,
        ClogOverflow,
    }

    /// <summary>Options of every link without its own (see <see cref="SetLinkOptions"/>).</summary>
    public LinkOptions DefaultLink
    {
        get;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            field = value;
        }
    }

    /// <summary>Most messages one clogged link holds; further arrivals are dropped.</summary>
    public int HeldPerLinkMax { get; init; } = DefaultHeldPerLinkMax;

    /// <summary>Describes a message in trace lines; null uses <c>ToString()</c>. Must be deterministic.</summary>
    public Func<TMessage, string>? Describe { get; set; }

    /// <inheritdoc />
    public IReadOnlyList<int> Nodes => _nodeIds;

    /// <summary>A snapshot of the counters.</summary>
    public NetworkStats Stats => new()
    {
        Sent = _sent,
        Duplicated = _duplicated,
        Delivered = _delivered,
        Held = _held,
        DroppedLoss = _droppedLoss,
        DroppedPartition = _droppedPartition,
        DroppedNodeDown = _droppedNodeDown,
        DroppedStale = _droppedStale,
        DroppedClogOverflow = _droppedClogOverflow,
    };

    /// <summary>Registers node <paramref name="node"/>, up, with incarnation 0. Each id may be added once.</summary>
    public void AddNode(int node, Action<int, TMessage> deliver)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        if (!_nodes.TryAdd(node, new NodeState(deliver)))
        {
            throw new ArgumentException($"node {node} is already registered", nameof(node));
        }
        _nodeIds = [.. _nodes.Keys];
    }

    /// <summary>
    /// Replaces the delivery callback of <paramref name="node"/> (a restarted node is a new object). The callback
    /// receives (from, message).
    /// </summary>
    public void SetHandler(int node, Action<int, TMessage> deliver)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        GetNode(node).Deliver = deliver;
    }

    /// <summary>Whether <paramref name="node"/> is up.</summary>
    public bool IsNodeUp(int node) => GetNode(node).Up;

    /// <summary>How many times <paramref name="node"/> has gone down.</summary>
    public long GetIncarnation(int node) => GetNode(node).Incarnation;

    /// <summary>Gives the link <paramref name="from"/>→<paramref name="to"/> its own options; null reverts to <see cref="DefaultLink"/>.</summary>
    public void SetLinkOptions(int from, int to, LinkOptions? options) => GetLink(from, to).Options = options;

    /// <summary>The options in force on the link <paramref name="from"/>→<paramref name="to"/>.</summary>
    public LinkOptions GetLinkOptions(int from, int to) =>
        _links.TryGetValue((from, to), out LinkState? link) && link.Options is { } options ? options : DefaultLink;

    /// <summary>True when some fault cuts the link <paramref name="from"/>→<paramref name="to"/>.</summary>
    public bool IsLinkCut(int from, int to) =>
        from != to && (_isolations.ContainsKey(from) || _isolations.ContainsKey(to) || _blocks.ContainsKey((from, to)));

    /// <summary>True when the link <paramref name="from"/>→<paramref name="to"/> is clogged now.</summary>
    public bool IsClogged(int from, int to) =>
        _links.TryGetValue((from, to), out LinkState? link) && link.ClogUntilMicros > _executor.NowMicros;

    /// <summary>
    /// Sends <paramref name="message"/> from <paramref name="from"/> to <paramref name="to"/> (see the class comment
    /// for what may happen to it). Returns the message's id, as written in trace lines (<c>m17</c>).
    /// </summary>
    public long Send(int from, int to, TMessage message)
    {
        long id = ++_lastMessageId;
        _sent++;
        if (_executor.IsTracing)
        {
            _executor.Trace($"net send {from}->{to} m{id} {DescribeMessage(message)}");
        }
        var envelope = new Envelope(id, from, to, message, 0);
        if ((_nodes.TryGetValue(from, out NodeState? sender) && !sender.Up)
            || !_nodes.TryGetValue(to, out NodeState? receiver) || !receiver.Up)
        {
            Drop(envelope, DropReason.NodeDown);
            return id;
        }
        if (IsLinkCut(from, to))
        {
            Drop(envelope, DropReason.Partition);
            return id;
        }
        LinkState link = GetLink(from, to);
        LinkOptions options = link.Options ?? DefaultLink;
        if (SimRandom.Chance(_random, options.LossProbability))
        {
            Drop(envelope, DropReason.Loss);
            return id;
        }
        envelope = envelope with { ToIncarnation = receiver.Incarnation };
        Dispatch(envelope, link, options);
        if (SimRandom.Chance(_random, options.DuplicateProbability))
        {
            Envelope copy = envelope with { Id = ++_lastMessageId };
            _duplicated++;
            if (_executor.IsTracing)
            {
                _executor.Trace($"net dup {from}->{to} m{id} as m{copy.Id}");
            }
            Dispatch(copy, link, options);
        }
        return id;
    }

    /// <inheritdoc />
    public NetworkFault Partition(params IReadOnlyList<int>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var seen = new SortedSet<int>();
        foreach (IReadOnlyList<int> group in groups)
        {
            ArgumentNullException.ThrowIfNull(group);
            foreach (int node in group)
            {
                if (!seen.Add(node))
                {
                    throw new ArgumentException($"node {node} is in more than one group", nameof(groups));
                }
            }
        }
        var cut = new List<(int, int)>();
        for (int i = 0; i < groups.Length; i++)
        {
            for (int j = 0; j < groups.Length; j++)
            {
                if (i != j)
                {
                    AddCrossLinks(groups[i], groups[j], cut);
                }
            }
        }
        string description = "partition " + string.Join(" ", groups.Select(FormatGroup));
        return ApplyFault(description, cut, isolated: null);
    }

    /// <inheritdoc />
    public NetworkFault BlockOneWay(IReadOnlyList<int> sources, IReadOnlyList<int> targets)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(targets);
        var cut = new List<(int, int)>();
        AddCrossLinks(sources, targets, cut);
        return ApplyFault($"block {FormatGroup(sources)} -> {FormatGroup(targets)}", cut, isolated: null);
    }

    /// <inheritdoc />
    public NetworkFault Isolate(int node) => ApplyFault($"isolate {node}", [], isolated: node);

    /// <inheritdoc />
    public void Clog(int from, int to, long untilMicros)
    {
        if (untilMicros <= _executor.NowMicros)
        {
            return;
        }
        LinkState link = GetLink(from, to);
        if (untilMicros <= link.ClogUntilMicros)
        {
            return;
        }
        link.ClogUntilMicros = untilMicros;
        link.ClogTimer?.Cancel();
        link.ClogTimer = untilMicros == long.MaxValue ? null : _executor.ScheduleAt(untilMicros, () => Release(link));
        if (_executor.IsTracing)
        {
            string until = untilMicros == long.MaxValue ? "unclog" : untilMicros.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _executor.Trace($"net clog {from}->{to} until {until}");
        }
    }

    /// <inheritdoc />
    public void Unclog(int from, int to)
    {
        if (_links.TryGetValue((from, to), out LinkState? link) && link.ClogUntilMicros > 0)
        {
            Release(link);
        }
    }

    /// <inheritdoc />
    public void SetNodeUp(int node, bool up)
    {
        NodeState state = GetNode(node);
        if (state.Up == up)
        {
            return;
        }
        state.Up = up;
        if (!up)
        {
            state.Incarnation++;
        }
        if (_executor.IsTracing)
        {
            _executor.Trace($"net node {node} {(up ? "up" : "down")} incarnation {state.Incarnation}");
        }
    }

    /// <inheritdoc />
    public void Heal()
    {
        _faultGeneration++;
        _blocks.Clear();
        _isolations.Clear();
        if (_executor.IsTracing)
        {
            _executor.Trace("net heal");
        }
        foreach (LinkState link in _links.Values)
        {
            if (link.ClogUntilMicros > 0)
            {
                Release(link);
            }
        }
    }

    private static string FormatGroup(IReadOnlyList<int> group) => "[" + string.Join(" ", group) + "]";

    private static void AddCrossLinks(IReadOnlyList<int> sources, IReadOnlyList<int> targets, List<(int, int)> cut)
    {
        foreach (int source in sources)
        {
            foreach (int target in targets)
            {
                if (source != target)
                {
                    cut.Add((source, target));
                }
            }
        }
    }

    private NetworkFault ApplyFault(string description, List<(int, int)> cut, int? isolated)
    {
        foreach ((int, int) link in cut)
        {
            _blocks[link] = _blocks.GetValueOrDefault(link) + 1;
        }
        if (isolated is int node)
        {
            _isolations[node] = _isolations.GetValueOrDefault(node) + 1;
        }
        if (_executor.IsTracing)
        {
            _executor.Trace("net " + description);
        }
        long generation = _faultGeneration;
        return new NetworkFault(description, () =>
        {
            if (generation != _faultGeneration)
            {
                return;
            }
            foreach ((int, int) link in cut)
            {
                Decrement(_blocks, link);
            }
            if (isolated is int node)
            {
                Decrement(_isolations, node);
            }
            if (_executor.IsTracing)
            {
                _executor.Trace("net heal " + description);
            }
        });
    }

    private static void Decrement<TKey>(SortedDictionary<TKey, int> counts, TKey key)
        where TKey : notnull
    {
        int count = counts[key];
        Invariant.Check(count > 0, "SimNetwork: fault count not positive");
        if (count == 1)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = count - 1;
        }
    }

    private void Dispatch(Envelope envelope, LinkState link, LinkOptions options)
    {
        long latency = options.LatencyMinMicros + SimRandom.Exponential(_random, options.LatencyTailMeanMicros);
        if (SimRandom.Chance(_random, options.SpikeProbability))
        {
            latency += SimRandom.Between(_random, 0, options.SpikeMaxMicros);
        }
        long at = _executor.NowMicros + latency;
        if (options.Fifo)
        {
            at = Math.Max(at, link.LastDeliveryMicros);
        }
        link.LastDeliveryMicros = Math.Max(link.LastDeliveryMicros, at);
        _executor.ScheduleAt(at, () => Arrive(envelope, link));
    }

    private void Arrive(Envelope envelope, LinkState link)
    {
        // Behind held messages even after the clog lifted, until they are flushed: keeps FIFO links in order.
        if (link.ClogUntilMicros > _executor.NowMicros || link.Held.Count > 0)
        {
            if (link.Held.Count >= HeldPerLinkMax)
            {
                Drop(envelope, DropReason.ClogOverflow);
                return;
            }
            link.Held.Enqueue(envelope);
            _held++;
            if (_executor.IsTracing)
            {
                _executor.Trace($"net hold {envelope.From}->{envelope.To} m{envelope.Id}");
            }
            return;
        }
        Deliver(envelope);
    }

    private void Release(LinkState link)
    {
        link.ClogTimer?.Cancel();
        link.ClogTimer = null;
        link.ClogUntilMicros = 0;
        if (_executor.IsTracing)
        {
            _executor.Trace($"net unclog {link.From}->{link.To} holding {link.Held.Count}");
        }
        if (link.Held.Count > 0 && !link.FlushScheduled)
        {
            // Deliver from an event of its own, never from inside the caller (which may be a node's handler).
            link.FlushScheduled = true;
            _executor.Schedule(0, () => Flush(link));
        }
    }

    private void Flush(LinkState link)
    {
        link.FlushScheduled = false;
        while (link.Held.Count > 0 && link.ClogUntilMicros <= _executor.NowMicros)
        {
            Deliver(link.Held.Dequeue());
        }
    }

    private void Deliver(Envelope envelope)
    {
        if (IsLinkCut(envelope.From, envelope.To))
        {
            Drop(envelope, DropReason.Partition);
            return;
        }
        if (!_nodes.TryGetValue(envelope.To, out NodeState? receiver) || !receiver.Up)
        {
            Drop(envelope, DropReason.NodeDown);
            return;
        }
        if (receiver.Incarnation != envelope.ToIncarnation)
        {
            Drop(envelope, DropReason.Stale);
            return;
        }
        _delivered++;
        if (_executor.IsTracing)
        {
            _executor.Trace($"net deliver {envelope.From}->{envelope.To} m{envelope.Id}");
        }
        receiver.Deliver(envelope.From, envelope.Message);
    }

    private void Drop(Envelope envelope, DropReason reason)
    {
        switch (reason)
        {
            case DropReason.Loss: _droppedLoss++; break;
            case DropReason.Partition: _droppedPartition++; break;
            case DropReason.NodeDown: _droppedNodeDown++; break;
            case DropReason.Stale: _droppedStale++; break;
            case DropReason.ClogOverflow: _droppedClogOverflow++; break;
            default: Invariant.Fail("SimNetwork: unknown drop reason"); break;
        }
        if (_executor.IsTracing)
        {
            _executor.Trace($"net drop {envelope.From}->{envelope.To} m{envelope.Id} {reason}");
        }
    }

    private string DescribeMessage(TMessage message) =>
        Describe is { } describe ? describe(message) : message?.ToString() ?? "null";

    private NodeState GetNode(int node) =>
        _nodes.TryGetValue(node, out NodeState? state)
            ? state
            : throw new ArgumentException($"node {node} is not registered", nameof(node));

    private LinkState GetLink(int from, int to)
    {
        if (!_links.TryGetValue((from, to), out LinkState? link))
        {
            link = new LinkState(from, to);
            _links[(from, to)] = link;
        }
        return link;
    }

    private sealed record Envelope(long Id, int From, int To, TMessage Message, long ToIncarnation);

    private sealed class NodeState(Action<int, TMessage> deliver)
    {
        public Action<int, TMessage> Deliver { get; set; } = deliver;

        public bool Up { get; set; } = true;

        // Bumped each time the node goes down. A message carries the receiver's incarnation from its send.
        public long Incarnation { get; set; }
    }

    private sealed class LinkState(int from, int to)
    {
        public int From { get; } = from;

        public int To { get; } = to;

        public LinkOptions? Options { get; set; }

        // Latest delivery time scheduled on the link; in FIFO mode no later message is scheduled before it.
        public long LastDeliveryMicros { get; set; }

        // The link is clogged while ClogUntilMicros > now; long.MaxValue means until Unclog; 0 means not clogged.
        public long ClogUntilMicros { get; set; }

        public SimTimer? ClogTimer { get; set; }

        // Messages held by a clog, in arrival order. Invariant: Count <= HeldPerLinkMax.
        public Queue<Envelope> Held { get; } = new();

        public bool FlushScheduled { get; set; }
    }
}
