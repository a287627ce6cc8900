namespace Tusk.Storage.Manifest;

/// <summary>
/// One live SSTable as the manifest knows it. Immutable except for the reference count (the number of
/// <see cref="Version"/>s that list it) and the cached reader.
/// Bounds are internal keys; <see cref="Largest"/> may be an exclusive sentinel (user key, MaxSequence, Seek)
/// when the table's last item is the end of a range tombstone.
/// </summary>
internal sealed class FileMetadata
{
    public required ulong Number { get; init; }
    public required long Size { get; init; }
    public required byte[] Smallest { get; init; }
    public required byte[] Largest { get; init; }
    public required ulong SmallestSequence { get; init; }
    public required ulong LargestSequence { get; init; }
    public required bool HasRangeTombstones { get; init; }

    /// <summary>Versions referencing this file. Protected by the version set's lock.</summary>
    public int Refs;

    /// <summary>True while a compaction has this file as input. Protected by the engine mutex.</summary>
    public bool BeingCompacted;

    /// <summary>An open reader for the fast path (may be closed; callers use TryRef).</summary>
    public Sstable.TableReader? CachedReader;

    public ReadOnlySpan<byte> SmallestUserKey => InternalKey.UserKey(Smallest);

    public ReadOnlySpan<byte> LargestUserKey => InternalKey.UserKey(Largest);

    /// <summary>True when the largest bound is an exclusive range-tombstone end.</summary>
    public bool LargestIsExclusive => InternalKey.SequenceOf(Largest) == InternalKey.MaxSequence;

    /// <summary>True if the file's key range can contain <paramref name="userKey"/>.</summary>
    public bool ContainsUserKey(ReadOnlySpan<byte> userKey)
    {
        if (userKey.SequenceCompareTo(SmallestUserKey) < 0)
        {
            return false;
        }
        int c = userKey.SequenceCompareTo(LargestUserKey);
        return c < 0 || (c == 0 && !LargestIsExclusive);
    }

    /// <summary>
    /// True if the file overlaps the user-key range [<paramref name="begin"/>, <paramref name="end"/>] (inclusive;
    /// null means unbounded).
    /// </summary>
    public bool Overlaps(ReadOnlySpan<byte> begin, bool hasBegin, ReadOnlySpan<byte> end, bool hasEnd)
    {
        if (hasEnd && end.SequenceCompareTo(SmallestUserKey) < 0)
        {
            return false;
        }
        if (hasBegin)
        {
            int c = begin.SequenceCompareTo(LargestUserKey);
            if (c > 0 || (c == 0 && LargestIsExclusive))
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() =>
        $"{Number:D6}:[{InternalKey.Format(Smallest)}-{InternalKey.Format(Largest)}] {Size}B seq {SmallestSequence}-{LargestSequence}";
}
