using Tusk.Core;

namespace Tusk.Kv;

/// <summary>
/// The write sets of recent commits, kept in memory so that commit-time validation never reads the engine: for
/// each key written by a tracked commit, the newest tracked commit timestamp that wrote it, ordered by key (so a
/// scanned range is checked by walking the tracked keys inside it).
///
/// <para>Why memory rather than seeking the engine: validation runs under the store's commit lock, so it must be
/// fast and must not do I/O; it must also see commits that have a timestamp but are still being written to the
/// engine (group commit writes them outside the lock); and checking a scanned range in the engine means reading
/// every version in it, while here it costs the number of recently written keys in the range.</para>
///
/// <para>Bounded twice: commits no live snapshot can conflict with (timestamp ≤ the oldest live snapshot) are
/// forgotten (<see cref="Forget"/>), and past <c>keysMax</c> tracked keys the oldest commits are forgotten
/// anyway, raising <see cref="Floor"/>: a transaction whose snapshot is below the floor cannot be validated and
/// aborts (FoundationDB's "transaction too old").</para>
///
/// <para>Not thread-safe: protected by the store's mutex.</para>
/// </summary>
internal sealed class CommitTracker
{
    private sealed class Entry
    {
        public byte[] Key = [];
        public ulong Timestamp;
    }

    private static readonly IComparer<Entry> _byKey = Comparer<Entry>.Create((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));

    private readonly SortedSet<Entry> _latest = new(_byKey);   // Key → newest tracked commit of it.
    private readonly Queue<(ulong Timestamp, byte[][] Keys)> _commits = new(); // Ascending timestamps.
    private readonly Entry _probe = new();
    private readonly Entry _probeHigh = new();
    private readonly int _keysMax;
    private ulong _lastRecorded;

    public CommitTracker(int keysMax, ulong floor)
    {
        _keysMax = keysMax;
        Floor = floor;
        _lastRecorded = floor;
    }

    /// <summary>Invariant: every commit with a timestamp above the floor is tracked. Only grows.</summary>
    public ulong Floor { get; private set; }

    /// <summary>Keys tracked.</summary>
    public int KeyCount => _latest.Count;

    /// <summary>Commits tracked.</summary>
    public int CommitCount => _commits.Count;

    /// <summary>Records a commit. Timestamps must grow from call to call.</summary>
    public void Record(ulong timestamp, byte[][] keys)
    {
        Invariant.Check(timestamp > _lastRecorded, "commit timestamps must be recorded in increasing order");
        _lastRecorded = timestamp;
        foreach (byte[] key in keys)
        {
            _probe.Key = key;
            if (_latest.TryGetValue(_probe, out var entry))
            {
                entry.Timestamp = timestamp;
            }
            else
            {
                _latest.Add(new Entry { Key = key, Timestamp = timestamp });
            }
        }
        _probe.Key = [];
        _commits.Enqueue((timestamp, keys));
        // Keep the newest commit even when it alone exceeds the limit: forgetting it would fail every transaction.
        while (_latest.Count > _keysMax && _commits.Count > 1)
        {
            ForgetOldest();
        }
    }

    /// <summary>Forgets commits at or below <paramref name="horizon"/> (no live snapshot is older).</summary>
    public void Forget(ulong horizon)
    {
        while (_commits.Count > 0 && _commits.Peek().Timestamp <= horizon)
        {
            ForgetOldest();
        }
    }

    private void ForgetOldest()
    {
        var (timestamp, keys) = _commits.Dequeue();
        foreach (byte[] key in keys)
        {
            _probe.Key = key;
            if (_latest.TryGetValue(_probe, out var entry) && entry.Timestamp == timestamp)
            {
                _latest.Remove(entry);
            }
        }
        _probe.Key = [];
        Floor = Math.Max(Floor, timestamp);
    }

    /// <summary>The newest tracked commit timestamp of <paramref name="key"/>, 0 when none.</summary>
    public ulong LatestCommit(byte[] key)
    {
        _probe.Key = key;
        ulong result = _latest.TryGetValue(_probe, out var entry) ? entry.Timestamp : 0;
        _probe.Key = [];
        return result;
    }

    /// <summary>
    /// A key in [<paramref name="begin"/>, <paramref name="endExclusive"/>) (null: unbounded) written by a
    /// tracked commit newer than <paramref name="snapshot"/>, or null when there is none.
    /// </summary>
    public byte[]? FindNewerInRange(byte[] begin, byte[]? endExclusive, ulong snapshot)
    {
        if (_latest.Count == 0)
        {
            return null;
        }
        _probe.Key = begin;
        Entry high;
        if (endExclusive == null)
        {
            high = _latest.Max!;
        }
        else
        {
            _probeHigh.Key = endExclusive;
            high = _probeHigh;
        }
        byte[]? found = null;
        if (_byKey.Compare(_probe, high) <= 0)
        {
            foreach (var entry in _latest.GetViewBetween(_probe, high))
            {
                if (endExclusive != null && entry.Key.AsSpan().SequenceEqual(endExclusive))
                {
                    break;
                }
                if (entry.Timestamp > snapshot)
                {
                    found = entry.Key;
                    break;
                }
            }
        }
        _probe.Key = [];
        _probeHigh.Key = [];
        return found;
    }
}
