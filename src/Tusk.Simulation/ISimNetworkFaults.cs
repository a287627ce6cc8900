namespace Tusk.Simulation;

/// <summary>
/// The fault controls of a simulated network, without its message type, so that a <see cref="FaultInjector"/> (or a
/// scenario test) can drive any <see cref="SimNetwork{TMessage}"/>. Single-threaded, on the executor's thread.
/// </summary>
public interface ISimNetworkFaults
{
    /// <summary>Registered node ids, ascending.</summary>
    IReadOnlyList<int> Nodes { get; }

    /// <summary>
    /// Cuts every link between nodes of different groups, both ways. Links within a group, and of nodes in no group,
    /// are untouched. Messages already in flight on a cut link are dropped when they arrive.
    /// </summary>
    NetworkFault Partition(params IReadOnlyList<int>[] groups);

    /// <summary>Cuts every link from a node of <paramref name="sources"/> to a node of <paramref name="targets"/>, one way only.</summary>
    NetworkFault BlockOneWay(IReadOnlyList<int> sources, IReadOnlyList<int> targets);

    /// <summary>Cuts every link to and from <paramref name="node"/> (its link to itself stays up).</summary>
    NetworkFault Isolate(int node);

    /// <summary>
    /// Clogs the link <paramref name="from"/>→<paramref name="to"/> until virtual time <paramref name="untilMicros"/>
    /// (<see cref="long.MaxValue"/>: until <see cref="Unclog"/>): messages arriving meanwhile are held, not lost, and
    /// delivered in order when the clog lifts. Clogging a clogged link keeps the later end.
    /// </summary>
    void Clog(int from, int to, long untilMicros);

    /// <summary>Lifts the clog on a link now and releases its held messages; no-op when not clogged.</summary>
    void Unclog(int from, int to);

    /// <summary>
    /// Marks a node up or down. Messages to a down node are dropped; going down also bumps its incarnation, so that
    /// messages sent to its previous life are dropped even if it is up again when they arrive.
    /// </summary>
    void SetNodeUp(int node, bool up);

    /// <summary>Ends every partition, block, isolation and clog (held messages are released). Node up/down is unchanged.</summary>
    void Heal();
}
