using System.Buffers.Binary;
using System.Text;
using Tusk.Core;

namespace Tusk.Streams.Tests;

/// <summary>One record to put in a test batch; null key or value means Kafka's null.</summary>
internal sealed record TestRecord(byte[]? Key, byte[]? Value, long TimestampMs)
{
    public static TestRecord Of(string? key, string? value, long timestampMs = 1000) =>
        new(key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value), timestampMs);

    public string? KeyText => Key is null ? null : Encoding.UTF8.GetString(Key);

    public string? ValueText => Value is null ? null : Encoding.UTF8.GetString(Value);
}

/// <summary>A record decoded from the log, with its absolute offset.</summary>
internal sealed record StoredRecord(long Offset, string? Key, string? Value, long TimestampMs);

/// <summary>
/// Writes valid Kafka RecordBatch v2 bytes (independently of the code under test): the test's own encoder, so a
/// round trip checks the log against the format, not against itself.
/// </summary>
internal static class BatchBuilder
{
    /// <summary>A batch of <paramref name="records"/> (offset deltas 0, 1, ...), CRC32C set.</summary>
    public static byte[] Build(IReadOnlyList<TestRecord> records, long producerId = -1, short producerEpoch = -1, int baseSequence = -1,
        short attributes = 0, long baseOffset = 0, int leaderEpoch = -1)
    {
        long baseTimestamp = records.Count > 0 ? records[0].TimestampMs : 0;
        long maxTimestamp = records.Count > 0 ? records.Max(r => r.TimestampMs) : -1;
        var body = new List<byte>();
        for (int i = 0; i < records.Count; i++)
        {
            var record = EncodeRecord(records[i], i, baseTimestamp);
            WriteVarint(body, record.Count);
            body.AddRange(record);
        }
        return Assemble(body.ToArray(), records.Count, records.Count - 1, baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence, attributes, baseOffset, leaderEpoch);
    }

    /// <summary>A batch whose records section is the given opaque bytes (e.g. a "compressed" payload).</summary>
    public static byte[] BuildOpaque(byte[] recordsSection, int recordCount, short attributes, long timestampMs = 1000) =>
        Assemble(recordsSection, recordCount, recordCount - 1, timestampMs, timestampMs, -1, -1, -1, attributes, 0, -1);

    /// <summary>A batch of simple key/value records with timestamps <paramref name="timestampMs"/>, +1, ...</summary>
    public static byte[] KeyValues(long timestampMs, params (string? Key, string? Value)[] pairs) =>
        Build(pairs.Select((p, i) => TestRecord.Of(p.Key, p.Value, timestampMs + i)).ToList());

    /// <summary>An idempotent producer's batch of <paramref name="count"/> records.</summary>
    public static byte[] Idempotent(long producerId, short epoch, int baseSequence, int count = 1, long timestampMs = 1000) =>
        Build(Enumerable.Range(0, count).Select(i => TestRecord.Of($"k{baseSequence + i}", $"v{baseSequence + i}", timestampMs)).ToList(),
            producerId, epoch, baseSequence);

    /// <summary>Recomputes the CRC of a batch after a test changed it.</summary>
    public static void Reseal(Span<byte> batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch[17..], Crc32C.Compute(batch[21..]));

    private static byte[] Assemble(byte[] records, int count, int lastOffsetDelta, long baseTimestamp, long maxTimestamp,
        long producerId, short producerEpoch, int baseSequence, short attributes, long baseOffset, int leaderEpoch)
    {
        var batch = new byte[61 + records.Length];
        var s = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(s[8..], batch.Length - 12);
        BinaryPrimitives.WriteInt32BigEndian(s[12..], leaderEpoch);
        s[16] = 2;
        BinaryPrimitives.WriteInt16BigEndian(s[21..], attributes);
        BinaryPrimitives.WriteInt32BigEndian(s[23..], lastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(s[27..], baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(s[35..], maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(s[43..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(s[51..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(s[53..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(s[57..], count);
        records.CopyTo(s[61..]);
        Reseal(s);
        return batch;
    }

    private static List<byte> EncodeRecord(TestRecord record, int offsetDelta, long baseTimestamp)
    {
        var bytes = new List<byte> { 0 }; // attributes
        WriteVarint(bytes, record.TimestampMs - baseTimestamp);
        WriteVarint(bytes, offsetDelta);
        WriteBytes(bytes, record.Key);
        WriteBytes(bytes, record.Value);
        WriteVarint(bytes, 1); // one header, to exercise header parsing
        WriteBytes(bytes, "h"u8.ToArray());
        WriteBytes(bytes, null);
        return bytes;
    }

    private static void WriteBytes(List<byte> output, byte[]? bytes)
    {
        if (bytes is null)
        {
            WriteVarint(output, -1);
            return;
        }
        WriteVarint(output, bytes.Length);
        output.AddRange(bytes);
    }

    private static void WriteVarint(List<byte> output, long value)
    {
        ulong v = (ulong)((value << 1) ^ (value >> 63));
        while (v >= 0x80)
        {
            output.Add((byte)(v | 0x80));
            v >>= 7;
        }
        output.Add((byte)v);
    }
}

/// <summary>Decodes what <see cref="Tusk.Streams.Log.PartitionLog.Read"/> returns, checking the format as a consumer would.</summary>
internal static class BatchDecoder
{
    public readonly record struct Batch(long BaseOffset, int LastOffsetDelta, int LeaderEpoch, long ProducerId, int Length, long MaxTimestamp)
    {
        public long LastOffset => BaseOffset + LastOffsetDelta;
    }

    /// <summary>The batches in <paramref name="bytes"/>, CRC-checked.</summary>
    public static List<Batch> Batches(ReadOnlySpan<byte> bytes)
    {
        var batches = new List<Batch>();
        int p = 0;
        while (p < bytes.Length)
        {
            var b = bytes[p..];
            int length = 12 + BinaryPrimitives.ReadInt32BigEndian(b[8..]);
            if (b[16] != 2 || BinaryPrimitives.ReadUInt32BigEndian(b[17..]) != Crc32C.Compute(b[21..length]))
            {
                throw new InvalidOperationException($"batch at byte {p} is not a valid v2 batch");
            }
            batches.Add(new Batch(BinaryPrimitives.ReadInt64BigEndian(b), BinaryPrimitives.ReadInt32BigEndian(b[23..]),
                BinaryPrimitives.ReadInt32BigEndian(b[12..]), BinaryPrimitives.ReadInt64BigEndian(b[43..]), length,
                BinaryPrimitives.ReadInt64BigEndian(b[35..])));
            p += length;
        }
        return batches;
    }

    /// <summary>The records in <paramref name="bytes"/> (uncompressed batches), with absolute offsets.</summary>
    public static List<StoredRecord> Records(ReadOnlySpan<byte> bytes)
    {
        var records = new List<StoredRecord>();
        int p = 0;
        while (p < bytes.Length)
        {
            var b = bytes[p..];
            int length = 12 + BinaryPrimitives.ReadInt32BigEndian(b[8..]);
            long baseOffset = BinaryPrimitives.ReadInt64BigEndian(b);
            long baseTimestamp = BinaryPrimitives.ReadInt64BigEndian(b[27..]);
            int count = BinaryPrimitives.ReadInt32BigEndian(b[57..]);
            int q = 61;
            for (int i = 0; i < count; i++)
            {
                long recordLength = ReadVarint(b, ref q);
                int end = q + (int)recordLength;
                q++; // attributes
                long timestampDelta = ReadVarint(b, ref q);
                long offsetDelta = ReadVarint(b, ref q);
                string? key = ReadString(b, ref q);
                string? value = ReadString(b, ref q);
                records.Add(new StoredRecord(baseOffset + offsetDelta, key, value, baseTimestamp + timestampDelta));
                q = end;
            }
            if (q != length)
            {
                throw new InvalidOperationException($"records of the batch at byte {p} end at {q}, the batch at {length}");
            }
            p += length;
        }
        return records;
    }

    private static string? ReadString(ReadOnlySpan<byte> b, ref int q)
    {
        long length = ReadVarint(b, ref q);
        if (length < 0)
        {
            return null;
        }
        string s = Encoding.UTF8.GetString(b.Slice(q, (int)length));
        q += (int)length;
        return s;
    }

    private static long ReadVarint(ReadOnlySpan<byte> b, ref int q)
    {
        ulong v = 0;
        int shift = 0;
        while (true)
        {
            byte x = b[q++];
            v |= (ulong)(x & 0x7f) << shift;
            if (x < 0x80)
            {
                break;
            }
            shift += 7;
        }
        return (long)(v >> 1) ^ -(long)(v & 1);
    }
}
