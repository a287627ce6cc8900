
namespace Tusk.Core;

/// <summary>
/// A hybrid logical clock: timestamps close to physical time that never go backwards and respect causality
/// across nodes (a node that receives a timestamp via <see cref="Update"/> hands out only later ones).
///
/// <para>Physical time comes from an <see cref="IClock"/> (the wall clock, <see cref="IClock.UtcNow"/>, in µs),
/// so the simulator can drive it, skew it and step it backwards; the HLC absorbs all of that:
/// <see cref="Now"/> returns max(last + 1, physical) in the packed <see cref="HlcTimestamp"/> form, so a clock that
/// stands still or jumps back makes the logical counter advance instead.</para>
///
/// <para>Invariant: every value returned by <see cref="Now"/> is strictly greater than every value previously
/// returned by <see cref="Now"/> or passed to <see cref="Update"/> on this instance.</para>
///
/// <para>Thread-safe and lock-free (one compare-and-swap per call).</para>
/// </summary>
public sealed class Hlc
{
    private readonly IClock _clock;
    private ulong _last; // Packed HlcTimestamp; only grows (CAS).

    /// <summary>A clock reading physical time from <paramref name="clock"/>.</summary>
    public Hlc(IClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
    }

    /// <summary>The latest timestamp handed out or received (not a new one).</summary>
    public HlcTimestamp Last => new(Volatile.Read(ref _last));

    /// <summary>The physical clock now, as a timestamp with logical 0 (clamped to the representable range).</summary>
    public HlcTimestamp Physical
    {
        get
        {
            long micros = (_clock.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
            return HlcTimestamp.FromParts(Math.Clamp(micros, 0, HlcTimestamp.WallMicrosMax), 0);
        }
    }

    /// <summary>A new timestamp, greater than every earlier one (see the invariant on the type).</summary>
    public HlcTimestamp Now()
    {
        ulong physical = Physical.Value;
        while (true)
        {
            ulong last = Volatile.Read(ref _last);
            ulong next = Math.Max(checked(last + 1), physical);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return new HlcTimestamp(next);
            }
        }
    }

    /// <summary>
    /// Receives a timestamp from elsewhere (another node, or the persisted ceiling at startup): every later
    /// <see cref="Now"/> is greater than <paramref name="remote"/>.
    /// </summary>
    public void Update(HlcTimestamp remote)
    {
        while (true)
        {
            ulong last = Volatile.Read(ref _last);
            if (remote.Value <= last || Interlocked.CompareExchange(ref _last, remote.Value, last) == last)
            {
                return;
            }
        }
    }
}
