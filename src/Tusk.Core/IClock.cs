namespace Tusk.Core;

/// <summary>
/// Time for hosts (STYLE.md C3): cores never read a clock; hosts and the storage engine's background
/// machinery go through this seam so the simulator can drive virtual time.
/// </summary>
public interface IClock
{
    /// <summary>Wall-clock time, for timestamps shown to people and time-based retention.</summary>
    DateTimeOffset UtcNow { get; }

    /// <summary>Monotonic ticks for measuring intervals; see <see cref="TicksPerSecond"/>.</summary>
    long MonotonicTicks { get; }

    /// <summary>Frequency of <see cref="MonotonicTicks"/>.</summary>
    long TicksPerSecond { get; }
}

/// <summary>The operating system's clock, through <see cref="TimeProvider.System"/>.</summary>
public sealed class SystemClock : IClock
{
    /// <summary>The one instance.</summary>
    public static readonly SystemClock Instance = new();

    private SystemClock() { }

    /// <inheritdoc />
    public DateTimeOffset UtcNow => TimeProvider.System.GetUtcNow();

    /// <inheritdoc />
    public long MonotonicTicks => TimeProvider.System.GetTimestamp();

    /// <inheritdoc />
    public long TicksPerSecond => TimeProvider.System.TimestampFrequency;
}
