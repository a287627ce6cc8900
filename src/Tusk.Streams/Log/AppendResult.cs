using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Log;

/// <summary>
/// The outcome of <see cref="PartitionLog.Append"/>. On success the batches are in the log and visible to reads, but
/// not yet durable: the host acknowledges an acks=-1 produce only once <see cref="PartitionLog.SyncedOffset"/> ≥
/// <see cref="EndOffset"/> (when flush.messages asks for it).
/// </summary>
/// <param name="Error"><see cref="ErrorCode.None"/>, or why nothing was appended.</param>
/// <param name="BaseOffset">Offset of the first record appended (for a retried duplicate: of the original); -1 on error.</param>
/// <param name="EndOffset">Offset after the last record appended (for a duplicate: after the original batch); the durability target. -1 on error.</param>
/// <param name="LogAppendTimeMs">Always -1: the log keeps producers' create times (Kafka's answer for CreateTime topics).</param>
/// <param name="LogStartOffset">The log start offset when the append ran (produce response v5+).</param>
/// <param name="IsDuplicate">True when an idempotent producer's retry matched a batch already in the log; nothing was appended.</param>
/// <param name="ErrorMessage">A message for the produce response, or null.</param>
public readonly record struct AppendResult(
    ErrorCode Error,
    long BaseOffset,
    long EndOffset,
    long LogAppendTimeMs,
    long LogStartOffset,
    bool IsDuplicate,
    string? ErrorMessage)
{
    internal static AppendResult Failed(ErrorCode error, string? message, long logStartOffset) =>
        new(error, -1, -1, -1, logStartOffset, false, message);
}
