using System.Text;
using Tusk.Core;
using Xunit;

namespace Tusk.Storage.Tests;

public sealed class RangeTombstoneTests
{
    /// <summary>The fragmented set answers "newest covering tombstone visible at s" exactly as a brute-force scan does.</summary>
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void FragmentsAgreeWithBruteForce(ulong seed)
    {
        var rng = new SeededRandom(seed);
        static byte[] Key(int i) => Encoding.ASCII.GetBytes("k" + i.ToString("D3"));
        var tombstones = new List<RangeTombstone>();
        int count = 1 + rng.Next(60);
        for (int i = 0; i < count; i++)
        {
            int a = rng.Next(100), b = rng.Next(100);
            if (a == b)
            {
                continue;
            }
            tombstones.Add(new RangeTombstone(Key(Math.Min(a, b)), Key(Math.Max(a, b)), (ulong)(1 + rng.Next(50))));
        }
        var set = FragmentedTombstones.Build(tombstones);
        for (int k = 0; k < 101; k++)
        {
            var key = Key(k);
            for (ulong snapshot = 0; snapshot <= 52; snapshot += 3)
            {
                ulong expected = tombstones.Where(t => t.Contains(key) && t.Sequence <= snapshot).Select(t => t.Sequence).DefaultIfEmpty(0UL).Max();
                Assert.True(expected == set.MaxCoveringSequence(key, snapshot), $"seed {seed} key k{k:D3} snapshot {snapshot}");
            }
        }
        // Fragments never overlap and come in key order.
        var fragments = set.Fragments().ToList();
        for (int i = 1; i < fragments.Count; i++)
        {
            Assert.True(fragments[i - 1].Start.AsSpan().SequenceCompareTo(fragments[i].Start) <= 0);
        }
    }

    [Fact]
    public void ManyNestedTombstonesBuildQuickly()
    {
        var tombstones = Enumerable.Range(0, 20_000)
            .Select(i => new RangeTombstone(Encoding.ASCII.GetBytes($"a{i:D6}"), Encoding.ASCII.GetBytes($"a{i + 2:D6}"), (ulong)i + 1))
            .ToList();
        var set = FragmentedTombstones.Build(tombstones);
        Assert.Equal(20_001, set.FragmentCount);
        Assert.Equal(5UL, set.MaxCoveringSequence(Encoding.ASCII.GetBytes("a000005"), 5));
    }
}
