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

    // Three-lane interleaving: the crc32 instruction has a latency of ~3 cycles but a throughput of one
    // per cycle, so one dependent chain runs at a third of the CPU's speed. Each stride of 3 × LaneBytes is
    // split into three independent chains; the results are joined with "shift by LaneBytes zero bytes",
    // a linear map on the 32-bit register precomputed as four byte-indexed tables.
    private const int LaneBytes = 256;
    private static readonly uint[] s_shiftTable = BuildShiftTable();

    private static uint[] BuildShiftTable()
    {
        var table = new uint[4 * 256];
        for (int b = 0; b < 4; b++)
        {
            for (uint v = 0; v < 256; v++)
            {
                table[b * 256 + (int)v] = ShiftSlow(v << (8 * b));
            }
        }
        return table;
    }

    /// <summary>The register after feeding <see cref="LaneBytes"/> zero bytes (raw, no inversion).</summary>
    private static uint ShiftSlow(uint register)
    {
        for (int i = 0; i < LaneBytes / 8; i++)
        {
            register = BitOperations.Crc32C(register, 0UL);
        }
        return register;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint[] t, uint r) =>
        t[(int)(r & 0xFF)] ^ t[256 + (int)((r >> 8) & 0xFF)] ^ t[512 + (int)((r >> 16) & 0xFF)] ^ t[768 + (int)(r >> 24)];

    /// <summary>Extends a CRC computed over earlier bytes with <paramref name="data"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        ref byte p = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        if (length >= 3 * LaneBytes)
        {
            uint[] t = s_shiftTable;
            for (; i + 3 * LaneBytes <= length; i += 3 * LaneBytes)
            {
                uint a = c, b = 0, d = 0;
                ref byte p0 = ref Unsafe.Add(ref p, i);
                ref byte p1 = ref Unsafe.Add(ref p, i + LaneBytes);
                ref byte p2 = ref Unsafe.Add(ref p, i + 2 * LaneBytes);
                for (int j = 0; j < LaneBytes; j += 8)
                {
                    a = BitOperations.Crc32C(a, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p0, j)));
                    b = BitOperations.Crc32C(b, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p1, j)));
                    d = BitOperations.Crc32C(d, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p2, j)));
                }
                c = Shift(t, Shift(t, a) ^ b) ^ d;
            }
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
