using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Tusk.Core;
using Tusk.Storage.Iterators;

namespace Tusk.Storage.Sstable;

/// <summary>
/// A verified, immutable block in memory (see <see cref="BlockBuilder"/> for the format). Shared by
/// readers through the block cache; never modified. <see cref="FilePath"/> and <see cref="FileOffset"/>
/// name where it came from, for corruption errors.
///
/// A pooled block's array comes from <see cref="Cache.BlockBufferPool"/> and is reference counted: it is created
/// with one reference (its reader's), the cache takes one while it holds the block, and the array goes back to
/// the pool when the last is released. Never touch <see cref="Data"/> (or spans into it) after releasing.
/// Blocks a table keeps for its whole life (index, filter) are not pooled; Ref and Release do nothing for them.
/// </summary>
internal sealed class Block
{
    private readonly bool _pooled;
    private int _refs = 1;

    public Block(byte[] data, int length, string filePath, long fileOffset, bool pooled = false)
    {
        _pooled = pooled;
        Data = data;
        Length = length;
        FilePath = filePath;
        FileOffset = fileOffset;
        if (length < 4)
        {
            CorruptionException.Throw(filePath, fileOffset, "block too short for its restart count");
        }
        RestartCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(length - 4));
        long restartBytes = (long)RestartCount * 4 + 4;
        if (RestartCount == 0 || restartBytes > length)
        {
            CorruptionException.Throw(filePath, fileOffset, $"bad restart count {RestartCount} in a block of {length} bytes");
        }
        RestartsOffset = length - (int)restartBytes;
    }

    public byte[] Data { get; }

    public int Length { get; }

    public int RestartCount { get; }

    /// <summary>Where the restart array starts (also where entries end).</summary>
    public int RestartsOffset { get; }

    public string FilePath { get; }

    public long FileOffset { get; }

    /// <summary>Bytes charged to the block cache.</summary>
    public long Charge => Data.Length + 64;

    /// <summary>Takes another reference. The caller must already hold one, or hold the cache lock while the cache does.</summary>
    public void Ref()
    {
        if (_pooled)
        {
            int n = Interlocked.Increment(ref _refs);
            Invariant.Check(n > 1, "Block.Ref on a released block");
        }
    }

    /// <summary>Drops a reference; the last returns the array to the pool.</summary>
    public void Release()
    {
        if (_pooled)
        {
            int n = Interlocked.Decrement(ref _refs);
            Invariant.Check(n >= 0, "Block released too often");
            if (n == 0)
            {
                Cache.BlockBufferPool.Return(Data);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int RestartPoint(int index) =>
        (int)BinaryPrimitives.ReadUInt32LittleEndian(Data.AsSpan(RestartsOffset + index * 4));

    public BlockIterator NewIterator() => new(this);
}

/// <summary>
/// Cursor over a <see cref="Block"/> whose keys are internal keys. Rebuilds prefix-compressed keys into its
/// own buffer. Single-threaded. Throws <see cref="CorruptionException"/> on a malformed entry.
/// </summary>
internal sealed class BlockIterator : InternalIterator
{
    private Block _block;
    private int _current;      // offset of the current entry; == RestartsOffset when not valid
    private int _next;         // offset just past the current entry
    private int _valueOffset;
    private int _valueLength;
    private int _restartIndex; // restart block containing _current

    public BlockIterator(Block block)
    {
        _block = block;
        _current = block.RestartsOffset;
        KeyArray = new byte[64];
    }

    /// <summary>Re-targets this iterator at another block (lets two-level iterators reuse one instance).</summary>
    public void Reset(Block block)
    {
        _block = block;
        _current = block.RestartsOffset;
        _next = _current;
        KeyLength = 0;
        IsValid = false;
    }

    public override ReadOnlySpan<byte> Value => _block.Data.AsSpan(_valueOffset, _valueLength);

    public override void SeekToFirst()
    {
        SeekToRestart(0);
        ParseNext();
    }

    public override void SeekToLast()
    {
        SeekToRestart(_block.RestartCount - 1);
        while (ParseNext() && _next < _block.RestartsOffset)
        {
        }
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        // Binary search for the last restart point whose key is < target.
        int left = 0, right = _block.RestartCount - 1;
        while (left < right)
        {
            int mid = (left + right + 1) >>> 1;
            var key = KeyAtRestart(mid);
            if (InternalKey.Compare(key, target) < 0)
            {
                left = mid;
            }
            else
            {
                right = mid - 1;
            }
        }
        SeekToRestart(left);
        while (ParseNext())
        {
            if (InternalKey.Compare(Key, target) >= 0)
            {
                return;
            }
        }
    }

    public override void Next()
    {
        ParseNext();
    }

    public override void Prev()
    {
        int original = _current;
        _restartIndex = RestartIndexOf(original);
        while (_block.RestartPoint(_restartIndex) >= original)
        {
            if (_restartIndex == 0)
            {
                _current = _block.RestartsOffset;
                _next = _current;
                IsValid = false;
                return;
            }
            _restartIndex--;
        }
        SeekToRestart(_restartIndex);
        while (ParseNext() && _next < original)
        {
        }
    }

    /// <summary>The last restart point at or before <paramref name="offset"/>.</summary>
    private int RestartIndexOf(int offset)
    {
        int lo = 0, hi = _block.RestartCount - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (_block.RestartPoint(mid) <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private void SeekToRestart(int index)
    {
        KeyLength = 0;
        _restartIndex = index;
        _next = _block.RestartPoint(index);
        _current = _next;
    }

    /// <summary>The full key at a restart point (shared is 0 there), without moving the iterator.</summary>
    private ReadOnlySpan<byte> KeyAtRestart(int index)
    {
        int offset = _block.RestartPoint(index);
        var data = _block.Data.AsSpan(0, _block.RestartsOffset);
        if (!DecodeHeader(data, offset, out int shared, out int unshared, out _, out int headerLength) || shared != 0)
        {
            CorruptionException.Throw(_block.FilePath, _block.FileOffset + offset, "bad restart point entry");
        }
        return data.Slice(offset + headerLength, unshared);
    }

    /// <summary>Parses the entry at <see cref="_next"/>; returns false (and becomes invalid) at the end.</summary>
    private bool ParseNext()
    {
        _current = _next;
        if (_current >= _block.RestartsOffset)
        {
            _current = _block.RestartsOffset;
            IsValid = false;
            return false;
        }
        var data = _block.Data.AsSpan(0, _block.RestartsOffset);
        if (!DecodeHeader(data, _current, out int shared, out int unshared, out int valueLength, out int headerLength)
            || shared > KeyLength)
        {
            CorruptionException.Throw(_block.FilePath, _block.FileOffset + _current, "malformed block entry");
        }
        int keyAt = _current + headerLength;
        int newLength = shared + unshared;
        if (KeyArray.Length < newLength)
        {
            Array.Resize(ref KeyArray, Math.Max(newLength, KeyArray.Length * 2));
        }
        data.Slice(keyAt, unshared).CopyTo(KeyArray.AsSpan(shared));
        KeyLength = newLength;
        IsValid = true;
        _valueOffset = keyAt + unshared;
        _valueLength = valueLength;
        _next = _valueOffset + valueLength;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool DecodeHeader(ReadOnlySpan<byte> data, int offset, out int shared, out int unshared, out int valueLength, out int headerLength)
    {
        if (offset + 3 <= data.Length && (data[offset] | data[offset + 1] | data[offset + 2]) < 0x80)
        {
            shared = data[offset];
            unshared = data[offset + 1];
            valueLength = data[offset + 2];
            headerLength = 3;
        }
        else
        {
            uint un = 0, vl = 0;
            var s = data[offset..];
            int a = Varint.TryRead32(s, out uint sh);
            int b = a == 0 ? 0 : Varint.TryRead32(s[a..], out un);
            int c = b == 0 ? 0 : Varint.TryRead32(s[(a + b)..], out vl);
            if (c == 0)
            {
                shared = unshared = valueLength = headerLength = 0;
                return false;
            }
            shared = (int)sh;
            unshared = (int)un;
            valueLength = (int)vl;
            headerLength = a + b + c;
        }
        long end = (long)offset + headerLength + unshared + valueLength;
        return end <= data.Length;
    }
}
