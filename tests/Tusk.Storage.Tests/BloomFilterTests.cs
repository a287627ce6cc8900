using System.Text;
using Tusk.Storage.Sstable;
using Xunit;

namespace Tusk.Storage.Tests;

public sealed class BloomFilterTests
{
    [Theory]
    [InlineData(1000)]
    [InlineData(100_000)]
    public void HasNoFalseNegativesAndAboutOnePercentFalsePositives(int keys)
    {
        var hashes = Enumerable.Range(0, keys).Select(i => KeyHash.Hash64(Encoding.ASCII.GetBytes("key" + i))).ToArray();
        var filter = BloomFilter.Build(hashes, bitsPerKey: 10);
        Assert.True(BloomFilter.IsWellFormed(filter));
        Assert.All(hashes, h => Assert.True(BloomFilter.MayContain(filter, h)));
        int falsePositives = Enumerable.Range(0, 100_000).Count(i => BloomFilter.MayContain(filter, KeyHash.Hash64(Encoding.ASCII.GetBytes("absent" + i))));
        double rate = falsePositives / 100_000.0;
        Assert.True(rate < 0.02, $"false-positive rate {rate:P2} at 10 bits/key");
    }
}
