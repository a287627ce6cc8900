using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Log;

/// <summary>What <see cref="BatchValidator.Validate"/> found in an append's bytes.</summary>
internal readonly record struct ValidatedAppend(int BatchCount, long OffsetCount, bool HasProducerId);

/// <summary>
/// Checks produced batches before the log accepts them, with Kafka's error codes (LogValidator's rules for
/// magic 2): whole batches only, magic 2, CRC, size limits, a consistent offset range and record count, records
/// that parse and fill the batch with dense offset deltas, valid idempotence fields, and keys on compacted
/// topics. Compressed batches are stored as produced (only header fields are needed) on delete-policy logs and
/// refused with UNSUPPORTED_COMPRESSION_TYPE on compacted ones, whose records the cleaner must read.
/// Transactional and control batches are refused (no transaction coordinator yet). Pure: reads only its input.
/// </summary>
internal static class BatchValidator
{
    /// <summary>Highest valid compression codec (zstd).</summary>
    private const int CompressionCodecMax = 4;

    /// <summary>Validates every batch in <paramref name="batches"/>; returns <see cref="ErrorCode.None"/> or the first failure.</summary>
    public static ErrorCode Validate(ReadOnlySpan<byte> batches, PartitionLogOptions options, out ValidatedAppend result, out string? message)
    {
        result = default;
        if (batches.IsEmpty)
        {
            message = "an append needs at least one record batch";
            return ErrorCode.InvalidRecord;
        }
        if (batches.Length > options.SegmentBytes)
        {
            message = $"append of {batches.Length} bytes is larger than segment.bytes ({options.SegmentBytes})";
            return ErrorCode.RecordListTooLarge;
        }
        int count = 0;
        long offsets = 0;
        bool hasProducerId = false;
        int position = 0;
        while (position < batches.Length)
        {
            ReadOnlySpan<byte> rest = batches[position..];
            if (rest.Length < BatchHeader.HeaderBytes)
            {
                message = $"batch at byte {position} is truncated ({rest.Length} bytes, a header needs {BatchHeader.HeaderBytes})";
                return ErrorCode.CorruptMessage;
            }
            if (rest[BatchHeader.MagicAt] != BatchHeader.CurrentMagic)
            {
                message = $"batch at byte {position} has magic {rest[BatchHeader.MagicAt]}; only magic 2 record batches are accepted";
                return ErrorCode.UnsupportedForMessageFormat;
            }
            int batchLength = BinaryPrimitives.ReadInt32BigEndian(rest[BatchHeader.BatchLengthAt..]);
            if (batchLength < BatchHeader.BatchLengthMin || batchLength > rest.Length - BatchHeader.LogOverheadBytes)
            {
                message = $"batch at byte {position} declares batchLength {batchLength}, but {rest.Length - BatchHeader.LogOverheadBytes} bytes follow";
                return ErrorCode.CorruptMessage;
            }
            ReadOnlySpan<byte> batch = rest[..(BatchHeader.LogOverheadBytes + batchLength)];
            if (batch.Length > options.MaxBatchBytes)
            {
                message = $"batch at byte {position} is {batch.Length} bytes, larger than max.message.bytes ({options.MaxBatchBytes})";
                return ErrorCode.MessageTooLarge;
            }
            var header = BatchHeader.Read(batch);
            if (header.Crc != BatchHeader.ComputeCrc(batch))
            {
                message = $"batch at byte {position} fails its CRC";
                return ErrorCode.CorruptMessage;
            }
            var code = ValidateBatch(batch, header, options, out message);
            if (code != ErrorCode.None)
            {
                message = $"batch at byte {position}: {message}";
                return code;
            }
            hasProducerId |= header.HasProducerId;
            count++;
            offsets += header.LastOffsetDelta + 1L;
            position += batch.Length;
        }
        if (hasProducerId && count > 1)
        {
            // Kafka's produce v3+ carries exactly one batch per partition. Idempotence needs it: a crash may keep
            // a prefix of a multi-batch write, and the retry would then be half duplicate, half new.
            message = "an idempotent producer's batch must be appended alone (one batch per partition per produce)";
            return ErrorCode.InvalidRecord;
        }
        result = new ValidatedAppend(count, offsets, hasProducerId);
        message = null;
        return ErrorCode.None;
    }

    private static ErrorCode ValidateBatch(ReadOnlySpan<byte> batch, in BatchHeader header, PartitionLogOptions options, out string? message)
    {
        if (header.IsTransactional || header.IsControl)
        {
            message = "transactional and control batches are not supported";
            return ErrorCode.InvalidRecord;
        }
        if (header.RecordCount <= 0 || header.LastOffsetDelta < 0 || header.LastOffsetDelta != header.RecordCount - 1)
        {
            message = $"inconsistent offset range (lastOffsetDelta {header.LastOffsetDelta}) and record count {header.RecordCount}";
            return ErrorCode.InvalidRecord;
        }
        if (header.HasProducerId && (header.ProducerEpoch < 0 || header.BaseSequence < 0))
        {
            message = $"producer {header.ProducerId} sent epoch {header.ProducerEpoch} and sequence {header.BaseSequence}; both must be >= 0";
            return ErrorCode.InvalidRecord;
        }
        if (header.Compression > CompressionCodecMax)
        {
            message = $"unknown compression codec {header.Compression}";
            return ErrorCode.UnsupportedCompressionType;
        }
        bool compacted = options.CleanupPolicy.HasFlag(CleanupPolicy.Compact);
        if (header.Compression != 0)
        {
            if (compacted)
            {
                message = "compressed batches are not accepted on compacted topics yet";
                return ErrorCode.UnsupportedCompressionType;
            }
            message = null;
            return ErrorCode.None; // stored as produced; the records stay opaque to the log
        }
        return ValidateRecords(batch, header, compacted, out message);
    }

    private static ErrorCode ValidateRecords(ReadOnlySpan<byte> batch, in BatchHeader header, bool requireKeys, out string? message)
    {
        // The fast walk checks what the detailed one does but builds nothing; a batch it rejects is walked again
        // by the detailed reader, which says what is wrong.
        ReadOnlySpan<byte> records = batch[BatchHeader.HeaderBytes..];
        int position = 0;
        int count = header.RecordCount;
        for (int i = 0; i < count; i++)
        {
            if (!TrySkipRecord(records, ref position, i, requireKeys))
            {
                return DescribeRecordError(batch, header, requireKeys, out message);
            }
        }
        if (position != records.Length)
        {
            return DescribeRecordError(batch, header, requireKeys, out message);
        }
        message = null;
        return ErrorCode.None;
    }

    /// <summary>
    /// Steps over one record (layout in <see cref="RecordView"/>) when it is well formed, has offset delta
    /// <paramref name="expectedOffsetDelta"/> and, if <paramref name="requireKey"/>, a key; false otherwise.
    /// </summary>
    private static bool TrySkipRecord(ReadOnlySpan<byte> records, ref int position, int expectedOffsetDelta, bool requireKey)
    {
        int p = position;
        if (!RecordReader.TryReadVarint(records, ref p, out long length) || length < 1 || length > records.Length - p)
        {
            return false;
        }
        ReadOnlySpan<byte> body = records[..(p + (int)length)];
        p++; // attributes int8, unused in v2
        if (!RecordReader.TryReadVarint(body, ref p, out _)
            || !RecordReader.TryReadVarint(body, ref p, out long offsetDelta) || offsetDelta != expectedOffsetDelta
            || !RecordReader.TryReadBytes(body, ref p, out bool keyIsNull, out _) || (requireKey && keyIsNull)
            || !RecordReader.TryReadBytes(body, ref p, out _, out _)
            || !RecordReader.TryReadVarint(body, ref p, out long headerCount) || headerCount < 0)
        {
            return false;
        }
        for (long h = 0; h < headerCount; h++)
        {
            if (!RecordReader.TryReadBytes(body, ref p, out bool headerKeyIsNull, out _) || headerKeyIsNull || !RecordReader.TryReadBytes(body, ref p, out _, out _))
            {
                return false;
            }
        }
        if (p != body.Length)
        {
            return false;
        }
        position = p;
        return true;
    }

    /// <summary>The detailed walk: finds the first bad record and says what is wrong with it.</summary>
    private static ErrorCode DescribeRecordError(ReadOnlySpan<byte> batch, in BatchHeader header, bool requireKeys, out string? message)
    {
        var code = WalkRecords(batch, header, requireKeys, out message);
        Invariant.Check(code != ErrorCode.None, "the detailed record walk accepts a batch the fast one refused");
        return code;
    }

    /// <summary>Checks every record with <see cref="RecordReader"/> (the reference the fast walk must agree with).</summary>
    internal static ErrorCode WalkRecords(ReadOnlySpan<byte> batch, in BatchHeader header, bool requireKeys, out string? message)
    {
        var reader = new RecordReader(batch);
        for (int i = 0; i < header.RecordCount; i++)
        {
            if (!reader.TryNext(out var record, out message))
            {
                return ErrorCode.CorruptMessage;
            }
            if (record.OffsetDelta != i)
            {
                message = $"record {i} has offset delta {record.OffsetDelta}; produced batches number records 0, 1, 2, ...";
                return ErrorCode.InvalidRecord;
            }
            if (requireKeys && record.KeyIsNull)
            {
                message = "compacted topic cannot accept a record without a key";
                return ErrorCode.InvalidRecord;
            }
        }
        if (!reader.AtEnd)
        {
            message = $"{header.RecordCount} records leave bytes unread in the batch";
            return ErrorCode.CorruptMessage;
        }
        message = null;
        return ErrorCode.None;
    }
}
