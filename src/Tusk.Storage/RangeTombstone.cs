namespace Tusk.Storage;

/// <summary>A range deletion: every key in [<see cref="Start"/>, <see cref="End"/>) with a sequence below <see cref="Sequence"/> is deleted.</summary>
internal readonly record struct RangeTombstone(byte[] Start, byte[] End, ulong Sequence)
{
    public bool Contains(ReadOnlySpan<byte> userKey) =>
        userKey.SequenceCompareTo(Start) >= 0 && userKey.SequenceCompareTo(End) < 0;
}

/// <summary>
/// A set of range tombstones cut into non-overlapping fragments, each with the sequences of the tombstones
/// covering it (descending), so "the newest tombstone covering key k visible at snapshot s" is a binary
/// search plus a short scan. Immutable once built; shared by readers. Range deletions are rare, so the
/// set is rebuilt whenever the tombstones change (a flush, a compaction, a DeleteRange).
/// </summary>
internal sealed class FragmentedTombstones
{
    public static readonly FragmentedTombstones Empty = new([], [], []);

    private readonly byte[][] _starts;   // fragment i covers [_starts[i], _ends[i])
    private readonly byte[][] _ends;
    private readonly ulong[][] _sequences; // descending

    private FragmentedTombstones(byte[][] starts, byte[][] ends, ulong[][] sequences)
    {
        _starts = starts;
        _ends = ends;
        _sequences = sequences;
    }

    public bool IsEmpty => _starts.Length == 0;

    public int FragmentCount => _starts.Length;

    /// <summary>
    /// Cuts the tombstones into fragments with a sweep over their sorted bounds: O(T log T) plus the output
    /// (each fragment lists the tombstones active over it).
    /// </summary>
    public static FragmentedTombstones Build(IEnumerable<RangeTombstone> tombstones)
    {
        var all = tombstones.ToList();
        if (all.Count == 0)
        {
            return Empty;
        }
        static int CompareBytes(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);
        all.Sort((a, b) => CompareBytes(a.Start, b.Start));
        var bounds = new List<byte[]>(all.Count * 2);
        foreach (var t in all)
        {
            bounds.Add(t.Start);
            bounds.Add(t.End);
        }
        bounds.Sort(CompareBytes);
        var starts = new List<byte[]>();
        var ends = new List<byte[]>();
        var seqs = new List<ulong[]>();
        var active = new List<RangeTombstone>();
        int next = 0;
        byte[]? lo = null;
        foreach (var hi in bounds)
        {
            if (lo != null && CompareBytes(lo, hi) < 0)
            {
                // [lo, hi) lies between consecutive distinct bounds: the active set is constant over it.
                while (next < all.Count && CompareBytes(all[next].Start, lo) <= 0)
                {
                    active.Add(all[next++]);
                }
                active.RemoveAll(t => CompareBytes(t.End, lo) <= 0);
                if (active.Count > 0)
                {
                    var covering = active.Select(t => t.Sequence).Distinct().OrderByDescending(x => x).ToArray();
                    starts.Add(lo);
                    ends.Add(hi);
                    seqs.Add(covering);
                }
            }
            lo = hi;
        }
        return new FragmentedTombstones([.. starts], [.. ends], [.. seqs]);
    }

    /// <summary>
    /// The largest sequence ≤ <paramref name="snapshot"/> of a tombstone covering <paramref name="userKey"/>, or 0 when
    /// none covers it. An entry with sequence s is deleted by the set iff s &lt; the result.
    /// </summary>
    public ulong MaxCoveringSequence(ReadOnlySpan<byte> userKey, ulong snapshot)
    {
        int lo = 0, hi = _starts.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_starts[mid].AsSpan().SequenceCompareTo(userKey) <= 0)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        if (found < 0 || userKey.SequenceCompareTo(_ends[found]) >= 0)
        {
            return 0;
        }
        foreach (ulong s in _sequences[found])
        {
            if (s <= snapshot)
            {
                return s;
            }
        }
        return 0;
    }

    /// <summary>All fragments as tombstones (one per fragment and sequence), in key order.</summary>
    public IEnumerable<RangeTombstone> Fragments()
    {
        for (int i = 0; i < _starts.Length; i++)
        {
            foreach (ulong s in _sequences[i])
            {
                yield return new RangeTombstone(_starts[i], _ends[i], s);
            }
        }
    }
}
