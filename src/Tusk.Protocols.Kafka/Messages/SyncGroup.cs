namespace Tusk.Protocols.Kafka;

/// <summary>
/// SyncGroup request (API key 14), classic versions v0-v3. Layout per Apache Kafka's SyncGroupRequest.json:
/// <c>group_id STRING, generation_id INT32, member_id STRING, group_instance_id NULLABLE_STRING (v3+),
/// assignments [member_id STRING, assignment BYTES]</c>. Only the leader sends assignments.
/// </summary>
public sealed class SyncGroupRequest
{
    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>The generation the member joined.</summary>
    public int GenerationId { get; set; }

    /// <summary>The member id.</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v3+: the static instance id, or null.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>The leader's assignment for each member; empty from followers.</summary>
    public List<SyncGroupRequestAssignment> Assignments { get; set; } = [];

    /// <summary>Parses the request body.</summary>
    public static SyncGroupRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.SyncGroup, version);
        var m = new SyncGroupRequest
        {
            GroupId = r.ReadString(),
            GenerationId = r.ReadInt32(),
            MemberId = r.ReadString(),
        };
        if (version >= 3)
        {
            m.GroupInstanceId = r.ReadNullableString();
        }
        int count = MessageCodec.ReadCount(ref r, MessageCodec.StringBytesMin + 4, "SyncGroup assignments");
        m.Assignments = new List<SyncGroupRequestAssignment>(count);
        for (int i = 0; i < count; i++)
        {
            string memberId = r.ReadString();
            m.Assignments.Add(new SyncGroupRequestAssignment(memberId, r.ReadBytes().ToArray()));
        }
        return m;
    }

    /// <summary>Encodes the request body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.SyncGroup, version);
        w.WriteString(GroupId);
        w.WriteInt32(GenerationId);
        w.WriteString(MemberId);
        if (version >= 3)
        {
            w.WriteNullableString(GroupInstanceId);
        }
        w.WriteArrayLength(Assignments.Count);
        foreach (var a in Assignments)
        {
            w.WriteString(a.MemberId);
            w.WriteBytes(a.Assignment);
        }
    }
}

/// <summary>The leader's assignment for one member.</summary>
/// <param name="MemberId">The member the assignment is for.</param>
/// <param name="Assignment">The opaque assignment (for consumers: the partitions).</param>
public sealed record SyncGroupRequestAssignment(string MemberId, byte[] Assignment);

/// <summary>SyncGroup response, v0-v3: <c>throttle_time_ms INT32 (v1+), error_code INT16, assignment BYTES</c>.</summary>
public sealed class SyncGroupResponse
{
    /// <summary>v1+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The error, or <see cref="ErrorCode.None"/>.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>The member's assignment (empty on error).</summary>
    public byte[] Assignment { get; set; } = [];

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static SyncGroupResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.SyncGroup, version);
        var m = new SyncGroupResponse();
        if (version >= 1)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        m.ErrorCode = (ErrorCode)r.ReadInt16();
        m.Assignment = r.ReadBytes().ToArray();
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.SyncGroup, version);
        if (version >= 1)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteInt16((short)ErrorCode);
        w.WriteBytes(Assignment);
    }
}
