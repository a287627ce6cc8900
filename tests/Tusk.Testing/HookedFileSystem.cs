using Tusk.Core.IO;

namespace Tusk.Testing;

/// <summary>
/// A file system that passes everything to another one and runs the test's hooks first: before each file write
/// (<see cref="BeforeWrite"/>, given the path) and before each file fsync (<see cref="BeforeSync"/>). For tests
/// that must hold an operation at a known point (a write stuck in its system call, fsyncs that overlap), which a
/// real disk cannot be made to do on demand. Hooks run on the caller's thread.
/// </summary>
public sealed class HookedFileSystem(IFileSystem inner) : IFileSystem
{
    /// <summary>Runs before <see cref="IFileHandle.WriteAt"/> and <see cref="IFileHandle.Append"/>.</summary>
    public Action<string>? BeforeWrite { get; set; }

    /// <summary>Runs before <see cref="IFileHandle.Sync"/>.</summary>
    public Action<string>? BeforeSync { get; set; }

    public IFileHandle Open(string path, FileOpenMode mode) => new Handle(inner.Open(path, mode), this);

    public bool FileExists(string path) => inner.FileExists(path);

    public void Rename(string source, string target) => inner.Rename(source, target);

    public void Delete(string path) => inner.Delete(path);

    public IReadOnlyList<string> List(string directory) => inner.List(directory);

    public IReadOnlyList<string> ListDirectories(string directory) => inner.ListDirectories(directory);

    public void CreateDirectory(string path) => inner.CreateDirectory(path);

    public void DeleteDirectory(string path) => inner.DeleteDirectory(path);

    public void SyncDirectory(string directory) => inner.SyncDirectory(directory);

    public IDisposable Lock(string path) => inner.Lock(path);

    private sealed class Handle(IFileHandle file, HookedFileSystem fs) : IFileHandle
    {
        public string Path => file.Path;

        public long Length => file.Length;

        public int ReadAt(long offset, Span<byte> buffer) => file.ReadAt(offset, buffer);

        public void WriteAt(long offset, ReadOnlySpan<byte> data)
        {
            fs.BeforeWrite?.Invoke(Path);
            file.WriteAt(offset, data);
        }

        public long Append(ReadOnlySpan<byte> data)
        {
            fs.BeforeWrite?.Invoke(Path);
            return file.Append(data);
        }

        public void Sync()
        {
            fs.BeforeSync?.Invoke(Path);
            file.Sync();
        }

        public void StartWriteback(long offset, long length) => file.StartWriteback(offset, length);

        public void Truncate(long length) => file.Truncate(length);

        public void Dispose() => file.Dispose();
    }
}
