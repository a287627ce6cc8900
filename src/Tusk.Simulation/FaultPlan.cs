using System.Globalization;
using System.Text;
using Tusk.Core;

namespace Tusk.Simulation;

/// <summary>
/// Which faults a simulation run injects and how hard (swarm testing, STYLE.md C3): rather than every run suffering
/// every fault at a middling rate, each seed picks its own mix with <see cref="Random"/>, so some runs see heavy loss
/// and no partitions, others only clogging and crashes. Bugs that one fault hides behind another then still show up
/// in some seeds. Print the plan (<see cref="ToString"/>) with a failing seed.
///
/// <para>The plan is data only; a <see cref="FaultInjector"/> carries it out, and a harness applies
/// <see cref="Link"/> to its <see cref="SimNetwork{TMessage}"/>. Cluster size and protocol timeouts are the harness's
/// to pick from the same seed.</para>
/// </summary>
public sealed record FaultPlan
{
    /// <summary>No faults at all, on a default link.</summary>
    public static readonly FaultPlan None = new();

    private readonly long _faultIntervalMeanMicros = 500_000;
    private readonly long _faultDurationMeanMicros = 1_000_000;
    private readonly long _clockSkewMaxMicros;
    private readonly long _clockDriftMaxPpm;

    /// <summary>Latency, loss, duplication and ordering of every link.</summary>
    public LinkOptions Link { get; init; } = LinkOptions.Default;

    /// <summary>Split the nodes into two sides that cannot reach each other.</summary>
    public bool Partitions { get; init; }

    /// <summary>Cut links one way only: one side's messages reach the other, not the reverse.</summary>
    public bool AsymmetricPartitions { get; init; }

    /// <summary>Cut one node off from all others.</summary>
    public bool Isolations { get; init; }

    /// <summary>Clog single links, and swizzle-clog (clog a random set of links one by one, unclog in random order).</summary>
    public bool Clogging { get; init; }

    /// <summary>Crash and later restart nodes (needs the injector's crash and restart callbacks).</summary>
    public bool Crashes { get; init; }

    /// <summary>Pause and later resume nodes (needs the injector's pause and resume callbacks).</summary>
    public bool Pauses { get; init; }

    /// <summary>Give clocks skew and drift at start and step them during the run (needs attached clocks).</summary>
    public bool ClockSkew { get; init; }

    /// <summary>Mean virtual time between two fault decisions (exponential), in µs; positive.</summary>
    public long FaultIntervalMeanMicros
    {
        get => _faultIntervalMeanMicros;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _faultIntervalMeanMicros = value;
        }
    }

    /// <summary>Mean time a fault lasts before it heals itself (exponential), in µs; positive.</summary>
    public long FaultDurationMeanMicros
    {
        get => _faultDurationMeanMicros;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _faultDurationMeanMicros = value;
        }
    }

    /// <summary>Largest |skew| given to a clock at start, and largest single clock jump, in µs.</summary>
    public long ClockSkewMaxMicros
    {
        get => _clockSkewMaxMicros;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _clockSkewMaxMicros = value;
        }
    }

    /// <summary>Largest |drift| given to a clock at start, in ppm (at most <see cref="SimClock.DriftPpmMax"/>).</summary>
    public long ClockDriftMaxPpm
    {
        get => _clockDriftMaxPpm;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, SimClock.DriftPpmMax);
            _clockDriftMaxPpm = value;
        }
    }

    /// <summary>True when the injector has anything to do.</summary>
    public bool AnyFault => Partitions || AsymmetricPartitions || Isolations || Clogging || Crashes || Pauses || ClockSkew;

    /// <summary>
    /// A random plan: each fault kind is on with probability ½, and rates, latencies and pacing are drawn over wide
    /// ranges. Draws a fixed number of values in a fixed order, so the plan is a function of the generator's state.
    /// </summary>
    public static FaultPlan Random(IRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        bool spikes = SimRandom.Chance(random, 0.3);
        double spikeProbability = SimRandom.Pick(random, [0.001, 0.01, 0.05]);
        long spikeMaxMicros = SimRandom.Between(random, 10_000, 500_000);
        bool loss = SimRandom.Chance(random, 0.5);
        double lossProbability = SimRandom.Pick(random, [0.001, 0.01, 0.05, 0.2]);
        bool duplication = SimRandom.Chance(random, 0.3);
        double duplicateProbability = SimRandom.Pick(random, [0.001, 0.01, 0.1]);
        var link = new LinkOptions
        {
            LatencyMinMicros = SimRandom.Between(random, 10, 2_000),
            LatencyTailMeanMicros = SimRandom.Chance(random, 0.8) ? SimRandom.Between(random, 1, 5_000) : 0,
            SpikeProbability = spikes ? spikeProbability : 0,
            SpikeMaxMicros = spikes ? spikeMaxMicros : 0,
            LossProbability = loss ? lossProbability : 0,
            DuplicateProbability = duplication ? duplicateProbability : 0,
            Fifo = SimRandom.Chance(random, 0.3),
        };
        return new FaultPlan
        {
            Link = link,
            Partitions = SimRandom.Chance(random, 0.5),
            AsymmetricPartitions = SimRandom.Chance(random, 0.5),
            Isolations = SimRandom.Chance(random, 0.5),
            Clogging = SimRandom.Chance(random, 0.5),
            Crashes = SimRandom.Chance(random, 0.5),
            Pauses = SimRandom.Chance(random, 0.5),
            ClockSkew = SimRandom.Chance(random, 0.5),
            FaultIntervalMeanMicros = SimRandom.Between(random, 50_000, 2_000_000),
            FaultDurationMeanMicros = SimRandom.Between(random, 50_000, 3_000_000),
            ClockSkewMaxMicros = SimRandom.Between(random, 1_000, 500_000),
            ClockDriftMaxPpm = SimRandom.Between(random, 0, 200),
        };
    }

    /// <summary>
    /// The mix on one line, e.g. <c>faults[partition clog crash loss=0.01] every~500000us lasting~1000000us
    /// link[latency=100us+exp(400us) fifo]</c>.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder("faults[");
        int start = text.Length;
        AppendIf(text, Partitions, "partition");
        AppendIf(text, AsymmetricPartitions, "asymmetric");
        AppendIf(text, Isolations, "isolate");
        AppendIf(text, Clogging, "clog");
        AppendIf(text, Crashes, "crash");
        AppendIf(text, Pauses, "pause");
        AppendIf(text, ClockSkew, Format($"clock(skew<={ClockSkewMaxMicros}us drift<={ClockDriftMaxPpm}ppm)"));
        AppendIf(text, Link.LossProbability > 0, Format($"loss={Link.LossProbability}"));
        AppendIf(text, Link.DuplicateProbability > 0, Format($"dup={Link.DuplicateProbability}"));
        if (text.Length == start)
        {
            text.Append("none");
        }
        text.Append(Format($"] every~{FaultIntervalMeanMicros}us lasting~{FaultDurationMeanMicros}us"));
        text.Append(Format($" link[latency={Link.LatencyMinMicros}us+exp({Link.LatencyTailMeanMicros}us)"));
        if (Link.SpikeProbability > 0)
        {
            text.Append(Format($" spike={Link.SpikeProbability}x<={Link.SpikeMaxMicros}us"));
        }
        text.Append(Link.Fifo ? " fifo]" : " reorder]");
        return text.ToString();
    }

    private static string Format(FormattableString text) => FormattableString.Invariant(text);

    private static void AppendIf(StringBuilder text, bool condition, string item)
    {
        if (condition)
        {
            if (text[^1] != '[')
            {
                text.Append(' ');
            }
            text.Append(item);
        }
    }
}
