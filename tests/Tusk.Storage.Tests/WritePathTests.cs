using System.Text;
using Tusk.Simulation;
using Tusk.Storage;
using Xunit;

namespace Tusk.Storage.Tests;

/// <summary>The write path's limits and group commit.</summary>
public sealed class WritePathTests
{
    /// <summary>
    /// With background work never run on its own (a manual scheduler), a burst of writes must stop at the
    /// memtable limit and at the L0 stop trigger — running the pending flush or compaction while stalled —
    /// rather than letting memtables or L0 grow without bound.
    /// </summary>
    [Fact]
    public void WritersStallAtTheLimitsInsteadOfGrowingMemory()
    {
        var fs = new SimFileSystem(3);
        var scheduler = new ManualJobScheduler();
        var options = TestOptions.Small(scheduler);
        using var engine = LsmEngine.Open(fs, "/db", options);
        var value = new byte[200];
        int maxL0 = 0;
        long maxMemtableBytes = 0;
        for (int i = 0; i < 20_000; i++)
        {
            engine.Put(Encoding.ASCII.GetBytes("key" + (i * 7919 % 20_000).ToString("D6")), value);
            if (i % 100 == 0)
            {
                var s = engine.GetStatistics();
                maxL0 = Math.Max(maxL0, s.Levels[0].FileCount);
                maxMemtableBytes = Math.Max(maxMemtableBytes, s.MemtableBytes);
            }
        }
        var stats = engine.GetStatistics();
        Assert.True(stats.StallCount > 0, "writers never stalled although nothing ran in the background");
        Assert.True(maxL0 <= options.Level0StopWritesTrigger, $"L0 reached {maxL0} files, above the stop trigger {options.Level0StopWritesTrigger}");
        Assert.True(maxMemtableBytes <= (long)options.WriteBufferSizeBytes * options.MaxWriteBufferNumber,
            $"memtables held {maxMemtableBytes} bytes, above {options.MaxWriteBufferNumber} x {options.WriteBufferSizeBytes}");
        Assert.NotNull(engine.Get(Encoding.ASCII.GetBytes("key000000")));
    }

    /// <summary>Concurrent synced writers share fsyncs: far fewer WAL syncs than writes, and every write is there.</summary>
    [Fact]
    public void ConcurrentSyncedWritersShareFsyncs()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tusk-groupcommit-" + Guid.NewGuid().ToString("N"));
        try
        {
            const int threads = 8, perThread = 150;
            using (var engine = LsmEngine.Open(dir))
            {
                using var start = new ManualResetEventSlim();
                var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
                {
                    start.Wait();
                    for (int i = 0; i < perThread; i++)
                    {
                        engine.Put(Encoding.ASCII.GetBytes($"t{t}-{i:D4}"), Encoding.ASCII.GetBytes($"v{t}-{i}"), WriteOptions.Durable);
                    }
                })).ToArray();
                foreach (var w in workers)
                {
                    w.Start();
                }
                start.Set();
                foreach (var w in workers)
                {
                    w.Join();
                }
                var stats = engine.GetStatistics();
                Assert.Equal(threads * perThread, stats.Writes);
                Assert.True(stats.WalSyncs < stats.Writes * 0.8,
                    $"{stats.WalSyncs} fsyncs for {stats.Writes} synced writes: group commit did not batch");
            }
            using (var reopened = LsmEngine.Open(dir))
            {
                for (int t = 0; t < threads; t++)
                {
                    for (int i = 0; i < perThread; i++)
                    {
                        Assert.Equal($"v{t}-{i}", Encoding.ASCII.GetString(reopened.Get(Encoding.ASCII.GetBytes($"t{t}-{i:D4}"))!));
                    }
                }
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void SecondOpenOfALockedDirectoryFailsClearly()
    {
        var fs = new SimFileSystem(5);
        using var engine = LsmEngine.Open(fs, "/db", TestOptions.Small(new ManualJobScheduler()));
        var e = Assert.ThrowsAny<IOException>(() => LsmEngine.Open(fs, "/db", TestOptions.Small(new ManualJobScheduler())));
        Assert.Contains("LOCK", e.Message);
    }

    [Fact]
    public void InvalidOptionsNameTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => LsmEngine.Open(new SimFileSystem(1), "/db", new StorageOptions { WriteBufferSizeBytes = 10 }));
        Assert.Contains("WriteBufferSizeBytes", e.Message);
    }

    [Fact]
    public void ReadsAndWritesAfterDisposeThrow()
    {
        var engine = LsmEngine.Open(new SimFileSystem(1), "/db", TestOptions.Small(new ManualJobScheduler()));
        engine.Dispose();
        Assert.Throws<ObjectDisposedException>(() => engine.Put("a"u8, "b"u8));
        Assert.Throws<ObjectDisposedException>(() => engine.Get("a"u8));
    }

    [Fact]
    public void OpenWithoutCreateIfMissingOnAnEmptyDirectoryFails()
    {
        var e = Assert.ThrowsAny<IOException>(() => LsmEngine.Open(new SimFileSystem(1), "/db", new StorageOptions { CreateIfMissing = false }));
        Assert.Contains("no database", e.Message);
    }
}
