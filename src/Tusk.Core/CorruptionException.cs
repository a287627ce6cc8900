using System.Diagnostics.CodeAnalysis;

namespace Tusk.Core;

/// <summary>
/// Persisted data failed a check (checksum, magic number, structure). Names the file and byte offset so an
/// operator can find the damage. Tusk never returns data it could not verify; it raises this instead.
/// </summary>
public sealed class CorruptionException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> at <paramref name="offset"/>.</summary>
    public CorruptionException(string path, long offset, string detail)
        : base($"corruption in {path} at offset {offset}: {detail}")
    {
        FilePath = path;
        Offset = offset;
        Detail = detail;
    }

    /// <summary>The damaged file.</summary>
    public string FilePath { get; }

    /// <summary>Byte offset in <see cref="FilePath"/> where the damaged structure starts.</summary>
    public long Offset { get; }

    /// <summary>What check failed.</summary>
    public string Detail { get; }

    /// <summary>Throw helper that keeps hot paths small.</summary>
    [DoesNotReturn]
    public static void Throw(string path, long offset, string detail) => throw new CorruptionException(path, offset, detail);
}
