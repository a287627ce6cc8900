using Tusk.Core;

namespace Tusk.Storage;

/// <summary>
/// Configuration of an <see cref="LsmEngine"/>. Defaults follow RocksDB's so that benchmarks compare like with
/// like. Every buffer, cache and queue is bounded by one of these. Validated by <see cref="Validate"/> when the
/// engine opens; a bad value is an <see cref="ArgumentException"/> naming the option.
/// </summary>
public sealed class StorageOptions
{
    /// <summary>Create the directory and an empty database when missing.</summary>
    public bool CreateIfMissing { get; init; } = true;

    /// <summary>Fail to open when a database already exists.</summary>
    public bool ErrorIfExists { get; init; }

    /// <summary>Bytes of one memtable (its arena) before it is switched out and flushed.</summary>
    public int WriteBufferSizeBytes { get; init; } = 64 << 20;

    /// <summary>Memtables (the active one plus those waiting for flush); writers stop when all are full.</summary>
    public int MaxWriteBufferNumber { get; init; } = 2;

    /// <summary>L0 file count that triggers an L0 → L1 compaction.</summary>
    public int Level0FileNumCompactionTrigger { get; init; } = 4;

    /// <summary>L0 file count at which each write is delayed (<see cref="SlowdownDelayMicros"/>).</summary>
    public int Level0SlowdownWritesTrigger { get; init; } = 20;

    /// <summary>L0 file count at which writes stop until compaction catches up.</summary>
    public int Level0StopWritesTrigger { get; init; } = 36;

    /// <summary>Delay added to each write group while L0 is at or above the slowdown trigger.</summary>
    public int SlowdownDelayMicros { get; init; } = 1000;

    /// <summary>Target size of a compaction output file.</summary>
    public long TargetFileSizeBytes { get; init; } = 64 << 20;

    /// <summary>Size limit of L1; each deeper level is <see cref="LevelSizeMultiplier"/> times larger.</summary>
    public long MaxBytesForLevelBase { get; init; } = 256L << 20;

    /// <summary>Growth factor between levels.</summary>
    public int LevelSizeMultiplier { get; init; } = 10;

    /// <summary>Uncompressed size of a data block.</summary>
    public int BlockSizeBytes { get; init; } = 4096;

    /// <summary>Entries between restart points in a data block.</summary>
    public int BlockRestartInterval { get; init; } = 16;

    /// <summary>Bloom filter bits per key (0 disables filters).</summary>
    public int BloomBitsPerKey { get; init; } = 10;

    /// <summary>Byte budget of the block cache (0 disables it).</summary>
    public long BlockCacheSizeBytes { get; init; } = 8 << 20;

    /// <summary>Table files kept open.</summary>
    public int MaxOpenFiles { get; init; } = 1000;

    /// <summary>Largest group of concurrent writes merged into one WAL record and one fsync.</summary>
    public int MaxWriteGroupBytes { get; init; } = 1 << 20;

    /// <summary>Runs flushes and compactions; <see cref="ThreadPoolJobScheduler"/> when null.</summary>
    public IJobScheduler? Scheduler { get; init; }

    /// <summary>Time source for write slowdowns and statistics.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    /// <summary>Where the engine reports background failures and notable events (null: nowhere).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException("invalid storage option: " + message);
            }
        }
        Require(WriteBufferSizeBytes >= 64 << 10 && WriteBufferSizeBytes <= 1 << 30, $"WriteBufferSizeBytes={WriteBufferSizeBytes} must be in [64 KiB, 1 GiB]");
        Require(MaxWriteBufferNumber >= 2, $"MaxWriteBufferNumber={MaxWriteBufferNumber} must be at least 2");
        Require(Level0FileNumCompactionTrigger >= 1, "Level0FileNumCompactionTrigger must be at least 1");
        Require(Level0SlowdownWritesTrigger >= Level0FileNumCompactionTrigger, "Level0SlowdownWritesTrigger must be ≥ Level0FileNumCompactionTrigger");
        Require(Level0StopWritesTrigger >= Level0SlowdownWritesTrigger, "Level0StopWritesTrigger must be ≥ Level0SlowdownWritesTrigger");
        Require(TargetFileSizeBytes >= 4096, "TargetFileSizeBytes must be at least 4096");
        Require(MaxBytesForLevelBase >= TargetFileSizeBytes, "MaxBytesForLevelBase must be ≥ TargetFileSizeBytes");
        Require(LevelSizeMultiplier >= 2, "LevelSizeMultiplier must be at least 2");
        Require(BlockSizeBytes is >= 256 and <= 1 << 20, "BlockSizeBytes must be in [256, 1 MiB]");
        Require(BlockRestartInterval >= 1, "BlockRestartInterval must be at least 1");
        Require(BloomBitsPerKey is >= 0 and <= 64, "BloomBitsPerKey must be in [0, 64]");
        Require(BlockCacheSizeBytes >= 0, "BlockCacheSizeBytes must not be negative");
        Require(MaxOpenFiles >= 16, "MaxOpenFiles must be at least 16");
        Require(MaxWriteGroupBytes >= 4096, "MaxWriteGroupBytes must be at least 4096");
        Require(SlowdownDelayMicros >= 0, "SlowdownDelayMicros must not be negative");
    }
}

/// <summary>Per-write options.</summary>
public sealed class WriteOptions
{
    /// <summary>Writes that return once in the OS (survive a process crash, not a power failure).</summary>
    public static readonly WriteOptions Default = new();

    /// <summary>Writes that fsync the WAL before returning (survive power failure).</summary>
    public static readonly WriteOptions Durable = new() { Sync = true };

    /// <summary>fsync the WAL before the write returns. Concurrent synced writers share one fsync (group commit).</summary>
    public bool Sync { get; init; }
}

/// <summary>Per-read options.</summary>
public sealed class ReadOptions
{
    /// <summary>Reads the latest committed state.</summary>
    public static readonly ReadOptions Default = new();

    /// <summary>Read as of this snapshot (null: the latest state).</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Whether blocks read by this operation are added to the block cache.</summary>
    public bool FillCache { get; init; } = true;
}
