namespace Tusk.Protocols.Kafka;

/// <summary>
/// OffsetFetch request (API key 9), classic versions v1-v5. Layout per Apache Kafka's OffsetFetchRequest.json:
/// <c>group_id STRING, topics [name STRING, partition_indexes [INT32]]</c>, where topics is nullable from v2
/// (null = every committed partition of the group).
/// </summary>
public sealed class OffsetFetchRequest
{
    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>The partitions to fetch, by topic; null (v2+) fetches all of the group's committed offsets.</summary>
    public List<OffsetFetchRequestTopic>? Topics { get; set; } = [];

    /// <summary>Parses the request body.</summary>
    public static OffsetFetchRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.OffsetFetch, version);
        var m = new OffsetFetchRequest { GroupId = r.ReadString() };
        int topicCount = r.ReadArrayLength(MessageCodec.StringBytesMin + 4);
        if (topicCount < 0)
        {
            if (version < 2)
            {
                throw new KafkaProtocolException($"null topics in OffsetFetch v{version} (nullable from v2)");
            }
            m.Topics = null;
            return m;
        }
        m.Topics = new List<OffsetFetchRequestTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            string name = r.ReadString();
            m.Topics.Add(new OffsetFetchRequestTopic { Name = name, PartitionIndexes = MessageCodec.ReadInt32List(ref r, "OffsetFetch partition indexes") });
        }
        return m;
    }

    /// <summary>Encodes the request body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.OffsetFetch, version);
        w.WriteString(GroupId);
        if (Topics == null)
        {
            if (version < 2)
            {
                throw new ArgumentException($"OffsetFetch v{version} cannot ask for all topics (null topics need v2+)");
            }
            w.WriteArrayLength(-1);
            return;
        }
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            MessageCodec.WriteInt32List(w, topic.PartitionIndexes);
        }
    }
}

/// <summary>The partitions of one topic whose offsets to fetch.</summary>
public sealed class OffsetFetchRequestTopic
{
    /// <summary>The topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The partitions.</summary>
    public List<int> PartitionIndexes { get; set; } = [];
}

/// <summary>
/// OffsetFetch response, v1-v5: <c>throttle_time_ms INT32 (v3+), topics [name STRING, partitions
/// [partition_index INT32, committed_offset INT64, committed_leader_epoch INT32 (v5+), metadata NULLABLE_STRING,
/// error_code INT16]], error_code INT16 (v2+)</c>.
/// </summary>
public sealed class OffsetFetchResponse
{
    /// <summary>v3+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The committed offsets, by topic.</summary>
    public List<OffsetFetchResponseTopic> Topics { get; set; } = [];

    /// <summary>v2+: the group-level error (v1 reports it on every partition instead).</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static OffsetFetchResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.OffsetFetch, version);
        var m = new OffsetFetchResponse();
        if (version >= 3)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        int partitionBytesMin = 4 + 8 + (version >= 5 ? 4 : 0) + MessageCodec.StringBytesMin + 2;
        int topicCount = MessageCodec.ReadCount(ref r, MessageCodec.StringBytesMin + 4, "OffsetFetch topics");
        m.Topics = new List<OffsetFetchResponseTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new OffsetFetchResponseTopic { Name = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, partitionBytesMin, "OffsetFetch partitions");
            topic.Partitions = new List<OffsetFetchResponsePartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                int index = r.ReadInt32();
                long offset = r.ReadInt64();
                int leaderEpoch = version >= 5 ? r.ReadInt32() : -1;
                string? metadata = r.ReadNullableString();
                topic.Partitions.Add(new OffsetFetchResponsePartition(index, offset, leaderEpoch, metadata, (ErrorCode)r.ReadInt16()));
            }
            m.Topics.Add(topic);
        }
        if (version >= 2)
        {
            m.ErrorCode = (ErrorCode)r.ReadInt16();
        }
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.OffsetFetch, version);
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
                w.WriteInt64(p.CommittedOffset);
                if (version >= 5)
                {
                    w.WriteInt32(p.CommittedLeaderEpoch);
                }
                w.WriteNullableString(p.Metadata);
                w.WriteInt16((short)p.ErrorCode);
            }
        }
        if (version >= 2)
        {
            w.WriteInt16((short)ErrorCode);
        }
    }
}

/// <summary>The committed offsets of one topic.</summary>
public sealed class OffsetFetchResponseTopic
{
    /// <summary>The topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The partitions.</summary>
    public List<OffsetFetchResponsePartition> Partitions { get; set; } = [];
}

/// <summary>The committed offset of one partition.</summary>
/// <param name="PartitionIndex">The partition.</param>
/// <param name="CommittedOffset">The committed offset, or -1 when the group has none.</param>
/// <param name="CommittedLeaderEpoch">v5+: the committed leader epoch, or -1.</param>
/// <param name="Metadata">The metadata committed with the offset ("" when there is no offset).</param>
/// <param name="ErrorCode">The error, or <see cref="ErrorCode.None"/>.</param>
public sealed record OffsetFetchResponsePartition(int PartitionIndex, long CommittedOffset, int CommittedLeaderEpoch, string? Metadata, ErrorCode ErrorCode);
