using Tusk.Core;
using Tusk.Storage;

namespace Tusk.Kv;

/// <summary>
/// Reads user keys as of one timestamp from an engine iterator holding MVCC versions (<see cref="MvccEncoding"/>):
/// a point read is one seek; a cursor walks the visible, live versions of the user keys in [begin, end) either
/// way. Keys and values it returns are fresh arrays owned by the caller. Not thread-safe; does not own the
/// engine iterator.
///
/// <para>Forward, on each user key: if the version under the iterator is newer than the read timestamp, one seek
/// to (key, ~ts) lands on the newest visible version (or on the next key); after using a key the cursor steps
/// over its older versions with a few <c>Next</c> calls and seeks past them when there are more (as Pebble and
/// CockroachDB do). Reverse: the engine iterator arrives at a key's oldest version, so the cursor seeks to
/// (key, ~ts) for the visible version and then seeks back before the key: two seeks per key.</para>
/// </summary>
internal sealed class MvccCursor
{
    private const int NextsBeforeSeek = 3;

    private readonly LsmIterator _it;
    private readonly ulong _readTimestamp;
    private readonly byte[] _lower; // prefix(begin): at or below every version key of keys >= begin.
    private readonly byte[] _upper; // prefix(end), or [DataEnd]: above every version key of keys < end.
    private readonly bool _reverse;
    private byte[] _current = new byte[64]; // prefix of the user key under consideration (plus room for a timestamp)
    private int _currentLength;

    public MvccCursor(LsmIterator iterator, ulong readTimestamp, ReadOnlySpan<byte> beginInclusive, ReadOnlySpan<byte> endExclusive, bool unbounded, bool reverse)
    {
        _it = iterator;
        _readTimestamp = readTimestamp;
        _lower = MvccEncoding.EncodePrefix(beginInclusive);
        _upper = unbounded ? [MvccEncoding.DataEnd] : MvccEncoding.EncodePrefix(endExclusive);
        _reverse = reverse;
    }

    /// <summary>True when positioned at a key (<see cref="Key"/>, <see cref="Value"/>).</summary>
    public bool Valid { get; private set; }

    /// <summary>The current user key.</summary>
    public byte[] Key { get; private set; } = [];

    /// <summary>Its value as of the read timestamp.</summary>
    public byte[] Value { get; private set; } = [];

    /// <summary>
    /// The value of <paramref name="userKey"/> at <paramref name="readTimestamp"/>, null when it has none: one seek.
    /// <paramref name="scratch"/> is grown as needed and reused.
    /// </summary>
    public static byte[]? Get(LsmIterator iterator, ReadOnlySpan<byte> userKey, ulong readTimestamp, ref byte[] scratch)
    {
        int length = MvccEncoding.VersionKeyLength(userKey);
        if (scratch.Length < length)
        {
            scratch = new byte[Math.Max(length, scratch.Length * 2)];
        }
        MvccEncoding.WriteVersionKey(scratch, userKey, new HlcTimestamp(readTimestamp));
        var seek = scratch.AsSpan(0, length);
        iterator.Seek(seek);
        if (!iterator.Valid)
        {
            return null;
        }
        var found = iterator.Key;
        if (found.Length != length || !found.StartsWith(seek[..^MvccEncoding.TimestampLength]))
        {
            return null;
        }
        return Decode(iterator.Value, found, out var value) ? value.ToArray() : null;
    }

    /// <summary>Positions at the first visible key in the direction of the scan.</summary>
    public void Start()
    {
        if (_reverse)
        {
            // _upper is never an engine key (version keys are longer than any prefix; metadata sorts below 0x02),
            // so this lands on the last engine key below it.
            _it.SeekForPrev(_upper);
            FindReverse();
        }
        else
        {
            _it.Seek(_lower);
            FindForward();
        }
    }

    /// <summary>Moves to the next visible key in the direction of the scan.</summary>
    public void Next()
    {
        if (!_reverse)
        {
            SkipCurrentKeyForward();
            FindForward();
        }
        else
        {
            FindReverse(); // the iterator already sits before the current key
        }
    }

    private void FindForward()
    {
        while (_it.Valid)
        {
            var key = _it.Key;
            if (key.SequenceCompareTo(_upper) >= 0)
            {
                break;
            }
            SaveCurrent(key);
            if (MvccEncoding.TimestampOf(key).Value > _readTimestamp)
            {
                // Newer than the read: one seek to the newest version at or below the read timestamp.
                _it.Seek(CurrentWithTimestamp(_readTimestamp));
                if (!_it.Valid || !_it.Key.StartsWith(CurrentPrefix))
                {
                    continue; // no visible version; the iterator is at the next key already
                }
            }
            if (Decode(_it.Value, _it.Key, out var value))
            {
                Key = MvccEncoding.DecodeUserKey(CurrentPrefix);
                Value = value.ToArray();
                Valid = true;
                return;
            }
            SkipCurrentKeyForward(); // a tombstone: the key is deleted as of the read
        }
        Valid = false;
    }

    /// <summary>Moves the iterator past every version of the current key.</summary>
    private void SkipCurrentKeyForward()
    {
        for (int i = 0; i < NextsBeforeSeek; i++)
        {
            _it.Next();
            if (!_it.Valid || !_it.Key.StartsWith(CurrentPrefix))
            {
                return;
            }
        }
        var successor = _current.AsSpan(0, _currentLength);
        MvccEncoding.ToPrefixSuccessor(successor);
        _it.Seek(successor);
        successor[^1]--; // back to the prefix
    }

    private void FindReverse()
    {
        while (_it.Valid)
        {
            var key = _it.Key;
            if (key.SequenceCompareTo(_lower) < 0)
            {
                break;
            }
            SaveCurrent(key);
            _it.Seek(CurrentWithTimestamp(_readTimestamp));
            bool found = false;
            if (_it.Valid && _it.Key.StartsWith(CurrentPrefix) && Decode(_it.Value, _it.Key, out var value))
            {
                Key = MvccEncoding.DecodeUserKey(CurrentPrefix);
                Value = value.ToArray();
                found = true;
            }
            // A prefix is never an engine key: this lands on the last version of the previous user key.
            _it.SeekForPrev(CurrentPrefix);
            if (found)
            {
                Valid = true;
                return;
            }
        }
        Valid = false;
    }

    private ReadOnlySpan<byte> CurrentPrefix => _current.AsSpan(0, _currentLength);

    private void SaveCurrent(ReadOnlySpan<byte> versionKey)
    {
        if (!MvccEncoding.IsVersionKey(versionKey))
        {
            throw new FormatException($"engine key of {versionKey.Length} bytes in the MVCC data space is not a version key");
        }
        var prefix = MvccEncoding.PrefixOf(versionKey);
        if (_current.Length < prefix.Length + MvccEncoding.TimestampLength)
        {
            _current = new byte[Math.Max(prefix.Length + MvccEncoding.TimestampLength, _current.Length * 2)];
        }
        prefix.CopyTo(_current);
        _currentLength = prefix.Length;
    }

    private ReadOnlySpan<byte> CurrentWithTimestamp(ulong timestamp)
    {
        MvccEncoding.WriteTimestamp(_current, _currentLength, new HlcTimestamp(timestamp));
        return _current.AsSpan(0, _currentLength + MvccEncoding.TimestampLength);
    }

    private static bool Decode(ReadOnlySpan<byte> encoded, ReadOnlySpan<byte> versionKey, out ReadOnlySpan<byte> value)
    {
        try
        {
            return MvccEncoding.TryDecodeValue(encoded, out value);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{e.Message} in version {MvccEncoding.TimestampOf(versionKey)} of a key", e);
        }
    }
}
