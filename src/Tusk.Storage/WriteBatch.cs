using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Storage.Log;

namespace Tusk.Storage;

/// <summary>
/// An atomic group of writes: all become visible and durable together, or none does. The encoded batch is
/// exactly the WAL record payload, built in place after room for the log record header:
/// <code>
///   [log header : 8][sequence : u64 LE][count : u32 LE] entry*
///   entry = [kind : u8][varint key length][key] ([varint value length][value])   -- value for Put and RangeDelete
/// </code>
/// Not thread-safe. Reusable through <see cref="Clear"/>.
/// </summary>
public sealed class WriteBatch
{
    internal const int SequenceOffset = LogRecord.HeaderLength;
    internal const int CountOffset = SequenceOffset + 8;
    internal const int EntriesOffset = CountOffset + 4;

    private byte[] _buffer;
    private int _length;
    private long _userBytes;

    /// <summary>Creates an empty batch.</summary>
    public WriteBatch(int initialCapacity = 256)
    {
        _buffer = new byte[Math.Max(initialCapacity, EntriesOffset + 16)];
        _length = EntriesOffset;
    }

    /// <summary>Number of operations in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of keys and values added (the "user bytes" behind write amplification).</summary>
    public long UserBytes => _userBytes;

    /// <summary>Bytes of the encoded batch (entries plus header).</summary>
    public int EncodedLength => _length - LogRecord.HeaderLength;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public WriteBatch Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Add(EntryKind.Put, key, value, hasValue: true);
        return this;
    }

    /// <summary>Deletes <paramref name="key"/>.</summary>
    public WriteBatch Delete(ReadOnlySpan<byte> key)
    {
        Add(EntryKind.Delete, key, default, hasValue: false);
        return this;
    }

    /// <summary>Deletes every key in [<paramref name="beginInclusive"/>, <paramref name="endExclusive"/>).</summary>
    public WriteBatch DeleteRange(ReadOnlySpan<byte> beginInclusive, ReadOnlySpan<byte> endExclusive)
    {
        if (beginInclusive.SequenceCompareTo(endExclusive) >= 0)
        {
            throw new ArgumentException("DeleteRange: begin must sort before end");
        }
        Add(EntryKind.RangeDelete, beginInclusive, endExclusive, hasValue: true);
        return this;
    }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        _length = EntriesOffset;
        Count = 0;
        _userBytes = 0;
    }

    private void Add(EntryKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool hasValue)
    {
        if (key.Length > KeyLengthMax)
        {
            throw new ArgumentException($"key of {key.Length} bytes exceeds the limit of {KeyLengthMax}");
        }
        if (value.Length > ValueLengthMax)
        {
            throw new ArgumentException($"value of {value.Length} bytes exceeds the limit of {ValueLengthMax}");
        }
        int need = 1 + Varint.MaxLength32 + key.Length + (hasValue ? Varint.MaxLength32 + value.Length : 0);
        Ensure(need);
        var span = _buffer.AsSpan(_length);
        span[0] = (byte)kind;
        int n = 1 + Varint.Write(span[1..], (uint)key.Length);
        key.CopyTo(span[n..]);
        n += key.Length;
        if (hasValue)
        {
            n += Varint.Write(span[n..], (uint)value.Length);
            value.CopyTo(span[n..]);
            n += value.Length;
        }
        _length += n;
        Count++;
        _userBytes += key.Length + value.Length;
    }

    /// <summary>Largest key accepted.</summary>
    public const int KeyLengthMax = 64 << 10;

    /// <summary>Largest value accepted.</summary>
    public const int ValueLengthMax = 64 << 20;

    private void Ensure(int extra)
    {
        if (_length + extra > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
        }
    }

    /// <summary>The whole buffer including room for the log header: [log header][payload].</summary>
    internal Span<byte> Frame => _buffer.AsSpan(0, _length);

    /// <summary>The encoded entries (after the 12-byte batch header).</summary>
    internal ReadOnlySpan<byte> Entries => _buffer.AsSpan(EntriesOffset, _length - EntriesOffset);

    /// <summary>Stamps the batch with its first sequence number.</summary>
    internal void SetSequence(ulong sequence)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(SequenceOffset), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(CountOffset), (uint)Count);
    }

    /// <summary>Appends another batch's entries (group commit merges followers into the leader's batch).</summary>
    internal void AppendEntriesOf(WriteBatch other)
    {
        var entries = other.Entries;
        Ensure(entries.Length);
        entries.CopyTo(_buffer.AsSpan(_length));
        _length += entries.Length;
        Count += other.Count;
        _userBytes += other._userBytes;
    }

    /// <summary>Reads the header of an encoded batch (a WAL payload).</summary>
    internal static void ReadHeader(ReadOnlySpan<byte> payload, out ulong sequence, out int count)
    {
        sequence = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        count = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload[8..]);
    }

    /// <summary>
    /// Decodes the entries of an encoded batch (a WAL payload), calling <paramref name="visit"/> for each with its
    /// sequence number. Returns false when the encoding is malformed (the caller names file and offset).
    /// </summary>
    internal static bool Decode<TVisitor>(ReadOnlySpan<byte> payload, ref TVisitor visit)
        where TVisitor : struct, IBatchVisitor
    {
        if (payload.Length < 12)
        {
            return false;
        }
        ReadHeader(payload, out ulong sequence, out int count);
        var p = payload[12..];
        for (int i = 0; i < count; i++)
        {
            if (p.Length < 1)
            {
                return false;
            }
            var kind = (EntryKind)p[0];
            if (kind is not (EntryKind.Put or EntryKind.Delete or EntryKind.RangeDelete))
            {
                return false;
            }
            int n = Varint.TryRead32(p[1..], out uint keyLength);
            if (n == 0 || p.Length < 1 + n + keyLength)
            {
                return false;
            }
            var key = p.Slice(1 + n, (int)keyLength);
            p = p[(1 + n + (int)keyLength)..];
            ReadOnlySpan<byte> value = default;
            if (kind != EntryKind.Delete)
            {
                n = Varint.TryRead32(p, out uint valueLength);
                if (n == 0 || p.Length < n + valueLength)
                {
                    return false;
                }
                value = p.Slice(n, (int)valueLength);
                p = p[(n + (int)valueLength)..];
            }
            visit.Visit(sequence + (ulong)i, kind, key, value);
        }
        return p.Length == 0;
    }
}

/// <summary>Receives decoded batch entries (a struct so the JIT specializes the decode loop).</summary>
internal interface IBatchVisitor
{
    void Visit(ulong sequence, EntryKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}
