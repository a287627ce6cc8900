using Tusk.Storage.Iterators;

namespace Tusk.Storage;

/// <summary>
/// A cursor over the user keys of an <see cref="LsmEngine"/> as of one sequence number (a snapshot, or the
/// state when the iterator was created): each key appears once with its newest visible value; deleted keys
/// (point or range deletions) do not appear. Moves both ways. <see cref="Key"/> and <see cref="Value"/> stay
/// valid until the iterator moves. Pins the memtables and tables it reads until disposed: dispose promptly.
/// Not thread-safe.
/// </summary>
public sealed class LsmIterator : IDisposable
{
    private enum Direction { Forward, Reverse }

    private readonly InternalIterator _iter;
    private readonly ulong _sequence;
    private readonly FragmentedTombstones _tombstones;
    private readonly Action _release;
    private Direction _direction = Direction.Forward;
    private bool _valid;
    private byte[] _savedKey = new byte[64];
    private int _savedKeyLength;
    private byte[] _savedValue = new byte[128];
    private int _savedValueLength;
    private byte[] _seekBuffer = new byte[64];
    private bool _disposed;

    internal LsmIterator(InternalIterator iter, ulong sequence, FragmentedTombstones tombstones, Action release)
    {
        _iter = iter;
        _sequence = sequence;
        _tombstones = tombstones;
        _release = release;
    }

    /// <summary>True when positioned at a key.</summary>
    public bool Valid => _valid;

    /// <summary>The current key.</summary>
    public ReadOnlySpan<byte> Key
    {
        get
        {
            ThrowIfInvalid();
            return _direction == Direction.Forward ? InternalKey.UserKey(_iter.Key) : _savedKey.AsSpan(0, _savedKeyLength);
        }
    }

    /// <summary>The current value.</summary>
    public ReadOnlySpan<byte> Value
    {
        get
        {
            ThrowIfInvalid();
            return _direction == Direction.Forward ? _iter.Value : _savedValue.AsSpan(0, _savedValueLength);
        }
    }

    /// <summary>Positions at the first key.</summary>
    public void SeekToFirst()
    {
        ThrowIfDisposed();
        _direction = Direction.Forward;
        _savedKeyLength = 0;
        _iter.SeekToFirst();
        if (_iter.Valid)
        {
            FindNextUserEntry(skipping: false);
        }
        else
        {
            _valid = false;
        }
    }

    /// <summary>Positions at the last key.</summary>
    public void SeekToLast()
    {
        ThrowIfDisposed();
        _direction = Direction.Reverse;
        _savedKeyLength = 0;
        _iter.SeekToLast();
        FindPrevUserEntry();
    }

    /// <summary>Positions at the first key ≥ <paramref name="key"/>.</summary>
    public void Seek(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        _direction = Direction.Forward;
        _savedKeyLength = 0;
        _iter.Seek(SeekKey(key, _sequence, EntryKind.Seek));
        if (_iter.Valid)
        {
            FindNextUserEntry(skipping: false);
        }
        else
        {
            _valid = false;
        }
    }

    /// <summary>Positions at the last key ≤ <paramref name="key"/>.</summary>
    public void SeekForPrev(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        _direction = Direction.Reverse;
        _savedKeyLength = 0;
        // (key, 0, Delete) has the smallest trailer: it sorts after every entry of key.
        _iter.SeekForPrev(SeekKey(key, 0, EntryKind.Delete));
        FindPrevUserEntry();
    }

    /// <summary>Moves to the next key.</summary>
    public void Next()
    {
        ThrowIfInvalid();
        if (_direction == Direction.Reverse)
        {
            _direction = Direction.Forward;
            // _iter sits just before the entries of the current key (_savedKey): step into them; they are skipped below.
            if (!_iter.Valid)
            {
                _iter.SeekToFirst();
            }
            else
            {
                _iter.Next();
            }
            if (!_iter.Valid)
            {
                _valid = false;
                _savedKeyLength = 0;
                return;
            }
        }
        else
        {
            SaveKey(InternalKey.UserKey(_iter.Key));
            _iter.Next();
            if (!_iter.Valid)
            {
                _valid = false;
                _savedKeyLength = 0;
                return;
            }
        }
        FindNextUserEntry(skipping: true);
    }

    /// <summary>Moves to the previous key.</summary>
    public void Prev()
    {
        ThrowIfInvalid();
        if (_direction == Direction.Forward)
        {
            // Move _iter before every entry of the current key.
            SaveKey(InternalKey.UserKey(_iter.Key));
            while (true)
            {
                _iter.Prev();
                if (!_iter.Valid)
                {
                    _valid = false;
                    _savedKeyLength = 0;
                    _savedValueLength = 0;
                    return;
                }
                if (InternalKey.UserKey(_iter.Key).SequenceCompareTo(_savedKey.AsSpan(0, _savedKeyLength)) < 0)
                {
                    break;
                }
            }
            _direction = Direction.Reverse;
        }
        FindPrevUserEntry();
    }

    /// <summary>Forward: finds the next visible, live entry; entries of _savedKey are skipped when <paramref name="skipping"/>.</summary>
    private void FindNextUserEntry(bool skipping)
    {
        do
        {
            var ikey = _iter.Key;
            ulong trailer = InternalKey.TrailerOf(ikey);
            if ((trailer >> 8) <= _sequence)
            {
                var userKey = InternalKey.UserKey(ikey);
                if ((EntryKind)(byte)trailer == EntryKind.Delete)
                {
                    SaveKey(userKey);
                    skipping = true;
                }
                else if (skipping && userKey.SequenceCompareTo(_savedKey.AsSpan(0, _savedKeyLength)) <= 0)
                {
                    // hidden by a newer entry of the same key
                }
                else if (!_tombstones.IsEmpty && _tombstones.MaxCoveringSequence(userKey, _sequence) > (trailer >> 8))
                {
                    SaveKey(userKey);
                    skipping = true;
                }
                else
                {
                    _valid = true;
                    _savedKeyLength = 0;
                    return;
                }
            }
            _iter.Next();
        }
        while (_iter.Valid);
        _savedKeyLength = 0;
        _valid = false;
    }

    /// <summary>Reverse: walks back over one key's entries (oldest to newest) and keeps the newest visible one.</summary>
    private void FindPrevUserEntry()
    {
        bool haveValue = false;
        if (_iter.Valid)
        {
            do
            {
                var ikey = _iter.Key;
                ulong trailer = InternalKey.TrailerOf(ikey);
                ulong seq = trailer >> 8;
                if (seq <= _sequence)
                {
                    var userKey = InternalKey.UserKey(ikey);
                    if (haveValue && userKey.SequenceCompareTo(_savedKey.AsSpan(0, _savedKeyLength)) < 0)
                    {
                        break; // the previous key's newest visible entry is a value: done
                    }
                    bool deleted = (EntryKind)(byte)trailer == EntryKind.Delete
                        || (!_tombstones.IsEmpty && _tombstones.MaxCoveringSequence(userKey, _sequence) > seq);
                    if (deleted)
                    {
                        haveValue = false;
                        _savedKeyLength = 0;
                        _savedValueLength = 0;
                    }
                    else
                    {
                        haveValue = true;
                        SaveKey(userKey);
                        SaveValue(_iter.Value);
                    }
                }
                _iter.Prev();
            }
            while (_iter.Valid);
        }
        if (!haveValue)
        {
            _valid = false;
            _savedKeyLength = 0;
            _savedValueLength = 0;
            _direction = Direction.Forward;
        }
        else
        {
            _valid = true;
        }
    }

    private ReadOnlySpan<byte> SeekKey(ReadOnlySpan<byte> userKey, ulong sequence, EntryKind kind)
    {
        int length = userKey.Length + InternalKey.TrailerLength;
        if (_seekBuffer.Length < length)
        {
            _seekBuffer = new byte[length * 2];
        }
        InternalKey.Write(_seekBuffer, userKey, sequence, kind);
        return _seekBuffer.AsSpan(0, length);
    }

    private void SaveKey(ReadOnlySpan<byte> key)
    {
        if (_savedKey.Length < key.Length)
        {
            _savedKey = new byte[Math.Max(key.Length, _savedKey.Length * 2)];
        }
        key.CopyTo(_savedKey);
        _savedKeyLength = key.Length;
    }

    private void SaveValue(ReadOnlySpan<byte> value)
    {
        if (_savedValue.Length < value.Length)
        {
            _savedValue = new byte[Math.Max(value.Length, _savedValue.Length * 2)];
        }
        value.CopyTo(_savedValue);
        _savedValueLength = value.Length;
    }

    private void ThrowIfInvalid()
    {
        ThrowIfDisposed();
        if (!_valid)
        {
            throw new InvalidOperationException("the iterator is not positioned at a key");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Releases the memtables and tables this iterator pins.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _valid = false;
        _iter.Dispose();
        _release();
    }
}

/// <summary>
/// A consistent read view: reads through it see exactly the writes with sequence ≤ <see cref="Sequence"/>.
/// While it lives, compaction keeps the versions it can see. Dispose it when done.
/// </summary>
public sealed class Snapshot : IDisposable
{
    private readonly Action<Snapshot> _release;
    private int _released;

    internal Snapshot(ulong sequence, Action<Snapshot> release)
    {
        Sequence = sequence;
        _release = release;
    }

    /// <summary>The newest write this snapshot sees.</summary>
    public ulong Sequence { get; }

    /// <summary>Releases the snapshot.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _release(this);
        }
    }
}
