namespace Tusk.Simulation;

/// <summary>
/// A snapshot of the counters of a <see cref="SimNetwork{TMessage}"/> (see <see cref="SimNetwork{TMessage}.Stats"/>).
/// Every message passed to <c>Send</c>, and every duplicate made of one, ends up exactly once in
/// <see cref="Delivered"/> or one of the <c>Dropped*</c> counters, or is still <see cref="InFlight"/>.
/// </summary>
public sealed record NetworkStats
{
    /// <summary>Calls to <c>Send</c>.</summary>
    public long Sent { get; init; }

    /// <summary>Extra copies made by duplication.</summary>
    public long Duplicated { get; init; }

    /// <summary>Messages handed to a node's delivery callback.</summary>
    public long Delivered { get; init; }

    /// <summary>Messages that reached a clogged link and were held there (each counted once per hold).</summary>
    public long Held { get; init; }

    /// <summary>Messages dropped at random (<see cref="LinkOptions.LossProbability"/>).</summary>
    public long DroppedLoss { get; init; }

    /// <summary>Messages dropped because the link was cut (partition, one-way block or isolation) at send or delivery.</summary>
    public long DroppedPartition { get; init; }

    /// <summary>Messages dropped because the sender or the receiver was down, or the receiver unknown.</summary>
    public long DroppedNodeDown { get; init; }

    /// <summary>Messages dropped because the receiver restarted while they were in flight (incarnation changed).</summary>
    public long DroppedStale { get; init; }

    /// <summary>Messages dropped because a clogged link already held <see cref="SimNetwork{TMessage}.HeldPerLinkMax"/>.</summary>
    public long DroppedClogOverflow { get; init; }

    /// <summary>All drops.</summary>
    public long Dropped => DroppedLoss + DroppedPartition + DroppedNodeDown + DroppedStale + DroppedClogOverflow;

    /// <summary>Messages (and copies) sent but not yet delivered or dropped, held ones included.</summary>
    public long InFlight => Sent + Duplicated - Delivered - Dropped;
}
