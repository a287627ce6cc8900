using Tusk.Core;

namespace Tusk.Simulation;

/// <summary>
/// Draws the simulator (and harnesses built on it) need on top of <see cref="IRandom"/>. Only IEEE basic operations (+, -, *, /), which are
/// correctly rounded everywhere, so a seed gives the same draws on every platform: <see cref="Math.Log(double)"/>
/// comes from the platform's libm and may differ in the last bit between Linux and macOS, which could change a
/// rounded latency and with it a whole run.
/// </summary>
public static class SimRandom
{
    private const double Ln2 = 0.6931471805599453;
    private const double Sqrt2 = 1.4142135623730951;

    /// <summary>True with probability <paramref name="probability"/> (never draws when it is 0 or 1).</summary>
    public static bool Chance(IRandom random, double probability)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (probability <= 0.0)
        {
            return false;
        }
        return probability >= 1.0 || random.NextDouble() < probability;
    }

    /// <summary>A value in [0, <paramref name="maxExclusive"/>); Lemire's multiply-high, bias below 2^-32.</summary>
    public static long Below(IRandom random, long maxExclusive)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (long)Math.BigMul(random.NextUInt64(), (ulong)maxExclusive, out _);
    }

    /// <summary>A value in [<paramref name="minInclusive"/>, <paramref name="maxInclusive"/>].</summary>
    public static long Between(IRandom random, long minInclusive, long maxInclusive)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minInclusive, maxInclusive);
        return minInclusive + Below(random, maxInclusive - minInclusive + 1);
    }

    /// <summary>
    /// An exponentially distributed value with mean <paramref name="meanMicros"/>, rounded down; 0 when the mean is
    /// not positive. The largest possible draw is about 37 times the mean (NextDouble has 53 bits).
    /// </summary>
    public static long Exponential(IRandom random, long meanMicros)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (meanMicros <= 0)
        {
            return 0;
        }
        double u = 1.0 - random.NextDouble(); // (0, 1]
        return (long)(-Log(u) * meanMicros);
    }

    /// <summary>Picks one element uniformly.</summary>
    public static T Pick<T>(IRandom random, IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfZero(items.Count);
        return items[random.Next(items.Count)];
    }

    /// <summary>Fisher-Yates, in place.</summary>
    public static void Shuffle<T>(IRandom random, IList<T> items)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(items);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// Natural logarithm of a positive normal double: x = m·2^e with m in [√½, √2), then
    /// ln m = 2·atanh((m-1)/(m+1)) by its series (|z| ≤ 0.172, so 12 terms reach double precision).
    /// </summary>
    public static double Log(double x)
    {
        if (!(x > 0.0 && double.IsNormal(x)))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "Log takes a positive normal number");
        }
        long bits = BitConverter.DoubleToInt64Bits(x);
        int exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        double mantissa = BitConverter.Int64BitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L);
        if (mantissa > Sqrt2)
        {
            mantissa /= 2.0;
            exponent++;
        }
        double z = (mantissa - 1.0) / (mantissa + 1.0);
        double z2 = z * z;
        double sum = 0.0;
        double power = z;
        for (int k = 0; k < 12; k++)
        {
            sum += power / (2 * k + 1);
            power *= z2;
        }
        return 2.0 * sum + exponent * Ln2;
    }
}
