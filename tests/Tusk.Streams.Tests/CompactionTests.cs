using Tusk.Core;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// Log compaction (cleanup.policy=compact): closed segments keep only the newest record per key, tombstones go after
/// delete.retention.ms, offsets and batch ranges never change, each call does bounded work, and a crash at any step
/// of the rewrite and swap leaves a log that reads as either the old or the new segment.
/// </summary>
public sealed class CompactionTests
{
    private static PartitionLogOptions Options(int segmentBytes = 600, long budget = long.MaxValue / 2) =>
        LogTestHelpers.Small(segmentBytes) with { CleanupPolicy = CleanupPolicy.Compact, DeleteRetentionMs = 10_000, CompactionBytesPerRun = budget };

    /// <summary>Appends records over <paramref name="keys"/> keys (every 7th a tombstone), returns what was appended by offset.</summary>
    private static SortedDictionary<long, StoredRecord> Fill(PartitionLog log, ulong seed, int batches, int keys, long nowMs = 1000)
    {
        var rng = new SeededRandom(seed);
        var model = new SortedDictionary<long, StoredRecord>();
        for (int b = 0; b < batches; b++)
        {
            var records = Enumerable.Range(0, 1 + rng.Next(4)).Select(r =>
            {
                string key = $"key{rng.Next(keys)}";
                return TestRecord.Of(key, rng.Next(7) == 0 ? null : $"v{b}.{r}", nowMs + b);
            }).ToList();
            var result = log.AppendOk(BatchBuilder.Build(records), nowMs);
            for (int r = 0; r < records.Count; r++)
            {
                model[result.BaseOffset + r] = new StoredRecord(result.BaseOffset + r, records[r].KeyText, records[r].ValueText, nowMs + b);
            }
        }
        log.Sync(); // closes become final, so compaction may take them
        return model;
    }

    private static CompactionResult CompactFully(PartitionLog log, long nowMs)
    {
        var total = new CompactionResult();
        for (int i = 0; i < 1000; i++)
        {
            var r = log.Compact(nowMs);
            total = new CompactionResult(total.BytesMapped + r.BytesMapped, total.BytesCleaned + r.BytesCleaned, total.BytesWritten + r.BytesWritten,
                total.SegmentsRewritten + r.SegmentsRewritten, total.RecordsRemoved + r.RecordsRemoved, total.TombstonesRemoved + r.TombstonesRemoved, r.MoreWork);
            if (!r.MoreWork)
            {
                Assert.Equal(0, log.Compact(nowMs).BytesMapped); // and indeed nothing is left
                return total;
            }
        }
        throw new InvalidOperationException("compaction did not finish");
    }

    /// <summary>The newest value of each key (null for a tombstone), reading records in offset order.</summary>
    private static Dictionary<string, string?> Latest(IEnumerable<StoredRecord> records)
    {
        var latest = new Dictionary<string, string?>();
        foreach (var r in records)
        {
            latest[r.Key!] = r.Value;
        }
        return latest;
    }

    /// <summary>What a consumer reading from the start ends up with: tombstoned keys absent.</summary>
    private static Dictionary<string, string> View(IEnumerable<StoredRecord> records) =>
        Latest(records).Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!);

    /// <summary>Survivors are originals at their original offsets, and the consumer's view is unchanged.</summary>
    private static void AssertFaithful(PartitionLog log, SortedDictionary<long, StoredRecord> model, string where = "")
    {
        var stored = log.ReadAllRecords();
        foreach (var r in stored)
        {
            Assert.True(model.TryGetValue(r.Offset, out var original) && original == r, $"{where}: offset {r.Offset} holds {r}, appended {original}");
        }
        Assert.Equal(View(model.Values), View(stored));
        Assert.True(stored.Select(r => r.Offset).SequenceEqual(stored.Select(r => r.Offset).Order()), $"{where}: offsets must ascend");
    }

    [Fact]
    public void OnlyTheNewestRecordPerKeySurvivesInClosedSegmentsAndOffsetsStay()
    {
        var fs = new SimFileSystem(1);
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options());
        var model = Fill(log, 1, batches: 150, keys: 12);
        var batchesBefore = BatchDecoder.Batches(log.ReadAll());
        long sizeBefore = log.SizeBytes;
        var result = CompactFully(log, nowMs: 2000);
        Assert.True(result.SegmentsRewritten > 0);
        Assert.True(result.RecordsRemoved > 0);
        Assert.Equal(0, result.TombstonesRemoved); // not yet 10 s old
        Assert.True(log.SizeBytes < sizeBefore);
        AssertFaithful(log, model);

        long activeBase = log.SegmentBaseOffsets()[^1];
        var closed = log.ReadAllRecords().Where(r => r.Offset < activeBase).ToList();
        Assert.Equal(closed.Count, closed.Select(r => r.Key).Distinct().Count()); // one record per key
        var newestClosed = Latest(model.Values.Where(r => r.Offset < activeBase));
        foreach (var r in closed)
        {
            Assert.Equal(newestClosed[r.Key!], r.Value);
        }
        // Surviving batches keep their offset ranges (lastOffsetDelta), so offsets stay monotonic.
        var ranges = batchesBefore.ToDictionary(b => b.BaseOffset, b => b.LastOffset);
        foreach (var b in BatchDecoder.Batches(log.ReadAll()))
        {
            Assert.Equal(ranges[b.BaseOffset], b.LastOffset);
        }
        Assert.Equal(model.Keys.Max() + 1, log.LogEndOffset);
    }

    [Fact]
    public void TombstonesStayForDeleteRetentionMsThenGo()
    {
        var fs = new SimFileSystem(2);
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options(segmentBytes: 300));
        log.AppendOk(BatchBuilder.KeyValues(1000, ("a", "1"), ("b", "1")), nowMs: 1000);
        log.AppendOk(BatchBuilder.KeyValues(1000, ("a", null), ("c", "1")), nowMs: 1000);
        for (int i = 0; i < 6; i++)
        {
            log.AppendOk(BatchBuilder.KeyValues(1000, ($"x{i}", "filler-filler-filler")), nowMs: 1000);
        }
        log.Sync();
        Assert.True(log.SegmentCount >= 3);
        CompactFully(log, nowMs: 5000);
        var records = log.ReadAllRecords();
        Assert.DoesNotContain(records, r => r.Key == "a" && r.Value is not null); // the value the tombstone deletes is gone
        Assert.Contains(records, r => r.Key == "a" && r.Value is null);           // the tombstone is not 10 s old

        // New data makes the log dirty again; by now the tombstone's segment is past delete.retention.ms.
        for (int i = 0; i < 6; i++)
        {
            log.AppendOk(BatchBuilder.KeyValues(20_000, ($"y{i}", "filler-filler-filler")), nowMs: 20_000);
        }
        log.Sync();
        var result = CompactFully(log, nowMs: 20_000);
        Assert.Equal(1, result.TombstonesRemoved);
        records = log.ReadAllRecords();
        Assert.DoesNotContain(records, r => r.Key == "a");
        Assert.Contains(records, r => r.Key == "b");
        Assert.Equal(3, records.Single(r => r.Key == "c").Offset);
    }

    [Fact]
    public void EachCallDoesBoundedWork()
    {
        var fs = new SimFileSystem(3);
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options(segmentBytes: 500, budget: 1200));
        var model = Fill(log, 3, batches: 200, keys: 30);
        int calls = 0;
        while (true)
        {
            var r = log.Compact(nowMs: 2000);
            calls++;
            Assert.True(r.BytesMapped + r.BytesCleaned <= 1200 + 500, $"call {calls} read {r.BytesMapped + r.BytesCleaned} bytes");
            if (!r.MoreWork)
            {
                break;
            }
            Assert.True(calls < 1000);
        }
        Assert.True(calls > 5, $"only {calls} calls");
        AssertFaithful(log, model);
    }

    [Fact]
    public void ReadsFromRemovedOffsetsReturnTheNextSurvivingBatch()
    {
        var fs = new SimFileSystem(4);
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options());
        var model = Fill(log, 4, batches: 120, keys: 5);
        CompactFully(log, nowMs: 2000);
        var survivors = log.ReadAllRecords();
        var buffer = new byte[1 << 16];
        for (long offset = 0; offset < log.LogEndOffset; offset++)
        {
            var result = log.Read(offset, 1, buffer);
            var records = BatchDecoder.Records(buffer.AsSpan(0, result.BytesWritten));
            // The batch holding offset may keep only earlier records (a consumer skips them); nothing at or after
            // offset is skipped: the first survivor from offset is returned or lies at or after NextOffset.
            var expected = survivors.FirstOrDefault(r => r.Offset >= offset);
            var returned = records.FirstOrDefault(r => r.Offset >= offset);
            Assert.True(result.NextOffset > offset || expected is null);
            if (returned is not null)
            {
                Assert.Equal(expected, returned);
            }
            else
            {
                Assert.True(expected is null || expected.Offset >= result.NextOffset, $"offset {offset}: {expected} skipped");
            }
            Assert.All(records, r => Assert.Contains(r, survivors));
        }
        Assert.NotEmpty(model);
    }

    [Fact]
    public void CompactedSegmentsReopenWithIntactIndexes()
    {
        var fs = new SimFileSystem(5);
        SortedDictionary<long, StoredRecord> model;
        byte[] before;
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options()))
        {
            model = Fill(log, 5, batches: 100, keys: 8);
            CompactFully(log, nowMs: 2000);
            before = log.ReadAll();
        }
        fs.Crash();
        var lines = new List<string>();
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, Options() with { Log = lines.Add });
        Assert.Empty(lines);
        Assert.Equal(before, reopened.ReadAll());
        AssertFaithful(reopened, model);
    }

    [Fact]
    public void DeletePolicyLogsAreNotCompacted()
    {
        using var log = PartitionLog.Open(new SimFileSystem(6), LogTestHelpers.Dir, LogTestHelpers.Small(600));
        for (int i = 0; i < 50; i++)
        {
            log.AppendOk(BatchBuilder.KeyValues(1000, ("same", $"v{i}")));
        }
        log.Sync();
        var result = log.Compact(nowMs: 2000);
        Assert.Equal(0, result.SegmentsRewritten + result.BytesMapped);
        Assert.Equal(50, log.ReadAllRecords().Count);
    }

    /// <summary>
    /// A process that dies between renames (no power loss: every rename it made stays) leaves one of the two
    /// states recovery resolves: the log not yet renamed (discard the copies) or renamed (finish the index renames).
    /// </summary>
    [Theory]
    [InlineData(".log.cleaned", "discarded")]
    [InlineData(".index.cleaned", "finished")]
    [InlineData(".timeindex.cleaned", "finished")]
    public void AnInterruptedSwapIsFinishedOrDiscardedDeterministically(string failingRename, string outcome)
    {
        var fs = new SimFileSystem(10);
        SortedDictionary<long, StoredRecord> model;
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options()))
        {
            model = Fill(log, 10, batches: 60, keys: 4);
            fs.FaultPredicate = op => op.Kind == SimOperationKind.Rename && op.Path.EndsWith(failingRename, StringComparison.Ordinal);
            Assert.Throws<SimulatedFaultException>(() => CompactFully(log, nowMs: 2000));
            fs.ClearFaults();
            Assert.Throws<IOException>(() => log.Append(BatchBuilder.KeyValues(1000, ("k", "v")), 1000)); // failed, as after a failed flush
        }
        Assert.Contains(fs.List(LogTestHelpers.Dir), n => n.EndsWith(".cleaned", StringComparison.Ordinal));
        var lines = new List<string>();
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options() with { Log = lines.Add }))
        {
            Assert.Contains(lines, l => l.Contains(outcome + " an interrupted compaction swap", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("damaged", StringComparison.Ordinal)); // indexes match their segments
            Assert.DoesNotContain(fs.List(LogTestHelpers.Dir), n => n.EndsWith(".cleaned", StringComparison.Ordinal));
            AssertFaithful(log, model);
            CompactFully(log, nowMs: 2000);
            AssertFaithful(log, model);
        }
    }

    /// <summary>
    /// Crash after k file-system mutations of a compaction, for every k until the compaction gets through: the
    /// reopened log is faithful, has no leftovers, and compacts to the same result as an uninterrupted run.
    /// </summary>
    [Theory]
    [InlineData(7UL)]
    [InlineData(8UL)]
    [InlineData(9UL)]
    public void ACrashAtAnyStepOfTheSwapLeavesAFaithfulLog(ulong seed)
    {
        var origin = new SimFileSystem(seed);
        SortedDictionary<long, StoredRecord> model;
        using (var log = PartitionLog.Open(origin, LogTestHelpers.Dir, Options(segmentBytes: 500, budget: 1500)))
        {
            model = Fill(log, seed, batches: 80, keys: 6);
        }
        byte[] expected;
        using (var log = PartitionLog.Open(origin.Clone(seed), LogTestHelpers.Dir, Options(segmentBytes: 500, budget: 1500)))
        {
            CompactFully(log, nowMs: 2000);
            expected = log.ReadAll();
        }
        for (int k = 0; ; k++)
        {
            string where = $"seed {seed}, crash after {k} mutations";
            var fs = origin.Clone(seed * 1000 + (ulong)k);
            bool interrupted = false;
            using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options(segmentBytes: 500, budget: 1500)))
            {
                fs.FailAfter(k, SimOperationKind.Mutations);
                try
                {
                    CompactFully(log, nowMs: 2000);
                }
                catch (IOException e) when (e is SimulatedFaultException or { InnerException: SimulatedFaultException })
                {
                    interrupted = true;
                }
            }
            fs.Crash(k % 2 == 0 ? CrashOptions.TearWrites : CrashOptions.DropUnsynced);
            fs.ClearFaults();
            using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, Options(segmentBytes: 500, budget: 1500)))
            {
                Assert.DoesNotContain(fs.List(LogTestHelpers.Dir), n => n.EndsWith(".cleaned", StringComparison.Ordinal) || n.EndsWith(".tmp", StringComparison.Ordinal));
                AssertFaithful(log, model, where);
                CompactFully(log, nowMs: 2000);
                Assert.True(expected.AsSpan().SequenceEqual(log.ReadAll()), $"{where}: finishing the compaction gave different bytes");
            }
            if (!interrupted)
            {
                Assert.True(k > 10, $"seed {seed}: the compaction took only {k} mutations");
                break;
            }
        }
    }
}
