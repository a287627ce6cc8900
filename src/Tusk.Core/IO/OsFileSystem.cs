using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tusk.Core.IO;

/// <summary>
/// <see cref="IFileSystem"/> on the operating system: positioned I/O through <see cref="RandomAccess"/> (pread/pwrite,
/// safe for concurrent readers), <c>fdatasync</c> for <see cref="IFileHandle.Sync"/> and an fsync of the directory
/// for <see cref="SyncDirectory"/>. This file and <see cref="OsFile"/> are the only places in the core projects
/// allowed to touch <c>System.IO.File</c> (the lint test knows).
/// </summary>
public sealed class OsFileSystem : IFileSystem
{
    /// <summary>The one instance.</summary>
    public static readonly OsFileSystem Instance = new();

    private OsFileSystem() { }

    /// <inheritdoc />
    public IFileHandle Open(string path, FileOpenMode mode)
    {
        var (fileMode, access) = mode switch
        {
            FileOpenMode.CreateNew => (FileMode.CreateNew, FileAccess.ReadWrite),
            FileOpenMode.OpenOrCreate => (FileMode.OpenOrCreate, FileAccess.ReadWrite),
            FileOpenMode.OpenExisting => (FileMode.Open, FileAccess.ReadWrite),
            _ => (FileMode.Open, FileAccess.Read),
        };
        var handle = File.OpenHandle(path, fileMode, access, FileShare.ReadWrite | FileShare.Delete);
        return new OsFile(path, handle);
    }

    /// <inheritdoc />
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc />
    public void Rename(string source, string target) => File.Move(source, target, overwrite: true);

    /// <inheritdoc />
    public void Delete(string path) => File.Delete(path);

    /// <inheritdoc />
    public IReadOnlyList<string> List(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }
        var names = new List<string>();
        foreach (string p in Directory.EnumerateFiles(directory))
        {
            names.Add(Path.GetFileName(p));
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ListDirectories(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }
        var names = new List<string>();
        foreach (string p in Directory.EnumerateDirectories(directory))
        {
            names.Add(Path.GetFileName(p));
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <inheritdoc />
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <inheritdoc />
    public void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: false);
        }
    }

    /// <inheritdoc />
    public void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return; // Windows makes metadata durable with the file; nothing to do.
        }
        int fd = NativeMethods.open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (NativeMethods.fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    /// <inheritdoc />
    public IDisposable Lock(string path)
    {
        try
        {
            // FileShare.None takes an flock(LOCK_EX|LOCK_NB) on Unix: a second process (or opener) fails.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{path} is locked: another process is using this data directory", e);
        }
    }
}

/// <summary>An open OS file; see <see cref="IFileHandle"/> for the threading contract.</summary>
internal sealed class OsFile : IFileHandle
{
    private readonly SafeFileHandle _handle;
    private long _length; // Invariant: equals the OS file length after each write by this handle.

    public OsFile(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
        _length = RandomAccess.GetLength(handle);
    }

    public string Path { get; }

    public long Length => Volatile.Read(ref _length);

    public int ReadAt(long offset, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(_handle, buffer[total..], offset + total);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    public void WriteAt(long offset, ReadOnlySpan<byte> data)
    {
        RandomAccess.Write(_handle, data, offset);
        long end = offset + data.Length;
        if (end > _length)
        {
            Volatile.Write(ref _length, end);
        }
    }

    public long Append(ReadOnlySpan<byte> data)
    {
        long at = _length;
        WriteAt(at, data);
        return at;
    }

    public void Sync()
    {
        if (OperatingSystem.IsLinux())
        {
            if (NativeMethods.fdatasync(_handle) != 0)
            {
                throw new IOException($"fdatasync of {Path} failed (errno {Marshal.GetLastPInvokeError()})");
            }
            return;
        }
        RandomAccess.FlushToDisk(_handle);
    }

    public void StartWriteback(long offset, long length)
    {
        if (OperatingSystem.IsLinux() && length > 0)
        {
            _ = NativeMethods.sync_file_range(_handle, offset, length, NativeMethods.SyncFileRangeWrite); // a hint: errors surface at Sync
        }
    }

    public void Truncate(long length)
    {
        RandomAccess.SetLength(_handle, length);
        Volatile.Write(ref _length, length);
    }

    public void Dispose() => _handle.Dispose();
}

internal static partial class NativeMethods
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int close(int fd);

    internal const uint SyncFileRangeWrite = 2;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);
}
