using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Tusk.Core.Encoding;

// ---------------------------------------------------------------------------------------------------------------
// Tuple key format, version 1. Order-preserving, in the spirit of FoundationDB's tuple layer (own code).
//
// A tuple is the concatenation of its encoded elements; there is no header, count or terminator at the top
// level, so the encoding of a tuple T is a byte prefix of the encoding of every tuple that extends T.
// Every element starts with one type code byte. The codes also give the order between types:
//
//   code        type            payload
//   0x00        null            none at the top level; inside a nested tuple null is 0x00 0xFF (see 0x05)
//   0x01        byte string     the bytes, each 0x00 written as 0x00 0xFF, then terminator 0x00
//   0x02        text string     UTF-8 (no BOM), escaped and terminated exactly like 0x01
//   0x05        nested tuple    the elements (null written as 0x00 0xFF), then terminator 0x00
//   0x0C..0x13  negative int64  code 0x14 - n, then n bytes big-endian: the one's complement of |value| in
//                               n bytes, n = 1..8 the fewest bytes that hold |value|
//   0x14        zero            none
//   0x15..0x1C  positive int64  code 0x14 + n, then |value| in n bytes big-endian, n = 1..8 the fewest bytes
//   0x21        double          8 bytes big-endian: IEEE 754 bits with the sign bit flipped when the sign is
//                               clear, and all bits flipped when it is set; every NaN is first replaced by the
//                               canonical quiet NaN 0x7FF8000000000000
//   0x26        false           none
//   0x27        true            none
//
// Order, with keys compared as unsigned bytes (memcmp, a proper prefix first):
// - Between types, by code: null < bytes < string < tuple < integer < double < false < true. Integers and
//   doubles never compare numerically with each other (1 sorts before 0.5).
// - Integers numerically: a longer magnitude gets a code further from 0x14, and the one's complement makes
//   larger magnitudes sort first among negatives of the same length.
// - Doubles: -inf < negatives < -0.0 < 0.0 < positives < +inf < NaN. -0.0 and 0.0 stay distinct (the sign
//   of zero round-trips), and NaN payloads do not survive (decoding gives the canonical NaN).
// - Floats are widened to double (exactly), so they compare numerically with doubles and decode as double.
// - Strings by Unicode code point (the order of their UTF-8 bytes; NOT .NET's UTF-16 ordinal order, which
//   differs for characters above U+FFFF). Byte strings by their bytes. The escape makes a prefix sort first:
//   "a" (02 61 00) < "a\0" (02 61 00 FF 00) < "a\u0001" (02 61 01 00), and no type code is 0xFF, so
//   ("a", anything) (02 61 00 xx) < ("a\0") as well.
// - Nested tuples element by element, a proper prefix first: the terminator 0x00 is below every type code and
//   below an escaped null (0x00 0xFF).
//
// Canonical form: every value has exactly one encoding, so equal tuples have equal bytes. The reader rejects
// anything else (integers with a redundant leading byte or outside int64, non-canonical NaN, invalid UTF-8,
// unknown codes, unterminated strings or tuples, nesting deeper than NestingDepthMax) with FormatException.
//
// Ranges: all keys with byte prefix P are [P, Strinc(P)). The tuple T (packed as P) and every tuple that
// extends it are exactly the tuple keys in [P, P + 0xFF) (TupleRange): a byte-prefix range would also catch
// ("a\0") under ("a"), because 02 61 00 is a byte prefix of 02 61 00 FF 00.
// ---------------------------------------------------------------------------------------------------------------

/// <summary>
/// Order-preserving encoding of tuples (null, bool, int64, double, string, bytes and nested tuples) into keys
/// that sort like the tuples under unsigned byte comparison. The format is specified in the comment above
/// this type. <see cref="TupleWriter"/> and <see cref="TupleReader"/> are the allocation-light codec;
/// <see cref="Pack"/>, <see cref="Unpack"/> and <see cref="Compare"/> are conveniences over <c>object?[]</c>
/// tuples for tests, tools and cold paths. All members are thread-safe.
/// </summary>
public static class TupleEncoding
{
    /// <summary>Deepest nesting of tuples inside a tuple that the writer, reader and comparator accept.</summary>
    public const int NestingDepthMax = 32;

    internal const byte CodeNull = 0x00;
    internal const byte CodeBytes = 0x01;
    internal const byte CodeString = 0x02;
    internal const byte CodeNested = 0x05;
    internal const byte CodeIntegerZero = 0x14;
    internal const byte CodeIntegerMin = CodeIntegerZero - 8;
    internal const byte CodeIntegerMax = CodeIntegerZero + 8;
    internal const byte CodeDouble = 0x21;
    internal const byte CodeFalse = 0x26;
    internal const byte CodeTrue = 0x27;

    /// <summary>Ends strings, bytes and nested tuples; the same byte as <see cref="CodeNull"/>.</summary>
    internal const byte Terminator = 0x00;

    /// <summary>Follows 0x00 to escape it inside strings and bytes, and to mark null inside a nested tuple.</summary>
    internal const byte EscapeByte = 0xFF;

    internal const ulong DoubleSignBit = 0x8000_0000_0000_0000UL;
    internal const ulong CanonicalNaNBits = 0x7FF8_0000_0000_0000UL;

    /// <summary>UTF-8 that throws on lone surrogates instead of writing U+FFFD, so a string round-trips or fails.</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Encodes <paramref name="elements"/> as one key. Elements may be <see langword="null"/>, <see cref="bool"/>,
    /// any integer type that fits in <see cref="long"/>, <see cref="double"/>, <see cref="float"/> (widened to
    /// double), <see cref="string"/>, <c>byte[]</c> and nested <c>object?[]</c> tuples.
    /// </summary>
    /// <exception cref="ArgumentException">An element has an unsupported type, a string is not valid UTF-16, or
    /// nesting exceeds <see cref="NestingDepthMax"/>.</exception>
    public static byte[] Pack(params object?[] elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        var output = new ArrayBufferWriter<byte>(64);
        var writer = new TupleWriter(output);
        WriteElements(ref writer, elements);
        Invariant.Check(writer.Depth == 0, "Pack: unbalanced nesting");
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Appends <paramref name="elements"/> to <paramref name="writer"/> as elements of its current tuple.</summary>
    public static void WriteElements(ref TupleWriter writer, object?[] elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        foreach (object? element in elements)
        {
            WriteElement(ref writer, element);
        }
    }

    private static void WriteElement(ref TupleWriter writer, object? element)
    {
        switch (element)
        {
            case null:
                writer.AppendNull();
                break;
            case bool b:
                writer.AppendBool(b);
                break;
            case string s:
                writer.AppendString(s);
                break;
            case byte[] bytes:
                writer.AppendBytes(bytes);
                break;
            case double d:
                writer.AppendDouble(d);
                break;
            case float f:
                writer.AppendDouble(f);
                break;
            case object?[] nested:
                if (writer.Depth >= NestingDepthMax)
                {
                    throw new ArgumentException($"tuple nesting is deeper than {NestingDepthMax}", nameof(element));
                }
                writer.BeginTuple();
                WriteElements(ref writer, nested);
                writer.EndTuple();
                break;
            default:
                writer.AppendInt64(ToInt64(element));
                break;
        }
    }

    /// <summary>
    /// Decodes a key written by <see cref="Pack"/> or <see cref="TupleWriter"/>. Integers come back as
    /// <see cref="long"/>, floats as <see cref="double"/>, nested tuples as <c>object?[]</c>.
    /// </summary>
    /// <exception cref="FormatException"><paramref name="key"/> is not a canonical tuple encoding; the message
    /// names the byte offset.</exception>
    public static object?[] Unpack(ReadOnlySpan<byte> key)
    {
        var reader = new TupleReader(key);
        // An explicit stack of open tuples instead of recursion; its height is bounded by NestingDepthMax.
        var open = new Stack<List<object?>>();
        var current = new List<object?>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case TupleTokenType.BeginTuple:
                    open.Push(current);
                    current = [];
                    break;
                case TupleTokenType.EndTuple:
                    object?[] finished = current.ToArray();
                    current = open.Pop();
                    current.Add(finished);
                    break;
                case TupleTokenType.Null:
                    current.Add(null);
                    break;
                case TupleTokenType.Boolean:
                    current.Add(reader.GetBoolean());
                    break;
                case TupleTokenType.Int64:
                    current.Add(reader.GetInt64());
                    break;
                case TupleTokenType.Double:
                    current.Add(reader.GetDouble());
                    break;
                case TupleTokenType.String:
                    current.Add(reader.GetString());
                    break;
                case TupleTokenType.Bytes:
                    current.Add(reader.GetBytes());
                    break;
                default:
                    Invariant.Fail($"Unpack: unexpected token {reader.TokenType}");
                    break;
            }
        }
        Invariant.Check(open.Count == 0, "Unpack: reader ended inside a nested tuple");
        return current.ToArray();
    }

    /// <summary>
    /// Reference order of tuples, written from the specification rather than from the encoding: element by
    /// element, a proper prefix first; between types null &lt; bytes &lt; string &lt; tuple &lt; integer &lt;
    /// double &lt; false &lt; true; within a type the natural order (strings by code point, doubles with
    /// -0.0 &lt; 0.0 and NaN last). Tests check that <see cref="CompareBytes"/> of packed keys agrees with it.
    /// Accepts the element types <see cref="Pack"/> accepts. Returns a negative, zero or positive number.
    /// </summary>
    public static int Compare(object?[] a, object?[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return CompareTuples(a, b, depth: 0);
    }

    private static int CompareTuples(object?[] a, object?[] b, int depth)
    {
        if (depth > NestingDepthMax)
        {
            throw new ArgumentException($"tuple nesting is deeper than {NestingDepthMax}");
        }
        int count = Math.Min(a.Length, b.Length);
        for (int i = 0; i < count; i++)
        {
            int c = CompareElements(a[i], b[i], depth);
            if (c != 0)
            {
                return c;
            }
        }
        return a.Length.CompareTo(b.Length);
    }

    private static int CompareElements(object? a, object? b, int depth)
    {
        int rankA = TypeRank(a);
        int rankB = TypeRank(b);
        if (rankA != rankB)
        {
            return rankA.CompareTo(rankB);
        }
        return (a, b) switch
        {
            (null, null) => 0,
            (byte[] x, byte[] y) => x.AsSpan().SequenceCompareTo(y),
            (string x, string y) => CompareByCodePoint(x, y),
            (object?[] x, object?[] y) => CompareTuples(x, y, depth + 1),
            (bool x, bool y) => x.CompareTo(y),
            (double or float, double or float) => CompareDoubles(ToDouble(a), ToDouble(b)),
            _ => ToInt64(a).CompareTo(ToInt64(b)),
        };
    }

    private static int TypeRank(object? element) => element switch
    {
        null => 0,
        byte[] => 1,
        string => 2,
        object?[] => 3,
        double or float => 5,
        bool => 6,
        _ => ToInt64IsSupported(element) ? 4 : throw UnsupportedType(element),
    };

    private static int CompareByCodePoint(string a, string b)
    {
        var runesA = a.EnumerateRunes();
        var runesB = b.EnumerateRunes();
        while (true)
        {
            bool hasA = runesA.MoveNext();
            bool hasB = runesB.MoveNext();
            if (!hasA || !hasB)
            {
                return hasA.CompareTo(hasB);
            }
            int c = runesA.Current.Value.CompareTo(runesB.Current.Value);
            if (c != 0)
            {
                return c;
            }
        }
    }

    private static int CompareDoubles(double a, double b)
    {
        bool nanA = double.IsNaN(a);
        bool nanB = double.IsNaN(b);
        if (nanA || nanB)
        {
            return nanA.CompareTo(nanB);
        }
        if (a != b)
        {
            return a < b ? -1 : 1;
        }
        // Numerically equal: only -0.0 versus 0.0 can still differ, and -0.0 sorts first.
        return double.IsNegative(b).CompareTo(double.IsNegative(a));
    }

    private static double ToDouble(object? element) => element is float f ? f : (double)element!;

    private static bool ToInt64IsSupported(object element) => element switch
    {
        long or int or short or sbyte or byte or uint or ushort => true,
        ulong u => u <= long.MaxValue,
        _ => false,
    };

    private static long ToInt64(object? element) => element switch
    {
        long v => v,
        int v => v,
        short v => v,
        sbyte v => v,
        byte v => v,
        uint v => v,
        ushort v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => throw UnsupportedType(element),
    };

    private static ArgumentException UnsupportedType(object? element) =>
        new($"unsupported tuple element {element} of type {element?.GetType().FullName}; use null, bool, an integer " +
            "that fits in long, double, float, string, byte[] or object?[]");

    /// <summary>Unsigned lexicographic comparison of keys (memcmp order, a proper prefix first).</summary>
    public static int CompareBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>
    /// The smallest key greater than every key that starts with <paramref name="prefix"/>: drop trailing 0xFF
    /// bytes and increment the last remaining byte ("a\xFF" gives "b").
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is empty or all 0xFF: no such key exists.</exception>
    public static byte[] Strinc(ReadOnlySpan<byte> prefix)
    {
        int last = prefix.LastIndexOfAnyExcept(EscapeByte);
        if (last < 0)
        {
            throw new ArgumentException("Strinc: the prefix is empty or all 0xFF, so no key is greater than all its extensions", nameof(prefix));
        }
        byte[] result = prefix[..(last + 1)].ToArray();
        result[last]++;
        return result;
    }

    /// <summary>
    /// Every key that starts with the bytes <paramref name="prefix"/>: [<paramref name="prefix"/>,
    /// <see cref="Strinc"/>(<paramref name="prefix"/>)). For tuple prefixes use <see cref="TupleRange"/>.
    /// </summary>
    public static (byte[] Begin, byte[] End) PrefixRange(ReadOnlySpan<byte> prefix) => (prefix.ToArray(), Strinc(prefix));

    /// <summary>
    /// The tuple <paramref name="packedTuple"/> and every tuple that extends it, as the key range
    /// [packed, packed + 0xFF). Begin at packed + 0x00 instead to leave out the tuple itself. Unlike
    /// <see cref="PrefixRange"/>, it leaves out tuples whose last string merely continues, e.g. ("a\0") under ("a").
    /// </summary>
    public static (byte[] Begin, byte[] End) TupleRange(ReadOnlySpan<byte> packedTuple)
    {
        byte[] end = new byte[packedTuple.Length + 1];
        packedTuple.CopyTo(end);
        end[^1] = EscapeByte;
        return (packedTuple.ToArray(), end);
    }

    /// <summary>Throws the reader's <see cref="FormatException"/>, naming the offset of the damage.</summary>
    [DoesNotReturn]
    internal static void ThrowMalformed(int offset, string detail) =>
        throw new FormatException($"malformed tuple key at offset {offset}: {detail}");
}
