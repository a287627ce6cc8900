namespace Tusk.Protocols.Kafka;

/// <summary>
/// Produce request (key 0), v3-v8 (magic-2 record batches). The records of each partition are not copied:
/// <see cref="Read(ref KafkaReader, short, ReadOnlyMemory{byte})"/> records where they sit in the frame and,
/// when given the frame's memory, slices it, so the caller must keep that buffer alive and unchanged for as long
/// as it uses the request. Parsing allocates the request, topic and partition objects and the topic names.
/// </summary>
public sealed class ProduceRequest
{
    /// <summary>Transactional id (null outside transactions).</summary>
    public string? TransactionalId { get; set; }

    /// <summary>0 (no response), 1 (leader) or -1 (all in-sync replicas).</summary>
    public short Acks { get; set; }

    /// <summary>How long the broker may wait for replication, in milliseconds.</summary>
    public int TimeoutMs { get; set; }

    /// <summary>One entry per topic.</summary>
    public List<ProduceRequestTopic> Topics { get; set; } = [];

    /// <summary>Reads the body, recording each partition's records as an offset and length in the reader's buffer.</summary>
    public static ProduceRequest Read(ref KafkaReader r, short version) => Read(ref r, version, default);

    /// <summary>
    /// Reads the body. <paramref name="frame"/> is either empty or the same bytes the reader reads (its buffer
    /// as memory); then each partition's <see cref="ProduceRequestPartition.Records"/> is a slice of it.
    /// </summary>
    public static ProduceRequest Read(ref KafkaReader r, short version, ReadOnlyMemory<byte> frame)
    {
        KafkaApis.CheckRead(ApiKey.Produce, version);
        if (!frame.IsEmpty && frame.Length != r.Position + r.Remaining)
        {
            throw new ArgumentException("frame must be the buffer the reader reads", nameof(frame));
        }
        var request = new ProduceRequest
        {
            TransactionalId = r.ReadNullableString(),
            Acks = r.ReadInt16(),
            TimeoutMs = r.ReadInt32(),
        };
        int topicCount = MessageCodec.ReadCount(ref r, 6, "topic_data");
        request.Topics = new List<ProduceRequestTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new ProduceRequestTopic { Name = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, 8, "partition_data");
            topic.Partitions = new List<ProduceRequestPartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                var partition = new ProduceRequestPartition { Index = r.ReadInt32() };
                partition.RecordsLength = MessageCodec.SkipNullableBytes(ref r, out int offset);
                partition.RecordsOffset = offset;
                partition.RecordsIsNull = offset < 0;
                if (!frame.IsEmpty && offset >= 0)
                {
                    partition.Records = frame.Slice(offset, partition.RecordsLength);
                }
                topic.Partitions.Add(partition);
            }
            request.Topics.Add(topic);
        }
        return request;
    }

    /// <summary>Writes the body (the client side; used by tests and tools). Records come from <see cref="ProduceRequestPartition.Records"/>.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.Produce, version);
        w.WriteNullableString(TransactionalId);
        w.WriteInt16(Acks);
        w.WriteInt32(TimeoutMs);
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Name);
            w.WriteArrayLength(topic.Partitions.Count);
            foreach (var partition in topic.Partitions)
            {
                w.WriteInt32(partition.Index);
                w.WriteNullableBytes(partition.Records.Span, partition.RecordsIsNull);
            }
        }
    }
}

/// <summary>A topic in a <see cref="ProduceRequest"/>.</summary>
public sealed class ProduceRequestTopic
{
    /// <summary>Topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>One entry per partition.</summary>
    public List<ProduceRequestPartition> Partitions { get; set; } = [];
}

/// <summary>A partition's records in a <see cref="ProduceRequestTopic"/>.</summary>
public sealed class ProduceRequestPartition
{
    /// <summary>Partition index.</summary>
    public int Index { get; set; }

    /// <summary>
    /// The record batches, verbatim (one or more concatenated v2 batches; see <see cref="RecordBatch.Split"/>).
    /// Set by a read that was given the frame's memory, or by a writer; aliases the frame, never a copy.
    /// </summary>
    public ReadOnlyMemory<byte> Records { get; set; }

    /// <summary>
    /// Where the records start in the buffer the request was read from (-1 for null records or a request that
    /// was not read). Valid only together with that buffer.
    /// </summary>
    public int RecordsOffset { get; set; } = -1;

    /// <summary>Length of the records as read (-1 for null). A writer uses <see cref="Records"/> and <see cref="RecordsIsNull"/>.</summary>
    public int RecordsLength { get; set; } = -1;

    /// <summary>Whether the records field is null (read as a -1 length; a writer sends -1 when set).</summary>
    public bool RecordsIsNull { get; set; }
}

/// <summary>Produce response (key 0), v3-v8. Throttle time comes after the topics in this message.</summary>
public sealed class ProduceResponse
{
    /// <summary>One entry per topic.</summary>
    public List<ProduceResponseTopic> Topics { get; set; } = [];

    /// <summary>Quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.Produce, version);
        w.WriteArrayLength(Topics.Count);
        for (int t = 0; t < Topics.Count; t++)
        {
            var topic = Topics[t];
            w.WriteString(topic.Name);
            w.WriteArrayLength(topic.Partitions.Count);
            for (int p = 0; p < topic.Partitions.Count; p++)
            {
                var partition = topic.Partitions[p];
                w.WriteInt32(partition.Index);
                w.WriteInt16((short)partition.ErrorCode);
                w.WriteInt64(partition.BaseOffset);
                w.WriteInt64(partition.LogAppendTimeMs);
                if (version >= 5)
                {
                    w.WriteInt64(partition.LogStartOffset);
                }
                if (version >= 8)
                {
                    w.WriteArrayLength(partition.RecordErrors.Count);
                    foreach (var error in partition.RecordErrors)
                    {
                        w.WriteInt32(error.BatchIndex);
                        w.WriteNullableString(error.Message);
                    }
                    w.WriteNullableString(partition.ErrorMessage);
                }
            }
        }
        w.WriteInt32(ThrottleTimeMs);
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static ProduceResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.Produce, version);
        var response = new ProduceResponse();
        int topicCount = MessageCodec.ReadCount(ref r, 6, "responses");
        response.Topics = new List<ProduceResponseTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new ProduceResponseTopic { Name = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, 22, "partition_responses");
            topic.Partitions = new List<ProduceResponsePartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                var partition = new ProduceResponsePartition
                {
                    Index = r.ReadInt32(),
                    ErrorCode = (ErrorCode)r.ReadInt16(),
                    BaseOffset = r.ReadInt64(),
                    LogAppendTimeMs = r.ReadInt64(),
                };
                if (version >= 5)
                {
                    partition.LogStartOffset = r.ReadInt64();
                }
                if (version >= 8)
                {
                    int errorCount = MessageCodec.ReadCount(ref r, 6, "record_errors");
                    partition.RecordErrors = new List<ProduceRecordError>(errorCount);
                    for (int e = 0; e < errorCount; e++)
                    {
                        partition.RecordErrors.Add(new ProduceRecordError(r.ReadInt32(), r.ReadNullableString()));
                    }
                    partition.ErrorMessage = r.ReadNullableString();
                }
                topic.Partitions.Add(partition);
            }
            response.Topics.Add(topic);
        }
        response.ThrottleTimeMs = r.ReadInt32();
        return response;
    }
}

/// <summary>A topic in a <see cref="ProduceResponse"/>.</summary>
public sealed class ProduceResponseTopic
{
    /// <summary>Topic name.</summary>
    public string Name { get; set; } = "";

    /// <summary>One entry per partition.</summary>
    public List<ProduceResponsePartition> Partitions { get; set; } = [];
}

/// <summary>A partition's result in a <see cref="ProduceResponseTopic"/>.</summary>
public sealed class ProduceResponsePartition
{
    /// <summary>Partition index.</summary>
    public int Index { get; set; }

    /// <summary>Partition error.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Offset given to the first record (-1 on error).</summary>
    public long BaseOffset { get; set; } = -1;

    /// <summary>The broker's append time when the topic uses LogAppendTime, otherwise -1.</summary>
    public long LogAppendTimeMs { get; set; } = -1;

    /// <summary>The partition's log start offset (v5+; -1 when unknown).</summary>
    public long LogStartOffset { get; set; } = -1;

    /// <summary>Per-record errors that caused the batch to be dropped (v8+).</summary>
    public List<ProduceRecordError> RecordErrors { get; set; } = [];

    /// <summary>Summary of the partition's error (v8+, nullable).</summary>
    public string? ErrorMessage { get; set; }
}

/// <summary>A record a produce was rejected for: its index in the batch and an optional message (Produce v8+).</summary>
public readonly record struct ProduceRecordError(int BatchIndex, string? Message);
