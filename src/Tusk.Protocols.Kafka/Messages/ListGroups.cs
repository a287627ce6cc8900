namespace Tusk.Protocols.Kafka;

/// <summary>
/// ListGroups request (API key 16), classic versions v0-v2. The body is empty at these versions (the state
/// filter arrives in v4, after the flexible v3), per Apache Kafka's ListGroupsRequest.json.
/// </summary>
public sealed class ListGroupsRequest
{
    /// <summary>Parses the (empty) request body.</summary>
    public static ListGroupsRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.ListGroups, version);
        return new ListGroupsRequest();
    }

    /// <summary>Encodes the (empty) request body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.ListGroups, version);
    }
}

/// <summary>
/// ListGroups response, v0-v2: <c>throttle_time_ms INT32 (v1+), error_code INT16, groups [group_id STRING,
/// protocol_type STRING]</c>.
/// </summary>
public sealed class ListGroupsResponse
{
    /// <summary>v1+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The error, or <see cref="ErrorCode.None"/>.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>The groups this coordinator manages.</summary>
    public List<ListedGroup> Groups { get; set; } = [];

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static ListGroupsResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.ListGroups, version);
        var m = new ListGroupsResponse();
        if (version >= 1)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        m.ErrorCode = (ErrorCode)r.ReadInt16();
        int count = MessageCodec.ReadCount(ref r, 2 * MessageCodec.StringBytesMin, "ListGroups groups");
        m.Groups = new List<ListedGroup>(count);
        for (int i = 0; i < count; i++)
        {
            string groupId = r.ReadString();
            m.Groups.Add(new ListedGroup(groupId, r.ReadString()));
        }
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.ListGroups, version);
        if (version >= 1)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteInt16((short)ErrorCode);
        w.WriteArrayLength(Groups.Count);
        foreach (var group in Groups)
        {
            w.WriteString(group.GroupId);
            w.WriteString(group.ProtocolType);
        }
    }
}

/// <summary>One listed group.</summary>
/// <param name="GroupId">The group id.</param>
/// <param name="ProtocolType">The protocol type ("consumer" for consumer groups), or "".</param>
public sealed record ListedGroup(string GroupId, string ProtocolType);
