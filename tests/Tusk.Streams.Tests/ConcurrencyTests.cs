using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Tusk.Testing;
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

/// <summary>
/// An append's write runs outside the log's metadata lock: while one append is stuck in its write system call,
/// reads, syncs and offset lookups go on and see the log as it was, and the stuck append appears once its write
/// returns.
/// </summary>
public sealed class AppendWriteOutsideTheLockTests
{
    [Fact]
    public async Task ReadsAndSyncsDoNotWaitForAnAppendsWrite()
    {
        using var gate = new ManualResetEventSlim(true);
        var writeBlocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fs = new HookedFileSystem(new SimFileSystem(7))
        {
            BeforeWrite = path =>
            {
                if (path.EndsWith(".log", StringComparison.Ordinal) && !gate.IsSet)
                {
                    writeBlocked.TrySetResult();
                    gate.Wait();
                }
            },
        };
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20));
        byte[] first = BatchBuilder.KeyValues(1000, ("a", "1"), ("b", "2"));
        Assert.Equal(ErrorCode.None, log.Append(first, 1000).Error);

        gate.Reset();
        using var reopen = new Reopen(gate); // a failed assertion must not leave the append (and Dispose) stuck
        var stuck = Task.Run(() => log.Append(BatchBuilder.KeyValues(1001, ("c", "3")), 1001));
        await writeBlocked.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var others = Task.Run(() =>
        {
            log.Sync();
            var buffer = new byte[4096];
            var read = log.Read(0, buffer.Length, buffer);
            return (Synced: log.SyncedOffset, End: log.LogEndOffset, Records: BatchDecoder.Records(buffer.AsSpan(0, read.BytesWritten)).Count);
        });
        var finished = await Task.WhenAny(others, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == others, "a read or a sync waited for another append's write");
        Assert.Equal((2L, 2L, 2), await others); // the stuck append is not visible yet
        Assert.False(stuck.IsCompleted);

        gate.Set();
        var result = await stuck.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(2, result.BaseOffset);
        Assert.Equal(3, log.LogEndOffset);
    }

    private sealed class Reopen(ManualResetEventSlim gate) : IDisposable
    {
        public void Dispose() => gate.Set();
    }
}
