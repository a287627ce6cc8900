using Tusk.Core;
using Tusk.Simulation;
using Tusk.Storage;
using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>
/// The MVCC key format: engine byte order equals (user key ascending, commit timestamp descending) for any keys,
/// including ones full of 0x00 and 0xFF bytes and keys that are prefixes of others; the prefix of a key matches
/// exactly its versions; and a snapshot read is one seek landing on the newest version at or below the snapshot.
/// </summary>
public sealed class MvccEncodingTests
{
    [Fact]
    public void EngineOrderIsUserKeyThenNewestVersionFirst()
    {
        var rng = new SeededRandom(11);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] k1 = KvModel.RandomKey(rng, 4), k2 = KvModel.RandomKey(rng, 4);
            // Timestamps whose inverted bytes start with 0xFF, 0x00 and everything between.
            ulong t1 = RandomTimestamp(rng), t2 = RandomTimestamp(rng);
            int expected = k1.AsSpan().SequenceCompareTo(k2);
            if (expected == 0)
            {
                expected = t2.CompareTo(t1);
            }
            int actual = MvccEncoding.EncodeVersionKey(k1, new(t1)).AsSpan().SequenceCompareTo(MvccEncoding.EncodeVersionKey(k2, new(t2)));
            Assert.True(Math.Sign(expected) == Math.Sign(actual), $"({Hex(k1)}, {t1}) vs ({Hex(k2)}, {t2}): expected {expected}, got {actual}");
        }
    }

    private static ulong RandomTimestamp(SeededRandom rng) => rng.Next(3) switch
    {
        0 => (ulong)rng.Next(1000),
        1 => ulong.MaxValue - (ulong)rng.Next(1000),
        _ => rng.NextUInt64(),
    };

    [Fact]
    public void VersionKeysRoundTripAndPrefixesMatchOnlyTheirOwnKey()
    {
        byte[][] keys = [[], [0x00], [0x00, 0x00], [0x00, 0xFF], [0xFF], [0xFF, 0x00], B("a"), [(byte)'a', 0x00], [(byte)'a', 0x00, 0x01], [(byte)'a', 0x01]];
        foreach (byte[] key in keys)
        {
            var ts = HlcTimestamp.FromParts(1_735_689_600_000_000, 3);
            byte[] encoded = MvccEncoding.EncodeVersionKey(key, ts);
            Assert.True(MvccEncoding.IsVersionKey(encoded));
            Assert.Equal(ts, MvccEncoding.TimestampOf(encoded));
            Assert.Equal(key, MvccEncoding.DecodeUserKey(encoded));
            Assert.Equal(MvccEncoding.EncodePrefix(key), MvccEncoding.PrefixOf(encoded).ToArray());
            foreach (byte[] other in keys)
            {
                bool starts = MvccEncoding.EncodeVersionKey(other, HlcTimestamp.MaxValue).AsSpan().StartsWith(MvccEncoding.EncodePrefix(key))
                    || MvccEncoding.EncodeVersionKey(other, new(1)).AsSpan().StartsWith(MvccEncoding.EncodePrefix(key));
                Assert.Equal(key.AsSpan().SequenceEqual(other), starts);
            }
        }
        Assert.Equal([MvccEncoding.DataPrefix, (byte)'a', 0x00, 0xFF, 0x00, 0x01], MvccEncoding.EncodePrefix([(byte)'a', 0x00]));
    }

    [Fact]
    public void ValuesCarryTheirKind()
    {
        Assert.True(MvccEncoding.TryDecodeValue(MvccEncoding.EncodeValue(B("v")), out var v));
        Assert.Equal("v", S(v.ToArray()));
        Assert.True(MvccEncoding.TryDecodeValue(MvccEncoding.EncodeValue([]), out v));
        Assert.True(v.IsEmpty);
        Assert.False(MvccEncoding.TryDecodeValue(MvccEncoding.TombstoneValue, out _));
        Assert.Throws<FormatException>(() => MvccEncoding.TryDecodeValue([0x03], out _));
        Assert.Throws<FormatException>(() => MvccEncoding.TryDecodeValue([], out _));
    }

    [Fact]
    public void SnapshotReadIsOneSeekToTheNewestVersionAtOrBelowTheSnapshot()
    {
        using var engine = LsmEngine.Open(new SimFileSystem(1), "/e");
        byte[] key = [(byte)'k', 0x00];
        // Neighbours that share bytes with the key: its prefix, an extension, and the next key.
        engine.Put(MvccEncoding.EncodeVersionKey([(byte)'k'], new(5)), MvccEncoding.EncodeValue(B("prefix")));
        engine.Put(MvccEncoding.EncodeVersionKey([(byte)'k', 0x00, 0x00], new(5)), MvccEncoding.EncodeValue(B("extension")));
        engine.Put(MvccEncoding.EncodeVersionKey(key, new(10)), MvccEncoding.EncodeValue(B("v10")));
        engine.Put(MvccEncoding.EncodeVersionKey(key, new(20)), MvccEncoding.TombstoneValue);
        engine.Put(MvccEncoding.EncodeVersionKey(key, new(30)), MvccEncoding.EncodeValue(B("v30")));
        using var it = engine.NewIterator();
        byte[] scratch = [];
        string? Read(ulong ts) => S(MvccCursor.Get(it, key, ts, ref scratch));
        Assert.Null(Read(9));
        Assert.Equal("v10", Read(10));
        Assert.Equal("v10", Read(19));
        Assert.Null(Read(20));
        Assert.Null(Read(29));
        Assert.Equal("v30", Read(30));
        Assert.Equal("v30", Read(ulong.MaxValue));
        Assert.Null(MvccCursor.Get(it, [(byte)'j'], ulong.MaxValue, ref scratch));
    }
}
