using System.Buffers.Binary;
using Tusk.Core;
using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Log;

/// <summary>One batch an idempotent producer appended: what a retry is matched against.</summary>
internal readonly record struct ProducerBatch(int FirstSequence, int LastSequence, long BaseOffset, int LastOffsetDelta)
{
    public long EndOffset => BaseOffset + LastOffsetDelta + 1;
}

/// <summary>
/// Idempotent-producer state of one partition (Kafka's ProducerStateManager, without transactions): per producer
/// id, its epoch, the time of its last batch and its last <see cref="BatchesRetainedMax"/> batches.
///
/// Rules (checked in this order for a batch with producer id ≥ 0): an epoch below the current one is
/// INVALID_PRODUCER_EPOCH; a batch whose (first, last) sequence equals one of the retained batches of the same epoch
/// is a duplicate (the original offsets are returned, nothing is appended); a higher epoch must start at
/// sequence 0; within an epoch the first sequence must follow the last one (wrapping at int.MaxValue), else
/// OUT_OF_ORDER_SEQUENCE_NUMBER. A producer with no state (new, or expired) may start at any sequence.
///
/// Snapshot file <c>{offset:D20}.snapshot</c> (little-endian): [magic "TUSKPST1" u64][offset i64][producers i32],
/// per producer [id i64][epoch i16][last timestamp i64][batches u8] and per batch [first seq i32][last seq i32]
/// [base offset i64][last offset delta i32], then [masked CRC32C of all earlier bytes u32]. It holds the state
/// after every batch below <c>offset</c>.
///
/// Not thread-safe: guarded by the owning log's lock. Memory: about 150 bytes per producer; producers expire after
/// <see cref="PartitionLogOptions.ProducerIdExpirationMs"/> without a batch.
/// </summary>
internal sealed class ProducerStateTable
{
    /// <summary>Batches kept per producer (Kafka's max.in.flight.requests.per.connection limit for idempotence).</summary>
    public const int BatchesRetainedMax = 5;

    private const ulong Magic = 0x31545350_4B535554; // "TUSKPST1" little-endian

    private readonly Dictionary<long, Entry> _entries = [];

    /// <summary>Producers with state.</summary>
    public int Count => _entries.Count;

    /// <summary>The state of one producer. Batches are oldest first.</summary>
    internal sealed class Entry
    {
        public short Epoch;
        public long LastTimestampMs;
        public readonly ProducerBatch[] Batches = new ProducerBatch[BatchesRetainedMax];
        public int BatchCount;

        public Entry Clone()
        {
            var copy = new Entry { Epoch = Epoch, LastTimestampMs = LastTimestampMs, BatchCount = BatchCount };
            Array.Copy(Batches, copy.Batches, BatchCount);
            return copy;
        }

        public void Add(ProducerBatch batch)
        {
            if (BatchCount == BatchesRetainedMax)
            {
                Array.Copy(Batches, 1, Batches, 0, BatchesRetainedMax - 1);
                BatchCount--;
            }
            Batches[BatchCount++] = batch;
        }
    }

    /// <summary>The state of <paramref name="producerId"/>, or null.</summary>
    public Entry? Find(long producerId) => _entries.GetValueOrDefault(producerId);

    /// <summary>
    /// Checks a batch of <paramref name="header"/>'s producer; on <see cref="ErrorCode.None"/> with
    /// <paramref name="duplicate"/> set the batch is a retry of that batch.
    /// </summary>
    public ErrorCode Check(in BatchHeader header, out ProducerBatch? duplicate, out string? message)
    {
        duplicate = null;
        message = null;
        if (!_entries.TryGetValue(header.ProducerId, out var entry))
        {
            return ErrorCode.None;
        }
        if (header.ProducerEpoch < entry.Epoch)
        {
            message = $"producer {header.ProducerId} epoch {header.ProducerEpoch} is older than the current epoch {entry.Epoch}";
            return ErrorCode.InvalidProducerEpoch;
        }
        int first = header.BaseSequence;
        int last = header.LastSequence;
        if (header.ProducerEpoch == entry.Epoch)
        {
            for (int i = 0; i < entry.BatchCount; i++)
            {
                if (entry.Batches[i].FirstSequence == first && entry.Batches[i].LastSequence == last)
                {
                    duplicate = entry.Batches[i];
                    return ErrorCode.None;
                }
            }
            int lastSequence = entry.BatchCount > 0 ? entry.Batches[entry.BatchCount - 1].LastSequence : -1;
            bool inSequence = entry.BatchCount == 0 || first == lastSequence + 1 || (first == 0 && lastSequence == int.MaxValue);
            if (!inSequence)
            {
                message = $"producer {header.ProducerId} sent sequence {first}, expected {BatchHeader.IncrementSequence(lastSequence, 1)}";
                return ErrorCode.OutOfOrderSequenceNumber;
            }
            return ErrorCode.None;
        }
        if (first != 0)
        {
            message = $"producer {header.ProducerId} began epoch {header.ProducerEpoch} at sequence {first}; a new epoch starts at 0";
            return ErrorCode.OutOfOrderSequenceNumber;
        }
        return ErrorCode.None;
    }

    /// <summary>
    /// Records a batch (checked, or replayed from the log) at <paramref name="baseOffset"/>. Returns the state it
    /// replaced (a copy) or null, so the caller can undo it with <see cref="Restore"/>.
    /// </summary>
    public Entry? Apply(in BatchHeader header, long baseOffset)
    {
        Entry? previous = null;
        if (_entries.TryGetValue(header.ProducerId, out var entry))
        {
            previous = entry.Clone();
            if (header.ProducerEpoch != entry.Epoch)
            {
                entry.Epoch = header.ProducerEpoch;
                entry.BatchCount = 0;
            }
        }
        else
        {
            entry = new Entry { Epoch = header.ProducerEpoch };
            _entries.Add(header.ProducerId, entry);
        }
        entry.LastTimestampMs = header.MaxTimestamp;
        entry.Add(new ProducerBatch(header.BaseSequence, header.LastSequence, baseOffset, header.LastOffsetDelta));
        return previous;
    }

    /// <summary>Undoes <see cref="Apply"/>: puts back <paramref name="previous"/> (null: the producer had no state).</summary>
    public void Restore(long producerId, Entry? previous)
    {
        if (previous is null)
        {
            _entries.Remove(producerId);
        }
        else
        {
            _entries[producerId] = previous;
        }
    }

    /// <summary>Drops producers whose last batch's timestamp is <paramref name="expirationMs"/> or more before <paramref name="nowMs"/>.</summary>
    public int RemoveExpired(long nowMs, long expirationMs)
    {
        List<long>? expired = null;
        foreach (var (id, entry) in _entries)
        {
            if (nowMs - entry.LastTimestampMs >= expirationMs)
            {
                (expired ??= []).Add(id);
            }
        }
        foreach (long id in expired ?? [])
        {
            _entries.Remove(id);
        }
        return expired?.Count ?? 0;
    }

    /// <summary>Encodes the snapshot file for the state after every batch below <paramref name="offset"/>.</summary>
    public byte[] Serialize(long offset)
    {
        var ids = new List<long>(_entries.Keys);
        ids.Sort(); // a stable byte image for a given state
        int size = 8 + 8 + 4 + 4;
        foreach (long id in ids)
        {
            size += 8 + 2 + 8 + 1 + _entries[id].BatchCount * 20;
        }
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], offset);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], ids.Count);
        int p = 20;
        foreach (long id in ids)
        {
            var entry = _entries[id];
            BinaryPrimitives.WriteInt64LittleEndian(span[p..], id);
            BinaryPrimitives.WriteInt16LittleEndian(span[(p + 8)..], entry.Epoch);
            BinaryPrimitives.WriteInt64LittleEndian(span[(p + 10)..], entry.LastTimestampMs);
            span[p + 18] = (byte)entry.BatchCount;
            p += 19;
            for (int i = 0; i < entry.BatchCount; i++)
            {
                var b = entry.Batches[i];
                BinaryPrimitives.WriteInt32LittleEndian(span[p..], b.FirstSequence);
                BinaryPrimitives.WriteInt32LittleEndian(span[(p + 4)..], b.LastSequence);
                BinaryPrimitives.WriteInt64LittleEndian(span[(p + 8)..], b.BaseOffset);
                BinaryPrimitives.WriteInt32LittleEndian(span[(p + 16)..], b.LastOffsetDelta);
                p += 20;
            }
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[p..], Crc32C.Mask(Crc32C.Compute(span[..p])));
        Invariant.Check(p + 4 == size, "snapshot size");
        return bytes;
    }

    /// <summary>Decodes a snapshot written for <paramref name="offset"/>; null when it fails any check.</summary>
    public static ProducerStateTable? TryDeserialize(ReadOnlySpan<byte> bytes, long offset)
    {
        if (bytes.Length < 24
            || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != Magic
            || BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]) != offset
            || Crc32C.ReadMasked(bytes[^4..]) != Crc32C.Compute(bytes[..^4]))
        {
            return null;
        }
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]);
        var table = new ProducerStateTable();
        int p = 20;
        int end = bytes.Length - 4;
        for (int n = 0; n < count; n++)
        {
            if (p + 19 > end)
            {
                return null;
            }
            long id = BinaryPrimitives.ReadInt64LittleEndian(bytes[p..]);
            var entry = new Entry
            {
                Epoch = BinaryPrimitives.ReadInt16LittleEndian(bytes[(p + 8)..]),
                LastTimestampMs = BinaryPrimitives.ReadInt64LittleEndian(bytes[(p + 10)..]),
            };
            int batches = bytes[p + 18];
            p += 19;
            if (batches > BatchesRetainedMax || p + batches * 20 > end || !table._entries.TryAdd(id, entry))
            {
                return null;
            }
            for (int i = 0; i < batches; i++)
            {
                entry.Add(new ProducerBatch(
                    BinaryPrimitives.ReadInt32LittleEndian(bytes[p..]),
                    BinaryPrimitives.ReadInt32LittleEndian(bytes[(p + 4)..]),
                    BinaryPrimitives.ReadInt64LittleEndian(bytes[(p + 8)..]),
                    BinaryPrimitives.ReadInt32LittleEndian(bytes[(p + 16)..])));
                p += 20;
            }
        }
        return p == end ? table : null;
    }
}
