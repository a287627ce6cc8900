using Tusk.Core;
using Xunit;

namespace Tusk.Simulation.Tests;

public sealed class SimClockTests
{
    [Fact]
    public void APerfectClockReadsVirtualTime()
    {
        var executor = new SimExecutor();
        IClock clock = new SimClock(executor);
        executor.RunUntil(2_500_000);
        Assert.Equal(1_000_000, clock.TicksPerSecond);
        Assert.Equal(2_500_000, clock.MonotonicTicks);
        Assert.Equal(SimClock.DefaultEpoch.AddSeconds(2.5), clock.UtcNow);
    }

    [Fact]
    public void SkewMovesTheWallClockOnly()
    {
        var executor = new SimExecutor();
        var epoch = new DateTimeOffset(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var clock = new SimClock(executor, skewMicros: -300_000, epoch: epoch);
        executor.RunUntil(1_000_000);
        Assert.Equal(700_000, clock.WallMicros);
        Assert.Equal(epoch.AddMilliseconds(700), clock.UtcNow);
        Assert.Equal(1_000_000, clock.MonotonicTicks);
    }

    [Fact]
    public void DriftAccumulatesInPartsPerMillion()
    {
        var executor = new SimExecutor();
        var fast = new SimClock(executor, driftPpm: 100);
        var slow = new SimClock(executor, driftPpm: -250);
        executor.RunUntil(10_000_000); // 10 s
        Assert.Equal(1_000, fast.DriftMicros);
        Assert.Equal(10_001_000, fast.MonotonicTicks);
        Assert.Equal(10_001_000, fast.WallMicros);
        Assert.Equal(-2_500, slow.DriftMicros);
        Assert.Equal(9_997_500, slow.MonotonicTicks);

        executor.RunUntil(10_000_009); // 9 µs at -250 ppm is -0.00225 µs: rounds toward zero
        Assert.Equal(-2_500, slow.DriftMicros);
    }

    [Fact]
    public void ChangingTheDriftRateKeepsTheDriftSoFar()
    {
        var executor = new SimExecutor();
        var clock = new SimClock(executor, driftPpm: 1_000);
        executor.RunUntil(1_000_000);
        Assert.Equal(1_000, clock.DriftMicros);
        clock.DriftPpm = -1_000;
        Assert.Equal(1_000, clock.DriftMicros); // no jump at the change
        executor.RunUntil(3_000_000);
        Assert.Equal(1_000 - 2_000, clock.DriftMicros);
        Assert.Equal(2_999_000, clock.MonotonicMicros);
    }

    [Fact]
    public void ClocksCreatedLaterDriftFromTheirCreation()
    {
        var executor = new SimExecutor();
        executor.RunUntil(5_000_000);
        var clock = new SimClock(executor, driftPpm: 200);
        executor.RunUntil(6_000_000);
        Assert.Equal(200, clock.DriftMicros);
    }

    [Fact]
    public void JumpsStepTheWallClockButNeverTheMonotonicOne()
    {
        var executor = new SimExecutor();
        var clock = new SimClock(executor, skewMicros: 50, driftPpm: -SimClock.DriftPpmMax) { MonotonicOffsetMicros = 7 };
        long previousMonotonic = clock.MonotonicTicks;
        for (int i = 1; i <= 1_000; i++)
        {
            executor.RunUntil(i);
            if (i == 500)
            {
                clock.Jump(-1_000_000);
                clock.DriftPpm = 300_000;
            }
            long monotonic = clock.MonotonicTicks;
            Assert.True(monotonic >= previousMonotonic, $"monotonic went back at {i}");
            previousMonotonic = monotonic;
        }
        Assert.Equal(50 - 1_000_000, clock.SkewMicros);
        Assert.Equal(executor.NowMicros + clock.DriftMicros + clock.SkewMicros, clock.WallMicros);
        Assert.Equal(executor.NowMicros + clock.DriftMicros + 7, clock.MonotonicMicros);
        Assert.True(clock.WallMicros < 0); // a stepped-back wall clock may read before the epoch
        Assert.True(clock.UtcNow < clock.Epoch);
    }

    [Fact]
    public void DriftIsBounded()
    {
        var executor = new SimExecutor();
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimClock(executor, driftPpm: SimClock.DriftPpmMax + 1));
        var clock = new SimClock(executor);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.DriftPpm = -SimClock.DriftPpmMax - 1);
    }
}
