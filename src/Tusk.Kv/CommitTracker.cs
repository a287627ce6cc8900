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
/// <para>A large commit (a bulk load: more than <see cref="SummarizeAbove"/> keys) is tracked as the spans of its
/// sorted keys (at most <see cref="KeysPerSpan"/> keys each, split where the keys' common prefix breaks) instead of
/// key by key: validation then treats every key inside
/// a span as written by it. That is conservative (a transaction touching an unwritten key between two loaded keys
/// may fail with 40001 while the load is tracked) and keeps recording and forgetting a million-key commit cheap.</para>
///
/// <para>Not thread-safe: protected by the store's mutex.</para>
/// </summary>
internal sealed class CommitTracker
{
    /// <summary>A summarized commit: its keys' spans, sorted and disjoint (Lows[i] ≤ Highs[i] &lt; Lows[i + 1]).</summary>
    private sealed record Summary(ulong Timestamp, byte[][] Lows, byte[][] Highs)
    {
        public int Weight => Math.Max(Lows.Length, SummaryWeightMin);

        /// <summary>Index of the span that could hold <paramref name="key"/> (the last with Low ≤ key), or -1.</summary>
        public int SpanAtOrBefore(ReadOnlySpan<byte> key)
        {
            int lo = 0, hi = Lows.Length - 1, found = -1;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Lows[mid].AsSpan().SequenceCompareTo(key) <= 0)
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            return found;
        }
    }

    private sealed class Entry
    {
        public byte[] Key = [];
        public ulong Timestamp;
    }

    private static readonly IComparer<Entry> _byKey = Comparer<Entry>.Create((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));

    /// <summary>Commits with more keys than this are tracked as spans.</summary>
    internal const int SummarizeAbove = 4096;

    /// <summary>Keys per span of a summarized commit, at most.</summary>
    internal const int KeysPerSpan = 1024;

    /// <summary>A key sharing fewer leading bytes with its predecessor starts a new span.</summary>
    internal const int SpanPrefixMin = 8;

    /// <summary>
    /// What a summary counts for against the tracked-keys bound, at least: it bounds how many summaries validation
    /// searches (each key checked costs a binary search per summary).
    /// </summary>
    internal const int SummaryWeightMin = 256;

    private readonly SortedSet<Entry> _latest = new(_byKey);   // Key → newest tracked commit of it.
    private readonly List<Summary> _summaries = [];   // Summarized commits, ascending timestamps.
    private int _spanCount;                           // Spans in _summaries.
    private readonly Queue<(ulong Timestamp, byte[][] Keys, bool Summarized)> _commits = new(); // Ascending timestamps.
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

    /// <summary>Keys tracked (a summarized commit counts its spans, and at least <see cref="SummaryWeightMin"/>).</summary>
    public int KeyCount => _latest.Count + _spanCount;

    /// <summary>Commits tracked.</summary>
    public int CommitCount => _commits.Count;

    /// <summary>Records a commit. Timestamps must grow from call to call.</summary>
    public void Record(ulong timestamp, byte[][] keys)
    {
        Invariant.Check(timestamp > _lastRecorded, "commit timestamps must be recorded in increasing order");
        _lastRecorded = timestamp;
        if (keys.Length > SummarizeAbove)
        {
            // The keys come sorted (a transaction's write set): each span covers exactly its run of keys. A key that
            // shares fewer than SpanPrefixMin leading bytes with the one before starts a new span, so that a span does
            // not stretch across what lies between two key families (another table's rows between a load's catalog
            // keys and its rows).
            var lows = new List<byte[]>();
            var highs = new List<byte[]>();
            var start = 0;
            for (var i = 1; i <= keys.Length; i++)
            {
                if (i < keys.Length)
                {
                    var shared = keys[i - 1].AsSpan().CommonPrefixLength(keys[i]);
                    Invariant.Check(keys[i - 1].AsSpan().SequenceCompareTo(keys[i]) < 0, "a summarized commit's keys must be sorted");
                    if (i - start < KeysPerSpan && shared >= SpanPrefixMin) continue;
                }
                lows.Add(keys[start]);
                highs.Add(keys[i - 1]);
                start = i;
            }
            var summary = new Summary(timestamp, [.. lows], [.. highs]);
            _summaries.Add(summary);
            _spanCount += summary.Weight;
            _commits.Enqueue((timestamp, [], true));
            while (KeyCount > _keysMax && _commits.Count > 1)
            {
                ForgetOldest();
            }
            return;
        }
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
        _commits.Enqueue((timestamp, keys, false));
        // Keep the newest commit even when it alone exceeds the limit: forgetting it would fail every transaction.
        while (KeyCount > _keysMax && _commits.Count > 1)
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
        var (timestamp, keys, summarized) = _commits.Dequeue();
        Floor = Math.Max(Floor, timestamp);
        if (summarized)
        {
            var summary = _summaries[0];   // commits are forgotten oldest first, and summaries kept in that order
            Invariant.Check(summary.Timestamp == timestamp, "summaries are forgotten in commit order");
            _summaries.RemoveAt(0);
            _spanCount -= summary.Weight;
            return;
        }
        foreach (byte[] key in keys)
        {
            _probe.Key = key;
            if (_latest.TryGetValue(_probe, out var entry) && entry.Timestamp == timestamp)
            {
                _latest.Remove(entry);
            }
        }
        _probe.Key = [];
    }

    /// <summary>The newest tracked commit timestamp of <paramref name="key"/>, 0 when none.</summary>
    public ulong LatestCommit(byte[] key)
    {
        _probe.Key = key;
        ulong result = _latest.TryGetValue(_probe, out var entry) ? entry.Timestamp : 0;
        _probe.Key = [];
        foreach (var summary in _summaries)
        {
            if (summary.Timestamp <= result) continue;
            var i = summary.SpanAtOrBefore(key);
            if (i >= 0 && key.AsSpan().SequenceCompareTo(summary.Highs[i]) <= 0) result = summary.Timestamp;
        }
        return result;
    }

    /// <summary>
    /// A key in [<paramref name="begin"/>, <paramref name="endExclusive"/>) (null: unbounded) written by a
    /// tracked commit newer than <paramref name="snapshot"/>, or null when there is none.
    /// </summary>
    public byte[]? FindNewerInRange(byte[] begin, byte[]? endExclusive, ulong snapshot)
    {
        foreach (var summary in _summaries)
        {
            if (summary.Timestamp <= snapshot) continue;
            // The first span ending at or after begin: the span holding begin, else the one after it.
            var i = summary.SpanAtOrBefore(begin);
            if (i < 0 || summary.Highs[i].AsSpan().SequenceCompareTo(begin) < 0) i++;
            if (i < summary.Lows.Length && (endExclusive == null || summary.Lows[i].AsSpan().SequenceCompareTo(endExclusive) < 0))
            {
                return summary.Lows[i].AsSpan().SequenceCompareTo(begin) >= 0 ? summary.Lows[i] : begin;
            }
        }
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
