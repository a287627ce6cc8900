using System.Buffers;
using Tusk.Core.Encoding;
using Xunit;

namespace Tusk.Core.Tests.Encoding;

/// <summary>
/// Exact encodings (golden keys that pin the format: a change here is a format change and needs a new format
/// version), rejection of malformed keys, the writer and reader APIs, and the range helpers.
/// </summary>
public sealed class TupleEncodingTests
{
    /// <summary>Tuple, its exact key in hex. Each line was worked out by hand from the format comment.</summary>
    private static readonly (object?[] Tuple, string Hex)[] _golden =
    [
        ([], ""),
        ([null], "00"),
        ([false, true], "2627"),
        ([0L], "14"),
        ([1L], "1501"),
        ([-1L], "13FE"),
        ([255L], "15FF"),
        ([256L], "160100"),
        ([-255L], "1300"),
        ([-256L], "12FEFF"),
        ([long.MaxValue], "1C7FFFFFFFFFFFFFFF"),
        ([long.MinValue], "0C7FFFFFFFFFFFFFFF"),
        ([long.MinValue + 1], "0C8000000000000000"),
        ([1.0], "21BFF0000000000000"),
        ([-1.0], "21400FFFFFFFFFFFFF"),
        ([0.0], "218000000000000000"),
        ([double.NegativeZero], "217FFFFFFFFFFFFFFF"),
        ([double.PositiveInfinity], "21FFF0000000000000"),
        ([double.NegativeInfinity], "21000FFFFFFFFFFFFF"),
        ([double.NaN], "21FFF8000000000000"),
        ([1.5f], "21BFF8000000000000"),
        ([""], "0200"),
        (["a\0b"], "026100FF6200"),
        (["é"], "02C3A900"),
        (["😀"], "02F09F988000"),
        ([Array.Empty<byte>()], "0100"),
        ([new byte[] { 0x00, 0xFF }], "0100FFFF00"),
        ([new object?[] { null }], "0500FF00"),
        ([null, new object?[] { null }], "000500FF00"),
        (["foo", new object?[] { null, 1L, Array.Empty<object?>() }, ""], "02666F6F000500FF15010500000200"),
        ([7, (byte)7, 7UL], "150715071507"),
    ];

    [Fact]
    public void PackWritesTheGoldenKeys()
    {
        var mismatches = new List<string>();
        foreach (var (tuple, hex) in _golden)
        {
            string actual = Convert.ToHexString(TupleEncoding.Pack(tuple));
            if (actual != hex)
            {
                mismatches.Add($"{TupleGenerator.Format(tuple)}: expected {hex}, got {actual}");
            }
        }
        Assert.True(mismatches.Count == 0, "format changed:\n" + string.Join("\n", mismatches));
    }

    [Fact]
    public void UnpackReadsTheGoldenKeys()
    {
        foreach (var (tuple, hex) in _golden)
        {
            object?[] unpacked = TupleEncoding.Unpack(Convert.FromHexString(hex));
            Assert.True(TupleEncoding.Compare(unpacked, tuple) == 0,
                $"{hex}: unpacked {TupleGenerator.Format(unpacked)}, expected {TupleGenerator.Format(tuple)}");
        }
    }

    [Fact]
    public void GoldenKeysInTypeOrderSortAscending()
    {
        // One value per type, listed in the documented type order, plus the within-type orders the spec calls out.
        object?[][] ascending =
        [
            [null], [Array.Empty<byte>()], [new byte[] { 0 }], [new byte[] { 0, 0 }], [new byte[] { 1 }], [""],
            ["a"], ["a\0"], ["a\0", null], ["a\u0001"], ["\uFFFF"], ["😀"], [Array.Empty<object?>()],
            [new object?[] { null }], [new object?[] { 0L }], [long.MinValue], [-256L], [-255L], [-1L], [0L],
            [1L], [255L], [256L], [long.MaxValue], [double.NegativeInfinity], [-1.0], [double.NegativeZero],
            [0.0], [double.Epsilon], [1.0], [double.PositiveInfinity], [double.NaN], [false], [true],
        ];
        for (int i = 1; i < ascending.Length; i++)
        {
            string previous = TupleGenerator.Format(ascending[i - 1]);
            string current = TupleGenerator.Format(ascending[i]);
            Assert.True(TupleEncoding.Compare(ascending[i - 1], ascending[i]) < 0, $"Compare: {previous} should sort before {current}");
            Assert.True(TupleEncoding.CompareBytes(TupleEncoding.Pack(ascending[i - 1]), TupleEncoding.Pack(ascending[i])) < 0,
                $"keys: {previous} should sort before {current}");
        }
    }

    [Theory]
    [InlineData("03", 0, "unknown type code 0x03")]
    [InlineData("20", 0, "unknown type code 0x20")]
    [InlineData("00FF", 1, "unknown type code 0xFF")]
    [InlineData("0261", 0, "no terminating")]
    [InlineData("0161", 0, "no terminating")]
    [InlineData("026100FF", 0, "no terminating")]
    [InlineData("1405", 2, "unterminated nested")]
    [InlineData("0500FF", 3, "unterminated nested")]
    [InlineData("16FF", 0, "integer needs 2 bytes")]
    [InlineData("140C", 1, "integer needs 8 bytes")]
    [InlineData("1500", 0, "shortest form")]
    [InlineData("13FF", 0, "shortest form")]
    [InlineData("1C8000000000000000", 0, "above long.MaxValue")]
    [InlineData("0C7FFFFFFFFFFFFFFE", 0, "below long.MinValue")]
    [InlineData("21BFF0", 0, "double needs 8 bytes")]
    [InlineData("21FFF8000000000001", 0, "canonical NaN")]
    [InlineData("21000FFFFFFFFFFFFE", 0, "canonical NaN")]
    [InlineData("02FF00", 0, "UTF-8")]
    [InlineData("1402C300", 1, "UTF-8")]
    [InlineData("02EDA08000", 0, "UTF-8")]
    [InlineData("0200FFFF00", 0, "UTF-8")]
    public void MalformedKeysThrowFormatExceptionNamingTheOffset(string hex, int offset, string detail)
    {
        var exception = Assert.Throws<FormatException>(() => TupleEncoding.Unpack(Convert.FromHexString(hex)));
        Assert.Contains($"offset {offset}:", exception.Message, StringComparison.Ordinal);
        Assert.Contains(detail, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NestingBeyondTheLimitIsRejectedByReaderWriterAndPack()
    {
        int depth = TupleEncoding.NestingDepthMax;
        string atLimit = string.Concat(Enumerable.Repeat("05", depth)) + string.Concat(Enumerable.Repeat("00", depth));
        Assert.Single(TupleEncoding.Unpack(Convert.FromHexString(atLimit)));

        string beyond = string.Concat(Enumerable.Repeat("05", depth + 1)) + string.Concat(Enumerable.Repeat("00", depth + 1));
        var exception = Assert.Throws<FormatException>(() => TupleEncoding.Unpack(Convert.FromHexString(beyond)));
        Assert.Contains($"offset {depth}:", exception.Message, StringComparison.Ordinal);

        object?[] nested = [];
        for (int i = 0; i <= depth; i++)
        {
            nested = [nested];
        }
        Assert.Throws<ArgumentException>(() => TupleEncoding.Pack(nested));
        Assert.Throws<ArgumentException>(() => TupleEncoding.Compare(nested, nested));

        var writer = new TupleWriter(new ArrayBufferWriter<byte>());
        for (int i = 0; i < depth; i++)
        {
            writer.BeginTuple();
        }
        bool threw = false;
        try
        {
            writer.BeginTuple();
        }
        catch (InvalidOperationException)
        {
            threw = true;
        }
        Assert.True(threw, "BeginTuple beyond NestingDepthMax must throw");
    }

    [Fact]
    public void PackRejectsValuesItCannotEncode()
    {
        Assert.Throws<ArgumentException>(() => TupleEncoding.Pack(3.5m));
        Assert.Throws<ArgumentException>(() => TupleEncoding.Pack(new object()));
        Assert.Throws<ArgumentException>(() => TupleEncoding.Pack(ulong.MaxValue));
        Assert.ThrowsAny<ArgumentException>(() => TupleEncoding.Pack("lone surrogate \uD800"));
        Assert.Throws<ArgumentNullException>(() => TupleEncoding.Pack(null!));
    }

    [Fact]
    public void WriterMatchesPackAndReusesItsBuffer()
    {
        var output = new ArrayBufferWriter<byte>();
        for (int round = 0; round < 2; round++)
        {
            output.ResetWrittenCount();
            var writer = new TupleWriter(output);
            writer.AppendString("users");
            writer.AppendInt64(42);
            writer.BeginTuple();
            writer.AppendNull();
            writer.AppendBytes([0x00, 0x01]);
            writer.AppendDouble(-0.5);
            writer.EndTuple();
            writer.AppendBool(true);
            Assert.Equal(0, writer.Depth);

            byte[] expected = TupleEncoding.Pack("users", 42L, new object?[] { null, new byte[] { 0x00, 0x01 }, -0.5 }, true);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(output.WrittenSpan));
        }
    }

    [Fact]
    public void EndTupleWithoutBeginTupleThrows()
    {
        var writer = new TupleWriter(new ArrayBufferWriter<byte>());
        bool threw = false;
        try
        {
            writer.EndTuple();
        }
        catch (InvalidOperationException)
        {
            threw = true;
        }
        Assert.True(threw);
    }

    [Fact]
    public void ReaderWalksTokensWithOffsetsAndDepth()
    {
        byte[] key = TupleEncoding.Pack("a\0", new object?[] { null, -2L }, 2.5, new byte[] { 0xFF }, false);
        var reader = new TupleReader(key);
        var seen = new List<string>();
        while (reader.Read())
        {
            string value = reader.TokenType switch
            {
                TupleTokenType.String => reader.GetString().Replace("\0", "\\0", StringComparison.Ordinal),
                TupleTokenType.Int64 => reader.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                TupleTokenType.Double => reader.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
                TupleTokenType.Bytes => Convert.ToHexString(reader.GetBytes()),
                TupleTokenType.Boolean => reader.GetBoolean() ? "true" : "false",
                _ => "",
            };
            seen.Add($"{reader.TokenOffset}:{reader.TokenType}:{value}:{reader.Depth}");
        }
        Assert.Equal(TupleTokenType.None, reader.TokenType);
        Assert.Equal(key.Length, reader.Position);
        // 02 61 00 FF 00 | 05 00 FF 13 FD 00 | 21 ×8 | 01 FF 00 | 26
        Assert.Equal(
            ["0:String:a\\0:0", "5:BeginTuple::1", "6:Null::1", "8:Int64:-2:1", "10:EndTuple::0", "11:Double:2.5:0", "20:Bytes:FF:0", "23:Boolean:false:0"],
            seen);
    }

    [Fact]
    public void ReaderGetterForTheWrongTokenThrows()
    {
        byte[] key = TupleEncoding.Pack(1L);
        var reader = new TupleReader(key);
        Assert.True(reader.Read());
        bool threw = false;
        try
        {
            reader.GetString();
        }
        catch (InvalidOperationException)
        {
            threw = true;
        }
        Assert.True(threw);
    }

    [Fact]
    public void UnpackReturnsCanonicalTypes()
    {
        object?[] unpacked = TupleEncoding.Unpack(TupleEncoding.Pack(7, 1.5f, "s", new byte[] { 1 }, true, null, new object?[] { (short)3 }));
        Assert.IsType<long>(unpacked[0]);
        Assert.IsType<double>(unpacked[1]);
        Assert.IsType<string>(unpacked[2]);
        Assert.IsType<byte[]>(unpacked[3]);
        Assert.IsType<bool>(unpacked[4]);
        Assert.Null(unpacked[5]);
        Assert.Equal(3L, Assert.IsType<object?[]>(unpacked[6])[0]);
    }

    [Fact]
    public void NaNsAreCanonicalAndNegativeZeroRoundTrips()
    {
        double signallingNaN = BitConverter.UInt64BitsToDouble(0xFFF0_0000_0000_0001UL);
        Assert.Equal(TupleEncoding.Pack(double.NaN), TupleEncoding.Pack(signallingNaN));
        Assert.Equal(TupleEncoding.Pack(double.NaN), TupleEncoding.Pack(float.NaN));
        double zero = Assert.IsType<double>(TupleEncoding.Unpack(TupleEncoding.Pack(double.NegativeZero))[0]);
        Assert.True(double.IsNegative(zero));
    }

    [Theory]
    [InlineData("61", "62")]
    [InlineData("61FF", "62")]
    [InlineData("01FFFF", "02")]
    [InlineData("00", "01")]
    [InlineData("6100", "6101")]
    [InlineData("FE", "FF")]
    public void StrincIncrementsTheLastByteThatIsNotFF(string prefixHex, string expectedHex)
    {
        Assert.Equal(expectedHex, Convert.ToHexString(TupleEncoding.Strinc(Convert.FromHexString(prefixHex))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("FF")]
    [InlineData("FFFF")]
    public void StrincWithoutAnAnswerThrows(string prefixHex)
    {
        Assert.Throws<ArgumentException>(() => TupleEncoding.Strinc(Convert.FromHexString(prefixHex)));
    }

    [Fact]
    public void PrefixRangeHoldsByteExtensionsButTupleRangeOnlyTupleExtensions()
    {
        byte[] a = TupleEncoding.Pack("a");
        byte[] aWithNull = TupleEncoding.Pack("a", null);
        byte[] aWithTrue = TupleEncoding.Pack("a", true);
        byte[] aZero = TupleEncoding.Pack("a\0");
        byte[] b = TupleEncoding.Pack("b");

        var (prefixBegin, prefixEnd) = TupleEncoding.PrefixRange(a);
        Assert.True(Contains(prefixBegin, prefixEnd, a) && Contains(prefixBegin, prefixEnd, aWithNull) && Contains(prefixBegin, prefixEnd, aWithTrue));
        Assert.True(Contains(prefixBegin, prefixEnd, aZero), "the byte prefix 02 61 00 also starts (\"a\\0\")");
        Assert.False(Contains(prefixBegin, prefixEnd, b));

        var (tupleBegin, tupleEnd) = TupleEncoding.TupleRange(a);
        Assert.True(Contains(tupleBegin, tupleEnd, a) && Contains(tupleBegin, tupleEnd, aWithNull) && Contains(tupleBegin, tupleEnd, aWithTrue));
        Assert.False(Contains(tupleBegin, tupleEnd, aZero), "(\"a\\0\") does not extend (\"a\")");
        Assert.False(Contains(tupleBegin, tupleEnd, b));
    }

    private static bool Contains(byte[] begin, byte[] end, byte[] key) =>
        TupleEncoding.CompareBytes(begin, key) <= 0 && TupleEncoding.CompareBytes(key, end) < 0;
}
