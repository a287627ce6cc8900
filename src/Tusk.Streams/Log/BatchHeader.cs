using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Log;

/// <summary>
/// The fixed 61-byte header of a Kafka RecordBatch, magic 2 (all big-endian), as the log stores it:
/// <code>
///  0 baseOffset int64        rewritten by the log (outside the CRC)
///  8 batchLength int32       bytes after this field
/// 12 partitionLeaderEpoch int32  rewritten by the log (outside the CRC)
/// 16 magic int8 = 2
/// 17 crc uint32              CRC32C of bytes 21..end
/// 21 attributes int16        bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control, 6 delete horizon
/// 23 lastOffsetDelta int32
/// 27 baseTimestamp int64
/// 35 maxTimestamp int64
/// 43 producerId int64        -1 when not idempotent
/// 51 producerEpoch int16
/// 53 baseSequence int32
/// 57 records count int32
/// 61 records
/// </code>
/// A plain value parsed from a span; it owns nothing. The layout and the decoding are the protocol library's
/// (<see cref="RecordBatch"/>); this type adds what the log needs on top: derived offsets, sequence arithmetic,
/// and a CRC check that reports a mismatch instead of throwing when the length field is damaged.
/// </summary>
internal readonly struct BatchHeader
{
    public const int BaseOffsetAt = RecordBatch.BaseOffsetAt;
    public const int BatchLengthAt = RecordBatch.BatchLengthAt;
    public const int PartitionLeaderEpochAt = RecordBatch.PartitionLeaderEpochAt;
    public const int MagicAt = RecordBatch.MagicAt;
    public const int CrcAt = RecordBatch.CrcAt;
    public const int AttributesAt = RecordBatch.AttributesAt;
    public const int LastOffsetDeltaAt = RecordBatch.LastOffsetDeltaAt;
    public const int BaseTimestampAt = RecordBatch.BaseTimestampAt;
    public const int MaxTimestampAt = RecordBatch.MaxTimestampAt;
    public const int ProducerIdAt = RecordBatch.ProducerIdAt;
    public const int ProducerEpochAt = RecordBatch.ProducerEpochAt;
    public const int BaseSequenceAt = RecordBatch.BaseSequenceAt;
    public const int RecordCountAt = RecordBatch.RecordCountAt;

    /// <summary>Bytes of the header up to the first record.</summary>
    public const int HeaderBytes = RecordBatch.HeaderBytes;

    /// <summary>baseOffset + batchLength: the bytes not counted by batchLength.</summary>
    public const int LogOverheadBytes = RecordBatch.LogOverheadBytes;

    /// <summary>Smallest legal batchLength (a header with no records).</summary>
    public const int BatchLengthMin = HeaderBytes - LogOverheadBytes;

    /// <summary>The only magic the log stores.</summary>
    public const byte CurrentMagic = 2;

    public const short CompressionMask = 0x07;
    public const short LogAppendTimeFlag = 0x08;
    public const short TransactionalFlag = 0x10;
    public const short ControlFlag = 0x20;

    public long BaseOffset { get; init; }
    public int BatchLength { get; init; }
    public int PartitionLeaderEpoch { get; init; }
    public byte Magic { get; init; }
    public uint Crc { get; init; }
    public short Attributes { get; init; }
    public int LastOffsetDelta { get; init; }
    public long BaseTimestamp { get; init; }
    public long MaxTimestamp { get; init; }
    public long ProducerId { get; init; }
    public short ProducerEpoch { get; init; }
    public int BaseSequence { get; init; }
    public int RecordCount { get; init; }

    /// <summary>Bytes of the whole batch in the log (header overhead included).</summary>
    public long TotalBytes => LogOverheadBytes + (long)BatchLength;

    /// <summary>Offset of the batch's last record (the batch claims the range [BaseOffset, LastOffset]).</summary>
    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>Offset after the batch.</summary>
    public long NextOffset => BaseOffset + LastOffsetDelta + 1;

    /// <summary>Compression codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd).</summary>
    public int Compression => Attributes & CompressionMask;

    /// <summary>True for an idempotent (or transactional) producer's batch.</summary>
    public bool HasProducerId => ProducerId >= 0;

    public bool IsControl => (Attributes & ControlFlag) != 0;

    public bool IsTransactional => (Attributes & TransactionalFlag) != 0;

    public bool IsLogAppendTime => (Attributes & LogAppendTimeFlag) != 0;

    /// <summary>Sequence number of the batch's last record, wrapping as Kafka's producers do.</summary>
    public int LastSequence => IncrementSequence(BaseSequence, LastOffsetDelta);

    /// <summary>Parses the header fields; <paramref name="batch"/> must hold at least <see cref="HeaderBytes"/> bytes.</summary>
    public static BatchHeader Read(ReadOnlySpan<byte> batch)
    {
        Invariant.Check(batch.Length >= HeaderBytes, "a batch header needs 61 bytes");
        var h = RecordBatch.ReadHeader(batch);
        return new BatchHeader
        {
            BaseOffset = h.BaseOffset,
            BatchLength = h.BatchLength,
            PartitionLeaderEpoch = h.PartitionLeaderEpoch,
            Magic = (byte)h.Magic,
            Crc = h.Crc,
            Attributes = h.Attributes,
            LastOffsetDelta = h.LastOffsetDelta,
            BaseTimestamp = h.BaseTimestamp,
            MaxTimestamp = h.MaxTimestamp,
            ProducerId = h.ProducerId,
            ProducerEpoch = h.ProducerEpoch,
            BaseSequence = h.BaseSequence,
            RecordCount = h.RecordCount,
        };
    }

    /// <summary>
    /// True when the bytes at the start of <paramref name="prefix"/> can begin a batch: magic 2 and a batchLength
    /// no smaller than a header. Says nothing about the CRC.
    /// </summary>
    public static bool LooksLikeHeader(ReadOnlySpan<byte> prefix) =>
        prefix.Length >= HeaderBytes
        && prefix[MagicAt] == CurrentMagic
        && BinaryPrimitives.ReadInt32BigEndian(prefix[BatchLengthAt..]) >= BatchLengthMin;

    /// <summary>The CRC a batch should carry: CRC32C of attributes through the end.</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> wholeBatch) => Crc32C.Compute(wholeBatch[AttributesAt..]);

    /// <summary>True when <paramref name="wholeBatch"/> (exactly one batch) has magic 2 and a matching CRC.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> wholeBatch) =>
        LooksLikeHeader(wholeBatch)
        && wholeBatch.Length == LogOverheadBytes + BinaryPrimitives.ReadInt32BigEndian(wholeBatch[BatchLengthAt..])
        && BinaryPrimitives.ReadUInt32BigEndian(wholeBatch[CrcAt..]) == ComputeCrc(wholeBatch);

    /// <summary>Writes the log-assigned fields that lie outside the CRC.</summary>
    public static void Stamp(Span<byte> batch, long baseOffset, int partitionLeaderEpoch)
    {
        RecordBatch.SetBaseOffset(batch, baseOffset);
        RecordBatch.SetPartitionLeaderEpoch(batch, partitionLeaderEpoch);
    }

    /// <summary>Kafka's sequence arithmetic: sequences wrap from int.MaxValue to 0.</summary>
    public static int IncrementSequence(int sequence, int increment) =>
        sequence > int.MaxValue - increment ? increment - (int.MaxValue - sequence) - 1 : sequence + increment;
}
