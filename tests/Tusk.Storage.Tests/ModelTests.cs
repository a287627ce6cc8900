using System.Text;
using Tusk.Core;
using Tusk.Simulation;
using Tusk.Storage;
using Xunit;

namespace Tusk.Storage.Tests;

/// <summary>
/// Model-based random tests: seeded sequences of writes, reads, scans, snapshots, range deletions, flushes,
/// compactions and reopens run against the engine and against a SortedDictionary; every read must agree.
/// A failure names the seed and step; rerun that seed (ModelTests.Run(seed)) to replay it exactly.
/// </summary>
public sealed class ModelTests
{
    /// <summary>Seeds 1..40 by default; TUSK_MODEL_SEEDS=N sweeps 1..N (longer runs, outside the default test run).</summary>
    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, SeedCount("TUSK_MODEL_SEEDS", 40)).Select(i => new object[] { (ulong)i });

    internal static int SeedCount(string variable, int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out int n) && n > 0 ? n : defaultCount;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void EngineAgreesWithModel(ulong seed) => Run(seed, steps: 1500, keySpace: 300);

    [Fact]
    public void EngineAgreesWithModelOnALongRun()
    {
        var (flushes, compactions, deepest) = Run(seed: 1000, steps: 12000, keySpace: 2000);
        // The run must exercise what it claims to: flushes, real compactions and tables below L1.
        Assert.True(flushes > 10, $"only {flushes} flushes");
        Assert.True(compactions > 5, $"only {compactions} compactions");
        Assert.True(deepest >= 2, $"deepest level reached: {deepest}");
    }

    internal static (long Flushes, long Compactions, int DeepestLevel) Run(ulong seed, int steps, int keySpace)
    {
        var h = new Harness(seed, keySpace);
        int step = 0;
        try
        {
            for (step = 0; step < steps; step++)
            {
                h.Step();
            }
            h.VerifyAll();
            h.AccumulateStatistics();
            return (h.Flushes, h.Compactions, h.DeepestLevel);
        }
        catch (Exception e) when (e is not ModelMismatchException)
        {
            throw new ModelMismatchException($"seed {seed} step {step} (last op: {h.LastOp}): {e}");
        }
        catch (ModelMismatchException e)
        {
            throw new ModelMismatchException($"seed {seed} step {step}: {e.Message}");
        }
        finally
        {
            h.Dispose();
        }
    }

    private sealed class ModelMismatchException(string message) : Exception(message);

    private sealed class Harness : IDisposable
    {
        private readonly SeededRandom _rng;
        private readonly int _keySpace;
        private readonly SimFileSystem _fs;
        private readonly ManualJobScheduler _scheduler = new();
        private readonly SortedDictionary<string, string> _model = new(StringComparer.Ordinal);
        private readonly List<(Snapshot Snapshot, SortedDictionary<string, string> Model)> _snapshots = [];
        private LsmEngine _engine;
        private int _valueCounter;

        public Harness(ulong seed, int keySpace)
        {
            _rng = new SeededRandom(seed);
            _keySpace = keySpace;
            _fs = new SimFileSystem(seed);
            _engine = Open();
        }

        public string LastOp { get; private set; } = "";

        public long Flushes { get; private set; }

        public long Compactions { get; private set; }

        public int DeepestLevel { get; private set; }

        /// <summary>Statistics restart with each open; add up what this engine did.</summary>
        public void AccumulateStatistics()
        {
            var s = _engine.GetStatistics();
            Flushes += s.Flushes;
            Compactions += s.Compactions;
            foreach (var l in s.Levels)
            {
                if (l.FileCount > 0)
                {
                    DeepestLevel = Math.Max(DeepestLevel, l.Level);
                }
            }
        }

        private LsmEngine Open() => LsmEngine.Open(_fs, "/db", TestOptions.Small(_scheduler));

        private string RandomKey() => "k" + _rng.Next(_keySpace).ToString("D5");

        private string NewValue()
        {
            int length = _rng.Next(10) == 0 ? _rng.Next(2000) : _rng.Next(60);
            var sb = new StringBuilder();
            sb.Append('v').Append(++_valueCounter).Append('-');
            while (sb.Length < length)
            {
                sb.Append((char)('a' + _rng.Next(26)));
            }
            return sb.ToString();
        }

        private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

        private static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

        public void Step()
        {
            int r = _rng.Next(1000);
            switch (r)
            {
                case < 300: Put(); break;
                case < 380: DeleteKey(); break;
                case < 400: DeleteRange(); break;
                case < 440: Batch(); break;
                case < 600: CheckGet(_engine, null, _model); break;
                case < 680: CheckScan(null, _model); break;
                case < 700: TakeSnapshot(); break;
                case < 715: ReleaseSnapshot(); break;
                case < 760: ReadSnapshot(); break;
                case < 880: LastOp = "background"; _scheduler.RunNext(); break;
                case < 900: LastOp = "flush"; _engine.Flush(); break;
                case < 910: CompactRange(); break;
                case < 920: Reopen(); break;
                default: CheckGet(_engine, null, _model); break;
            }
        }

        private void Put()
        {
            string k = RandomKey(), v = NewValue();
            LastOp = $"put {k}";
            _engine.Put(B(k), B(v));
            _model[k] = v;
        }

        private void DeleteKey()
        {
            string k = RandomKey();
            LastOp = $"delete {k}";
            _engine.Delete(B(k));
            _model.Remove(k);
        }

        private void DeleteRange()
        {
            string a = RandomKey(), b = RandomKey();
            if (string.CompareOrdinal(a, b) == 0)
            {
                return;
            }
            if (string.CompareOrdinal(a, b) > 0)
            {
                (a, b) = (b, a);
            }
            LastOp = $"delete-range [{a}, {b})";
            _engine.DeleteRange(B(a), B(b));
            foreach (var k in _model.Keys.Where(k => string.CompareOrdinal(k, a) >= 0 && string.CompareOrdinal(k, b) < 0).ToList())
            {
                _model.Remove(k);
            }
        }

        private void Batch()
        {
            var batch = new WriteBatch();
            var pending = new List<(string Key, string? Value)>();
            int n = 1 + _rng.Next(20);
            for (int i = 0; i < n; i++)
            {
                string k = RandomKey();
                if (_rng.Next(4) == 0)
                {
                    batch.Delete(B(k));
                    pending.Add((k, null));
                }
                else
                {
                    string v = NewValue();
                    batch.Put(B(k), B(v));
                    pending.Add((k, v));
                }
            }
            LastOp = $"batch of {n}";
            _engine.Write(batch, _rng.Next(10) == 0 ? WriteOptions.Durable : WriteOptions.Default);
            foreach (var (k, v) in pending)
            {
                if (v == null)
                {
                    _model.Remove(k);
                }
                else
                {
                    _model[k] = v;
                }
            }
        }

        private void TakeSnapshot()
        {
            if (_snapshots.Count >= 4)
            {
                return;
            }
            LastOp = "snapshot";
            _snapshots.Add((_engine.GetSnapshot(), new SortedDictionary<string, string>(_model, StringComparer.Ordinal)));
        }

        private void ReleaseSnapshot()
        {
            if (_snapshots.Count == 0)
            {
                return;
            }
            int i = _rng.Next(_snapshots.Count);
            LastOp = "release snapshot";
            _snapshots[i].Snapshot.Dispose();
            _snapshots.RemoveAt(i);
        }

        private void ReadSnapshot()
        {
            if (_snapshots.Count == 0)
            {
                return;
            }
            var (snapshot, model) = _snapshots[_rng.Next(_snapshots.Count)];
            if (_rng.Next(2) == 0)
            {
                CheckGet(_engine, snapshot, model);
            }
            else
            {
                CheckScan(snapshot, model);
            }
        }

        private void CompactRange()
        {
            byte[]? a = null, b = null;
            if (_rng.Next(2) == 0)
            {
                string x = RandomKey(), y = RandomKey();
                if (string.CompareOrdinal(x, y) > 0)
                {
                    (x, y) = (y, x);
                }
                a = B(x);
                b = B(y);
            }
            LastOp = "compact-range";
            _engine.CompactRange(a, b);
        }

        private void Reopen()
        {
            LastOp = "reopen";
            foreach (var (snapshot, _) in _snapshots)
            {
                snapshot.Dispose();
            }
            _snapshots.Clear();
            if (_rng.Next(3) == 0)
            {
                _scheduler.RunAll();
            }
            AccumulateStatistics();
            _engine.Dispose();
            _engine = Open();
            VerifyAll();
        }

        private void CheckGet(LsmEngine engine, Snapshot? snapshot, SortedDictionary<string, string> model)
        {
            string k = RandomKey();
            LastOp = $"get {k}";
            var got = engine.Get(B(k), snapshot == null ? null : new ReadOptions { Snapshot = snapshot });
            model.TryGetValue(k, out var expected);
            string? actual = got == null ? null : S(got);
            if (actual != expected)
            {
                throw new ModelMismatchException($"get {k}{(snapshot != null ? " at snapshot " + snapshot.Sequence : "")}: expected {Show(expected)}, got {Show(actual)}");
            }
        }

        private static string Show(string? v) => v == null ? "<absent>" : v.Length > 40 ? v[..40] + "..." : v;

        private void CheckScan(Snapshot? snapshot, SortedDictionary<string, string> model)
        {
            var keys = model.Keys.ToList();
            using var it = _engine.NewIterator(snapshot == null ? null : new ReadOptions { Snapshot = snapshot });
            int mode = _rng.Next(4);
            int pos; // index into keys of the expected position; -1 / keys.Count = invalid
            string start = RandomKey();
            switch (mode)
            {
                case 0:
                    it.SeekToFirst();
                    pos = 0;
                    LastOp = "scan from first";
                    break;
                case 1:
                    it.SeekToLast();
                    pos = keys.Count - 1;
                    LastOp = "scan from last";
                    break;
                case 2:
                    it.Seek(B(start));
                    pos = LowerBound(keys, start);
                    LastOp = $"scan seek {start}";
                    break;
                default:
                    it.SeekForPrev(B(start));
                    pos = LowerBound(keys, start);
                    if (pos >= keys.Count || keys[pos] != start)
                    {
                        pos--;
                    }
                    LastOp = $"scan seek-for-prev {start}";
                    break;
            }
            int moves = _rng.Next(30);
            for (int i = 0; ; i++)
            {
                bool expectValid = pos >= 0 && pos < keys.Count;
                if (it.Valid != expectValid)
                {
                    throw new ModelMismatchException($"{LastOp}, move {i}: expected {(expectValid ? "key " + keys[pos] : "end")}, iterator valid={it.Valid}{(it.Valid ? " at " + S(it.Key) : "")}");
                }
                if (!expectValid)
                {
                    break;
                }
                if (S(it.Key) != keys[pos] || S(it.Value) != model[keys[pos]])
                {
                    throw new ModelMismatchException($"{LastOp}, move {i}: expected {keys[pos]}={Show(model[keys[pos]])}, got {S(it.Key)}={Show(S(it.Value))}");
                }
                if (i == moves)
                {
                    break;
                }
                if (_rng.Next(3) == 0)
                {
                    it.Prev();
                    pos--;
                }
                else
                {
                    it.Next();
                    pos++;
                }
            }
        }

        private static int LowerBound(List<string> keys, string key)
        {
            int lo = 0, hi = keys.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) / 2;
                if (string.CompareOrdinal(keys[mid], key) < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            return lo;
        }

        /// <summary>Full forward and backward scans and a Get of every key in the key space.</summary>
        public void VerifyAll()
        {
            LastOp = "verify-all";
            var expected = _model.ToList();
            using (var it = _engine.NewIterator())
            {
                int i = 0;
                for (it.SeekToFirst(); it.Valid; it.Next(), i++)
                {
                    if (i >= expected.Count || S(it.Key) != expected[i].Key || S(it.Value) != expected[i].Value)
                    {
                        throw new ModelMismatchException($"forward scan at {i}: expected {(i < expected.Count ? expected[i].Key : "end")}, got {S(it.Key)}");
                    }
                }
                if (i != expected.Count)
                {
                    throw new ModelMismatchException($"forward scan ended after {i} keys, expected {expected.Count}");
                }
                i = expected.Count - 1;
                for (it.SeekToLast(); it.Valid; it.Prev(), i--)
                {
                    if (i < 0 || S(it.Key) != expected[i].Key)
                    {
                        throw new ModelMismatchException($"backward scan at {i}: expected {(i >= 0 ? expected[i].Key : "begin")}, got {S(it.Key)}");
                    }
                }
                if (i != -1)
                {
                    throw new ModelMismatchException($"backward scan stopped with {i + 1} keys unseen");
                }
            }
            for (int k = 0; k < _keySpace; k++)
            {
                string key = "k" + k.ToString("D5");
                var got = _engine.Get(B(key));
                _model.TryGetValue(key, out var want);
                if ((got == null ? null : S(got)) != want)
                {
                    throw new ModelMismatchException($"verify get {key}: expected {Show(want)}, got {Show(got == null ? null : S(got))}");
                }
            }
        }

        public void Dispose()
        {
            foreach (var (snapshot, _) in _snapshots)
            {
                snapshot.Dispose();
            }
            _engine.Dispose();
        }
    }
}
