using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// Appends and reads: offsets are assigned densely from the log end, batches are stored byte for byte (only
/// baseOffset and partitionLeaderEpoch change), reads return whole batches starting at the one holding the
/// requested offset, and the byte budget follows Kafka's first-batch rule.
/// </summary>
public sealed class AppendReadTests
{
    private static readonly byte[] _buffer = new byte[1 << 20];

    [Fact]
    public void RoundTripAcrossSegmentRollsKeepsOffsetsDenseAndBytesVerbatim()
    {
        var fs = new SimFileSystem(1);
        var rng = new SeededRandom(1);
        var sent = new List<(long Base, byte[] Batch)>();
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small() with { PartitionLeaderEpoch = 3 }))
        {
            long expected = 0;
            for (int i = 0; i < 200; i++)
            {
                int count = 1 + rng.Next(5);
                var batch = BatchBuilder.Build(Enumerable.Range(0, count).Select(r => TestRecord.Of($"k{i}.{r}", new string('v', rng.Next(40)), 1000 + i)).ToList());
                var result = log.AppendOk(batch);
                Assert.Equal(expected, result.BaseOffset);
                Assert.Equal(expected + count, result.EndOffset);
                Assert.False(result.IsDuplicate);
                sent.Add((expected, batch));
                expected += count;
                Assert.Equal(expected, log.LogEndOffset);
            }
            Assert.True(log.SegmentCount > 5, $"expected several segments, got {log.SegmentCount}");
            AssertStoredVerbatim(log, sent);
            log.Sync();
        }
        using (var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small() with { PartitionLeaderEpoch = 3 }))
        {
            AssertStoredVerbatim(reopened, sent);
        }
    }

    /// <summary>
    /// The broker's path: <see cref="PartitionLog.AppendInPlace"/> stamps the assigned offsets and leader epoch into
    /// the caller's buffer and stores exactly those bytes; a batch that fails validation is refused and its buffer
    /// left as it was.
    /// </summary>
    [Fact]
    public void AppendInPlaceStampsTheCallersBufferAndLeavesARefusedOneUntouched()
    {
        using var log = PartitionLog.Open(new SimFileSystem(3), LogTestHelpers.Dir, LogTestHelpers.Small() with { PartitionLeaderEpoch = 5 });
        log.AppendOk(BatchBuilder.KeyValues(1000, [("a", "1"), ("b", "2")]));
        byte[] batch = BatchBuilder.KeyValues(1001, [("c", "3"), ("d", "4"), ("e", "5")]);
        var result = log.AppendInPlace(batch, 0);
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(2, result.BaseOffset);
        Assert.Equal(2, BinaryPrimitives.ReadInt64BigEndian(batch));
        Assert.Equal(5, BinaryPrimitives.ReadInt32BigEndian(batch.AsSpan(12)));
        byte[] all = log.ReadAll();
        Assert.True(all.AsSpan(all.Length - batch.Length).SequenceEqual(batch), "the log must store the stamped bytes");

        byte[] damaged = BatchBuilder.KeyValues(1002, [("f", "6")]);
        damaged[^1] ^= 1;
        byte[] before = [.. damaged];
        Assert.Equal(ErrorCode.CorruptMessage, log.AppendInPlace(damaged, 0).Error);
        Assert.Equal(before, damaged);
        Assert.Equal(5, log.LogEndOffset);
    }

    private static void AssertStoredVerbatim(PartitionLog log, List<(long Base, byte[] Batch)> sent)
    {
        byte[] all = log.ReadAll();
        var batches = BatchDecoder.Batches(all);
        Assert.Equal(sent.Count, batches.Count);
        int position = 0;
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Base, batches[i].BaseOffset);
            Assert.Equal(3, batches[i].LeaderEpoch);
            var stored = all.AsSpan(position, batches[i].Length);
            Assert.True(stored[16..].SequenceEqual(sent[i].Batch.AsSpan(16)), $"batch {i} changed beyond baseOffset and leader epoch");
            Assert.True(stored[8..12].SequenceEqual(sent[i].Batch.AsSpan(8, 4)));
            position += batches[i].Length;
        }
        var records = BatchDecoder.Records(all);
        for (int i = 0; i < records.Count; i++)
        {
            Assert.Equal(i, records[i].Offset); // dense and monotonic
        }
    }

    [Fact]
    public void ReadFromTheMiddleOfABatchReturnsTheWholeContainingBatch()
    {
        using var log = PartitionLog.Open(new SimFileSystem(2), LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20, indexIntervalBytes: 0));
        for (int i = 0; i < 20; i++)
        {
            log.AppendOk(BatchBuilder.KeyValues(1000, [.. Enumerable.Range(0, 4).Select(r => ($"k{i}.{r}", "v"))]));
        }
        foreach (long offset in new long[] { 0, 1, 3, 4, 41, 42, 43, 79 })
        {
            var result = log.Read(offset, 1, _buffer);
            Assert.Equal(ErrorCode.None, result.Error);
            var batches = BatchDecoder.Batches(_buffer.AsSpan(0, result.BytesWritten));
            var only = Assert.Single(batches); // maxBytes 1: just the first batch, whole
            Assert.Equal(offset / 4 * 4, only.BaseOffset);
            Assert.Equal(only.LastOffset + 1, result.NextOffset);
            Assert.Equal(80, result.HighWatermark);
        }
    }

    [Fact]
    public void MaxBytesLimitsTheReadButTheFirstBatchIsAlwaysWhole()
    {
        using var log = PartitionLog.Open(new SimFileSystem(3), LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20));
        var batch = BatchBuilder.KeyValues(1000, ("key", new string('x', 200)));
        for (int i = 0; i < 10; i++)
        {
            log.AppendOk(batch);
        }
        int size = batch.Length;

        var oneByte = log.Read(0, 1, _buffer);
        Assert.Equal(size, oneByte.BytesWritten);
        Assert.Equal(1, oneByte.NextOffset);

        var twoAndABit = log.Read(2, 2 * size + size / 2, _buffer);
        Assert.Equal(2 * size, twoAndABit.BytesWritten);
        Assert.Equal(4, twoAndABit.NextOffset);

        var exact = log.Read(0, 3 * size, _buffer);
        Assert.Equal(3 * size, exact.BytesWritten);

        var everything = log.Read(0, int.MaxValue, _buffer);
        Assert.Equal(10 * size, everything.BytesWritten);
        Assert.Equal(10, everything.NextOffset);

        // A destination smaller than the first batch: nothing copied, the size needed reported.
        var small = new byte[size - 1];
        var tooSmall = log.Read(5, 1 << 20, small);
        Assert.Equal(0, tooSmall.BytesWritten);
        Assert.Equal(size, tooSmall.RequiredBytes);
        Assert.Equal(5, tooSmall.NextOffset);

        // The destination also bounds the read.
        var bounded = log.Read(0, int.MaxValue, new byte[size * 2 + 10]);
        Assert.Equal(2 * size, bounded.BytesWritten);
    }

    [Fact]
    public void OffsetsOutsideTheLogAreOutOfRangeAndTheLogEndReadsEmpty()
    {
        using var log = PartitionLog.Open(new SimFileSystem(4), LogTestHelpers.Dir, LogTestHelpers.Small());
        log.AppendOk(BatchBuilder.KeyValues(1000, ("a", "1"), ("b", "2")));
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(3, 100, _buffer).Error);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(-1, 100, _buffer).Error);
        var atEnd = log.Read(2, 100, _buffer);
        Assert.Equal(ErrorCode.None, atEnd.Error);
        Assert.Equal(0, atEnd.BytesWritten);
        Assert.Equal(2, atEnd.NextOffset);
    }

    [Fact]
    public void MaxOffsetHidesBatchesThatAreNotBelowIt()
    {
        using var log = PartitionLog.Open(new SimFileSystem(5), LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20));
        log.AppendOk(BatchBuilder.KeyValues(1000, ("a", "1"), ("b", "2")));
        log.Sync();
        log.AppendOk(BatchBuilder.KeyValues(1000, ("c", "3")));
        Assert.Equal(2, log.SyncedOffset);
        var durableOnly = log.Read(0, 1 << 20, _buffer, maxOffset: log.SyncedOffset);
        Assert.Equal(2, durableOnly.NextOffset);
        Assert.Single(BatchDecoder.Batches(_buffer.AsSpan(0, durableOnly.BytesWritten)));
        Assert.Equal(0, log.Read(2, 1 << 20, _buffer, maxOffset: 2).BytesWritten);
        Assert.Equal(3, log.Read(0, 1 << 20, _buffer).NextOffset);
    }

    public static IEnumerable<object[]> BadBatches()
    {
        var good = BatchBuilder.KeyValues(1000, ("k", "v"));
        byte[] badCrc = (byte[])good.Clone();
        badCrc[^1] ^= 1;
        yield return ["bad crc", badCrc, ErrorCode.CorruptMessage];
        byte[] magic1 = (byte[])good.Clone();
        magic1[16] = 1;
        yield return ["magic 1", magic1, ErrorCode.UnsupportedForMessageFormat];
        yield return ["truncated", good[..^3], ErrorCode.CorruptMessage];
        yield return ["short header", good[..40], ErrorCode.CorruptMessage];
        yield return ["empty", Array.Empty<byte>(), ErrorCode.InvalidRecord];
        byte[] wrongCount = (byte[])good.Clone();
        BinaryPrimitives.WriteInt32BigEndian(wrongCount.AsSpan(57), 2);
        BatchBuilder.Reseal(wrongCount);
        yield return ["count disagrees with lastOffsetDelta", wrongCount, ErrorCode.InvalidRecord];
        byte[] trailing = [.. good, 0, 0];
        BinaryPrimitives.WriteInt32BigEndian(trailing.AsSpan(8), trailing.Length - 12);
        BatchBuilder.Reseal(trailing);
        yield return ["bytes after the records", trailing, ErrorCode.CorruptMessage];
        yield return ["control batch", BatchBuilder.Build([TestRecord.Of("k", "v")], attributes: 0x20), ErrorCode.InvalidRecord];
        yield return ["transactional batch", BatchBuilder.Build([TestRecord.Of("k", "v")], producerId: 1, producerEpoch: 0, baseSequence: 0, attributes: 0x10), ErrorCode.InvalidRecord];
        yield return ["unknown codec", BatchBuilder.BuildOpaque([1, 2, 3], 1, attributes: 6), ErrorCode.UnsupportedCompressionType];
        yield return ["idempotent without sequence", BatchBuilder.Build([TestRecord.Of("k", "v")], producerId: 1, producerEpoch: 0, baseSequence: -1), ErrorCode.InvalidRecord];
        yield return ["too large", BatchBuilder.KeyValues(1000, ("k", new string('x', 3000))), ErrorCode.MessageTooLarge];
        yield return ["two idempotent batches", (byte[])[.. BatchBuilder.Idempotent(1, 0, 0), .. BatchBuilder.Idempotent(1, 0, 1)], ErrorCode.InvalidRecord];
    }

    [Theory]
    [MemberData(nameof(BadBatches))]
    public void InvalidBatchesAreRejectedWithKafkaErrorsAndNothingIsAppended(string what, byte[] batch, ErrorCode expected)
    {
        using var log = PartitionLog.Open(new SimFileSystem(6), LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20) with { MaxBatchBytes = 2048 });
        log.AppendOk(BatchBuilder.KeyValues(1000, ("first", "1")));
        var result = log.Append(batch, 1000);
        Assert.True(expected == result.Error, $"{what}: expected {expected}, got {result.Error} ({result.ErrorMessage})");
        Assert.NotNull(result.ErrorMessage);
        Assert.Equal(-1, result.BaseOffset);
        Assert.Equal(1, log.LogEndOffset);
        Assert.Single(log.ReadAllRecords());
    }

    [Fact]
    public void AnAppendLargerThanASegmentIsRecordListTooLarge()
    {
        using var log = PartitionLog.Open(new SimFileSystem(7), LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 512));
        var batches = Enumerable.Range(0, 10).SelectMany(i => BatchBuilder.KeyValues(1000, ($"k{i}", new string('x', 40)))).ToArray();
        Assert.Equal(ErrorCode.RecordListTooLarge, log.Append(batches, 1000).Error);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public void SeveralBatchesInOneAppendGetConsecutiveOffsets()
    {
        using var log = PartitionLog.Open(new SimFileSystem(8), LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20));
        log.AppendOk(BatchBuilder.KeyValues(1000, ("x", "0")));
        byte[] three = [.. BatchBuilder.KeyValues(1000, ("a", "1"), ("b", "2")), .. BatchBuilder.KeyValues(1000, ("c", "3")), .. BatchBuilder.KeyValues(1000, ("d", "4"), ("e", "5"), ("f", "6"))];
        var result = log.AppendOk(three);
        Assert.Equal(1, result.BaseOffset);
        Assert.Equal(7, result.EndOffset);
        var batches = BatchDecoder.Batches(log.ReadAll());
        Assert.Equal([0L, 1, 3, 4], batches.Select(b => b.BaseOffset));
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6"], log.ReadAllRecords().Select(r => r.Value));
    }

    [Fact]
    public void CompressedBatchesAreStoredAsProducedOnDeletePolicyLogs()
    {
        using var log = PartitionLog.Open(new SimFileSystem(9), LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20));
        byte[] gzip = BatchBuilder.BuildOpaque([0x1f, 0x8b, 1, 2, 3, 4, 5], recordCount: 3, attributes: 1);
        var result = log.AppendOk(gzip);
        Assert.Equal(3, result.EndOffset);
        var read = log.Read(1, 1 << 20, _buffer);
        Assert.True(_buffer.AsSpan(16, gzip.Length - 16).SequenceEqual(gzip.AsSpan(16)));
        Assert.Equal(3, read.NextOffset);
    }

    [Fact]
    public void CompactedLogsRefuseRecordsWithoutKeysAndCompressedBatches()
    {
        using var log = PartitionLog.Open(new SimFileSystem(10), LogTestHelpers.Dir, LogTestHelpers.Small() with { CleanupPolicy = CleanupPolicy.Compact });
        Assert.Equal(ErrorCode.InvalidRecord, log.Append(BatchBuilder.KeyValues(1000, ("k", "v"), (null, "v")), 1000).Error);
        Assert.Equal(ErrorCode.UnsupportedCompressionType, log.Append(BatchBuilder.BuildOpaque([1, 2, 3], 1, attributes: 4), 1000).Error);
        log.AppendOk(BatchBuilder.KeyValues(1000, ("k", null))); // a tombstone has a key
        Assert.Equal(1, log.LogEndOffset);
    }

    [Fact]
    public void OptionsOutOfRangeAreRefusedAtOpen()
    {
        var fs = new SimFileSystem(11);
        var error = Assert.Throws<ArgumentException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, new PartitionLogOptions { SegmentBytes = 10 }));
        Assert.Contains("segment.bytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, new PartitionLogOptions { RetentionMs = -2 }));
        Assert.Throws<ArgumentException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, new PartitionLogOptions { CleanupPolicy = 0 }));
    }
}
