using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tusk.Core;

/// <summary>
/// CRC32C (Castagnoli) over bytes, using the CPU's crc32 instructions through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/>. Every persisted record and block in Tusk carries one.
/// Thread-safe, allocation-free.
/// </summary>
public static class Crc32C
{
    /// <summary>CRC32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>Extends a CRC computed over earlier bytes with <paramref name="data"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        ref byte p = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        // Three independent lanes would hide the instruction latency further; 8 bytes at a time is ~8 bytes/cycle already.
        for (; i + 32 <= length; i += 32)
        {
            c = BitOperations.Crc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
            c = BitOperations.Crc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i + 8)));
            c = BitOperations.Crc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i + 16)));
            c = BitOperations.Crc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i + 24)));
        }
        for (; i + 8 <= length; i += 8)
        {
            c = BitOperations.Crc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
        }
        for (; i < length; i++)
        {
            c = BitOperations.Crc32C(c, Unsafe.Add(ref p, i));
        }
        return ~c;
    }

    /// <summary>
    /// A CRC stored next to data that may itself contain CRCs is masked (as LevelDB does), so that
    /// computing a CRC over a string with embedded CRCs does not degenerate.
    /// </summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;

    /// <summary>Inverse of <see cref="Mask"/>.</summary>
    public static uint Unmask(uint masked)
    {
        uint rot = masked - 0xa282ead8u;
        return (rot >> 17) | (rot << 15);
    }

    /// <summary>Reads a little-endian masked CRC from <paramref name="source"/>.</summary>
    public static uint ReadMasked(ReadOnlySpan<byte> source) => Unmask(BinaryPrimitives.ReadUInt32LittleEndian(source));
}
