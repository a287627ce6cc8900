using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Tusk.Testing;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// The durability contract the host relies on: <see cref="PartitionLog.SyncedOffset"/> covers exactly what an fsync
/// made durable, one fsync serves every batch appended before it, a sync never blocks appends, and a failed write or
/// fsync stops further appends.
/// </summary>
public sealed class SyncTests
{
    [Fact]
    public void ACrashLosesOnlyWhatWasNotSynced()
    {
        var fs = new SimFileSystem(1);
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20)))
        {
            log.AppendOk(BatchBuilder.KeyValues(1000, ("a", "1"), ("b", "2")));
            Assert.Equal(0, log.SyncedOffset);
            log.Sync();
            Assert.Equal(2, log.SyncedOffset);
            log.AppendOk(BatchBuilder.KeyValues(1000, ("c", "3")));
            Assert.Equal(2, log.SyncedOffset);
            fs.Crash();
        }
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20));
        Assert.Equal(2, reopened.LogEndOffset);
        Assert.Equal(2, reopened.SyncedOffset);
        Assert.Equal(["1", "2"], reopened.ReadAllRecords().Select(r => r.Value));
        Assert.Equal(2, reopened.AppendOk(BatchBuilder.KeyValues(1000, ("d", "4"))).BaseOffset); // offsets stay dense
    }

    [Fact]
    public void OneFsyncCoversEveryBatchAppendedBeforeItAndIdleSyncsAreFree()
    {
        var fs = new SimFileSystem(2);
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20));
        for (int i = 0; i < 10; i++)
        {
            log.AppendOk(BatchBuilder.KeyValues(1000, ($"k{i}", "v")));
        }
        fs.ResetStats();
        log.Sync();
        Assert.Equal(1, fs.Stats.Syncs);
        Assert.Equal(0, fs.Stats.DirectorySyncs); // the segment's entry was made durable by Open
        Assert.Equal(10, log.SyncedOffset);
        log.Sync();
        log.Sync();
        Assert.Equal(1, fs.Stats.Syncs);
    }

    [Fact]
    public void ASyncAfterARollCertifiesTheClosedSegment()
    {
        var fs = new SimFileSystem(3);
        var options = LogTestHelpers.Small(segmentBytes: 300);
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            for (int i = 0; i < 8; i++)
            {
                log.AppendOk(BatchBuilder.Idempotent(5, 0, i));
            }
            Assert.True(log.SegmentCount >= 2);
            fs.ResetStats();
            log.Sync();
            var names = fs.List(LogTestHelpers.Dir);
            long firstClosedEnd = log.SegmentBaseOffsets()[1];
            Assert.Contains("00000000000000000000.index", names);
            Assert.Contains("00000000000000000000.timeindex", names);
            Assert.Contains($"{firstClosedEnd:D20}.snapshot", names);
            Assert.DoesNotContain(names, n => n.EndsWith(".tmp", StringComparison.Ordinal));
            Assert.True(fs.Stats.DirectorySyncs >= 1);
            fs.Crash();
        }
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        Assert.Equal(8, reopened.LogEndOffset);
        Assert.True(reopened.AppendOk(BatchBuilder.Idempotent(5, 0, 7)).IsDuplicate);
    }

    [Fact]
    public void UnsyncedRollsVanishWholeAtACrash()
    {
        foreach (var crash in new[] { CrashOptions.DropUnsynced, CrashOptions.TearWrites, CrashOptions.TearAndCorruptWrites })
        {
            var fs = new SimFileSystem(4);
            var options = LogTestHelpers.Small(segmentBytes: 300);
            using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
            {
                for (int i = 0; i < 3; i++)
                {
                    log.AppendOk(BatchBuilder.KeyValues(1000, ($"k{i}", "v")));
                }
                log.Sync();
                for (int i = 3; i < 20; i++)
                {
                    log.AppendOk(BatchBuilder.KeyValues(1000, ($"k{i}", "v")));
                }
                Assert.True(log.SegmentCount > 2);
                fs.Crash(crash);
            }
            using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
            Assert.InRange(reopened.LogEndOffset, 3, 20);
            var records = reopened.ReadAllRecords();
            Assert.Equal(Enumerable.Range(0, (int)reopened.LogEndOffset).Select(i => (long)i), records.Select(r => r.Offset));
            Assert.Equal(Enumerable.Range(0, records.Count).Select(i => $"k{i}"), records.Select(r => r.Key));
        }
    }

    [Fact]
    public async Task AppendsProceedWhileASyncWaitsForTheDisk()
    {
        using var gate = new ManualResetEventSlim(initialState: true);
        using var syncEntered = new ManualResetEventSlim(initialState: false);
        var fs = new HookedFileSystem(new SimFileSystem(5))
        {
            BeforeSync = _ =>
            {
                syncEntered.Set();
                gate.Wait();
            },
        };
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 1 << 20));
        log.AppendOk(BatchBuilder.KeyValues(1000, ("a", "1")));
        gate.Reset();
        syncEntered.Reset(); // Open synced too
        var syncer = Task.Run(log.Sync);
        Assert.True(syncEntered.Wait(TimeSpan.FromSeconds(10)), "the sync should reach the fsync");
        // The fsync is stuck; appends and reads must not wait for it.
        var append = Task.Run(() => log.AppendOk(BatchBuilder.KeyValues(1000, ("b", "2"))));
        await append.WaitAsync(TimeSpan.FromSeconds(10)); // times out if the append waits for the fsync in progress
        Assert.Equal(2, log.ReadAllRecords().Count);
        Assert.Equal(0, log.SyncedOffset);
        gate.Set();
        await syncer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, log.SyncedOffset); // what was appended before the sync began
        log.Sync();
        Assert.Equal(2, log.SyncedOffset);
    }

    [Fact]
    public void AFailedFsyncStopsAppendsAndSyncsButNotReads()
    {
        var fs = new SimFileSystem(6);
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20);
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            log.AppendOk(BatchBuilder.KeyValues(1000, ("a", "1")));
            fs.FailSync = true;
            Assert.Throws<SimulatedFaultException>(log.Sync);
            Assert.Equal(0, log.SyncedOffset);
            fs.FailSync = false;
            Assert.Throws<IOException>(() => log.Append(BatchBuilder.KeyValues(1000, ("b", "2")), 1000));
            Assert.Throws<IOException>(log.Sync);
            Assert.Single(log.ReadAllRecords());
            fs.Crash();
        }
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        Assert.Equal(0, reopened.LogEndOffset);
        reopened.AppendOk(BatchBuilder.KeyValues(1000, ("c", "3")));
    }

    [Fact]
    public void AFailedWriteStopsAppendsAndRecoveryCutsThePartialBatch()
    {
        var fs = new SimFileSystem(7);
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20);
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            log.AppendOk(BatchBuilder.KeyValues(1000, ("a", "1")));
            log.Sync();
            fs.FailAfter(0, SimOperationKind.Write);
            Assert.Throws<SimulatedFaultException>(() => log.Append(BatchBuilder.KeyValues(1000, ("b", "2")), 1000));
            fs.ClearFaults();
            var again = Assert.Throws<IOException>(() => log.Append(BatchBuilder.KeyValues(1000, ("c", "3")), 1000));
            Assert.Contains("refuses writes", again.Message, StringComparison.Ordinal);
            Assert.Equal(1, log.LogEndOffset);
        }
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        Assert.Equal(1, reopened.LogEndOffset);
        Assert.Equal(ErrorCode.None, reopened.Append(BatchBuilder.KeyValues(1000, ("d", "4")), 1000).Error);
    }
}
