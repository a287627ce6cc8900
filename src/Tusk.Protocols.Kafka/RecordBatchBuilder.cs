using System.Buffers.Binary;
using System.Text;
using Tusk.Core;

namespace Tusk.Protocols.Kafka;

/// <summary>
/// Builds one uncompressed v2 record batch with a correct CRC (see <see cref="RecordBatch"/> for the layout).
/// Used by log compaction to rewrite the records it keeps and by tests to make batches. Records are appended in
/// offset order; the first record's timestamp becomes BaseTimestamp, the last offset delta becomes
/// LastOffsetDelta and the largest timestamp MaxTimestamp. Reusable through <see cref="Reset"/>; single-threaded.
/// </summary>
public sealed class RecordBatchBuilder
{
    private byte[] _buffer;
    private int _length;
    private int _recordCount;
    private int _lastOffsetDelta = -1;
    private long _baseTimestamp;
    private long _maxTimestamp;

    /// <summary>Creates a builder for a batch starting at <paramref name="baseOffset"/>.</summary>
    public RecordBatchBuilder(long baseOffset = 0, int capacityBytes = 256)
    {
        _buffer = new byte[Math.Max(capacityBytes, RecordBatch.HeaderBytes)];
        BaseOffset = baseOffset;
        Reset();
    }

    /// <summary>BaseOffset written into the header.</summary>
    public long BaseOffset { get; set; }

    /// <summary>PartitionLeaderEpoch written into the header (-1 as producers send it).</summary>
    public int PartitionLeaderEpoch { get; set; } = -1;

    /// <summary>Producer id (-1 without idempotence).</summary>
    public long ProducerId { get; set; } = -1;

    /// <summary>Producer epoch (-1 without idempotence).</summary>
    public short ProducerEpoch { get; set; } = -1;

    /// <summary>Sequence of the first record (-1 without idempotence).</summary>
    public int BaseSequence { get; set; } = -1;

    /// <summary>Timestamp type bit. For LogAppendTime the record deltas are still written from the given timestamps.</summary>
    public TimestampType TimestampType { get; set; }

    /// <summary>Transactional bit.</summary>
    public bool IsTransactional { get; set; }

    /// <summary>Control bit (the batch holds a transaction marker).</summary>
    public bool IsControl { get; set; }

    /// <summary>Records appended since the last <see cref="Reset"/>.</summary>
    public int RecordCount => _recordCount;

    /// <summary>Starts a new batch, keeping the header settings.</summary>
    public void Reset()
    {
        _length = RecordBatch.HeaderBytes;
        _recordCount = 0;
        _lastOffsetDelta = -1;
        _baseTimestamp = -1;
        _maxTimestamp = -1;
    }

    /// <summary>Appends a record with byte-array key and value (null = null) and optional headers.</summary>
    public void Append(int offsetDelta, long timestampMs, byte[]? key, byte[]? value,
        IReadOnlyList<KeyValuePair<string, byte[]?>>? headers = null) =>
        Append(offsetDelta, timestampMs, key, key == null, value, value == null, headers);

    /// <summary>
    /// Appends a record. <paramref name="offsetDelta"/> must exceed the previous record's (offsets increase
    /// within a batch).
    /// </summary>
    public void Append(int offsetDelta, long timestampMs, ReadOnlySpan<byte> key, bool keyIsNull,
        ReadOnlySpan<byte> value, bool valueIsNull, IReadOnlyList<KeyValuePair<string, byte[]?>>? headers = null)
    {
        int headerCount = headers?.Count ?? 0;
        int headersBytes = 0;
        for (int i = 0; i < headerCount; i++)
        {
            int keyBytes = Encoding.UTF8.GetByteCount(headers![i].Key);
            byte[]? headerValue = headers[i].Value;
            headersBytes += VarintSize(keyBytes) + keyBytes + VarintSize(headerValue?.Length ?? -1) + (headerValue?.Length ?? 0);
        }
        var body = BeginRecord(offsetDelta, timestampMs, key, keyIsNull, value, valueIsNull, headerCount, headersBytes);
        for (int i = 0; i < headerCount; i++)
        {
            var (headerKey, headerValue) = headers![i];
            int keyBytes = Encoding.UTF8.GetByteCount(headerKey);
            body = body[WriteVarint(body, keyBytes)..];
            body = body[Encoding.UTF8.GetBytes(headerKey, body)..];
            body = body[WriteVarint(body, headerValue?.Length ?? -1)..];
            if (headerValue != null)
            {
                headerValue.CopyTo(body);
                body = body[headerValue.Length..];
            }
        }
        Invariant.Check(body.IsEmpty, "record size computed and written differ");
    }

    /// <summary>
    /// Appends a copy of <paramref name="record"/> from another batch at a new offset delta and an absolute
    /// timestamp (compaction keeps a record's offset and timestamp while its batch changes). Headers are copied
    /// as encoded.
    /// </summary>
    public void AppendCopy(Record record, int offsetDelta, long timestampMs)
    {
        var body = BeginRecord(offsetDelta, timestampMs, record.Key, record.KeyIsNull, record.Value, record.ValueIsNull,
            record.HeaderCount, record.HeadersBytes.Length);
        record.HeadersBytes.CopyTo(body);
        Invariant.Check(body.Length == record.HeadersBytes.Length, "record size computed and written differ");
    }

    /// <summary>The finished batch as a new array; the builder keeps its records until <see cref="Reset"/>.</summary>
    public byte[] Build()
    {
        var batch = Finish();
        return batch.ToArray();
    }

    /// <summary>Finishes the batch in the builder's buffer and returns a view of it, valid until the next call.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        if (_recordCount == 0)
        {
            throw new InvalidOperationException("a record batch needs at least one record");
        }
        var b = _buffer.AsSpan(0, _length);
        BinaryPrimitives.WriteInt64BigEndian(b[RecordBatch.BaseOffsetAt..], BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(b[RecordBatch.BatchLengthAt..], _length - RecordBatch.LogOverheadBytes);
        BinaryPrimitives.WriteInt32BigEndian(b[RecordBatch.PartitionLeaderEpochAt..], PartitionLeaderEpoch);
        b[RecordBatch.MagicAt] = (byte)RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(b[RecordBatch.AttributesAt..], Attributes());
        BinaryPrimitives.WriteInt32BigEndian(b[RecordBatch.LastOffsetDeltaAt..], _lastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(b[RecordBatch.BaseTimestampAt..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(b[RecordBatch.MaxTimestampAt..], _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(b[RecordBatch.ProducerIdAt..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(b[RecordBatch.ProducerEpochAt..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(b[RecordBatch.BaseSequenceAt..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(b[RecordBatch.RecordCountAt..], _recordCount);
        RecordBatch.WriteCrc(b);
        return b;
    }

    private short Attributes()
    {
        int attributes = (int)CompressionCodec.None;
        if (TimestampType == TimestampType.LogAppendTime)
        {
            attributes |= RecordBatch.TimestampTypeFlag;
        }
        if (IsTransactional)
        {
            attributes |= RecordBatch.TransactionalFlag;
        }
        if (IsControl)
        {
            attributes |= RecordBatch.ControlFlag;
        }
        return (short)attributes;
    }

    /// <summary>
    /// Writes a record's length and fields up to its header count, and returns the span its
    /// <paramref name="headersBytes"/> of encoded headers must fill exactly.
    /// </summary>
    private Span<byte> BeginRecord(int offsetDelta, long timestampMs, ReadOnlySpan<byte> key, bool keyIsNull,
        ReadOnlySpan<byte> value, bool valueIsNull, int headerCount, int headersBytes)
    {
        if (offsetDelta <= _lastOffsetDelta)
        {
            throw new ArgumentOutOfRangeException(nameof(offsetDelta), offsetDelta,
                $"offset deltas must increase within a batch (previous {_lastOffsetDelta})");
        }
        if (_recordCount == 0)
        {
            _baseTimestamp = timestampMs;
            _maxTimestamp = timestampMs;
        }
        long timestampDelta = timestampMs - _baseTimestamp;
        int keyLength = keyIsNull ? -1 : key.Length;
        int valueLength = valueIsNull ? -1 : value.Length;
        long bodyBytes = 1 + VarlongSize(timestampDelta) + VarintSize(offsetDelta)
            + VarintSize(keyLength) + Math.Max(keyLength, 0)
            + VarintSize(valueLength) + Math.Max(valueLength, 0)
            + VarintSize(headerCount) + headersBytes;
        if (bodyBytes > int.MaxValue - _length - Varint.MaxLength32)
        {
            throw new ArgumentException("record does not fit in a batch");
        }
        var s = Grow(VarintSize((int)bodyBytes) + (int)bodyBytes);
        s = s[WriteVarint(s, (int)bodyBytes)..];
        s[0] = 0; // record attributes: unused
        s = s[1..];
        s = s[WriteVarlong(s, timestampDelta)..];
        s = s[WriteVarint(s, offsetDelta)..];
        s = s[WriteVarint(s, keyLength)..];
        key.CopyTo(s);
        s = s[Math.Max(keyLength, 0)..];
        s = s[WriteVarint(s, valueLength)..];
        value.CopyTo(s);
        s = s[Math.Max(valueLength, 0)..];
        s = s[WriteVarint(s, headerCount)..];
        _recordCount++;
        _lastOffsetDelta = offsetDelta;
        _maxTimestamp = Math.Max(_maxTimestamp, timestampMs);
        return s;
    }

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(2L * _buffer.Length, (long)_length + count)));
        }
        var s = _buffer.AsSpan(_length, count);
        _length += count;
        return s;
    }

    private static ulong ZigZag(int v) => (uint)((v << 1) ^ (v >> 31));

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    private static int VarintSize(int v) => Varint.Length(ZigZag(v));

    private static int VarlongSize(long v) => Varint.Length(ZigZag(v));

    private static int WriteVarint(Span<byte> destination, int v) => Varint.Write(destination, ZigZag(v));

    private static int WriteVarlong(Span<byte> destination, long v) => Varint.Write(destination, ZigZag(v));
}
