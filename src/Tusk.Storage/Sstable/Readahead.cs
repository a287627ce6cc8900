using System.Buffers;
using Tusk.Core.IO;

namespace Tusk.Storage.Sstable;

/// <summary>
/// Readahead for one table iterator: once two blocks have been read back to back, reads ahead in one system
/// call (16 KiB, doubling up to <see cref="MaxBytes"/>) and serves the following blocks from memory. Seeks
/// that jump around never trigger it. Owned by one iterator; the buffer comes from the shared array pool
/// and goes back on <see cref="Dispose"/>.
/// </summary>
internal sealed class Readahead : IDisposable
{
    public const int InitialBytes = 16 << 10;
    public const int MaxBytes = 256 << 10;

    private byte[]? _buffer;
    private long _start;       // file offset of _buffer[0]
    private int _count;        // valid bytes in _buffer
    private long _nextOffset = -1;
    private int _sequentialReads;
    private int _size = InitialBytes;

    /// <summary>
    /// Copies [offset, offset + length) into <paramref name="destination"/> from the readahead buffer, refilling it
    /// when the access pattern is sequential. Returns false when the caller should read directly.
    /// </summary>
    public bool TryRead(IFileHandle file, long offset, Span<byte> destination, long fileSize)
    {
        bool sequential = offset == _nextOffset;
        _sequentialReads = sequential ? _sequentialReads + 1 : 0;
        _nextOffset = offset + destination.Length;
        if (_buffer != null && offset >= _start && offset + destination.Length <= _start + _count)
        {
            _buffer.AsSpan((int)(offset - _start), destination.Length).CopyTo(destination);
            return true;
        }
        if (_sequentialReads < 2 || destination.Length > MaxBytes)
        {
            return false;
        }
        int want = (int)Math.Min(Math.Max(_size, destination.Length), fileSize - offset);
        if (_buffer == null || _buffer.Length < want)
        {
            if (_buffer != null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = ArrayPool<byte>.Shared.Rent(want);
        }
        _count = file.ReadAt(offset, _buffer.AsSpan(0, want));
        _start = offset;
        _size = Math.Min(_size * 2, MaxBytes);
        if (_count < destination.Length)
        {
            return false; // short file: let the direct read report it
        }
        _buffer.AsSpan(0, destination.Length).CopyTo(destination);
        return true;
    }

    /// <summary>Notes a block served from the block cache, so sequential scans keep their readahead state.</summary>
    public void NoteCached(long offset, int length)
    {
        _sequentialReads = offset == _nextOffset ? _sequentialReads + 1 : 0;
        _nextOffset = offset + length;
    }

    public void Dispose()
    {
        if (_buffer != null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
