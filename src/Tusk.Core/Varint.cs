using System.Runtime.CompilerServices;

namespace Tusk.Core;

/// <summary>
/// LEB128-style unsigned varints (7 bits per byte, low bits first), as LevelDB and protobuf write them.
/// Used in block entries, WAL batches and manifest edits. Decoders return the number of bytes consumed,
/// or throw <see cref="CorruptionException"/> through the caller when the input is truncated or overlong.
/// </summary>
public static class Varint
{
    /// <summary>Largest encoded size of a 32-bit varint.</summary>
    public const int MaxLength32 = 5;

    /// <summary>Largest encoded size of a 64-bit varint.</summary>
    public const int MaxLength64 = 10;

    /// <summary>Number of bytes <paramref name="value"/> takes encoded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Length(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>; returns bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads a 64-bit varint. Returns bytes consumed, or 0 when <paramref name="source"/> ends before the
    /// varint does or the varint is longer than 10 bytes (the caller reports that as corruption).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TryRead(ReadOnlySpan<byte> source, out ulong value)
    {
        if (source.Length > 1)
        {
            uint b0 = source[0];
            if (b0 < 0x80)
            {
                value = b0;
                return 1;
            }
            uint b1 = source[1];
            if (b1 < 0x80)
            {
                value = (b0 & 0x7f) | (b1 << 7); // two bytes: lengths up to 16 KiB (record and value sizes)
                return 2;
            }
        }
        else if (source.Length == 1 && source[0] < 0x80)
        {
            value = source[0];
            return 1;
        }
        return TryReadSlow(source, out value);
    }

    private static int TryReadSlow(ReadOnlySpan<byte> source, out ulong value)
    {
        ulong result = 0;
        int shift = 0;
        for (int i = 0; i < source.Length && i < MaxLength64; i++)
        {
            byte b = source[i];
            if (i == MaxLength64 - 1 && b > 1)
            {
                break; // more than 64 bits
            }
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                value = result;
                return i + 1;
            }
            shift += 7;
        }
        value = 0;
        return 0;
    }

    /// <summary>Reads a varint that must fit in 32 bits; returns bytes consumed or 0 when malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TryRead32(ReadOnlySpan<byte> source, out uint value)
    {
        int n = TryRead(source, out ulong v);
        if (n == 0 || v > uint.MaxValue)
        {
            value = 0;
            return 0;
        }
        value = (uint)v;
        return n;
    }
}
