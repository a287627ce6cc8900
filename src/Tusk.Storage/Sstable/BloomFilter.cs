using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tusk.Storage.Sstable;

/// <summary>
/// A cache-local ("blocked") bloom filter over user keys: each key maps to one 64-byte line and sets
/// <see cref="ProbeCount"/> bits inside it, so a lookup touches one cache line. At 10 bits per key the
/// false-positive rate is about 1%. Format: <c>[lines × 64 bytes][line count : u32 LE][probe count : u8]</c>.
/// </summary>
internal static class BloomFilter
{
    public const int LineBytes = 64;
    public const int ProbeCount = 6;

    /// <summary>Builds a filter from key hashes (see <see cref="KeyHash.Hash64"/>).</summary>
    public static byte[] Build(ReadOnlySpan<ulong> hashes, int bitsPerKey)
    {
        long bits = Math.Max(1, (long)hashes.Length * bitsPerKey);
        int lines = (int)Math.Max(1, (bits + LineBytes * 8 - 1) / (LineBytes * 8));
        var filter = new byte[lines * LineBytes + 5];
        foreach (ulong h in hashes)
        {
            int line = LineOf(h, lines);
            uint a = (uint)h;
            uint delta = BitOperations.RotateLeft(a, 15);
            for (int i = 0; i < ProbeCount; i++)
            {
                int bit = (int)(a & 511);
                filter[line * LineBytes + (bit >> 3)] |= (byte)(1 << (bit & 7));
                a += delta;
            }
        }
        BinaryPrimitives.WriteUInt32LittleEndian(filter.AsSpan(lines * LineBytes), (uint)lines);
        filter[^1] = ProbeCount;
        return filter;
    }

    /// <summary>True when the filter is well-formed (checked once when a table is opened).</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> filter) =>
        filter.Length >= 5 + LineBytes
        && (long)BinaryPrimitives.ReadUInt32LittleEndian(filter[^5..]) * LineBytes == filter.Length - 5
        && filter[^1] is > 0 and <= 32;

    /// <summary>False only if the key is certainly absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MayContain(ReadOnlySpan<byte> filter, ulong hash)
    {
        int lines = (int)BinaryPrimitives.ReadUInt32LittleEndian(filter[^5..]);
        int probes = filter[^1];
        int line = LineOf(hash, lines);
        ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetReference(filter), line * LineBytes);
        uint a = (uint)hash;
        uint delta = BitOperations.RotateLeft(a, 15);
        for (int i = 0; i < probes; i++)
        {
            int bit = (int)(a & 511);
            if ((Unsafe.Add(ref p, bit >> 3) & (1 << (bit & 7))) == 0)
            {
                return false;
            }
            a += delta;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LineOf(ulong hash, int lines) => (int)(((hash >> 32) * (ulong)lines) >> 32);
}

/// <summary>A fast, stable 64-bit hash of byte strings (stable across processes: it is persisted in filters).</summary>
internal static class KeyHash
{
    private const ulong P1 = 0x9E3779B185EBCA87UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong P3 = 0x165667B19E3779F9UL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash64(ReadOnlySpan<byte> data)
    {
        ulong h = P3 ^ ((ulong)data.Length * P1);
        ref byte p = ref MemoryMarshal.GetReference(data);
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            h ^= Round(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
            h = BitOperations.RotateLeft(h, 27) * P1 + P2;
        }
        if (i < data.Length)
        {
            ulong tail = 0;
            for (int shift = 0; i < data.Length; i++, shift += 8)
            {
                tail |= (ulong)Unsafe.Add(ref p, i) << shift;
            }
            h ^= Round(tail);
            h = BitOperations.RotateLeft(h, 23) * P2 + P3;
        }
        h ^= h >> 33;
        h *= P2;
        h ^= h >> 29;
        h *= P3;
        h ^= h >> 32;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong k) => BitOperations.RotateLeft(k * P2, 31) * P1;
}
