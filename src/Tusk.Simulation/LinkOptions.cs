namespace Tusk.Simulation;

/// <summary>
/// How one directed link of a <see cref="SimNetwork{TMessage}"/> treats each message. Latency is
/// <see cref="LatencyMinMicros"/> plus an exponential tail with mean <see cref="LatencyTailMeanMicros"/>, plus, with
/// probability <see cref="SpikeProbability"/>, a uniform spike of up to <see cref="SpikeMaxMicros"/> (a long GC
/// pause or a retransmission somewhere on the path). Messages on a link overtake each other freely, since each draws
/// its own latency, unless <see cref="Fifo"/> is set (a TCP connection). Values are checked when set.
/// </summary>
public sealed record LinkOptions
{
    /// <summary>A healthy LAN: 100 µs minimum, 400 µs mean tail, no loss, no duplicates, reordering allowed.</summary>
    public static readonly LinkOptions Default = new();

    /// <summary>Every message arrives after exactly <see cref="LatencyMinMicros"/> µs (1 ms), in order.</summary>
    public static readonly LinkOptions Fixed = new() { LatencyMinMicros = 1000, LatencyTailMeanMicros = 0, Fifo = true };

    private readonly long _latencyMinMicros = 100;
    private readonly long _latencyTailMeanMicros = 400;
    private readonly double _spikeProbability;
    private readonly long _spikeMaxMicros;
    private readonly double _lossProbability;
    private readonly double _duplicateProbability;

    /// <summary>Least latency of any message, in microseconds (≥ 0).</summary>
    public long LatencyMinMicros
    {
        get => _latencyMinMicros;
        init => _latencyMinMicros = NonNegative(value);
    }

    /// <summary>Mean of the exponential part of the latency above the minimum (≥ 0; 0 means none).</summary>
    public long LatencyTailMeanMicros
    {
        get => _latencyTailMeanMicros;
        init => _latencyTailMeanMicros = NonNegative(value);
    }

    /// <summary>Probability in [0, 1] that a message also suffers a latency spike.</summary>
    public double SpikeProbability
    {
        get => _spikeProbability;
        init => _spikeProbability = Probability(value);
    }

    /// <summary>Largest spike, in microseconds; a spike is uniform in [0, this].</summary>
    public long SpikeMaxMicros
    {
        get => _spikeMaxMicros;
        init => _spikeMaxMicros = NonNegative(value);
    }

    /// <summary>Probability in [0, 1] that a message is lost.</summary>
    public double LossProbability
    {
        get => _lossProbability;
        init => _lossProbability = Probability(value);
    }

    /// <summary>Probability in [0, 1] that a message that is not lost is delivered twice (the copy draws its own latency).</summary>
    public double DuplicateProbability
    {
        get => _duplicateProbability;
        init => _duplicateProbability = Probability(value);
    }

    /// <summary>
    /// When true, deliveries on the link happen in send order: a message's delivery time is at least that of the
    /// message sent before it (latencies are then non-decreasing along the link). Duplicates keep the order too.
    /// </summary>
    public bool Fifo { get; init; }

    private static long NonNegative(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value;
    }

    private static double Probability(double value)
    {
        if (!(value >= 0.0 && value <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "a probability must be in [0, 1]");
        }
        return value;
    }
}
