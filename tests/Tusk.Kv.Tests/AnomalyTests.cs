using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>
/// The anomalies of DDIA chapter 7, each as the book tells it, at each isolation level: what Tusk allows and
/// what it prevents. The expectations are the table in docs/kv.md (and PostgreSQL's, where a difference between
/// optimistic and locking implementations does not matter).
/// </summary>
public sealed class AnomalyTests
{
    public static TheoryData<IsolationLevel> AllLevels => [IsolationLevel.ReadCommitted, IsolationLevel.RepeatableRead, IsolationLevel.Serializable];

    private static void Commit(KvStore store, params (string Key, string Value)[] writes)
    {
        using var txn = store.Begin();
        foreach (var (k, v) in writes)
        {
            txn.Put(B(k), B(v));
        }
        txn.Commit();
    }

    private static int Int(byte[]? value) => int.Parse(S(value)!);

    // ---- Dirty reads and dirty writes (DDIA figures 7-4, 7-5): impossible at every level ----

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void NoDirtyReads(IsolationLevel level)
    {
        using var store = NewStore();
        Commit(store, ("x", "2"));
        using var writer = store.Begin(level);
        writer.Put(B("x"), B("3"));
        writer.Put(B("y"), B("new"));
        using var reader = store.Begin(level);
        Assert.Equal("2", S(reader.Get(B("x"))));
        Assert.Null(reader.Get(B("y")));
        Assert.Equal(["x"], reader.Scan(B(""), []).Select(p => S(p.Key)));
        Assert.Equal("3", S(writer.Get(B("x")))); // the writer sees its own write
        writer.Rollback();
        Assert.Equal("2", S(reader.Get(B("x"))));
        using var later = store.Begin(level);
        Assert.Equal("2", S(later.Get(B("x")))); // a rolled-back write never becomes visible
    }

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void NoDirtyWrites(IsolationLevel level)
    {
        // Alice and Bob buy the same car: each updates the listing and the invoice. Interleaved, the listing
        // and the invoice must still name the same buyer (commits apply atomically, in one timestamp order).
        using var store = NewStore();
        using var alice = store.Begin(level);
        using var bob = store.Begin(level);
        alice.Put(B("listing"), B("alice"));
        bob.Put(B("listing"), B("bob"));
        bob.Put(B("invoice"), B("bob"));
        alice.Put(B("invoice"), B("alice"));
        bob.Commit();
        if (level == IsolationLevel.ReadCommitted)
        {
            alice.Commit(); // the later committer overwrites both keys
            var all = ReadAll(store);
            Assert.Equal(S(all[B("listing")]), S(all[B("invoice")]));
            Assert.Equal("alice", S(all[B("listing")]));
        }
        else
        {
            var e = Assert.Throws<KvSerializationException>(alice.Commit);
            Assert.Equal(KvConflictKind.WriteWrite, e.Kind);
            var all = ReadAll(store);
            Assert.Equal("bob", S(all[B("listing")]));
            Assert.Equal("bob", S(all[B("invoice")]));
        }
    }

    // ---- Lost update (DDIA figure 7-1): two read-modify-write increments ----

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void LostUpdate(IsolationLevel level)
    {
        using var store = NewStore();
        Commit(store, ("counter", "42"));
        using var user1 = store.Begin(level);
        using var user2 = store.Begin(level);
        int v1 = Int(user1.Get(B("counter")));
        int v2 = Int(user2.Get(B("counter")));
        user1.Put(B("counter"), B((v1 + 1).ToString()));
        user2.Put(B("counter"), B((v2 + 1).ToString()));
        user1.Commit();
        if (level == IsolationLevel.ReadCommitted)
        {
            // Documented: READ COMMITTED does not protect a read-modify-write split over two operations; the
            // later writer overwrites, as in PostgreSQL with a SELECT followed by an UPDATE of a constant.
            user2.Commit();
            using var check = store.Begin();
            Assert.Equal(43, Int(check.Get(B("counter"))));
        }
        else
        {
            var e = Assert.Throws<KvSerializationException>(user2.Commit);
            Assert.Equal("40001", e.SqlState);
            Assert.Equal(KvConflictKind.WriteWrite, e.Kind);
            Assert.Equal("counter", S(e.Key));
            Assert.Equal(KvTransactionState.RolledBack, user2.State);
            // The client retries the whole transaction and it succeeds.
            using var retry = store.Begin(level);
            retry.Put(B("counter"), B((Int(retry.Get(B("counter"))) + 1).ToString()));
            retry.Commit();
            using var check = store.Begin();
            Assert.Equal(44, Int(check.Get(B("counter"))));
        }
    }

    // ---- Read skew (DDIA figure 7-6): Alice's two accounts ----

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void ReadSkew(IsolationLevel level)
    {
        using var store = NewStore();
        Commit(store, ("account1", "500"), ("account2", "500"));
        using var alice = store.Begin(level);
        int a1 = Int(alice.Get(B("account1")));
        using (var transfer = store.Begin(level))
        {
            transfer.Put(B("account1"), B((Int(transfer.Get(B("account1"))) + 100).ToString()));
            transfer.Put(B("account2"), B((Int(transfer.Get(B("account2"))) - 100).ToString()));
            transfer.Commit();
        }
        int a2 = Int(alice.Get(B("account2")));
        int scanned = alice.Scan(B("account"), B("accountz")).Sum(p => Int(p.Value));
        if (level == IsolationLevel.ReadCommitted)
        {
            Assert.Equal(900, a1 + a2); // the anomaly READ COMMITTED permits: $100 seem to have vanished
            Assert.Equal(1000, scanned); // one read (one scan) sees one committed state
        }
        else
        {
            Assert.Equal(1000, a1 + a2); // the snapshot: both reads before the transfer
            Assert.Equal(1000, scanned);
        }
        alice.Commit(); // read-only: commits at every level
    }

    // ---- Write skew (DDIA figure 7-8): two doctors go off call ----

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void WriteSkew(IsolationLevel level)
    {
        using var store = NewStore();
        Commit(store, ("shift/1234/alice", "on"), ("shift/1234/bob", "on"));
        using var alice = store.Begin(level);
        using var bob = store.Begin(level);
        foreach (var (txn, me) in new[] { (alice, "alice"), (bob, "bob") })
        {
            int onCall = txn.Scan(B("shift/1234/"), B("shift/1234/\xff")).Count(p => S(p.Value) == "on");
            Assert.Equal(2, onCall);
            txn.Put(B("shift/1234/" + me), B("off")); // at least one other doctor is on call: go off
        }
        alice.Commit();
        if (level == IsolationLevel.Serializable)
        {
            var e = Assert.Throws<KvSerializationException>(bob.Commit);
            Assert.Equal("40001", e.SqlState);
            Assert.Equal(KvConflictKind.ReadWrite, e.Kind);
            Assert.Equal(1, ReadAll(store).Values.Count(v => S(v) == "on"));
        }
        else
        {
            bob.Commit(); // write skew: the invariant "someone is on call" is broken
            Assert.Equal(0, ReadAll(store).Values.Count(v => S(v) == "on"));
        }
    }

    // ---- Phantoms (DDIA "phantoms causing write skew"): booking a meeting room ----

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void PhantomBooking(IsolationLevel level)
    {
        using var store = NewStore();
        Commit(store, ("booking/room123/0900", "carol"));
        using var t1 = store.Begin(level);
        using var t2 = store.Begin(level);
        foreach (var (txn, who) in new[] { (t1, "dave"), (t2, "erin") })
        {
            // Any booking for noon to 1 pm? None: insert one. The rows that conflict do not exist yet.
            Assert.Empty(txn.Scan(B("booking/room123/1200"), B("booking/room123/1300")));
            txn.Put(B("booking/room123/1200/" + who), B(who));
        }
        t1.Commit();
        if (level == IsolationLevel.Serializable)
        {
            var e = Assert.Throws<KvSerializationException>(t2.Commit);
            Assert.Equal(KvConflictKind.ReadWrite, e.Kind);
            Assert.Equal(2, ReadAll(store).Count);
        }
        else
        {
            t2.Commit(); // the room is double-booked
            Assert.Equal(3, ReadAll(store).Count);
        }
    }

    [Fact]
    public void SerializableAbortsWhenAPhantomAppearsInAScannedRangeButNotOutsideIt()
    {
        using var store = NewStore();
        Commit(store, ("k/a", "1"), ("k/m", "1"), ("k/z", "1"));

        using (var t = store.Begin())
        {
            Assert.Equal(2, t.Scan(B("k/a"), B("k/n")).Count);
            t.Put(B("summary"), B("2"));
            Commit(store, ("k/b", "phantom")); // inside the scanned range, not read by t
            Assert.Equal(KvConflictKind.ReadWrite, Assert.Throws<KvSerializationException>(t.Commit).Kind);
        }
        using (var t = store.Begin())
        {
            Assert.Equal(3, t.Scan(B("k/a"), B("k/n")).Count);
            t.Put(B("summary"), B("3"));
            Commit(store, ("k/n", "outside"), ("k/zz", "outside")); // the end bound is exclusive
            t.Commit();
        }
        using (var t = store.Begin())
        {
            // A scan stopped by its limit observed only up to its last key: later inserts do not conflict.
            Assert.Equal(["k/a", "k/b"], t.Scan(B("k/"), [], limit: 2).Select(p => S(p.Key)));
            t.Put(B("summary"), B("limit"));
            Commit(store, ("k/c", "after the last key read"));
            t.Commit();
        }
        using (var t = store.Begin())
        {
            // The same in reverse: observed from its last key to the end.
            Assert.Equal(["k/zz", "k/z"], t.Scan(B("k/"), B("k/zzz"), limit: 2, reverse: true).Select(p => S(p.Key)));
            t.Put(B("summary"), B("reverse"));
            Commit(store, ("k/y", "below the last key read"));
            t.Commit();
            using var t2 = store.Begin();
            Assert.Equal(2, t2.Scan(B("k/"), B("k/zzz"), limit: 2, reverse: true).Count);
            t2.Put(B("summary"), B("reverse2"));
            Commit(store, ("k/zy", "inside the observed range"));
            Assert.Throws<KvSerializationException>(t2.Commit);
        }
    }

    [Fact]
    public void SerializableAbortsWhenAKeyItReadChangedOrAppearedOrVanished()
    {
        using var store = NewStore();
        Commit(store, ("present", "1"));
        foreach (var (read, concurrent) in new[] { ("present", "update"), ("absent", "insert"), ("present", "delete") })
        {
            using var t = store.Begin();
            t.Get(B(read));
            t.Put(B("out"), B(read));
            using (var other = store.Begin())
            {
                if (concurrent == "delete")
                {
                    other.Delete(B(read));
                }
                else
                {
                    other.Put(B(read), B(concurrent));
                }
                other.Commit();
            }
            var e = Assert.Throws<KvSerializationException>(t.Commit);
            Assert.Equal(KvConflictKind.ReadWrite, e.Kind);
            Assert.Equal(read, S(e.Key));
        }
    }

    [Fact]
    public void ReadsOfOwnWritesAndReadOnlyTransactionsDoNotConflict()
    {
        using var store = NewStore();
        Commit(store, ("x", "1"));
        using var t = store.Begin();
        t.Put(B("x"), B("mine"));
        Assert.Equal("mine", S(t.Get(B("x")))); // answered by the buffer: not in the read set
        using var reader = store.Begin();
        Assert.Equal("1", S(reader.Get(B("x"))));
        Commit(store, ("y", "2"));
        t.Commit(); // no one else wrote x
        Commit(store, ("x", "3"));
        reader.Commit(); // read-only: serialized at its snapshot, never aborts
        Assert.Equal(reader.ReadTimestamp, reader.CommitTimestamp);
    }

    [Fact]
    public void RepeatableReadSeesOneSnapshotAndReadCommittedSeesEachCommit()
    {
        using var store = NewStore();
        Commit(store, ("x", "1"));
        using var rr = store.Begin(IsolationLevel.RepeatableRead);
        using var rc = store.Begin(IsolationLevel.ReadCommitted);
        Assert.Equal("1", S(rr.Get(B("x"))));
        Assert.Equal("1", S(rc.Get(B("x"))));
        var rcFirst = rc.ReadTimestamp;
        Commit(store, ("x", "2"), ("y", "2"));
        Assert.Equal("1", S(rr.Get(B("x")))); // non-repeatable read prevented
        Assert.Null(rr.Get(B("y")));
        Assert.Equal("2", S(rc.Get(B("x")))); // READ COMMITTED: the latest commit
        Assert.Equal("2", S(rc.Get(B("y"))));
        Assert.True(rc.ReadTimestamp > rcFirst);
    }
}
