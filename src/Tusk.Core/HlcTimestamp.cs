using System.Globalization;

namespace Tusk.Core;

/// <summary>
/// A hybrid logical clock reading (Kulkarni et al., "Logical Physical Clocks", 2014), packed into 64 bits:
/// <code>
///   bits 63..12  wall time in microseconds since the Unix epoch (52 bits: until the year 2112)
///   bits 11..0   logical counter (0..4095) that orders events within one microsecond
/// </code>
/// Comparing the packed value compares (wall, logical) lexicographically, so the type orders like a number and
/// "the next timestamp" is simply <c>Value + 1</c>: when the logical counter would pass 4095 it carries into the
/// wall part, i.e. the clock runs up to a microsecond ahead of physical time under more than 4096 events per
/// microsecond, which HLC tolerates (the wall part is an upper bound on causality, not a measurement).
/// The packed form is what MVCC keys carry (see <see cref="MvccEncoding"/>), and it can be read and written
/// atomically. Immutable; thread-safe.
/// </summary>
public readonly record struct HlcTimestamp(ulong Value) : IComparable<HlcTimestamp>
{
    /// <summary>Bits of the logical counter.</summary>
    public const int LogicalBits = 12;

    /// <summary>Largest logical counter.</summary>
    public const int LogicalMax = (1 << LogicalBits) - 1;

    /// <summary>Largest wall time representable, in µs since the Unix epoch.</summary>
    public const long WallMicrosMax = (long)(ulong.MaxValue >> LogicalBits);

    /// <summary>The smallest timestamp; no commit is ever stamped with it.</summary>
    public static readonly HlcTimestamp Zero = new(0);

    /// <summary>The largest timestamp.</summary>
    public static readonly HlcTimestamp MaxValue = new(ulong.MaxValue);

    /// <summary>Wall part: microseconds since the Unix epoch.</summary>
    public long WallMicros => (long)(Value >> LogicalBits);

    /// <summary>Logical part.</summary>
    public int Logical => (int)(Value & LogicalMax);

    /// <summary>The timestamp (<paramref name="wallMicros"/>, <paramref name="logical"/>).</summary>
    public static HlcTimestamp FromParts(long wallMicros, int logical)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(wallMicros);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(wallMicros, WallMicrosMax);
        ArgumentOutOfRangeException.ThrowIfNegative(logical);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(logical, LogicalMax);
        return new(((ulong)wallMicros << LogicalBits) | (uint)logical);
    }

    /// <summary>The smallest timestamp after this one.</summary>
    public HlcTimestamp Next() => new(checked(Value + 1));

    /// <inheritdoc />
    public int CompareTo(HlcTimestamp other) => Value.CompareTo(other.Value);

    /// <summary>Orders by <see cref="Value"/>.</summary>
    public static bool operator <(HlcTimestamp left, HlcTimestamp right) => left.Value < right.Value;

    /// <summary>Orders by <see cref="Value"/>.</summary>
    public static bool operator >(HlcTimestamp left, HlcTimestamp right) => left.Value > right.Value;

    /// <summary>Orders by <see cref="Value"/>.</summary>
    public static bool operator <=(HlcTimestamp left, HlcTimestamp right) => left.Value <= right.Value;

    /// <summary>Orders by <see cref="Value"/>.</summary>
    public static bool operator >=(HlcTimestamp left, HlcTimestamp right) => left.Value >= right.Value;

    /// <summary>"wall.logical", e.g. <c>1735689600000000.3</c>.</summary>
    public override string ToString() =>
        WallMicros.ToString(CultureInfo.InvariantCulture) + "." + Logical.ToString(CultureInfo.InvariantCulture);
}
