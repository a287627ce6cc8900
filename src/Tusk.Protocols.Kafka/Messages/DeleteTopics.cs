namespace Tusk.Protocols.Kafka;

/// <summary>DeleteTopics request (key 20), v0-v3 (the four versions share one layout).</summary>
public sealed class DeleteTopicsRequest
{
    /// <summary>Names of the topics to delete.</summary>
    public List<string> TopicNames { get; set; } = [];

    /// <summary>How long to wait for the deletion, in ms.</summary>
    public int TimeoutMs { get; set; }

    /// <summary>Reads the body.</summary>
    public static DeleteTopicsRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.DeleteTopics, version);
        return new DeleteTopicsRequest
        {
            TopicNames = MessageCodec.ReadStringList(ref r, "topic_names"),
            TimeoutMs = r.ReadInt32(),
        };
    }

    /// <summary>Writes the body (the client side; used by tests and tools).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.DeleteTopics, version);
        MessageCodec.WriteStringList(w, TopicNames);
        w.WriteInt32(TimeoutMs);
    }
}

/// <summary>DeleteTopics response (key 20), v0-v3.</summary>
public sealed class DeleteTopicsResponse
{
    /// <summary>Quota throttle (v1+).</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>One result per requested topic.</summary>
    public List<DeleteTopicsResult> Responses { get; set; } = [];

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.DeleteTopics, version);
        if (version >= 1)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteArrayLength(Responses.Count);
        foreach (var result in Responses)
        {
            w.WriteString(result.Name);
            w.WriteInt16((short)result.ErrorCode);
        }
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static DeleteTopicsResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.DeleteTopics, version);
        var response = new DeleteTopicsResponse();
        if (version >= 1)
        {
            response.ThrottleTimeMs = r.ReadInt32();
        }
        int count = MessageCodec.ReadCount(ref r, 4, "responses");
        response.Responses = new List<DeleteTopicsResult>(count);
        for (int i = 0; i < count; i++)
        {
            response.Responses.Add(new DeleteTopicsResult(r.ReadString(), (ErrorCode)r.ReadInt16()));
        }
        return response;
    }
}

/// <summary>A topic's result in a <see cref="DeleteTopicsResponse"/>.</summary>
public readonly record struct DeleteTopicsResult(string Name, ErrorCode ErrorCode);
