using Tusk.Core;
using Tusk.Simulation;
using Tusk.Storage;
using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>
/// Crash tests on the simulated disk. Transactions of several keys commit (most durably, some asynchronously),
/// some roll back, some are left open; the machine dies after a random number of file-system operations (during
/// a commit, a flush, a compaction or a vacuum), losing or tearing unsynced bytes, and the store is reopened with
/// a clock that reads earlier than before. The recovered state must be the committed state after some prefix of
/// the attempted commits that includes every acknowledged durable commit: nothing acknowledged is lost, no
/// transaction is half-applied, nothing rolled back or uncommitted appears, and later commits still win.
/// </summary>
public sealed class CrashTests
{
    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, SeedCount("TUSK_KV_CRASH_SEEDS", 40)).Select(i => new object[] { (ulong)i });

    private sealed record Attempt(int Id, SortedDictionary<byte[], byte[]?> Writes);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RecoveredStateIsAPrefixOfCommitsContainingEveryDurableOne(ulong seed)
    {
        var rng = new SeededRandom(seed);
        var fs = new SimFileSystem(seed);
        var scheduler = new ManualJobScheduler();
        var state = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance); // what every earlier cycle agreed on
        int deaths = 0;
        int txnId = 0;
        for (int cycle = 0; cycle < 4; cycle++)
        {
            // Every process starts its clock at the same reading: the HLC ceiling must keep timestamps moving forward.
            var clock = new ManualClock();
            var store = Open(fs, clock, scheduler);
            var recoveredAtOpen = ReadAll(store);
            Assert.True(SameContents(state, recoveredAtOpen), $"seed {seed} cycle {cycle}: reopened store differs from the recovered state");
            var attempts = new List<Attempt>();
            int lastDurableAck = -1;
            int dieAfter = rng.Next(5, 250);
            bool dead = false;
            for (int i = 0; i < 200 && !dead; i++)
            {
                if (i == 10)
                {
                    fs.FailAfter(dieAfter, SimOperationKind.Mutations | SimOperationKind.Sync | SimOperationKind.SyncDirectory);
                }
                clock.Advance(rng.Next(100));
                try
                {
                    dead = Step(rng, store, scheduler, attempts, ref lastDurableAck, ref txnId);
                }
                catch (IOException)
                {
                    dead = true; // the injected failure reached a commit or a background job
                }
            }
            deaths += dead ? 1 : 0;
            fs.Crash(rng.Next(2) == 0 ? CrashOptions.TearWrites : CrashOptions.DropUnsynced);
            fs.ClearFaults();
            try
            {
                store.Dispose();
            }
            catch (IOException)
            {
                // the process is gone; closing its files may fail
            }

            store = Open(fs, new ManualClock(), scheduler);
            var recovered = ReadAll(store);
            Assert.DoesNotContain(recovered.Values, v => S(v)!.StartsWith("rolled-back", StringComparison.Ordinal) || S(v)!.StartsWith("open", StringComparison.Ordinal));
            var candidate = new SortedDictionary<byte[], byte[]>(state, ByteComparer.Instance);
            int matched = -2;
            for (int p = -1; p < attempts.Count; p++)
            {
                if (p >= 0)
                {
                    KvModel.Apply(candidate, attempts[p].Writes);
                }
                if (p >= lastDurableAck && SameContents(candidate, recovered))
                {
                    matched = p;
                    break;
                }
            }
            Assert.True(matched != -2,
                $"seed {seed} cycle {cycle}: the recovered state ({recovered.Count} keys) is no prefix of the {attempts.Count} attempted commits "
                + $"that includes the last durable one (#{lastDurableAck}); died after {dieAfter} file operations");
            state = recovered;
            // Writes after recovery win over everything recovered, although this process's clock reads earlier.
            using (var txn = store.Begin())
            {
                foreach (var key in state.Keys.Take(3))
                {
                    txn.Put(key, B("after-recovery-" + cycle));
                }
                txn.Commit();
            }
            state = ReadAll(store);
            Assert.Equal(Math.Min(3, state.Count), state.Values.Count(v => S(v) == "after-recovery-" + cycle));
            scheduler.RunAll();
            store.Dispose();
        }
        Assert.True(deaths > 0, $"seed {seed}: the injected failure never fired; nothing crashed mid-operation");
    }

    /// <summary>One random action; true when the store reported a failed commit (it is then dead).</summary>
    private static bool Step(SeededRandom rng, KvStore store, ManualJobScheduler scheduler, List<Attempt> attempts, ref int lastDurableAck, ref int txnId)
    {
        int r = rng.Next(100);
        if (r < 8)
        {
            scheduler.RunNext();
            return false;
        }
        if (r < 10)
        {
            store.Engine.Flush();
            return false;
        }
        if (r < 13)
        {
            store.Vacuum(1 + rng.Next(40));
            return false;
        }
        int id = txnId++;
        bool durable = rng.Next(4) != 0;
        var txn = store.Begin(new KvTransactionOptions
        {
            Isolation = (IsolationLevel)(1 + rng.Next(3)),
            Durability = durable ? CommitDurability.Sync : CommitDurability.Async,
        });
        int fate = rng.Next(10); // 0: roll back, 1: leave open, else commit
        string prefix = fate == 0 ? "rolled-back" : fate == 1 ? "open" : "t";
        var writes = KvModel.NewOverlay();
        int n = 1 + rng.Next(6);
        for (int i = 0; i < n; i++)
        {
            byte[] key = B("key" + rng.Next(40));
            if (rng.Next(5) == 0)
            {
                txn.Delete(key);
                writes[key] = null;
            }
            else
            {
                byte[] value = B($"{prefix}{id}.{i}");
                txn.Put(key, value);
                writes[key] = value;
            }
        }
        if (fate == 0)
        {
            txn.Rollback();
            return false;
        }
        if (fate == 1)
        {
            return false; // never committed, never disposed: dies with the process
        }
        attempts.Add(new Attempt(id, writes));
        txn.Commit(); // serial: no conflicts; an IOException propagates (outcome unknown, store dead)
        if (durable)
        {
            lastDurableAck = attempts.Count - 1;
        }
        return false;
    }

    [Fact]
    public void AsyncCommitIsLostInAPowerFailureUnlessALaterSyncCoversItAndIsAlwaysAtomic()
    {
        var fs = new SimFileSystem(7);
        var clock = new ManualClock();
        var store = Open(fs, clock);
        using (var t = store.Begin(new KvTransactionOptions { Durability = CommitDurability.Sync }))
        {
            t.Put(B("durable"), B("1"));
            t.Commit();
        }
        using (var t = store.Begin(new KvTransactionOptions { Durability = CommitDurability.Async }))
        {
            t.Put(B("async-a"), B("1"));
            t.Put(B("async-b"), B("1"));
            t.Commit();
        }
        using (var t = store.Begin())
        {
            Assert.Equal("1", S(t.Get(B("async-a")))); // visible at once
        }
        fs.Crash();
        try
        {
            store.Dispose();
        }
        catch (IOException)
        {
        }
        store = Open(fs, clock);
        var all = ReadAll(store);
        Assert.Equal(["durable"], all.Keys.Select(k => S(k)));

        // A later durable commit's fsync covers the earlier asynchronous one (the WAL is one sequence).
        using (var t = store.Begin(new KvTransactionOptions { Durability = CommitDurability.Async }))
        {
            t.Put(B("async-c"), B("1"));
            t.Commit();
        }
        using (var t = store.Begin())
        {
            t.Put(B("durable-2"), B("1"));
            t.Commit();
        }
        fs.Crash();
        try
        {
            store.Dispose();
        }
        catch (IOException)
        {
        }
        using var reopened = Open(fs, clock);
        Assert.Equal(["async-c", "durable", "durable-2"], ReadAll(reopened).Keys.Select(k => S(k)));
    }

    [Fact]
    public void CommitTimestampsKeepGrowingAcrossRestartsEvenWhenTheClockGoesBack()
    {
        var fs = new SimFileSystem(3);
        var clock = new ManualClock { Micros = ManualClock.StartMicros + 10_000_000_000 };
        HlcTimestamp before;
        using (var store = Open(fs, clock))
        {
            using var t = store.Begin();
            t.Put(B("k"), B("old"));
            t.Commit();
            before = t.CommitTimestamp;
        }
        var earlier = new ManualClock(); // 10,000 s earlier
        using (var store = Open(fs, earlier))
        {
            Assert.True(store.VisibleTimestamp > before);
            using var t = store.Begin();
            t.Put(B("k"), B("new"));
            t.Commit();
            Assert.True(t.CommitTimestamp > before, $"{t.CommitTimestamp} should follow {before}");
        }
        using (var store = Open(fs, earlier))
        {
            using var t = store.Begin();
            Assert.Equal("new", S(t.Get(B("k"))));
        }
    }
}
