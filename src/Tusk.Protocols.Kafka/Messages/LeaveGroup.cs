namespace Tusk.Protocols.Kafka;

/// <summary>
/// LeaveGroup request (API key 13), classic versions v0-v3. Layout per Apache Kafka's LeaveGroupRequest.json:
/// v0-v2 <c>group_id STRING, member_id STRING</c>; v3 <c>group_id STRING, members [member_id STRING,
/// group_instance_id NULLABLE_STRING]</c>.
/// </summary>
public sealed class LeaveGroupRequest
{
    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>v0-v2: the leaving member (ignored by <see cref="Write"/> at v3).</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v3: the leaving members (ignored by <see cref="Write"/> at v0-v2).</summary>
    public List<LeaveGroupRequestMember> Members { get; set; } = [];

    /// <summary>
    /// The leaving members whatever the version: v0-v2's single <see cref="MemberId"/> as one dynamic member,
    /// v3's <see cref="Members"/> as they are.
    /// </summary>
    public IReadOnlyList<LeaveGroupRequestMember> LeavingMembers(short version) =>
        version >= 3 ? Members : [new LeaveGroupRequestMember(MemberId, null)];

    /// <summary>Parses the request body.</summary>
    public static LeaveGroupRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.LeaveGroup, version);
        var m = new LeaveGroupRequest { GroupId = r.ReadString() };
        if (version <= 2)
        {
            m.MemberId = r.ReadString();
            return m;
        }
        int count = MessageCodec.ReadCount(ref r, 2 * MessageCodec.StringBytesMin, "LeaveGroup members");
        m.Members = new List<LeaveGroupRequestMember>(count);
        for (int i = 0; i < count; i++)
        {
            string memberId = r.ReadString();
            m.Members.Add(new LeaveGroupRequestMember(memberId, r.ReadNullableString()));
        }
        return m;
    }

    /// <summary>Encodes the request body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.LeaveGroup, version);
        w.WriteString(GroupId);
        if (version <= 2)
        {
            w.WriteString(MemberId);
            return;
        }
        w.WriteArrayLength(Members.Count);
        foreach (var member in Members)
        {
            w.WriteString(member.MemberId);
            w.WriteNullableString(member.GroupInstanceId);
        }
    }
}

/// <summary>A leaving member (v3).</summary>
/// <param name="MemberId">The member id, or "" to remove a static member by instance id alone.</param>
/// <param name="GroupInstanceId">The static instance id, or null.</param>
public sealed record LeaveGroupRequestMember(string MemberId, string? GroupInstanceId);

/// <summary>
/// LeaveGroup response, v0-v3: <c>throttle_time_ms INT32 (v1+), error_code INT16, members [member_id STRING,
/// group_instance_id NULLABLE_STRING, error_code INT16] (v3+)</c>.
/// </summary>
public sealed class LeaveGroupResponse
{
    /// <summary>v1+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The top-level error (v0-v2 carry the member's error here).</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>v3+: the result for each leaving member.</summary>
    public List<LeaveGroupResponseMember> Members { get; set; } = [];

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static LeaveGroupResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.LeaveGroup, version);
        var m = new LeaveGroupResponse();
        if (version >= 1)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        m.ErrorCode = (ErrorCode)r.ReadInt16();
        if (version >= 3)
        {
            int count = MessageCodec.ReadCount(ref r, 2 * MessageCodec.StringBytesMin + 2, "LeaveGroup member results");
            m.Members = new List<LeaveGroupResponseMember>(count);
            for (int i = 0; i < count; i++)
            {
                string memberId = r.ReadString();
                string? instanceId = r.ReadNullableString();
                m.Members.Add(new LeaveGroupResponseMember(memberId, instanceId, (ErrorCode)r.ReadInt16()));
            }
        }
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.LeaveGroup, version);
        if (version >= 1)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteInt16((short)ErrorCode);
        if (version >= 3)
        {
            w.WriteArrayLength(Members.Count);
            foreach (var member in Members)
            {
                w.WriteString(member.MemberId);
                w.WriteNullableString(member.GroupInstanceId);
                w.WriteInt16((short)member.ErrorCode);
            }
        }
    }
}

/// <summary>The result for one leaving member (v3).</summary>
/// <param name="MemberId">The member id as requested.</param>
/// <param name="GroupInstanceId">The instance id as requested.</param>
/// <param name="ErrorCode">The error, or <see cref="ErrorCode.None"/>.</param>
public sealed record LeaveGroupResponseMember(string MemberId, string? GroupInstanceId, ErrorCode ErrorCode);
