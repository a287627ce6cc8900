namespace Tusk.Streams.Groups;

/// <summary>A group's committed position in one partition, as OffsetCommit stores it and OffsetFetch returns it.</summary>
/// <param name="Offset">The next offset the group will consume.</param>
/// <param name="LeaderEpoch">The leader epoch the client reported (OffsetCommit v6+), or -1.</param>
/// <param name="Metadata">The client's metadata string ("" when it sent none).</param>
/// <param name="CommitTimestampMs">The coordinator's time when the commit was accepted (drives retention).</param>
public readonly record struct CommittedOffset(long Offset, int LeaderEpoch, string Metadata, long CommitTimestampMs);
