namespace Tusk.Streams.Groups;

/// <summary>
/// One durable offset record: the key (group, topic, partition) and its new value, or null for a tombstone
/// (the offset expired and must be deleted). The host stores these under an order-preserving key and hands
/// them back to <see cref="GroupCoordinator.LoadOffsets"/> at startup, in the order they were written.
/// </summary>
/// <param name="GroupId">The group.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Value">The committed offset, or null to delete the key.</param>
public readonly record struct OffsetRecord(string GroupId, string Topic, int Partition, CommittedOffset? Value);
