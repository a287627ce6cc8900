namespace Tusk.Streams.Groups;

/// <summary>
/// A batch of offset records the host must make durable, then acknowledge with
/// <see cref="GroupCoordinator.CompleteCommit"/> (or <see cref="GroupCoordinator.FailCommit"/>) quoting
/// <see cref="CommitId"/>. Ordering contract: commit ids increase in the order
/// <see cref="GroupCoordinator.TakeOffsetsToPersist"/> hands batches out, and the host must persist batches so
/// that on recovery a record from a higher commit id wins over one from a lower id for the same key (writing
/// them in hand-out order to one log or one ordered key space does this). Completions may arrive in any order.
/// </summary>
/// <param name="CommitId">The batch's id, unique and increasing for the coordinator's lifetime.</param>
/// <param name="Records">The records, in the order they were committed.</param>
public sealed record OffsetWrite(long CommitId, IReadOnlyList<OffsetRecord> Records);
