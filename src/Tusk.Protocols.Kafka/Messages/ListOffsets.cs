namespace Tusk.Protocols.Kafka;

/// <summary>ListOffsets request (key 2), v1-v5: the offset for a timestamp, or -1 (latest) / -2 (earliest).</summary>
public sealed class ListOffsetsRequest
{
    /// <summary>Timestamp asking for the log end offset.</summary>
    public const long LatestTimestamp = -1;

    /// <summary>Timestamp asking for the log start offset.</summary>
    public const long EarliestTimestamp = -2;

    /// <summary>The follower's broker id, or -1 for a consumer.</summary>
    public int ReplicaId { get; set; } = -1;

    /// <summary>0 = READ_UNCOMMITTED, 1 = READ_COMMITTED (v2+; latest then means the last stable offset).</summary>
    public sbyte IsolationLevel { get; set; }

    /// <summary>Partitions to look up, by topic.</summary>
    public List<ListOffsetsRequestTopic> Topics { get; set; } = [];

    /// <summary>Reads the body.</summary>
    public static ListOffsetsRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.ListOffsets, version);
        var request = new ListOffsetsRequest { ReplicaId = r.ReadInt32() };
        if (version >= 2)
        {
            request.IsolationLevel = r.ReadInt8();
        }
        int topicCount = MessageCodec.ReadCount(ref r, 6, "topics");
        request.Topics = new List<ListOffsetsRequestTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new ListOffsetsRequestTopic { Name = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, version >= 4 ? 16 : 12, "partitions");
            topic.Partitions = new List<ListOffsetsRequestPartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                var partition = new ListOffsetsRequestPartition { PartitionIndex = r.ReadInt32() };
                if (version >= 4)
                {
                    partition.CurrentLeaderEpoch = r.ReadInt32();
                }
                partition.Timestamp = r.ReadInt64();
                topic.Partitions.Add(partition);
            }
            request.Topics.Add(topic);
        }
        return request;
    }

    /// <summary>Writes the body (the client side; used by tests and tools).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.ListOffsets, version);
        w.WriteInt32(ReplicaId);
        if (version >= 2)
        {
            w.WriteInt8(IsolationLevel);
        }
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            w.WriteArrayLength(topic.Partitions.Count);
            foreach (var partition in topic.Partitions)
            {
                w.WriteInt32(partition.PartitionIndex);
                if (version >= 4)
                {
                    w.WriteInt32(partition.CurrentLeaderEpoch);
                }
                w.WriteInt64(partition.Timestamp);
            }
        }
    }
}

/// <summary>A topic in a <see cref="ListOffsetsRequest"/>.</summary>
public sealed class ListOffsetsRequestTopic
{
    /// <summary>Topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Partitions to look up.</summary>
    public List<ListOffsetsRequestPartition> Partitions { get; set; } = [];
}

/// <summary>A partition in a <see cref="ListOffsetsRequestTopic"/>.</summary>
public sealed class ListOffsetsRequestPartition
{
    /// <summary>Partition index.</summary>
    public int PartitionIndex { get; set; }

    /// <summary>The leader epoch the client knows (v4+; -1 = unknown).</summary>
    public int CurrentLeaderEpoch { get; set; } = -1;

    /// <summary>Timestamp in ms, or <see cref="ListOffsetsRequest.LatestTimestamp"/> / <see cref="ListOffsetsRequest.EarliestTimestamp"/>.</summary>
    public long Timestamp { get; set; }
}

/// <summary>ListOffsets response (key 2), v1-v5.</summary>
public sealed class ListOffsetsResponse
{
    /// <summary>Quota throttle (v2+).</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>One entry per topic.</summary>
    public List<ListOffsetsResponseTopic> Topics { get; set; } = [];

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.ListOffsets, version);
        if (version >= 2)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            w.WriteArrayLength(topic.Partitions.Count);
            foreach (var partition in topic.Partitions)
            {
                w.WriteInt32(partition.PartitionIndex);
                w.WriteInt16((short)partition.ErrorCode);
                w.WriteInt64(partition.Timestamp);
                w.WriteInt64(partition.Offset);
                if (version >= 4)
                {
                    w.WriteInt32(partition.LeaderEpoch);
                }
            }
        }
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static ListOffsetsResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.ListOffsets, version);
        var response = new ListOffsetsResponse();
        if (version >= 2)
        {
            response.ThrottleTimeMs = r.ReadInt32();
        }
        int topicCount = MessageCodec.ReadCount(ref r, 6, "topics");
        response.Topics = new List<ListOffsetsResponseTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new ListOffsetsResponseTopic { Name = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, version >= 4 ? 26 : 22, "partitions");
            topic.Partitions = new List<ListOffsetsResponsePartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                var partition = new ListOffsetsResponsePartition
                {
                    PartitionIndex = r.ReadInt32(),
                    ErrorCode = (ErrorCode)r.ReadInt16(),
                    Timestamp = r.ReadInt64(),
                    Offset = r.ReadInt64(),
                };
                if (version >= 4)
                {
                    partition.LeaderEpoch = r.ReadInt32();
                }
                topic.Partitions.Add(partition);
            }
            response.Topics.Add(topic);
        }
        return response;
    }
}

/// <summary>A topic in a <see cref="ListOffsetsResponse"/>.</summary>
public sealed class ListOffsetsResponseTopic
{
    /// <summary>Topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>One entry per partition.</summary>
    public List<ListOffsetsResponsePartition> Partitions { get; set; } = [];
}

/// <summary>A partition's answer in a <see cref="ListOffsetsResponseTopic"/>.</summary>
public sealed class ListOffsetsResponsePartition
{
    /// <summary>Partition index.</summary>
    public int PartitionIndex { get; set; }

    /// <summary>Partition error.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Timestamp of the returned offset's record (-1 for the latest/earliest lookups).</summary>
    public long Timestamp { get; set; } = -1;

    /// <summary>The offset found (-1 when none).</summary>
    public long Offset { get; set; } = -1;

    /// <summary>Leader epoch of the returned offset (v4+; -1 when unknown).</summary>
    public int LeaderEpoch { get; set; } = -1;
}
