using System.Buffers.Binary;
using System.Text;

namespace Tusk.Protocols.Kafka;

/// <summary>
/// Writes Kafka primitive types (big-endian) into a growable buffer that can be reused across responses
/// (<see cref="Reset"/>). Holds room for the 4-byte frame size at the front, filled in by
/// <see cref="FinishFrame"/>. Single-threaded.
/// </summary>
public sealed class KafkaWriter
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with an initial capacity.</summary>
    public KafkaWriter(int capacity = 4096)
    {
        _buffer = new byte[Math.Max(capacity, 64)];
        _length = 4; // frame size
    }

    /// <summary>Size of the underlying buffer (it grows with the largest frame written).</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Bytes written, including the frame size prefix.</summary>
    public int Length => _length;

    /// <summary>The frame (size prefix included) once <see cref="FinishFrame"/> was called.</summary>
    public ReadOnlyMemory<byte> Frame => _buffer.AsMemory(0, _length);

    /// <summary>Empties the writer for the next frame.</summary>
    public void Reset() => _length = 4;

    /// <summary>Fills in the frame's size prefix.</summary>
    public ReadOnlyMemory<byte> FinishFrame()
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer, _length - 4);
        return Frame;
    }

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }
        var s = _buffer.AsSpan(_length, count);
        _length += count;
        return s;
    }

    /// <summary>INT8.</summary>
    public void WriteInt8(sbyte v) => Grow(1)[0] = (byte)v;

    /// <summary>BOOLEAN.</summary>
    public void WriteBoolean(bool v) => Grow(1)[0] = v ? (byte)1 : (byte)0;

    /// <summary>INT16.</summary>
    public void WriteInt16(short v) => BinaryPrimitives.WriteInt16BigEndian(Grow(2), v);

    /// <summary>INT32.</summary>
    public void WriteInt32(int v) => BinaryPrimitives.WriteInt32BigEndian(Grow(4), v);

    /// <summary>INT64.</summary>
    public void WriteInt64(long v) => BinaryPrimitives.WriteInt64BigEndian(Grow(8), v);

    /// <summary>STRING.</summary>
    public void WriteString(string v)
    {
        int byteCount = Encoding.UTF8.GetByteCount(v);
        if (byteCount > short.MaxValue)
        {
            throw new ArgumentException("string longer than 32767 bytes");
        }
        WriteInt16((short)byteCount);
        Encoding.UTF8.GetBytes(v, Grow(byteCount));
    }

    /// <summary>NULLABLE_STRING.</summary>
    public void WriteNullableString(string? v)
    {
        if (v == null)
        {
            WriteInt16(-1);
        }
        else
        {
            WriteString(v);
        }
    }

    /// <summary>BYTES.</summary>
    public void WriteBytes(ReadOnlySpan<byte> v)
    {
        WriteInt32(v.Length);
        v.CopyTo(Grow(v.Length));
    }

    /// <summary>NULLABLE_BYTES (null when <paramref name="isNull"/>).</summary>
    public void WriteNullableBytes(ReadOnlySpan<byte> v, bool isNull)
    {
        if (isNull)
        {
            WriteInt32(-1);
        }
        else
        {
            WriteBytes(v);
        }
    }

    /// <summary>ARRAY length (-1 for null).</summary>
    public void WriteArrayLength(int count) => WriteInt32(count);

    /// <summary>Raw bytes.</summary>
    public void WriteRaw(ReadOnlySpan<byte> v) => v.CopyTo(Grow(v.Length));

    /// <summary>Reserves <paramref name="count"/> bytes to fill later; returns their position.</summary>
    public int Reserve(int count)
    {
        int at = _length;
        Grow(count);
        return at;
    }

    /// <summary>Writes an INT32 at a reserved position.</summary>
    public void PatchInt32(int position, int v) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(position), v);

    /// <summary>UNSIGNED_VARINT.</summary>
    public void WriteUnsignedVarint(uint v)
    {
        while (v >= 0x80)
        {
            Grow(1)[0] = (byte)(v | 0x80);
            v >>= 7;
        }
        Grow(1)[0] = (byte)v;
    }

    /// <summary>VARINT (zig-zag).</summary>
    public void WriteVarint(int v) => WriteUnsignedVarint((uint)((v << 1) ^ (v >> 31)));

    /// <summary>VARLONG (zig-zag).</summary>
    public void WriteVarlong(long v)
    {
        ulong z = (ulong)((v << 1) ^ (v >> 63));
        while (z >= 0x80)
        {
            Grow(1)[0] = (byte)(z | 0x80);
            z >>= 7;
        }
        Grow(1)[0] = (byte)z;
    }
}
