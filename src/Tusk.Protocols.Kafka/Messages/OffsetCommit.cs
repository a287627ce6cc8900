namespace Tusk.Protocols.Kafka;

/// <summary>
/// OffsetCommit request (API key 8), classic versions v2-v7. Layout per Apache Kafka's OffsetCommitRequest.json:
/// <c>group_id STRING, generation_id INT32, member_id STRING, group_instance_id NULLABLE_STRING (v7+),
/// retention_time_ms INT64 (v2-v4), topics [name STRING, partitions [partition_index INT32, committed_offset INT64,
/// committed_leader_epoch INT32 (v6+), committed_metadata NULLABLE_STRING]]</c>.
/// </summary>
public sealed class OffsetCommitRequest
{
    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>The committing member's generation, or -1 for a commit outside group management.</summary>
    public int GenerationId { get; set; } = -1;

    /// <summary>The committing member's id, or "" outside group management.</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v7+: the static instance id, or null.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>v2-v4: requested retention (-1 = the broker's default); newer brokers ignore it, and so does Tusk.</summary>
    public long RetentionTimeMs { get; set; } = -1;

    /// <summary>The offsets to commit, by topic.</summary>
    public List<OffsetCommitRequestTopic> Topics { get; set; } = [];

    /// <summary>Parses the request body.</summary>
    public static OffsetCommitRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.OffsetCommit, version);
        var m = new OffsetCommitRequest
        {
            GroupId = r.ReadString(),
            GenerationId = r.ReadInt32(),
            MemberId = r.ReadString(),
        };
        if (version >= 7)
        {
            m.GroupInstanceId = r.ReadNullableString();
        }
        if (version <= 4)
        {
            m.RetentionTimeMs = r.ReadInt64();
        }
        int partitionBytesMin = 4 + 8 + (version >= 6 ? 4 : 0) + MessageCodec.StringBytesMin;
        int topicCount = MessageCodec.ReadCount(ref r, MessageCodec.StringBytesMin + 4, "OffsetCommit topics");
        m.Topics = new List<OffsetCommitRequestTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new OffsetCommitRequestTopic { Name = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, partitionBytesMin, "OffsetCommit partitions");
            topic.Partitions = new List<OffsetCommitRequestPartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                int index = r.ReadInt32();
                long offset = r.ReadInt64();
                int leaderEpoch = version >= 6 ? r.ReadInt32() : -1;
                topic.Partitions.Add(new OffsetCommitRequestPartition(index, offset, leaderEpoch, r.ReadNullableString()));
            }
            m.Topics.Add(topic);
        }
        return m;
    }

    /// <summary>Encodes the request body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.OffsetCommit, version);
        w.WriteString(GroupId);
        w.WriteInt32(GenerationId);
        w.WriteString(MemberId);
        if (version >= 7)
        {
            w.WriteNullableString(GroupInstanceId);
        }
        if (version <= 4)
        {
            w.WriteInt64(RetentionTimeMs);
        }
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            w.WriteArrayLength(topic.Partitions.Count);
            foreach (var p in topic.Partitions)
            {
                w.WriteInt32(p.PartitionIndex);
                w.WriteInt64(p.CommittedOffset);
                if (version >= 6)
                {
                    w.WriteInt32(p.CommittedLeaderEpoch);
                }
                w.WriteNullableString(p.CommittedMetadata);
            }
        }
    }
}

/// <summary>The offsets to commit for one topic.</summary>
public sealed class OffsetCommitRequestTopic
{
    /// <summary>The topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The partitions' offsets.</summary>
    public List<OffsetCommitRequestPartition> Partitions { get; set; } = [];
}

/// <summary>The offset to commit for one partition.</summary>
/// <param name="PartitionIndex">The partition.</param>
/// <param name="CommittedOffset">The next offset the group will consume.</param>
/// <param name="CommittedLeaderEpoch">v6+: the leader epoch of the last consumed record, or -1.</param>
/// <param name="CommittedMetadata">Client metadata kept with the offset, or null.</param>
public sealed record OffsetCommitRequestPartition(int PartitionIndex, long CommittedOffset, int CommittedLeaderEpoch, string? CommittedMetadata);

/// <summary>
/// OffsetCommit response, v2-v7: <c>throttle_time_ms INT32 (v3+), topics [name STRING, partitions
/// [partition_index INT32, error_code INT16]]</c>.
/// </summary>
public sealed class OffsetCommitResponse
{
    /// <summary>v3+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The result for each partition, by topic.</summary>
    public List<OffsetCommitResponseTopic> Topics { get; set; } = [];

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static OffsetCommitResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.OffsetCommit, version);
        var m = new OffsetCommitResponse();
        if (version >= 3)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        int topicCount = MessageCodec.ReadCount(ref r, MessageCodec.StringBytesMin + 4, "OffsetCommit topic results");
        m.Topics = new List<OffsetCommitResponseTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new OffsetCommitResponseTopic { Name = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, 6, "OffsetCommit partition results");
            topic.Partitions = new List<OffsetCommitResponsePartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                int index = r.ReadInt32();
                topic.Partitions.Add(new OffsetCommitResponsePartition(index, (ErrorCode)r.ReadInt16()));
            }
            m.Topics.Add(topic);
        }
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.OffsetCommit, version);
        if (version >= 3)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            w.WriteArrayLength(topic.Partitions.Count);
            foreach (var p in topic.Partitions)
            {
                w.WriteInt32(p.PartitionIndex);
                w.WriteInt16((short)p.ErrorCode);
            }
        }
    }
}

/// <summary>The commit results for one topic.</summary>
public sealed class OffsetCommitResponseTopic
{
    /// <summary>The topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The result for each partition.</summary>
    public List<OffsetCommitResponsePartition> Partitions { get; set; } = [];
}

/// <summary>The commit result for one partition.</summary>
/// <param name="PartitionIndex">The partition.</param>
/// <param name="ErrorCode">The error, or <see cref="ErrorCode.None"/>.</param>
public sealed record OffsetCommitResponsePartition(int PartitionIndex, ErrorCode ErrorCode);
