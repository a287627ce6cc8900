using System.Buffers;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Copies whole batches, starting with the batch that contains <paramref name="offset"/> (or the first batch
    /// after it, where compaction removed it), into <paramref name="destination"/> verbatim. Returns at most
    /// <paramref name="maxBytes"/> bytes, except that the first batch is always returned whole (Kafka's rule, so a
    /// consumer always progresses) when it fits in <paramref name="destination"/>; when it does not,
    /// <see cref="ReadResult.RequiredBytes"/> says how large a buffer is needed. Reads one segment per call.
    ///
    /// Every batch returned is verified (magic, CRC32C, increasing offsets) after the copy; damage raises
    /// <see cref="CorruptionException"/> naming the segment and byte position. <see cref="ErrorCode.OffsetOutOfRange"/>
    /// when <paramref name="offset"/> is outside [<see cref="LogStartOffset"/>, <see cref="LogEndOffset"/>]; reading at
    /// the log end returns nothing. Runs concurrently with appends and other reads; uses no buffer but the caller's.
    /// </summary>
    /// <param name="offset">The first offset wanted.</param>
    /// <param name="maxBytes">The byte budget (Kafka's partition max bytes).</param>
    /// <param name="destination">Where batches are copied; bytes past <see cref="ReadResult.BytesWritten"/> are unspecified.</param>
    /// <param name="maxOffset">Only batches whose offsets are all below this are returned (e.g. <see cref="SyncedOffset"/>
    /// to serve only durable data); the log end offset by default.</param>
    public ReadResult Read(long offset, int maxBytes, Span<byte> destination, long maxOffset = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        LogSegment? segment;
        long position = 0, end = 0, highWatermark, logStartOffset;
        lock (_mu)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            highWatermark = _logEndOffset;
            logStartOffset = _logStartOffset;
            if (offset < logStartOffset || offset > highWatermark)
            {
                return new ReadResult(ErrorCode.OffsetOutOfRange, 0, offset, 0, highWatermark, logStartOffset);
            }
            segment = offset < Math.Min(highWatermark, maxOffset) ? AcquireLocked(FindSegmentLocked(offset), offset, out position, out end) : null;
        }
        long limit = Math.Min(highWatermark, maxOffset);
        while (segment is not null)
        {
            long segmentBase = segment.BaseOffset;
            try
            {
                if (FindBatch(segment, offset, position, end, out var header, out long at))
                {
                    if (header.LastOffset >= limit)
                    {
                        break;
                    }
                    return CopyBatches(segment, offset, at, end, header, maxBytes, destination, limit, highWatermark, logStartOffset);
                }
            }
            finally
            {
                segment.Release();
            }
            lock (_mu)
            {
                // Nothing at or after offset in that segment (compaction removed its tail): the next segment starts later.
                ObjectDisposedException.ThrowIf(_disposed, this);
                int next = FirstSegmentAfterLocked(segmentBase);
                segment = next < _segments.Count && _segments[next].BaseOffset < limit ? AcquireLocked(next, offset, out position, out end) : null;
            }
        }
        return new ReadResult(ErrorCode.None, 0, offset, 0, highWatermark, logStartOffset);
    }

    /// <summary>
    /// The first offset whose record timestamp is ≥ <paramref name="timestampMs"/> (Kafka ListOffsets by time), or
    /// null when every record is older. Finds the first segment whose largest timestamp reaches it, jumps through
    /// the time and offset indexes, scans batch headers to the first batch whose max timestamp reaches it, then that
    /// batch's records. A compressed batch (its records are opaque here) answers with its base offset. The special
    /// timestamps -1 (latest) and -2 (earliest) are the caller's to handle.
    /// </summary>
    public long? OffsetForTimestamp(long timestampMs)
    {
        long afterBase = long.MinValue;
        while (true)
        {
            LogSegment? segment = null;
            long position = 0, end = 0;
            lock (_mu)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                foreach (var candidate in _segments)
                {
                    if (candidate.BaseOffset > afterBase && candidate.SizeBytes > 0 && candidate.MaxTimestampMs >= timestampMs)
                    {
                        segment = candidate;
                        break;
                    }
                }
                if (segment is null)
                {
                    return null;
                }
                Invariant.Check(segment.TryAcquire(), "a listed segment is referenced");
                position = segment.Index.LookupPosition(segment.Index.LookupTimestamp(timestampMs));
                end = segment.SizeBytes;
            }
            try
            {
                long? found = FindTimestamp(segment, position, end, timestampMs);
                if (found is not null)
                {
                    return found;
                }
            }
            finally
            {
                segment.Release();
            }
            afterBase = segment.BaseOffset;
        }
    }

    /// <summary>Index of the first segment whose base is above <paramref name="baseOffset"/> (the count when none is). Caller holds _mu.</summary>
    private int FirstSegmentAfterLocked(long baseOffset)
    {
        int i = 0;
        while (i < _segments.Count && _segments[i].BaseOffset <= baseOffset)
        {
            i++;
        }
        return i;
    }

    /// <summary>Pins segment <paramref name="index"/> and finds where to scan for <paramref name="offset"/>. Caller holds _mu.</summary>
    private LogSegment AcquireLocked(int index, long offset, out long position, out long end)
    {
        var segment = _segments[index];
        Invariant.Check(segment.TryAcquire(), "a listed segment is referenced");
        position = offset > segment.BaseOffset ? segment.Index.LookupPosition(offset - segment.BaseOffset) : 0;
        end = segment.SizeBytes;
        return segment;
    }

    /// <summary>Scans batch headers from <paramref name="position"/> for the first batch whose last offset is ≥ <paramref name="offset"/>.</summary>
    private static bool FindBatch(LogSegment segment, long offset, long position, long end, out BatchHeader header, out long at)
    {
        Span<byte> bytes = stackalloc byte[BatchHeader.HeaderBytes];
        while (position < end)
        {
            header = ReadHeaderAt(segment, position, end, bytes);
            if (header.LastOffset >= offset)
            {
                at = position;
                return true;
            }
            position += header.TotalBytes;
        }
        header = default;
        at = -1;
        return false;
    }

    /// <summary>Reads the header at a batch boundary of a segment, checking it is plausible.</summary>
    private static BatchHeader ReadHeaderAt(LogSegment segment, long position, long end, Span<byte> bytes)
    {
        segment.Handle.ReadExactly(position, bytes);
        var header = BatchHeader.Read(bytes);
        if (!BatchHeader.LooksLikeHeader(bytes) || position + header.TotalBytes > end)
        {
            CorruptionException.Throw(segment.Path, position, "no valid batch header where the index or the previous batch points");
        }
        return header;
    }

    private static ReadResult CopyBatches(LogSegment segment, long offset, long at, long end, in BatchHeader first, int maxBytes, Span<byte> destination,
        long limit, long highWatermark, long logStartOffset)
    {
        int firstBytes = (int)first.TotalBytes;
        if (firstBytes > destination.Length)
        {
            return new ReadResult(ErrorCode.None, 0, offset, firstBytes, highWatermark, logStartOffset);
        }
        int budget = Math.Max(firstBytes, Math.Min(maxBytes, destination.Length));
        int length = (int)Math.Min(budget, end - at);
        segment.Handle.ReadExactly(at, destination[..length]);
        int copied = 0;
        long previousLast = -1;
        long next = first.BaseOffset;
        while (length - copied >= BatchHeader.HeaderBytes)
        {
            var batch = destination[copied..length];
            var header = BatchHeader.Read(batch);
            if (!BatchHeader.LooksLikeHeader(batch))
            {
                CorruptionException.Throw(segment.Path, at + copied, "no valid batch header where the previous batch ends");
            }
            if (header.TotalBytes > batch.Length || header.LastOffset >= limit)
            {
                break;
            }
            if (!BatchHeader.IsIntact(batch[..(int)header.TotalBytes]))
            {
                CorruptionException.Throw(segment.Path, at + copied, $"batch at offset {header.BaseOffset} fails its CRC");
            }
            if (header.BaseOffset <= previousLast)
            {
                CorruptionException.Throw(segment.Path, at + copied, $"batch base offset {header.BaseOffset} does not follow the previous batch's last offset {previousLast}");
            }
            previousLast = header.LastOffset;
            next = header.NextOffset;
            copied += (int)header.TotalBytes;
        }
        Invariant.Check(copied >= firstBytes, "the first batch is always returned whole");
        return new ReadResult(ErrorCode.None, copied, next, 0, highWatermark, logStartOffset);
    }

    /// <summary>Scans a segment for the first record with timestamp ≥ <paramref name="timestampMs"/>.</summary>
    private static long? FindTimestamp(LogSegment segment, long position, long end, long timestampMs)
    {
        Span<byte> bytes = stackalloc byte[BatchHeader.HeaderBytes];
        while (position < end)
        {
            var header = ReadHeaderAt(segment, position, end, bytes);
            if (header.MaxTimestamp >= timestampMs)
            {
                if (header.Compression != 0 || header.IsLogAppendTime)
                {
                    return header.BaseOffset;
                }
                long? found = FindTimestampInBatch(segment, position, header, timestampMs);
                if (found is not null)
                {
                    return found;
                }
            }
            position += header.TotalBytes;
        }
        return null;
    }

    private static long? FindTimestampInBatch(LogSegment segment, long position, in BatchHeader header, long timestampMs)
    {
        int size = (int)header.TotalBytes;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size); // one batch, ≤ max.message.bytes: a rare request
        try
        {
            var batch = buffer.AsSpan(0, size);
            segment.Handle.ReadExactly(position, batch);
            if (!BatchHeader.IsIntact(batch))
            {
                CorruptionException.Throw(segment.Path, position, $"batch at offset {header.BaseOffset} fails its CRC");
            }
            var reader = new RecordReader(batch);
            for (int i = 0; i < header.RecordCount; i++)
            {
                if (!reader.TryNext(out var record, out string? error))
                {
                    CorruptionException.Throw(segment.Path, position, $"batch at offset {header.BaseOffset}: {error}");
                }
                if (header.BaseTimestamp + record.TimestampDelta >= timestampMs)
                {
                    return header.BaseOffset + record.OffsetDelta;
                }
            }
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
