using System.Text;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Simulation;
using Tusk.Storage.Log;
using Xunit;

namespace Tusk.Storage.Tests;

/// <summary>The shared segmented log: torn tails versus damage, decided by the synced watermark.</summary>
public sealed class LogTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string> ReplayAll(SimFileSystem fs)
    {
        var records = new List<string>();
        using var log = SegmentedLog.Open(fs, "/log");
        log.Replay(0, (_, _, payload) => records.Add(Encoding.UTF8.GetString(payload)));
        return records;
    }

    /// <summary>Appends r1 (synced), r2 (synced), r3 (unsynced); returns the record offsets.</summary>
    private static long[] WriteThree(SimFileSystem fs)
    {
        using var log = SegmentedLog.Open(fs, "/log");
        log.StartSegment(1);
        long a = log.Append(B("record-one"));
        log.Sync();
        long b = log.Append(B("record-two"));
        log.Sync();
        long c = log.Append(B("record-three"));
        log.Sync(); // make the bytes durable so the test can damage them deterministically
        return [a, b, c];
    }

    [Fact]
    public void DamageInASyncedRecordIsCorruption()
    {
        var fs = new SimFileSystem(1);
        long[] at = WriteThree(fs);
        fs.FlipBit("/log/000001.log", at[1] + LogRecord.HeaderLength + 2, 3);
        var e = Assert.Throws<CorruptionException>(() => ReplayAll(fs));
        Assert.Contains("000001.log", e.Message);
        Assert.Equal(at[1], e.Offset);
    }

    [Fact]
    public void DamageInTheLastRecordIsATornTailAndIsCut()
    {
        var fs = new SimFileSystem(2);
        long[] at = WriteThree(fs);
        fs.FlipBit("/log/000001.log", at[2] + LogRecord.HeaderLength + 1, 0);
        Assert.Equal(["record-one", "record-two"], ReplayAll(fs));
        Assert.Equal(at[2], fs.GetDurableLength("/log/000001.log"));
    }

    /// <summary>
    /// A recovery cuts a torn tail but its fsync fails, so the cut is visible and not durable. The next recovery sees
    /// a clean tail, yet must still make it durable: otherwise a later crash brings the torn bytes back behind a newer
    /// segment, where they read as corruption of a closed segment (found by the Raft simulator, seed 279).
    /// </summary>
    [Fact]
    public void ARecoveryWhoseFsyncFailedIsMadeDurableByTheNextOne()
    {
        var fs = new SimFileSystem(5);
        long[] at = WriteThree(fs);
        fs.FlipBit("/log/000001.log", at[2] + LogRecord.HeaderLength + 1, 0);
        fs.FailSync = true;
        Assert.ThrowsAny<IOException>(() => ReplayAll(fs));
        fs.FailSync = false;
        using (var log = SegmentedLog.Open(fs, "/log"))
        {
            log.Replay(0, (_, _, _) => { });
            log.StartSegment(2);
            log.Append(B("record-four"));
            log.Sync();
        }
        Assert.Equal(at[2], fs.GetDurableLength("/log/000001.log"));
        fs.Crash(CrashOptions.TearWrites);
        Assert.Equal(["record-one", "record-two", "record-four"], ReplayAll(fs));
    }

    /// <summary>
    /// Page writeback may persist a later unsynced record while an earlier unsynced one is torn. Both were
    /// unacknowledged as synced (the later record's watermark says so), so the log is cut at the tear.
    /// </summary>
    [Fact]
    public void TornUnsyncedRecordFollowedByAValidUnsyncedOneIsCut()
    {
        var fs = new SimFileSystem(3);
        using (var log = SegmentedLog.Open(fs, "/log"))
        {
            log.StartSegment(1);
            log.Append(B("synced"));
            log.Sync();
            long torn = log.Append(B("unsynced-1"));
            log.Append(B("unsynced-2"));
            log.Sync(); // durable for the test; the watermarks still say only "synced" was synced when they were written
            fs.FlipBit("/log/000001.log", torn + LogRecord.HeaderLength, 1);
        }
        Assert.Equal(["synced"], ReplayAll(fs));
    }

    [Fact]
    public void AClosedSegmentWithADamagedEndIsCorruption()
    {
        var fs = new SimFileSystem(4);
        long last;
        using (var log = SegmentedLog.Open(fs, "/log"))
        {
            log.StartSegment(1);
            log.Append(B("a"));
            last = log.Append(B("b"));
            log.StartSegment(2); // syncs segment 1
            log.Append(B("c"));
            log.Sync();
        }
        fs.FlipBit("/log/000001.log", last + LogRecord.HeaderLength, 0);
        Assert.Throws<CorruptionException>(() => ReplayAll(fs));
    }

    [Fact]
    public void ReplayFromASegmentSkipsOlderOnesAndDeleteRemovesThem()
    {
        var fs = new SimFileSystem(5);
        using (var log = SegmentedLog.Open(fs, "/log"))
        {
            log.StartSegment(10);
            log.Append(B("old"));
            log.StartSegment(20);
            log.Append(B("new"));
            log.Sync();
            Assert.Equal(1, log.DeleteSegmentsBefore(20));
        }
        Assert.Equal(["new"], ReplayAll(fs));
        Assert.False(fs.FileExists("/log/000010.log"));
    }
}
