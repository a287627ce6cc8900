namespace Tusk.Core.IO;

/// <summary>How <see cref="IFileSystem.Open"/> treats an existing or missing file.</summary>
public enum FileOpenMode
{
    /// <summary>Create the file; fail with <see cref="IOException"/> if it exists.</summary>
    CreateNew,

    /// <summary>Open the file for reading and writing, creating it if missing.</summary>
    OpenOrCreate,

    /// <summary>Open an existing file for reading and writing; fail with <see cref="FileNotFoundException"/> if missing.</summary>
    OpenExisting,

    /// <summary>Open an existing file for reading only.</summary>
    ReadOnly,
}

/// <summary>
/// The disk seam (ARCHITECTURE.md, STYLE.md C3). Every byte Tusk persists goes through it, so the simulator can
/// lose unsynced writes at a crash, tear a write, or fail an operation. Paths use '/' and are interpreted
/// by the implementation. Implementations are thread-safe.
///
/// Durability contract, as POSIX gives it and the simulator enforces it: data written to a file is durable
/// only after <see cref="IFileHandle.Sync"/>; a created, renamed or deleted directory entry is durable only
/// after <see cref="SyncDirectory"/> on its parent.
/// </summary>
public interface IFileSystem
{
    /// <summary>Opens a file.</summary>
    IFileHandle Open(string path, FileOpenMode mode);

    /// <summary>True if a file exists at <paramref name="path"/>.</summary>
    bool FileExists(string path);

    /// <summary>Atomically replaces <paramref name="target"/> (if present) with <paramref name="source"/>.</summary>
    void Rename(string source, string target);

    /// <summary>Deletes a file; no error if it is already gone.</summary>
    void Delete(string path);

    /// <summary>Names (not paths) of the files directly in <paramref name="directory"/>, sorted ordinally.</summary>
    IReadOnlyList<string> List(string directory);

    /// <summary>Names of the directories directly in <paramref name="directory"/>, sorted ordinally.</summary>
    IReadOnlyList<string> ListDirectories(string directory);

    /// <summary>Creates a directory and its parents if missing.</summary>
    void CreateDirectory(string path);

    /// <summary>Deletes an empty directory; no error if it is already gone; <see cref="IOException"/> if not empty.</summary>
    void DeleteDirectory(string path);

    /// <summary>Makes creations, renames and deletions of entries in <paramref name="directory"/> durable.</summary>
    void SyncDirectory(string directory);

    /// <summary>
    /// Takes an exclusive lock on <paramref name="path"/> (creating the file), held until the result is
    /// disposed. Throws <see cref="IOException"/> when another holder has it.
    /// </summary>
    IDisposable Lock(string path);
}

/// <summary>
/// An open file. <see cref="ReadAt"/> may be called from many threads at once; writes, <see cref="Sync"/> and
/// <see cref="Truncate"/> from one writer at a time (or with positions the caller keeps disjoint).
/// </summary>
public interface IFileHandle : IDisposable
{
    /// <summary>The path the file was opened with.</summary>
    string Path { get; }

    /// <summary>Current length in bytes, including unsynced writes.</summary>
    long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; returns the count read (short only at end of file).</summary>
    int ReadAt(long offset, Span<byte> buffer);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>, extending the file if needed.</summary>
    void WriteAt(long offset, ReadOnlySpan<byte> data);

    /// <summary>Writes <paramref name="data"/> at the end of the file; returns the offset it was written at.</summary>
    long Append(ReadOnlySpan<byte> data);

    /// <summary>Makes every write so far durable (fdatasync).</summary>
    void Sync();

    /// <summary>
    /// A hint: start writing these bytes to the device now, without waiting (Linux: sync_file_range with
    /// SYNC_FILE_RANGE_WRITE), so a later <see cref="Sync"/> has less left to write. Promises nothing about
    /// durability and reports no errors (<see cref="Sync"/> does). The default does nothing.
    /// </summary>
    void StartWriteback(long offset, long length)
    {
    }

    /// <summary>Sets the file's length (drops a suffix, or extends with zeros).</summary>
    void Truncate(long length);
}

/// <summary>Helpers over <see cref="IFileSystem"/>.</summary>
public static class FileSystemExtensions
{
    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or throws <see cref="CorruptionException"/> naming the short read.</summary>
    public static void ReadExactly(this IFileHandle file, long offset, Span<byte> buffer)
    {
        int n = file.ReadAt(offset, buffer);
        if (n != buffer.Length)
        {
            CorruptionException.Throw(file.Path, offset, $"file ends after {n} of {buffer.Length} bytes expected");
        }
    }

    /// <summary>Reads a whole file.</summary>
    public static byte[] ReadAll(this IFileSystem fs, string path)
    {
        using var f = fs.Open(path, FileOpenMode.ReadOnly);
        var bytes = new byte[f.Length];
        int n = f.ReadAt(0, bytes);
        return n == bytes.Length ? bytes : bytes.AsSpan(0, n).ToArray();
    }

    /// <summary>
    /// Writes a file durably and atomically: write to a temporary name, fsync, rename over
    /// <paramref name="path"/>, fsync the directory. A crash leaves either the old or the new contents.
    /// </summary>
    public static void WriteAtomically(this IFileSystem fs, string path, ReadOnlySpan<byte> contents)
    {
        string temp = path + ".tmp";
        fs.Delete(temp);
        using (var f = fs.Open(temp, FileOpenMode.CreateNew))
        {
            f.WriteAt(0, contents);
            f.Sync();
        }
        fs.Rename(temp, path);
        fs.SyncDirectory(DirectoryOf(path));
    }

    /// <summary>The directory part of a '/'-separated path ("." when there is none).</summary>
    public static string DirectoryOf(string path)
    {
        int i = path.LastIndexOf('/');
        return i < 0 ? "." : i == 0 ? "/" : path[..i];
    }

    /// <summary>Joins a directory and a file name with '/'.</summary>
    public static string Join(string directory, string name) => directory.EndsWith('/') ? directory + name : directory + "/" + name;
}
