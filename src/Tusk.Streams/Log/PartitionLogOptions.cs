namespace Tusk.Streams.Log;

/// <summary>What a partition does with old data (Kafka's <c>cleanup.policy</c>; both may be set, as "compact,delete").</summary>
[Flags]
public enum CleanupPolicy
{
    /// <summary><c>delete</c>: whole old segments are dropped by <see cref="PartitionLogOptions.RetentionMs"/> and <see cref="PartitionLogOptions.RetentionBytes"/>.</summary>
    Delete = 1,

    /// <summary><c>compact</c>: closed segments keep only the newest record per key; records must have keys.</summary>
    Compact = 2,
}

/// <summary>
/// Limits and policies of one <see cref="PartitionLog"/>, named after Kafka's topic configs. Validated by
/// <see cref="Validate"/> (called by <see cref="PartitionLog.Open"/>); immutable once the log is open.
/// </summary>
public sealed record PartitionLogOptions
{
    /// <summary>Smallest <see cref="SegmentBytes"/>: one batch header.</summary>
    public const int SegmentBytesMin = BatchHeader.HeaderBytes;

    /// <summary>Largest <see cref="SegmentBytes"/>: index entries hold file positions as int32.</summary>
    public const int SegmentBytesMax = int.MaxValue;

    /// <summary>
    /// <c>segment.bytes</c>: a new segment starts when an append would make the active one larger than this.
    /// An append (all of its batches) larger than this is refused with RECORD_LIST_TOO_LARGE.
    /// </summary>
    public int SegmentBytes { get; init; } = 1 << 30;

    /// <summary><c>segment.ms</c>: a new segment starts when the active one received its first batch this long ago, so time retention can drop quiet data.</summary>
    public long SegmentMs { get; init; } = 7L * 24 * 3600 * 1000;

    /// <summary>
    /// <c>index.interval.bytes</c>: bytes of batches between two offset-index entries. A read scans at most about
    /// this much batch headers after its index lookup; memory per segment is about 20 × segment bytes / this.
    /// </summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary><c>retention.ms</c>: closed segments whose largest timestamp is older than this are deleted; -1 keeps them forever.</summary>
    public long RetentionMs { get; init; } = 7L * 24 * 3600 * 1000;

    /// <summary><c>retention.bytes</c>: oldest closed segments are deleted while the partition stays at least this large without them; -1 = no limit.</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary><c>cleanup.policy</c>.</summary>
    public CleanupPolicy CleanupPolicy { get; init; } = CleanupPolicy.Delete;

    /// <summary>
    /// <c>delete.retention.ms</c>: a tombstone (null value) survives compaction at least this long after the last
    /// append to its segment, so consumers that are behind still see the deletion.
    /// </summary>
    public long DeleteRetentionMs { get; init; } = 24L * 3600 * 1000;

    /// <summary><c>max.message.bytes</c>: the largest record batch accepted (MESSAGE_TOO_LARGE beyond it).</summary>
    public int MaxBatchBytes { get; init; } = 1_048_588;

    /// <summary>
    /// <c>flush.messages</c>: read by the host, not the log. 1 means every batch is fsynced (<see cref="PartitionLog.Sync"/>)
    /// before an acks=-1 produce is answered; larger values let the host sync less often.
    /// </summary>
    public long FlushMessages { get; init; } = 1;

    /// <summary><c>flush.ms</c>: read by the host: the longest time appended data may stay unsynced.</summary>
    public long FlushMs { get; init; } = long.MaxValue;

    /// <summary><c>producer.id.expiration.ms</c>: idempotence state of a producer silent this long is dropped by <see cref="PartitionLog.ApplyRetention"/>.</summary>
    public long ProducerIdExpirationMs { get; init; } = 24L * 3600 * 1000;

    /// <summary>
    /// Bytes one <see cref="PartitionLog.Compact"/> call reads (to map keys, or to rewrite segments); it always
    /// finishes the segment it is in, so a call does at most this plus one segment of work. The key map of a
    /// round holds the keys of at most this many bytes of records.
    /// </summary>
    public long CompactionBytesPerRun { get; init; } = 64L << 20;

    /// <summary>The partition leader epoch written into every appended batch (0 on one node).</summary>
    public int PartitionLeaderEpoch { get; init; }

    /// <summary>Receives a line for each notable recovery or maintenance event (a cut torn tail, a rebuilt index, deleted segments); null to ignore.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Check(SegmentBytes is >= SegmentBytesMin and <= SegmentBytesMax, nameof(SegmentBytes), "segment.bytes", SegmentBytes);
        Check(SegmentMs >= 1, nameof(SegmentMs), "segment.ms", SegmentMs);
        Check(IndexIntervalBytes >= 0, nameof(IndexIntervalBytes), "index.interval.bytes", IndexIntervalBytes);
        Check(RetentionMs >= -1, nameof(RetentionMs), "retention.ms", RetentionMs);
        Check(RetentionBytes >= -1, nameof(RetentionBytes), "retention.bytes", RetentionBytes);
        Check(CleanupPolicy != 0 && (CleanupPolicy & ~(CleanupPolicy.Delete | CleanupPolicy.Compact)) == 0, nameof(CleanupPolicy), "cleanup.policy", (long)CleanupPolicy);
        Check(DeleteRetentionMs >= 0, nameof(DeleteRetentionMs), "delete.retention.ms", DeleteRetentionMs);
        Check(MaxBatchBytes >= BatchHeader.HeaderBytes, nameof(MaxBatchBytes), "max.message.bytes", MaxBatchBytes);
        Check(FlushMessages >= 1, nameof(FlushMessages), "flush.messages", FlushMessages);
        Check(FlushMs >= 0, nameof(FlushMs), "flush.ms", FlushMs);
        Check(ProducerIdExpirationMs >= 1, nameof(ProducerIdExpirationMs), "producer.id.expiration.ms", ProducerIdExpirationMs);
        Check(CompactionBytesPerRun >= 1, nameof(CompactionBytesPerRun), "compaction bytes per run", CompactionBytesPerRun);
        Check(PartitionLeaderEpoch >= 0, nameof(PartitionLeaderEpoch), "partition leader epoch", PartitionLeaderEpoch);
    }

    private static void Check(bool ok, string property, string kafkaName, long value)
    {
        if (!ok)
        {
            throw new ArgumentException($"PartitionLogOptions.{property} ({kafkaName}) = {value} is out of range", property);
        }
    }
}
