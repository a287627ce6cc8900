using System.Globalization;
using System.Text;

namespace Tusk.Core.Tests.Encoding;

/// <summary>
/// Seeded random tuples for the property tests: nested up to <see cref="NestingDepthMax"/>, biased towards edge
/// values (integer byte-length boundaries, signed zeros, infinities, NaNs, strings with U+0000 and characters
/// beyond U+FFFF, bytes 0x00 and 0xFF) and towards pairs that share prefixes, so that comparisons often reach
/// deep into both tuples. The same seed gives the same tuples on every machine.
/// </summary>
internal sealed class TupleGenerator(SeededRandom random)
{
    /// <summary>Deepest nesting generated (a top-level tuple is depth 0).</summary>
    public const int NestingDepthMax = 3;

    private const int ElementCountMax = 4;

    private static readonly long[] _edgeIntegers =
    [
        long.MinValue, long.MinValue + 1, -(1L << 56) - 1, -(1L << 56), -(1L << 56) + 1, -65536, -65535, -257, -256,
        -255, -2, -1, 0, 1, 2, 127, 128, 255, 256, 257, 65535, 65536, (1L << 56) - 1, 1L << 56, long.MaxValue - 1,
        long.MaxValue,
    ];

    private static readonly double[] _edgeDoubles =
    [
        double.NegativeInfinity, double.MinValue, -1.5, -1.0, -double.Epsilon, double.NegativeZero, 0.0,
        double.Epsilon, 1.0, 1.5, double.MaxValue, double.PositiveInfinity, double.NaN, -double.NaN,
        BitConverter.UInt64BitsToDouble(0x7FF0_0000_0000_0001UL), BitConverter.UInt64BitsToDouble(0xFFF0_0000_0000_0001UL),
    ];

    private static readonly string[] _stringPieces =
    [
        "a", "b", "\0", "\u0001", "\u007F", "\u0080", "é", "ÿ", "中", "\uE000", "\uFFFD", "\uFFFF", "😀", "\U0010FFFF",
    ];

    private static readonly byte[] _edgeBytes = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];

    public SeededRandom Random => random;

    /// <summary>A random top-level tuple.</summary>
    public object?[] NextTuple() => NextTuple(depth: 0);

    private object?[] NextTuple(int depth)
    {
        var elements = new object?[random.Next(ElementCountMax + 1)];
        for (int i = 0; i < elements.Length; i++)
        {
            elements[i] = NextElement(depth);
        }
        return elements;
    }

    /// <summary>A random element of a tuple at <paramref name="depth"/>.</summary>
    public object? NextElement(int depth) => random.Next(depth < NestingDepthMax ? 9 : 8) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 or 3 => NextInteger(),
        4 => NextDouble(),
        5 => NextString(),
        6 => NextBytes(),
        7 => random.Chance(0.2) ? NextFloat() : NextInteger(),
        _ => NextTuple(depth + 1),
    };

    private long NextInteger()
    {
        if (random.Chance(0.5))
        {
            return _edgeIntegers[random.Next(_edgeIntegers.Length)];
        }
        // Magnitudes of every byte length, both signs.
        long value = (long)(random.NextUInt64() >> random.Next(64));
        return random.Chance(0.5) ? value : -value;
    }

    private double NextDouble() => random.Next(4) switch
    {
        0 or 1 => _edgeDoubles[random.Next(_edgeDoubles.Length)],
        2 => random.Next(-6, 7) / 2.0,
        _ => BitConverter.UInt64BitsToDouble(random.NextUInt64()),
    };

    private float NextFloat() => random.Next(3) switch
    {
        0 => float.NaN,
        1 => random.Next(-6, 7) / 2.0f,
        _ => BitConverter.UInt32BitsToSingle((uint)random.NextUInt64()),
    };

    private string NextString()
    {
        var builder = new StringBuilder();
        int count = random.Next(6);
        for (int i = 0; i < count; i++)
        {
            builder.Append(_stringPieces[random.Next(_stringPieces.Length)]);
        }
        return builder.ToString();
    }

    private byte[] NextBytes()
    {
        byte[] bytes = new byte[random.Next(6)];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = random.Chance(0.7) ? _edgeBytes[random.Next(_edgeBytes.Length)] : (byte)random.NextUInt64();
        }
        return bytes;
    }

    /// <summary>
    /// A tuple near <paramref name="tuple"/>: a copy truncated, extended, with one element replaced or nudged
    /// (string or bytes extended or shortened by one unit, integer ±1, double to a neighbour or negated), or an identical copy.
    /// </summary>
    public object?[] Mutate(object?[] tuple) => Mutate(tuple, depth: 0);

    private object?[] Mutate(object?[] tuple, int depth)
    {
        object?[] copy = (object?[])tuple.Clone();
        if (copy.Length == 0)
        {
            return random.Chance(0.5) ? copy : [NextElement(depth)];
        }
        int index = random.Next(copy.Length);
        switch (random.Next(6))
        {
            case 0:
                return copy[..random.Next(copy.Length)];
            case 1:
                return [.. copy, NextElement(depth)];
            case 2:
                copy[index] = NextElement(depth);
                return copy;
            case 3:
                copy[index] = Nudge(copy[index], depth);
                return copy;
            case 4:
                return copy;
            default:
                return copy[..(index + 1)];
        }
    }

    private object? Nudge(object? element, int depth) => element switch
    {
        string s when s.Length > 0 && random.Chance(0.3) => s[..^(char.IsLowSurrogate(s[^1]) ? 2 : 1)],
        string s => s + _stringPieces[random.Next(_stringPieces.Length)],
        byte[] bytes => Appended(bytes, _edgeBytes[random.Next(_edgeBytes.Length)]),
        long v when v != long.MaxValue && random.Chance(0.5) => v + 1,
        long v when v != long.MinValue => v - 1,
        double d => random.Next(3) switch
        {
            0 => Math.BitIncrement(d),
            1 => Math.BitDecrement(d),
            _ => -d, // 0.0 and -0.0, NaN and -NaN
        },
        object?[] nested => Mutate(nested, depth + 1),
        _ => NextElement(depth),
    };

    private static byte[] Appended(byte[] bytes, byte last)
    {
        byte[] result = new byte[bytes.Length + 1];
        bytes.CopyTo(result, 0);
        result[^1] = last;
        return result;
    }

    /// <summary>A tuple as text that shows every value exactly (doubles with their bits, strings escaped).</summary>
    public static string Format(object? element) => element switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long v => v.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d, "d"),
        float f => FormatDouble(f, "f"),
        string s => Quote(s),
        byte[] bytes => "bytes[" + Convert.ToHexString(bytes) + "]",
        object?[] tuple => "(" + string.Join(", ", Array.ConvertAll(tuple, Format)) + ")",
        _ => element.GetType().Name + ":" + element,
    };

    private static string FormatDouble(double value, string suffix) =>
        value.ToString("R", CultureInfo.InvariantCulture) + suffix + "[0x" + BitConverter.DoubleToUInt64Bits(value).ToString("X16", CultureInfo.InvariantCulture) + "]";

    private static string Quote(string s)
    {
        // A C# literal: printable ASCII as is, pairs as \UXXXXXXXX, other UTF-16 units (lone surrogates too) as \uXXXX.
        var builder = new StringBuilder("\"");
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is >= ' ' and <= '~' and not '"' and not '\\')
            {
                builder.Append(c);
            }
            else if (char.IsSurrogatePair(s, i))
            {
                builder.Append("\\U").Append(char.ConvertToUtf32(s, i).ToString("X8", CultureInfo.InvariantCulture));
                i++;
            }
            else
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }
        return builder.Append('"').ToString();
    }
}
