namespace Tusk.Protocols.Kafka;

/// <summary>
/// FindCoordinator request (API key 10), classic versions v0-v2: which broker coordinates a consumer group
/// (key type 0) or a transactional id (key type 1). Layout per Apache Kafka's FindCoordinatorRequest.json:
/// <c>key STRING, key_type INT8 (v1+)</c>.
/// </summary>
public sealed class FindCoordinatorRequest
{
    /// <summary>Key type of a consumer group.</summary>
    public const sbyte KeyTypeGroup = 0;

    /// <summary>Key type of a transactional id.</summary>
    public const sbyte KeyTypeTransaction = 1;

    /// <summary>The group id or transactional id.</summary>
    public string Key { get; set; } = "";

    /// <summary>v1+: <see cref="KeyTypeGroup"/> or <see cref="KeyTypeTransaction"/>; v0 always means a group.</summary>
    public sbyte KeyType { get; set; } = KeyTypeGroup;

    /// <summary>Parses the request body.</summary>
    public static FindCoordinatorRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.FindCoordinator, version);
        var m = new FindCoordinatorRequest { Key = r.ReadString() };
        if (version >= 1)
        {
            m.KeyType = r.ReadInt8();
        }
        return m;
    }

    /// <summary>Encodes the request body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.FindCoordinator, version);
        w.WriteString(Key);
        if (version >= 1)
        {
            w.WriteInt8(KeyType);
        }
    }
}

/// <summary>
/// FindCoordinator response, v0-v2: <c>throttle_time_ms INT32 (v1+), error_code INT16, error_message
/// NULLABLE_STRING (v1+), node_id INT32, host STRING, port INT32</c>.
/// </summary>
public sealed class FindCoordinatorResponse
{
    /// <summary>v1+: quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>The error, or <see cref="ErrorCode.None"/>.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>v1+: a message for the error, or null.</summary>
    public string? ErrorMessage { get; set; }

    /// <summary>The coordinator's broker id (-1 on error).</summary>
    public int NodeId { get; set; } = -1;

    /// <summary>The coordinator's host ("" on error).</summary>
    public string Host { get; set; } = "";

    /// <summary>The coordinator's port (-1 on error).</summary>
    public int Port { get; set; } = -1;

    /// <summary>Parses the response body (used by tests and client-side tooling).</summary>
    public static FindCoordinatorResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.FindCoordinator, version);
        var m = new FindCoordinatorResponse();
        if (version >= 1)
        {
            m.ThrottleTimeMs = r.ReadInt32();
        }
        m.ErrorCode = (ErrorCode)r.ReadInt16();
        if (version >= 1)
        {
            m.ErrorMessage = r.ReadNullableString();
        }
        m.NodeId = r.ReadInt32();
        m.Host = r.ReadString();
        m.Port = r.ReadInt32();
        return m;
    }

    /// <summary>Encodes the response body (the host writes the response header).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.FindCoordinator, version);
        if (version >= 1)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
        w.WriteInt16((short)ErrorCode);
        if (version >= 1)
        {
            w.WriteNullableString(ErrorMessage);
        }
        w.WriteInt32(NodeId);
        w.WriteString(Host);
        w.WriteInt32(Port);
    }
}
