namespace Tusk.Simulation;

/// <summary>
/// What <see cref="SimFileSystem.Crash(CrashOptions)"/> does with the unsynced writes of each file.
///
/// Without tearing every unsynced byte is lost: a file goes back to exactly the contents of its last successful
/// <see cref="Tusk.Core.IO.IFileHandle.Sync"/>. With tearing, the unsynced writes (and truncations) of a file are
/// treated as reaching the disk in the order they were issued, and the crash interrupts them: a position is
/// chosen uniformly among the file's unsynced operations; the operations before it survive whole, the write at
/// it survives as a random prefix (0 to length-1 bytes; a truncation there is lost), and the later ones are lost.
/// With a single unsynced write this keeps a random strict prefix of that write. All choices come from the file
/// system's seeded random source, so the same seed and the same operations give the same torn bytes.
/// </summary>
public sealed record CrashOptions
{
    /// <summary>Every unsynced byte is lost (the default of <see cref="SimFileSystem.Crash()"/>).</summary>
    public static readonly CrashOptions DropUnsynced = new();

    /// <summary>Every file with unsynced writes is torn, keeping its bytes intact.</summary>
    public static readonly CrashOptions TearWrites = new() { TearProbability = 1.0 };

    /// <summary>Every file with unsynced writes is torn and the surviving prefix of the torn write is randomized.</summary>
    public static readonly CrashOptions TearAndCorruptWrites = new() { TearProbability = 1.0, CorruptTornBytes = true };

    private readonly double _tearProbability;

    /// <summary>
    /// Probability, in [0, 1], that a file with unsynced writes is torn rather than reset to its synced contents.
    /// Each such file draws independently.
    /// </summary>
    public double TearProbability
    {
        get => _tearProbability;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 0.0);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1.0);
            _tearProbability = value;
        }
    }

    /// <summary>
    /// When true, the surviving prefix of a torn write is overwritten with random bytes (the sectors were being
    /// written when the power failed and hold garbage). The length still follows the rule above.
    /// </summary>
    public bool CorruptTornBytes { get; init; }
}
