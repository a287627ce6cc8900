namespace Tusk.Protocols.Kafka.Tests;

/// <summary>
/// One message type: how to build a sample at a version, write its body, and read a body back (returning the
/// message and the bytes it left unread).
/// </summary>
internal sealed record MessageCase(
    string Name,
    ApiKey ApiKey,
    Func<short, object> Sample,
    Action<object, KafkaWriter, short> Write,
    Func<byte[], short, (object Message, int Remaining)> Read)
{
    public override string ToString() => Name;
}

/// <summary>
/// Every request and response codec with a sample per version. A sample sets every field its version carries
/// to a value different from the field's default (so a field dropped or misplaced shows up), and leaves the
/// fields its version lacks at their defaults (so a round trip must give back an equal object).
/// </summary>
internal static class MessageCatalog
{
    private static readonly byte[] _records = [0xde, 0xad, 0xbe, 0xef, 0x01];

    public static readonly MessageCase[] All =
    [
        Case("ApiVersionsRequest", ApiKey.ApiVersions, _ => new ApiVersionsRequest(), (m, w, v) => m.Write(w, v), ApiVersionsRequest.Read),
        Case("ApiVersionsResponse", ApiKey.ApiVersions, ApiVersionsResponseSample, (m, w, v) => m.Write(w, v), ApiVersionsResponse.Read),
        Case("MetadataRequest", ApiKey.Metadata, MetadataRequestSample, (m, w, v) => m.Write(w, v), MetadataRequest.Read),
        Case("MetadataResponse", ApiKey.Metadata, MetadataResponseSample, (m, w, v) => m.Write(w, v), MetadataResponse.Read),
        Case("ProduceRequest", ApiKey.Produce, ProduceRequestSample, (m, w, v) => m.Write(w, v), ReadProduceRequestWithFrame),
        Case("ProduceResponse", ApiKey.Produce, ProduceResponseSample, (m, w, v) => m.Write(w, v), ProduceResponse.Read),
        Case("FetchRequest", ApiKey.Fetch, FetchRequestSample, (m, w, v) => m.Write(w, v), FetchRequest.Read),
        Case("FetchResponse", ApiKey.Fetch, FetchResponseSample, (m, w, v) => m.Write(w, v), FetchResponse.Read),
        Case("ListOffsetsRequest", ApiKey.ListOffsets, ListOffsetsRequestSample, (m, w, v) => m.Write(w, v), ListOffsetsRequest.Read),
        Case("ListOffsetsResponse", ApiKey.ListOffsets, ListOffsetsResponseSample, (m, w, v) => m.Write(w, v), ListOffsetsResponse.Read),
        Case("CreateTopicsRequest", ApiKey.CreateTopics, CreateTopicsRequestSample, (m, w, v) => m.Write(w, v), CreateTopicsRequest.Read),
        Case("CreateTopicsResponse", ApiKey.CreateTopics, CreateTopicsResponseSample, (m, w, v) => m.Write(w, v), CreateTopicsResponse.Read),
        Case("DeleteTopicsRequest", ApiKey.DeleteTopics, _ => new DeleteTopicsRequest { TopicNames = ["a", "bb"], TimeoutMs = 1500 }, (m, w, v) => m.Write(w, v), DeleteTopicsRequest.Read),
        Case("DeleteTopicsResponse", ApiKey.DeleteTopics, DeleteTopicsResponseSample, (m, w, v) => m.Write(w, v), DeleteTopicsResponse.Read),
        Case("CreatePartitionsRequest", ApiKey.CreatePartitions, _ => CreatePartitionsRequestSample(), (m, w, v) => m.Write(w, v), CreatePartitionsRequest.Read),
        Case("CreatePartitionsResponse", ApiKey.CreatePartitions, _ => CreatePartitionsResponseSample(), (m, w, v) => m.Write(w, v), CreatePartitionsResponse.Read),
        Case("DescribeConfigsRequest", ApiKey.DescribeConfigs, DescribeConfigsRequestSample, (m, w, v) => m.Write(w, v), DescribeConfigsRequest.Read),
        Case("DescribeConfigsResponse", ApiKey.DescribeConfigs, DescribeConfigsResponseSample, (m, w, v) => m.Write(w, v), DescribeConfigsResponse.Read),
        Case("InitProducerIdRequest", ApiKey.InitProducerId, _ => new InitProducerIdRequest { TransactionalId = "tx-1", TransactionTimeoutMs = 60000 }, (m, w, v) => m.Write(w, v), InitProducerIdRequest.Read),
        Case("InitProducerIdResponse", ApiKey.InitProducerId, _ => new InitProducerIdResponse { ThrottleTimeMs = 3, ErrorCode = ErrorCode.CoordinatorLoadInProgress, ProducerId = 4000, ProducerEpoch = 2 }, (m, w, v) => m.Write(w, v), InitProducerIdResponse.Read),
    ];

    /// <summary>Properties the read side fills that a constructed sample does not (where records sat in the frame).</summary>
    public static readonly string[] ReadBookkeeping = ["RecordsOffset", "RecordsLength"];

    public static MessageCase Get(string name) => Array.Find(All, c => c.Name == name) ?? throw new ArgumentException(name);

    /// <summary>(message, version) for every supported version of every message.</summary>
    public static IEnumerable<object[]> EveryVersion()
    {
        foreach (var c in All)
        {
            KafkaApis.TryGetRange(c.ApiKey, out var range);
            for (short v = range.MinVersion; v <= range.MaxVersion; v++)
            {
                yield return [c.Name, v];
            }
        }
    }

    /// <summary>(message, version) for the lowest and highest supported version of every message.</summary>
    public static IEnumerable<object[]> MinAndMaxVersions()
    {
        foreach (var c in All)
        {
            KafkaApis.TryGetRange(c.ApiKey, out var range);
            yield return [c.Name, range.MinVersion];
            yield return [c.Name, range.MaxVersion];
        }
    }

    private static MessageCase Case<T>(string name, ApiKey key, Func<short, T> sample, Action<T, KafkaWriter, short> write, ReadBody<T> read)
        where T : class => Case(name, key, sample, write, (body, v) =>
        {
            var r = new KafkaReader(body);
            T message = read(ref r, v);
            return (message, r.Remaining);
        });

    private static MessageCase Case<T>(string name, ApiKey key, Func<short, T> sample, Action<T, KafkaWriter, short> write, Func<byte[], short, (T, int)> read)
        where T : class =>
        new(name, key, v => sample(v), (m, w, v) => write((T)m, w, v), (body, v) => read(body, v));

    /// <summary>Produce is read with the frame's memory, so its records come back as slices of the body.</summary>
    private static (ProduceRequest, int) ReadProduceRequestWithFrame(byte[] body, short v)
    {
        var r = new KafkaReader(body);
        var message = ProduceRequest.Read(ref r, v, body);
        return (message, r.Remaining);
    }

    private static ApiVersionsResponse ApiVersionsResponseSample(short v) => new()
    {
        ErrorCode = ErrorCode.UnsupportedVersion,
        ApiKeys = [new(ApiKey.Produce, 3, 8), new(ApiKey.ApiVersions, 0, 2)],
        ThrottleTimeMs = v >= 1 ? 7 : 0,
    };

    private static MetadataRequest MetadataRequestSample(short v) => new()
    {
        Topics = v == 0 ? ["orders", "payments"] : v % 2 == 1 ? null : ["orders"],
        AllowAutoTopicCreation = v < 4,
        IncludeClusterAuthorizedOperations = v >= 8,
        IncludeTopicAuthorizedOperations = v >= 8,
    };

    private static MetadataResponse MetadataResponseSample(short v) => new()
    {
        ThrottleTimeMs = v >= 3 ? 11 : 0,
        Brokers =
        [
            new() { NodeId = 1, Host = "broker-1", Port = 9092, Rack = v >= 1 ? "rack-a" : null },
            new() { NodeId = 2, Host = "broker-2", Port = 9093 },
        ],
        ClusterId = v >= 2 ? "tusk-cluster" : null,
        ControllerId = v >= 1 ? 2 : -1,
        Topics =
        [
            new()
            {
                ErrorCode = ErrorCode.None,
                Name = "orders",
                IsInternal = v >= 1,
                TopicAuthorizedOperations = v >= 8 ? 0x0f : MetadataResponse.AuthorizedOperationsOmitted,
                Partitions =
                [
                    new()
                    {
                        ErrorCode = ErrorCode.None, PartitionIndex = 0, LeaderId = 1, LeaderEpoch = v >= 7 ? 5 : -1,
                        ReplicaNodes = [1, 2], IsrNodes = [1], OfflineReplicas = v >= 5 ? [2] : [],
                    },
                    new() { ErrorCode = ErrorCode.LeaderNotAvailable, PartitionIndex = 1, LeaderId = -1 },
                ],
            },
            new() { ErrorCode = ErrorCode.UnknownTopicOrPartition, Name = "missing" },
        ],
        ClusterAuthorizedOperations = v >= 8 ? 0x7 : MetadataResponse.AuthorizedOperationsOmitted,
    };

    private static ProduceRequest ProduceRequestSample(short v) => new()
    {
        TransactionalId = "tx-1",
        Acks = -1,
        TimeoutMs = 30000,
        Topics =
        [
            new()
            {
                Name = "orders",
                Partitions =
                [
                    new() { Index = 0, Records = _records },
                    new() { Index = 1, RecordsIsNull = true },
                    new() { Index = 2 },
                ],
            },
        ],
    };

    private static ProduceResponse ProduceResponseSample(short v) => new()
    {
        ThrottleTimeMs = 9,
        Topics =
        [
            new()
            {
                Name = "orders",
                Partitions =
                [
                    new()
                    {
                        Index = 0, ErrorCode = ErrorCode.None, BaseOffset = 1234, LogAppendTimeMs = 1_700_000_000_000,
                        LogStartOffset = v >= 5 ? 100 : -1,
                        RecordErrors = v >= 8 ? [new(3, "bad key"), new(4, null)] : [],
                        ErrorMessage = v >= 8 ? "some records were invalid" : null,
                    },
                    new() { Index = 1, ErrorCode = ErrorCode.NotLeaderOrFollower },
                ],
            },
        ],
    };

    private static FetchRequest FetchRequestSample(short v) => new()
    {
        ReplicaId = -1,
        MaxWaitMs = 500,
        MinBytes = 1,
        MaxBytes = 52428800,
        IsolationLevel = 1,
        SessionId = v >= 7 ? 77 : 0,
        SessionEpoch = v >= 7 ? 3 : -1,
        Topics =
        [
            new()
            {
                Topic = "orders",
                Partitions =
                [
                    new()
                    {
                        Partition = 0, CurrentLeaderEpoch = v >= 9 ? 5 : -1, FetchOffset = 42,
                        LogStartOffset = v >= 5 ? 7 : -1, PartitionMaxBytes = 1048576,
                    },
                    new() { Partition = 3, FetchOffset = 0, PartitionMaxBytes = 65536 },
                ],
            },
        ],
        ForgottenTopics = v >= 7 ? [new() { Topic = "old", Partitions = [1, 2] }] : [],
        RackId = v >= 11 ? "rack-a" : "",
    };

    private static FetchResponse FetchResponseSample(short v) => new()
    {
        ThrottleTimeMs = 4,
        ErrorCode = v >= 7 ? ErrorCode.InvalidRequest : ErrorCode.None,
        SessionId = v >= 7 ? 77 : 0,
        Topics =
        [
            new()
            {
                Topic = "orders",
                Partitions =
                [
                    new()
                    {
                        PartitionIndex = 0, ErrorCode = ErrorCode.None, HighWatermark = 50, LastStableOffset = 48,
                        LogStartOffset = v >= 5 ? 7 : -1, AbortedTransactions = [new(4000, 44)],
                        PreferredReadReplica = v >= 11 ? 2 : -1, Records = _records,
                    },
                    new() { PartitionIndex = 1, ErrorCode = ErrorCode.OffsetOutOfRange, RecordsIsNull = true },
                ],
            },
        ],
    };

    private static ListOffsetsRequest ListOffsetsRequestSample(short v) => new()
    {
        ReplicaId = -1,
        IsolationLevel = (sbyte)(v >= 2 ? 1 : 0),
        Topics =
        [
            new()
            {
                Name = "orders",
                Partitions =
                [
                    new() { PartitionIndex = 0, CurrentLeaderEpoch = v >= 4 ? 5 : -1, Timestamp = ListOffsetsRequest.EarliestTimestamp },
                    new() { PartitionIndex = 1, Timestamp = 1_700_000_000_000 },
                ],
            },
        ],
    };

    private static ListOffsetsResponse ListOffsetsResponseSample(short v) => new()
    {
        ThrottleTimeMs = v >= 2 ? 6 : 0,
        Topics =
        [
            new()
            {
                Name = "orders",
                Partitions =
                [
                    new() { PartitionIndex = 0, ErrorCode = ErrorCode.None, Timestamp = 1_700_000_000_000, Offset = 17, LeaderEpoch = v >= 4 ? 5 : -1 },
                    new() { PartitionIndex = 1, ErrorCode = ErrorCode.UnknownTopicOrPartition },
                ],
            },
        ],
    };

    private static CreateTopicsRequest CreateTopicsRequestSample(short v) => new()
    {
        Topics =
        [
            new()
            {
                Name = "orders", NumPartitions = 3, ReplicationFactor = 1,
                Configs = [new("cleanup.policy", "compact"), new("retention.ms", null)],
            },
            new()
            {
                Name = "placed", NumPartitions = -1, ReplicationFactor = -1,
                Assignments = [new() { PartitionIndex = 0, BrokerIds = [1, 2] }, new() { PartitionIndex = 1, BrokerIds = [2, 1] }],
            },
        ],
        TimeoutMs = 30000,
        ValidateOnly = v >= 1,
    };

    private static CreateTopicsResponse CreateTopicsResponseSample(short v) => new()
    {
        ThrottleTimeMs = v >= 2 ? 8 : 0,
        Topics =
        [
            new() { Name = "orders", ErrorCode = ErrorCode.None },
            new() { Name = "placed", ErrorCode = ErrorCode.TopicAlreadyExists, ErrorMessage = v >= 1 ? "Topic 'placed' already exists." : null },
        ],
    };

    private static DeleteTopicsResponse DeleteTopicsResponseSample(short v) => new()
    {
        ThrottleTimeMs = v >= 1 ? 5 : 0,
        Responses = [new("a", ErrorCode.None), new("bb", ErrorCode.UnknownTopicOrPartition)],
    };

    private static CreatePartitionsRequest CreatePartitionsRequestSample() => new()
    {
        Topics =
        [
            new() { Name = "orders", Count = 6 },
            new() { Name = "placed", Count = 3, Assignments = [[1, 2], [2, 1]] },
        ],
        TimeoutMs = 30000,
        ValidateOnly = true,
    };

    private static CreatePartitionsResponse CreatePartitionsResponseSample() => new()
    {
        ThrottleTimeMs = 2,
        Results = [new("orders", ErrorCode.None, null), new("placed", ErrorCode.InvalidPartitions, "cannot shrink")],
    };

    private static DescribeConfigsRequest DescribeConfigsRequestSample(short v) => new()
    {
        Resources =
        [
            new() { ResourceType = ConfigResourceType.Topic, ResourceName = "orders", ConfigurationKeys = ["cleanup.policy"] },
            new() { ResourceType = ConfigResourceType.Broker, ResourceName = "1" },
        ],
        IncludeSynonyms = v >= 1,
        IncludeDocumentation = v >= 3,
    };

    private static DescribeConfigsResponse DescribeConfigsResponseSample(short v) => new()
    {
        ThrottleTimeMs = 1,
        Results =
        [
            new()
            {
                ErrorCode = ErrorCode.None,
                ResourceType = ConfigResourceType.Topic,
                ResourceName = "orders",
                Configs =
                [
                    new()
                    {
                        Name = "cleanup.policy", Value = "compact", ReadOnly = false,
                        IsDefault = v == 0,
                        ConfigSource = v >= 1 ? ConfigSource.DynamicTopicConfig : ConfigSource.NotReported,
                        IsSensitive = false,
                        Synonyms = v >= 1 ? [new("cleanup.policy", "compact", ConfigSource.DynamicTopicConfig), new("log.cleanup.policy", null, ConfigSource.DefaultConfig)] : [],
                        ConfigType = v >= 3 ? ConfigType.List : ConfigType.Unknown,
                        Documentation = v >= 3 ? "How old segments are cleaned." : null,
                    },
                    new() { Name = "secret", Value = null, ReadOnly = true, IsSensitive = true },
                ],
            },
            new() { ErrorCode = ErrorCode.UnknownTopicOrPartition, ErrorMessage = "no such topic", ResourceType = ConfigResourceType.Topic, ResourceName = "gone" },
        ],
    };
}
