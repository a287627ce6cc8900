using System.Text;
using Tusk.Core;
using Tusk.Simulation;
using Tusk.Storage;

namespace Tusk.Kv.Tests;

/// <summary>A wall clock the test sets; thread-safe. Starts at 2025-01-01.</summary>
internal sealed class ManualClock : IClock
{
    public static readonly long StartMicros = (new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero) - DateTimeOffset.UnixEpoch).Ticks / 10;

    private long _micros = StartMicros;

    public long Micros
    {
        get => Interlocked.Read(ref _micros);
        set => Interlocked.Exchange(ref _micros, value);
    }

    public void Advance(long micros) => Interlocked.Add(ref _micros, micros);

    public DateTimeOffset UtcNow => DateTimeOffset.UnixEpoch.AddTicks(Micros * 10);

    public long MonotonicTicks => Micros;

    public long TicksPerSecond => 1_000_000;
}

internal static class Kv
{
    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string? S(byte[]? b) => b == null ? null : Encoding.UTF8.GetString(b);

    public static string Hex(byte[] b) => Convert.ToHexString(b);

    internal static int SeedCount(string variable, int defaultCount) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out int n) && n > 0 ? n : defaultCount;

    /// <summary>Engine options that flush and compact with little data; background work runs on <paramref name="scheduler"/>.</summary>
    public static StorageOptions SmallStorage(IJobScheduler? scheduler, IClock clock) => new()
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
        Clock = clock,
    };

    public static KvStore Open(SimFileSystem fs, IClock clock, IJobScheduler? scheduler = null, Func<KvStoreOptions, KvStoreOptions>? tweak = null)
    {
        var options = new KvStoreOptions { Storage = SmallStorage(scheduler, clock), Clock = clock };
        return KvStore.Open(fs, "/kv", tweak?.Invoke(options) ?? options);
    }

    /// <summary>A fresh store on a fresh simulated disk.</summary>
    public static KvStore NewStore(ulong seed = 1) => Open(new SimFileSystem(seed), new ManualClock());

    /// <summary>Everything the store holds now, read in one transaction.</summary>
    public static SortedDictionary<byte[], byte[]> ReadAll(KvStore store)
    {
        using var txn = store.Begin(IsolationLevel.RepeatableRead);
        var result = new SortedDictionary<byte[], byte[]>(ByteComparer.Instance);
        foreach (var pair in txn.Scan([], []))
        {
            result.Add(pair.Key, pair.Value);
        }
        return result;
    }

    public static string Describe(SortedDictionary<byte[], byte[]> d) =>
        string.Join(", ", d.Select(kv => Hex(kv.Key) + "=" + Hex(kv.Value)));

    public static bool SameContents(SortedDictionary<byte[], byte[]> a, SortedDictionary<byte[], byte[]> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v.AsSpan().SequenceEqual(kv.Value));
}

/// <summary>Unsigned byte order, a proper prefix first.</summary>
internal sealed class ByteComparer : IComparer<byte[]>
{
    public static readonly ByteComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
