using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Storage.Log;

/// <summary>
/// Framing of one log record (WAL, manifest, and later Raft logs and topic segments):
/// <code>
///   [masked crc32c : u32 LE][payload length : u32 LE][payload]
/// </code>
/// The CRC covers the length field and the payload, so a damaged length is caught too.
/// </summary>
public static class LogRecord
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderLength = 8;

    /// <summary>Largest payload accepted; a length above it is damage, not a record.</summary>
    public const int PayloadLengthMax = 256 << 20;

    /// <summary>Writes the header for <paramref name="payload"/> into <paramref name="header"/>.</summary>
    public static void WriteHeader(Span<byte> header, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)payload.Length);
        uint crc = Crc32C.Extend(Crc32C.Compute(header.Slice(4, 4)), payload);
        BinaryPrimitives.WriteUInt32LittleEndian(header, Crc32C.Mask(crc));
    }

    /// <summary>
    /// Frames a payload that the caller already wrote at <paramref name="frame"/>[HeaderLength..]: fills in the header.
    /// Lets writers build records in place without copying the payload.
    /// </summary>
    public static void SealInPlace(Span<byte> frame) => WriteHeader(frame, frame[HeaderLength..]);

    /// <summary>True when <paramref name="frame"/> (header + payload) checks out.</summary>
    public static bool IsValid(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        uint expected = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(header));
        uint actual = Crc32C.Extend(Crc32C.Compute(header.Slice(4, 4)), payload);
        return expected == actual;
    }
}

/// <summary>Outcome of reading one record.</summary>
public enum LogReadStatus
{
    /// <summary>A record was read.</summary>
    Record,

    /// <summary>Clean end of the file.</summary>
    End,

    /// <summary>
    /// The file ends in a record that is incomplete or fails its checksum, with no valid record after it:
    /// the trace of a write torn by a crash. Its bytes were never acknowledged as synced.
    /// </summary>
    TornTail,
}

/// <summary>
/// Reads records sequentially from one log file and tells a torn tail (a crash during the last unsynced
/// write) from damage in the middle (which raises <see cref="CorruptionException"/> with file and offset).
/// Reads through a buffer of up to <see cref="BufferBytes"/> bytes. Single-threaded.
/// </summary>
public sealed class LogReader
{
    /// <summary>Read-ahead size.</summary>
    public const int BufferBytes = 256 << 10;

    private readonly IFileHandle _file;
    private readonly long _length;
    private byte[] _buffer = new byte[BufferBytes];
    private long _bufferStart; // file offset of _buffer[0]
    private int _bufferCount;
    private long _position;

    /// <summary>Reads <paramref name="file"/> from <paramref name="startOffset"/>.</summary>
    public LogReader(IFileHandle file, long startOffset = 0)
    {
        _file = file;
        _length = file.Length;
        _position = startOffset;
        _bufferStart = startOffset;
    }

    /// <summary>File offset of the next record (after a <see cref="LogReadStatus.TornTail"/>, where the tail starts).</summary>
    public long Position => _position;

    /// <summary>
    /// Reads the next record. <paramref name="payload"/> stays valid until the next call.
    /// Throws <see cref="CorruptionException"/> when a damaged record is followed by a valid one.
    /// </summary>
    public LogReadStatus Read(out ReadOnlySpan<byte> payload, out long recordOffset)
    {
        payload = default;
        recordOffset = _position;
        if (_position == _length)
        {
            return LogReadStatus.End;
        }
        if (_length - _position < LogRecord.HeaderLength)
        {
            return ClassifyBad(_position, "incomplete record header");
        }
        Span<byte> header = stackalloc byte[LogRecord.HeaderLength];
        Fill(_position, header);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length > LogRecord.PayloadLengthMax || _position + LogRecord.HeaderLength + length > _length)
        {
            return ClassifyBad(_position, $"record length {length} runs past the end of the file");
        }
        ReadOnlySpan<byte> body = View(_position + LogRecord.HeaderLength, (int)length);
        if (!LogRecord.IsValid(header, body))
        {
            return ClassifyBad(_position, "record checksum mismatch");
        }
        payload = body;
        _position += LogRecord.HeaderLength + length;
        return LogReadStatus.Record;
    }

    /// <summary>
    /// A bad record is a torn tail only if no valid record starts anywhere after it; otherwise acknowledged
    /// data follows the damage and truncating would lose it, so it is corruption.
    /// </summary>
    private LogReadStatus ClassifyBad(long badOffset, string detail)
    {
        for (long at = badOffset + 1; at + LogRecord.HeaderLength <= _length; at++)
        {
            if (IsValidRecordAt(at))
            {
                CorruptionException.Throw(_file.Path, badOffset, detail + $"; a valid record follows at offset {at}");
            }
        }
        return LogReadStatus.TornTail;
    }

    private bool IsValidRecordAt(long at)
    {
        Span<byte> header = stackalloc byte[LogRecord.HeaderLength];
        Fill(at, header);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length > LogRecord.PayloadLengthMax || at + LogRecord.HeaderLength + length > _length)
        {
            return false;
        }
        return LogRecord.IsValid(header, View(at + LogRecord.HeaderLength, (int)length));
    }

    private void Fill(long offset, Span<byte> destination) => View(offset, destination.Length).CopyTo(destination);

    /// <summary>A view of [offset, offset+count) through the read-ahead buffer.</summary>
    private ReadOnlySpan<byte> View(long offset, int count)
    {
        if (offset >= _bufferStart && offset + count <= _bufferStart + _bufferCount)
        {
            return _buffer.AsSpan((int)(offset - _bufferStart), count);
        }
        if (count > _buffer.Length)
        {
            _buffer = new byte[count];
        }
        int toRead = (int)Math.Min(_buffer.Length, _length - offset);
        _bufferCount = _file.ReadAt(offset, _buffer.AsSpan(0, Math.Max(toRead, count)));
        _bufferStart = offset;
        if (_bufferCount < count)
        {
            CorruptionException.Throw(_file.Path, offset, "file shrank while being read");
        }
        return _buffer.AsSpan(0, count);
    }
}
