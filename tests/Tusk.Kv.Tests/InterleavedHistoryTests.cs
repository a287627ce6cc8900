using Tusk.Core;
using Tusk.Simulation;
using Xunit;

namespace Tusk.Kv.Tests;

/// <summary>
/// Many transactions open at once, their operations interleaved at random (one thread, seeded), over a handful
/// of keys so that they conflict often. The history is recorded — every read with the answer it got — and then
/// checked against the definition of each isolation level:
/// <list type="bullet">
/// <item>SERIALIZABLE: replaying the committed transactions one at a time in commit-timestamp order on the model
/// reproduces every read each of them made, and the final state.</item>
/// <item>REPEATABLE READ and SERIALIZABLE (snapshot isolation): every read of every transaction, committed or
/// not, equals the committed state at its snapshot plus its own writes; and no two committed transactions that
/// wrote a common key overlapped in time (first committer wins).</item>
/// </list>
/// </summary>
public sealed class InterleavedHistoryTests
{
    private sealed class Run(KvTransaction txn, int id)
    {
        public KvTransaction Txn { get; } = txn;
        public int Id { get; } = id;
        public List<(TxnOp Op, string Result)> Log { get; } = [];
        public bool Wrote => Log.Any(e => e.Op.Kind is TxnOpKind.Put or TxnOpKind.Delete);
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, Kv.SeedCount("TUSK_KV_HISTORY_SEEDS", 30)).Select(i => new object[] { (ulong)i });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SerializableHistoriesEqualTheSerialOrderOfCommitTimestamps(ulong seed)
    {
        var (committed, all, aborted, store) = Execute(seed, IsolationLevel.Serializable);
        using (store)
        {
            // Read-only transactions are serialized at their snapshot, after the writer that committed at that timestamp.
            var order = committed.OrderBy(r => r.Txn.CommitTimestamp).ThenBy(r => r.Wrote ? 0 : 1).ToList();
            var state = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
            foreach (var run in order)
            {
                var overlay = KvModel.NewOverlay();
                foreach (var (op, result) in run.Log)
                {
                    string serial = KvModel.Execute(op, state, overlay);
                    Assert.True(serial == result,
                        $"seed {seed}: transaction {run.Id} (commit {run.Txn.CommitTimestamp}) read `{op}` = {result} in the history, but {serial} in the serial order");
                }
                KvModel.Apply(state, overlay);
            }
            var final = Kv.ReadAll(store);
            Assert.True(Kv.SameContents(state, final), $"seed {seed}: final state {Kv.Describe(final)} differs from the serial replay {Kv.Describe(state)}");
            CheckSnapshotIsolation(seed, committed, all);
            Assert.True(aborted > 0, $"seed {seed}: no transaction aborted; the workload does not contend");
            Assert.True(committed.Count(r => r.Wrote) > 20, $"seed {seed}: too few writers committed ({committed.Count(r => r.Wrote)})");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RepeatableReadHistoriesAreSnapshotIsolated(ulong seed)
    {
        var (committed, all, aborted, store) = Execute(seed, IsolationLevel.RepeatableRead);
        using (store)
        {
            CheckSnapshotIsolation(seed, committed, all);
            Assert.True(aborted > 0, $"seed {seed}: no transaction aborted; the workload does not contend");
        }
    }

    /// <summary>
    /// Reads see the snapshot (commits at or below the read timestamp, in timestamp order) plus own writes; and
    /// committed writers with a common key never overlap: one committed before the other's snapshot.
    /// </summary>
    private static void CheckSnapshotIsolation(ulong seed, List<Run> committed, List<Run> all)
    {
        var writers = committed.Where(r => r.Wrote).OrderBy(r => r.Txn.CommitTimestamp).ToList();
        foreach (var run in all)
        {
            var state = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
            foreach (var w in writers.TakeWhile(w => w.Txn.CommitTimestamp <= run.Txn.ReadTimestamp))
            {
                var writes = KvModel.NewOverlay();
                foreach (var (op, _) in w.Log)
                {
                    if (op.Kind is TxnOpKind.Put or TxnOpKind.Delete)
                    {
                        KvModel.Execute(op, state, writes);
                    }
                }
                KvModel.Apply(state, writes);
            }
            var overlay = KvModel.NewOverlay();
            foreach (var (op, result) in run.Log)
            {
                string atSnapshot = KvModel.Execute(op, state, overlay);
                Assert.True(atSnapshot == result,
                    $"seed {seed}: transaction {run.Id} (snapshot {run.Txn.ReadTimestamp}) read `{op}` = {result}, but its snapshot holds {atSnapshot}");
            }
        }
        for (int i = 0; i < writers.Count; i++)
        {
            var a = writers[i];
            var aKeys = WrittenKeys(a);
            for (int j = i + 1; j < writers.Count; j++)
            {
                var b = writers[j]; // b committed after a
                if (b.Txn.ReadTimestamp < a.Txn.CommitTimestamp && WrittenKeys(b).Overlaps(aKeys))
                {
                    Assert.Fail($"seed {seed}: transactions {a.Id} and {b.Id} both wrote a key and both committed although "
                        + $"{b.Id}'s snapshot {b.Txn.ReadTimestamp} predates {a.Id}'s commit {a.Txn.CommitTimestamp} (lost update)");
                }
            }
        }
    }

    private static HashSet<string> WrittenKeys(Run run) =>
        run.Log.Where(e => e.Op.Kind is TxnOpKind.Put or TxnOpKind.Delete).Select(e => Kv.Hex(e.Op.Key)).ToHashSet();

    private static (List<Run> Committed, List<Run> All, int Aborted, KvStore Store) Execute(ulong seed, IsolationLevel isolation)
    {
        var rng = new SeededRandom(seed);
        var clock = new ManualClock();
        var store = Kv.Open(new SimFileSystem(seed), clock);
        byte[][] keys = [[], [0x00], [0x00, 0x00], [(byte)'a'], [(byte)'a', 0x00], [(byte)'a', (byte)'b'], [(byte)'b'], [0xFF]];
        var active = new List<Run>();
        var all = new List<Run>();
        var committed = new List<Run>();
        int aborted = 0;
        int value = 0;
        for (int step = 0; step < 1500 || active.Count > 0; step++)
        {
            if (rng.Next(3) == 0)
            {
                clock.Advance(rng.Next(3));
            }
            if (step < 1500 && (active.Count == 0 || (active.Count < 5 && rng.Next(4) == 0)))
            {
                var run = new Run(store.Begin(isolation), all.Count);
                active.Add(run);
                all.Add(run);
                continue;
            }
            var current = active[rng.Next(active.Count)];
            int r = rng.Next(100);
            if (r < 12 || step >= 1500)
            {
                active.Remove(current);
                try
                {
                    current.Txn.Commit();
                    committed.Add(current);
                }
                catch (KvSerializationException e)
                {
                    Assert.Equal("40001", e.SqlState);
                    Assert.Equal(KvTransactionState.RolledBack, current.Txn.State);
                    aborted++;
                }
            }
            else if (r < 14)
            {
                active.Remove(current);
                current.Txn.Rollback();
            }
            else
            {
                var op = KvModel.RandomOp(rng, () => keys[rng.Next(keys.Length)], value++);
                current.Log.Add((op, KvModel.Execute(op, current.Txn)));
            }
        }
        return (committed, all, aborted, store);
    }
}
