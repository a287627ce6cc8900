namespace Tusk.Protocols.Kafka;

/// <summary>CreatePartitions request (key 37), v0-v1 (the two versions share one layout).</summary>
public sealed class CreatePartitionsRequest
{
    /// <summary>Topics to grow.</summary>
    public List<CreatePartitionsTopic> Topics { get; set; } = [];

    /// <summary>How long to wait, in ms.</summary>
    public int TimeoutMs { get; set; }

    /// <summary>Only validate, change nothing.</summary>
    public bool ValidateOnly { get; set; }

    /// <summary>Reads the body.</summary>
    public static CreatePartitionsRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.CreatePartitions, version);
        var request = new CreatePartitionsRequest();
        int topicCount = MessageCodec.ReadCount(ref r, 10, "topics");
        request.Topics = new List<CreatePartitionsTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new CreatePartitionsTopic { Name = r.ReadString(), Count = r.ReadInt32() };
            int assignmentCount = r.ReadArrayLength(4);
            if (assignmentCount >= 0)
            {
                topic.Assignments = new List<List<int>>(assignmentCount);
                for (int a = 0; a < assignmentCount; a++)
                {
                    topic.Assignments.Add(MessageCodec.ReadInt32List(ref r, "broker_ids"));
                }
            }
            request.Topics.Add(topic);
        }
        request.TimeoutMs = r.ReadInt32();
        request.ValidateOnly = r.ReadBoolean();
        return request;
    }

    /// <summary>Writes the body (the client side; used by tests and tools).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.CreatePartitions, version);
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            w.WriteInt32(topic.Count);
            if (topic.Assignments == null)
            {
                w.WriteArrayLength(-1);
            }
            else
            {
                w.WriteArrayLength(topic.Assignments.Count);
                foreach (var brokerIds in topic.Assignments)
                {
                    MessageCodec.WriteInt32List(w, brokerIds);
                }
            }
        }
        w.WriteInt32(TimeoutMs);
        w.WriteBoolean(ValidateOnly);
    }
}

/// <summary>A topic to grow in a <see cref="CreatePartitionsRequest"/>.</summary>
public sealed class CreatePartitionsTopic
{
    /// <summary>Topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The new total partition count.</summary>
    public int Count { get; set; }

    /// <summary>Replica brokers for each new partition, or null to let the broker choose.</summary>
    public List<List<int>>? Assignments { get; set; }
}

/// <summary>CreatePartitions response (key 37), v0-v1.</summary>
public sealed class CreatePartitionsResponse
{
    /// <summary>Quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>One result per requested topic.</summary>
    public List<CreatePartitionsResult> Results { get; set; } = [];

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.CreatePartitions, version);
        w.WriteInt32(ThrottleTimeMs);
        w.WriteArrayLength(Results.Count);
        foreach (var result in Results)
        {
            w.WriteString(result.Name);
            w.WriteInt16((short)result.ErrorCode);
            w.WriteNullableString(result.ErrorMessage);
        }
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static CreatePartitionsResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.CreatePartitions, version);
        var response = new CreatePartitionsResponse { ThrottleTimeMs = r.ReadInt32() };
        int count = MessageCodec.ReadCount(ref r, 6, "results");
        response.Results = new List<CreatePartitionsResult>(count);
        for (int i = 0; i < count; i++)
        {
            response.Results.Add(new CreatePartitionsResult(r.ReadString(), (ErrorCode)r.ReadInt16(), r.ReadNullableString()));
        }
        return response;
    }
}

/// <summary>A topic's result in a <see cref="CreatePartitionsResponse"/> (message null when there is no error).</summary>
public readonly record struct CreatePartitionsResult(string Name, ErrorCode ErrorCode, string? ErrorMessage);
