using System.Runtime.CompilerServices;
using Tusk.Core;

namespace Tusk.Streams.Log;

/// <summary>
/// One record of an uncompressed v2 batch, as found by <see cref="RecordReader"/>. Spans point into the batch.
/// Record layout (varints are zigzag-encoded): length varint, attributes int8, timestampDelta varlong,
/// offsetDelta varint, keyLength varint (-1 = null) + key, valueLength varint (-1 = null) + value,
/// header count varint, headers (key length varint + key, value length varint (-1 = null) + value).
/// </summary>
internal readonly ref struct RecordView
{
    /// <summary>Where the record starts in the records section (its length varint).</summary>
    public int Start { get; init; }

    /// <summary>Bytes of the record including its length varint.</summary>
    public int TotalBytes { get; init; }

    public long TimestampDelta { get; init; }

    public int OffsetDelta { get; init; }

    public bool KeyIsNull { get; init; }

    public ReadOnlySpan<byte> Key { get; init; }

    public bool ValueIsNull { get; init; }
}

/// <summary>
/// Walks the records of an uncompressed batch, checking that each record's fields fit inside its declared
/// length and that the records fill the batch exactly. Allocation-free; a malformed record stops the walk with
/// a message (the append path turns it into CORRUPT_MESSAGE).
/// </summary>
internal ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _records;
    private int _position;

    /// <summary>Reads the records of <paramref name="wholeBatch"/> (header included).</summary>
    public RecordReader(ReadOnlySpan<byte> wholeBatch)
    {
        _records = wholeBatch[BatchHeader.HeaderBytes..];
        _position = 0;
    }

    /// <summary>True when every byte of the records section has been consumed.</summary>
    public readonly bool AtEnd => _position == _records.Length;

    /// <summary>The records section (records follow the 61-byte header).</summary>
    public readonly ReadOnlySpan<byte> Records => _records;

    /// <summary>Reads the next record; false with <paramref name="error"/> set when it is malformed or missing.</summary>
    public bool TryNext(out RecordView record, out string? error)
    {
        record = default;
        int start = _position;
        if (!TryReadVarint(_records, ref _position, out long length) || length < 1 || length > _records.Length - _position)
        {
            error = $"record at byte {start} of the records has a bad length";
            return false;
        }
        int end = _position + (int)length;
        ReadOnlySpan<byte> body = _records[..end];
        int p = _position + 1; // attributes int8, unused in v2
        if (!TryReadVarint(body, ref p, out long timestampDelta)
            || !TryReadVarint(body, ref p, out long offsetDelta) || offsetDelta is < 0 or > int.MaxValue
            || !TryReadBytes(body, ref p, out bool keyIsNull, out ReadOnlySpan<byte> key)
            || !TryReadBytes(body, ref p, out bool valueIsNull, out _)
            || !TryReadVarint(body, ref p, out long headerCount) || headerCount < 0)
        {
            error = $"record at byte {start} of the records is malformed";
            return false;
        }
        for (long h = 0; h < headerCount; h++)
        {
            if (!TryReadBytes(body, ref p, out bool headerKeyIsNull, out _) || headerKeyIsNull || !TryReadBytes(body, ref p, out _, out _))
            {
                error = $"record at byte {start} of the records has a malformed header";
                return false;
            }
        }
        if (p != end)
        {
            error = $"record at byte {start} of the records has {end - p} bytes past its fields";
            return false;
        }
        _position = end;
        record = new RecordView
        {
            Start = start,
            TotalBytes = end - start,
            TimestampDelta = timestampDelta,
            OffsetDelta = (int)offsetDelta,
            KeyIsNull = keyIsNull,
            Key = key,
            ValueIsNull = valueIsNull,
        };
        error = null;
        return true;
    }

    /// <summary>Reads a zigzag varint (Kafka's signed varint/varlong) at <paramref name="position"/> and steps past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryReadVarint(ReadOnlySpan<byte> source, scoped ref int position, out long value)
    {
        if (position >= source.Length)
        {
            value = 0;
            return false;
        }
        int n = Varint.TryRead(source[position..], out ulong raw);
        if (n == 0)
        {
            value = 0;
            return false;
        }
        position += n;
        value = (long)(raw >> 1) ^ -(long)(raw & 1);
        return true;
    }

    /// <summary>Reads a length-prefixed byte string (length -1: null) at <paramref name="position"/> and steps past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryReadBytes(ReadOnlySpan<byte> source, scoped ref int position, out bool isNull, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        isNull = false;
        if (!TryReadVarint(source, ref position, out long length) || length < -1 || length > source.Length - position)
        {
            return false;
        }
        if (length == -1)
        {
            isNull = true;
            return true;
        }
        bytes = source.Slice(position, (int)length);
        position += (int)length;
        return true;
    }
}
