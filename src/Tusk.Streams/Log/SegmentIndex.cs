using System.Buffers.Binary;
using Tusk.Core;

namespace Tusk.Streams.Log;

/// <summary>
/// Facts about a closed segment that its <c>.index</c> file certifies (see <see cref="SegmentIndex"/> for the format).
/// </summary>
/// <param name="BaseOffset">The segment's base offset (its file name).</param>
/// <param name="NextOffset">The offset after the segment: the base of the segment that followed it when it closed.</param>
/// <param name="SizeBytes">Length of the <c>.log</c> file the index describes; a different length makes the index stale.</param>
/// <param name="MaxTimestampMs">Largest batch max timestamp in the segment (-1 when it holds none).</param>
/// <param name="LastAppendMs">The host time of the last append to the segment (the tombstone horizon starts there).</param>
internal readonly record struct SegmentFooter(long BaseOffset, long NextOffset, long SizeBytes, long MaxTimestampMs, long LastAppendMs);

/// <summary>
/// The sparse in-memory indexes of one segment, and their files.
///
/// <para><b>Offset index.</b> Entries (relative offset, file position) of batch starts, one each time at least
/// <see cref="PartitionLogOptions.IndexIntervalBytes"/> of batches were added since the previous entry. Both columns
/// ascend. A lookup returns the position of the last entry at or below an offset; the batch holding that offset is
/// at or after it. <b>Time index.</b> At the same points, when the largest batch max timestamp seen so far grew,
/// an entry (that maximum, relative offset of the batch that reached it). Timestamps ascend strictly, and every
/// batch up to the point where an entry was added has max timestamp ≤ the entry's: so the first batch with max
/// timestamp ≥ t lies at or after the last entry whose timestamp is &lt; t.</para>
///
/// <para><b>Files</b> (little-endian, written when the segment closes, fsynced, checksummed):
/// <c>.index</c> = n × [relative offset i32][position i32], then a footer [base offset i64][next offset i64]
/// [segment bytes i64][max timestamp i64][last append ms i64][n i32][version u32 = 1][masked CRC32C of all
/// earlier bytes u32][magic "TUSKOIX1" u64]; <c>.timeindex</c> = m × [timestamp i64][relative offset i32], then
/// [base offset i64][m i32][version u32 = 1][masked CRC32C u32][magic "TUSKTIX1" u64]. A file that fails any check
/// (length, magic, version, CRC, base offset, ordering, positions inside the segment) is ignored and the indexes are
/// rebuilt by scanning the segment.</para>
///
/// <para>Not thread-safe: the owning <see cref="PartitionLog"/> guards it with its lock. Memory: 8 bytes per offset
/// entry and 12 per time entry, at most segment bytes / interval entries each.</para>
/// </summary>
internal sealed class SegmentIndex
{
    private const uint FormatVersion = 1;
    private const ulong OffsetIndexMagic = 0x3158494F4B535554; // "TUSKOIX1" little-endian
    private const ulong TimeIndexMagic = 0x31584954_4B535554; // "TUSKTIX1" little-endian
    private const int OffsetEntryBytes = 8;
    private const int TimeEntryBytes = 12;
    private const int OffsetFooterBytes = 8 * 5 + 4 + 4 + 4 + 8;
    private const int TimeFooterBytes = 8 + 4 + 4 + 4 + 8;
    private const int InitialCapacity = 8;

    private int[] _relativeOffsets = new int[InitialCapacity];
    private int[] _positions = new int[InitialCapacity];
    private int _count;

    private long[] _timestamps = new long[InitialCapacity];
    private int[] _timeRelativeOffsets = new int[InitialCapacity];
    private int _timeCount;

    private long _bytesSinceEntry;
    private long _runningMaxTimestamp = -1;
    private int _runningMaxRelativeOffset;

    /// <summary>Offset-index entries.</summary>
    public int Count => _count;

    /// <summary>Time-index entries.</summary>
    public int TimeCount => _timeCount;

    /// <summary>Records a batch appended at <paramref name="position"/> (batches must come in file order).</summary>
    public void Add(int relativeOffset, int position, long batchBytes, long maxTimestamp, int intervalBytes)
    {
        Invariant.Check(_count == 0 || (relativeOffset > _relativeOffsets[_count - 1] && position > _positions[_count - 1]), "index entries must ascend");
        if (maxTimestamp > _runningMaxTimestamp)
        {
            _runningMaxTimestamp = maxTimestamp;
            _runningMaxRelativeOffset = relativeOffset;
        }
        if (_bytesSinceEntry >= intervalBytes)
        {
            Append(ref _relativeOffsets, ref _positions, ref _count, relativeOffset, position);
            if (_timeCount == 0 || _runningMaxTimestamp > _timestamps[_timeCount - 1])
            {
                Append(ref _timestamps, ref _timeRelativeOffsets, ref _timeCount, _runningMaxTimestamp, _runningMaxRelativeOffset);
            }
            _bytesSinceEntry = 0;
        }
        _bytesSinceEntry += batchBytes;
    }

    /// <summary>File position to start scanning from for <paramref name="relativeOffset"/>.</summary>
    public int LookupPosition(long relativeOffset)
    {
        int lo = 0, hi = _count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_relativeOffsets[mid] <= relativeOffset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : _positions[found];
    }

    /// <summary>Relative offset to start scanning from for the first batch with max timestamp ≥ <paramref name="timestampMs"/>; 0 = the segment start.</summary>
    public int LookupTimestamp(long timestampMs)
    {
        int lo = 0, hi = _timeCount - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_timestamps[mid] < timestampMs)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : _timeRelativeOffsets[found];
    }

    /// <summary>Encodes the <c>.index</c> file.</summary>
    public byte[] EncodeOffsetIndex(in SegmentFooter footer)
    {
        var bytes = new byte[_count * OffsetEntryBytes + OffsetFooterBytes];
        var span = bytes.AsSpan();
        for (int i = 0; i < _count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(i * OffsetEntryBytes)..], _relativeOffsets[i]);
            BinaryPrimitives.WriteInt32LittleEndian(span[(i * OffsetEntryBytes + 4)..], _positions[i]);
        }
        var f = span[(_count * OffsetEntryBytes)..];
        BinaryPrimitives.WriteInt64LittleEndian(f, footer.BaseOffset);
        BinaryPrimitives.WriteInt64LittleEndian(f[8..], footer.NextOffset);
        BinaryPrimitives.WriteInt64LittleEndian(f[16..], footer.SizeBytes);
        BinaryPrimitives.WriteInt64LittleEndian(f[24..], footer.MaxTimestampMs);
        BinaryPrimitives.WriteInt64LittleEndian(f[32..], footer.LastAppendMs);
        BinaryPrimitives.WriteInt32LittleEndian(f[40..], _count);
        BinaryPrimitives.WriteUInt32LittleEndian(f[44..], FormatVersion);
        Seal(span, OffsetIndexMagic);
        return bytes;
    }

    /// <summary>Encodes the <c>.timeindex</c> file.</summary>
    public byte[] EncodeTimeIndex(long baseOffset)
    {
        var bytes = new byte[_timeCount * TimeEntryBytes + TimeFooterBytes];
        var span = bytes.AsSpan();
        for (int i = 0; i < _timeCount; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[(i * TimeEntryBytes)..], _timestamps[i]);
            BinaryPrimitives.WriteInt32LittleEndian(span[(i * TimeEntryBytes + 8)..], _timeRelativeOffsets[i]);
        }
        var f = span[(_timeCount * TimeEntryBytes)..];
        BinaryPrimitives.WriteInt64LittleEndian(f, baseOffset);
        BinaryPrimitives.WriteInt32LittleEndian(f[8..], _timeCount);
        BinaryPrimitives.WriteUInt32LittleEndian(f[12..], FormatVersion);
        Seal(span, TimeIndexMagic);
        return bytes;
    }

    /// <summary>
    /// Decodes both index files of the segment <paramref name="baseOffset"/>; null when either fails a check.
    /// </summary>
    public static (SegmentIndex Index, SegmentFooter Footer)? TryDecode(ReadOnlySpan<byte> offsetIndex, ReadOnlySpan<byte> timeIndex, long baseOffset)
    {
        if (!Unseal(offsetIndex, OffsetIndexMagic, OffsetFooterBytes, out var offsetBody) || !Unseal(timeIndex, TimeIndexMagic, TimeFooterBytes, out var timeBody))
        {
            return null;
        }
        var f = offsetIndex[offsetBody.Length..];
        var footer = new SegmentFooter(
            BinaryPrimitives.ReadInt64LittleEndian(f),
            BinaryPrimitives.ReadInt64LittleEndian(f[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(f[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(f[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(f[32..]));
        int count = BinaryPrimitives.ReadInt32LittleEndian(f[40..]);
        var t = timeIndex[timeBody.Length..];
        int timeCount = BinaryPrimitives.ReadInt32LittleEndian(t[8..]);
        bool consistent = footer.BaseOffset == baseOffset
            && BinaryPrimitives.ReadInt64LittleEndian(t) == baseOffset
            && BinaryPrimitives.ReadUInt32LittleEndian(f[44..]) == FormatVersion
            && BinaryPrimitives.ReadUInt32LittleEndian(t[12..]) == FormatVersion
            && count >= 0 && (long)count * OffsetEntryBytes == offsetBody.Length
            && timeCount >= 0 && (long)timeCount * TimeEntryBytes == timeBody.Length
            && footer.NextOffset >= baseOffset && footer.SizeBytes is >= 0 and <= int.MaxValue;
        if (!consistent)
        {
            return null;
        }
        var index = new SegmentIndex();
        for (int i = 0; i < count; i++)
        {
            int relative = BinaryPrimitives.ReadInt32LittleEndian(offsetBody[(i * OffsetEntryBytes)..]);
            int position = BinaryPrimitives.ReadInt32LittleEndian(offsetBody[(i * OffsetEntryBytes + 4)..]);
            bool ascending = index._count == 0 || (relative > index._relativeOffsets[index._count - 1] && position > index._positions[index._count - 1]);
            if (!ascending || relative < 0 || position < 0 || position >= footer.SizeBytes || baseOffset + relative >= footer.NextOffset)
            {
                return null;
            }
            Append(ref index._relativeOffsets, ref index._positions, ref index._count, relative, position);
        }
        for (int i = 0; i < timeCount; i++)
        {
            long timestamp = BinaryPrimitives.ReadInt64LittleEndian(timeBody[(i * TimeEntryBytes)..]);
            int relative = BinaryPrimitives.ReadInt32LittleEndian(timeBody[(i * TimeEntryBytes + 8)..]);
            if ((index._timeCount > 0 && timestamp <= index._timestamps[index._timeCount - 1]) || relative < 0 || baseOffset + relative >= footer.NextOffset)
            {
                return null;
            }
            Append(ref index._timestamps, ref index._timeRelativeOffsets, ref index._timeCount, timestamp, relative);
        }
        // Resume as if the batches had been added one by one (only the sparseness of later entries depends on it).
        index._bytesSinceEntry = footer.SizeBytes - (count > 0 ? index._positions[count - 1] : 0);
        index._runningMaxTimestamp = footer.MaxTimestampMs;
        index._runningMaxRelativeOffset = timeCount > 0 ? index._timeRelativeOffsets[timeCount - 1] : 0;
        return (index, footer);
    }

    private static void Seal(Span<byte> file, ulong magic)
    {
        int crcAt = file.Length - 12;
        BinaryPrimitives.WriteUInt32LittleEndian(file[crcAt..], Crc32C.Mask(Crc32C.Compute(file[..crcAt])));
        BinaryPrimitives.WriteUInt64LittleEndian(file[(crcAt + 4)..], magic);
    }

    private static bool Unseal(ReadOnlySpan<byte> file, ulong magic, int footerBytes, out ReadOnlySpan<byte> body)
    {
        body = default;
        if (file.Length < footerBytes)
        {
            return false;
        }
        int crcAt = file.Length - 12;
        if (BinaryPrimitives.ReadUInt64LittleEndian(file[(crcAt + 4)..]) != magic
            || Crc32C.ReadMasked(file[crcAt..]) != Crc32C.Compute(file[..crcAt]))
        {
            return false;
        }
        body = file[..(file.Length - footerBytes)];
        return true;
    }

    private static void Append<TKey>(ref TKey[] keys, ref int[] values, ref int count, TKey key, int value)
    {
        if (count == keys.Length)
        {
            Array.Resize(ref keys, count * 2);
            Array.Resize(ref values, count * 2);
        }
        keys[count] = key;
        values[count] = value;
        count++;
    }
}
