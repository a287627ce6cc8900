using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// Idempotent producers (Kafka's ProducerStateManager rules): a retried batch is recognised and answered with the
/// original offsets, a sequence gap and a stale epoch are refused, and the state survives reopening, segment
/// rolls and a lost snapshot.
/// </summary>
public sealed class IdempotenceTests
{
    [Fact]
    public void ARetriedBatchReturnsTheOriginalOffsetsWithoutAppending()
    {
        using var log = PartitionLog.Open(new SimFileSystem(1), LogTestHelpers.Dir, LogTestHelpers.Small());
        var first = log.AppendOk(BatchBuilder.Idempotent(7, 0, 0, count: 3));
        log.AppendOk(BatchBuilder.KeyValues(1000, ("other", "producer")));
        var second = log.AppendOk(BatchBuilder.Idempotent(7, 0, 3, count: 2));
        long end = log.LogEndOffset;

        var retryFirst = log.AppendOk(BatchBuilder.Idempotent(7, 0, 0, count: 3));
        Assert.True(retryFirst.IsDuplicate);
        Assert.Equal(first.BaseOffset, retryFirst.BaseOffset);
        Assert.Equal(first.EndOffset, retryFirst.EndOffset);
        var retrySecond = log.AppendOk(BatchBuilder.Idempotent(7, 0, 3, count: 2));
        Assert.Equal((second.BaseOffset, second.EndOffset, true), (retrySecond.BaseOffset, retrySecond.EndOffset, retrySecond.IsDuplicate));
        Assert.Equal(end, log.LogEndOffset);
    }

    [Fact]
    public void ASequenceGapIsOutOfOrder()
    {
        using var log = PartitionLog.Open(new SimFileSystem(2), LogTestHelpers.Dir, LogTestHelpers.Small());
        log.AppendOk(BatchBuilder.Idempotent(7, 0, 0, count: 2));
        var gap = log.Append(BatchBuilder.Idempotent(7, 0, 3), 1000);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.Error);
        var overlap = log.Append(BatchBuilder.Idempotent(7, 0, 1), 1000); // not a retained batch's exact range
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, overlap.Error);
        Assert.Equal(2, log.LogEndOffset);
        log.AppendOk(BatchBuilder.Idempotent(7, 0, 2));
        Assert.Equal(3, log.LogEndOffset);
    }

    [Fact]
    public void EpochsFenceOlderProducersAndStartAtSequenceZero()
    {
        using var log = PartitionLog.Open(new SimFileSystem(3), LogTestHelpers.Dir, LogTestHelpers.Small());
        log.AppendOk(BatchBuilder.Idempotent(7, 1, 0));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, log.Append(BatchBuilder.Idempotent(7, 0, 1), 1000).Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(BatchBuilder.Idempotent(7, 2, 5), 1000).Error);
        log.AppendOk(BatchBuilder.Idempotent(7, 2, 0));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, log.Append(BatchBuilder.Idempotent(7, 1, 1), 1000).Error);
        // The old epoch's batches are no longer duplicates of anything: a retry from epoch 1 is fenced.
        Assert.Equal(ErrorCode.InvalidProducerEpoch, log.Append(BatchBuilder.Idempotent(7, 1, 0), 1000).Error);
        Assert.Equal(2, log.LogEndOffset);
    }

    [Fact]
    public void OnlyTheLastFiveBatchesAreRemembered()
    {
        using var log = PartitionLog.Open(new SimFileSystem(4), LogTestHelpers.Dir, LogTestHelpers.Small());
        for (int seq = 0; seq < 6; seq++)
        {
            log.AppendOk(BatchBuilder.Idempotent(9, 0, seq));
        }
        Assert.True(log.AppendOk(BatchBuilder.Idempotent(9, 0, 1)).IsDuplicate);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(BatchBuilder.Idempotent(9, 0, 0), 1000).Error);
    }

    [Fact]
    public void ANewProducerMayStartAtAnySequenceAndSequencesWrap()
    {
        using var log = PartitionLog.Open(new SimFileSystem(5), LogTestHelpers.Dir, LogTestHelpers.Small());
        log.AppendOk(BatchBuilder.Idempotent(3, 0, int.MaxValue - 1, count: 2)); // sequences MaxValue-1, MaxValue
        var wrapped = log.AppendOk(BatchBuilder.Idempotent(3, 0, 0));
        Assert.False(wrapped.IsDuplicate);
        Assert.Equal(3, log.LogEndOffset);
    }

    [Fact]
    public void ProducerStateSurvivesReopenRollsAndALostSnapshot()
    {
        var fs = new SimFileSystem(6);
        var options = LogTestHelpers.Small(segmentBytes: 400);
        var originals = new Dictionary<(long, int), AppendResult>();
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            for (int seq = 0; seq < 30; seq++)
            {
                for (long producer = 1; producer <= 3; producer++)
                {
                    originals[(producer, seq)] = log.AppendOk(BatchBuilder.Idempotent(producer, 0, seq));
                }
                log.Sync();
            }
            Assert.True(log.SegmentCount > 3);
        }
        AssertRemembered(fs, options, originals);
        // Without snapshots the state is rebuilt from every batch.
        foreach (string name in fs.List(LogTestHelpers.Dir).Where(n => n.EndsWith(".snapshot", StringComparison.Ordinal)))
        {
            fs.Delete(LogTestHelpers.Dir + "/" + name);
        }
        AssertRemembered(fs, options, originals);
    }

    private static void AssertRemembered(SimFileSystem fs, PartitionLogOptions options, Dictionary<(long, int), AppendResult> originals)
    {
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        long end = log.LogEndOffset;
        for (long producer = 1; producer <= 3; producer++)
        {
            for (int seq = 25; seq < 30; seq++)
            {
                var retry = log.AppendOk(BatchBuilder.Idempotent(producer, 0, seq));
                Assert.True(retry.IsDuplicate, $"producer {producer} seq {seq}");
                Assert.Equal(originals[(producer, seq)].BaseOffset, retry.BaseOffset);
            }
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(BatchBuilder.Idempotent(producer, 0, 31), 1000).Error);
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, log.Append(BatchBuilder.Idempotent(producer, 1, 5), 1000).Error);
        }
        Assert.Equal(end, log.LogEndOffset);
    }

    [Fact]
    public void SilentProducersExpire()
    {
        var options = LogTestHelpers.Small() with { ProducerIdExpirationMs = 10_000 };
        using var log = PartitionLog.Open(new SimFileSystem(7), LogTestHelpers.Dir, options);
        log.AppendOk(BatchBuilder.Idempotent(1, 0, 0, timestampMs: 1_000));
        log.AppendOk(BatchBuilder.Idempotent(2, 0, 0, timestampMs: 8_000));
        Assert.Equal(2, log.ProducerCount);
        log.ApplyRetention(nowMs: 12_000);
        Assert.Equal(1, log.ProducerCount);
        // Producer 1 forgot: any sequence is accepted again, and its old batch is no longer a duplicate.
        Assert.False(log.AppendOk(BatchBuilder.Idempotent(1, 0, 0, timestampMs: 12_000)).IsDuplicate);
        Assert.True(log.AppendOk(BatchBuilder.Idempotent(2, 0, 0, timestampMs: 12_000)).IsDuplicate);
    }
}
