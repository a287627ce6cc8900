using System.Buffers.Binary;
using Tusk.Core;

namespace Tusk.Protocols.Kafka;

/// <summary>Compression codec of a record batch (attribute bits 0-2).</summary>
public enum CompressionCodec : byte
{
    /// <summary>Uncompressed.</summary>
    None = 0,

    /// <summary>gzip.</summary>
    Gzip = 1,

    /// <summary>Snappy (xerial framing).</summary>
    Snappy = 2,

    /// <summary>LZ4 frame.</summary>
    Lz4 = 3,

    /// <summary>Zstandard.</summary>
    Zstd = 4,
}

/// <summary>What a batch's timestamps mean (attribute bit 3).</summary>
public enum TimestampType : byte
{
    /// <summary>Set by the producer; each record's timestamp is BaseTimestamp + its delta.</summary>
    CreateTime = 0,

    /// <summary>Set by the broker on append; every record's timestamp is the batch's MaxTimestamp.</summary>
    LogAppendTime = 1,
}

/// <summary>
/// The fixed 61-byte header of a v2 (magic 2) record batch, decoded. See <see cref="RecordBatch"/> for the layout.
/// </summary>
public readonly record struct RecordBatchHeader
{
    /// <summary>Offset of the first record (assigned by the broker on append).</summary>
    public long BaseOffset { get; init; }

    /// <summary>Bytes after the BatchLength field: the batch is <see cref="SizeBytes"/> = 12 + BatchLength long.</summary>
    public int BatchLength { get; init; }

    /// <summary>The leader epoch when the batch was appended (-1 from producers).</summary>
    public int PartitionLeaderEpoch { get; init; }

    /// <summary>Format version; always 2 for a parsed header.</summary>
    public sbyte Magic { get; init; }

    /// <summary>CRC32C of the bytes from Attributes to the end of the batch.</summary>
    public uint Crc { get; init; }

    /// <summary>Compression (bits 0-2), timestamp type (bit 3), transactional (bit 4), control (bit 5).</summary>
    public short Attributes { get; init; }

    /// <summary>Offset of the last record minus <see cref="BaseOffset"/> (kept even when compaction removed records).</summary>
    public int LastOffsetDelta { get; init; }

    /// <summary>Timestamp of the first record (CreateTime batches).</summary>
    public long BaseTimestamp { get; init; }

    /// <summary>Largest record timestamp, or the log append time for LogAppendTime batches.</summary>
    public long MaxTimestamp { get; init; }

    /// <summary>Producer id (-1 without idempotence).</summary>
    public long ProducerId { get; init; }

    /// <summary>Producer epoch (-1 without idempotence).</summary>
    public short ProducerEpoch { get; init; }

    /// <summary>Sequence number of the first record (-1 without idempotence).</summary>
    public int BaseSequence { get; init; }

    /// <summary>Number of records.</summary>
    public int RecordCount { get; init; }

    /// <summary>Whole batch size in bytes.</summary>
    public int SizeBytes => RecordBatch.LogOverheadBytes + BatchLength;

    /// <summary>Offset of the last record.</summary>
    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>Compression codec (attribute bits 0-2).</summary>
    public CompressionCodec Compression => (CompressionCodec)(Attributes & RecordBatch.CompressionCodecMask);

    /// <summary>Timestamp type (attribute bit 3).</summary>
    public TimestampType TimestampType =>
        (Attributes & RecordBatch.TimestampTypeFlag) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    /// <summary>Whether the batch belongs to a transaction (attribute bit 4).</summary>
    public bool IsTransactional => (Attributes & RecordBatch.TransactionalFlag) != 0;

    /// <summary>Whether the batch holds a control record: a transaction marker (attribute bit 5).</summary>
    public bool IsControl => (Attributes & RecordBatch.ControlFlag) != 0;
}

/// <summary>
/// A view over the bytes of one v2 (magic 2) record batch, as producers send it, the log stores it and Fetch
/// returns it. The broker never re-encodes a batch: it validates the header and CRC, then rewrites only fields
/// outside the CRC (BaseOffset, PartitionLeaderEpoch) or, for LogAppendTime topics, MaxTimestamp plus the
/// timestamp-type bit followed by a CRC recomputation. Layout (big-endian):
/// <code>
///  0 BaseOffset int64           27 BaseTimestamp int64
///  8 BatchLength int32          35 MaxTimestamp int64
/// 12 PartitionLeaderEpoch int32 43 ProducerId int64
/// 16 Magic int8 (= 2)           51 ProducerEpoch int16
/// 17 Crc uint32                 53 BaseSequence int32
/// 21 Attributes int16           57 RecordCount int32
/// 23 LastOffsetDelta int32      61 records (see <see cref="Record"/>)
/// </code>
/// The CRC (CRC32C) covers bytes 21 to the end, so BaseOffset and PartitionLeaderEpoch can change without it.
/// A ref struct over a span: allocation-free, valid while the span's memory is.
/// </summary>
public readonly ref struct RecordBatch
{
    /// <summary>Size of the fixed header; records start here.</summary>
    public const int HeaderBytes = 61;

    /// <summary>BaseOffset + BatchLength: the bytes not counted by BatchLength.</summary>
    public const int LogOverheadBytes = 12;

    /// <summary>The only batch format Tusk reads or writes.</summary>
    public const sbyte CurrentMagic = 2;

    internal const int CompressionCodecMask = 0x07;
    internal const int TimestampTypeFlag = 0x08;
    internal const int TransactionalFlag = 0x10;
    internal const int ControlFlag = 0x20;

    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int BaseOffsetAt = 0;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int BatchLengthAt = 8;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int PartitionLeaderEpochAt = 12;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int MagicAt = 16;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int CrcAt = 17;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int AttributesAt = 21;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int LastOffsetDeltaAt = 23;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int BaseTimestampAt = 27;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int MaxTimestampAt = 35;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int ProducerIdAt = 43;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int ProducerEpochAt = 51;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int BaseSequenceAt = 53;
    /// <summary>Byte offset of the field in the batch header.</summary>
    public const int RecordCountAt = 57;

    // Invariant: _bytes holds exactly one batch whose header passed TryParseHeader (or is empty for default).
    private readonly ReadOnlySpan<byte> _bytes;

    private RecordBatch(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>The batch's bytes (exactly <see cref="RecordBatchHeader.SizeBytes"/>).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The decoded header.</summary>
    public RecordBatchHeader Header => DecodeHeader(_bytes);

    /// <summary>Offset of the first record.</summary>
    public long BaseOffset => BinaryPrimitives.ReadInt64BigEndian(_bytes[BaseOffsetAt..]);

    /// <summary>Bytes after the BatchLength field.</summary>
    public int BatchLength => BinaryPrimitives.ReadInt32BigEndian(_bytes[BatchLengthAt..]);

    /// <summary>Leader epoch at append.</summary>
    public int PartitionLeaderEpoch => BinaryPrimitives.ReadInt32BigEndian(_bytes[PartitionLeaderEpochAt..]);

    /// <summary>Format version (2).</summary>
    public sbyte Magic => (sbyte)_bytes[MagicAt];

    /// <summary>The stored CRC32C.</summary>
    public uint Crc => BinaryPrimitives.ReadUInt32BigEndian(_bytes[CrcAt..]);

    /// <summary>Attribute bits.</summary>
    public short Attributes => BinaryPrimitives.ReadInt16BigEndian(_bytes[AttributesAt..]);

    /// <summary>Last offset minus base offset.</summary>
    public int LastOffsetDelta => BinaryPrimitives.ReadInt32BigEndian(_bytes[LastOffsetDeltaAt..]);

    /// <summary>First record's timestamp.</summary>
    public long BaseTimestamp => BinaryPrimitives.ReadInt64BigEndian(_bytes[BaseTimestampAt..]);

    /// <summary>Largest timestamp, or the log append time.</summary>
    public long MaxTimestamp => BinaryPrimitives.ReadInt64BigEndian(_bytes[MaxTimestampAt..]);

    /// <summary>Producer id.</summary>
    public long ProducerId => BinaryPrimitives.ReadInt64BigEndian(_bytes[ProducerIdAt..]);

    /// <summary>Producer epoch.</summary>
    public short ProducerEpoch => BinaryPrimitives.ReadInt16BigEndian(_bytes[ProducerEpochAt..]);

    /// <summary>First record's sequence number.</summary>
    public int BaseSequence => BinaryPrimitives.ReadInt32BigEndian(_bytes[BaseSequenceAt..]);

    /// <summary>Number of records.</summary>
    public int RecordCount => BinaryPrimitives.ReadInt32BigEndian(_bytes[RecordCountAt..]);

    /// <summary>Compression codec.</summary>
    public CompressionCodec Compression => (CompressionCodec)(Attributes & CompressionCodecMask);

    /// <summary>Timestamp type.</summary>
    public TimestampType TimestampType => (Attributes & TimestampTypeFlag) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    /// <summary>Transactional bit.</summary>
    public bool IsTransactional => (Attributes & TransactionalFlag) != 0;

    /// <summary>Control bit.</summary>
    public bool IsControl => (Attributes & ControlFlag) != 0;

    /// <summary>The records section (after the header), still encoded and possibly compressed.</summary>
    public ReadOnlySpan<byte> RecordsBytes => _bytes[HeaderBytes..];

    /// <summary>True when the stored CRC matches the bytes from Attributes to the end.</summary>
    public bool VerifyCrc() => _bytes.Length >= HeaderBytes && ComputeCrc(_bytes) == Crc;

    /// <summary>
    /// The records of an uncompressed batch. Throws <see cref="InvalidOperationException"/> for a compressed
    /// batch (check <see cref="Compression"/> first); the enumerator throws <see cref="KafkaProtocolException"/>
    /// when the records do not parse or their count differs from <see cref="RecordCount"/>.
    /// </summary>
    public RecordEnumerator GetRecords()
    {
        if (Compression != CompressionCodec.None)
        {
            throw new InvalidOperationException($"cannot iterate a {Compression}-compressed batch");
        }
        long timestampForAll = TimestampType == TimestampType.LogAppendTime ? MaxTimestamp : -1;
        return new RecordEnumerator(RecordsBytes, RecordCount, BaseOffset, BaseTimestamp, timestampForAll,
            TimestampType == TimestampType.LogAppendTime);
    }

    /// <summary>
    /// Views the batch at the start of <paramref name="bytes"/> (trailing bytes are not part of it). Fails when
    /// the header does not parse or the bytes end before the batch does.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out RecordBatch batch, out string error)
    {
        batch = default;
        if (!TryParseHeader(bytes, out var header, out error))
        {
            return false;
        }
        if (bytes.Length < header.SizeBytes)
        {
            error = $"batch of {header.SizeBytes} bytes truncated to {bytes.Length}";
            return false;
        }
        batch = new RecordBatch(bytes[..header.SizeBytes]);
        return true;
    }

    /// <summary>Like <see cref="TryParse"/>, raising <see cref="KafkaProtocolException"/> on failure.</summary>
    public static RecordBatch Parse(ReadOnlySpan<byte> bytes) =>
        TryParse(bytes, out var batch, out string error) ? batch : throw new KafkaProtocolException(error);

    /// <summary>
    /// Decodes and checks the fixed header at the start of <paramref name="bytes"/>: at least 61 bytes, magic 2,
    /// a batch length that covers the header, a non-negative record count. Does not need the records to be present
    /// and does not check the CRC.
    /// </summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> bytes, out RecordBatchHeader header, out string error)
    {
        header = default;
        if (bytes.Length > MagicAt && (sbyte)bytes[MagicAt] != CurrentMagic)
        {
            error = $"unsupported record batch magic {(sbyte)bytes[MagicAt]} (only v2 batches are accepted)";
            return false;
        }
        if (bytes.Length < HeaderBytes)
        {
            error = $"record batch header truncated ({bytes.Length} of {HeaderBytes} bytes)";
            return false;
        }
        header = DecodeHeader(bytes);
        if (header.BatchLength < HeaderBytes - LogOverheadBytes || header.BatchLength > int.MaxValue - LogOverheadBytes)
        {
            error = $"record batch length {header.BatchLength} is shorter than the header or too large";
            header = default;
            return false;
        }
        if (header.RecordCount < 0)
        {
            error = $"negative record count {header.RecordCount}";
            header = default;
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>
    /// Decodes the 61 header bytes as they are, without validating them (for callers that validate on their own
    /// terms, such as recovery telling a torn tail from damage). Throws when fewer than 61 bytes are given.
    /// </summary>
    public static RecordBatchHeader ReadHeader(ReadOnlySpan<byte> bytes)
    {
        CheckHeaderPresent(bytes);
        return DecodeHeader(bytes);
    }

    private static RecordBatchHeader DecodeHeader(ReadOnlySpan<byte> b) => new()
    {
        BaseOffset = BinaryPrimitives.ReadInt64BigEndian(b[BaseOffsetAt..]),
        BatchLength = BinaryPrimitives.ReadInt32BigEndian(b[BatchLengthAt..]),
        PartitionLeaderEpoch = BinaryPrimitives.ReadInt32BigEndian(b[PartitionLeaderEpochAt..]),
        Magic = (sbyte)b[MagicAt],
        Crc = BinaryPrimitives.ReadUInt32BigEndian(b[CrcAt..]),
        Attributes = BinaryPrimitives.ReadInt16BigEndian(b[AttributesAt..]),
        LastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(b[LastOffsetDeltaAt..]),
        BaseTimestamp = BinaryPrimitives.ReadInt64BigEndian(b[BaseTimestampAt..]),
        MaxTimestamp = BinaryPrimitives.ReadInt64BigEndian(b[MaxTimestampAt..]),
        ProducerId = BinaryPrimitives.ReadInt64BigEndian(b[ProducerIdAt..]),
        ProducerEpoch = BinaryPrimitives.ReadInt16BigEndian(b[ProducerEpochAt..]),
        BaseSequence = BinaryPrimitives.ReadInt32BigEndian(b[BaseSequenceAt..]),
        RecordCount = BinaryPrimitives.ReadInt32BigEndian(b[RecordCountAt..]),
    };

    /// <summary>
    /// CRC32C of a batch's bytes from Attributes to the end of the batch (as BatchLength states it).
    /// <paramref name="batch"/> must hold the whole batch.
    /// </summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Crc32C.Compute(CrcCovered(batch));

    /// <summary>Recomputes and stores the CRC of the batch at the start of <paramref name="batch"/>.</summary>
    public static void WriteCrc(Span<byte> batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcAt..], ComputeCrc(batch));

    /// <summary>Sets BaseOffset (outside the CRC: the stored CRC stays valid).</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset)
    {
        CheckHeaderPresent(batch);
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetAt..], baseOffset);
    }

    /// <summary>Sets PartitionLeaderEpoch (outside the CRC: the stored CRC stays valid).</summary>
    public static void SetPartitionLeaderEpoch(Span<byte> batch, int partitionLeaderEpoch)
    {
        CheckHeaderPresent(batch);
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochAt..], partitionLeaderEpoch);
    }

    /// <summary>
    /// Sets the timestamp type bit and MaxTimestamp, then recomputes the CRC (both lie inside it). This is how a
    /// broker stamps LogAppendTime: records keep their deltas, and readers take MaxTimestamp for every record.
    /// </summary>
    public static void SetMaxTimestamp(Span<byte> batch, TimestampType timestampType, long maxTimestamp)
    {
        CheckHeaderPresent(batch);
        short attributes = BinaryPrimitives.ReadInt16BigEndian(batch[AttributesAt..]);
        attributes = timestampType == TimestampType.LogAppendTime
            ? (short)(attributes | TimestampTypeFlag)
            : (short)(attributes & ~TimestampTypeFlag);
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesAt..], attributes);
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampAt..], maxTimestamp);
        WriteCrc(batch);
    }

    /// <summary>Stamps a LogAppendTime batch: <see cref="SetMaxTimestamp"/> with <see cref="TimestampType.LogAppendTime"/>.</summary>
    public static void SetLogAppendTime(Span<byte> batch, long logAppendTimeMs) =>
        SetMaxTimestamp(batch, TimestampType.LogAppendTime, logAppendTimeMs);

    /// <summary>
    /// Walks the batches concatenated in <paramref name="records"/> (a Produce partition's records, a log
    /// segment's bytes). Each step checks the header (<see cref="TryParseHeader"/>); a header that does not parse
    /// or a batch that runs past the end raises <see cref="KafkaProtocolException"/>, unless
    /// <paramref name="allowPartialTail"/>: then a truncated last batch just ends the walk (Fetch responses may
    /// end inside a batch). CRCs are not checked here.
    /// </summary>
    public static RecordBatchSplitter Split(ReadOnlySpan<byte> records, bool allowPartialTail = false) =>
        new(records, allowPartialTail);

    private static ReadOnlySpan<byte> CrcCovered(ReadOnlySpan<byte> batch)
    {
        CheckHeaderPresent(batch);
        long size = LogOverheadBytes + (long)BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthAt..]);
        if (size < HeaderBytes || size > batch.Length)
        {
            throw new ArgumentException($"span of {batch.Length} bytes does not hold the {size}-byte batch it starts", nameof(batch));
        }
        return batch[AttributesAt..(int)size];
    }

    private static void CheckHeaderPresent(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderBytes)
        {
            throw new ArgumentException($"a record batch needs at least {HeaderBytes} bytes, got {batch.Length}", nameof(batch));
        }
    }
}

/// <summary>
/// Enumerates the (offset, length) of each batch in a buffer of concatenated v2 batches; see
/// <see cref="RecordBatch.Split"/>. Use with <c>foreach</c>.
/// </summary>
public ref struct RecordBatchSplitter
{
    private readonly ReadOnlySpan<byte> _records;
    private readonly bool _allowPartialTail;
    private int _next;

    internal RecordBatchSplitter(ReadOnlySpan<byte> records, bool allowPartialTail)
    {
        _records = records;
        _allowPartialTail = allowPartialTail;
        _next = 0;
        Current = default;
    }

    /// <summary>The current batch's position and size within the buffer.</summary>
    public (int Offset, int Length) Current { get; private set; }

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly RecordBatchSplitter GetEnumerator() => this;

    /// <summary>Steps to the next batch; false at the end of the buffer.</summary>
    public bool MoveNext()
    {
        var rest = _records[_next..];
        if (rest.IsEmpty)
        {
            return false;
        }
        if (_allowPartialTail && rest.Length < RecordBatch.HeaderBytes)
        {
            _next = _records.Length;
            return false;
        }
        if (!RecordBatch.TryParseHeader(rest, out var header, out string error))
        {
            throw new KafkaProtocolException($"record batch at byte {_next}: {error}");
        }
        if (header.SizeBytes > rest.Length)
        {
            if (_allowPartialTail)
            {
                _next = _records.Length;
                return false;
            }
            throw new KafkaProtocolException($"record batch at byte {_next} of {header.SizeBytes} bytes is truncated to {rest.Length}");
        }
        Current = (_next, header.SizeBytes);
        _next += header.SizeBytes;
        return true;
    }
}
