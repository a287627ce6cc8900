using System.Diagnostics;

namespace Tusk.Cli.Bench;

/// <summary>Parses <c>tusk bench storage</c>'s db_bench-style flags and runs <see cref="StorageBenchmark"/>.</summary>
internal static class StorageBenchCommand
{
    private static readonly string[] _valueFlags =
    [
        "benchmarks", "num", "key_size", "value_size", "db", "threads", "cache_size", "write_buffer_size", "seed", "compression_type",
        "warmup_ms",
    ];

    private static readonly string[] _booleanFlags = ["sync", "use_existing_db", "histogram"];

    public static int Run(string[] args, TextWriter stdout)
    {
        string usage = HelpText.BenchStorage;
        Arguments a = Arguments.Parse(args, usage, _valueFlags, _booleanFlags);
        if (a.HelpRequested)
        {
            stdout.WriteLine(usage.TrimEnd());
            return ExitCodes.Ok;
        }
        a.RequirePositionals(0, "no positional arguments (flags are --name=value)");
        StorageBenchConfig config = ParseConfig(a, usage, out string? seedNote);
        if (seedNote is not null)
        {
            stdout.WriteLine(seedNote);
        }
        new StorageBenchmark(config, stdout).Run();
        return ExitCodes.Ok;
    }

    internal static StorageBenchConfig ParseConfig(Arguments a, string usage, out string? seedNote)
    {
        string list = a.Value("benchmarks", "fillseq,fillrandom,overwrite,readrandom,readseq,seekrandom");
        string[] benchmarks = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (benchmarks.Length == 0)
        {
            throw new UsageException("--benchmarks is empty", usage);
        }
        foreach (string b in benchmarks)
        {
            if (Array.IndexOf(StorageBenchConfig.KnownBenchmarks, b) < 0)
            {
                throw new UsageException($"unknown benchmark '{b}' (known: {string.Join(",", StorageBenchConfig.KnownBenchmarks)})", usage);
            }
        }
        string compression = a.Value("compression_type", "none");
        if (!compression.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"--compression_type={compression}: Tusk does not compress; only 'none' is accepted", usage);
        }
        long seed = a.Integer("seed", 0, 0, long.MaxValue);
        seedNote = null;
        if (seed == 0)
        {
            seed = Math.Max(1, Stopwatch.GetTimestamp() & long.MaxValue);
            seedNote = $"Set seed to {seed} because --seed was 0";
        }
        long? writeBuffer = a.Value("write_buffer_size") is null ? null : a.Integer("write_buffer_size", 0, 1, int.MaxValue);
        string db = a.Value("db", "/tmp/tusk-bench");
        if (db.Length == 0)
        {
            throw new UsageException("--db is empty", usage);
        }
        return new StorageBenchConfig
        {
            Benchmarks = benchmarks,
            Num = a.Integer("num", 1_000_000, 0, 1L << 40),
            KeySize = (int)a.Integer("key_size", 16, 8, 4096),
            ValueSize = (int)a.Integer("value_size", 100, 0, 64 << 20),
            Sync = a.Flag("sync"),
            UseExistingDb = a.Flag("use_existing_db"),
            Db = db,
            Threads = (int)a.Integer("threads", 1, 1, 1024),
            Histogram = a.Flag("histogram"),
            CacheSizeBytes = a.Integer("cache_size", 8 << 20, 0, long.MaxValue),
            WriteBufferSizeBytes = (int?)writeBuffer,
            Seed = (ulong)seed,
            WarmupMilliseconds = (int)a.Integer("warmup_ms", 1000, 0, 60_000),
        };
    }
}
