using Xunit;

namespace Tusk.Protocols.Kafka.Tests;

/// <summary>
/// Hostile bodies: array counts larger than the frame could hold, null where the schema forbids it, negative
/// lengths. Each must fail with <see cref="KafkaProtocolException"/> before allocating for the claimed count.
/// (Truncation at every byte and random corruption of every message are in <see cref="RoundTripTests"/>.)
/// </summary>
public sealed class MalformedFrameTests
{
    public static TheoryData<string, short, string, string> HostileBodies() => new()
    {
        // Metadata: topic count far beyond the bytes left; a count below -1; v0 has no null array.
        { "MetadataRequest", 1, "7fffffff 0001 61", "array length 2147483647" },
        { "MetadataRequest", 1, "fffffffe", "array length -2" },
        { "MetadataRequest", 0, "ffffffff", "null array" },
        // A null STRING where a topic name is required.
        { "MetadataRequest", 4, "00000001 ffff 01", "null STRING" },
        // Produce: topic count, partition count and record length beyond the frame; null topic array.
        { "ProduceRequest", 3, "ffff ffff 000003e8 | 40000000 | 0001 74", "array length 1073741824" },
        { "ProduceRequest", 3, "ffff ffff 000003e8 | 00000001 0001 74 | 7fffffff 00000000", "array length 2147483647" },
        { "ProduceRequest", 8, "ffff ffff 000003e8 | 00000001 0001 74 | 00000001 00000000 | 7ffffff0 0102", "needs 2147483632 bytes" },
        { "ProduceRequest", 3, "ffff ffff 000003e8 | ffffffff", "null array where topic_data" },
        // Fetch: partition count that would need 28 bytes each at v11.
        { "FetchRequest", 11, "ffffffff 000001f4 00000001 7fffffff 00 00000000 ffffffff | 00000001 0001 74 | 00000002 00000000 00000000", "array length 2 at offset 32" },
        { "FetchRequest", 7, "ffffffff 000001f4 00000001 7fffffff 00 00000000 ffffffff | 00000000 | ffffffff", "null array where forgotten_topics_data" },
        // ListOffsets: negative (-2) partition count.
        { "ListOffsetsRequest", 1, "ffffffff 00000001 0001 74 fffffffe", "array length -2" },
        // CreateTopics: broker id list longer than the frame.
        { "CreateTopicsRequest", 0, "00000001 0001 74 00000001 0001 | 00000001 00000000 | 10000000 00000001", "array length 268435456" },
        // DeleteTopics: string shorter than its length prefix.
        { "DeleteTopicsRequest", 0, "00000001 0010 7474 000003e8", "inside STRING" },
        // CreatePartitions: nullable assignments, but not below -1.
        { "CreatePartitionsRequest", 0, "00000001 0001 74 00000004 80000000 000003e8 00", "array length -2147483648" },
        // DescribeConfigs: config name count huge.
        { "DescribeConfigsRequest", 1, "00000001 02 0001 74 00ffffff 0001 6b 00", "array length 16777215" },
        // Responses read on the client side get the same checks.
        { "MetadataResponse", 8, "00000000 | 7fffffff 00000001 0001 68 00002384 ffff", "array length 2147483647" },
        { "FetchResponse", 11, "00000000 0000 00000000 | 00000001 0001 74 | 00000001 00000000 0000 0000000000000000 0000000000000000 0000000000000000 | 7fffffff", "array length 2147483647" },
        { "DescribeConfigsResponse", 3, "00000000 | 00000001 0000 ffff 02 0001 74 | 00000001 0001 6b ffff 00 05 00 | 3fffffff", "array length 1073741823" },
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public void HostileBodyIsAProtocolError(string message, short version, string hex, string reason)
    {
        var c = MessageCatalog.Get(message);
        byte[] body = Wire.Hex(hex);
        var error = Assert.Throws<KafkaProtocolException>(() => c.Read(body, version));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProduceReadRejectsAFrameThatIsNotTheReadersBuffer()
    {
        byte[] body = Wire.Body(w => MessageCatalog.Get("ProduceRequest").Write(MessageCatalog.Get("ProduceRequest").Sample(3), w, 3));
        Assert.Throws<ArgumentException>(() =>
        {
            var r = new KafkaReader(body);
            ProduceRequest.Read(ref r, 3, new byte[body.Length + 1]);
        });
    }
}
