using System.Text;
using Tusk.Protocols.Kafka;
using Tusk.Server.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Tusk.Testing;
using Xunit;

namespace Tusk.Server.Tests;

/// <summary>
/// The broker bounds the partition fsyncs that run at once (each one blocks a thread-pool thread): with one slot,
/// six partitions whose producers all wait for durability are synced one at a time, and every one of them ends
/// durable.
/// </summary>
public sealed class PartitionSyncerTests
{
    [Fact]
    public async Task PartitionFsyncsWaitForASlotAndAllBecomeDurable()
    {
        int running = 0, most = 0;
        var fs = new HookedFileSystem(new SimFileSystem(3))
        {
            BeforeSync = path =>
            {
                if (!path.EndsWith(".log", StringComparison.Ordinal))
                {
                    return;
                }
                int now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                Thread.Sleep(50); // long enough for the other partitions' fsyncs to start, if they were allowed to
                Interlocked.Decrement(ref running);
            },
        };
        // Enough pool threads that, without the bound, the six fsyncs would run at once (the pool otherwise adds
        // threads only slowly when they block).
        ThreadPool.GetMinThreads(out int workers, out int completion);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), completion);
        using var slots = new SemaphoreSlim(1, 1);
        var logs = Enumerable.Range(0, 6)
            .Select(p => PartitionLog.Open(fs, $"/data/t-{p}", new PartitionLogOptions()))
            .ToList();
        try
        {
            var waits = new List<Task>();
            foreach (var log in logs)
            {
                var builder = new RecordBatchBuilder();
                builder.Append(0, 1000, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes("v"));
                var appended = log.Append(builder.Build(), 1000);
                Assert.Equal(ErrorCode.None, appended.Error);
                var syncer = new PartitionSyncer(log, slots);
                waits.Add(Task.Run(async () => await syncer.WaitDurableAsync(appended.EndOffset)));
            }
            await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.All(logs, log => Assert.Equal(1, log.SyncedOffset));
            Assert.True(most == 1, $"{most} partition fsyncs ran at once with one slot");
        }
        finally
        {
            logs.ForEach(l => l.Dispose());
            ThreadPool.SetMinThreads(workers, completion);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
