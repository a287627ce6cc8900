using Tusk.Simulation;
using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>The transaction contract at its edges: paging, bounds, lifecycle, limits and the bounded structures.</summary>
public sealed class TransactionApiTests
{
    private static KvStore Filled(int n, Func<KvStoreOptions, KvStoreOptions>? tweak = null)
    {
        var store = Open(new SimFileSystem(1), new ManualClock(), tweak: tweak);
        using var txn = store.Begin();
        for (int i = 0; i < n; i++)
        {
            txn.Put(B($"k{i:D3}"), B($"v{i}"));
        }
        txn.Commit();
        return store;
    }

    [Fact]
    public void ScansPageByLastKeyInBothDirections()
    {
        using var store = Filled(50);
        using var txn = store.Begin();
        txn.Delete(B("k010"));
        txn.Put(B("k010x"), B("mine"));
        var all = txn.Scan(B("k"), []).Select(p => S(p.Key)).ToList();
        Assert.Equal(50, all.Count);
        Assert.Contains("k010x", all);
        Assert.DoesNotContain("k010", all);

        var forward = new List<string?>();
        byte[] from = B("k");
        while (txn.Scan(from, [], limit: 7) is { Count: > 0 } page)
        {
            forward.AddRange(page.Select(p => S(p.Key)));
            from = [.. page[^1].Key, 0x00];
        }
        Assert.Equal(all, forward);

        var backward = new List<string?>();
        byte[] to = [];
        while (txn.Scan(B("k"), to, limit: 6, reverse: true) is { Count: > 0 } page)
        {
            backward.AddRange(page.Select(p => S(p.Key)));
            to = page[^1].Key;
        }
        backward.Reverse();
        Assert.Equal(all, backward);

        Assert.Empty(txn.Scan(B("k020"), B("k020")));
        Assert.Empty(txn.Scan(B("k030"), B("k020")));
        Assert.Equal(["k020"], txn.Scan(B("k020"), B("k021")).Select(p => S(p.Key)));
    }

    [Fact]
    public void EndedTransactionsRefuseWorkAndDisposeRollsBack()
    {
        using var store = Filled(1);
        var txn = store.Begin();
        txn.Put(B("a"), B("1"));
        txn.Dispose();
        Assert.Equal(KvTransactionState.RolledBack, txn.State);
        Assert.Throws<InvalidOperationException>(() => txn.Get(B("a")));
        Assert.Throws<InvalidOperationException>(txn.Commit);
        txn.Rollback(); // no effect
        using var committed = store.Begin();
        committed.Commit();
        Assert.Equal(KvTransactionState.Committed, committed.State);
        Assert.Throws<InvalidOperationException>(() => committed.Put(B("a"), B("1")));
        Assert.Null(ReadAll(store).GetValueOrDefault(B("a")));
        Assert.Equal(store.VisibleTimestamp, store.OldestSnapshot); // nothing left registered
    }

    [Fact]
    public void LimitsAreEnforcedWithSqlState54000()
    {
        using var store = Filled(0, o => new KvStoreOptions { Storage = o.Storage, Clock = o.Clock, TransactionWriteBytesMax = 1000 });
        using var txn = store.Begin();
        var e = Assert.Throws<KvLimitExceededException>(() => txn.Put(new byte[KvStore.KeyLengthMax + 1], B("v")));
        Assert.Equal("54000", e.SqlState);
        Assert.Throws<KvLimitExceededException>(() => txn.Get(new byte[KvStore.KeyLengthMax + 1]));
        txn.Put(B("a"), new byte[900]);
        txn.Put(B("a"), new byte[990]); // replacing counts the difference
        Assert.Throws<KvLimitExceededException>(() => txn.Put(B("b"), new byte[20]));
        txn.Put(B("a"), new byte[10]);
        txn.Put(B("b"), new byte[20]); // room again
        txn.Commit();
        Assert.Equal(2, ReadAll(store).Count);
        using var unlimited = Filled(0);
        using (var big = unlimited.Begin())
        {
            big.Put(new byte[KvStore.KeyLengthMax], B("largest key")); // all 0x00: escaped, it doubles and still fits the engine
            big.Commit();
        }
        using var read = unlimited.Begin();
        Assert.Equal("largest key", S(read.Get(new byte[KvStore.KeyLengthMax])));
    }

    [Fact]
    public void AReadSetPastItsLimitIsMergedIntoOneSpanThatStillCatchesConflicts()
    {
        using var store = Filled(20, o => new KvStoreOptions { Storage = o.Storage, Clock = o.Clock, ReadSpansMax = 4 });
        using var txn = store.Begin();
        foreach (int i in new[] { 2, 4, 6, 8, 10 })
        {
            txn.Get(B($"k{i:D3}"));
        }
        Assert.True(txn.ReadSetCollapsed);
        txn.Put(B("out"), B("1"));
        using (var other = store.Begin())
        {
            other.Put(B("k005"), B("between two keys read")); // inside the merged span, though never read
            other.Commit();
        }
        Assert.Throws<KvSerializationException>(txn.Commit);
        using var txn2 = store.Begin();
        foreach (int i in new[] { 2, 4, 6, 8, 10 })
        {
            txn2.Get(B($"k{i:D3}"));
        }
        txn2.Put(B("out"), B("2"));
        using (var other = store.Begin())
        {
            other.Put(B("k011"), B("beyond the merged span"));
            other.Commit();
        }
        txn2.Commit();
    }

    [Fact]
    public void TheCommitTrackerIsBoundedAndForgetsWhatNoSnapshotNeeds()
    {
        using var store = Filled(0, o => new KvStoreOptions { Storage = o.Storage, Clock = o.Clock, TrackedKeysMax = 8 });
        using var old = store.Begin(IsolationLevel.RepeatableRead);
        old.Get(B("x"));
        for (int i = 0; i < 20; i++)
        {
            using var w = store.Begin();
            w.Put(B($"other{i}"), B("1"));
            w.Commit();
        }
        Assert.InRange(store.TrackedKeyCount, 1, 8);
        old.Put(B("x"), B("1")); // no real conflict, but the history it needs was forgotten
        var e = Assert.Throws<KvSerializationException>(old.Commit);
        Assert.Equal(KvConflictKind.SnapshotTooOld, e.Kind);
        using (var fresh = store.Begin())
        {
            fresh.Put(B("x"), B("1"));
            fresh.Commit();
        }
        Assert.Equal(1, store.TrackedKeyCount); // no live snapshot predates the last commit
    }

    [Fact]
    public void IOrderedKvIsTheContractTheLayersAboveUse()
    {
        using var store = Filled(3);
        IOrderedKv kv = store;
        using IKvTransaction txn = kv.Begin(new KvTransactionOptions { Isolation = IsolationLevel.RepeatableRead, Durability = CommitDurability.Async });
        Assert.Equal(IsolationLevel.RepeatableRead, txn.Isolation);
        Assert.Equal(3, txn.Scan([], []).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => txn.Scan([], [], limit: 0));
        Assert.Throws<ArgumentException>(() => kv.Begin((IsolationLevel)9));
    }

    [Fact]
    public void ReopenedStoreKeepsCommittedDataAndRefusesForeignDatabases()
    {
        var fs = new SimFileSystem(2);
        using (var store = Open(fs, new ManualClock()))
        {
            using var txn = store.Begin();
            txn.Put([0x00, 0xFF], [0x01]);
            txn.Commit();
        }
        using (var store = Open(fs, new ManualClock()))
        {
            using var txn = store.Begin();
            Assert.Equal([0x01], txn.Get([0x00, 0xFF]));
        }
        using (var engine = Tusk.Storage.LsmEngine.Open(fs, "/other"))
        {
            engine.Put(MvccEncoding.EncodeVersionKey(B("k"), new(1)), MvccEncoding.EncodeValue(B("v")));
        }
        Assert.Throws<Tusk.Core.CorruptionException>(() => KvStore.Open(fs, "/other"));
    }
}
