using Tusk.Storage;

namespace Tusk.Storage.Tests;

/// <summary>Engine options that make flushes, compactions and multi-level trees happen with little data.</summary>
internal static class TestOptions
{
    public static StorageOptions Small(IJobScheduler scheduler, Action<string>? log = null) => new()
    {
        WriteBufferSizeBytes = 64 << 10,
        Level0FileNumCompactionTrigger = 2,
        Level0SlowdownWritesTrigger = 6,
        Level0StopWritesTrigger = 8,
        SlowdownDelayMicros = 0,
        TargetFileSizeBytes = 8 << 10,
        MaxBytesForLevelBase = 16 << 10,
        LevelSizeMultiplier = 3,
        BlockSizeBytes = 256,
        BlockRestartInterval = 3,
        BlockCacheSizeBytes = 64 << 10,
        MaxOpenFiles = 16,
        Scheduler = scheduler,
        Log = log,
    };
}
