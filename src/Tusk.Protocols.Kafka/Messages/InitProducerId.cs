namespace Tusk.Protocols.Kafka;

/// <summary>InitProducerId request (key 22), v0-v1: asks for a producer id (idempotence) and epoch.</summary>
public sealed class InitProducerIdRequest
{
    /// <summary>Transactional id, or null for an idempotent producer without transactions.</summary>
    public string? TransactionalId { get; set; }

    /// <summary>Transaction timeout in ms (ignored without a transactional id).</summary>
    public int TransactionTimeoutMs { get; set; }

    /// <summary>Reads the body.</summary>
    public static InitProducerIdRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.InitProducerId, version);
        return new InitProducerIdRequest { TransactionalId = r.ReadNullableString(), TransactionTimeoutMs = r.ReadInt32() };
    }

    /// <summary>Writes the body (the client side; used by tests and tools).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.InitProducerId, version);
        w.WriteNullableString(TransactionalId);
        w.WriteInt32(TransactionTimeoutMs);
    }
}

/// <summary>InitProducerId response (key 22), v0-v1.</summary>
public sealed class InitProducerIdResponse
{
    /// <summary>Quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>Error.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>The producer id (-1 on error).</summary>
    public long ProducerId { get; set; } = -1;

    /// <summary>The producer epoch (-1 on error).</summary>
    public short ProducerEpoch { get; set; } = -1;

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.InitProducerId, version);
        w.WriteInt32(ThrottleTimeMs);
        w.WriteInt16((short)ErrorCode);
        w.WriteInt64(ProducerId);
        w.WriteInt16(ProducerEpoch);
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static InitProducerIdResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.InitProducerId, version);
        return new InitProducerIdResponse
        {
            ThrottleTimeMs = r.ReadInt32(),
            ErrorCode = (ErrorCode)r.ReadInt16(),
            ProducerId = r.ReadInt64(),
            ProducerEpoch = r.ReadInt16(),
        };
    }
}
