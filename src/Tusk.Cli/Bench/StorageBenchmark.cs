using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Tusk.Cli.Commands;
using Tusk.Storage;

namespace Tusk.Cli.Bench;

/// <summary>
/// Runs db_bench's storage workloads against <see cref="LsmEngine"/> and prints db_bench's report lines, so the
/// same parser reads both (bench/storage-vs-rocksdb.sh). Keys are db_bench's: the 8-byte big-endian key
/// number, then '0' bytes up to key_size. Values are slices of a seeded random buffer (incompressible). Each of
/// the <c>threads</c> threads does <c>num</c> operations; the report aggregates them as db_bench does: ops/sec
/// is all operations over wall time from the first thread's start to the last one's end, micros/op is the
/// summed per-thread time over all operations. Only the operation loops are timed; opening, closing and
/// recreating the database are not, and a write benchmark does not wait for compaction at its end.
/// Hot loops reuse per-thread key buffers and allocate nothing beyond what the engine API returns.
/// </summary>
internal sealed class StorageBenchmark
{
    /// <summary>File that marks a directory as created by this benchmark, so a fresh run may delete it.</summary>
    internal const string MarkerFileName = ".tusk-bench";

    /// <summary>Bytes of random data values are sliced from (db_bench uses a similar 1 MiB generator).</summary>
    private const int RandomDataBytesMin = 1 << 20;

    private readonly StorageBenchConfig _config;
    private readonly TextWriter _out;
    private readonly string _db;
    private readonly byte[] _randomData;

    // Threads started so far in this run. As in db_bench, thread t of a benchmark draws from seed + this
    // running count, so successive benchmarks (fillrandom, then readrandom) use different key sequences.
    private ulong _threadsStarted;

    public StorageBenchmark(StorageBenchConfig config, TextWriter output)
    {
        _config = config;
        _out = output;
        _db = Path.GetFullPath(config.Db);
        _randomData = new byte[Math.Max(RandomDataBytesMin, 2 * config.ValueSize)];
        var rng = new SplitMix64(config.Seed ^ 0x5EED_DA7A);
        for (int i = 0; i + 8 <= _randomData.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_randomData.AsSpan(i), rng.Next());
        }
    }

    public void Run()
    {
        PrintHeader();
        if (_config.UseExistingDb)
        {
            if (!Directory.Exists(_db))
            {
                throw new CliException($"--use_existing_db=1 but {_db} does not exist");
            }
        }
        else
        {
            DestroyDb();
        }
        Warmup();
        LsmEngine engine = OpenDb();
        try
        {
            foreach (string name in _config.Benchmarks)
            {
                bool fresh = Array.IndexOf(StorageBenchConfig.FreshBenchmarks, name) >= 0;
                if (fresh && _config.UseExistingDb)
                {
                    _out.WriteLine($"{name,-12} : skipped (--use_existing_db is true)");
                    continue;
                }
                if (fresh)
                {
                    engine.Dispose();
                    DestroyDb();
                    engine = OpenDb();
                }
                Result result = RunThreads(engine, name);
                Report(name, result, engine);
                _out.Flush();
            }
        }
        finally
        {
            engine.Dispose();
        }
    }

    /// <summary>
    /// Runs every code path the benchmarks use (writes, flushes to tables, point reads, seeks, scans) on a scratch
    /// database beside --db for <see cref="StorageBenchConfig.WarmupMilliseconds"/>, so the measured runs see the
    /// JIT's optimized code as a long-running server would. The measured database is not touched; the scratch one
    /// is deleted afterwards. Nothing here is timed or reported as a result.
    /// </summary>
    private void Warmup()
    {
        if (_config.WarmupMilliseconds <= 0)
        {
            return;
        }
        string dir = _db + ".warmup";
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
        var options = new StorageOptions { WriteBufferSizeBytes = 1 << 20, BlockCacheSizeBytes = 256 << 10 };
        var key = new byte[_config.KeySize];
        key.AsSpan(8).Fill((byte)'0');
        var value = _randomData.AsSpan(0, Math.Min(_config.ValueSize, _randomData.Length)).ToArray();
        var rng = new SplitMix64(_config.Seed ^ 0xA11CE);
        const int keySpace = 50_000;
        long ops = 0;
        var clock = Stopwatch.StartNew();
        using (var engine = LsmEngine.Open(dir, options))
        {
            while (clock.ElapsedMilliseconds < _config.WarmupMilliseconds)
            {
                for (int i = 0; i < 5000; i++, ops++)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(key, i % 2 == 0 ? (ulong)(ops % keySpace) : rng.Next() % keySpace);
                    engine.Put(key, value);
                }
                for (int i = 0; i < 5000; i++, ops++)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(key, rng.Next() % keySpace);
                    _ = engine.Get(key);
                }
                using var it = engine.NewIterator();
                for (int i = 0; i < 2000; i++, ops++)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(key, rng.Next() % keySpace);
                    it.Seek(key);
                }
                int scanned = 0;
                for (it.SeekToFirst(); it.Valid && scanned < 20_000; it.Next(), scanned++)
                {
                    ops++;
                }
            }
        }
        Directory.Delete(dir, recursive: true);
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Warm-up:    {ops} operations in {clock.ElapsedMilliseconds} ms on a scratch database (JIT warm-up, not measured; --warmup_ms=0 disables)"));
        _out.WriteLine("------------------------------------------------");
        _out.Flush();
    }

    private void PrintHeader()
    {
        long rawBytes = (_config.KeySize + (long)_config.ValueSize) * _config.Num;
        _out.WriteLine($"Tusk:       version {TuskCommand.Version} (tusk bench storage, db_bench-compatible)");
        _out.WriteLine($"Date:       {DateTime.Now:ddd MMM d HH:mm:ss yyyy}");
        _out.WriteLine($"CPU:        {Environment.ProcessorCount} * {CpuModel()}");
        _out.WriteLine($"Keys:       {_config.KeySize} bytes each");
        _out.WriteLine($"Values:     {_config.ValueSize} bytes each (no compression)");
        _out.WriteLine($"Entries:    {_config.Num}");
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RawSize:    {rawBytes / 1048576.0:F1} MB (estimated)"));
        _out.WriteLine($"Threads:    {_config.Threads}");
        _out.WriteLine($"Sync:       {(_config.Sync ? 1 : 0)}");
        _out.WriteLine($"Cache:      {_config.CacheSizeBytes} bytes block cache");
        _out.WriteLine($"DB path:    [{_db}]");
        _out.WriteLine("------------------------------------------------");
        _out.Flush();
    }

    private static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        return "unknown CPU";
    }

    private LsmEngine OpenDb()
    {
        bool created = !Directory.Exists(_db);
        Directory.CreateDirectory(_db);
        if (created)
        {
            File.WriteAllText(Path.Combine(_db, MarkerFileName), "created by `tusk bench storage`; fresh benchmark runs delete this directory\n");
        }
        var defaults = new StorageOptions();
        var options = new StorageOptions
        {
            BlockCacheSizeBytes = _config.CacheSizeBytes,
            WriteBufferSizeBytes = _config.WriteBufferSizeBytes ?? defaults.WriteBufferSizeBytes,
            Log = message => Console.Error.WriteLine("engine: " + message),
        };
        return EngineHost.Open(_db, mustExist: true, options);
    }

    /// <summary>Deletes the database directory, but only one that is empty or carries our marker file.</summary>
    private void DestroyDb()
    {
        if (File.Exists(_db))
        {
            throw new CliException($"--db={_db} is a file, not a directory");
        }
        if (!Directory.Exists(_db))
        {
            return;
        }
        bool empty = !Directory.EnumerateFileSystemEntries(_db).Any();
        if (!empty && !File.Exists(Path.Combine(_db, MarkerFileName)))
        {
            throw new CliException(
                $"refusing to delete {_db} for a fresh benchmark: it was not created by tusk bench (no {MarkerFileName} file). " +
                "Choose another --db, delete it yourself, or pass --use_existing_db=1.");
        }
        Directory.Delete(_db, recursive: true);
    }

    private Result RunThreads(LsmEngine engine, string name)
    {
        var workers = new Worker[_config.Threads];
        for (int t = 0; t < workers.Length; t++)
        {
            workers[t] = new Worker(this, engine, name, t, _config.Seed + ++_threadsStarted);
        }
        if (workers.Length == 1)
        {
            workers[0].Run();
        }
        else
        {
            using var ready = new CountdownEvent(workers.Length);
            using var go = new ManualResetEventSlim();
            var threads = new Thread[workers.Length];
            for (int t = 0; t < workers.Length; t++)
            {
                Worker w = workers[t];
                threads[t] = new Thread(() =>
                {
                    ready.Signal();
                    go.Wait();
                    w.Run();
                })
                { Name = $"bench-{t}", IsBackground = true };
                threads[t].Start();
            }
            ready.Wait();
            go.Set();
            foreach (Thread thread in threads)
            {
                thread.Join();
            }
        }
        var result = new Result { Histogram = _config.Histogram ? new LatencyHistogram() : null };
        long start = long.MaxValue, end = long.MinValue;
        foreach (Worker w in workers)
        {
            if (w.Failure is not null)
            {
                ExceptionDispatchInfo.Capture(w.Failure).Throw();
            }
            result.Done += w.Done;
            result.Found += w.Found;
            result.Bytes += w.Bytes;
            result.ThreadSeconds += (w.EndTicks - w.StartTicks) / (double)Stopwatch.Frequency;
            start = Math.Min(start, w.StartTicks);
            end = Math.Max(end, w.EndTicks);
            if (w.Histogram is not null)
            {
                result.Histogram!.Merge(w.Histogram);
            }
        }
        result.ElapsedSeconds = (end - start) / (double)Stopwatch.Frequency;
        result.Reads = name is "readrandom" or "seekrandom";
        result.Requested = _config.Num * _config.Threads;
        return result;
    }

    private void Report(string name, Result r, LsmEngine engine)
    {
        _out.WriteLine(FormatReportLine(name, r.Done, r.ElapsedSeconds, r.ThreadSeconds, r.Bytes,
            r.Reads ? $"({r.Found} of {r.Requested} found)" : ""));
        if (r.Histogram is not null)
        {
            string kind = name switch
            {
                "readrandom" or "readseq" => "read",
                "seekrandom" => "seek",
                _ => "write",
            };
            _out.WriteLine($"Microseconds per {kind}:");
            _out.WriteLine(r.Histogram.Render());
        }
        StorageStatistics stats = engine.GetStatistics();
        long? peak = ProcessMemory.PeakResidentBytes();
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Peak memory: {(peak is long p ? (p / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB" : "n/a")} (VmHWM)  " +
            $"Write amplification: {(stats.UserBytesWritten > 0 ? stats.WriteAmplification.ToString("F2", CultureInfo.InvariantCulture) : "n/a")}  Stalls: {stats.StallCount}  Levels: {EngineHost.DescribeLevels(stats)}"));
        _out.WriteLine();
    }

    /// <summary>
    /// db_bench's report line: <c>%-12s : %11.3f micros/op %ld ops/sec %.3f seconds %lu operations;[ %6.1f MB/s][ message]</c>.
    /// </summary>
    internal static string FormatReportLine(string name, long done, double elapsedSeconds, double threadSeconds, long bytes, string message)
    {
        if (done < 1)
        {
            done = 1; // as db_bench, so an empty run prints finite numbers
        }
        elapsedSeconds = Math.Max(elapsedSeconds, 1e-9);
        string extra = bytes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0 / elapsedSeconds,6:F1} MB/s") : "";
        if (message.Length > 0)
        {
            extra = extra.Length > 0 ? extra + " " + message : message;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{name,-12} : {threadSeconds * 1e6 / done,11:F3} micros/op {(long)(done / elapsedSeconds)} ops/sec {elapsedSeconds:F3} seconds {done} operations;{(extra.Length > 0 ? " " : "")}{extra}");
    }

    private sealed class Result
    {
        public long Done;
        public long Found;
        public long Bytes;
        public long Requested;
        public bool Reads;
        public double ElapsedSeconds;
        public double ThreadSeconds;
        public LatencyHistogram? Histogram;
    }

    /// <summary>One benchmark thread's state: its RNG, key buffer, counters and histogram. Used by one thread.</summary>
    private sealed class Worker
    {
        private readonly StorageBenchmark _bench;
        private readonly LsmEngine _engine;
        private readonly string _name;
        private readonly byte[] _key;
        private readonly SplitMix64 _rng;
        private readonly double _nanosPerTick = 1e9 / Stopwatch.Frequency;
        private int _valuePosition;

        public Worker(StorageBenchmark bench, LsmEngine engine, string name, int index, ulong seed)
        {
            _bench = bench;
            _engine = engine;
            _name = name;
            _key = new byte[bench._config.KeySize];
            _key.AsSpan(8).Fill((byte)'0');
            _rng = new SplitMix64(seed);
            _valuePosition = (int)((ulong)index * 7919 % (ulong)Math.Max(1, bench._randomData.Length - bench._config.ValueSize));
            Histogram = bench._config.Histogram ? new LatencyHistogram() : null;
        }

        public long Done;
        public long Found;
        public long Bytes;
        public long StartTicks;
        public long EndTicks;
        public Exception? Failure;
        public LatencyHistogram? Histogram { get; }

        public void Run()
        {
            try
            {
                StartTicks = Stopwatch.GetTimestamp();
                switch (_name)
                {
                    case "fillseq":
                        Write(sequential: true);
                        break;
                    case "fillrandom" or "overwrite":
                        Write(sequential: false);
                        break;
                    case "readrandom":
                        ReadRandom();
                        break;
                    case "readseq":
                        ReadSequential();
                        break;
                    case "seekrandom":
                        SeekRandom();
                        break;
                    default:
                        throw new InvalidOperationException("unknown benchmark " + _name);
                }
                EndTicks = Stopwatch.GetTimestamp();
            }
            catch (Exception e)
            {
                EndTicks = Stopwatch.GetTimestamp();
                Failure = e;
            }
        }

        private void SetKey(long n) => BinaryPrimitives.WriteUInt64BigEndian(_key, (ulong)n);

        private long RandomKeyNumber(long num) => (long)Math.BigMul(_rng.Next(), (ulong)num, out _);

        private ReadOnlySpan<byte> NextValue()
        {
            int size = _bench._config.ValueSize;
            if (_valuePosition + size > _bench._randomData.Length)
            {
                _valuePosition = 0;
            }
            ReadOnlySpan<byte> value = _bench._randomData.AsSpan(_valuePosition, size);
            _valuePosition += size;
            return value;
        }

        private void RecordSince(long t0) => Histogram!.Record((long)((Stopwatch.GetTimestamp() - t0) * _nanosPerTick));

        private void Write(bool sequential)
        {
            long num = _bench._config.Num;
            WriteOptions options = _bench._config.Sync ? WriteOptions.Durable : WriteOptions.Default;
            bool timed = Histogram is not null;
            for (long i = 0; i < num; i++)
            {
                SetKey(sequential ? i : RandomKeyNumber(num));
                ReadOnlySpan<byte> value = NextValue();
                long t0 = timed ? Stopwatch.GetTimestamp() : 0;
                _engine.Put(_key, value, options);
                if (timed)
                {
                    RecordSince(t0);
                }
            }
            Done = num;
            Bytes = num * (_key.Length + (long)_bench._config.ValueSize);
        }

        private void ReadRandom()
        {
            long num = _bench._config.Num;
            bool timed = Histogram is not null;
            long found = 0, bytes = 0;
            for (long i = 0; i < num; i++)
            {
                SetKey(RandomKeyNumber(num));
                long t0 = timed ? Stopwatch.GetTimestamp() : 0;
                byte[]? value = _engine.Get(_key);
                if (timed)
                {
                    RecordSince(t0);
                }
                if (value is not null)
                {
                    found++;
                    bytes += _key.Length + value.Length;
                }
            }
            Done = num;
            Found = found;
            Bytes = bytes;
        }

        private void ReadSequential()
        {
            long num = _bench._config.Num;
            bool timed = Histogram is not null;
            long done = 0, bytes = 0;
            using LsmIterator it = _engine.NewIterator();
            long t0 = timed ? Stopwatch.GetTimestamp() : 0;
            it.SeekToFirst();
            while (it.Valid && done < num)
            {
                bytes += it.Key.Length + it.Value.Length;
                done++;
                it.Next();
                if (timed)
                {
                    RecordSince(t0);
                    t0 = Stopwatch.GetTimestamp();
                }
            }
            Done = done;
            Bytes = bytes;
        }

        private void SeekRandom()
        {
            long num = _bench._config.Num;
            bool timed = Histogram is not null;
            long found = 0;
            using LsmIterator it = _engine.NewIterator();
            for (long i = 0; i < num; i++)
            {
                SetKey(RandomKeyNumber(num));
                long t0 = timed ? Stopwatch.GetTimestamp() : 0;
                it.Seek(_key);
                if (timed)
                {
                    RecordSince(t0);
                }
                if (it.Valid && it.Key.SequenceEqual(_key))
                {
                    found++;
                }
            }
            Done = num;
            Found = found;
        }
    }
}
