namespace Tusk.Protocols.Kafka;

/// <summary>
/// Heartbeat request (API key 12), classic versions v0-v3. Layout per Apache Kafka's HeartbeatRequest.json:
/// <c>group_id STRING, generation_id INT32, member_id STRING, group_instance_id NULLABLE_STRING (v3+)</c>.
/// </summary>
public sealed class HeartbeatRequest
{
    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>The generation the member believes it is in.</summary>
    public int GenerationId { get; set; }

    /// <summary>The member id.</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v3+: the static instance id, or null.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>Parses the request body.</summary>
    public static HeartbeatRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.Heartbeat, version);
        var m = new HeartbeatRequest
        {
            GroupId = r.ReadString(),
            GenerationId = r.ReadInt32(),
            MemberId = r.ReadString(),
        };
        if (version >= 3)
        {
            m.GroupInstanceId = r.ReadNullableString();
        }
        return m;
    }

    /// <summary>Encodes the request body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.Heartbeat, version);
        w.WriteString(GroupId);
        w.WriteInt32(GenerationId);
        w.WriteString(MemberId);
        if (version >= 3)
        {
            w.WriteNullableString(GroupInstanceId);
        }
    }
}

/// <summary>Heartbeat response, v0-v3: <c>throttle_time_ms INT32 (v1+), error_code INT16</c>.</summary>
public sealed class HeartbeatResponse
{
    /// <summary>v1+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The error, or <see cref="ErrorCode.None"/>; REBALANCE_IN_PROGRESS tells the member to rejoin.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static HeartbeatResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.Heartbeat, version);
        var m = new HeartbeatResponse();
        if (version >= 1)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        m.ErrorCode = (ErrorCode)r.ReadInt16();
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.Heartbeat, version);
        if (version >= 1)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteInt16((short)ErrorCode);
    }
}
