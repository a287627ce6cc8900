using Tusk.Core;
using Tusk.Simulation;
using Tusk.Storage;
using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>
/// Vacuum removes exactly the versions no live or future snapshot can see: live transactions keep reading what
/// they read before every pass, and once no one holds an old snapshot each key is down to its one current
/// version (and a deleted key to none).
/// </summary>
public sealed class GarbageCollectionTests
{
    private static HlcTimestamp Put(KvStore store, string key, string? value)
    {
        using var txn = store.Begin();
        if (value == null)
        {
            txn.Delete(B(key));
        }
        else
        {
            txn.Put(B(key), B(value));
        }
        txn.Commit();
        return txn.CommitTimestamp;
    }

    /// <summary>Finishes the pass in progress, then makes one whole pass, in small steps.</summary>
    private static VacuumResult VacuumAll(KvStore store)
    {
        int examined = 0, removed = 0;
        VacuumResult r = default;
        for (int pass = 0; pass < 2; pass++)
        {
            do
            {
                r = store.Vacuum(3);
                examined += r.VersionsExamined;
                removed += r.VersionsRemoved;
            }
            while (!r.PassCompleted);
        }
        return new VacuumResult(examined, removed, r.Horizon, true);
    }

    [Fact]
    public void VersionsShadowedBelowTheOldestSnapshotGoAndTheRestStay()
    {
        using var store = NewStore();
        Put(store, "k", "v1");
        var v2 = Put(store, "k", "v2");
        using var old = store.Begin(IsolationLevel.RepeatableRead); // sees v2
        Put(store, "k", "v3");
        Put(store, "k", "v4");
        Put(store, "gone", "x");
        Put(store, "gone", null);

        Assert.Equal(6, store.CountVersions());
        var r = VacuumAll(store);
        Assert.Equal(old.ReadTimestamp, r.Horizon);
        Assert.Equal(1, r.VersionsRemoved); // v1 only: v2 is what `old` sees; v3, v4 and both versions of "gone" are above its snapshot
        Assert.Equal(["v4", "v3", "v2"], store.Versions(B("k")).Select(v => S(v.Value)));
        Assert.Equal(v2, store.Versions(B("k"))[^1].Timestamp);
        old.ResetIterator();
        Assert.Equal("v2", S(old.Get(B("k"))));
        Assert.Null(old.Get(B("gone"))); // written after its snapshot

        old.Dispose();
        r = VacuumAll(store);
        Assert.Equal(4, r.VersionsRemoved); // v2, v3, and the tombstone of "gone" with its older value
        Assert.Equal(["v4"], store.Versions(B("k")).Select(v => S(v.Value)));
        Assert.Empty(store.Versions(B("gone")));
        using var now = store.Begin();
        Assert.Equal("v4", S(now.Get(B("k"))));
        Assert.Null(now.Get(B("gone")));
        Assert.Equal(0, VacuumAll(store).VersionsRemoved);
    }

    [Fact]
    public void ReadCommittedTransactionsHoldBackOnlyTheTimestampOfTheirLatestRead()
    {
        using var store = NewStore();
        Put(store, "k", "v1");
        using var rc = store.Begin(IsolationLevel.ReadCommitted);
        Assert.Equal("v1", S(rc.Get(B("k"))));
        Put(store, "k", "v2");
        Assert.Equal(rc.ReadTimestamp, store.OldestSnapshot);
        VacuumAll(store);
        Assert.Equal(2, store.Versions(B("k")).Count); // v1 is still what rc's latest read saw
        Assert.Equal("v2", S(rc.Get(B("k")))); // the next read moves rc forward
        VacuumAll(store);
        Assert.Single(store.Versions(B("k")));
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, SeedCount("TUSK_KV_GC_SEEDS", 30)).Select(i => new object[] { (ulong)i });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void VacuumNeverRemovesAVersionALiveSnapshotCanSee(ulong seed)
    {
        var rng = new SeededRandom(seed);
        var scheduler = new ManualJobScheduler();
        using var store = Open(new SimFileSystem(seed), new ManualClock(), scheduler);
        var holders = new List<(KvTransaction Txn, SortedDictionary<byte[], byte[]> Seen)>();
        long removed = 0;
        for (int step = 0; step < 400; step++)
        {
            int r = rng.Next(100);
            if (r < 60)
            {
                using var txn = store.Begin();
                for (int i = 0, n = 1 + rng.Next(4); i < n; i++)
                {
                    byte[] key = B("k" + rng.Next(25));
                    if (rng.Next(4) == 0)
                    {
                        txn.Delete(key);
                    }
                    else
                    {
                        txn.Put(key, B($"{step}.{i}"));
                    }
                }
                txn.Commit();
            }
            else if (r < 68)
            {
                var txn = store.Begin((IsolationLevel)(2 + rng.Next(2)));
                holders.Add((txn, ReadEverything(txn)));
            }
            else if (r < 74 && holders.Count > 0)
            {
                int i = rng.Next(holders.Count);
                holders[i].Txn.Dispose();
                holders.RemoveAt(i);
            }
            else if (r < 90)
            {
                removed += store.Vacuum(1 + rng.Next(30)).VersionsRemoved;
                foreach (var (txn, seen) in holders)
                {
                    txn.ResetIterator(); // read what the engine holds now, not the state the old iterator pinned
                    var now = ReadEverything(txn);
                    Assert.True(SameContents(seen, now), $"seed {seed} step {step}: a snapshot at {txn.ReadTimestamp} changed after vacuum: was {Describe(seen)}, now {Describe(now)}");
                    foreach (var key in seen.Keys.Take(5))
                    {
                        Assert.Equal(seen[key], txn.Get(key));
                    }
                }
            }
            else if (r < 95)
            {
                scheduler.RunAll();
            }
            else
            {
                store.Engine.Flush();
            }
        }
        foreach (var (txn, _) in holders)
        {
            txn.Dispose();
        }
        var final = ReadAll(store);
        removed += VacuumAll(store).VersionsRemoved;
        Assert.True(removed > 50, $"seed {seed}: vacuum removed only {removed} versions");
        Assert.Equal(final.Count, store.CountVersions()); // one version per live key, none for deleted keys
        Assert.True(SameContents(final, ReadAll(store)));
    }

    private static SortedDictionary<byte[], byte[]> ReadEverything(KvTransaction txn)
    {
        var result = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
        foreach (var p in txn.Scan([], []))
        {
            result.Add(p.Key, p.Value);
        }
        // The reverse scan must agree with the forward one.
        Assert.Equal(result.Keys.Reverse().Select(Hex), txn.Scan([], [], reverse: true).Select(p => Hex(p.Key)));
        return result;
    }
}
