using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Tusk.Core;

namespace Tusk.Storage.Sstable;

/// <summary>
/// A table's index block decoded once at open into arrays: for each data block, the first 8 bytes of its
/// separator's user key as a big-endian integer (zero-padded), and its handle. A lookup binary-searches the
/// integers — one compact array, no entry decoding — and decodes a full key only when two prefixes tie.
/// On keys that differ in their first 8 bytes (most real keys) the search never touches the block.
/// Immutable; thread-safe.
/// </summary>
internal sealed class TableIndex
{
    private readonly Block _block;          // restart interval 1: entry i is restart point i
    private readonly ulong[] _prefixes;
    private readonly BlockHandle[] _handles;

    private TableIndex(Block block, ulong[] prefixes, BlockHandle[] handles)
    {
        _block = block;
        _prefixes = prefixes;
        _handles = handles;
    }

    public int Count => _handles.Length;

    public static TableIndex Build(Block block)
    {
        var it = block.NewIterator();
        var prefixes = new List<ulong>();
        var handles = new List<BlockHandle>();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            BlockHandle handle = default;
            if (it.Key.Length < InternalKey.TrailerLength || !BlockHandle.TryDecode(it.Value, out handle))
            {
                CorruptionException.Throw(block.FilePath, block.FileOffset, "malformed index entry");
            }
            prefixes.Add(Prefix(InternalKey.UserKey(it.Key)));
            handles.Add(handle);
        }
        if (handles.Count > 0 && block.RestartCount != handles.Count)
        {
            CorruptionException.Throw(block.FilePath, block.FileOffset, "index block must have one restart point per entry");
        }
        return new TableIndex(block, [.. prefixes], [.. handles]);
    }

    /// <summary>The first 8 bytes of a key as a big-endian integer, zero-padded: orders like the bytes do.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Prefix(ReadOnlySpan<byte> userKey)
    {
        if (userKey.Length >= 8)
        {
            return BinaryPrimitives.ReadUInt64BigEndian(userKey);
        }
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        userKey.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }

    public BlockHandle Handle(int i) => _handles[i];

    /// <summary>The separator (last internal key) of data block <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> KeyAt(int i)
    {
        int offset = _block.RestartPoint(i);
        var data = _block.Data.AsSpan(0, _block.RestartsOffset);
        // Entries at restart points store the whole key: [0][unshared][value length][key][value].
        uint unshared = 0;
        int a = Varint.TryRead32(data[offset..], out uint shared);
        int b = a == 0 ? 0 : Varint.TryRead32(data[(offset + a)..], out unshared);
        int c = b == 0 ? 0 : Varint.TryRead32(data[(offset + a + b)..], out _);
        if (c == 0 || shared != 0)
        {
            CorruptionException.Throw(_block.FilePath, _block.FileOffset + offset, "malformed index entry");
        }
        return data.Slice(offset + a + b + c, (int)unshared);
    }

    /// <summary>Index of the first data block whose last key is ≥ <paramref name="target"/> (an internal key), or <see cref="Count"/>.</summary>
    public int Find(ReadOnlySpan<byte> target)
    {
        ulong p = Prefix(InternalKey.UserKey(target));
        ulong[] prefixes = _prefixes;
        int lo = 0, hi = prefixes.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            ulong q = prefixes[mid];
            if (q < p || (q == p && InternalKey.Compare(KeyAt(mid), target) < 0))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
