using Tusk.Core;
using Tusk.Simulation;
using Tusk.Storage;
using Xunit;

namespace Tusk.Kv.Tests;

/// <summary>
/// Random transactions run one at a time, at random isolation levels, against the store and against a
/// sorted-dictionary model: every Get and Scan (both directions, bounded, limited, over keys full of 0x00 and
/// 0xFF bytes and shared prefixes) must give the same answer, including the transaction's own uncommitted
/// writes. Between transactions the clock moves (sometimes backwards), the store vacuums, flushes and compacts,
/// and is closed and reopened. A failure names the seed, transaction and operation.
/// </summary>
public sealed class SerialModelTests
{
    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, Kv.SeedCount("TUSK_KV_MODEL_SEEDS", 40)).Select(i => new object[] { (ulong)i });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void StoreAgreesWithModel(ulong seed)
    {
        var rng = new SeededRandom(seed);
        var fs = new SimFileSystem(seed);
        var clock = new ManualClock();
        var scheduler = new ManualJobScheduler();
        var store = Kv.Open(fs, clock, scheduler);
        var committed = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
        int valueCounter = 0;
        int reads = 0;
        try
        {
            for (int t = 0; t < 150; t++)
            {
                var isolation = (IsolationLevel)(1 + rng.Next(3));
                using var txn = store.Begin(isolation);
                var overlay = KvModel.NewOverlay();
                int ops = 1 + rng.Next(12);
                for (int i = 0; i < ops; i++)
                {
                    var op = KvModel.RandomOp(rng, () => KvModel.RandomKey(rng), valueCounter++);
                    string expected = KvModel.Execute(op, committed, overlay);
                    string actual = KvModel.Execute(op, txn);
                    Assert.True(expected == actual, $"seed {seed} txn {t} ({isolation}) op {i} `{op}`: expected {expected}, got {actual}");
                    reads += op.Kind is TxnOpKind.Get or TxnOpKind.Scan ? 1 : 0;
                }
                if (rng.Next(5) == 0)
                {
                    txn.Rollback();
                }
                else
                {
                    txn.Commit(); // serial: never a conflict
                    KvModel.Apply(committed, overlay);
                    Assert.True(txn.CommitTimestamp >= txn.ReadTimestamp);
                }
                (store, clock) = BetweenTransactions(rng, fs, clock, scheduler, store);
            }
            var all = Kv.ReadAll(store);
            Assert.True(Kv.SameContents(committed, all), $"seed {seed}: final state differs: model {Kv.Describe(committed)} store {Kv.Describe(all)}");
            Assert.True(reads > 300, $"seed {seed}: only {reads} reads; the workload should be mostly reads");
        }
        finally
        {
            store.Dispose();
        }
    }

    private static (KvStore, ManualClock) BetweenTransactions(SeededRandom rng, SimFileSystem fs, ManualClock clock, ManualJobScheduler scheduler, KvStore store)
    {
        int r = rng.Next(100);
        if (r < 40)
        {
            clock.Advance(rng.Next(2000));
        }
        else if (r < 45)
        {
            clock.Advance(-rng.Next(1_000_000)); // the wall clock steps back: the HLC must not
        }
        if (rng.Next(10) == 0)
        {
            store.Vacuum(1 + rng.Next(50));
        }
        if (rng.Next(12) == 0)
        {
            store.Engine.Flush(); // versions move to tables, where reads take another path
        }
        if (rng.Next(8) == 0)
        {
            scheduler.RunAll();
        }
        if (rng.Next(25) == 0)
        {
            store.Dispose();
            scheduler.RunAll();
            // A new process: its clock may even read earlier than the last commit's timestamp.
            clock = new ManualClock { Micros = ManualClock.StartMicros + rng.Next(1000) };
            store = Kv.Open(fs, clock, scheduler);
        }
        return (store, clock);
    }
}
