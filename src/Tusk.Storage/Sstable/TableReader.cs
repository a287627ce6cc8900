using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Storage.Cache;
using Tusk.Storage.Iterators;
using Tusk.Storage.Memtable;

namespace Tusk.Storage.Sstable;

/// <summary>
/// An open SSTable. Opening reads and verifies the footer, index, filter, range-deletion and properties
/// blocks and keeps them in memory (they are small: about 1% of the table); data blocks are read on demand
/// through the <see cref="BlockCache"/> and verified against their checksum on every read from disk.
/// Thread-safe for any number of concurrent readers. Reference counted by <see cref="TableCache"/>: the file
/// is closed when the last reference is released.
/// </summary>
internal sealed class TableReader
{
    private readonly IFileHandle _file;
    private readonly BlockCache _blockCache;
    private readonly TableIndex _index;
    private readonly byte[] _filter;
    private int _refs = 1;

    [ThreadStatic] private static BlockIterator? t_dataIterator;

    private TableReader(IFileHandle file, ulong fileNumber, BlockCache blockCache, TableIndex index, byte[] filter,
        RangeTombstone[] tombstones, TableProperties properties)
    {
        _file = file;
        FileNumber = fileNumber;
        _blockCache = blockCache;
        _index = index;
        _filter = filter;
        RangeTombstones = tombstones;
        Properties = properties;
    }

    public ulong FileNumber { get; }

    public string Path => _file.Path;

    public TableProperties Properties { get; }

    public RangeTombstone[] RangeTombstones { get; }

    /// <summary>Opens and verifies a table. Throws <see cref="CorruptionException"/> when any meta block is damaged.</summary>
    public static TableReader Open(IFileSystem fs, string path, ulong fileNumber, BlockCache blockCache)
    {
        var file = fs.Open(path, FileOpenMode.ReadOnly);
        try
        {
            long size = file.Length;
            if (size < TableFormat.FooterLength)
            {
                CorruptionException.Throw(path, 0, $"file of {size} bytes is too short to be a table");
            }
            Span<byte> footer = stackalloc byte[TableFormat.FooterLength];
            file.ReadExactly(size - TableFormat.FooterLength, footer);
            TableFormat.ReadFooter(footer, path, size - TableFormat.FooterLength, out var indexHandle, out var filterHandle,
                out var rangeHandle, out var propertiesHandle);
            var index = TableIndex.Build(ReadBlockFromFile(file, indexHandle, size));
            var filterRaw = ReadRaw(file, filterHandle, size);
            if (!BloomFilter.IsWellFormed(filterRaw.AsSpan(0, (int)filterHandle.Size)))
            {
                CorruptionException.Throw(path, filterHandle.Offset, "malformed bloom filter block");
            }
            var filter = filterRaw.AsSpan(0, (int)filterHandle.Size).ToArray();
            var propsRaw = ReadRaw(file, propertiesHandle, size);
            var properties = TableProperties.Decode(propsRaw.AsSpan(0, (int)propertiesHandle.Size), path, propertiesHandle.Offset);
            var rangeBlock = ReadBlockFromFile(file, rangeHandle, size);
            var tombstones = new List<RangeTombstone>();
            var it = rangeBlock.NewIterator();
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var k = it.Key;
                if (k.Length < InternalKey.TrailerLength || InternalKey.KindOf(k) != EntryKind.RangeDelete)
                {
                    CorruptionException.Throw(path, rangeHandle.Offset, "malformed range-deletion entry");
                }
                tombstones.Add(new RangeTombstone(InternalKey.UserKey(k).ToArray(), it.Value.ToArray(), InternalKey.SequenceOf(k)));
            }
            return new TableReader(file, fileNumber, blockCache, index, filter, [.. tombstones], properties);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static byte[] ReadRaw(IFileHandle file, BlockHandle handle, long fileSize)
    {
        if (handle.Offset < 0 || handle.Size < 0 || handle.Offset + handle.Size + TableFormat.BlockTrailerLength > fileSize)
        {
            CorruptionException.Throw(file.Path, handle.Offset, $"block handle ({handle.Offset}, {handle.Size}) lies outside the file");
        }
        var raw = GC.AllocateUninitializedArray<byte>((int)handle.Size + TableFormat.BlockTrailerLength);
        file.ReadExactly(handle.Offset, raw);
        TableFormat.VerifyTrailer(raw, file.Path, handle.Offset);
        return raw;
    }

    private static Block ReadBlockFromFile(IFileHandle file, BlockHandle handle, long fileSize) =>
        new(ReadRaw(file, handle, fileSize), (int)handle.Size, file.Path, handle.Offset);

    /// <summary>
    /// Reads a data block through the cache into a pooled buffer. The caller owns one reference and must
    /// <see cref="Block.Release"/> it.
    /// </summary>
    public Block ReadDataBlock(BlockHandle handle, bool fillCache = true, Readahead? readahead = null)
    {
        var block = _blockCache.Lookup(FileNumber, handle.Offset);
        if (block != null)
        {
            readahead?.NoteCached(handle.Offset, (int)handle.Size + TableFormat.BlockTrailerLength);
            return block;
        }
        long fileSize = _file.Length;
        if (handle.Offset < 0 || handle.Size < 0 || handle.Offset + handle.Size + TableFormat.BlockTrailerLength > fileSize)
        {
            CorruptionException.Throw(Path, handle.Offset, $"block handle ({handle.Offset}, {handle.Size}) lies outside the file");
        }
        int total = (int)handle.Size + TableFormat.BlockTrailerLength;
        var raw = BlockBufferPool.Rent(total);
        try
        {
            if (readahead == null || !readahead.TryRead(_file, handle.Offset, raw.AsSpan(0, total), fileSize))
            {
                _file.ReadExactly(handle.Offset, raw.AsSpan(0, total));
            }
            TableFormat.VerifyTrailer(raw.AsSpan(0, total), Path, handle.Offset);
            block = new Block(raw, (int)handle.Size, Path, handle.Offset, pooled: true);
        }
        catch
        {
            BlockBufferPool.Return(raw);
            throw;
        }
        if (fillCache)
        {
            _blockCache.Insert(FileNumber, handle.Offset, block);
        }
        return block;
    }

    /// <summary>False only if no entry for the user key with this hash is in the table.</summary>
    public bool MayContain(ulong userKeyHash) => BloomFilter.MayContain(_filter, userKeyHash);

    /// <summary>
    /// Finds the newest entry for <paramref name="userKey"/> at or below the sequence in <paramref name="seekKey"/>
    /// (an internal key (userKey, snapshot, Seek)). <paramref name="value"/> is a copy (the block may be recycled).
    /// </summary>
    public LookupResult Get(scoped ReadOnlySpan<byte> seekKey, scoped ReadOnlySpan<byte> userKey, ulong userKeyHash,
        out byte[]? value, out ulong sequence)
    {
        value = null;
        sequence = 0;
        if (!BloomFilter.MayContain(_filter, userKeyHash))
        {
            return LookupResult.NotFound;
        }
        int blockIndex = _index.Find(seekKey);
        if (blockIndex >= _index.Count)
        {
            return LookupResult.NotFound;
        }
        var block = ReadDataBlock(_index.Handle(blockIndex));
        try
        {
            var data = t_dataIterator ??= new BlockIterator(block);
            data.Reset(block);
            data.Seek(seekKey);
            if (!data.Valid)
            {
                return LookupResult.NotFound;
            }
            var key = data.Key;
            if (!InternalKey.UserKey(key).SequenceEqual(userKey))
            {
                return LookupResult.NotFound;
            }
            sequence = InternalKey.SequenceOf(key);
            if (InternalKey.KindOf(key) == EntryKind.Delete)
            {
                return LookupResult.Deleted;
            }
            value = data.Value.ToArray();
            return LookupResult.Found;
        }
        finally
        {
            block.Release();
        }
    }

    /// <summary>A two-level iterator over the table's entries; takes a reference released on dispose.</summary>
    public InternalIterator NewIterator(bool fillCache = true)
    {
        Invariant.Check(TryRef(), "NewIterator on a closed table");
        return new TableIterator(this, _index, fillCache);
    }

    /// <summary>Takes a reference unless the reader is already closed.</summary>
    public bool TryRef() => RefCount.TryIncrement(ref _refs);

    /// <summary>Drops a reference; the last one closes the file.</summary>
    public void Release()
    {
        int n = Interlocked.Decrement(ref _refs);
        Invariant.Check(n >= 0, "TableReader released too often");
        if (n == 0)
        {
            _file.Dispose();
        }
    }

    /// <summary>Position in the index (a data block number) → data block iterator.</summary>
    private sealed class TableIterator(TableReader table, TableIndex index, bool fillCache) : InternalIterator
    {
        private int _blockNumber = -1;   // -1 or index.Count: before the first / after the last block
        private BlockIterator? _data;    // null when not positioned in a block
        private BlockIterator? _iteratorInstance;
        private Block? _block;           // the block _data reads; this iterator holds one reference to it
        private readonly Readahead _readahead = new();
        private bool _disposed;

        public override ReadOnlySpan<byte> Value => _data!.Value;

        public override void SeekToFirst()
        {
            LoadBlock(0);
            _data?.SeekToFirst();
            SkipEmptyForward();
        }

        public override void SeekToLast()
        {
            LoadBlock(index.Count - 1);
            _data?.SeekToLast();
            SkipEmptyBackward();
        }

        public override void Seek(ReadOnlySpan<byte> target)
        {
            LoadBlock(index.Find(target));
            _data?.Seek(target);
            SkipEmptyForward();
        }

        public override void Next()
        {
            _data!.Next();
            SkipEmptyForward();
        }

        public override void Prev()
        {
            _data!.Prev();
            SkipEmptyBackward();
        }

        private void SkipEmptyForward()
        {
            while (_data != null && !_data.Valid)
            {
                LoadBlock(_blockNumber + 1);
                _data?.SeekToFirst();
            }
            PublishFrom(_data);
        }

        private void SkipEmptyBackward()
        {
            while (_data != null && !_data.Valid)
            {
                LoadBlock(_blockNumber - 1);
                _data?.SeekToLast();
            }
            PublishFrom(_data);
        }

        private void LoadBlock(int number)
        {
            if (number == _blockNumber && _data != null)
            {
                return;
            }
            _blockNumber = number;
            // Unpositioned before the read: if it throws, nothing may point into the released block any more.
            _data = null;
            IsValid = false;
            ReleaseBlock();
            if (number < 0 || number >= index.Count)
            {
                return;
            }
            var block = table.ReadDataBlock(index.Handle(number), fillCache, _readahead);
            _block = block;
            if (_iteratorInstance == null)
            {
                _iteratorInstance = block.NewIterator();
            }
            else
            {
                _iteratorInstance.Reset(block);
            }
            _data = _iteratorInstance;
        }

        private void ReleaseBlock()
        {
            _block?.Release();
            _block = null;
        }

        public override void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                _data = null;
                ReleaseBlock();
                _readahead.Dispose();
                table.Release();
            }
        }
    }
}
