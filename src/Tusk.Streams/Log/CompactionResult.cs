namespace Tusk.Streams.Log;

/// <summary>What one <see cref="PartitionLog.Compact"/> call did.</summary>
/// <param name="BytesMapped">Bytes of segments read to learn the newest offset of each key.</param>
/// <param name="BytesCleaned">Bytes of segments read by the rewrite pass.</param>
/// <param name="BytesWritten">Bytes of the rewritten (<c>.cleaned</c>) segments installed.</param>
/// <param name="SegmentsRewritten">Segments replaced by a smaller copy.</param>
/// <param name="RecordsRemoved">Records dropped because a newer record has the same key (or they had no key).</param>
/// <param name="TombstonesRemoved">Tombstones dropped after <see cref="PartitionLogOptions.DeleteRetentionMs"/>.</param>
/// <param name="MoreWork">True when another call would do more: a round is in progress or closed segments remain unmapped. A host calls again (later) while it is true.</param>
public readonly record struct CompactionResult(
    long BytesMapped,
    long BytesCleaned,
    long BytesWritten,
    int SegmentsRewritten,
    long RecordsRemoved,
    long TombstonesRemoved,
    bool MoreWork);
