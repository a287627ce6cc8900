using System.Buffers.Binary;
using Xunit;

namespace Tusk.Core.Tests;

/// <summary>CRC32C against the standard check value, incremental use, and the LevelDB-style mask.</summary>
public sealed class Crc32CTests
{
    [Fact]
    public void ComputeMatchesTheStandardCheckValue()
    {
        // The catalogued check value of CRC-32C (Castagnoli) over the ASCII digits "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void ComputeOfNothingIsZero()
    {
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void ComputeOf32ZerosMatchesTheRfc3720Vector()
    {
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeros.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
    }

    [Fact]
    public void ExtendEqualsComputeOverTheConcatenation()
    {
        // Lengths around the 32-byte and 8-byte strides of the implementation, split at every point.
        var random = new SeededRandom(17);
        for (int length = 0; length <= 80; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            uint whole = Crc32C.Compute(data);
            for (int split = 0; split <= length; split++)
            {
                uint extended = Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split));
                Assert.True(whole == extended, $"length {length}, split {split}: {whole:X8} != {extended:X8}");
            }
        }
    }

    [Fact]
    public void ExtendingInThreePiecesEqualsComputeOfTheWhole()
    {
        ReadOnlySpan<byte> data = "The quick brown fox jumps over the lazy dog, twice over, for good measure."u8;
        uint crc = Crc32C.Extend(0, data[..5]);
        crc = Crc32C.Extend(crc, data.Slice(5, 40));
        crc = Crc32C.Extend(crc, data[45..]);
        Assert.Equal(Crc32C.Compute(data), crc);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(0xE3069283u)]
    [InlineData(0xA282EAD8u)]
    [InlineData(uint.MaxValue)]
    public void UnmaskInvertsMask(uint crc)
    {
        Assert.Equal(crc, Crc32C.Unmask(Crc32C.Mask(crc)));
        Assert.NotEqual(crc, Crc32C.Mask(crc));
    }

    [Fact]
    public void UnmaskInvertsMaskForRandomValues()
    {
        var random = new SeededRandom(3);
        for (int i = 0; i < 10_000; i++)
        {
            uint crc = (uint)random.NextUInt64();
            Assert.Equal(crc, Crc32C.Unmask(Crc32C.Mask(crc)));
        }
    }

    [Fact]
    public void ReadMaskedReadsALittleEndianMaskedCrc()
    {
        uint crc = Crc32C.Compute("123456789"u8);
        byte[] stored = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(stored, Crc32C.Mask(crc));
        Assert.Equal(crc, Crc32C.ReadMasked(stored));
    }

    /// <summary>The three-lane fast path must equal the one-byte-at-a-time definition at every length and split.</summary>
    [Fact]
    public void FastPathMatchesBytewiseReference()
    {
        var rng = new Tusk.Core.SeededRandom(7);
        var data = new byte[5000];
        rng.NextBytes(data);
        static uint Reference(uint crc, ReadOnlySpan<byte> bytes)
        {
            uint c = ~crc;
            foreach (byte b in bytes)
            {
                c = System.Numerics.BitOperations.Crc32C(c, b);
            }
            return ~c;
        }
        for (int length = 0; length <= data.Length; length += length < 800 ? 1 : 37)
        {
            var span = data.AsSpan(0, length);
            Assert.True(Reference(0, span) == Tusk.Core.Crc32C.Compute(span), $"length {length}");
            int split = length == 0 ? 0 : rng.Next(length);
            uint joined = Tusk.Core.Crc32C.Extend(Tusk.Core.Crc32C.Compute(span[..split]), span[split..]);
            Assert.True(Reference(0, span) == joined, $"length {length} split {split}");
        }
    }
}
