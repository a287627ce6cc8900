using System.Text;
using Tusk.Core;
using Tusk.Simulation;
using Tusk.Storage;
using Xunit;

namespace Tusk.Storage.Tests;

/// <summary>
/// Crash tests on the fault-injecting file system. The simulated machine dies after a random number of
/// file-system operations — during a WAL write, a flush, a compaction or a manifest update — losing every
/// unsynced byte (or tearing the last writes); the engine is then reopened. The recovered state must be
/// the state after some prefix of the attempted operations that includes every acknowledged synced write
/// (so nothing synced is lost and no batch is half-applied), and iterators must agree with Get.
/// A failure names the seed; the run is a pure function of it.
/// </summary>
public sealed class CrashTests
{
    /// <summary>Seeds 1..60 by default; TUSK_CRASH_SEEDS=N sweeps 1..N.</summary>
    public static IEnumerable<object[]> Seeds() =>
        Enumerable.Range(1, ModelTests.SeedCount("TUSK_CRASH_SEEDS", 60)).Select(i => new object[] { (ulong)i });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RecoveredStateIsAPrefixContainingEverySyncedWrite(ulong seed)
    {
        var rng = new SeededRandom(seed);
        var fs = new SimFileSystem(seed);
        var scheduler = new ManualJobScheduler();
        var committed = new SortedDictionary<string, string>(StringComparer.Ordinal); // state all earlier cycles agree on
        int deaths = 0;
        for (int cycle = 0; cycle < 4; cycle++)
        {
            var ops = new List<Op>();
            int lastSyncedAck = -1; // index in ops of the last acknowledged synced write
            var engine = LsmEngine.Open(fs, "/db", TestOptions.Small(scheduler));
            VerifyIteratorAgreesWithGet(engine, committed, seed, cycle, "after open");
            int dieAfter = rng.Next(5, 600);
            bool dead = false;
            for (int i = 0; i < 400 && !dead; i++)
            {
                if (i == 20)
                {
                    fs.FailAfter(dieAfter, SimOperationKind.Mutations | SimOperationKind.Sync | SimOperationKind.SyncDirectory);
                }
                var op = Op.Random(rng);
                ops.Add(op);
                try
                {
                    op.Apply(engine);
                    if (op.Sync)
                    {
                        lastSyncedAck = ops.Count - 1;
                    }
                    int r = rng.Next(10);
                    if (r < 3)
                    {
                        scheduler.RunNext();
                    }
                    else if (r == 3 && rng.Next(8) == 0)
                    {
                        engine.Flush();
                    }
                }
                catch (IOException)
                {
                    dead = true; // the injected failure reached this write or a background job it ran
                }
            }
            deaths += dead ? 1 : 0;
            // Power loss: unsynced bytes vanish or are torn; handles die with the process.
            fs.Crash(rng.Next(2) == 0 ? CrashOptions.TearWrites : CrashOptions.DropUnsynced);
            fs.ClearFaults();
            try
            {
                engine.Dispose();
            }
            catch (IOException)
            {
                // closing after the crash may fail: the process is gone in reality
            }

            engine = LsmEngine.Open(fs, "/db", TestOptions.Small(scheduler));
            var recovered = ReadAll(engine);
            // Find a prefix of ops (at least through the last synced acknowledgement) that yields `recovered`.
            var state = new SortedDictionary<string, string>(committed, StringComparer.Ordinal);
            int matched = -2;
            for (int p = -1; p < ops.Count; p++)
            {
                if (p >= 0)
                {
                    ops[p].ApplyTo(state);
                }
                if (p >= lastSyncedAck && Equal(state, recovered))
                {
                    matched = p;
                    break;
                }
            }
            Assert.True(matched != -2,
                $"seed {seed} cycle {cycle}: recovered state ({recovered.Count} keys) is no prefix of the {ops.Count} operations "
                + $"that keeps the last synced write (#{lastSyncedAck}); died after {dieAfter} file operations");
            committed = recovered;
            VerifyIteratorAgreesWithGet(engine, committed, seed, cycle, "after recovery");
            scheduler.RunAll();
            engine.Dispose();
        }
        Assert.True(deaths > 0, $"seed {seed}: the injected failure never fired; the test did not crash mid-operation");
    }

    private static bool Equal(SortedDictionary<string, string> a, SortedDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static SortedDictionary<string, string> ReadAll(LsmEngine engine)
    {
        var d = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var it = engine.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            d[Encoding.UTF8.GetString(it.Key)] = Encoding.UTF8.GetString(it.Value);
        }
        return d;
    }

    private static void VerifyIteratorAgreesWithGet(LsmEngine engine, SortedDictionary<string, string> expected, ulong seed, int cycle, string when)
    {
        var all = ReadAll(engine);
        Assert.True(Equal(all, expected), $"seed {seed} cycle {cycle} {when}: scan disagrees with the recovered state");
        for (int k = 0; k < Op.KeySpace; k++)
        {
            string key = Op.Key(k);
            var got = engine.Get(Encoding.UTF8.GetBytes(key));
            expected.TryGetValue(key, out var want);
            Assert.True((got == null ? null : Encoding.UTF8.GetString(got)) == want,
                $"seed {seed} cycle {cycle} {when}: Get({key}) disagrees with the iterator");
        }
    }

    /// <summary>One write: a batch of puts and deletes, or a range deletion.</summary>
    private sealed class Op
    {
        public const int KeySpace = 120;
        private static int s_counter;
        private readonly List<(string Key, string? Value)> _entries = [];
        private (string Begin, string End)? _range;

        public bool Sync { get; private set; }

        public static string Key(int i) => "key" + i.ToString("D4");

        public static Op Random(SeededRandom rng)
        {
            var op = new Op { Sync = rng.Next(4) == 0 };
            if (rng.Next(25) == 0)
            {
                int a = rng.Next(KeySpace), b = rng.Next(KeySpace);
                if (a != b)
                {
                    op._range = (Key(Math.Min(a, b)), Key(Math.Max(a, b)));
                    return op;
                }
            }
            int n = rng.Next(6) == 0 ? 1 + rng.Next(12) : 1;
            for (int i = 0; i < n; i++)
            {
                string k = Key(rng.Next(KeySpace));
                string? v = rng.Next(6) == 0 ? null : $"v{Interlocked.Increment(ref s_counter)}-" + new string('x', rng.Next(300));
                op._entries.Add((k, v));
            }
            return op;
        }

        public void Apply(LsmEngine engine)
        {
            var batch = new WriteBatch();
            if (_range is var (b, e))
            {
                batch.DeleteRange(Encoding.UTF8.GetBytes(b), Encoding.UTF8.GetBytes(e));
            }
            foreach (var (k, v) in _entries)
            {
                if (v == null)
                {
                    batch.Delete(Encoding.UTF8.GetBytes(k));
                }
                else
                {
                    batch.Put(Encoding.UTF8.GetBytes(k), Encoding.UTF8.GetBytes(v));
                }
            }
            engine.Write(batch, Sync ? WriteOptions.Durable : WriteOptions.Default);
        }

        public void ApplyTo(SortedDictionary<string, string> state)
        {
            if (_range is var (b, e))
            {
                foreach (var k in state.Keys.Where(k => string.CompareOrdinal(k, b) >= 0 && string.CompareOrdinal(k, e) < 0).ToList())
                {
                    state.Remove(k);
                }
            }
            foreach (var (k, v) in _entries)
            {
                if (v == null)
                {
                    state.Remove(k);
                }
                else
                {
                    state[k] = v;
                }
            }
        }
    }
}
