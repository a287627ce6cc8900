using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Tusk.Cli.Tests;
using Tusk.Protocols.Kafka;
using Xunit;

namespace Tusk.Server.Tests;

/// <summary>
/// Hostile and damaged input on the wire, against a real broker: a malformed frame or an oversized one closes
/// only that connection while others keep being served; a batch with a bad CRC is refused with CORRUPT_MESSAGE
/// and nothing is stored; an ApiVersions version the broker lacks gets the protocol's fallback answer.
/// </summary>
public sealed class WireTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly BrokerProcess _broker;

    public WireTests()
    {
        _broker = BrokerProcess.Start(_dir.Sub("data"));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }

    private TcpClient Connect()
    {
        var c = new TcpClient();
        c.Connect("127.0.0.1", _broker.Port);
        c.ReceiveTimeout = 10_000;
        return c;
    }

    private static byte[] Request(ApiKey key, short version, int correlationId, Action<KafkaWriter> body)
    {
        var w = new KafkaWriter();
        w.WriteInt16((short)key);
        w.WriteInt16(version);
        w.WriteInt32(correlationId);
        w.WriteNullableString("wire-test");
        body(w);
        return w.FinishFrame().ToArray();
    }

    private static byte[] ReadFrame(NetworkStream s)
    {
        var size = new byte[4];
        s.ReadExactly(size);
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        s.ReadExactly(payload);
        return payload;
    }

    private static bool IsClosedByPeer(NetworkStream s)
    {
        try
        {
            var b = new byte[1];
            return s.Read(b, 0, 1) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private void AssertStillServing()
    {
        var r = Client.Kcat(_broker.Bootstrap, "-P -t alive -p 0", "still here\n");
        Assert.True(r.ExitCode == 0, $"the broker stopped serving others: {r.Stderr}\n{_broker.Output}");
    }

    [Fact]
    public void AGarbageFrameClosesOnlyThatConnection()
    {
        using var bad = Connect();
        var s = bad.GetStream();
        var garbage = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(garbage, 12);
        garbage.AsSpan(4).Fill(0xEE); // api key -4370: no such API
        s.Write(garbage);
        Assert.True(IsClosedByPeer(s), "a malformed request did not close its connection");
        AssertStillServing();
    }

    [Fact]
    public void AnOversizedFrameIsRefusedWithoutReadingIt()
    {
        using var bad = Connect();
        var s = bad.GetStream();
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, int.MaxValue);
        s.Write(header);
        Assert.True(IsClosedByPeer(s), "a 2 GiB frame announcement did not close the connection");
        AssertStillServing();
    }

    [Fact]
    public void ABatchWithABadCrcIsRefusedWithCorruptMessage()
    {
        AssertStillServing(); // creates the topic "alive" with one record
        var builder = new RecordBatchBuilder();
        builder.Append(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes("damaged"));
        byte[] batch = builder.Build();
        batch[^1] ^= 0x40; // a flipped bit in the record bytes: the CRC no longer matches
        var produce = new ProduceRequest { Acks = -1, TimeoutMs = 5000 };
        produce.Topics.Add(new ProduceRequestTopic
        {
            Name = "alive",
            Partitions = [new ProduceRequestPartition { Index = 0, Records = batch }],
        });
        using var client = Connect();
        var s = client.GetStream();
        s.Write(Request(ApiKey.Produce, 7, 42, produce.Write7));
        var frame = ReadFrame(s);
        var r = new KafkaReader(frame);
        Assert.Equal(42, r.ReadInt32());
        var response = ProduceResponse.Read(ref r, 7);
        Assert.Equal(ErrorCode.CorruptMessage, response.Topics[0].Partitions[0].ErrorCode);
        var consumed = Client.Kcat(_broker.Bootstrap, "-C -t alive -p 0 -o beginning -e -q -f %s\\n");
        Assert.Equal("still here\n", consumed.Stdout); // the damaged batch was not stored
    }

    /// <summary>
    /// Produce requests sent back to back on one connection (pipelined) are answered in request order, each
    /// batch at the next offsets, and a request of another kind after them still sees all of them.
    /// </summary>
    [Fact]
    public void PipelinedProducesAreAnsweredInOrderWithConsecutiveOffsets()
    {
        AssertStillServing(); // creates "alive" with one record at offset 0
        using var client = Connect();
        var s = client.GetStream();
        const int requests = Kafka.KafkaServer.PipelineDepthMax + 4; // past the pipeline's depth: the reader must wait for the oldest
        for (int i = 0; i < requests; i++)
        {
            var builder = new RecordBatchBuilder();
            builder.Append(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"p{i}"));
            builder.Append(1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"q{i}"));
            var produce = new ProduceRequest { Acks = -1, TimeoutMs = 5000 };
            produce.Topics.Add(new ProduceRequestTopic
            {
                Name = "alive",
                Partitions = [new ProduceRequestPartition { Index = 0, Records = builder.Build() }],
            });
            s.Write(Request(ApiKey.Produce, 7, 100 + i, produce.Write7)); // no waiting between requests
        }
        s.Write(Request(ApiKey.ListOffsets, 1, 999, w =>
        {
            var list = new ListOffsetsRequest();
            list.Topics.Add(new ListOffsetsRequestTopic { Name = "alive", Partitions = [new ListOffsetsRequestPartition { PartitionIndex = 0, Timestamp = -1 }] });
            list.Write(w, 1);
        }));
        for (int i = 0; i < requests; i++)
        {
            var r = new KafkaReader(ReadFrame(s));
            Assert.Equal(100 + i, r.ReadInt32());
            var answer = ProduceResponse.Read(ref r, 7).Topics[0].Partitions[0];
            Assert.Equal(ErrorCode.None, answer.ErrorCode);
            Assert.Equal(1 + 2L * i, answer.BaseOffset);
        }
        var last = new KafkaReader(ReadFrame(s));
        Assert.Equal(999, last.ReadInt32());
        Assert.Equal(1 + 2L * requests, ListOffsetsResponse.Read(ref last, 1).Topics[0].Partitions[0].Offset);
    }

    /// <summary>
    /// A produce frame of ~2.7 MB, written in uneven pieces (its size one byte at a time, the rest in 7,001-byte
    /// writes, the last piece sharing a write with the next request), is stored intact
    /// and both requests are answered; a connection that ends inside a frame is closed and others are still served.
    /// </summary>
    [Fact]
    public void AFrameArrivingInPiecesIsReadWholeAndATruncatedOneClosesOnlyItsConnection()
    {
        AssertStillServing(); // creates "alive" with one record at offset 0
        // Three batches of ~0.9 MB in one partition's records: the frame outgrows the array a frame starts with.
        var values = new List<string>();
        var batches = new List<byte>();
        for (int b = 0; b < 3; b++)
        {
            var builder = new RecordBatchBuilder();
            for (int i = 0; i < 900; i++)
            {
                values.Add($"v{values.Count:D4}-" + new string((char)('a' + values.Count % 26), 1000));
                builder.Append(i, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes(values[^1]));
            }
            batches.AddRange(builder.Build());
        }
        var produce = new ProduceRequest { Acks = -1, TimeoutMs = 5000 };
        produce.Topics.Add(new ProduceRequestTopic
        {
            Name = "alive",
            Partitions = [new ProduceRequestPartition { Index = 0, Records = batches.ToArray() }],
        });
        byte[] big = Request(ApiKey.Produce, 7, 7, produce.Write7);
        Assert.True(big.Length > Kafka.KafkaFrameReader.FrameBytesFirst, "the frame must outgrow the array it starts in");
        byte[] small = Request(ApiKey.ApiVersions, 0, 8, _ => { });
        using (var client = Connect())
        {
            client.NoDelay = true;
            var s = client.GetStream();
            for (int i = 0; i < 4; i++)
            {
                s.Write(big, i, 1);
                s.Flush();
            }
            int at = 4;
            while (big.Length - at > 7001)
            {
                s.Write(big, at, 7001);
                at += 7001;
            }
            s.Write([.. big.AsSpan(at), .. small]);
            var r = new KafkaReader(ReadFrame(s));
            Assert.Equal(7, r.ReadInt32());
            var answer = ProduceResponse.Read(ref r, 7).Topics[0].Partitions[0];
            Assert.Equal(ErrorCode.None, answer.ErrorCode);
            Assert.Equal(1, answer.BaseOffset);
            var versions = new KafkaReader(ReadFrame(s));
            Assert.Equal(8, versions.ReadInt32());
        }
        var consumed = Client.Kcat(_broker.Bootstrap, $"-C -t alive -p 0 -o 1 -c {values.Count} -e -q -f %s\\n");
        Assert.Equal(string.Join("", values.Select(v => v + "\n")), consumed.Stdout);

        using (var truncated = Connect())
        {
            var s = truncated.GetStream();
            s.Write(big, 0, big.Length / 2); // half a frame, then the client goes away
        }
        AssertStillServing();
    }

    [Fact]
    public void ApiVersionsFromANewerClientGetsTheFallbackAnswer()
    {
        using var client = Connect();
        var s = client.GetStream();
        s.Write(Request(ApiKey.ApiVersions, 3, 7, w =>
        {
            w.WriteInt8(0); // flexible v3 body: empty tagged fields after the header's own tag buffer
        }));
        var frame = ReadFrame(s);
        var r = new KafkaReader(frame);
        Assert.Equal(7, r.ReadInt32());
        var response = ApiVersionsResponse.Read(ref r, 0);
        Assert.Equal(ErrorCode.UnsupportedVersion, response.ErrorCode);
        Assert.Contains(response.ApiKeys, k => k.ApiKey == ApiKey.ApiVersions && k.MaxVersion == 2);
    }
}

internal static class ProduceRequestExtensions
{
    /// <summary>Writes the request body at version 7 (a method group for <c>Request</c>).</summary>
    public static void Write7(this ProduceRequest request, KafkaWriter w) => request.Write(w, 7);
}
