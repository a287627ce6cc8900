using Tusk.Core;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// <see cref="PartitionLog.OffsetForTimestamp"/> (ListOffsets by time): the first offset whose record timestamp is at
/// least the one asked, checked against a brute-force scan, with timestamps in and out of order, through rebuilt and
/// loaded indexes.
/// </summary>
public sealed class TimestampTests
{
    private static List<StoredRecord> Fill(PartitionLog log, SeededRandom rng, bool ordered, int batches)
    {
        var all = new List<StoredRecord>();
        long clock = 10_000;
        for (int b = 0; b < batches; b++)
        {
            var records = Enumerable.Range(0, 1 + rng.Next(4)).Select(r =>
            {
                clock += rng.Next(50);
                long ts = ordered ? clock : 10_000 + rng.Next(5_000);
                return TestRecord.Of($"k{b}", $"v{b}.{r}", ts);
            }).ToList();
            var result = log.AppendOk(BatchBuilder.Build(records));
            all.AddRange(records.Select((r, i) => new StoredRecord(result.BaseOffset + i, r.KeyText, r.ValueText, r.TimestampMs)));
        }
        log.Sync();
        return all;
    }

    private static void AssertMatchesBruteForce(PartitionLog log, List<StoredRecord> all, long from, long to, int step)
    {
        for (long ts = from; ts <= to; ts += step)
        {
            long? expected = all.FirstOrDefault(r => r.TimestampMs >= ts && r.Offset >= log.LogStartOffset)?.Offset;
            Assert.True(expected == log.OffsetForTimestamp(ts), $"timestamp {ts}: expected {expected}, got {log.OffsetForTimestamp(ts)}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheFirstOffsetAtOrAfterATimestampIsFound(bool ordered)
    {
        var fs = new SimFileSystem(1);
        var rng = new SeededRandom(ordered ? 1UL : 2UL);
        var options = LogTestHelpers.Small(segmentBytes: 700, indexIntervalBytes: 100);
        List<StoredRecord> all;
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            all = Fill(log, rng, ordered, 150);
            Assert.True(log.SegmentCount > 5);
            long max = all.Max(r => r.TimestampMs);
            AssertMatchesBruteForce(log, all, 9_990, max + 10, 7);
            Assert.Null(log.OffsetForTimestamp(max + 1));
            Assert.Equal(0, log.OffsetForTimestamp(long.MinValue));
        }
        // Loaded indexes answer the same.
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            AssertMatchesBruteForce(log, all, 9_990, all.Max(r => r.TimestampMs) + 10, 13);
        }
        // So do rebuilt ones.
        foreach (string name in fs.List(LogTestHelpers.Dir).Where(n => n.EndsWith("index", StringComparison.Ordinal)))
        {
            fs.Delete(LogTestHelpers.Dir + "/" + name);
        }
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            AssertMatchesBruteForce(log, all, 9_990, all.Max(r => r.TimestampMs) + 10, 13);
        }
    }

    [Fact]
    public void RetentionMovesAnswersToTheLogStart()
    {
        var fs = new SimFileSystem(3);
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small(segmentBytes: 500) with { RetentionBytes = 1500 });
        var all = Fill(log, new SeededRandom(3), ordered: true, 80);
        Assert.True(log.ApplyRetention(nowMs: 0) > 0);
        Assert.Equal(log.LogStartOffset, log.OffsetForTimestamp(0));
        AssertMatchesBruteForce(log, all, 10_000, all.Max(r => r.TimestampMs), 11);
    }
}
