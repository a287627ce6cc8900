using Tusk.Core;
using Xunit;

namespace Tusk.Simulation.Tests;

public sealed class SimRandomTests
{
    [Fact]
    public void LogAgreesWithTheLibraryToTheLastFewBits()
    {
        var random = new SeededRandom(7);
        for (int i = 0; i < 10_000; i++)
        {
            double x = 1.0 - random.NextDouble();
            double expected = Math.Log(x);
            Assert.True(Math.Abs(SimRandom.Log(x) - expected) <= 4e-16 * Math.Max(1.0, Math.Abs(expected)), $"Log({x})");
        }
        Assert.Equal(0.0, SimRandom.Log(1.0));
        Assert.Equal(Math.Log(1e300), SimRandom.Log(1e300), 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => SimRandom.Log(0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SimRandom.Log(-1.0));
    }

    [Fact]
    public void ExponentialHasTheRequestedMean()
    {
        var random = new SeededRandom(3);
        double sum = 0;
        for (int i = 0; i < 20_000; i++)
        {
            long draw = SimRandom.Exponential(random, 1_000);
            Assert.True(draw >= 0);
            sum += draw;
        }
        Assert.InRange(sum / 20_000, 950, 1_050);
        Assert.Equal(0, SimRandom.Exponential(random, 0));
    }

    [Fact]
    public void BetweenCoversItsInclusiveRangeAndChanceHonoursItsBounds()
    {
        var random = new SeededRandom(5);
        var seen = new SortedSet<long>();
        for (int i = 0; i < 1_000; i++)
        {
            seen.Add(SimRandom.Between(random, -2, 2));
        }
        Assert.Equal([-2L, -1L, 0L, 1L, 2L], seen);
        Assert.False(SimRandom.Chance(random, 0));
        Assert.True(SimRandom.Chance(random, 1));
    }
}
