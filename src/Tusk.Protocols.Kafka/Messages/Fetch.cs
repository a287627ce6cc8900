namespace Tusk.Protocols.Kafka;

/// <summary>Fetch request (key 1), v4-v11. Fields a version lacks read back as their defaults.</summary>
public sealed class FetchRequest
{
    /// <summary>The follower's broker id, or -1 for a consumer.</summary>
    public int ReplicaId { get; set; } = -1;

    /// <summary>Longest wait for <see cref="MinBytes"/>, in milliseconds.</summary>
    public int MaxWaitMs { get; set; }

    /// <summary>Fewest bytes worth answering with before <see cref="MaxWaitMs"/>.</summary>
    public int MinBytes { get; set; }

    /// <summary>Most bytes in the whole response (soft: the first batch is returned even if larger).</summary>
    public int MaxBytes { get; set; } = int.MaxValue;

    /// <summary>0 = READ_UNCOMMITTED, 1 = READ_COMMITTED.</summary>
    public sbyte IsolationLevel { get; set; }

    /// <summary>Incremental fetch session id (v7+; 0 = none).</summary>
    public int SessionId { get; set; }

    /// <summary>Incremental fetch session epoch (v7+; -1 = full fetch, no session).</summary>
    public int SessionEpoch { get; set; } = -1;

    /// <summary>Partitions to fetch, by topic.</summary>
    public List<FetchRequestTopic> Topics { get; set; } = [];

    /// <summary>Partitions to drop from the fetch session (v7+).</summary>
    public List<FetchForgottenTopic> ForgottenTopics { get; set; } = [];

    /// <summary>The consumer's rack (v11+).</summary>
    public string RackId { get; set; } = "";

    /// <summary>Reads the body.</summary>
    public static FetchRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.Fetch, version);
        var request = new FetchRequest
        {
            ReplicaId = r.ReadInt32(),
            MaxWaitMs = r.ReadInt32(),
            MinBytes = r.ReadInt32(),
            MaxBytes = r.ReadInt32(),
            IsolationLevel = r.ReadInt8(),
        };
        if (version >= 7)
        {
            request.SessionId = r.ReadInt32();
            request.SessionEpoch = r.ReadInt32();
        }
        int topicCount = MessageCodec.ReadCount(ref r, 6, "topics");
        request.Topics = new List<FetchRequestTopic>(topicCount);
        int partitionBytesMin = 16 + (version >= 5 ? 8 : 0) + (version >= 9 ? 4 : 0);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new FetchRequestTopic { Topic = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, partitionBytesMin, "partitions");
            topic.Partitions = new List<FetchRequestPartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                var partition = new FetchRequestPartition { Partition = r.ReadInt32() };
                if (version >= 9)
                {
                    partition.CurrentLeaderEpoch = r.ReadInt32();
                }
                partition.FetchOffset = r.ReadInt64();
                if (version >= 5)
                {
                    partition.LogStartOffset = r.ReadInt64();
                }
                partition.PartitionMaxBytes = r.ReadInt32();
                topic.Partitions.Add(partition);
            }
            request.Topics.Add(topic);
        }
        if (version >= 7)
        {
            int forgottenCount = MessageCodec.ReadCount(ref r, 6, "forgotten_topics_data");
            request.ForgottenTopics = new List<FetchForgottenTopic>(forgottenCount);
            for (int t = 0; t < forgottenCount; t++)
            {
                request.ForgottenTopics.Add(new FetchForgottenTopic
                {
                    Topic = r.ReadString(),
                    Partitions = MessageCodec.ReadInt32List(ref r, "forgotten partitions"),
                });
            }
        }
        if (version >= 11)
        {
            request.RackId = r.ReadString();
        }
        return request;
    }

    /// <summary>Writes the body (the client side; used by tests and tools).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.Fetch, version);
        w.WriteInt32(ReplicaId);
        w.WriteInt32(MaxWaitMs);
        w.WriteInt32(MinBytes);
        w.WriteInt32(MaxBytes);
        w.WriteInt8(IsolationLevel);
        if (version >= 7)
        {
            w.WriteInt32(SessionId);
            w.WriteInt32(SessionEpoch);
        }
        w.WriteArrayLength(Topics.Count);
        foreach (var topic in Topics)
        {
            w.WriteString(topic.Topic);
            w.WriteArrayLength(topic.Partitions.Count);
            foreach (var partition in topic.Partitions)
            {
                w.WriteInt32(partition.Partition);
                if (version >= 9)
                {
                    w.WriteInt32(partition.CurrentLeaderEpoch);
                }
                w.WriteInt64(partition.FetchOffset);
                if (version >= 5)
                {
                    w.WriteInt64(partition.LogStartOffset);
                }
                w.WriteInt32(partition.PartitionMaxBytes);
            }
        }
        if (version >= 7)
        {
            w.WriteArrayLength(ForgottenTopics.Count);
            foreach (var forgotten in ForgottenTopics)
            {
                w.WriteString(forgotten.Topic);
                MessageCodec.WriteInt32List(w, forgotten.Partitions);
            }
        }
        if (version >= 11)
        {
            w.WriteString(RackId);
        }
    }
}

/// <summary>A topic in a <see cref="FetchRequest"/>.</summary>
public sealed class FetchRequestTopic
{
    /// <summary>Topic name.</summary>
    public string Topic { get; set; } = "";

    /// <summary>Partitions to fetch.</summary>
    public List<FetchRequestPartition> Partitions { get; set; } = [];
}

/// <summary>A partition in a <see cref="FetchRequestTopic"/>.</summary>
public sealed class FetchRequestPartition
{
    /// <summary>Partition index.</summary>
    public int Partition { get; set; }

    /// <summary>The leader epoch the client knows (v9+; -1 = unknown, not checked).</summary>
    public int CurrentLeaderEpoch { get; set; } = -1;

    /// <summary>First offset to return.</summary>
    public long FetchOffset { get; set; }

    /// <summary>The follower's log start offset (v5+; -1 from consumers).</summary>
    public long LogStartOffset { get; set; } = -1;

    /// <summary>Most bytes to return for this partition (soft, like <see cref="FetchRequest.MaxBytes"/>).</summary>
    public int PartitionMaxBytes { get; set; }
}

/// <summary>A topic whose partitions leave an incremental fetch session (Fetch v7+).</summary>
public sealed class FetchForgottenTopic
{
    /// <summary>Topic name.</summary>
    public string Topic { get; set; } = "";

    /// <summary>Partition indexes to forget.</summary>
    public List<int> Partitions { get; set; } = [];
}

/// <summary>
/// Fetch response (key 1), v4-v11. Record data is copied verbatim from what the caller hands in, never
/// re-encoded. Besides <see cref="Write"/>, the static writers stream a response piece by piece, so a host can
/// copy record bytes straight from its segment buffers:
/// <see cref="WriteHeader"/>, then per topic <see cref="WriteTopicHeader"/>, then per partition either
/// <see cref="WritePartition(KafkaWriter, short, FetchResponsePartition, ReadOnlySpan{byte}, bool)"/> or
/// <see cref="WritePartitionFields"/> followed by <see cref="BeginRecords"/>, raw batch bytes, and <see cref="EndRecords"/>.
/// The counts passed to the header writers must match what follows.
/// </summary>
public sealed class FetchResponse
{
    /// <summary>Quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>Top-level error (v7+; fetch session errors).</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Fetch session id (v7+; 0 = no session).</summary>
    public int SessionId { get; set; }

    /// <summary>One entry per topic.</summary>
    public List<FetchResponseTopic> Topics { get; set; } = [];

    /// <summary>Writes the body, taking each partition's records from <see cref="FetchResponsePartition.Records"/>.</summary>
    public void Write(KafkaWriter w, short version)
    {
        WriteHeader(w, version, ThrottleTimeMs, ErrorCode, SessionId, Topics.Count);
        for (int t = 0; t < Topics.Count; t++)
        {
            var topic = Topics[t];
            WriteTopicHeader(w, version, topic.Topic, topic.Partitions.Count);
            for (int p = 0; p < topic.Partitions.Count; p++)
            {
                var partition = topic.Partitions[p];
                WritePartition(w, version, partition, partition.Records.Span, partition.RecordsIsNull);
            }
        }
    }

    /// <summary>Writes the fields before the topics, ending with the topic count.</summary>
    public static void WriteHeader(KafkaWriter w, short version, int throttleTimeMs, ErrorCode errorCode, int sessionId, int topicCount)
    {
        KafkaApis.CheckWrite(ApiKey.Fetch, version);
        w.WriteInt32(throttleTimeMs);
        if (version >= 7)
        {
            w.WriteInt16((short)errorCode);
            w.WriteInt32(sessionId);
        }
        w.WriteArrayLength(topicCount);
    }

    /// <summary>Writes a topic's name and partition count.</summary>
    public static void WriteTopicHeader(KafkaWriter w, short version, string topic, int partitionCount)
    {
        w.WriteString(topic);
        w.WriteArrayLength(partitionCount);
    }

    /// <summary>Writes a whole partition; <paramref name="records"/> (ignoring <see cref="FetchResponsePartition.Records"/>) is copied verbatim.</summary>
    public static void WritePartition(KafkaWriter w, short version, FetchResponsePartition partition, ReadOnlySpan<byte> records, bool recordsIsNull)
    {
        WritePartitionFields(w, version, partition);
        w.WriteNullableBytes(records, recordsIsNull);
    }

    /// <summary>Writes a partition's fields up to, not including, its records.</summary>
    public static void WritePartitionFields(KafkaWriter w, short version, FetchResponsePartition partition)
    {
        w.WriteInt32(partition.PartitionIndex);
        w.WriteInt16((short)partition.ErrorCode);
        w.WriteInt64(partition.HighWatermark);
        w.WriteInt64(partition.LastStableOffset);
        if (version >= 5)
        {
            w.WriteInt64(partition.LogStartOffset);
        }
        var aborted = partition.AbortedTransactions;
        if (aborted == null)
        {
            w.WriteArrayLength(-1);
        }
        else
        {
            w.WriteArrayLength(aborted.Count);
            for (int i = 0; i < aborted.Count; i++)
            {
                w.WriteInt64(aborted[i].ProducerId);
                w.WriteInt64(aborted[i].FirstOffset);
            }
        }
        if (version >= 11)
        {
            w.WriteInt32(partition.PreferredReadReplica);
        }
    }

    /// <summary>
    /// Starts a non-null records field whose bytes the caller appends with <see cref="KafkaWriter.WriteRaw"/>
    /// (e.g. several batch slices); returns the position <see cref="EndRecords"/> needs.
    /// </summary>
    public static int BeginRecords(KafkaWriter w) => w.Reserve(4);

    /// <summary>Fills in the length of the records field started at <paramref name="position"/>.</summary>
    public static void EndRecords(KafkaWriter w, int position) => w.PatchInt32(position, w.Length - position - 4);

    /// <summary>
    /// Reads the body (the client side; used by tests and tools). Record bytes are copied out of the frame,
    /// so the result outlives it.
    /// </summary>
    public static FetchResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.Fetch, version);
        var response = new FetchResponse { ThrottleTimeMs = r.ReadInt32() };
        if (version >= 7)
        {
            response.ErrorCode = (ErrorCode)r.ReadInt16();
            response.SessionId = r.ReadInt32();
        }
        int topicCount = MessageCodec.ReadCount(ref r, 6, "responses");
        response.Topics = new List<FetchResponseTopic>(topicCount);
        for (int t = 0; t < topicCount; t++)
        {
            var topic = new FetchResponseTopic { Topic = r.ReadString() };
            int partitionCount = MessageCodec.ReadCount(ref r, 30, "partitions");
            topic.Partitions = new List<FetchResponsePartition>(partitionCount);
            for (int p = 0; p < partitionCount; p++)
            {
                topic.Partitions.Add(ReadPartition(ref r, version));
            }
            response.Topics.Add(topic);
        }
        return response;
    }

    private static FetchResponsePartition ReadPartition(ref KafkaReader r, short version)
    {
        var partition = new FetchResponsePartition
        {
            PartitionIndex = r.ReadInt32(),
            ErrorCode = (ErrorCode)r.ReadInt16(),
            HighWatermark = r.ReadInt64(),
            LastStableOffset = r.ReadInt64(),
        };
        if (version >= 5)
        {
            partition.LogStartOffset = r.ReadInt64();
        }
        int abortedCount = r.ReadArrayLength(16);
        if (abortedCount >= 0)
        {
            partition.AbortedTransactions = new List<FetchAbortedTransaction>(abortedCount);
            for (int i = 0; i < abortedCount; i++)
            {
                partition.AbortedTransactions.Add(new FetchAbortedTransaction(r.ReadInt64(), r.ReadInt64()));
            }
        }
        if (version >= 11)
        {
            partition.PreferredReadReplica = r.ReadInt32();
        }
        var records = r.ReadNullableBytes(out bool isNull);
        partition.RecordsIsNull = isNull;
        partition.Records = isNull ? ReadOnlyMemory<byte>.Empty : records.ToArray();
        return partition;
    }
}

/// <summary>A topic in a <see cref="FetchResponse"/>.</summary>
public sealed class FetchResponseTopic
{
    /// <summary>Topic name.</summary>
    public string Topic { get; set; } = "";

    /// <summary>One entry per partition.</summary>
    public List<FetchResponsePartition> Partitions { get; set; } = [];
}

/// <summary>A partition's data in a <see cref="FetchResponseTopic"/>.</summary>
public sealed class FetchResponsePartition
{
    /// <summary>Partition index.</summary>
    public int PartitionIndex { get; set; }

    /// <summary>Partition error.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>High watermark: the offset after the last committed record.</summary>
    public long HighWatermark { get; set; } = -1;

    /// <summary>Last stable offset (below it, every transaction is decided; -1 when unknown).</summary>
    public long LastStableOffset { get; set; } = -1;

    /// <summary>Log start offset (v5+; -1 when unknown).</summary>
    public long LogStartOffset { get; set; } = -1;

    /// <summary>Aborted transactions in the returned range, for READ_COMMITTED consumers (null when none are reported).</summary>
    public List<FetchAbortedTransaction>? AbortedTransactions { get; set; }

    /// <summary>Replica the consumer should fetch from instead (v11+; -1 = the leader).</summary>
    public int PreferredReadReplica { get; set; } = -1;

    /// <summary>Record batches, copied verbatim by <see cref="FetchResponse.Write"/>.</summary>
    public ReadOnlyMemory<byte> Records { get; set; }

    /// <summary>Whether the records field is null (-1 on the wire).</summary>
    public bool RecordsIsNull { get; set; }
}

/// <summary>An aborted transaction: its producer id and first offset (Fetch v4+).</summary>
public readonly record struct FetchAbortedTransaction(long ProducerId, long FirstOffset);
