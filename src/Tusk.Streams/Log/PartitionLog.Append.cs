using System.Buffers;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Validates and appends record batches (one or more v2 batches back to back, as a produce request carries
    /// them), assigning offsets from <see cref="LogEndOffset"/>. Either every batch is appended or none is.
    ///
    /// Checks, with Kafka's error codes: structure, magic and CRC (CORRUPT_MESSAGE, UNSUPPORTED_FOR_MESSAGE_FORMAT),
    /// sizes (MESSAGE_TOO_LARGE per batch against max.message.bytes, RECORD_LIST_TOO_LARGE for the whole append
    /// against segment.bytes), record structure and keys on compacted topics (INVALID_RECORD), compression
    /// (UNSUPPORTED_COMPRESSION_TYPE where the records must be read), idempotence (OUT_OF_ORDER_SEQUENCE_NUMBER,
    /// INVALID_PRODUCER_EPOCH; a retried duplicate returns the original offsets, appends nothing, and
    /// <see cref="AppendResult.IsDuplicate"/> is set). An idempotent batch must be appended alone.
    ///
    /// The batches are written with one system call but not synced: see <see cref="Sync"/>. Throws
    /// <see cref="IOException"/> when the write fails (the log then refuses further appends) or failed before.
    /// </summary>
    /// <param name="batches">The batches; not modified (the log stamps offsets into its own copy).</param>
    /// <param name="nowMs">Host time: starts segment.ms and the tombstone horizon.</param>
    public AppendResult Append(ReadOnlySpan<byte> batches, long nowMs)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(batches.Length);
        try
        {
            var bytes = buffer.AsSpan(0, batches.Length);
            batches.CopyTo(bytes);
            return AppendInPlace(bytes, nowMs);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// <see cref="Append"/> without the copy: stamps the assigned base offsets and the leader epoch into
    /// <paramref name="batches"/> itself (fields outside the CRC) and writes them from there. For a host that owns
    /// the request's buffer and discards it afterwards (the Kafka broker's produce path).
    /// </summary>
    public AppendResult AppendInPlace(Span<byte> batches, long nowMs)
    {
        var error = BatchValidator.Validate(batches, _options, out var validated, out string? message);
        if (error != ErrorCode.None)
        {
            return AppendResult.Failed(error, message, LogStartOffset);
        }
        // Appends run one at a time (offsets and file positions are assigned in order). The write system call runs
        // outside _mu, so reads, syncs and maintenance do not wait for it; only the next append does.
        lock (_appendMu)
        {
            PreparedAppend prepared;
            lock (_mu)
            {
                var early = PrepareLocked(batches, validated, nowMs, out prepared);
                if (early is { } answer)
                {
                    return answer;
                }
            }
            var active = prepared.Segment;
            try
            {
                active.Handle.WriteAt(prepared.Position, batches);
                if (_options.FlushMessages == 1)
                {
                    // Fsynced per batch: start the device write now, so the fsync that follows (often while the next
                    // batches arrive) finds most of it written.
                    active.Handle.StartWriteback(prepared.Position, batches.Length);
                }
            }
            catch (IOException e)
            {
                lock (_mu)
                {
                    if (validated.HasProducerId)
                    {
                        _producers.Restore(prepared.ProducerId, prepared.PreviousProducerState);
                    }
                    _failure ??= e; // part of the batch may be on disk past SizeBytes: stop until recovery cuts it
                }
                active.Release();
                throw;
            }
            lock (_mu)
            {
                PublishLocked(batches, prepared, nowMs);
            }
            active.Release();
            return new AppendResult(ErrorCode.None, prepared.BaseOffset, prepared.EndOffset, -1, LogStartOffset, false, null);
        }
    }

    /// <summary>What <see cref="PrepareLocked"/> reserved for an append: where it goes and what it replaced.</summary>
    private readonly record struct PreparedAppend(
        LogSegment Segment, long Position, long BaseOffset, long EndOffset, long ProducerId, ProducerStateTable.Entry? PreviousProducerState);

    /// <summary>
    /// Checks idempotence, rolls the segment if needed, assigns the offsets and stamps them into
    /// <paramref name="bytes"/>, records the producer's batch, and pins the active segment for the write. Returns an
    /// answer when the append ends here (refused, or a retried duplicate). Caller holds _appendMu and _mu;
    /// <paramref name="bytes"/> passed <see cref="BatchValidator"/>.
    /// </summary>
    private AppendResult? PrepareLocked(Span<byte> bytes, ValidatedAppend validated, long nowMs, out PreparedAppend prepared)
    {
        prepared = default;
        ThrowIfUnusableLocked();
        BatchHeader first = BatchHeader.Read(bytes);
        if (validated.HasProducerId)
        {
            var code = _producers.Check(first, out var duplicate, out string? message);
            if (code != ErrorCode.None)
            {
                return AppendResult.Failed(code, message, _logStartOffset);
            }
            if (duplicate is { } original)
            {
                // The original may still be unsynced: the host waits for its end offset like for a new append.
                return new AppendResult(ErrorCode.None, original.BaseOffset, original.EndOffset, -1, _logStartOffset, true, null);
            }
        }
        try
        {
            MaybeRollLocked(bytes.Length, validated.OffsetCount, nowMs);
        }
        catch (IOException e)
        {
            _failure ??= e;
            throw;
        }
        long baseOffset = _logEndOffset;
        // Rolled (or not) before recording the producer: a roll snapshots the state below the new segment.
        ProducerStateTable.Entry? previous = validated.HasProducerId ? _producers.Apply(first, baseOffset) : null;
        var active = _segments[^1];
        Invariant.Check(active.TryAcquire(), "the active segment is listed");
        long offset = baseOffset;
        for (int at = 0; at < bytes.Length;)
        {
            var header = BatchHeader.Read(bytes[at..]);
            BatchHeader.Stamp(bytes[at..], offset, _options.PartitionLeaderEpoch);
            offset += header.LastOffsetDelta + 1L;
            at += (int)header.TotalBytes;
        }
        prepared = new PreparedAppend(active, active.SizeBytes, baseOffset, offset, first.ProducerId, previous);
        return null;
    }

    /// <summary>Makes a written append visible: the segment's index and size, then the log end offset. Caller holds _appendMu and _mu.</summary>
    private void PublishLocked(ReadOnlySpan<byte> bytes, in PreparedAppend prepared, long nowMs)
    {
        var active = prepared.Segment;
        Invariant.Check(active == _segments[^1] && active.SizeBytes == prepared.Position, "nothing else appends while an append writes");
        for (int at = 0; at < bytes.Length;)
        {
            var header = BatchHeader.Read(bytes[at..]);
            active.OnBatch(header, prepared.Position + at, _options.IndexIntervalBytes);
            at += (int)header.TotalBytes;
        }
        if (active.FirstAppendMs < 0)
        {
            active.FirstAppendMs = nowMs;
        }
        active.LastAppendMs = nowMs;
        Invariant.Check(active.NextOffset == prepared.EndOffset, "offsets assigned must match the batches written");
        Volatile.Write(ref _logEndOffset, prepared.EndOffset);
    }

    /// <summary>
    /// Starts a new segment when the active one is non-empty and the append would overflow segment.bytes, the
    /// segment is older than segment.ms, or its relative offsets would overflow int32. Caller holds _mu.
    /// </summary>
    private void MaybeRollLocked(int appendBytes, long offsetCount, long nowMs)
    {
        var active = _segments[^1];
        if (active.SizeBytes == 0)
        {
            return; // an empty segment takes any append that passed validation (≤ segment.bytes)
        }
        bool full = active.SizeBytes + appendBytes > _options.SegmentBytes;
        bool old = active.FirstAppendMs >= 0 && nowMs - active.FirstAppendMs >= _options.SegmentMs;
        bool offsetsOverflow = _logEndOffset + offsetCount - 1 - active.BaseOffset > int.MaxValue;
        if (full || old || offsetsOverflow)
        {
            RollLocked();
        }
    }

    /// <summary>
    /// Creates the next segment at the log end offset. No fsync here (the lock is held): the closed segment is
    /// queued for <see cref="Sync"/>, which fsyncs it and then writes its index files and the producer snapshot
    /// at its end. Caller holds _mu.
    /// </summary>
    private void RollLocked()
    {
        var closing = _segments[^1];
        long baseOffset = _logEndOffset;
        Invariant.Check(closing.NextOffset == baseOffset, "the active segment ends at the log end offset");
        string path = LogFiles.PathOf(_directory, baseOffset, LogFiles.LogSuffix);
        var file = _fs.Open(path, FileOpenMode.CreateNew);
        _pendingCloses.Add(new PendingClose(closing, _producers.Serialize(baseOffset)));
        Volatile.Write(ref _pendingCloseCount, _pendingCloses.Count);
        _segments.Add(new LogSegment(baseOffset, path, file, new SegmentIndex()));
    }
}
