using System.Buffers.Binary;
using System.Text;
using Tusk.Core;
using Xunit;

namespace Tusk.Protocols.Kafka.Tests;

/// <summary>
/// Record batches (magic 2): the builder writes valid batches, the view reads them back, the CRC covers exactly
/// Attributes..end, header rewrites keep the CRC valid, and malformed batches and records are rejected.
/// </summary>
public sealed class RecordBatchTests
{
    /// <summary>
    /// A batch written by an Apache Kafka broker (a KRaft metadata-log batch holding one FeatureLevelRecord,
    /// metadata.version = 20): an outside check of the layout and of the CRC's algorithm and range.
    /// </summary>
    private static readonly byte[] _kafkaWrittenBatch = Wire.Hex("""
        0000000000000001 | 0000004f | 00000001 | 02 | b069457c | 0000 | 00000000
        00000191e05af818 | 00000191e05af818 | ffffffffffffffff | ffff | ffffffff | 00000001
        3a 00 00 00 01 2e 010c0011 6d657461646174612e76657273696f6e 001400 00
        """);

    private static readonly Encoding _utf8 = Encoding.UTF8;

    private static byte[] ThreeRecordBatch()
    {
        var builder = new RecordBatchBuilder(baseOffset: 100)
        {
            PartitionLeaderEpoch = 4,
            ProducerId = 7000,
            ProducerEpoch = 2,
            BaseSequence = 10,
        };
        builder.Append(0, 1_000, _utf8.GetBytes("k0"), _utf8.GetBytes("v0"));
        builder.Append(1, 990, null, _utf8.GetBytes("v1"),
            [new("trace", _utf8.GetBytes("abc")), new("empty", null)]);
        builder.Append(3, 1_500, _utf8.GetBytes("k3"), null);
        return builder.Build();
    }

    /// <summary>Bit-at-a-time CRC32C (reflected polynomial 0x82F63B78), independent of <see cref="Crc32C"/>.</summary>
    private static uint ReferenceCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xffffffff;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }
        return ~crc;
    }

    [Fact]
    public void BatchWrittenByKafkaParsesAndVerifies()
    {
        var batch = RecordBatch.Parse(_kafkaWrittenBatch);
        var header = batch.Header;
        Assert.Equal(1, header.BaseOffset);
        Assert.Equal(0x4f, header.BatchLength);
        Assert.Equal(_kafkaWrittenBatch.Length, header.SizeBytes);
        Assert.Equal(1, header.PartitionLeaderEpoch);
        Assert.Equal(2, header.Magic);
        Assert.Equal(0xb069457cu, header.Crc);
        Assert.Equal((CompressionCodec.None, TimestampType.CreateTime, false, false),
            (header.Compression, header.TimestampType, header.IsTransactional, header.IsControl));
        Assert.Equal(0, header.LastOffsetDelta);
        Assert.Equal(1726045943832, header.BaseTimestamp);
        Assert.Equal(1726045943832, header.MaxTimestamp);
        Assert.Equal((-1L, (short)-1, -1), (header.ProducerId, header.ProducerEpoch, header.BaseSequence));
        Assert.Equal(1, header.RecordCount);
        Assert.True(batch.VerifyCrc());
        Assert.Equal(0xb069457cu, ReferenceCrc32C(_kafkaWrittenBatch.AsSpan(21)));

        int count = 0;
        foreach (var record in batch.GetRecords())
        {
            count++;
            Assert.Equal(1, record.Offset);
            Assert.Equal(1726045943832, record.Timestamp);
            Assert.True(record.KeyIsNull);
            Assert.Equal(23, record.Value.Length);
            Assert.Contains("metadata.version", _utf8.GetString(record.Value), StringComparison.Ordinal);
            Assert.Equal(0, record.HeaderCount);
        }
        Assert.Equal(1, count);
    }

    [Fact]
    public void Crc32CIsTheCastagnoliCrcKafkaUses()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        byte[] batch = ThreeRecordBatch();
        Assert.Equal(ReferenceCrc32C(batch.AsSpan(21)), RecordBatch.Parse(batch).Crc);
    }

    [Fact]
    public void SingleRecordBatchMatchesTheHandWrittenLayout()
    {
        var builder = new RecordBatchBuilder();
        builder.Append(0, 1000, null, "v"u8.ToArray());
        byte[] batch = builder.Build();
        byte[] expected = Wire.Hex("""
            0000000000000000 | 00000039 | ffffffff | 02 | 00000000 | 0000 | 00000000
            00000000000003e8 | 00000000000003e8 | ffffffffffffffff | ffff | ffffffff | 00000001
            0e | 00 | 00 | 00 | 01 | 02 76 | 00
            """);
        // Length 0x0e = zig-zag 7; key length 01 = -1 (null); value length 02 = 1; header count 00.
        BinaryPrimitives.WriteUInt32BigEndian(expected.AsSpan(17), ReferenceCrc32C(expected.AsSpan(21)));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(batch));
    }

    [Fact]
    public void BuiltBatchParsesWithTheHeaderItWasBuiltWith()
    {
        byte[] bytes = ThreeRecordBatch();
        Assert.True(RecordBatch.TryParse(bytes, out var batch, out string error), error);
        Assert.Equal(100, batch.BaseOffset);
        Assert.Equal(bytes.Length - 12, batch.BatchLength);
        Assert.Equal(4, batch.PartitionLeaderEpoch);
        Assert.Equal(2, batch.Magic);
        Assert.Equal(0, batch.Attributes);
        Assert.Equal(3, batch.LastOffsetDelta);
        Assert.Equal(1_000, batch.BaseTimestamp);
        Assert.Equal(1_500, batch.MaxTimestamp);
        Assert.Equal(7000, batch.ProducerId);
        Assert.Equal(2, batch.ProducerEpoch);
        Assert.Equal(10, batch.BaseSequence);
        Assert.Equal(3, batch.RecordCount);
        Assert.Equal(103, batch.Header.LastOffset);
        Assert.True(batch.VerifyCrc());

        Assert.True(RecordBatch.TryParseHeader(bytes, out var header, out error), error);
        Assert.Equal(batch.Header, header);
    }

    [Fact]
    public void RecordIterationReturnsWhatWasBuilt()
    {
        var batch = RecordBatch.Parse(ThreeRecordBatch());
        var seen = new List<string>();
        foreach (var record in batch.GetRecords())
        {
            var headers = new List<string>();
            foreach (var h in record.Headers)
            {
                headers.Add($"{_utf8.GetString(h.Key)}={(h.ValueIsNull ? "null" : _utf8.GetString(h.Value))}");
            }
            seen.Add($"{record.Offset}/{record.OffsetDelta} t={record.Timestamp}/{record.TimestampDelta} " +
                $"{(record.KeyIsNull ? "null" : _utf8.GetString(record.Key))}:{(record.ValueIsNull ? "null" : _utf8.GetString(record.Value))} " +
                $"[{string.Join(",", headers)}]");
        }
        Assert.Equal(
        [
            "100/0 t=1000/0 k0:v0 []",
            "101/1 t=990/-10 null:v1 [trace=abc,empty=null]",
            "103/3 t=1500/500 k3:null []",
        ], seen);
    }

    [Fact]
    public void EveryFlippedBitInTheCrcRangeOrTheCrcIsCaught()
    {
        byte[] bytes = ThreeRecordBatch();
        for (int i = RecordBatch.CrcAt; i < bytes.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                bytes[i] ^= (byte)(1 << bit);
                // A flip in the header may already fail parsing (a negative count, a bad length); either way it is caught.
                bool accepted = RecordBatch.TryParse(bytes, out var batch, out _) && batch.VerifyCrc();
                Assert.False(accepted, $"flip at byte {i} bit {bit} went unnoticed");
                bytes[i] ^= (byte)(1 << bit);
            }
        }
        Assert.True(RecordBatch.Parse(bytes).VerifyCrc());
    }

    [Fact]
    public void BaseOffsetAndLeaderEpochLieOutsideTheCrc()
    {
        byte[] bytes = ThreeRecordBatch();
        uint crc = RecordBatch.Parse(bytes).Crc;

        RecordBatch.SetBaseOffset(bytes, 5_000_000_000);
        RecordBatch.SetPartitionLeaderEpoch(bytes, 9);

        var batch = RecordBatch.Parse(bytes);
        Assert.Equal(crc, batch.Crc);
        Assert.True(batch.VerifyCrc());
        Assert.Equal(5_000_000_000, batch.BaseOffset);
        Assert.Equal(9, batch.PartitionLeaderEpoch);
        var offsets = new List<long>();
        foreach (var record in batch.GetRecords())
        {
            offsets.Add(record.Offset);
        }
        Assert.Equal([5_000_000_000, 5_000_000_001, 5_000_000_003], offsets);
    }

    [Fact]
    public void LogAppendTimeRewritesMaxTimestampAndTheBitAndRecomputesTheCrc()
    {
        byte[] bytes = ThreeRecordBatch();
        RecordBatch.SetLogAppendTime(bytes, 2_000_000);

        var batch = RecordBatch.Parse(bytes);
        Assert.True(batch.VerifyCrc());
        Assert.Equal(TimestampType.LogAppendTime, batch.TimestampType);
        Assert.Equal(0x08, batch.Attributes);
        Assert.Equal(2_000_000, batch.MaxTimestamp);
        Assert.Equal(1_000, batch.BaseTimestamp);
        foreach (var record in batch.GetRecords())
        {
            Assert.Equal(2_000_000, record.Timestamp);
        }

        RecordBatch.SetMaxTimestamp(bytes, TimestampType.CreateTime, 1_500);
        Assert.Equal(ThreeRecordBatch(), bytes);
    }

    [Fact]
    public void AttributeBitsAreDecoded()
    {
        var builder = new RecordBatchBuilder { IsTransactional = true, IsControl = true, TimestampType = TimestampType.LogAppendTime };
        builder.Append(0, 5, new byte[] { 0, 0, 0, 1 }, new byte[] { 0, 0, 0, 0, 0, 0 });
        var batch = RecordBatch.Parse(builder.Build());
        Assert.Equal(0x38, batch.Attributes);
        Assert.True(batch.IsTransactional);
        Assert.True(batch.IsControl);
        Assert.Equal(TimestampType.LogAppendTime, batch.TimestampType);
        Assert.Equal(CompressionCodec.None, batch.Compression);
        Assert.True(batch.VerifyCrc());
    }

    [Fact]
    public void CompressedBatchIsNotIterated()
    {
        byte[] bytes = ThreeRecordBatch();
        bytes[RecordBatch.AttributesAt + 1] = (byte)CompressionCodec.Zstd;
        RecordBatch.WriteCrc(bytes);
        Assert.Equal(CompressionCodec.Zstd, RecordBatch.Parse(bytes).Compression);
        Assert.True(RecordBatch.Parse(bytes).VerifyCrc());
        Assert.Throws<InvalidOperationException>(() => RecordBatch.Parse(bytes).GetRecords());
    }

    [Fact]
    public void CopiedRecordsKeepKeysValuesHeadersOffsetsAndTimestamps()
    {
        var source = RecordBatch.Parse(ThreeRecordBatch());
        var builder = new RecordBatchBuilder(baseOffset: source.BaseOffset);
        foreach (var record in source.GetRecords())
        {
            if (record.OffsetDelta != 0)
            {
                builder.AppendCopy(record, record.OffsetDelta, record.Timestamp);
            }
        }
        var copy = RecordBatch.Parse(builder.Build());
        Assert.True(copy.VerifyCrc());
        Assert.Equal(2, copy.RecordCount);
        Assert.Equal(3, copy.LastOffsetDelta);
        Assert.Equal(990, copy.BaseTimestamp);
        var e = copy.GetRecords();
        Assert.True(e.MoveNext());
        Assert.Equal(101, e.Current.Offset);
        Assert.Equal(990, e.Current.Timestamp);
        Assert.Equal(2, e.Current.HeaderCount);
        var headers = e.Current.Headers;
        Assert.True(headers.MoveNext());
        Assert.Equal("trace", _utf8.GetString(headers.Current.Key));
        Assert.True(e.MoveNext());
        Assert.Equal(103, e.Current.Offset);
        Assert.Equal(1_500, e.Current.Timestamp);
        Assert.True(e.Current.ValueIsNull);
        Assert.False(e.MoveNext());
    }

    [Fact]
    public void BuilderRejectsOffsetsThatDoNotIncreaseAndEmptyBatches()
    {
        var builder = new RecordBatchBuilder();
        Assert.Throws<InvalidOperationException>(() => builder.Build());
        builder.Append(2, 0, null, null);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Append(2, 0, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Append(1, 0, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecordBatchBuilder().Append(-1, 0, null, null));
        builder.Reset();
        builder.Append(0, 0, null, null);
        Assert.Equal(1, RecordBatch.Parse(builder.Build()).RecordCount);
    }

    [Fact]
    public void BuilderGrowsForLargeRecords()
    {
        var builder = new RecordBatchBuilder(capacityBytes: 64);
        byte[] value = new byte[100_000];
        value[^1] = 42;
        builder.Append(0, 0, null, value);
        builder.Append(1, 0, value, value);
        var batch = RecordBatch.Parse(builder.Build());
        Assert.True(batch.VerifyCrc());
        foreach (var record in batch.GetRecords())
        {
            Assert.Equal(42, record.Value[^1]);
            Assert.Equal(100_000, record.Value.Length);
        }
    }

    [Theory]
    [InlineData(0, "truncated")]
    [InlineData(16, "truncated")]
    [InlineData(60, "truncated")]
    public void ShortHeaderIsRejected(int length, string reason)
    {
        Assert.False(RecordBatch.TryParseHeader(ThreeRecordBatch().AsSpan(0, length), out _, out string error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void BadHeadersAreRejected()
    {
        byte[] bytes = ThreeRecordBatch();
        Assert.False(RecordBatch.TryParse(bytes.AsSpan(0, bytes.Length - 1), out _, out string error));
        Assert.Contains("truncated", error, StringComparison.Ordinal);

        byte[] magic1 = ThreeRecordBatch();
        magic1[RecordBatch.MagicAt] = 1;
        Assert.False(RecordBatch.TryParseHeader(magic1, out _, out error));
        Assert.Contains("magic 1", error, StringComparison.Ordinal);

        byte[] shortLength = ThreeRecordBatch();
        BinaryPrimitives.WriteInt32BigEndian(shortLength.AsSpan(RecordBatch.BatchLengthAt), 48);
        Assert.False(RecordBatch.TryParseHeader(shortLength, out _, out error));
        Assert.Contains("shorter than the header", error, StringComparison.Ordinal);

        byte[] hugeLength = ThreeRecordBatch();
        BinaryPrimitives.WriteInt32BigEndian(hugeLength.AsSpan(RecordBatch.BatchLengthAt), int.MaxValue);
        Assert.False(RecordBatch.TryParse(hugeLength, out _, out error));

        byte[] negativeCount = ThreeRecordBatch();
        BinaryPrimitives.WriteInt32BigEndian(negativeCount.AsSpan(RecordBatch.RecordCountAt), -1);
        Assert.False(RecordBatch.TryParseHeader(negativeCount, out _, out error));
        Assert.Contains("negative record count", error, StringComparison.Ordinal);

        Assert.Throws<KafkaProtocolException>(() => RecordBatch.Parse(magic1));
        Assert.Throws<ArgumentException>(() => RecordBatch.SetBaseOffset(new byte[60], 1));
        Assert.Throws<ArgumentException>(() => RecordBatch.SetLogAppendTime(bytes.AsSpan(0, bytes.Length - 1).ToArray(), 1));
    }

    [Theory]
    [InlineData("count too high", 4)]
    [InlineData("count too low", 2)]
    public void RecordCountThatDisagreesWithTheBytesIsRejected(string _, int count)
    {
        byte[] bytes = ThreeRecordBatch();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(RecordBatch.RecordCountAt), count);
        Assert.Throws<KafkaProtocolException>(() =>
        {
            foreach (var record in RecordBatch.Parse(bytes).GetRecords())
            {
                Assert.False(record.Value.IsEmpty && record.ValueIsNull && record.KeyIsNull);
            }
        });
    }

    [Fact]
    public void MalformedRecordsAreRejected()
    {
        // The single-record batch of SingleRecordBatchMatchesTheHandWrittenLayout: records start at byte 61.
        var builder = new RecordBatchBuilder();
        builder.Append(0, 1000, null, "v"u8.ToArray());
        byte[] good = builder.Build();

        static void Iterate(byte[] bytes)
        {
            foreach (var record in RecordBatch.Parse(bytes).GetRecords())
            {
                Assert.Equal(0, record.HeaderCount);
            }
        }

        Iterate(good);
        Assert.Throws<KafkaProtocolException>(() => Iterate(Patched(good, 61, 0x10)));  // length 8: past the batch
        Assert.Throws<KafkaProtocolException>(() => Iterate(Patched(good, 61, 0x0c)));  // length 6: header count outside
        Assert.Throws<KafkaProtocolException>(() => Iterate(Patched(good, 61, 0x01)));  // length -1
        Assert.Throws<KafkaProtocolException>(() => Iterate(Patched(good, 66, 0x04)));  // value length 2: overruns the record
        Assert.Throws<KafkaProtocolException>(() => Iterate(Patched(good, 68, 0x01)));  // header count -1
        Assert.Throws<KafkaProtocolException>(() => Iterate(Patched(good, 68, 0x02)));  // one header, no bytes for it
        Assert.Throws<KafkaProtocolException>(() => Iterate(Patched(good, 63, 0x80)));  // timestamp varlong swallows the next field
    }

    [Fact]
    public void NullHeaderKeyIsRejected()
    {
        var builder = new RecordBatchBuilder();
        builder.Append(0, 0, null, null, [new("k", null)]);
        byte[] bytes = builder.Build();
        // Record: length, attributes, tsDelta, offsetDelta, key -1, value -1, header count 1, key length 1 'k', value -1.
        int keyLengthAt = RecordBatch.HeaderBytes + 7;
        Assert.Equal(0x02, bytes[keyLengthAt]);
        bytes[keyLengthAt] = 0x01;
        var error = Assert.Throws<KafkaProtocolException>(() =>
        {
            foreach (var record in RecordBatch.Parse(bytes).GetRecords())
            {
                Assert.Equal(1, record.HeaderCount);
            }
        });
        Assert.Contains("null record header key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SplitFindsEveryBatchOfAConcatenation()
    {
        byte[] a = ThreeRecordBatch();
        var builder = new RecordBatchBuilder(baseOffset: 200);
        builder.Append(0, 0, null, "x"u8.ToArray());
        byte[] b = builder.Build();
        byte[] all = [.. a, .. b, .. a];

        var found = new List<(int, int)>();
        foreach (var batch in RecordBatch.Split(all))
        {
            found.Add(batch);
        }
        Assert.Equal([(0, a.Length), (a.Length, b.Length), (a.Length + b.Length, a.Length)], found);
        Assert.True(RecordBatch.Parse(all.AsSpan(a.Length, b.Length)).VerifyCrc());

        var none = RecordBatch.Split([]);
        Assert.False(none.MoveNext());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(30)]
    [InlineData(61)]
    [InlineData(70)]
    public void SplitRejectsATruncatedLastBatchUnlessAPartialTailIsAllowed(int cut)
    {
        byte[] a = ThreeRecordBatch();
        byte[] all = [.. a, .. a];
        byte[] truncated = all[..^cut];

        Assert.Throws<KafkaProtocolException>(() =>
        {
            foreach (var _ in RecordBatch.Split(truncated))
            {
            }
        });

        int count = 0;
        foreach (var (offset, length) in RecordBatch.Split(truncated, allowPartialTail: true))
        {
            Assert.Equal((0, a.Length), (offset, length));
            count++;
        }
        Assert.Equal(1, count);
    }

    [Fact]
    public void SplitRejectsGarbageBetweenBatches()
    {
        byte[] a = ThreeRecordBatch();
        byte[] garbage = new byte[RecordBatch.HeaderBytes];
        byte[] all = [.. a, .. garbage];
        var error = Assert.Throws<KafkaProtocolException>(() =>
        {
            foreach (var _ in RecordBatch.Split(all))
            {
            }
        });
        Assert.Contains($"at byte {a.Length}", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Patched(byte[] bytes, int at, byte value)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[at] = value;
        return copy;
    }
}
