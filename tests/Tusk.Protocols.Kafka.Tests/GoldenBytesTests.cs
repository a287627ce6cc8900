using System.Runtime.InteropServices;
using Xunit;

namespace Tusk.Protocols.Kafka.Tests;

/// <summary>
/// Hand-checked bodies, one or more per API, written field by field from Apache Kafka's message schemas
/// (clients/src/main/resources/common/message/*.json). Each side of a codec is checked against them: the
/// object writes exactly these bytes, and these bytes read back as the object. '|' separates fields.
/// </summary>
public sealed class GoldenBytesTests
{
    private static void AssertGolden<T>(T message, short version, string hex, Action<T, KafkaWriter, short> write, ReadBody<T> read)
        where T : class
    {
        byte[] expected = Wire.Hex(hex);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Wire.Body(w => write(message, w, version))));
        Wire.AssertDeepEqual(message, Wire.ReadAll(expected, version, read), MessageCatalog.ReadBookkeeping);
    }

    [Fact]
    public void ApiVersions()
    {
        Assert.Empty(Wire.Body(w => new ApiVersionsRequest().Write(w, 2)));
        Assert.NotNull(Wire.ReadAll([], 0, ApiVersionsRequest.Read));

        AssertGolden(new ApiVersionsResponse { ApiKeys = [new(ApiKey.ApiVersions, 0, 2)], ThrottleTimeMs = 0 }, 2,
            "0000 | 00000001 | 0012 0000 0002 | 00000000", (m, w, v) => m.Write(w, v), ApiVersionsResponse.Read);
        // v0 has no throttle time.
        AssertGolden(new ApiVersionsResponse { ApiKeys = [new(ApiKey.ApiVersions, 0, 2)] }, 0,
            "0000 | 00000001 | 0012 0000 0002", (m, w, v) => m.Write(w, v), ApiVersionsResponse.Read);
    }

    [Fact]
    public void ApiVersionsUnsupportedVersionFallbackIsTheV0BodyWithError35AndEveryApi()
    {
        byte[] expected = Wire.Hex("""
            0023 | 00000013
            0000 0003 0008 | 0001 0004 000b | 0002 0001 0005 | 0003 0000 0008 | 0008 0002 0007
            0009 0001 0005 | 000a 0000 0002 | 000b 0000 0005 | 000c 0000 0003 | 000d 0000 0003
            000e 0000 0003 | 000f 0000 0004 | 0010 0000 0002 | 0012 0000 0002 | 0013 0000 0004
            0014 0000 0003 | 0016 0000 0001 | 0020 0000 0003 | 0025 0000 0001
            """);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Wire.Body(ApiVersionsResponse.WriteUnsupportedVersion)));
    }

    [Fact]
    public void Metadata()
    {
        AssertGolden(new MetadataRequest { Topics = ["a"] }, 0, "00000001 | 0001 61", (m, w, v) => m.Write(w, v), MetadataRequest.Read);
        // v0 says "all topics" with an empty array, v1+ with a null one.
        Assert.Null(Wire.ReadAll(Wire.Hex("00000000"), 0, MetadataRequest.Read).Topics);
        AssertGolden(new MetadataRequest(), 0, "00000000", (m, w, v) => m.Write(w, v), MetadataRequest.Read);
        AssertGolden(new MetadataRequest(), 1, "ffffffff", (m, w, v) => m.Write(w, v), MetadataRequest.Read);
        Assert.Empty(Wire.ReadAll(Wire.Hex("00000000"), 1, MetadataRequest.Read).Topics!);
        AssertGolden(new MetadataRequest { AllowAutoTopicCreation = true, IncludeTopicAuthorizedOperations = true }, 8,
            "ffffffff | 01 | 00 | 01", (m, w, v) => m.Write(w, v), MetadataRequest.Read);

        var response = new MetadataResponse
        {
            Brokers = [new() { NodeId = 1, Host = "h", Port = 9092 }],
            ControllerId = 1,
            Topics =
            [
                new()
                {
                    Name = "t",
                    Partitions = [new() { PartitionIndex = 0, LeaderId = 1, ReplicaNodes = [1], IsrNodes = [1] }],
                },
            ],
        };
        AssertGolden(response, 1, """
            00000001 | 00000001 0001 68 00002384 ffff
            00000001
            00000001 | 0000 0001 74 00 | 00000001 | 0000 00000000 00000001 00000001 00000001 00000001 00000001
            """, (m, w, v) => m.Write(w, v), MetadataResponse.Read);
        response.ClusterId = "c";
        response.Topics[0].Partitions[0].LeaderEpoch = 3;
        response.Topics[0].TopicAuthorizedOperations = 0x08;
        AssertGolden(response, 8, """
            00000000
            00000001 | 00000001 0001 68 00002384 ffff
            0001 63
            00000001
            00000001 | 0000 0001 74 00
              00000001 | 0000 00000000 00000001 00000003 00000001 00000001 00000001 00000001 00000000
              00000008
            80000000
            """, (m, w, v) => m.Write(w, v), MetadataResponse.Read);
    }

    [Fact]
    public void Produce()
    {
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 1000,
            Topics = [new() { Name = "t", Partitions = [new() { Index = 0, Records = new byte[] { 1, 2, 3 } }] }],
        };
        byte[] body = Wire.Hex("ffff | ffff | 000003e8 | 00000001 | 0001 74 | 00000001 | 00000000 | 00000003 010203");
        Assert.Equal(body, Wire.Body(w => request.Write(w, 3)));

        // Without the frame's memory, the records are located but not sliced.
        var located = Wire.ReadAll(body, 3, ProduceRequest.Read).Topics[0].Partitions[0];
        Assert.Equal((27, 3, false, true), (located.RecordsOffset, located.RecordsLength, located.RecordsIsNull, located.Records.IsEmpty));

        // With it, the records are a slice of the frame's own array: never copied.
        var r = new KafkaReader(body);
        var sliced = ProduceRequest.Read(ref r, 3, body).Topics[0].Partitions[0];
        Assert.True(MemoryMarshal.TryGetArray(sliced.Records, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal((27, 3), (segment.Offset, segment.Count));

        var nullRecords = Wire.ReadAll(Wire.Hex("0001 78 | 0001 | 00000000 | 00000001 | 0001 74 | 00000001 | 00000002 | ffffffff"), 8, ProduceRequest.Read);
        Assert.Equal("x", nullRecords.TransactionalId);
        Assert.True(nullRecords.Topics[0].Partitions[0].RecordsIsNull);
        Assert.Equal(-1, nullRecords.Topics[0].Partitions[0].RecordsOffset);

        var response = new ProduceResponse
        {
            Topics =
            [
                new()
                {
                    Name = "t",
                    Partitions = [new() { Index = 0, BaseOffset = 5, LogStartOffset = 0, RecordErrors = [new(2, "x")] }],
                },
            ],
        };
        AssertGolden(response, 8, """
            00000001 | 0001 74 | 00000001
              00000000 | 0000 | 0000000000000005 | ffffffffffffffff | 0000000000000000
              00000001 | 00000002 0001 78 | ffff
            00000000
            """, (m, w, v) => m.Write(w, v), ProduceResponse.Read);
        response.Topics[0].Partitions[0] = new() { Index = 0, BaseOffset = 5 };
        AssertGolden(response, 3, "00000001 | 0001 74 | 00000001 | 00000000 0000 0000000000000005 ffffffffffffffff | 00000000",
            (m, w, v) => m.Write(w, v), ProduceResponse.Read);
    }

    [Fact]
    public void Fetch()
    {
        var request = new FetchRequest
        {
            MaxWaitMs = 500,
            MinBytes = 1,
            Topics = [new() { Topic = "t", Partitions = [new() { Partition = 0, FetchOffset = 7, PartitionMaxBytes = 1 << 20 }] }],
        };
        AssertGolden(request, 4, """
            ffffffff | 000001f4 | 00000001 | 7fffffff | 00
            00000001 | 0001 74 | 00000001 | 00000000 0000000000000007 00100000
            """, (m, w, v) => m.Write(w, v), FetchRequest.Read);
        request.IsolationLevel = 1;
        request.Topics[0].Partitions[0].CurrentLeaderEpoch = 5;
        AssertGolden(request, 11, """
            ffffffff | 000001f4 | 00000001 | 7fffffff | 01 | 00000000 | ffffffff
            00000001 | 0001 74 | 00000001 | 00000000 00000005 0000000000000007 ffffffffffffffff 00100000
            00000000
            0000
            """, (m, w, v) => m.Write(w, v), FetchRequest.Read);

        var response = new FetchResponse
        {
            Topics =
            [
                new()
                {
                    Topic = "t",
                    Partitions = [new() { PartitionIndex = 0, HighWatermark = 10, LastStableOffset = 10, Records = new byte[] { 0xaa, 0xbb } }],
                },
            ],
        };
        AssertGolden(response, 4, """
            00000000
            00000001 | 0001 74 | 00000001
              00000000 0000 000000000000000a 000000000000000a | ffffffff | 00000002 aabb
            """, (m, w, v) => m.Write(w, v), FetchResponse.Read);
        response.Topics[0].Partitions[0] = new() { PartitionIndex = 0, HighWatermark = 10, LastStableOffset = 10, AbortedTransactions = [], RecordsIsNull = true };
        AssertGolden(response, 11, """
            00000000 | 0000 | 00000000
            00000001 | 0001 74 | 00000001
              00000000 0000 000000000000000a 000000000000000a ffffffffffffffff | 00000000 | ffffffff | ffffffff
            """, (m, w, v) => m.Write(w, v), FetchResponse.Read);
    }

    [Fact]
    public void FetchResponseStreamedPieceByPieceEqualsTheObjectWrite()
    {
        byte[] batchA = [1, 2, 3];
        byte[] batchB = [4, 5];
        foreach (short version in new short[] { 4, 7, 11 })
        {
            var partition = new FetchResponsePartition
            {
                PartitionIndex = 2, HighWatermark = 9, LastStableOffset = 9, LogStartOffset = 0,
                AbortedTransactions = [new(1, 2)], Records = new byte[] { 1, 2, 3, 4, 5 },
            };
            var whole = new FetchResponse { SessionId = version >= 7 ? 3 : 0, Topics = [new() { Topic = "t", Partitions = [partition, partition] }] };
            byte[] expected = Wire.Body(w => whole.Write(w, version));

            byte[] streamed = Wire.Body(w =>
            {
                FetchResponse.WriteHeader(w, version, 0, ErrorCode.None, whole.SessionId, 1);
                FetchResponse.WriteTopicHeader(w, version, "t", 2);
                FetchResponse.WritePartition(w, version, partition, partition.Records.Span, false);
                FetchResponse.WritePartitionFields(w, version, partition);
                int records = FetchResponse.BeginRecords(w);
                w.WriteRaw(batchA);
                w.WriteRaw(batchB);
                FetchResponse.EndRecords(w, records);
            });
            Assert.Equal(expected, streamed);
        }
    }

    [Fact]
    public void ListOffsets()
    {
        var request = new ListOffsetsRequest { Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 0, Timestamp = ListOffsetsRequest.LatestTimestamp }] }] };
        AssertGolden(request, 1, "ffffffff | 00000001 | 0001 74 | 00000001 | 00000000 ffffffffffffffff",
            (m, w, v) => m.Write(w, v), ListOffsetsRequest.Read);
        request.IsolationLevel = 1;
        request.Topics[0].Partitions[0].Timestamp = ListOffsetsRequest.EarliestTimestamp;
        AssertGolden(request, 5, "ffffffff | 01 | 00000001 | 0001 74 | 00000001 | 00000000 ffffffff fffffffffffffffe",
            (m, w, v) => m.Write(w, v), ListOffsetsRequest.Read);

        var response = new ListOffsetsResponse { Topics = [new() { Name = "t", Partitions = [new() { PartitionIndex = 0, Offset = 42 }] }] };
        AssertGolden(response, 1, "00000001 | 0001 74 | 00000001 | 00000000 0000 ffffffffffffffff 000000000000002a",
            (m, w, v) => m.Write(w, v), ListOffsetsResponse.Read);
        response.Topics[0].Partitions[0].LeaderEpoch = 2;
        AssertGolden(response, 5, "00000000 | 00000001 | 0001 74 | 00000001 | 00000000 0000 ffffffffffffffff 000000000000002a 00000002",
            (m, w, v) => m.Write(w, v), ListOffsetsResponse.Read);
    }

    [Fact]
    public void CreateTopics()
    {
        var request = new CreateTopicsRequest
        {
            Topics = [new() { Name = "t", NumPartitions = 3, ReplicationFactor = 1, Configs = [new("a", null)] }],
            TimeoutMs = 1000,
        };
        AssertGolden(request, 0, "00000001 | 0001 74 | 00000003 | 0001 | 00000000 | 00000001 0001 61 ffff | 000003e8",
            (m, w, v) => m.Write(w, v), CreateTopicsRequest.Read);
        request.ValidateOnly = true;
        request.Topics[0].Assignments = [new() { PartitionIndex = 0, BrokerIds = [1] }];
        AssertGolden(request, 4, "00000001 | 0001 74 | 00000003 | 0001 | 00000001 00000000 00000001 00000001 | 00000001 0001 61 ffff | 000003e8 | 01",
            (m, w, v) => m.Write(w, v), CreateTopicsRequest.Read);

        AssertGolden(new CreateTopicsResponse { Topics = [new() { Name = "t", ErrorCode = ErrorCode.TopicAlreadyExists }] }, 0,
            "00000001 | 0001 74 0024", (m, w, v) => m.Write(w, v), CreateTopicsResponse.Read);
        AssertGolden(new CreateTopicsResponse { ThrottleTimeMs = 1, Topics = [new() { Name = "t" }] }, 4,
            "00000001 | 00000001 | 0001 74 0000 ffff", (m, w, v) => m.Write(w, v), CreateTopicsResponse.Read);
    }

    [Fact]
    public void DeleteTopics()
    {
        var request = new DeleteTopicsRequest { TopicNames = ["t"], TimeoutMs = 1000 };
        AssertGolden(request, 0, "00000001 0001 74 | 000003e8", (m, w, v) => m.Write(w, v), DeleteTopicsRequest.Read);
        AssertGolden(request, 3, "00000001 0001 74 | 000003e8", (m, w, v) => m.Write(w, v), DeleteTopicsRequest.Read);

        var response = new DeleteTopicsResponse { Responses = [new("t", ErrorCode.None)] };
        AssertGolden(response, 0, "00000001 | 0001 74 0000", (m, w, v) => m.Write(w, v), DeleteTopicsResponse.Read);
        AssertGolden(response, 3, "00000000 | 00000001 | 0001 74 0000", (m, w, v) => m.Write(w, v), DeleteTopicsResponse.Read);
    }

    [Fact]
    public void CreatePartitions()
    {
        var request = new CreatePartitionsRequest { Topics = [new() { Name = "t", Count = 4 }], TimeoutMs = 1000 };
        AssertGolden(request, 0, "00000001 | 0001 74 00000004 ffffffff | 000003e8 | 00",
            (m, w, v) => m.Write(w, v), CreatePartitionsRequest.Read);
        request.Topics[0].Assignments = [[1, 2]];
        request.ValidateOnly = true;
        AssertGolden(request, 1, "00000001 | 0001 74 00000004 00000001 00000002 00000001 00000002 | 000003e8 | 01",
            (m, w, v) => m.Write(w, v), CreatePartitionsRequest.Read);

        AssertGolden(new CreatePartitionsResponse { Results = [new("t", ErrorCode.InvalidPartitions, "m")] }, 1,
            "00000000 | 00000001 | 0001 74 0025 0001 6d", (m, w, v) => m.Write(w, v), CreatePartitionsResponse.Read);
    }

    [Fact]
    public void DescribeConfigs()
    {
        var request = new DescribeConfigsRequest { Resources = [new() { ResourceType = ConfigResourceType.Topic, ResourceName = "t" }] };
        AssertGolden(request, 0, "00000001 | 02 0001 74 ffffffff", (m, w, v) => m.Write(w, v), DescribeConfigsRequest.Read);
        request.Resources[0].ConfigurationKeys = ["k"];
        request.IncludeSynonyms = true;
        AssertGolden(request, 3, "00000001 | 02 0001 74 00000001 0001 6b | 01 | 00", (m, w, v) => m.Write(w, v), DescribeConfigsRequest.Read);

        var entry = new DescribeConfigsEntry { Name = "k", Value = "v", IsDefault = true };
        var response = new DescribeConfigsResponse
        {
            Results = [new() { ResourceType = ConfigResourceType.Topic, ResourceName = "t", Configs = [entry] }],
        };
        AssertGolden(response, 0, "00000000 | 00000001 | 0000 ffff 02 0001 74 | 00000001 | 0001 6b 0001 76 00 01 00",
            (m, w, v) => m.Write(w, v), DescribeConfigsResponse.Read);
        entry.IsDefault = false;
        entry.ConfigSource = ConfigSource.DefaultConfig;
        AssertGolden(response, 1, "00000000 | 00000001 | 0000 ffff 02 0001 74 | 00000001 | 0001 6b 0001 76 00 05 00 00000000",
            (m, w, v) => m.Write(w, v), DescribeConfigsResponse.Read);
        entry.Synonyms = [new("k", null, ConfigSource.DefaultConfig)];
        entry.ConfigType = ConfigType.String;
        AssertGolden(response, 3, "00000000 | 00000001 | 0000 ffff 02 0001 74 | 00000001 | 0001 6b 0001 76 00 05 00 00000001 0001 6b ffff 05 | 02 ffff",
            (m, w, v) => m.Write(w, v), DescribeConfigsResponse.Read);
    }

    [Fact]
    public void InitProducerId()
    {
        var request = new InitProducerIdRequest { TransactionTimeoutMs = 60000 };
        AssertGolden(request, 0, "ffff | 0000ea60", (m, w, v) => m.Write(w, v), InitProducerIdRequest.Read);
        request.TransactionalId = "t";
        AssertGolden(request, 1, "0001 74 | 0000ea60", (m, w, v) => m.Write(w, v), InitProducerIdRequest.Read);

        var response = new InitProducerIdResponse { ProducerId = 1000, ProducerEpoch = 0 };
        AssertGolden(response, 0, "00000000 | 0000 | 00000000000003e8 | 0000", (m, w, v) => m.Write(w, v), InitProducerIdResponse.Read);
        AssertGolden(response, 1, "00000000 | 0000 | 00000000000003e8 | 0000", (m, w, v) => m.Write(w, v), InitProducerIdResponse.Read);
    }
}
