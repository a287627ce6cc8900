namespace Tusk.Kv;

/// <summary>
/// Key locks held until a transaction ends: SQL row locks in PostgreSQL's four modes (<see cref="KeyLockMode"/>).
/// A transaction may hold several modes of one key (asking for a stronger one upgrades). Waiters queue per key in
/// arrival order: a request also waits for the earlier waiters it conflicts with, so a stream of compatible locks
/// (foreign-key checks' KEY SHARE) cannot starve an UPDATE; an upgrade by a holder does not queue. A waiter that
/// would close a cycle of waits gets <see cref="KvDeadlockException"/> (40P01); one that waits longer than the timeout gets
/// <see cref="KvLockTimeoutException"/> (55P03); a cancelled one <see cref="OperationCanceledException"/>. Single
/// node: the table is in memory.
/// </summary>
internal sealed class LockTable(Tusk.Core.IClock clock)
{
    /// <summary>The holders of one key, each with the modes it holds (bit 1 &lt;&lt; mode).</summary>
    private sealed class Holders
    {
        public readonly List<(KvTransaction Tx, int Modes)> Entries = new(2);

        /// <summary>The transactions waiting for the key, in arrival order; null until one waits (most keys never see a wait).</summary>
        public List<(KvTransaction Tx, KeyLockMode Mode)>? Waiters;

        public bool IsEmpty => Entries.Count == 0 && (Waiters is null || Waiters.Count == 0);
    }

    private readonly Dictionary<byte[], Holders> _holders = new(KeyEquality.Instance);
    private readonly Dictionary<KvTransaction, List<KvTransaction>> _waitsFor = [];   // a waiter → the holders it waits for
    private readonly object _lock = new();

    /// <summary>
    /// Takes the lock on <paramref name="key"/> in <paramref name="mode"/> for <paramref name="tx"/>; returns false if
    /// it already held a lock on the key (the key is then already in its list to release).
    /// </summary>
    public bool Acquire(KvTransaction tx, byte[] key, TimeSpan timeout, KeyLockMode mode, CancellationToken cancellation = default)
    {
        var deadline = clock.MonotonicTicks + (long)(timeout.TotalSeconds * clock.TicksPerSecond);
        CancellationTokenRegistration registration = default;   // wakes the wait when the statement is cancelled
        try
        {
            lock (_lock)
            {
                Holders? queuedIn = null;   // the key's holders once this request waits in their queue
                try
                {
                    while (true)
                    {
                        _holders.TryGetValue(key, out var holders);
                        var blockers = Blockers(holders, tx, mode);
                        if (blockers is null)
                        {
                            Dequeue(queuedIn, tx);
                            queuedIn = null;
                            return Grant(holders, key, tx, mode);
                        }
                        if (ClosesCycle(tx, blockers)) throw new KvDeadlockException("deadlock detected: two transactions wait for each other's row locks");
                        var remaining = (deadline - clock.MonotonicTicks) * 1000 / clock.TicksPerSecond;
                        if (remaining <= 0) throw new KvLockTimeoutException($"could not obtain a lock within {timeout.TotalMilliseconds:0} ms");
                        cancellation.ThrowIfCancellationRequested();
                        if (cancellation.CanBeCanceled && registration == default) registration = cancellation.Register(Wake);
                        if (queuedIn is null)
                        {
                            queuedIn = holders!;   // there are blockers, so the key has holders or waiters
                            (queuedIn.Waiters ??= []).Add((tx, mode));
                        }
                        _waitsFor[tx] = blockers;
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
                finally
                {
                    // Leaving the queue without the lock (deadlock, timeout, cancel) may unblock those behind.
                    if (queuedIn is not null && Dequeue(queuedIn, tx))
                    {
                        if (queuedIn.IsEmpty) _holders.Remove(key);
                        Monitor.PulseAll(_lock);
                    }
                }
            }
        }
        finally
        {
            registration.Dispose();   // outside the lock: a running Wake needs it
        }
    }

    private static bool Dequeue(Holders? holders, KvTransaction tx)
    {
        var waiters = holders?.Waiters;
        if (waiters is null) return false;
        var i = 0;
        while (i < waiters.Count && waiters[i].Tx != tx) i++;
        if (i == waiters.Count) return false;
        waiters.RemoveAt(i);
        return true;
    }

    private void Wake()
    {
        lock (_lock) Monitor.PulseAll(_lock);
    }

    /// <summary>
    /// The other transactions holding a mode that conflicts with <paramref name="mode"/>, and, unless
    /// <paramref name="tx"/> already holds a lock on the key (an upgrade), the conflicting waiters queued before it;
    /// null when none (no allocation).
    /// </summary>
    private static List<KvTransaction>? Blockers(Holders? holders, KvTransaction tx, KeyLockMode mode)
    {
        if (holders is null) return null;
        List<KvTransaction>? blockers = null;
        var holdsKey = false;
        foreach (var (holder, _) in holders.Entries) holdsKey |= holder == tx;
        if (!holdsKey && holders.Waiters is { } waiters)
        {
            foreach (var (waiter, wanted) in waiters)
            {
                if (waiter == tx) break;   // only those ahead in the queue
                if (KeyLockModes.Conflicts(wanted, mode)) (blockers ??= []).Add(waiter);
            }
        }
        foreach (var (holder, modes) in holders.Entries)
        {
            if (holder == tx) continue;
            for (var held = KeyLockMode.KeyShare; held <= KeyLockMode.Update; held++)
            {
                if ((modes & (1 << (int)held)) != 0 && KeyLockModes.Conflicts(held, mode))
                {
                    (blockers ??= []).Add(holder);
                    break;
                }
            }
        }
        return blockers;
    }

    private bool Grant(Holders? holders, byte[] key, KvTransaction tx, KeyLockMode mode)
    {
        if (holders is null)
        {
            holders = new Holders();
            _holders[key] = holders;
        }
        var entries = holders.Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Tx != tx) continue;
            entries[i] = (tx, entries[i].Modes | (1 << (int)mode));
            return false;
        }
        entries.Add((tx, 1 << (int)mode));
        return true;
    }

    /// <summary>Whether <paramref name="tx"/> waiting for <paramref name="blockers"/> closes a cycle in the waits-for graph.</summary>
    private bool ClosesCycle(KvTransaction tx, List<KvTransaction> blockers)
    {
        var stack = new Stack<KvTransaction>(blockers);
        var seen = new HashSet<KvTransaction>();
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (t == tx) return true;
            if (!seen.Add(t) || !_waitsFor.TryGetValue(t, out var next)) continue;
            foreach (var n in next) stack.Push(n);
        }
        return false;
    }

    /// <summary>Releases <paramref name="keys"/> held by <paramref name="tx"/> and wakes the waiters.</summary>
    public void Release(KvTransaction tx, List<byte[]> keys)
    {
        if (keys.Count == 0) return;
        lock (_lock)
        {
            foreach (var key in keys)
            {
                if (!_holders.TryGetValue(key, out var holders)) continue;
                var entries = holders.Entries;
                for (var i = entries.Count - 1; i >= 0; i--)
                {
                    if (entries[i].Tx == tx) entries.RemoveAt(i);
                }
                if (holders.IsEmpty) _holders.Remove(key);
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
