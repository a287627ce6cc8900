using System.Buffers.Binary;
using Tusk.Core;

namespace Tusk.Storage.Sstable;

/// <summary>
/// Builds one block: entries with prefix-compressed keys, and a restart point (a full key) every
/// <c>restartInterval</c> entries so a reader can binary-search. Format:
/// <code>
///   entry*   entry = [varint shared][varint unshared][varint value length][key[shared..]][value]
///   [restart offset : u32 LE]*  [restart count : u32 LE]
/// </code>
/// Keys must be added in increasing order. Single-threaded; reusable after <see cref="Reset"/>.
/// </summary>
internal sealed class BlockBuilder
{
    private readonly int _restartInterval;
    private byte[] _buffer = new byte[8192];
    private int _length;
    private readonly List<int> _restarts = [0];
    private int _counter;
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;

    public BlockBuilder(int restartInterval)
    {
        Invariant.Check(restartInterval >= 1, "restart interval must be at least 1");
        _restartInterval = restartInterval;
    }

    public bool IsEmpty => _length == 0;

    public int EntryCount { get; private set; }

    /// <summary>Size of the block if finished now.</summary>
    public int EstimatedSize => _length + _restarts.Count * 4 + 4;

    /// <summary>The last key added.</summary>
    public ReadOnlySpan<byte> LastKey => _lastKey.AsSpan(0, _lastKeyLength);

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int shared = 0;
        if (_counter < _restartInterval)
        {
            shared = key.CommonPrefixLength(_lastKey.AsSpan(0, _lastKeyLength));
        }
        else
        {
            _restarts.Add(_length);
            _counter = 0;
        }
        int unshared = key.Length - shared;
        Ensure(3 * Varint.MaxLength32 + unshared + value.Length);
        var span = _buffer.AsSpan(_length);
        int n = Varint.Write(span, (uint)shared);
        n += Varint.Write(span[n..], (uint)unshared);
        n += Varint.Write(span[n..], (uint)value.Length);
        key[shared..].CopyTo(span[n..]);
        n += unshared;
        value.CopyTo(span[n..]);
        _length += n + value.Length;
        if (_lastKey.Length < key.Length)
        {
            _lastKey = new byte[Math.Max(key.Length, _lastKey.Length * 2)];
        }
        key.CopyTo(_lastKey);
        _lastKeyLength = key.Length;
        _counter++;
        EntryCount++;
    }

    /// <summary>Appends the restart array; returns the finished block contents (valid until <see cref="Reset"/>).</summary>
    public ReadOnlySpan<byte> Finish()
    {
        Ensure(_restarts.Count * 4 + 4);
        foreach (int r in _restarts)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), (uint)r);
            _length += 4;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), (uint)_restarts.Count);
        _length += 4;
        return _buffer.AsSpan(0, _length);
    }

    public void Reset()
    {
        _length = 0;
        _restarts.Clear();
        _restarts.Add(0);
        _counter = 0;
        _lastKeyLength = 0;
        EntryCount = 0;
    }

    private void Ensure(int extra)
    {
        if (_length + extra > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
        }
    }
}
