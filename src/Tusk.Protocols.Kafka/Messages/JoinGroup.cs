namespace Tusk.Protocols.Kafka;

/// <summary>
/// JoinGroup request (API key 11), classic versions v0-v5. Layout per Apache Kafka's JoinGroupRequest.json:
/// <c>group_id STRING, session_timeout_ms INT32, rebalance_timeout_ms INT32 (v1+), member_id STRING,
/// group_instance_id NULLABLE_STRING (v5+), protocol_type STRING, protocols [name STRING, metadata BYTES]</c>.
/// </summary>
public sealed class JoinGroupRequest
{
    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>The member is considered dead if no heartbeat arrives within this many milliseconds.</summary>
    public int SessionTimeoutMs { get; set; }

    /// <summary>v1+: how long the coordinator waits for every member to rejoin; -1 (v0) means the session timeout.</summary>
    public int RebalanceTimeoutMs { get; set; } = -1;

    /// <summary>The member id the coordinator assigned, or "" on a first join.</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v5+: the static member's instance id, or null for a dynamic member.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>The class of protocols (for example "consumer").</summary>
    public string ProtocolType { get; set; } = "";

    /// <summary>The protocols the member supports, most preferred first.</summary>
    public List<JoinGroupRequestProtocol> Protocols { get; set; } = [];

    /// <summary>Parses the request body.</summary>
    public static JoinGroupRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.JoinGroup, version);
        var m = new JoinGroupRequest
        {
            GroupId = r.ReadString(),
            SessionTimeoutMs = r.ReadInt32(),
        };
        if (version >= 1)
        {
            m.RebalanceTimeoutMs = r.ReadInt32();
        }
        m.MemberId = r.ReadString();
        if (version >= 5)
        {
            m.GroupInstanceId = r.ReadNullableString();
        }
        m.ProtocolType = r.ReadString();
        int count = MessageCodec.ReadCount(ref r, MessageCodec.StringBytesMin + 4, "JoinGroup protocols");
        m.Protocols = new List<JoinGroupRequestProtocol>(count);
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            m.Protocols.Add(new JoinGroupRequestProtocol(name, r.ReadBytes().ToArray()));
        }
        return m;
    }

    /// <summary>Encodes the request body (fields the version lacks are left out).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.JoinGroup, version);
        w.WriteString(GroupId);
        w.WriteInt32(SessionTimeoutMs);
        if (version >= 1)
        {
            w.WriteInt32(RebalanceTimeoutMs);
        }
        w.WriteString(MemberId);
        if (version >= 5)
        {
            w.WriteNullableString(GroupInstanceId);
        }
        w.WriteString(ProtocolType);
        w.WriteArrayLength(Protocols.Count);
        foreach (var p in Protocols)
        {
            w.WriteString(p.Name);
            w.WriteBytes(p.Metadata);
        }
    }
}

/// <summary>One protocol a joining member supports, with its opaque metadata (for consumers: the subscription).</summary>
/// <param name="Name">The protocol name (for consumers: the assignor, such as "range").</param>
/// <param name="Metadata">The protocol metadata; owned by the message.</param>
public sealed record JoinGroupRequestProtocol(string Name, byte[] Metadata);

/// <summary>
/// JoinGroup response, v0-v5: <c>throttle_time_ms INT32 (v2+), error_code INT16, generation_id INT32,
/// protocol_name STRING, leader STRING, member_id STRING, members [member_id STRING, group_instance_id
/// NULLABLE_STRING (v5+), metadata BYTES]</c>. Only the leader gets a non-empty member list.
/// </summary>
public sealed class JoinGroupResponse
{
    /// <summary>v2+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The error, or <see cref="ErrorCode.None"/>.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>The generation the member joined, or -1 on error.</summary>
    public int GenerationId { get; set; } = -1;

    /// <summary>The protocol the coordinator selected ("" on error: not nullable before v7).</summary>
    public string ProtocolName { get; set; } = "";

    /// <summary>The leader's member id.</summary>
    public string Leader { get; set; } = "";

    /// <summary>The member's id (also set with MEMBER_ID_REQUIRED: the id to rejoin with).</summary>
    public string MemberId { get; set; } = "";

    /// <summary>For the leader: every member with its metadata for the selected protocol; empty otherwise.</summary>
    public List<JoinGroupResponseMember> Members { get; set; } = [];

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static JoinGroupResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.JoinGroup, version);
        var m = new JoinGroupResponse();
        if (version >= 2)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        m.ErrorCode = (ErrorCode)r.ReadInt16();
        m.GenerationId = r.ReadInt32();
        m.ProtocolName = r.ReadString();
        m.Leader = r.ReadString();
        m.MemberId = r.ReadString();
        int count = MessageCodec.ReadCount(ref r, MessageCodec.StringBytesMin + 4, "JoinGroup members");
        m.Members = new List<JoinGroupResponseMember>(count);
        for (int i = 0; i < count; i++)
        {
            string memberId = r.ReadString();
            string? instanceId = version >= 5 ? r.ReadNullableString() : null;
            m.Members.Add(new JoinGroupResponseMember(memberId, instanceId, r.ReadBytes().ToArray()));
        }
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.JoinGroup, version);
        if (version >= 2)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteInt16((short)ErrorCode);
        w.WriteInt32(GenerationId);
        w.WriteString(ProtocolName);
        w.WriteString(Leader);
        w.WriteString(MemberId);
        w.WriteArrayLength(Members.Count);
        foreach (var member in Members)
        {
            w.WriteString(member.MemberId);
            if (version >= 5)
            {
                w.WriteNullableString(member.GroupInstanceId);
            }
            w.WriteBytes(member.Metadata);
        }
    }
}

/// <summary>One group member as the leader sees it in the JoinGroup response.</summary>
/// <param name="MemberId">The member id.</param>
/// <param name="GroupInstanceId">v5+: the static instance id, or null.</param>
/// <param name="Metadata">The member's metadata for the selected protocol.</param>
public sealed record JoinGroupResponseMember(string MemberId, string? GroupInstanceId, byte[] Metadata);
