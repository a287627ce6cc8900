using Tusk.Core;
using System.Collections.Concurrent;
using Xunit;

namespace Tusk.Kv.Tests;

/// <summary>The hybrid logical clock: close to physical time, strictly monotonic, causal across Update.</summary>
public sealed class HlcTests
{
    [Fact]
    public void NowFollowsPhysicalTimeWhenItMovesForward()
    {
        var clock = new ManualClock();
        var hlc = new Hlc(clock);
        var a = hlc.Now();
        Assert.Equal(ManualClock.StartMicros, a.WallMicros);
        Assert.Equal(0, a.Logical);
        clock.Advance(5);
        var b = hlc.Now();
        Assert.Equal(HlcTimestamp.FromParts(ManualClock.StartMicros + 5, 0), b);
        Assert.Equal(b, hlc.Last);
    }

    [Fact]
    public void NowIsStrictlyMonotonicWhenTheClockStandsStillOrStepsBack()
    {
        var clock = new ManualClock();
        var hlc = new Hlc(clock);
        var previous = hlc.Now();
        for (int i = 0; i < 10_000; i++)
        {
            if (i % 100 == 0)
            {
                clock.Advance(i % 300 == 0 ? -1_000_000 : 1); // an NTP step back now and then
            }
            var next = hlc.Now();
            Assert.True(next > previous, $"step {i}: {next} after {previous}");
            previous = next;
        }
        // The wall part never ran ahead of the highest physical reading by more than the logical overflow allows.
        Assert.True(previous.WallMicros <= ManualClock.StartMicros + 100 + 10_000 / (HlcTimestamp.LogicalMax + 1) + 1);
    }

    [Fact]
    public void LogicalCounterCarriesIntoTheWallPart()
    {
        var clock = new ManualClock();
        var hlc = new Hlc(clock);
        HlcTimestamp t = default;
        for (int i = 0; i <= HlcTimestamp.LogicalMax; i++)
        {
            t = hlc.Now();
        }
        Assert.Equal(HlcTimestamp.FromParts(ManualClock.StartMicros, HlcTimestamp.LogicalMax), t);
        Assert.Equal(HlcTimestamp.FromParts(ManualClock.StartMicros + 1, 0), hlc.Now());
    }

    [Fact]
    public void UpdateMakesEveryLaterTimestampExceedTheReceivedOne()
    {
        var clock = new ManualClock();
        var hlc = new Hlc(clock);
        var remote = HlcTimestamp.FromParts(ManualClock.StartMicros + 60_000_000, 7); // a node a minute ahead
        hlc.Update(remote);
        var next = hlc.Now();
        Assert.Equal(HlcTimestamp.FromParts(ManualClock.StartMicros + 60_000_000, 8), next);
        hlc.Update(HlcTimestamp.FromParts(ManualClock.StartMicros, 0)); // an older one changes nothing
        Assert.True(hlc.Now() > next);
        clock.Advance(120_000_000); // physical time overtakes: back to logical 0
        Assert.Equal(HlcTimestamp.FromParts(ManualClock.StartMicros + 120_000_000, 0), hlc.Now());
    }

    [Fact]
    public void ConcurrentCallersGetDistinctIncreasingTimestamps()
    {
        var clock = new ManualClock();
        var hlc = new Hlc(clock);
        var all = new ConcurrentBag<ulong>();
        const int threads = 4, perThread = 20_000;
        var ok = new bool[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            ulong previous = 0;
            bool increasing = true;
            for (int i = 0; i < perThread; i++)
            {
                if (i % 1000 == 0)
                {
                    clock.Advance(t == 0 ? 3 : -2);
                }
                if (i % 500 == 0)
                {
                    hlc.Update(new HlcTimestamp(hlc.Last.Value + 10));
                }
                ulong v = hlc.Now().Value;
                increasing &= v > previous;
                previous = v;
                all.Add(v);
            }
            ok[t] = increasing;
        });
        Assert.All(ok, Assert.True);
        Assert.Equal(threads * perThread, all.Distinct().Count());
    }

    [Fact]
    public void TimestampPacksWallAndLogicalAndOrdersByBoth()
    {
        var a = HlcTimestamp.FromParts(1_735_689_600_000_000, 4095);
        var b = HlcTimestamp.FromParts(1_735_689_600_000_001, 0);
        Assert.Equal(1_735_689_600_000_000, a.WallMicros);
        Assert.Equal(4095, a.Logical);
        Assert.True(a < b && b > a && a.Next() == b);
        Assert.Equal("1735689600000000.4095", a.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => HlcTimestamp.FromParts(1, HlcTimestamp.LogicalMax + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => HlcTimestamp.FromParts(-1, 0));
        // 52 bits of microseconds last until 2112.
        Assert.True(DateTimeOffset.UnixEpoch.AddTicks(HlcTimestamp.WallMicrosMax * 10).Year >= 2112);
    }
}
