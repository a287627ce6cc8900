using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Storage.Log;

/// <summary>
/// Framing of one log record (WAL, manifest, and later Raft logs and topic segments):
/// <code>
///   [masked crc32c : u32 LE][payload length : u32 LE][synced through : u64 LE][payload]
/// </code>
/// The CRC covers everything after itself, so a damaged length or watermark is caught too.
/// "Synced through" is the file offset up to which the log was known to be fsynced when this record was
/// written. Recovery uses it to tell a torn tail from damage: bytes below any valid record's watermark were
/// durable, so a bad record there is corruption, while a bad record beyond every watermark is an unsynced,
/// unacknowledged tail (which page writeback may even have persisted out of order) and is cut.
/// </summary>
public static class LogRecord
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderLength = 16;

    /// <summary>Largest payload accepted; a length above it is damage, not a record.</summary>
    public const int PayloadLengthMax = 256 << 20;

    /// <summary>Writes the header for <paramref name="payload"/> into <paramref name="header"/>.</summary>
    public static void WriteHeader(Span<byte> header, ReadOnlySpan<byte> payload, long syncedThrough)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], syncedThrough);
        uint crc = Crc32C.Extend(Crc32C.Compute(header[4..HeaderLength]), payload);
        BinaryPrimitives.WriteUInt32LittleEndian(header, Crc32C.Mask(crc));
    }

    /// <summary>
    /// Frames a payload that the caller already wrote at <paramref name="frame"/>[HeaderLength..]: fills in the header.
    /// Lets writers build records in place without copying the payload.
    /// </summary>
    public static void SealInPlace(Span<byte> frame, long syncedThrough) => WriteHeader(frame, frame[HeaderLength..], syncedThrough);

    /// <summary>The "synced through" watermark of a header (meaningful only when the record is valid).</summary>
    public static long SyncedThrough(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt64LittleEndian(header[8..]);

    /// <summary>True when <paramref name="header"/> and <paramref name="payload"/> check out.</summary>
    public static bool IsValid(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        uint expected = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(header));
        uint actual = Crc32C.Extend(Crc32C.Compute(header[4..HeaderLength]), payload);
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
    /// The file ends in a record that is incomplete or fails its checksum, beyond every synced watermark: the
    /// trace of a write torn by a crash. Its bytes (and any after it) were never acknowledged as synced.
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
    private long _syncedThroughMax; // largest watermark of the valid records read so far

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
        _syncedThroughMax = Math.Max(_syncedThroughMax, LogRecord.SyncedThrough(header));
        _position += LogRecord.HeaderLength + length;
        return LogReadStatus.Record;
    }

    /// <summary>
    /// A bad record is corruption when it lies in bytes known to have been synced: below the watermark of any
    /// valid record before or after it. Otherwise it is a torn, unsynced tail, and everything from it on is
    /// dropped (valid records after it were unsynced too, so dropping them keeps the log a prefix).
    /// </summary>
    private LogReadStatus ClassifyBad(long badOffset, string detail)
    {
        if (_syncedThroughMax > badOffset)
        {
            CorruptionException.Throw(_file.Path, badOffset, detail + $"; the log was synced through offset {_syncedThroughMax}");
        }
        for (long at = badOffset + 1; at + LogRecord.HeaderLength <= _length; at++)
        {
            long synced = ValidRecordWatermarkAt(at);
            if (synced > badOffset)
            {
                CorruptionException.Throw(_file.Path, badOffset,
                    detail + $"; a later valid record (offset {at}) shows the log was synced through offset {synced}");
            }
        }
        return LogReadStatus.TornTail;
    }

    /// <summary>The watermark of a valid record starting at <paramref name="at"/>, or -1 when none starts there.</summary>
    private long ValidRecordWatermarkAt(long at)
    {
        Span<byte> header = stackalloc byte[LogRecord.HeaderLength];
        Fill(at, header);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length > LogRecord.PayloadLengthMax || at + LogRecord.HeaderLength + length > _length)
        {
            return -1;
        }
        return LogRecord.IsValid(header, View(at + LogRecord.HeaderLength, (int)length)) ? LogRecord.SyncedThrough(header) : -1;
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
