using System.Buffers.Binary;
using System.Text;

namespace Tusk.Protocols.Kafka;

/// <summary>
/// Reads the Kafka protocol's primitive types (big-endian) from one request frame. Bounds are checked on every
/// read: a malformed frame raises <see cref="KafkaProtocolException"/>, never reads past the frame. A ref struct
/// over a span, so parsing allocates only what the parsed message keeps (strings, arrays).
/// Only the classic (non-flexible) encodings are needed: Tusk advertises API versions below the flexible ones.
/// </summary>
public ref struct KafkaReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    /// <summary>Reads <paramref name="buffer"/> from its start.</summary>
    public KafkaReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || count > _buffer.Length - _position)
        {
            throw new KafkaProtocolException($"frame ends inside {what} (needs {count} bytes at offset {_position}, {_buffer.Length - _position} left)");
        }
        var s = _buffer.Slice(_position, count);
        _position += count;
        return s;
    }

    /// <summary>INT8.</summary>
    public sbyte ReadInt8() => (sbyte)Take(1, "INT8")[0];

    /// <summary>BOOLEAN.</summary>
    public bool ReadBoolean() => Take(1, "BOOLEAN")[0] != 0;

    /// <summary>INT16.</summary>
    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2, "INT16"));

    /// <summary>INT32.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4, "INT32"));

    /// <summary>INT64.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8, "INT64"));

    /// <summary>STRING (INT16 length, UTF-8); a null (-1) is a protocol error here.</summary>
    public string ReadString()
    {
        short length = ReadInt16();
        if (length < 0)
        {
            throw new KafkaProtocolException($"null STRING at offset {_position - 2} where a string is required");
        }
        return Encoding.UTF8.GetString(Take(length, "STRING"));
    }

    /// <summary>NULLABLE_STRING.</summary>
    public string? ReadNullableString()
    {
        short length = ReadInt16();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length, "NULLABLE_STRING"));
    }

    /// <summary>BYTES (INT32 length); the result points into the frame.</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        int length = ReadInt32();
        if (length < 0)
        {
            throw new KafkaProtocolException($"null BYTES at offset {_position - 4} where bytes are required");
        }
        return Take(length, "BYTES");
    }

    /// <summary>NULLABLE_BYTES / RECORDS (INT32 length, -1 = null); the result points into the frame.</summary>
    public ReadOnlySpan<byte> ReadNullableBytes(out bool isNull)
    {
        int length = ReadInt32();
        isNull = length < 0;
        return isNull ? default : Take(length, "NULLABLE_BYTES");
    }

    /// <summary>
    /// ARRAY length (INT32; -1 = null, returned as -1). Rejects lengths that cannot fit in the rest of the frame
    /// (each element takes at least <paramref name="minElementBytes"/>), so a hostile length cannot make the
    /// parser allocate gigabytes.
    /// </summary>
    public int ReadArrayLength(int minElementBytes = 1)
    {
        int length = ReadInt32();
        if (length < -1 || (length > 0 && (long)length * Math.Max(1, minElementBytes) > Remaining))
        {
            throw new KafkaProtocolException($"array length {length} at offset {_position - 4} does not fit in the {Remaining} bytes left");
        }
        return length;
    }

    /// <summary>UNSIGNED_VARINT (used inside record batches).</summary>
    public uint ReadUnsignedVarint()
    {
        uint value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = Take(1, "VARINT")[0];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new KafkaProtocolException("varint longer than 5 bytes");
    }

    /// <summary>VARINT (zig-zag).</summary>
    public int ReadVarint()
    {
        uint raw = ReadUnsignedVarint();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>VARLONG (zig-zag).</summary>
    public long ReadVarlong()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = Take(1, "VARLONG")[0];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }
        }
        throw new KafkaProtocolException("varlong longer than 10 bytes");
    }

    /// <summary>Raw bytes.</summary>
    public ReadOnlySpan<byte> ReadRaw(int count) => Take(count, "raw bytes");

    /// <summary>Skips bytes.</summary>
    public void Skip(int count) => Take(count, "skipped bytes");
}
