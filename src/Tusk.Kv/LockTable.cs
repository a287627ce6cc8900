namespace Tusk.Kv;

/// <summary>
/// Exclusive key locks held until a transaction ends (SQL row locks: UPDATE, DELETE and SELECT ... FOR UPDATE at
/// READ COMMITTED wait for the row's current writer instead of overwriting it). A waiter that would close a cycle of
/// waits gets <see cref="KvDeadlockException"/> (40P01); one that waits longer than the timeout gets
/// <see cref="KvLockTimeoutException"/> (55P03). Single node: the table is in memory.
/// </summary>
internal sealed class LockTable(Tusk.Core.IClock clock)
{
    private readonly Dictionary<byte[], KvTransaction> _owners = new(KeyEquality.Instance);
    private readonly Dictionary<KvTransaction, KvTransaction> _waitsFor = [];
    private readonly object _lock = new();

    /// <summary>Takes the lock on <paramref name="key"/> for <paramref name="tx"/>; returns false if it already held it.</summary>
    public bool Acquire(KvTransaction tx, byte[] key, TimeSpan timeout)
    {
        var deadline = clock.MonotonicTicks + (long)(timeout.TotalSeconds * clock.TicksPerSecond);
        lock (_lock)
        {
            while (true)
            {
                if (!_owners.TryGetValue(key, out var owner))
                {
                    _owners[key] = tx;
                    return true;
                }
                if (owner == tx) return false;
                // A cycle: the owner (transitively) waits for us.
                for (var t = owner; t is not null; t = _waitsFor.GetValueOrDefault(t))
                {
                    if (t == tx) throw new KvDeadlockException("deadlock detected: two transactions wait for each other's row locks");
                }
                var remaining = (deadline - clock.MonotonicTicks) * 1000 / clock.TicksPerSecond;
                if (remaining <= 0) throw new KvLockTimeoutException($"could not obtain a lock within {timeout.TotalMilliseconds:0} ms");
                _waitsFor[tx] = owner;
                try
                {
                    Monitor.Wait(_lock, (int)Math.Min(remaining, int.MaxValue));
                }
                finally
                {
                    _waitsFor.Remove(tx);
                }
            }
        }
    }

    /// <summary>Releases <paramref name="keys"/> held by <paramref name="tx"/> and wakes the waiters.</summary>
    public void Release(KvTransaction tx, List<byte[]> keys)
    {
        if (keys.Count == 0) return;
        lock (_lock)
        {
            foreach (var key in keys)
            {
                if (_owners.TryGetValue(key, out var owner) && owner == tx) _owners.Remove(key);
            }
            Monitor.PulseAll(_lock);
        }
    }
}

internal sealed class KeyEquality : IEqualityComparer<byte[]>
{
    public static readonly KeyEquality Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] key)
    {
        var h = new HashCode();
        h.AddBytes(key);
        return h.ToHashCode();
    }
}

/// <summary>The transaction would wait for a lock in a cycle of waits; it should roll back and retry. SQLSTATE 40P01.</summary>
public sealed class KvDeadlockException(string message) : KvException(message)
{
    public override string SqlState => "40P01";
}

/// <summary>A lock was not granted in time. SQLSTATE 55P03 (lock_not_available).</summary>
public sealed class KvLockTimeoutException(string message) : KvException(message)
{
    public override string SqlState => "55P03";
}
