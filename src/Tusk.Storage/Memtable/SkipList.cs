using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tusk.Core;

namespace Tusk.Storage.Memtable;

/// <summary>
/// An arena-backed skiplist of internal keys (the memtable's index), after LevelDB's and Pebble's arenaskl.
/// All nodes live in one byte array: no per-entry objects, nothing for the GC to trace, and the arena is
/// recycled whole when the memtable is flushed.
///
/// Node layout, 4-byte aligned, offsets are int32 into the arena (0 = null):
/// <code>
///   [key length : u24 | height : u8 (LE)][value length : i32][next[0..height) : i32 each][internal key][value]
/// </code>
/// Threading: one writer (the commit leader) calls <see cref="TryInsert"/>; any number of readers traverse
/// concurrently without locks. A node is fully written before it is linked, and links are published with
/// release stores (level 0 first), so a reader sees either the old list or a complete new node.
/// Cost: insert and seek are O(log n) key comparisons (branching factor 4, height up to 12).
/// </summary>
internal sealed class SkipList
{
    public const int MaxHeight = 12;
    private const int NodeHeaderBytes = 8;

    private readonly byte[] _arena;
    private readonly int _head;
    private int _used;     // bytes allocated; written by the writer only
    private int _height;   // current list height; read by readers with Volatile
    private uint _rng;     // writer-only xorshift state for node heights
    private int _count;

    public SkipList(byte[] arena, uint seed)
    {
        _arena = arena;
        _used = 8; // offset 0 is the null pointer
        _rng = seed | 1;
        _head = Allocate(NodeHeaderBytes + MaxHeight * 4);
        _arena.AsSpan(0, _used).Clear(); // a recycled arena holds old links
        BinaryPrimitives.WriteInt32LittleEndian(_arena.AsSpan(_head), MaxHeight << 24);
        _height = 1;
    }

    /// <summary>Bytes of the arena in use.</summary>
    public int UsedBytes => Volatile.Read(ref _used);

    /// <summary>Arena capacity.</summary>
    public int CapacityBytes => _arena.Length;

    /// <summary>Number of entries.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Upper bound on arena bytes an entry can take.</summary>
    public static int MaxNodeBytes(int internalKeyLength, int valueLength) =>
        NodeHeaderBytes + MaxHeight * 4 + internalKeyLength + valueLength + 3;

    /// <summary>
    /// Inserts userKey#trailer → value. Returns false, changing nothing, when the arena lacks room.
    /// Writer only. The same internal key must not be inserted twice (sequence numbers are unique).
    /// </summary>
    public bool TryInsert(ReadOnlySpan<byte> userKey, ulong trailer, ReadOnlySpan<byte> value)
    {
        int keyLength = userKey.Length + InternalKey.TrailerLength;
        int height = RandomHeight();
        int size = NodeHeaderBytes + height * 4 + keyLength + value.Length;
        if (_used + ((size + 3) & ~3) > _arena.Length)
        {
            return false;
        }
        int node = Allocate(size);
        var span = _arena.AsSpan(node);
        BinaryPrimitives.WriteInt32LittleEndian(span, keyLength | (height << 24));
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], value.Length);
        int keyAt = NodeHeaderBytes + height * 4;
        userKey.CopyTo(span[keyAt..]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(keyAt + userKey.Length)..], trailer);
        value.CopyTo(span[(keyAt + keyLength)..]);
        var key = span.Slice(keyAt, keyLength);

        Span<int> prev = stackalloc int[MaxHeight];
        int listHeight = _height;
        FindLessThan(key, prev, listHeight);
        if (height > listHeight)
        {
            for (int level = listHeight; level < height; level++)
            {
                prev[level] = _head;
            }
            Volatile.Write(ref _height, height);
        }
        for (int level = 0; level < height; level++)
        {
            // Not yet visible: a plain store is enough for the new node's own link.
            NextRef(node, level) = Next(prev[level], level);
            Volatile.Write(ref NextRef(prev[level], level), node);
        }
        Volatile.Write(ref _count, _count + 1);
        return true;
    }

    private int Allocate(int size)
    {
        int at = _used;
        Volatile.Write(ref _used, at + ((size + 3) & ~3));
        return at;
    }

    private int RandomHeight()
    {
        int h = 1;
        while (h < MaxHeight)
        {
            _rng ^= _rng << 13;
            _rng ^= _rng >> 17;
            _rng ^= _rng << 5;
            if ((_rng & 3) != 0)
            {
                break;
            }
            h++;
        }
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int NextRef(int node, int level) =>
        ref Unsafe.As<byte, int>(ref _arena[node + NodeHeaderBytes + level * 4]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Next(int node, int level) => Volatile.Read(ref NextRef(node, level));

    /// <summary>The internal key stored at <paramref name="node"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> KeyAt(int node)
    {
        ref byte b = ref _arena[node];
        int word = Unsafe.As<byte, int>(ref b);
        int keyLength = word & 0xFFFFFF;
        int height = word >>> 24;
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, NodeHeaderBytes + height * 4), keyLength);
    }

    /// <summary>Where the key of <paramref name="node"/> lies in the arena.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void KeyLocation(int node, out int offset, out int length)
    {
        int word = Unsafe.As<byte, int>(ref _arena[node]);
        length = word & 0xFFFFFF;
        offset = node + NodeHeaderBytes + (word >>> 24) * 4;
    }

    /// <summary>The value stored at <paramref name="node"/>.</summary>
    public ReadOnlySpan<byte> ValueAt(int node)
    {
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(_arena.AsSpan(node)) & 0xFFFFFF;
        int valueLength = BinaryPrimitives.ReadInt32LittleEndian(_arena.AsSpan(node + 4));
        int height = HeightOf(node);
        return _arena.AsSpan(node + NodeHeaderBytes + height * 4 + keyLength, valueLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int HeightOf(int node) => _arena[node + 3];

    /// <summary>The node after <paramref name="node"/> (0 at the end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextOf(int node) => Next(node, 0);

    /// <summary>The first node (0 when empty).</summary>
    public int First => Next(_head, 0);

    /// <summary>The first node whose key is ≥ <paramref name="key"/> (0 when none).</summary>
    public int SeekGreaterOrEqual(ReadOnlySpan<byte> key) => Next(FindLessThan(key, default, Volatile.Read(ref _height)), 0);

    /// <summary>The last node whose key is &lt; <paramref name="key"/> (0 when none).</summary>
    public int SeekLessThan(ReadOnlySpan<byte> key)
    {
        int x = FindLessThan(key, default, Volatile.Read(ref _height));
        return x == _head ? 0 : x;
    }

    /// <summary>
    /// The last node (or the head) whose key is &lt; <paramref name="key"/>, searching from <paramref name="height"/>;
    /// when <paramref name="prev"/> is not empty, records the last such node at every level (for inserts).
    /// </summary>
    private int FindLessThan(ReadOnlySpan<byte> key, Span<int> prev, int height)
    {
        int x = _head;
        for (int level = height - 1; level >= 0; level--)
        {
            while (true)
            {
                int next = Next(x, level);
                if (next != 0 && InternalKey.Compare(KeyAt(next), key) < 0)
                {
                    x = next;
                    continue;
                }
                break;
            }
            if (!prev.IsEmpty)
            {
                prev[level] = x;
            }
        }
        return x;
    }

    /// <summary>The last node (0 when empty).</summary>
    public int Last
    {
        get
        {
            int x = _head;
            for (int level = Volatile.Read(ref _height) - 1; level >= 0; level--)
            {
                while (true)
                {
                    int next = Next(x, level);
                    if (next == 0)
                    {
                        break;
                    }
                    x = next;
                }
            }
            return x == _head ? 0 : x;
        }
    }
}
