namespace Tusk.Core;

/// <summary>
/// Seeded randomness passed into components (STYLE.md C3): no static RNGs, so a run is reproducible
/// from its seed. Not thread-safe; give each thread its own instance.
/// </summary>
public interface IRandom
{
    /// <summary>A uniformly random 64-bit value.</summary>
    ulong NextUInt64();

    /// <summary>A value in [0, <paramref name="maxExclusive"/>).</summary>
    int Next(int maxExclusive);

    /// <summary>A value in [0, 1).</summary>
    double NextDouble();

    /// <summary>Fills <paramref name="buffer"/> with random bytes.</summary>
    void NextBytes(Span<byte> buffer);
}

/// <summary>
/// xoshiro256** seeded through splitmix64: fast, small state, and the same sequence on every platform
/// and .NET version for a given seed (unlike <see cref="System.Random"/>, whose algorithm may change).
/// </summary>
public sealed class SeededRandom : IRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose sequence is fixed by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The seed this generator started from (print it when a test fails).</summary>
    public ulong Seed { get; }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9e3779b97f4a7c15UL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }

    /// <inheritdoc />
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <inheritdoc />
    public int Next(int maxExclusive)
    {
        Invariant.Check(maxExclusive > 0, "Next: maxExclusive must be positive");
        // Lemire's multiply-shift; the bias for 31-bit ranges is below 2^-32 and irrelevant here.
        return (int)((NextUInt64() >> 32) * (ulong)maxExclusive >> 32);
    }

    /// <summary>A value in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int minInclusive, int maxExclusive) => minInclusive + Next(maxExclusive - minInclusive);

    /// <inheritdoc />
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc />
    public void NextBytes(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)NextUInt64();
        }
    }

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public bool Chance(double probability) => NextDouble() < probability;
}
