using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// The delete policy: whole closed segments go, oldest first, by age (their largest timestamp) or by the partition's
/// size; the active segment and segments whose close is not yet synced stay; the log start offset follows.
/// </summary>
public sealed class RetentionTests
{
    private static readonly byte[] _buffer = new byte[1 << 16];

    /// <summary>Ten batches per segment-ish: batch i has timestamp 1000 × i.</summary>
    private static PartitionLog Filled(SimFileSystem fs, PartitionLogOptions options, int batches)
    {
        var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        for (int i = 0; i < batches; i++)
        {
            log.AppendOk(BatchBuilder.KeyValues(1000L * i, ($"k{i}", "value")), nowMs: 1000L * i);
        }
        log.Sync();
        return log;
    }

    [Fact]
    public void SegmentsOlderThanRetentionMsAreDeletedOldestFirst()
    {
        var fs = new SimFileSystem(1);
        var options = LogTestHelpers.Small(segmentBytes: 400) with { RetentionMs = 20_000 };
        long start;
        using (var log = Filled(fs, options, 60))
        {
            var bases = log.SegmentBaseOffsets();
            Assert.Equal(0, log.ApplyRetention(nowMs: 10_000)); // nothing is 20 s old yet
            int deleted = log.ApplyRetention(nowMs: 50_000);
            Assert.True(deleted > 0);
            start = log.LogStartOffset;
            Assert.Equal(bases[deleted], start);
            // Every remaining closed segment holds a batch from the last 20 s or was kept behind a newer one.
            var records = log.ReadAllRecords();
            Assert.Equal(start, records[0].Offset);
            Assert.True(records[0].TimestampMs > 50_000 - 20_000 - 10_000);
            Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(start - 1, 100, _buffer).Error);
            Assert.Equal(ErrorCode.None, log.Read(start, 100, _buffer).Error);
            var names = fs.List(LogTestHelpers.Dir);
            Assert.DoesNotContain("00000000000000000000.log", names);
            Assert.DoesNotContain("00000000000000000000.index", names);
            Assert.DoesNotContain(names, n => n.EndsWith(".snapshot", StringComparison.Ordinal) && long.Parse(n[..20]) < start);
            Assert.Equal(bases.Length - deleted, log.SegmentCount);
        }
        fs.Crash();
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        Assert.Equal(start, reopened.LogStartOffset);
        Assert.Equal(60, reopened.LogEndOffset);
    }

    [Fact]
    public void TheActiveSegmentIsNeverDeleted()
    {
        using var log = Filled(new SimFileSystem(2), LogTestHelpers.Small(segmentBytes: 400) with { RetentionMs = 1, RetentionBytes = 0 }, 30);
        log.ApplyRetention(nowMs: 1_000_000);
        Assert.Equal(1, log.SegmentCount);
        Assert.Equal(log.SegmentBaseOffsets()[0], log.LogStartOffset);
        Assert.NotEmpty(log.ReadAllRecords());
    }

    [Fact]
    public void RetentionBytesKeepsThePartitionAtLeastThatLarge()
    {
        using var log = Filled(new SimFileSystem(3), LogTestHelpers.Small(segmentBytes: 400) with { RetentionBytes = 1000 }, 60);
        long before = log.SizeBytes;
        int deleted = log.ApplyRetention(nowMs: 0);
        Assert.True(deleted > 0);
        Assert.True(log.SizeBytes >= 1000, $"size {log.SizeBytes}");
        Assert.True(log.SizeBytes < 1000 + 400, $"one more segment could have gone: size {log.SizeBytes}");
        Assert.True(before > log.SizeBytes);
        Assert.Equal(0, log.ApplyRetention(nowMs: 0));
    }

    [Fact]
    public void RetentionFinishesSegmentClosesTheHostHasNotSynced()
    {
        var fs = new SimFileSystem(4);
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 400) with { RetentionMs = 1 });
        for (int i = 0; i < 30; i++)
        {
            log.AppendOk(BatchBuilder.KeyValues(i, ($"k{i}", "value")), nowMs: i);
        }
        int segments = log.SegmentCount;
        Assert.True(segments > 2);
        Assert.DoesNotContain(fs.List(LogTestHelpers.Dir), n => n.EndsWith(".index", StringComparison.Ordinal));
        long end = log.LogEndOffset;
        Assert.Equal(segments - 1, log.ApplyRetention(nowMs: 1_000_000)); // no Sync from the host: retention syncs first
        Assert.Equal(end, log.SyncedOffset);
        Assert.Contains($"{log.LogStartOffset:D20}.snapshot", fs.List(LogTestHelpers.Dir));
    }

    [Fact]
    public void CompactOnlyLogsDeleteNothing()
    {
        var options = LogTestHelpers.Small(segmentBytes: 400) with { RetentionMs = 1, RetentionBytes = 0, CleanupPolicy = CleanupPolicy.Compact };
        var fs = new SimFileSystem(5);
        using (var log = Filled(fs, options, 30))
        {
            Assert.Equal(0, log.ApplyRetention(nowMs: 1_000_000));
            Assert.Equal(0, log.LogStartOffset);
        }
        using var both = PartitionLog.Open(fs, LogTestHelpers.Dir, options with { CleanupPolicy = CleanupPolicy.Compact | CleanupPolicy.Delete });
        Assert.True(both.ApplyRetention(nowMs: 1_000_000) > 0);
    }

    [Fact]
    public void SegmentMsRollsQuietSegmentsSoTimeRetentionCanDropThem()
    {
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20) with { SegmentMs = 10_000, RetentionMs = 30_000 };
        using var log = PartitionLog.Open(new SimFileSystem(6), LogTestHelpers.Dir, options);
        for (int i = 0; i < 10; i++)
        {
            log.AppendOk(BatchBuilder.KeyValues(4000L * i, ($"k{i}", "v")), nowMs: 4000L * i); // one every 4 s
        }
        log.Sync();
        Assert.Equal(4, log.SegmentCount); // 0-2 (0, 4, 8 s), 3-5, 6-8, 9
        Assert.Equal(2, log.ApplyRetention(nowMs: 60_000)); // largest timestamps 8 s and 20 s are past 30 s
        Assert.Equal(6, log.LogStartOffset);
    }
}
