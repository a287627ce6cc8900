namespace Tusk.Cli.Bench;

/// <summary>The db_bench-compatible settings of one <c>tusk bench storage</c> run (validated by the parser).</summary>
internal sealed class StorageBenchConfig
{
    /// <summary>Benchmarks that recreate the database before they run (db_bench's "fresh db").</summary>
    public static readonly string[] FreshBenchmarks = ["fillseq", "fillrandom"];

    /// <summary>Every benchmark name this runner knows.</summary>
    public static readonly string[] KnownBenchmarks = ["fillseq", "fillrandom", "overwrite", "readrandom", "readseq", "seekrandom"];

    public required IReadOnlyList<string> Benchmarks { get; init; }
    public long Num { get; init; } = 1_000_000;
    public int KeySize { get; init; } = 16;
    public int ValueSize { get; init; } = 100;
    public bool Sync { get; init; }
    public bool UseExistingDb { get; init; }
    public string Db { get; init; } = "/tmp/tusk-bench";
    public int Threads { get; init; } = 1;
    public bool Histogram { get; init; }
    public long CacheSizeBytes { get; init; } = 8 << 20;

    /// <summary>Memtable size; null keeps the engine's default.</summary>
    public int? WriteBufferSizeBytes { get; init; }

    /// <summary>
    /// Milliseconds of JIT warm-up on a scratch database before the first benchmark (0 = none). .NET compiles hot
    /// methods in tiers — quick code first, optimized code after they prove hot — so the first second of a process
    /// runs slower code than a long-lived server does. db_bench is compiled ahead of time and needs no warm-up.
    /// </summary>
    public int WarmupMilliseconds { get; init; } = 1000;

    /// <summary>Random seed (never 0 here: the parser replaces 0 with a clock-derived seed).</summary>
    public ulong Seed { get; init; }
}
