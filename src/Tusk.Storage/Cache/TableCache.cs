using Tusk.Core.IO;
using Tusk.Storage.Manifest;
using Tusk.Storage.Sstable;

namespace Tusk.Storage.Cache;

/// <summary>
/// Bounds the number of open table files: keeps at most <c>capacity</c> readers open, least recently opened
/// first out (a reader still used by an iterator stays open until released). Thread-safe; tables are opened
/// outside the lock. The fast path goes through <see cref="FileMetadata.CachedReader"/> without locking.
/// </summary>
internal sealed class TableCache(IFileSystem fs, string directory, int capacity, BlockCache blockCache)
{
    private readonly Dictionary<ulong, LinkedListNode<(TableReader Reader, FileMetadata File)>> _open = new();
    private readonly LinkedList<(TableReader Reader, FileMetadata File)> _lru = new(); // front = most recently opened; Protected by _open.

    public BlockCache BlockCache => blockCache;

    public int OpenCount
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    public static string TableName(ulong number) => number.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + ".sst";

    public string TablePath(ulong number) => FileSystemExtensions.Join(directory, TableName(number));

    /// <summary>A reader for <paramref name="file"/> with a reference the caller must <see cref="TableReader.Release"/>.</summary>
    public TableReader Acquire(FileMetadata file)
    {
        var cached = Volatile.Read(ref file.CachedReader);
        if (cached != null && cached.TryRef())
        {
            return cached;
        }
        lock (_open)
        {
            if (_open.TryGetValue(file.Number, out var node) && node.Value.Reader.TryRef())
            {
                Volatile.Write(ref file.CachedReader, node.Value.Reader);
                return node.Value.Reader;
            }
        }
        TableReader reader;
        try
        {
            reader = TableReader.Open(fs, TablePath(file.Number), file.Number, blockCache);
        }
        catch (FileNotFoundException e)
        {
            throw new Tusk.Core.CorruptionException(TablePath(file.Number), 0, "a table listed in the manifest is missing: " + e.Message);
        }
        lock (_open)
        {
            if (_open.TryGetValue(file.Number, out var raced) && raced.Value.Reader.TryRef())
            {
                reader.Release();
                return raced.Value.Reader;
            }
            Invariant(reader.TryRef());
            _open[file.Number] = _lru.AddFirst((reader, file));
            while (_open.Count > capacity && _lru.Last != null)
            {
                var victim = _lru.Last.Value;
                _lru.RemoveLast();
                _open.Remove(victim.Reader.FileNumber);
                // Drop the fast-path pointer too, so the evicted reader's index and filter can be collected.
                Interlocked.CompareExchange(ref victim.File.CachedReader, null, victim.Reader);
                victim.Reader.Release();
            }
        }
        Volatile.Write(ref file.CachedReader, reader);
        return reader;
    }

    /// <summary>Closes the cached reader of a deleted table (once its users release it).</summary>
    public void Forget(ulong number)
    {
        lock (_open)
        {
            if (_open.Remove(number, out var node))
            {
                _lru.Remove(node);
                Interlocked.CompareExchange(ref node.Value.File.CachedReader, null, node.Value.Reader);
                node.Value.Reader.Release();
            }
        }
    }

    /// <summary>Closes every cached reader.</summary>
    public void Clear()
    {
        lock (_open)
        {
            foreach (var (r, f) in _lru)
            {
                Interlocked.CompareExchange(ref f.CachedReader, null, r);
                r.Release();
            }
            _lru.Clear();
            _open.Clear();
        }
    }

    private static void Invariant(bool condition) => Tusk.Core.Invariant.Check(condition, "fresh table reader must accept a reference");
}
