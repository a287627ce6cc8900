namespace Tusk.Simulation;

/// <summary>
/// The operations of <see cref="SimFileSystem"/> that can be counted and made to fail. A flags enum: one value names
/// one operation (<see cref="SimOperation.Kind"/>), an OR of values selects several for fault injection.
/// <see cref="Tusk.Core.IO.IFileSystem.FileExists"/> and <see cref="Tusk.Core.IO.IFileHandle.Length"/> are not
/// listed: they never fail.
/// </summary>
[Flags]
public enum SimOperationKind
{
    /// <summary>No operation (an empty selection).</summary>
    None = 0,

    /// <summary><see cref="Tusk.Core.IO.IFileSystem.Open"/>.</summary>
    Open = 1 << 0,

    /// <summary><see cref="Tusk.Core.IO.IFileHandle.ReadAt"/>.</summary>
    Read = 1 << 1,

    /// <summary><see cref="Tusk.Core.IO.IFileHandle.WriteAt"/>.</summary>
    Write = 1 << 2,

    /// <summary><see cref="Tusk.Core.IO.IFileHandle.Append"/>.</summary>
    Append = 1 << 3,

    /// <summary><see cref="Tusk.Core.IO.IFileHandle.Sync"/>.</summary>
    Sync = 1 << 4,

    /// <summary><see cref="Tusk.Core.IO.IFileHandle.Truncate"/>.</summary>
    Truncate = 1 << 5,

    /// <summary><see cref="Tusk.Core.IO.IFileSystem.Rename"/>.</summary>
    Rename = 1 << 6,

    /// <summary><see cref="Tusk.Core.IO.IFileSystem.Delete"/>.</summary>
    Delete = 1 << 7,

    /// <summary><see cref="Tusk.Core.IO.IFileSystem.List"/>.</summary>
    List = 1 << 8,

    /// <summary><see cref="Tusk.Core.IO.IFileSystem.SyncDirectory"/>.</summary>
    SyncDirectory = 1 << 9,

    /// <summary><see cref="Tusk.Core.IO.IFileSystem.Lock"/>.</summary>
    Lock = 1 << 10,

    /// <summary><see cref="Tusk.Core.IO.IFileSystem.CreateDirectory"/>.</summary>
    CreateDirectory = 1 << 11,

    /// <summary>Every operation that changes data or metadata (what a full disk refuses).</summary>
    Mutations = Write | Append | Sync | Truncate | Rename | Delete | SyncDirectory | CreateDirectory,

    /// <summary>Every operation.</summary>
    All = Open | Read | Write | Append | Sync | Truncate | Rename | Delete | List | SyncDirectory | Lock | CreateDirectory,
}

/// <summary>
/// One operation about to run on a <see cref="SimFileSystem"/>, as shown to
/// <see cref="SimFileSystem.FaultPredicate"/>. <see cref="Path"/> is normalized ('/'-separated, no empty or "."
/// segments); <see cref="TargetPath"/> is set only for <see cref="SimOperationKind.Rename"/>.
/// </summary>
/// <param name="Kind">Which operation (exactly one flag).</param>
/// <param name="Path">The file or directory it acts on.</param>
/// <param name="TargetPath">The new name of a rename; null otherwise.</param>
public readonly record struct SimOperation(SimOperationKind Kind, string Path, string? TargetPath = null)
{
    /// <summary>"Kind path" or "Rename source -> target".</summary>
    public override string ToString() => TargetPath is null ? $"{Kind} {Path}" : $"{Kind} {Path} -> {TargetPath}";
}

/// <summary>An I/O error injected by <see cref="SimFileSystem"/>; the operation it names had no effect.</summary>
public sealed class SimulatedFaultException : IOException
{
    /// <summary>Creates the exception for <paramref name="operation"/>.</summary>
    public SimulatedFaultException(SimOperation operation)
        : base($"simulated I/O fault: {operation}")
    {
        Operation = operation;
    }

    /// <summary>The operation that failed.</summary>
    public SimOperation Operation { get; }
}

/// <summary>
/// A file handle was used after <see cref="SimFileSystem.Crash()"/>: the process that opened it is dead. An
/// <see cref="IOException"/>, so code still running from before the crash fails the way it fails on a broken disk.
/// </summary>
public sealed class SimulatedCrashException : IOException
{
    /// <summary>Creates the exception for a handle on <paramref name="path"/>.</summary>
    public SimulatedCrashException(string path)
        : base($"handle on {path} was invalidated by a simulated crash")
    {
        FilePath = path;
    }

    /// <summary>The path the dead handle was opened with.</summary>
    public string FilePath { get; }
}
