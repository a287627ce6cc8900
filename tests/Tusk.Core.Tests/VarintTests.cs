using Xunit;

namespace Tusk.Core.Tests;

/// <summary>LEB128 varints: round trips at every 7-bit boundary, Length agrees with Write, malformed input.</summary>
public sealed class VarintTests
{
    public static TheoryData<ulong> EdgeValues()
    {
        var values = new TheoryData<ulong> { 0, 1, ulong.MaxValue, ulong.MaxValue - 1, uint.MaxValue, (ulong)uint.MaxValue + 1 };
        // Both sides of every boundary where the encoded length changes (2^7, 2^14, ..., 2^63).
        for (int bits = 7; bits < 64; bits += 7)
        {
            values.Add((1UL << bits) - 1);
            values.Add(1UL << bits);
        }
        return values;
    }

    [Theory]
    [MemberData(nameof(EdgeValues))]
    public void WriteThenReadRoundTrips(ulong value)
    {
        byte[] buffer = new byte[Varint.MaxLength64 + 1];
        int written = Varint.Write(buffer, value);
        Assert.Equal(Varint.Length(value), written);
        Assert.InRange(written, 1, Varint.MaxLength64);

        int read = Varint.TryRead(buffer.AsSpan(0, written), out ulong decoded);
        Assert.Equal(written, read);
        Assert.Equal(value, decoded);

        // Trailing bytes are not consumed.
        Assert.Equal(written, Varint.TryRead(buffer, out decoded));
        Assert.Equal(value, decoded);
    }

    [Fact]
    public void LengthMatchesWriteForRandomValuesOfEveryMagnitude()
    {
        var random = new SeededRandom(5);
        byte[] buffer = new byte[Varint.MaxLength64];
        for (int i = 0; i < 10_000; i++)
        {
            ulong value = random.NextUInt64() >> random.Next(64);
            int written = Varint.Write(buffer, value);
            Assert.Equal(Varint.Length(value), written);
            Assert.Equal(written, Varint.TryRead(buffer.AsSpan(0, written), out ulong decoded));
            Assert.Equal(value, decoded);
        }
    }

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(127UL, 1)]
    [InlineData(128UL, 2)]
    [InlineData(16_383UL, 2)]
    [InlineData(16_384UL, 3)]
    [InlineData(ulong.MaxValue, 10)]
    public void LengthOfKnownValues(ulong value, int length)
    {
        Assert.Equal(length, Varint.Length(value));
    }

    [Fact]
    public void WriteProducesLeb128Bytes()
    {
        byte[] buffer = new byte[Varint.MaxLength64];
        int written = Varint.Write(buffer, 300);
        Assert.Equal("AC02", Convert.ToHexString(buffer, 0, written));
    }

    [Theory]
    [MemberData(nameof(EdgeValues))]
    public void TruncatedInputReturnsZero(ulong value)
    {
        byte[] buffer = new byte[Varint.MaxLength64];
        int written = Varint.Write(buffer, value);
        for (int length = 0; length < written; length++)
        {
            Assert.Equal(0, Varint.TryRead(buffer.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void InputLongerThanTenBytesReturnsZero()
    {
        byte[] overlong = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        Assert.Equal(0, Varint.TryRead(overlong, out ulong value));
        Assert.Equal(0UL, value);
    }

    [Fact]
    public void EmptyInputReturnsZero()
    {
        Assert.Equal(0, Varint.TryRead([], out _));
        Assert.Equal(0, Varint.TryRead32([], out _));
    }

    [Fact]
    public void TryRead32RejectsValuesAboveUInt32()
    {
        byte[] buffer = new byte[Varint.MaxLength64];
        int written = Varint.Write(buffer, uint.MaxValue);
        Assert.Equal(written, Varint.TryRead32(buffer.AsSpan(0, written), out uint value));
        Assert.Equal(uint.MaxValue, value);

        written = Varint.Write(buffer, (ulong)uint.MaxValue + 1);
        Assert.Equal(0, Varint.TryRead32(buffer.AsSpan(0, written), out value));
        Assert.Equal(0u, value);
    }
}
