using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// Opening after crashes and damage: a torn tail is cut, damage that a crash cannot explain raises
/// <see cref="CorruptionException"/> with the file and byte offset, damaged index files are rebuilt, and leftovers
/// of interrupted work are resolved.
/// </summary>
public sealed class RecoveryTests
{
    private const string Segment0 = LogTestHelpers.Dir + "/00000000000000000000.log";

    private static byte[] Batch(int i) => BatchBuilder.KeyValues(1000 + i, ($"key{i}", $"value{i}"));

    /// <summary>Appends <paramref name="count"/> batches and syncs; returns the byte position of each batch in segment 0.</summary>
    private static List<long> Fill(SimFileSystem fs, PartitionLogOptions options, int count)
    {
        var positions = new List<long>();
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        long position = 0;
        for (int i = 0; i < count; i++)
        {
            var batch = Batch(i);
            positions.Add(position);
            position += batch.Length;
            log.AppendOk(batch);
        }
        log.Sync();
        return positions;
    }

    private static void WriteRaw(SimFileSystem fs, string path, byte[] bytes, bool sync = true)
    {
        using var file = fs.Open(path, FileOpenMode.OpenExisting);
        file.Append(bytes);
        if (sync)
        {
            file.Sync();
        }
    }

    [Fact]
    public void AnIncompleteBatchAtTheEndIsCut()
    {
        var fs = new SimFileSystem(1);
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20);
        Fill(fs, options, 3);
        long length = fs.GetDurableLength(Segment0);
        WriteRaw(fs, Segment0, Batch(3)[..30]);
        var log = new List<string>();
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, options with { Log = log.Add });
        Assert.Equal(3, reopened.LogEndOffset);
        Assert.Equal(length, fs.GetDurableLength(Segment0));
        Assert.Contains(log, line => line.Contains("cut a torn tail", StringComparison.Ordinal));
        Assert.Equal(3, reopened.AppendOk(Batch(3)).BaseOffset);
    }

    [Fact]
    public void ACrcFailingLastBatchIsCut()
    {
        var fs = new SimFileSystem(2);
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20);
        Fill(fs, options, 3);
        var bad = Batch(3);
        bad[^2] ^= 0x40;
        WriteRaw(fs, Segment0, bad);
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        Assert.Equal(3, reopened.LogEndOffset);
    }

    [Fact]
    public void ADamagedBatchFollowedByAValidOneIsCorruptionEvenInTheLastSegment()
    {
        var fs = new SimFileSystem(3);
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20);
        var positions = Fill(fs, options, 4);
        fs.FlipBit(Segment0, positions[1] + 70, 3);
        var error = Assert.Throws<CorruptionException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, options));
        Assert.Equal(Segment0, error.FilePath);
        Assert.Equal(positions[1], error.Offset);
        Assert.Contains("valid batch follows", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ABaseOffsetThatBreaksDensityIsCorruption()
    {
        // baseOffset lies outside the CRC; above the recovery point offsets must be dense.
        var fs = new SimFileSystem(4);
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20);
        var positions = Fill(fs, options, 3);
        fs.FlipBit(Segment0, positions[2] + 7, 4);
        var error = Assert.Throws<CorruptionException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, options));
        Assert.Equal(positions[2], error.Offset);
    }

    /// <summary>Several segments, all synced; returns the log's segment bases.</summary>
    private static long[] FillSegments(SimFileSystem fs, PartitionLogOptions options, int batches)
    {
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        for (int i = 0; i < batches; i++)
        {
            log.AppendOk(Batch(i));
            if (i % 7 == 0)
            {
                log.Sync();
            }
        }
        log.Sync();
        return log.SegmentBaseOffsets();
    }

    [Fact]
    public void AFlippedBitInAClosedSegmentIsReportedByReadsAndByRecovery()
    {
        var fs = new SimFileSystem(5);
        var options = LogTestHelpers.Small(segmentBytes: 400);
        var bases = FillSegments(fs, options, 40);
        Assert.True(bases.Length >= 4);
        long secondBatch = Batch(0).Length;
        fs.FlipBit(Segment0, secondBatch + 66, 1);

        // The index is intact, so open does not scan the closed segment; the read verifies the CRC.
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            var onRead = Assert.Throws<CorruptionException>(() => log.ReadAll());
            Assert.Equal(Segment0, onRead.FilePath);
            Assert.Equal(secondBatch, onRead.Offset);
            Assert.Equal(1, log.Read(0, 1, new byte[4096]).NextOffset); // the first batch is still served
            Assert.NotEmpty(log.ReadAll(from: bases[1]));     // and the other segments
        }

        // Without its index the segment is scanned: below the recovery point any damage is corruption.
        fs.Delete(LogTestHelpers.Dir + "/00000000000000000000.index");
        var onOpen = Assert.Throws<CorruptionException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, options));
        Assert.Equal(Segment0, onOpen.FilePath);
        Assert.Equal(secondBatch, onOpen.Offset);
        Assert.Contains("durable", onOpen.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void DamageAtTheEndOfAClosedSegmentIsCorruptionNotATornTail()
    {
        var fs = new SimFileSystem(6);
        var options = LogTestHelpers.Small(segmentBytes: 400);
        var bases = FillSegments(fs, options, 40);
        long length = fs.GetDurableLength(Segment0);
        fs.FlipBit(Segment0, length - 2, 0);
        fs.Delete(LogTestHelpers.Dir + "/00000000000000000000.timeindex");
        Assert.Throws<CorruptionException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, options));
        Assert.True(bases.Length > 2);
    }

    [Fact]
    public void AClosedSegmentThatLostItsLastBatchesIsCorruption()
    {
        var fs = new SimFileSystem(12);
        var options = LogTestHelpers.Small(segmentBytes: 400);
        FillSegments(fs, options, 40);
        using (var file = fs.Open(Segment0, FileOpenMode.OpenExisting))
        {
            file.Truncate(Batch(0).Length); // cut at a batch boundary: every batch left is valid
            file.Sync();
        }
        var error = Assert.Throws<CorruptionException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, options));
        Assert.Equal(Segment0, error.FilePath);
        Assert.Contains("missing", error.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".index", 3)]
    [InlineData(".index", -1)]
    [InlineData(".timeindex", 0)]
    [InlineData(".timeindex", -1)]
    public void DamagedOrMissingIndexFilesAreRebuilt(string suffix, int damagedByte)
    {
        var fs = new SimFileSystem(7);
        var options = LogTestHelpers.Small(segmentBytes: 400, indexIntervalBytes: 64);
        var bases = FillSegments(fs, options, 40);
        byte[] expected;
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options))
        {
            expected = log.ReadAll();
        }
        string path = LogTestHelpers.Dir + "/" + LogFiles.Name(bases[1], suffix);
        if (damagedByte < 0)
        {
            fs.Delete(path);
        }
        else
        {
            fs.FlipBit(path, damagedByte, 2);
        }
        var lines = new List<string>();
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options with { Log = lines.Add }))
        {
            Assert.Equal(expected, log.ReadAll());
        }
        Assert.Equal(damagedByte >= 0, lines.Any(line => line.Contains("damaged", StringComparison.Ordinal)));
        lines.Clear();
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options with { Log = lines.Add }))
        {
            Assert.Equal(expected, log.ReadAll());
        }
        Assert.DoesNotContain(lines, line => line.Contains("damaged", StringComparison.Ordinal)); // the rebuilt files are intact
        Assert.Equal(40, BatchDecoder.Records(expected).Count);
    }

    [Fact]
    public void IndexedReadsAgreeWithAFullScanFromEveryOffset()
    {
        var fs = new SimFileSystem(8);
        var options = LogTestHelpers.Small(segmentBytes: 500, indexIntervalBytes: 50);
        FillSegments(fs, options, 60);
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        var all = log.ReadAllRecords();
        var buffer = new byte[1 << 16];
        for (long offset = 0; offset < log.LogEndOffset; offset++)
        {
            var result = log.Read(offset, 1, buffer);
            var first = BatchDecoder.Records(buffer.AsSpan(0, result.BytesWritten));
            Assert.Contains(first, r => r.Offset == offset);
            Assert.Equal(all.First(r => r.Offset == offset), first.First(r => r.Offset == offset));
        }
    }

    [Fact]
    public void ALogEndingBelowTheRecoveryPointIsCorruption()
    {
        var fs = new SimFileSystem(9);
        var options = LogTestHelpers.Small(segmentBytes: 400);
        var bases = FillSegments(fs, options, 40);
        // Lose the newest two segments: the snapshots and indexes still prove their offsets were durable.
        foreach (long b in bases[^2..])
        {
            fs.Delete(LogTestHelpers.Dir + "/" + LogFiles.Name(b, ".log"));
        }
        var error = Assert.Throws<CorruptionException>(() => PartitionLog.Open(fs, LogTestHelpers.Dir, options));
        Assert.Contains("durable", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void LeftoversAreResolvedAndUnknownFilesLeftAlone()
    {
        var fs = new SimFileSystem(10);
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20);
        Fill(fs, options, 2);
        foreach (string name in new[] { "00000000000000000099.index", "00000000000000000000.index.tmp", "notes.txt", "00000000000000000000.log.cleaned" })
        {
            using var file = fs.Open(LogTestHelpers.Dir + "/" + name, FileOpenMode.CreateNew);
            file.Append([1, 2, 3]);
        }
        using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
        Assert.Equal(2, log.LogEndOffset);
        Assert.Equal(["00000000000000000000.log", "notes.txt"], fs.List(LogTestHelpers.Dir));
    }

    [Fact]
    public void AnEmptyDirectoryBecomesAnEmptyLog()
    {
        var fs = new SimFileSystem(11);
        using (var log = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small()))
        {
            Assert.Equal(0, log.LogStartOffset);
            Assert.Equal(0, log.LogEndOffset);
            Assert.Equal(1, log.SegmentCount);
        }
        fs.Crash();
        Assert.Equal(["00000000000000000000.log"], fs.List(LogTestHelpers.Dir));
        using var reopened = PartitionLog.Open(fs, LogTestHelpers.Dir, LogTestHelpers.Small());
        Assert.Equal(0, reopened.LogEndOffset);
    }
}
