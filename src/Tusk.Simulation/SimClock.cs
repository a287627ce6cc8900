using Tusk.Core;

namespace Tusk.Simulation;

/// <summary>
/// One node's <see cref="IClock"/> in simulation (STYLE.md C3, after TigerBeetle's <c>TimeSim</c>): it reads the
/// executor's virtual time through the node's own imperfections, for clock-skew and lease tests.
///
/// <para><b>Arithmetic.</b> With v the executor's time in µs:
/// drift(v) = drift accumulated up to the last rate change + ⌊(v − v_change) · <see cref="DriftPpm"/> / 10⁶⌋
/// (rounded toward zero), monotonic(v) = v + drift(v) + <see cref="MonotonicOffsetMicros"/>, and
/// wall(v) = v + drift(v) + <see cref="SkewMicros"/>. <see cref="UtcNow"/> is <see cref="Epoch"/> plus wall(v);
/// <see cref="MonotonicTicks"/> is monotonic(v) in µs. Changing the drift rate re-anchors, so the reading does not
/// jump; <see cref="Jump"/> (an NTP step) changes only the wall clock. The monotonic reading never decreases
/// (|DriftPpm| &lt; 10⁶ keeps the rate positive), whatever the jumps and rate changes.</para>
///
/// <para>Integer arithmetic only, so readings are the same on every platform. Single-threaded, like the executor.</para>
/// </summary>
public sealed class SimClock : IClock
{
    /// <summary>Largest |<see cref="DriftPpm"/>|: 50%, far beyond any real oscillator, and keeps time moving forward.</summary>
    public const long DriftPpmMax = 500_000;

    /// <summary>Wall time of virtual time 0 when no epoch is given: 2025-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset DefaultEpoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SimExecutor _executor;
    private long _driftPpm;
    private long _anchorVirtualMicros; // Virtual time of the last drift-rate change.
    private long _anchorDriftMicros;   // Drift accumulated up to _anchorVirtualMicros.

    /// <summary>Creates a clock reading <paramref name="executor"/>'s time, with the given imperfections.</summary>
    public SimClock(SimExecutor executor, long skewMicros = 0, long driftPpm = 0, DateTimeOffset? epoch = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        _executor = executor;
        Epoch = epoch ?? DefaultEpoch;
        SkewMicros = skewMicros;
        _anchorVirtualMicros = executor.NowMicros;
        DriftPpm = driftPpm;
    }

    /// <summary>Wall time at virtual time 0 (before skew and drift).</summary>
    public DateTimeOffset Epoch { get; }

    /// <summary>Offset of the wall reading from true virtual time (beyond drift); may be negative.</summary>
    public long SkewMicros { get; set; }

    /// <summary>
    /// Rate error in parts per million: +100 runs 100 µs fast per second of virtual time. Setting it keeps the
    /// drift accumulated so far.
    /// </summary>
    public long DriftPpm
    {
        get => _driftPpm;
        set
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(Math.Abs(value), DriftPpmMax);
            _anchorDriftMicros = DriftMicros;
            _anchorVirtualMicros = _executor.NowMicros;
            _driftPpm = value;
        }
    }

    /// <summary>Offset added to the monotonic reading (so nodes' monotonic clocks need not agree), default 0.</summary>
    public long MonotonicOffsetMicros { get; set; }

    /// <summary>Drift accumulated so far, in µs (see the class comment).</summary>
    public long DriftMicros
    {
        get
        {
            long elapsed = _executor.NowMicros - _anchorVirtualMicros;
            return _anchorDriftMicros + (long)((Int128)elapsed * _driftPpm / 1_000_000);
        }
    }

    /// <summary>The wall reading in µs since <see cref="Epoch"/>: virtual time + drift + skew.</summary>
    public long WallMicros => _executor.NowMicros + DriftMicros + SkewMicros;

    /// <summary>The monotonic reading in µs: virtual time + drift + <see cref="MonotonicOffsetMicros"/>. Never decreases.</summary>
    public long MonotonicMicros => _executor.NowMicros + DriftMicros + MonotonicOffsetMicros;

    /// <inheritdoc />
    public DateTimeOffset UtcNow => Epoch.AddTicks(WallMicros * TimeSpan.TicksPerMicrosecond);

    /// <inheritdoc />
    public long MonotonicTicks => MonotonicMicros;

    /// <inheritdoc />
    public long TicksPerSecond => 1_000_000;

    /// <summary>Steps the wall clock by <paramref name="deltaMicros"/> (either way), as an NTP correction would.</summary>
    public void Jump(long deltaMicros)
    {
        SkewMicros += deltaMicros;
    }
}
