using System.Text;
using Tusk.Core;
using Tusk.Simulation;
using Tusk.Storage;
using Xunit;

namespace Tusk.Storage.Tests;

/// <summary>Recovery and failure rules that are not random: each test is one story.</summary>
public sealed class RecoveryTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void ADirectoryWithTablesButNoCurrentIsRefusedNotOverwritten()
    {
        var fs = new SimFileSystem(1);
        using (var engine = LsmEngine.Open(fs, "/db", TestOptions.Small(new ManualJobScheduler())))
        {
            engine.Put(B("k"), B("v"));
            engine.Flush();
        }
        fs.Delete("/db/CURRENT");
        var tables = fs.List("/db").Where(n => n.EndsWith(".sst", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(tables);
        var e = Assert.Throws<CorruptionException>(() => LsmEngine.Open(fs, "/db", TestOptions.Small(new ManualJobScheduler())));
        Assert.Contains("CURRENT is missing", e.Message);
        Assert.All(tables, t => Assert.True(fs.FileExists("/db/" + t), $"{t} was deleted"));
    }

    /// <summary>
    /// A failed manifest fsync stops writes for good (the manifest's state is unknown); nothing synced before
    /// it is lost, and the database opens cleanly afterwards.
    /// </summary>
    [Fact]
    public void AFailedManifestSyncStopsWritesAndLosesNothingSynced()
    {
        var fs = new SimFileSystem(2);
        var scheduler = new ManualJobScheduler();
        var engine = LsmEngine.Open(fs, "/db", TestOptions.Small(scheduler));
        for (int i = 0; i < 50; i++)
        {
            engine.Put(B("key" + i), B("value" + i), WriteOptions.Durable);
        }
        fs.FaultPredicate = op => op.Kind == SimOperationKind.Sync && op.Path.Contains("MANIFEST", StringComparison.Ordinal);
        Assert.ThrowsAny<IOException>(() => engine.Flush());
        fs.FaultPredicate = null;
        Assert.ThrowsAny<IOException>(() => engine.Put(B("after"), B("x"), WriteOptions.Durable));
        Assert.Equal("value7", Encoding.UTF8.GetString(engine.Get(B("key7"))!)); // reads go on
        engine.Dispose();

        fs.Crash();
        using var reopened = LsmEngine.Open(fs, "/db", TestOptions.Small(scheduler));
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal("value" + i, Encoding.UTF8.GetString(reopened.Get(B("key" + i))!));
        }
        Assert.Null(reopened.Get(B("after")));
    }

    /// <summary>A writer stalled on full memtables (nothing runs in the background) is released by Dispose.</summary>
    [Fact]
    public void DisposeReleasesAStalledWriter()
    {
        var fs = new SimFileSystem(3);
        var engine = LsmEngine.Open(fs, "/db", TestOptions.Small(new NeverScheduler()));
        Exception? writerError = null;
        var writer = new Thread(() =>
        {
            try
            {
                var value = new byte[500];
                for (int i = 0; ; i++)
                {
                    engine.Put(B("k" + i), value);
                }
            }
            catch (Exception e)
            {
                writerError = e;
            }
        });
        writer.Start();
        while (engine.GetStatistics().MemtableBytes < 100 << 10)
        {
            Thread.Sleep(10); // test-side wait for the writer to fill both memtables and stall
        }
        Thread.Sleep(200);
        engine.Dispose();
        Assert.True(writer.Join(TimeSpan.FromSeconds(10)), "the stalled writer was not released");
        Assert.IsType<ObjectDisposedException>(writerError);
    }

    private sealed class NeverScheduler : IJobScheduler
    {
        public void Schedule(Action job) { }

        public bool TryRunPendingJob() => false;
    }
}
