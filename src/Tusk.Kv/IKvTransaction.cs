using Tusk.Core;
namespace Tusk.Kv;

/// <summary>
/// One transaction on an <see cref="IOrderedKv"/>. Writes are buffered in the transaction until
/// <see cref="Commit"/> and are seen by its own reads (merged into scans); other transactions never see them
/// before the commit (no dirty reads at any level). A commit applies all writes atomically or none.
///
/// <para>Errors: <see cref="KvSerializationException"/> (SQLSTATE 40001) from <see cref="Commit"/> when the
/// transaction conflicts under its isolation level; the transaction is then rolled back and the client may retry
/// it from the start. <see cref="KvLimitExceededException"/> when a key, value or the transaction is too large.
/// <see cref="InvalidOperationException"/> when used after commit or rollback.</para>
///
/// <para>Not thread-safe: one thread at a time. Dispose always: an undisposed transaction holds back garbage
/// collection of old versions (its snapshot stays registered). Disposing an active transaction rolls it back.</para>
/// </summary>
public interface IKvTransaction : IDisposable
{
    /// <summary>The isolation level.</summary>
    IsolationLevel Isolation { get; }

    /// <summary>Where the transaction is in its life.</summary>
    KvTransactionState State { get; }

    /// <summary>
    /// The timestamp reads see: the snapshot for REPEATABLE READ and SERIALIZABLE; for READ COMMITTED the
    /// timestamp of the latest read (it moves forward with every read).
    /// </summary>
    HlcTimestamp ReadTimestamp { get; }

    /// <summary>
    /// After a successful commit, the transaction's place in the serial order: the commit timestamp its writes
    /// carry, or for a transaction that wrote nothing its read timestamp. <see cref="HlcTimestamp.Zero"/> before.
    /// </summary>
    HlcTimestamp CommitTimestamp { get; }

    /// <summary>The value of <paramref name="key"/>, or null when it has none.</summary>
    byte[]? Get(ReadOnlySpan<byte> key);

    /// <summary>
    /// Up to <paramref name="limit"/> pairs with keys in [<paramref name="beginInclusive"/>,
    /// <paramref name="endExclusive"/>), ascending, or descending when <paramref name="reverse"/>. An empty
    /// <paramref name="endExclusive"/> means no upper bound. To continue a scan that hit the limit, scan again
    /// from the successor of the last key (last key + 0x00) forward, or up to the last key in reverse.
    /// </summary>
    IReadOnlyList<KvPair> Scan(ReadOnlySpan<byte> beginInclusive, ReadOnlySpan<byte> endExclusive, int limit = int.MaxValue, bool reverse = false);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> when the transaction commits.</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Removes <paramref name="key"/> when the transaction commits (no error when absent).</summary>
    void Delete(ReadOnlySpan<byte> key);

    /// <summary>
    /// Validates and applies the writes atomically; returns once they are visible to new transactions and
    /// durable per the transaction's <see cref="CommitDurability"/>. Throws <see cref="KvSerializationException"/>
    /// on a conflict (the transaction is then rolled back).
    /// </summary>
    void Commit();

    /// <summary>Discards the writes and ends the transaction. No effect after it has ended.</summary>
    void Rollback();

    /// <summary>
    /// Takes a lock on <paramref name="key"/> in <paramref name="mode"/> until the transaction ends (SQL row locks),
    /// waiting while another transaction holds a conflicting mode (<see cref="KeyLockModes.Conflicts"/>); asking for a
    /// stronger mode of a key already locked upgrades. Reads after it see the latest committed version at READ COMMITTED. At REPEATABLE READ
    /// and SERIALIZABLE, a key some transaction committed after this one's snapshot cannot be locked: the lock is
    /// kept and <see cref="KvSerializationException"/> (40001) thrown, as PostgreSQL does for SELECT ... FOR UPDATE
    /// of a row updated concurrently. Throws
    /// <see cref="KvDeadlockException"/> (40P01) when waiting would deadlock and <see cref="KvLockTimeoutException"/>
    /// (55P03) after <paramref name="timeout"/>; a wait ends with <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellation"/> is cancelled.
    /// </summary>
    /// <returns>True when the transaction held no lock on the key before.</returns>
    bool Lock(ReadOnlySpan<byte> key, TimeSpan timeout, KeyLockMode mode = KeyLockMode.Update, CancellationToken cancellation = default);

    /// <summary>
    /// Gives up this transaction's lock on <paramref name="key"/> before it ends (every mode it holds there), waking
    /// its waiters: for a lock that turned out not to be needed (an INSERT ... ON CONFLICT DO NOTHING that found the
    /// row). No effect when it holds none.
    /// </summary>
    void Unlock(ReadOnlySpan<byte> key);

    /// <summary>
    /// A mark of the writes buffered so far (SQL SAVEPOINT). Reads made after it stay in the read set (a rollback to
    /// the mark can only make validation more conservative).
    /// </summary>
    KvSavepoint Savepoint();

    /// <summary>
    /// Discards the writes buffered since <paramref name="savepoint"/> (SQL ROLLBACK TO SAVEPOINT) and releases the key
    /// locks taken since, as PostgreSQL releases a rolled-back subtransaction's row locks; the transaction stays
    /// active. (A lock strengthened since the mark keeps its strength.)
    /// </summary>
    void RollbackTo(KvSavepoint savepoint);
}

/// <summary>A transaction's buffered writes at one moment; see <see cref="IKvTransaction.Savepoint"/>.</summary>
public sealed class KvSavepoint
{
    internal KvSavepoint(List<(byte[] Key, byte[]? Value)> writes, long writeBytes, int lockCount)
    {
        Writes = writes;
        WriteBytes = writeBytes;
        LockCount = lockCount;
    }

    /// <summary>How many key locks the transaction held at the mark (those taken later are released by a rollback to it).</summary>
    internal int LockCount { get; }

    internal List<(byte[] Key, byte[]? Value)> Writes { get; }

    internal long WriteBytes { get; }
}
