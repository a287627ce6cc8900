using System.Buffers;
using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Streams.Log;

/// <summary>What <see cref="SegmentScanner.Next"/> found at the scan position.</summary>
internal enum BatchStatus
{
    /// <summary>A whole batch with magic 2 and a matching CRC.</summary>
    Valid,

    /// <summary>The scan reached the end of the range.</summary>
    End,

    /// <summary>The range ends inside the batch (its header, or the bytes its length declares).</summary>
    Incomplete,

    /// <summary>The header is impossible (magic other than 2, or a length shorter than a header).</summary>
    Malformed,

    /// <summary>The batch is whole but fails its CRC.</summary>
    BadCrc,
}

/// <summary>
/// Reads the batches of a segment file in order, verifying each (magic, length, CRC32C), through one window
/// buffer rented for the scanner's life: a scan makes about one read per window, and memory stays at the window
/// size however large a (possibly corrupt) length field claims a batch is. <see cref="CurrentBatch"/> grows the
/// window to hold a whole verified batch when the caller needs its bytes (compaction). Used by recovery and the
/// cleaner, one thread at a time.
/// </summary>
internal sealed class SegmentScanner : IDisposable
{
    /// <summary>Default window: large enough that small batches cost one read per 64 KiB.</summary>
    public const int WindowBytesDefault = 64 << 10;

    private readonly IFileHandle _file;
    private readonly long _end;
    private byte[] _buffer;
    private long _windowStart;
    private int _windowLength;
    private long _currentStart = -1;
    private long _currentBytes;

    /// <summary>Scans <paramref name="file"/> from 0 to <paramref name="end"/>.</summary>
    public SegmentScanner(IFileHandle file, long end, int windowBytes = WindowBytesDefault)
    {
        _file = file;
        _end = end;
        _buffer = ArrayPool<byte>.Shared.Rent(windowBytes);
    }

    /// <summary>Where the next batch starts (after <see cref="Next"/> returned Valid: just past that batch).</summary>
    public long Position { get; private set; }

    /// <summary>Moves the scan to <paramref name="position"/>.</summary>
    public void Seek(long position)
    {
        Position = position;
        _currentStart = -1;
    }

    /// <summary>
    /// Examines the batch at <see cref="Position"/>. On <see cref="BatchStatus.Valid"/>, <paramref name="header"/> is set
    /// and the position moves past the batch; otherwise the position stays and <paramref name="header"/> is set
    /// whenever 61 header bytes could be read.
    /// </summary>
    public BatchStatus Next(out BatchHeader header)
    {
        header = default;
        _currentStart = -1;
        if (Position >= _end)
        {
            return BatchStatus.End;
        }
        var prefix = Window(Position, BatchHeader.HeaderBytes);
        if (prefix.Length < BatchHeader.HeaderBytes)
        {
            return BatchStatus.Incomplete;
        }
        header = BatchHeader.Read(prefix);
        if (!BatchHeader.LooksLikeHeader(prefix))
        {
            return BatchStatus.Malformed;
        }
        long total = header.TotalBytes;
        if (total > _end - Position)
        {
            return BatchStatus.Incomplete;
        }
        uint crc = 0;
        for (long at = Position + BatchHeader.AttributesAt; at < Position + total;)
        {
            var chunk = Window(at, (int)Math.Min(_buffer.Length, Position + total - at));
            Invariant.Check(chunk.Length > 0, "the range was checked to hold the batch");
            crc = Crc32C.Extend(crc, chunk);
            at += chunk.Length;
        }
        if (crc != header.Crc)
        {
            return BatchStatus.BadCrc;
        }
        _currentStart = Position;
        _currentBytes = total;
        Position += total;
        return BatchStatus.Valid;
    }

    /// <summary>The bytes of the batch the last <see cref="Next"/> returned as valid (valid until the next call).</summary>
    public ReadOnlySpan<byte> CurrentBatch()
    {
        Invariant.Check(_currentStart >= 0, "CurrentBatch needs a valid batch from Next");
        var bytes = Window(_currentStart, checked((int)_currentBytes));
        Invariant.Check(bytes.Length == _currentBytes, "a verified batch must still be readable");
        return bytes;
    }

    /// <summary>Up to <paramref name="count"/> bytes at <paramref name="position"/> (fewer only at the end of the range).</summary>
    private ReadOnlySpan<byte> Window(long position, int count)
    {
        if (position >= _windowStart && position + count <= _windowStart + _windowLength)
        {
            return _buffer.AsSpan((int)(position - _windowStart), count);
        }
        if (count > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(count);
        }
        int want = (int)Math.Min(_buffer.Length, _end - position);
        _windowStart = position;
        _windowLength = Math.Max(0, _file.ReadAt(position, _buffer.AsSpan(0, Math.Max(0, want))));
        return _buffer.AsSpan(0, Math.Min(count, _windowLength));
    }

    /// <summary>Returns the window buffer.</summary>
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _windowLength = 0;
    }
}
