using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// Real threads on one log: producers append while a syncer group-commits, readers fetch and retention and
/// compaction run. Offsets stay dense, each producer's records keep their order, every read is whole verified
/// batches, <see cref="PartitionLog.SyncedOffset"/> only grows, and what was synced survives a crash.
/// </summary>
public sealed class ConcurrencyTests
{
    [Theory]
    [InlineData(CleanupPolicy.Delete)]
    [InlineData(CleanupPolicy.Compact | CleanupPolicy.Delete)]
    public async Task ProducersSyncerReadersAndMaintenanceShareOneLog(CleanupPolicy policy)
    {
        const int producers = 4, batchesEach = 150;
        var fs = new SimFileSystem(1);
        var options = LogTestHelpers.Small(segmentBytes: 2000, indexIntervalBytes: 200) with { CleanupPolicy = policy, RetentionBytes = 1 << 30 };
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        using var stop = new CancellationTokenSource();
        var errors = new List<Exception>();

        var writers = Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < batchesEach; i++)
            {
                var batch = BatchBuilder.Build([TestRecord.Of($"p{p}", $"{p}:{i}"), TestRecord.Of($"q{p}.{i % 3}", $"{p}:{i}b")], producerId: p, producerEpoch: 0, baseSequence: 2 * i);
                var result = log.Append(batch, 1000);
                Assert.Equal(ErrorCode.None, result.Error);
                if (i % 10 == 0)
                {
                    long end = result.EndOffset;
                    log.Sync();
                    Assert.True(log.SyncedOffset >= end);
                }
            }
        })).ToArray();
        var background = new[]
        {
            Task.Run(() => Loop(stop.Token, errors, () =>
            {
                long before = log.SyncedOffset;
                log.Sync();
                Assert.True(log.SyncedOffset >= before);
            })),
            Task.Run(() => Loop(stop.Token, errors, () => ReadSomewhere(log))),
            Task.Run(() => Loop(stop.Token, errors, () => ReadSomewhere(log))),
            Task.Run(() => Loop(stop.Token, errors, () =>
            {
                log.ApplyRetention(1000);
                log.Compact(1000);
            })),
        };
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll(background);
        Assert.Empty(errors);

        log.Sync();
        Assert.Equal(log.LogEndOffset, log.SyncedOffset);
        var records = log.ReadAllRecords();
        if (policy == CleanupPolicy.Delete)
        {
            Assert.Equal(producers * batchesEach * 2, records.Count);
            Assert.Equal(Enumerable.Range(0, records.Count).Select(i => (long)i), records.Select(r => r.Offset));
        }
        for (int p = 0; p < producers; p++)
        {
            var mine = records.Where(r => r.Key == $"p{p}").Select(r => int.Parse(r.Value!.Split(':')[1])).ToList();
            Assert.Equal(mine.Order(), mine);
        }
        fs.Crash();
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        Assert.Equal(records, reopened.ReadAllRecords());
    }

    private static void Loop(CancellationToken stop, List<Exception> errors, Action action)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                action();
            }
        }
        catch (Exception e)
        {
            lock (errors)
            {
                errors.Add(e);
            }
        }
    }

    private static void ReadSomewhere(PartitionLog log)
    {
        long start = log.LogStartOffset, end = log.LogEndOffset;
        if (end == start)
        {
            return;
        }
        long offset = start + Random.Shared.NextInt64(end - start);
        var buffer = new byte[8192];
        var result = log.Read(offset, 3000, buffer);
        if (result.Error == ErrorCode.OffsetOutOfRange)
        {
            Assert.True(log.LogStartOffset > offset, "out of range only when retention moved the start meanwhile");
            return;
        }
        Assert.Equal(ErrorCode.None, result.Error);
        var batches = BatchDecoder.Batches(buffer.AsSpan(0, result.BytesWritten)); // CRC-checked
        if (batches.Count > 0)
        {
            Assert.True(batches[^1].LastOffset >= offset);
            Assert.Equal(batches[^1].LastOffset + 1, result.NextOffset);
        }
    }
}
