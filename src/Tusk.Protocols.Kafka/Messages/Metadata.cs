namespace Tusk.Protocols.Kafka;

/// <summary>
/// Metadata request (key 3), v0-v8. Fields a version lacks are not written and read back as their defaults.
/// </summary>
public sealed class MetadataRequest
{
    /// <summary>
    /// Topics to describe; null asks for every topic. On the wire v0 has no null array and sends an empty one
    /// for "all topics": <see cref="Read"/> maps that to null and <see cref="Write"/> maps null back, so at v0
    /// an empty list cannot be expressed (it means all topics).
    /// </summary>
    public List<string>? Topics { get; set; }

    /// <summary>Whether the broker may create missing topics (v4+; earlier versions imply true).</summary>
    public bool AllowAutoTopicCreation { get; set; } = true;

    /// <summary>Whether to return the cluster's authorized operations (v8).</summary>
    public bool IncludeClusterAuthorizedOperations { get; set; }

    /// <summary>Whether to return each topic's authorized operations (v8).</summary>
    public bool IncludeTopicAuthorizedOperations { get; set; }

    /// <summary>Reads the body.</summary>
    public static MetadataRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.Metadata, version);
        var request = new MetadataRequest();
        if (version == 0)
        {
            var topics = MessageCodec.ReadStringList(ref r, "topics");
            request.Topics = topics.Count == 0 ? null : topics;
        }
        else
        {
            request.Topics = MessageCodec.ReadNullableStringList(ref r);
        }
        if (version >= 4)
        {
            request.AllowAutoTopicCreation = r.ReadBoolean();
        }
        if (version >= 8)
        {
            request.IncludeClusterAuthorizedOperations = r.ReadBoolean();
            request.IncludeTopicAuthorizedOperations = r.ReadBoolean();
        }
        return request;
    }

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.Metadata, version);
        if (version == 0)
        {
            MessageCodec.WriteStringList(w, Topics ?? []);
        }
        else
        {
            MessageCodec.WriteNullableStringList(w, Topics);
        }
        if (version >= 4)
        {
            w.WriteBoolean(AllowAutoTopicCreation);
        }
        if (version >= 8)
        {
            w.WriteBoolean(IncludeClusterAuthorizedOperations);
            w.WriteBoolean(IncludeTopicAuthorizedOperations);
        }
    }
}

/// <summary>Metadata response (key 3), v0-v8.</summary>
public sealed class MetadataResponse
{
    /// <summary>"Authorized operations were not requested" (the protocol's INT32 minimum).</summary>
    public const int AuthorizedOperationsOmitted = int.MinValue;

    /// <summary>Quota throttle (v3+).</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The brokers in the cluster.</summary>
    public List<MetadataResponseBroker> Brokers { get; set; } = [];

    /// <summary>Cluster id (v2+, nullable).</summary>
    public string? ClusterId { get; set; }

    /// <summary>The controller broker's id (v1+; -1 when unknown).</summary>
    public int ControllerId { get; set; } = -1;

    /// <summary>One entry per topic.</summary>
    public List<MetadataResponseTopic> Topics { get; set; } = [];

    /// <summary>Cluster authorized operations bit field (v8).</summary>
    public int ClusterAuthorizedOperations { get; set; } = AuthorizedOperationsOmitted;

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.Metadata, version);
        if (version >= 3)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteArrayLength(Brokers.Count);
        foreach (var broker in Brokers)
        {
            w.WriteInt32(broker.NodeId);
            w.WriteString(broker.Host);
            w.WriteInt32(broker.Port);
            if (version >= 1)
            {
                w.WriteNullableString(broker.Rack);
            }
        }
        if (version >= 2)
        {
            w.WriteNullableString(ClusterId);
        }
        if (version >= 1)
        {
            w.WriteInt32(ControllerId);
        }
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            topic.Write(w, version);
        }
        if (version >= 8)
        {
            w.WriteInt32(ClusterAuthorizedOperations);
        }
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static MetadataResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.Metadata, version);
        var response = new MetadataResponse();
        if (version >= 3)
        {
            response.ThrottleTimeMs = r.ReadInt32();
        }
        int brokerCount = MessageCodec.ReadCount(ref r, 10, "brokers");
        response.Brokers = new List<MetadataResponseBroker>(brokerCount);
        for (int i = 0; i < brokerCount; i++)
        {
            var broker = new MetadataResponseBroker { NodeId = r.ReadInt32(), Host = r.ReadString(), Port = r.ReadInt32() };
            if (version >= 1)
            {
                broker.Rack = r.ReadNullableString();
            }
            response.Brokers.Add(broker);
        }
        if (version >= 2)
        {
            response.ClusterId = r.ReadNullableString();
        }
        if (version >= 1)
        {
            response.ControllerId = r.ReadInt32();
        }
        int topicCount = MessageCodec.ReadCount(ref r, 8, "topics");
        response.Topics = new List<MetadataResponseTopic>(topicCount);
        for (int i = 0; i < topicCount; i++)
        {
            response.Topics.Add(MetadataResponseTopic.Read(ref r, version));
        }
        if (version >= 8)
        {
            response.ClusterAuthorizedOperations = r.ReadInt32();
        }
        return response;
    }
}

/// <summary>A broker in a <see cref="MetadataResponse"/>.</summary>
public sealed class MetadataResponseBroker
{
    /// <summary>Broker id.</summary>
    public int NodeId { get; set; }

    /// <summary>Host name clients connect to.</summary>
    public string Host { get; set; } = "";

    /// <summary>Port clients connect to.</summary>
    public int Port { get; set; }

    /// <summary>Rack (v1+), or null.</summary>
    public string? Rack { get; set; }
}

/// <summary>A topic in a <see cref="MetadataResponse"/>.</summary>
public sealed class MetadataResponseTopic
{
    /// <summary>Topic-level error (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE while creating, ...).</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Whether the topic is internal (v1+).</summary>
    public bool IsInternal { get; set; }

    /// <summary>One entry per partition.</summary>
    public List<MetadataResponsePartition> Partitions { get; set; } = [];

    /// <summary>Topic authorized operations bit field (v8+).</summary>
    public int TopicAuthorizedOperations { get; set; } = MetadataResponse.AuthorizedOperationsOmitted;

    internal void Write(KafkaWriter w, short version)
    {
        w.WriteInt16((short)ErrorCode);
        w.WriteString(Name);
        if (version >= 1)
        {
            w.WriteBoolean(IsInternal);
        }
        w.WriteArrayLength(Partitions.Count);
        foreach (var p in Partitions)
        {
            w.WriteInt16((short)p.ErrorCode);
            w.WriteInt32(p.PartitionIndex);
            w.WriteInt32(p.LeaderId);
            if (version >= 7)
            {
                w.WriteInt32(p.LeaderEpoch);
            }
            MessageCodec.WriteInt32List(w, p.ReplicaNodes);
            MessageCodec.WriteInt32List(w, p.IsrNodes);
            if (version >= 5)
            {
                MessageCodec.WriteInt32List(w, p.OfflineReplicas);
            }
        }
        if (version >= 8)
        {
            w.WriteInt32(TopicAuthorizedOperations);
        }
    }

    internal static MetadataResponseTopic Read(ref KafkaReader r, short version)
    {
        var topic = new MetadataResponseTopic { ErrorCode = (ErrorCode)r.ReadInt16(), Name = r.ReadString() };
        if (version >= 1)
        {
            topic.IsInternal = r.ReadBoolean();
        }
        int count = MessageCodec.ReadCount(ref r, 18, "partitions");
        topic.Partitions = new List<MetadataResponsePartition>(count);
        for (int i = 0; i < count; i++)
        {
            var p = new MetadataResponsePartition
            {
                ErrorCode = (ErrorCode)r.ReadInt16(),
                PartitionIndex = r.ReadInt32(),
                LeaderId = r.ReadInt32(),
            };
            if (version >= 7)
            {
                p.LeaderEpoch = r.ReadInt32();
            }
            p.ReplicaNodes = MessageCodec.ReadInt32List(ref r, "replica_nodes");
            p.IsrNodes = MessageCodec.ReadInt32List(ref r, "isr_nodes");
            if (version >= 5)
            {
                p.OfflineReplicas = MessageCodec.ReadInt32List(ref r, "offline_replicas");
            }
            topic.Partitions.Add(p);
        }
        if (version >= 8)
        {
            topic.TopicAuthorizedOperations = r.ReadInt32();
        }
        return topic;
    }
}

/// <summary>A partition in a <see cref="MetadataResponseTopic"/>.</summary>
public sealed class MetadataResponsePartition
{
    /// <summary>Partition-level error.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Partition index.</summary>
    public int PartitionIndex { get; set; }

    /// <summary>Leader broker id (-1 when there is none).</summary>
    public int LeaderId { get; set; } = -1;

    /// <summary>Leader epoch (v7+; -1 when unknown).</summary>
    public int LeaderEpoch { get; set; } = -1;

    /// <summary>Brokers holding a replica.</summary>
    public List<int> ReplicaNodes { get; set; } = [];

    /// <summary>In-sync replicas.</summary>
    public List<int> IsrNodes { get; set; } = [];

    /// <summary>Offline replicas (v5+).</summary>
    public List<int> OfflineReplicas { get; set; } = [];
}
