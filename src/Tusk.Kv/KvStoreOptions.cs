using Tusk.Core;
using Tusk.Storage;

namespace Tusk.Kv;

/// <summary>
/// Configuration of a <see cref="KvStore"/>. Every in-memory structure the store keeps is bounded by one of these
/// (ARCHITECTURE.md principle 7). Validated when the store opens; a bad value is an
/// <see cref="ArgumentException"/> naming the option.
/// </summary>
public sealed class KvStoreOptions
{
    /// <summary>Options of the underlying engine.</summary>
    public StorageOptions Storage { get; init; } = new();

    /// <summary>Physical time for the hybrid logical clock.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    /// <summary>
    /// Commits fsync the write-ahead log before returning (default true). Transactions can override it with
    /// <see cref="KvTransactionOptions.Durability"/>.
    /// </summary>
    public bool SyncCommit { get; init; } = true;

    /// <summary>
    /// Keys of recent commits remembered for validation. Beyond it the oldest commits are forgotten and
    /// transactions whose snapshot predates them abort at commit with <see cref="KvConflictKind.SnapshotTooOld"/>.
    /// </summary>
    public int TrackedKeysMax { get; init; } = 1 << 20;

    /// <summary>
    /// Read spans (keys read, ranges scanned) one SERIALIZABLE transaction records. Beyond it they are merged into
    /// one span from the smallest to the largest: still correct, more likely to conflict.
    /// </summary>
    public int ReadSpansMax { get; init; } = 64 << 10;

    /// <summary>Bytes of keys and values one transaction may buffer.</summary>
    public long TransactionWriteBytesMax { get; init; } = 64L << 20;

    /// <summary>
    /// How far ahead of the newest commit timestamp the persisted timestamp ceiling is set, in µs. Each time a
    /// commit timestamp reaches the ceiling, one extra synced write raises it; a larger window means fewer such
    /// writes and nothing else (after a restart the clock starts above the ceiling).
    /// </summary>
    public long TimestampCeilingWindowMicros { get; init; } = 5_000_000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Storage, nameof(Storage));
        ArgumentNullException.ThrowIfNull(Clock, nameof(Clock));
        Check(TrackedKeysMax >= 1, nameof(TrackedKeysMax), "must be at least 1");
        Check(ReadSpansMax >= 1, nameof(ReadSpansMax), "must be at least 1");
        Check(TransactionWriteBytesMax >= 1, nameof(TransactionWriteBytesMax), "must be at least 1");
        Check(TimestampCeilingWindowMicros is >= 1 and <= 3_600_000_000, nameof(TimestampCeilingWindowMicros), "must be in [1 µs, 1 hour]");
    }

    private static void Check(bool condition, string option, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"KvStoreOptions.{option} {message}", option);
        }
    }
}
