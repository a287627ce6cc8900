using System.Text;
using Tusk.Core.Encoding;
using Xunit;

namespace Tusk.Core.Tests.Encoding;

/// <summary>
/// Property tests of the tuple encoding on seeded random tuples (<see cref="TupleGenerator"/>): packed keys sort
/// like <see cref="TupleEncoding.Compare"/>, unpacking inverts packing, a tuple's key prefixes the keys of its
/// extensions, and <see cref="TupleEncoding.TupleRange"/> holds exactly the extensions. Each check returns a
/// description of what went wrong (or null); a failure, or an exception, is reported with the seed, the
/// iteration and the tuples, and rerunning the same seed replays it.
/// </summary>
public sealed class TuplePropertyTests
{
    private const int IterationsPerSeed = 3000;

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(42UL)]
    [InlineData(0xDEAD_BEEFUL)]
    [InlineData(20_251_121UL)]
    public void PackedKeysSortLikeTuples(ulong seed)
    {
        var generator = new TupleGenerator(new SeededRandom(seed));
        var counts = new OutcomeCounts();
        for (int iteration = 0; iteration < IterationsPerSeed; iteration++)
        {
            object?[] a = generator.NextTuple();
            // Half the pairs are near each other, so comparisons reach deep into both tuples.
            object?[] b = generator.Random.Chance(0.5) ? generator.Mutate(a) : generator.NextTuple();
            Run(seed, iteration, a, b, () => CheckOrder(a, b, counts));
        }
        // The generator must keep producing every kind of case, or the property holds vacuously.
        int minimum = IterationsPerSeed / 50;
        Assert.True(counts.Less > minimum && counts.Equal > minimum && counts.Greater > minimum && counts.ProperExtensions > minimum,
            $"seed {seed}: too few cases of a kind: less {counts.Less}, equal {counts.Equal}, greater {counts.Greater}, " +
            $"proper extensions {counts.ProperExtensions}");
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(7UL)]
    [InlineData(99UL)]
    [InlineData(0xC0FFEEUL)]
    public void UnpackInvertsPack(ulong seed)
    {
        var generator = new TupleGenerator(new SeededRandom(seed));
        for (int iteration = 0; iteration < IterationsPerSeed; iteration++)
        {
            object?[] tuple = generator.NextTuple();
            Run(seed, iteration, tuple, null, () => CheckRoundTrip(tuple));
        }
    }

    [Theory]
    [InlineData(5UL)]
    [InlineData(11UL)]
    [InlineData(0xFEEDUL)]
    public void PackOfPrefixIsPrefixOfPack(ulong seed)
    {
        var generator = new TupleGenerator(new SeededRandom(seed));
        for (int iteration = 0; iteration < IterationsPerSeed; iteration++)
        {
            object?[] tuple = generator.NextTuple();
            object?[] extended = [.. tuple, generator.NextElement(depth: 0)];
            Run(seed, iteration, extended, null, () => CheckPrefixes(extended));
        }
    }

    private sealed class OutcomeCounts
    {
        public int Less { get; set; }
        public int Equal { get; set; }
        public int Greater { get; set; }
        public int ProperExtensions { get; set; }
    }

    private static string? CheckOrder(object?[] a, object?[] b, OutcomeCounts counts)
    {
        byte[] packedA = TupleEncoding.Pack(a);
        byte[] packedB = TupleEncoding.Pack(b);
        int expected = Math.Sign(TupleEncoding.Compare(a, b));
        int actual = Math.Sign(TupleEncoding.CompareBytes(packedA, packedB));
        if (actual != expected)
        {
            return $"order: Compare(a, b) gives {expected}, CompareBytes of the keys gives {actual}";
        }
        int reversed = Math.Sign(TupleEncoding.Compare(b, a));
        if (reversed != -expected)
        {
            return $"Compare is not antisymmetric: Compare(a, b) = {expected}, Compare(b, a) = {reversed}";
        }
        bool extends = Extends(b, a);
        var (begin, end) = TupleEncoding.TupleRange(packedA);
        bool inRange = TupleEncoding.CompareBytes(begin, packedB) <= 0 && TupleEncoding.CompareBytes(packedB, end) < 0;
        if (inRange != extends)
        {
            return $"TupleRange(a) contains b: {inRange}, but b extends a: {extends}";
        }
        counts.Less += expected < 0 ? 1 : 0;
        counts.Equal += expected == 0 ? 1 : 0;
        counts.Greater += expected > 0 ? 1 : 0;
        counts.ProperExtensions += extends && b.Length > a.Length ? 1 : 0;
        return null;
    }

    private static string? CheckRoundTrip(object?[] tuple)
    {
        byte[] packed = TupleEncoding.Pack(tuple);
        object?[] unpacked = TupleEncoding.Unpack(packed);
        if (TupleEncoding.Compare(unpacked, tuple) != 0)
        {
            return "Unpack(Pack(t)) differs from t; unpacked " + TupleGenerator.Format(unpacked);
        }
        if (!TupleEncoding.Pack(unpacked).AsSpan().SequenceEqual(packed))
        {
            return "Pack(Unpack(key)) differs from key";
        }
        string? wrongType = FindNonCanonicalType(unpacked);
        return wrongType is null ? null : "Unpack returned a " + wrongType;
    }

    private static string? CheckPrefixes(object?[] tuple)
    {
        byte[] packed = TupleEncoding.Pack(tuple);
        for (int count = 0; count <= tuple.Length; count++)
        {
            byte[] packedPrefix = TupleEncoding.Pack(tuple[..count]);
            if (!packed.AsSpan().StartsWith(packedPrefix))
            {
                return $"Pack of the first {count} elements ({Convert.ToHexString(packedPrefix)}) is not a prefix";
            }
            if (count > 0 && count < tuple.Length && TupleEncoding.CompareBytes(packed, TupleEncoding.Strinc(packedPrefix)) >= 0)
            {
                return $"the key is not below Strinc of the key of its first {count} elements";
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="tuple"/> starts with the elements of <paramref name="prefix"/>.</summary>
    private static bool Extends(object?[] tuple, object?[] prefix) =>
        tuple.Length >= prefix.Length && TupleEncoding.Compare(tuple[..prefix.Length], prefix) == 0;

    private static string? FindNonCanonicalType(object?[] tuple)
    {
        foreach (object? element in tuple)
        {
            switch (element)
            {
                case null or bool or long or double or string or byte[]:
                    break;
                case object?[] nested:
                    string? inner = FindNonCanonicalType(nested);
                    if (inner is not null)
                    {
                        return inner;
                    }
                    break;
                default:
                    return element.GetType().FullName;
            }
        }
        return null;
    }

    /// <summary>Runs one check; reports its failure or exception with everything needed to replay it.</summary>
    private static void Run(ulong seed, int iteration, object?[] a, object?[]? b, Func<string?> check)
    {
        string? failure;
        try
        {
            failure = check();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            failure = "threw " + e;
        }
        if (failure is not null)
        {
            Assert.Fail(Describe(seed, iteration, failure, a, b));
        }
    }

    private static string Describe(ulong seed, int iteration, string what, object?[] a, object?[]? b)
    {
        var text = new StringBuilder();
        text.Append("seed ").Append(seed).Append(", iteration ").Append(iteration).Append(": ").AppendLine(what);
        text.Append("  a = ").AppendLine(TupleGenerator.Format(a));
        text.Append("      key ").AppendLine(HexOrError(a));
        if (b is not null)
        {
            text.Append("  b = ").AppendLine(TupleGenerator.Format(b));
            text.Append("      key ").AppendLine(HexOrError(b));
        }
        text.Append("Replay: rerun this test case with the same seed; the generator is deterministic.");
        return text.ToString();
    }

    private static string HexOrError(object?[] tuple)
    {
        try
        {
            return Convert.ToHexString(TupleEncoding.Pack(tuple));
        }
        catch (ArgumentException e)
        {
            return "(Pack threw: " + e.Message + ")";
        }
    }
}
