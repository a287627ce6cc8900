namespace Tusk.Simulation;

/// <summary>
/// A snapshot of the operation counters of a <see cref="SimFileSystem"/> (see <see cref="SimFileSystem.Stats"/>).
/// Operations count only when they succeed; injected failures count in <see cref="FaultsInjected"/>. Useful for
/// write-amplification checks: <see cref="BytesWritten"/> is every byte passed to WriteAt and Append.
/// </summary>
public sealed record SimFileSystemStats
{
    /// <summary>Successful <c>Open</c> calls.</summary>
    public long Opens { get; init; }

    /// <summary>Successful <c>ReadAt</c> calls.</summary>
    public long Reads { get; init; }

    /// <summary>Bytes returned by <c>ReadAt</c>.</summary>
    public long BytesRead { get; init; }

    /// <summary>Successful <c>WriteAt</c> and <c>Append</c> calls.</summary>
    public long Writes { get; init; }

    /// <summary>Bytes passed to successful <c>WriteAt</c> and <c>Append</c> calls.</summary>
    public long BytesWritten { get; init; }

    /// <summary>Successful file <c>Sync</c> calls.</summary>
    public long Syncs { get; init; }

    /// <summary>Successful <c>Truncate</c> calls.</summary>
    public long Truncates { get; init; }

    /// <summary>Successful <c>Rename</c> calls.</summary>
    public long Renames { get; init; }

    /// <summary>Successful <c>Delete</c> calls (including deletes of missing files).</summary>
    public long Deletes { get; init; }

    /// <summary>Successful <c>List</c> calls.</summary>
    public long Lists { get; init; }

    /// <summary>Successful <c>SyncDirectory</c> calls.</summary>
    public long DirectorySyncs { get; init; }

    /// <summary>Successful <c>CreateDirectory</c> calls.</summary>
    public long DirectoryCreations { get; init; }

    /// <summary>Locks taken.</summary>
    public long Locks { get; init; }

    /// <summary>Operations failed on purpose by fault injection.</summary>
    public long FaultsInjected { get; init; }

    /// <summary>Calls to <c>Crash</c>.</summary>
    public long Crashes { get; init; }
}
