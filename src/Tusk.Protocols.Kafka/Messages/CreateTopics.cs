namespace Tusk.Protocols.Kafka;

/// <summary>CreateTopics request (key 19), v0-v4.</summary>
public sealed class CreateTopicsRequest
{
    /// <summary>Topics to create.</summary>
    public List<CreateTopicsRequestTopic> Topics { get; set; } = [];

    /// <summary>How long to wait for the topics to be created, in ms.</summary>
    public int TimeoutMs { get; set; } = 60000;

    /// <summary>Only validate, create nothing (v1+).</summary>
    public bool ValidateOnly { get; set; }

    /// <summary>Reads the body.</summary>
    public static CreateTopicsRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.CreateTopics, version);
        var request = new CreateTopicsRequest();
        int topicCount = MessageCodec.ReadCount(ref r, 16, "topics");
        request.Topics = new List<CreateTopicsRequestTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new CreateTopicsRequestTopic
            {
                Name = r.ReadString(),
                NumPartitions = r.ReadInt32(),
                ReplicationFactor = r.ReadInt16(),
            };
            int assignmentCount = MessageCodec.ReadCount(ref r, 8, "assignments");
            topic.Assignments = new List<CreateTopicsAssignment>(assignmentCount);
            for (int a = 0; a < assignmentCount; a++)
            {
                topic.Assignments.Add(new CreateTopicsAssignment
                {
                    PartitionIndex = r.ReadInt32(),
                    BrokerIds = MessageCodec.ReadInt32List(ref r, "broker_ids"),
                });
            }
            int configCount = MessageCodec.ReadCount(ref r, 4, "configs");
            topic.Configs = new List<CreateTopicsConfig>(configCount);
            for (int c = 0; c < configCount; c++)
            {
                topic.Configs.Add(new CreateTopicsConfig(r.ReadString(), r.ReadNullableString()));
            }
            request.Topics.Add(topic);
        }
        request.TimeoutMs = r.ReadInt32();
        if (version >= 1)
        {
            request.ValidateOnly = r.ReadBoolean();
        }
        return request;
    }

    /// <summary>Writes the body (the client side; used by tests and tools).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.CreateTopics, version);
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            w.WriteInt32(topic.NumPartitions);
            w.WriteInt16(topic.ReplicationFactor);
            w.WriteArrayLength(topic.Assignments.Count);
            foreach (var assignment in topic.Assignments)
            {
                w.WriteInt32(assignment.PartitionIndex);
                MessageCodec.WriteInt32List(w, assignment.BrokerIds);
            }
            w.WriteArrayLength(topic.Configs.Count);
            foreach (var config in topic.Configs)
            {
                w.WriteString(config.Name);
                w.WriteNullableString(config.Value);
            }
        }
        w.WriteInt32(TimeoutMs);
        if (version >= 1)
        {
            w.WriteBoolean(ValidateOnly);
        }
    }
}

/// <summary>A topic to create in a <see cref="CreateTopicsRequest"/>.</summary>
public sealed class CreateTopicsRequestTopic
{
    /// <summary>Topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Partition count, or -1 for the broker default (v4+) or when <see cref="Assignments"/> are given.</summary>
    public int NumPartitions { get; set; } = -1;

    /// <summary>Replication factor, or -1 for the broker default (v4+) or when <see cref="Assignments"/> are given.</summary>
    public short ReplicationFactor { get; set; } = -1;

    /// <summary>Manual replica assignment per partition (empty = let the broker choose).</summary>
    public List<CreateTopicsAssignment> Assignments { get; set; } = [];

    /// <summary>Topic configs.</summary>
    public List<CreateTopicsConfig> Configs { get; set; } = [];
}

/// <summary>A manual replica assignment for one partition of a new topic.</summary>
public sealed class CreateTopicsAssignment
{
    /// <summary>Partition index.</summary>
    public int PartitionIndex { get; set; }

    /// <summary>Brokers to place the replicas on, preferred leader first.</summary>
    public List<int> BrokerIds { get; set; } = [];
}

/// <summary>A config entry of a new topic (value null = default).</summary>
public readonly record struct CreateTopicsConfig(string Name, string? Value);

/// <summary>CreateTopics response (key 19), v0-v4.</summary>
public sealed class CreateTopicsResponse
{
    /// <summary>Quota throttle (v2+).</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>One result per requested topic.</summary>
    public List<CreateTopicsResponseTopic> Topics { get; set; } = [];

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.CreateTopics, version);
        if (version >= 2)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            w.WriteInt16((short)topic.ErrorCode);
            if (version >= 1)
            {
                w.WriteNullableString(topic.ErrorMessage);
            }
        }
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static CreateTopicsResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.CreateTopics, version);
        var response = new CreateTopicsResponse();
        if (version >= 2)
        {
            response.ThrottleTimeMs = r.ReadInt32();
        }
        int count = MessageCodec.ReadCount(ref r, 4, "topics");
        response.Topics = new List<CreateTopicsResponseTopic>(count);
        for (int i = 0; i < count; i++)
        {
            var topic = new CreateTopicsResponseTopic { Name = r.ReadString(), ErrorCode = (ErrorCode)r.ReadInt16() };
            if (version >= 1)
            {
                topic.ErrorMessage = r.ReadNullableString();
            }
            response.Topics.Add(topic);
        }
        return response;
    }
}

/// <summary>A topic's result in a <see cref="CreateTopicsResponse"/>.</summary>
public sealed class CreateTopicsResponseTopic
{
    /// <summary>Topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Error (TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, ...).</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Error message (v1+, nullable).</summary>
    public string? ErrorMessage { get; set; }
}
