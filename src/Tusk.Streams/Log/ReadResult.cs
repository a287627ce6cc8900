using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Log;

/// <summary>The outcome of <see cref="PartitionLog.Read"/>.</summary>
/// <param name="Error"><see cref="ErrorCode.None"/> or <see cref="ErrorCode.OffsetOutOfRange"/>.</param>
/// <param name="BytesWritten">Bytes of whole, verified batches written at the start of the destination (0: nothing to return).</param>
/// <param name="NextOffset">The offset after the last batch returned (the offset to read next); the requested offset when nothing was returned.</param>
/// <param name="RequiredBytes">When the first batch is larger than the destination: its size, so the caller can retry with a larger buffer; else 0.</param>
/// <param name="HighWatermark">The log end offset when the read started.</param>
/// <param name="LogStartOffset">The log start offset when the read started.</param>
public readonly record struct ReadResult(
    ErrorCode Error,
    int BytesWritten,
    long NextOffset,
    int RequiredBytes,
    long HighWatermark,
    long LogStartOffset);
