using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Storage.Sstable;

/// <summary>
/// Writes one SSTable (format in <see cref="TableFormat"/>) from internal keys added in increasing order, plus
/// range tombstones. Output goes through a buffer of <see cref="WriteBufferBytes"/> so a table costs few
/// system calls. <see cref="Finish"/> writes the meta blocks and footer and fsyncs the file.
/// Single-threaded.
/// </summary>
internal sealed class TableBuilder : IDisposable
{
    public const int WriteBufferBytes = 512 << 10;

    private readonly IFileHandle _file;
    private readonly int _blockSize;
    private readonly int _bloomBitsPerKey;
    private readonly BlockBuilder _data;
    private readonly BlockBuilder _index;
    private readonly List<ulong> _keyHashes = [];
    private readonly List<RangeTombstone> _tombstones = [];
    private readonly TableProperties _properties = new();
    private readonly byte[] _buffer = new byte[WriteBufferBytes];
    private int _buffered;
    private long _offset;
    private byte[] _lastUserKey = [];
    private bool _hasLastUserKey;
    private byte[]? _smallest;
    private bool _finished;

    public TableBuilder(IFileHandle file, int blockSize, int restartInterval, int bloomBitsPerKey)
    {
        _file = file;
        _blockSize = blockSize;
        _bloomBitsPerKey = bloomBitsPerKey;
        _data = new BlockBuilder(restartInterval);
        _index = new BlockBuilder(1);
    }

    /// <summary>Smallest internal key added (points and tombstone starts).</summary>
    public byte[]? Smallest => _smallest;

    /// <summary>Largest internal key added, as a bound (tombstone ends become exclusive sentinels).</summary>
    public byte[]? Largest { get; private set; }

    public long EntryCount => _properties.EntryCount;

    /// <summary>Bytes written or buffered so far (the file size if finished now, roughly).</summary>
    public long EstimatedSize => _offset + _buffered + _data.EstimatedSize;

    public TableProperties Properties => _properties;

    public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        Invariant.Check(!_finished, "Add after Finish");
        if (Invariant.Enabled && Largest != null && InternalKey.Compare(Largest, internalKey) >= 0)
        {
            Invariant.Fail($"keys out of order: {InternalKey.Format(Largest)} then {InternalKey.Format(internalKey)}");
        }
        if (_data.EstimatedSize >= _blockSize)
        {
            FlushDataBlock();
        }
        var userKey = InternalKey.UserKey(internalKey);
        if (!_hasLastUserKey || !userKey.SequenceEqual(_lastUserKey))
        {
            _keyHashes.Add(KeyHash.Hash64(userKey));
            _lastUserKey = userKey.ToArray();
            _hasLastUserKey = true;
        }
        _data.Add(internalKey, value);
        _smallest ??= internalKey.ToArray();
        UpdateLargest(internalKey);
        ulong seq = InternalKey.SequenceOf(internalKey);
        _properties.EntryCount++;
        if (InternalKey.KindOf(internalKey) == EntryKind.Delete)
        {
            _properties.DeletionCount++;
        }
        _properties.RawKeyBytes += internalKey.Length;
        _properties.RawValueBytes += value.Length;
        _properties.SmallestSequence = Math.Min(_properties.SmallestSequence, seq);
        _properties.LargestSequence = Math.Max(_properties.LargestSequence, seq);
    }

    public void AddRangeTombstone(RangeTombstone t)
    {
        _tombstones.Add(t);
        _properties.RangeDeletionCount++;
        _properties.SmallestSequence = Math.Min(_properties.SmallestSequence, t.Sequence);
        _properties.LargestSequence = Math.Max(_properties.LargestSequence, t.Sequence);
        var start = InternalKey.Make(t.Start, t.Sequence, EntryKind.RangeDelete);
        if (_smallest == null || InternalKey.Compare(start, _smallest) < 0)
        {
            _smallest = start;
        }
        // The end is exclusive: the bound (end, MaxSequence, Seek) sorts before every real entry of End.
        UpdateLargest(InternalKey.Make(t.End, InternalKey.MaxSequence, EntryKind.Seek));
    }

    private void UpdateLargest(ReadOnlySpan<byte> key)
    {
        if (Largest == null || InternalKey.Compare(key, Largest) > 0)
        {
            Largest = key.ToArray();
        }
    }

    private void FlushDataBlock()
    {
        if (_data.IsEmpty)
        {
            return;
        }
        var lastKey = _data.LastKey.ToArray();
        var handle = WriteBlock(_data.Finish());
        _data.Reset();
        Span<byte> encoded = stackalloc byte[2 * Varint.MaxLength64];
        int n = handle.Encode(encoded);
        _index.Add(lastKey, encoded[..n]);
        _properties.DataBlockCount++;
        _properties.DataBytes += handle.Size + TableFormat.BlockTrailerLength;
    }

    private BlockHandle WriteBlock(ReadOnlySpan<byte> contents)
    {
        var handle = new BlockHandle(_offset + _buffered, contents.Length);
        Write(contents);
        Span<byte> trailer = stackalloc byte[TableFormat.BlockTrailerLength];
        TableFormat.WriteTrailer(trailer, contents);
        Write(trailer);
        return handle;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            int n = Math.Min(bytes.Length, _buffer.Length - _buffered);
            bytes[..n].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += n;
            bytes = bytes[n..];
            if (_buffered == _buffer.Length)
            {
                FlushBuffer();
            }
        }
    }

    private void FlushBuffer()
    {
        if (_buffered > 0)
        {
            _file.WriteAt(_offset, _buffer.AsSpan(0, _buffered));
            _offset += _buffered;
            _buffered = 0;
        }
    }

    /// <summary>Writes the remaining blocks and footer, fsyncs, and returns the file size.</summary>
    public long Finish()
    {
        Invariant.Check(!_finished, "Finish twice");
        _finished = true;
        FlushDataBlock();
        var filter = WriteBlock(BloomFilter.Build(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_keyHashes), _bloomBitsPerKey));

        var rangeBlock = new BlockBuilder(1);
        _tombstones.Sort((a, b) =>
        {
            int c = a.Start.AsSpan().SequenceCompareTo(b.Start);
            return c != 0 ? c : b.Sequence.CompareTo(a.Sequence);
        });
        foreach (var t in _tombstones)
        {
            rangeBlock.Add(InternalKey.Make(t.Start, t.Sequence, EntryKind.RangeDelete), t.End);
        }
        var rangeDel = WriteBlock(rangeBlock.Finish());
        var properties = WriteBlock(_properties.Encode());
        var index = WriteBlock(_index.Finish());
        Span<byte> footer = stackalloc byte[TableFormat.FooterLength];
        TableFormat.WriteFooter(footer, index, filter, rangeDel, properties);
        Write(footer);
        FlushBuffer();
        _file.Sync();
        return _offset;
    }

    public void Dispose() => _file.Dispose();
}
