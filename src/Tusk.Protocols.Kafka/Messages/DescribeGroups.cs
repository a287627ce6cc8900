namespace Tusk.Protocols.Kafka;

/// <summary>
/// DescribeGroups request (API key 15), classic versions v0-v4. Layout per Apache Kafka's
/// DescribeGroupsRequest.json: <c>groups [STRING], include_authorized_operations BOOLEAN (v3+)</c>.
/// </summary>
public sealed class DescribeGroupsRequest
{
    /// <summary>The groups to describe.</summary>
    public List<string> Groups { get; set; } = [];

    /// <summary>v3+: whether to fill in <see cref="DescribedGroup.AuthorizedOperations"/>.</summary>
    public bool IncludeAuthorizedOperations { get; set; }

    /// <summary>Parses the request body.</summary>
    public static DescribeGroupsRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.DescribeGroups, version);
        var m = new DescribeGroupsRequest { Groups = MessageCodec.ReadStringList(ref r, "DescribeGroups groups") };
        if (version >= 3)
        {
            m.IncludeAuthorizedOperations = r.ReadBoolean();
        }
        return m;
    }

    /// <summary>Encodes the request body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.DescribeGroups, version);
        MessageCodec.WriteStringList(w, Groups);
        if (version >= 3)
        {
            w.WriteBoolean(IncludeAuthorizedOperations);
        }
    }
}

/// <summary>
/// DescribeGroups response, v0-v4: <c>throttle_time_ms INT32 (v1+), groups [error_code INT16, group_id STRING,
/// group_state STRING, protocol_type STRING, protocol_data STRING, members [member_id STRING, group_instance_id
/// NULLABLE_STRING (v4+), client_id STRING, client_host STRING, member_metadata BYTES, member_assignment BYTES],
/// authorized_operations INT32 (v3+)]</c>.
/// </summary>
public sealed class DescribeGroupsResponse
{
    /// <summary>v1+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>One entry per requested group, in request order.</summary>
    public List<DescribedGroup> Groups { get; set; } = [];

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static DescribeGroupsResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.DescribeGroups, version);
        var m = new DescribeGroupsResponse();
        if (version >= 1)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        int groupCount = MessageCodec.ReadCount(ref r, 2 + 4 * MessageCodec.StringBytesMin + 4, "DescribeGroups groups");
        m.Groups = new List<DescribedGroup>(groupCount);
        for (int g = 0; g < groupCount; g++)
        {
            var group = new DescribedGroup
            {
                ErrorCode = (ErrorCode)r.ReadInt16(),
                GroupId = r.ReadString(),
                GroupState = r.ReadString(),
                ProtocolType = r.ReadString(),
                ProtocolData = r.ReadString(),
            };
            int memberCount = MessageCodec.ReadCount(ref r, 3 * MessageCodec.StringBytesMin + 8, "DescribeGroups members");
            group.Members = new List<DescribedGroupMember>(memberCount);
            for (int i = 0; i < memberCount; i++)
            {
                var member = new DescribedGroupMember { MemberId = r.ReadString() };
                if (version >= 4)
                {
                    member.GroupInstanceId = r.ReadNullableString();
                }
                member.ClientId = r.ReadString();
                member.ClientHost = r.ReadString();
                member.MemberMetadata = r.ReadBytes().ToArray();
                member.MemberAssignment = r.ReadBytes().ToArray();
                group.Members.Add(member);
            }
            if (version >= 3)
            {
                group.AuthorizedOperations = r.ReadInt32();
            }
            m.Groups.Add(group);
        }
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.DescribeGroups, version);
        if (version >= 1)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteArrayLength(Groups.Count);
        foreach (var group in Groups)
        {
            w.WriteInt16((short)group.ErrorCode);
            w.WriteString(group.GroupId);
            w.WriteString(group.GroupState);
            w.WriteString(group.ProtocolType);
            w.WriteString(group.ProtocolData);
            w.WriteArrayLength(group.Members.Count);
            foreach (var member in group.Members)
            {
                w.WriteString(member.MemberId);
                if (version >= 4)
                {
                    w.WriteNullableString(member.GroupInstanceId);
                }
                w.WriteString(member.ClientId);
                w.WriteString(member.ClientHost);
                w.WriteBytes(member.MemberMetadata);
                w.WriteBytes(member.MemberAssignment);
            }
            if (version >= 3)
            {
                w.WriteInt32(group.AuthorizedOperations);
            }
        }
    }
}

/// <summary>One described group.</summary>
public sealed class DescribedGroup
{
    /// <summary>"Not requested" value of <see cref="AuthorizedOperations"/>.</summary>
    public const int AuthorizedOperationsOmitted = int.MinValue;

    /// <summary>The error, or <see cref="ErrorCode.None"/>.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>The state name: Empty, PreparingRebalance, CompletingRebalance, Stable or Dead.</summary>
    public string GroupState { get; set; } = "";

    /// <summary>The protocol type, or "".</summary>
    public string ProtocolType { get; set; } = "";

    /// <summary>The selected protocol while Stable, or "".</summary>
    public string ProtocolData { get; set; } = "";

    /// <summary>The members.</summary>
    public List<DescribedGroupMember> Members { get; set; } = [];

    /// <summary>v3+: a bit field of the operations the caller may perform, or <see cref="AuthorizedOperationsOmitted"/>.</summary>
    public int AuthorizedOperations { get; set; } = AuthorizedOperationsOmitted;
}

/// <summary>One member of a described group.</summary>
public sealed class DescribedGroupMember
{
    /// <summary>The member id.</summary>
    public string MemberId { get; set; } = "";

    /// <summary>v4+: the static instance id, or null.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>The client id of the member's latest JoinGroup.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The client's host.</summary>
    public string ClientHost { get; set; } = "";

    /// <summary>The member's metadata for the selected protocol (empty unless Stable).</summary>
    public byte[] MemberMetadata { get; set; } = [];

    /// <summary>The member's current assignment (empty unless Stable).</summary>
    public byte[] MemberAssignment { get; set; } = [];
}
