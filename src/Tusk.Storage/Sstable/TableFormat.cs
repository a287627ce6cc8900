using System.Buffers.Binary;
using Tusk.Core;

namespace Tusk.Storage.Sstable;

/// <summary>Where a block sits in a table file (its trailer not included in <see cref="Size"/>).</summary>
internal readonly record struct BlockHandle(long Offset, long Size)
{
    public int Encode(Span<byte> destination)
    {
        int n = Varint.Write(destination, (ulong)Offset);
        return n + Varint.Write(destination[n..], (ulong)Size);
    }

    public static bool TryDecode(ReadOnlySpan<byte> source, out BlockHandle handle)
    {
        ulong size = 0;
        int a = Varint.TryRead(source, out ulong offset);
        int b = a == 0 ? 0 : Varint.TryRead(source[a..], out size);
        handle = b == 0 ? default : new BlockHandle((long)offset, (long)size);
        return b != 0 && offset < long.MaxValue / 2 && size < int.MaxValue;
    }
}

/// <summary>
/// The on-disk SSTable format, version 1. A table is:
/// <code>
///   data block*  filter block  range-deletion block  properties block  index block  footer
///   every block is followed by a 5-byte trailer [type : u8 = 0 (uncompressed)][masked crc32c of block+type : u32 LE]
///   index block: key = last internal key of a data block, value = [varint offset][varint size]
///   range-deletion block: key = start user key + trailer(seq, RangeDelete), value = end user key
///   footer (80 bytes): [index][filter][range-del][properties] handles as u64 offset + u64 size,
///                      [format version : u32][masked crc32c of the preceding 68 bytes : u32][magic : u64]
/// </code>
/// </summary>
internal static class TableFormat
{
    public const ulong Magic = 0x54_55_53_4B_53_53_54_31; // "TUSKSST1"
    public const uint FormatVersion = 1;
    public const int BlockTrailerLength = 5;
    public const int FooterLength = 80;
    public const byte NoCompression = 0;

    public static void WriteFooter(Span<byte> footer, BlockHandle index, BlockHandle filter, BlockHandle rangeDel, BlockHandle properties)
    {
        WriteHandle(footer, index);
        WriteHandle(footer[16..], filter);
        WriteHandle(footer[32..], rangeDel);
        WriteHandle(footer[48..], properties);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[64..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[68..], Crc32C.Mask(Crc32C.Compute(footer[..68])));
        BinaryPrimitives.WriteUInt64LittleEndian(footer[72..], Magic);
    }

    public static void ReadFooter(ReadOnlySpan<byte> footer, string path, long offset,
        out BlockHandle index, out BlockHandle filter, out BlockHandle rangeDel, out BlockHandle properties)
    {
        if (BinaryPrimitives.ReadUInt64LittleEndian(footer[72..]) != Magic)
        {
            CorruptionException.Throw(path, offset + 72, "bad table magic number (not a Tusk table, or truncated)");
        }
        if (Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(footer[68..])) != Crc32C.Compute(footer[..68]))
        {
            CorruptionException.Throw(path, offset, "footer checksum mismatch");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(footer[64..]);
        if (version != FormatVersion)
        {
            CorruptionException.Throw(path, offset + 64, $"unsupported table format version {version} (this build reads {FormatVersion})");
        }
        index = ReadHandle(footer);
        filter = ReadHandle(footer[16..]);
        rangeDel = ReadHandle(footer[32..]);
        properties = ReadHandle(footer[48..]);
    }

    private static void WriteHandle(Span<byte> d, BlockHandle h)
    {
        BinaryPrimitives.WriteInt64LittleEndian(d, h.Offset);
        BinaryPrimitives.WriteInt64LittleEndian(d[8..], h.Size);
    }

    private static BlockHandle ReadHandle(ReadOnlySpan<byte> s) =>
        new(BinaryPrimitives.ReadInt64LittleEndian(s), BinaryPrimitives.ReadInt64LittleEndian(s[8..]));

    /// <summary>Fills a block trailer for <paramref name="contents"/>.</summary>
    public static void WriteTrailer(Span<byte> trailer, ReadOnlySpan<byte> contents)
    {
        trailer[0] = NoCompression;
        uint crc = Crc32C.Extend(Crc32C.Compute(contents), trailer[..1]);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], Crc32C.Mask(crc));
    }

    /// <summary>Verifies the trailer that follows <paramref name="contents"/> in <paramref name="blockWithTrailer"/>.</summary>
    public static void VerifyTrailer(ReadOnlySpan<byte> blockWithTrailer, string path, long offset)
    {
        int size = blockWithTrailer.Length - BlockTrailerLength;
        var contents = blockWithTrailer[..size];
        var trailer = blockWithTrailer[size..];
        uint stored = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(trailer[1..]));
        uint actual = Crc32C.Extend(Crc32C.Compute(contents), trailer[..1]);
        if (stored != actual)
        {
            CorruptionException.Throw(path, offset, $"block checksum mismatch (block of {size} bytes)");
        }
        if (trailer[0] != NoCompression)
        {
            CorruptionException.Throw(path, offset + size, $"unknown block compression type {trailer[0]}");
        }
    }
}

/// <summary>Facts about a table, stored in its properties block and used for statistics and compaction.</summary>
internal sealed class TableProperties
{
    public long EntryCount { get; set; }
    public long DeletionCount { get; set; }
    public long RangeDeletionCount { get; set; }
    public long RawKeyBytes { get; set; }
    public long RawValueBytes { get; set; }
    public long DataBlockCount { get; set; }
    public long DataBytes { get; set; }
    public ulong SmallestSequence { get; set; } = ulong.MaxValue;
    public ulong LargestSequence { get; set; }

    public byte[] Encode()
    {
        var buffer = new byte[9 * Varint.MaxLength64];
        int n = 0;
        foreach (ulong v in new[] { (ulong)EntryCount, (ulong)DeletionCount, (ulong)RangeDeletionCount, (ulong)RawKeyBytes,
                     (ulong)RawValueBytes, (ulong)DataBlockCount, (ulong)DataBytes, SmallestSequence == ulong.MaxValue ? 0 : SmallestSequence, LargestSequence })
        {
            n += Varint.Write(buffer.AsSpan(n), v);
        }
        return buffer.AsSpan(0, n).ToArray();
    }

    public static TableProperties Decode(ReadOnlySpan<byte> s, string path, long offset)
    {
        Span<ulong> v = stackalloc ulong[9];
        for (int i = 0; i < v.Length; i++)
        {
            int n = Varint.TryRead(s, out v[i]);
            if (n == 0)
            {
                CorruptionException.Throw(path, offset, "malformed properties block");
            }
            s = s[n..];
        }
        return new TableProperties
        {
            EntryCount = (long)v[0], DeletionCount = (long)v[1], RangeDeletionCount = (long)v[2], RawKeyBytes = (long)v[3],
            RawValueBytes = (long)v[4], DataBlockCount = (long)v[5], DataBytes = (long)v[6], SmallestSequence = v[7], LargestSequence = v[8],
        };
    }
}
