namespace Tusk.Storage.Iterators;

/// <summary>
/// Merges sorted children into one sorted stream with a binary heap (a min-heap moving forward, a max-heap
/// moving backward). Children never hold equal internal keys (sequence numbers are unique), which keeps the
/// direction switch simple: when turning around, every other child is re-positioned just past (or before)
/// the current key. Owns and disposes its children. Single-threaded.
/// </summary>
internal sealed class MergingIterator : InternalIterator
{
    private readonly InternalIterator[] _children;
    private readonly int[] _heap;
    private int _heapSize;
    private bool _forward = true;
    private byte[] _scratch = new byte[64];

    public MergingIterator(InternalIterator[] children)
    {
        _children = children;
        _heap = new int[children.Length];
    }

    public override ReadOnlySpan<byte> Value => _children[_heap[0]].Value;

    public override void SeekToFirst()
    {
        foreach (var c in _children)
        {
            c.SeekToFirst();
        }
        Rebuild(forward: true);
    }

    public override void SeekToLast()
    {
        foreach (var c in _children)
        {
            c.SeekToLast();
        }
        Rebuild(forward: false);
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        foreach (var c in _children)
        {
            c.Seek(target);
        }
        Rebuild(forward: true);
    }

    public override void Next()
    {
        if (!_forward)
        {
            int current = _heap[0];
            var key = SaveKey(_children[current].Key);
            for (int i = 0; i < _children.Length; i++)
            {
                if (i == current)
                {
                    continue;
                }
                var c = _children[i];
                c.Seek(key);
                if (c.Valid && InternalKey.Compare(c.Key, key) == 0)
                {
                    c.Next();
                }
            }
            Rebuild(forward: true);
        }
        _children[_heap[0]].Next();
        FixTop();
    }

    public override void Prev()
    {
        if (_forward)
        {
            int current = _heap[0];
            var key = SaveKey(_children[current].Key);
            for (int i = 0; i < _children.Length; i++)
            {
                if (i == current)
                {
                    continue;
                }
                var c = _children[i];
                c.Seek(key);
                if (c.Valid)
                {
                    c.Prev();
                }
                else
                {
                    c.SeekToLast();
                }
            }
            Rebuild(forward: false);
        }
        _children[_heap[0]].Prev();
        FixTop();
    }

    private ReadOnlySpan<byte> SaveKey(ReadOnlySpan<byte> key)
    {
        if (_scratch.Length < key.Length)
        {
            _scratch = new byte[Math.Max(key.Length, _scratch.Length * 2)];
        }
        key.CopyTo(_scratch);
        return _scratch.AsSpan(0, key.Length);
    }

    private void Rebuild(bool forward)
    {
        _forward = forward;
        _heapSize = 0;
        for (int i = 0; i < _children.Length; i++)
        {
            if (_children[i].Valid)
            {
                _heap[_heapSize++] = i;
            }
        }
        for (int i = _heapSize / 2 - 1; i >= 0; i--)
        {
            SiftDown(i);
        }
        Publish();
    }

    private void Publish() => PublishFrom(_heapSize > 0 ? _children[_heap[0]] : null);

    private void FixTop()
    {
        if (_heapSize > 0 && !_children[_heap[0]].Valid)
        {
            _heap[0] = _heap[--_heapSize];
        }
        if (_heapSize > 1)
        {
            SiftDown(0);
        }
        Publish();
    }

    /// <summary>True if child a should be above child b in the heap.</summary>
    private bool Before(int a, int b)
    {
        int c = InternalKey.Compare(_children[a].Key, _children[b].Key);
        return _forward ? c < 0 : c > 0;
    }

    private void SiftDown(int i)
    {
        int item = _heap[i];
        while (true)
        {
            int left = 2 * i + 1;
            if (left >= _heapSize)
            {
                break;
            }
            int best = left;
            int right = left + 1;
            if (right < _heapSize && Before(_heap[right], _heap[left]))
            {
                best = right;
            }
            if (!Before(_heap[best], item))
            {
                break;
            }
            _heap[i] = _heap[best];
            i = best;
        }
        _heap[i] = item;
    }

    public override void Dispose()
    {
        foreach (var c in _children)
        {
            c.Dispose();
        }
    }
}
