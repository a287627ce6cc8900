namespace Tusk.Kv;

/// <summary>
/// The keys and ranges a SERIALIZABLE transaction read, validated at commit against what committed since its
/// snapshot. Bounded by <see cref="KvStoreOptions.ReadSpansMax"/>: past the limit every span is merged into one
/// span from the smallest key to the largest end, which covers all of them (so validation stays correct and only
/// grows more likely to report a conflict). Not thread-safe (owned by one transaction).
/// </summary>
internal sealed class ReadSet(int spansMax)
{
    private readonly List<ReadSpan> _spans = [];

    public IReadOnlyList<ReadSpan> Spans => _spans;

    /// <summary>True once the spans were merged into one because of the limit.</summary>
    public bool Collapsed { get; private set; }

    public void AddPoint(byte[] key) => Add(new ReadSpan(key, null, IsPoint: true));

    /// <summary>Records [begin, end); <paramref name="endExclusive"/> null is unbounded.</summary>
    public void AddRange(byte[] begin, byte[]? endExclusive) => Add(new ReadSpan(begin, endExclusive, IsPoint: false));

    private void Add(ReadSpan span)
    {
        _spans.Add(span);
        if (_spans.Count > spansMax)
        {
            Collapse();
        }
    }

    private void Collapse()
    {
        byte[] begin = _spans[0].Begin;
        byte[]? end = _spans[0].ExclusiveEnd;
        foreach (var s in _spans)
        {
            if (s.Begin.AsSpan().SequenceCompareTo(begin) < 0)
            {
                begin = s.Begin;
            }
            byte[]? e = s.ExclusiveEnd;
            if (end != null && (e == null || e.AsSpan().SequenceCompareTo(end) > 0))
            {
                end = e;
            }
        }
        _spans.Clear();
        _spans.Add(new ReadSpan(begin, end, IsPoint: false));
        Collapsed = true;
    }
}
