using System.Text;
using Tusk.Protocols.Kafka;
using Xunit;

namespace Tusk.Streams.Tests.Groups;

/// <summary>
/// The consumer-group message codecs. Each API is checked twice at its lowest and highest classic version:
/// against a layout written out field by field from Apache Kafka's message schema (which catches a field
/// missed symmetrically by reader and writer), and by a round trip that must consume every byte and
/// re-encode to the same bytes.
/// </summary>
public sealed class GroupCodecTests
{
    private delegate T Reader<T>(ref KafkaReader r, short version);

    private static byte[] Encode(Action<KafkaWriter> write)
    {
        var w = new KafkaWriter();
        write(w);
        return w.Frame.Span[4..].ToArray(); // drop the reserved frame-size prefix
    }

    /// <summary>Reads <paramref name="bytes"/> fully, re-encodes, and checks the bytes are the same.</summary>
    private static T RoundTrip<T>(byte[] bytes, short version, Reader<T> read, Action<T, KafkaWriter> write)
    {
        var r = new KafkaReader(bytes);
        T message = read(ref r, version);
        Assert.Equal(0, r.Remaining);
        Assert.Equal(bytes, Encode(w => write(message, w)));
        return message;
    }

    private static byte[] B(params byte[] b) => b;

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void FindCoordinator(short v)
    {
        var request = new FindCoordinatorRequest { Key = "g1", KeyType = 1 };
        byte[] expected = new Layout().Str("g1").If(v >= 1, l => l.I8(1)).Bytes();
        Assert.Equal(expected, Encode(w => request.Write(w, v)));
        var back = RoundTrip(expected, v, FindCoordinatorRequest.Read, (m, w) => m.Write(w, v));
        Assert.Equal("g1", back.Key);
        Assert.Equal(v >= 1 ? (sbyte)1 : (sbyte)0, back.KeyType);

        var response = new FindCoordinatorResponse { ThrottleTimeMs = 7, ErrorCode = ErrorCode.None, ErrorMessage = null, NodeId = 3, Host = "h", Port = 9092 };
        expected = new Layout().If(v >= 1, l => l.I32(7)).I16(0).If(v >= 1, l => l.NullStr()).I32(3).Str("h").I32(9092).Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        var r2 = RoundTrip(expected, v, FindCoordinatorResponse.Read, (m, w) => m.Write(w, v));
        Assert.Equal((3, "h", 9092), (r2.NodeId, r2.Host, r2.Port));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void JoinGroup(short v)
    {
        var request = new JoinGroupRequest
        {
            GroupId = "g",
            SessionTimeoutMs = 10_000,
            RebalanceTimeoutMs = 30_000,
            MemberId = "m-1",
            GroupInstanceId = "i-1",
            ProtocolType = "consumer",
            Protocols = [new("range", B(1, 2)), new("roundrobin", B(3))],
        };
        byte[] expected = new Layout().Str("g").I32(10_000).If(v >= 1, l => l.I32(30_000)).Str("m-1").If(v >= 5, l => l.Str("i-1"))
            .Str("consumer").I32(2).Str("range").Blob(1, 2).Str("roundrobin").Blob(3).Bytes();
        Assert.Equal(expected, Encode(w => request.Write(w, v)));
        var back = RoundTrip(expected, v, JoinGroupRequest.Read, (m, w) => m.Write(w, v));
        Assert.Equal(v >= 1 ? 30_000 : -1, back.RebalanceTimeoutMs);
        Assert.Equal(v >= 5 ? "i-1" : null, back.GroupInstanceId);
        Assert.Equal(["range", "roundrobin"], back.Protocols.Select(p => p.Name));
        Assert.Equal(B(1, 2), back.Protocols[0].Metadata);

        var response = new JoinGroupResponse
        {
            ThrottleTimeMs = 1,
            ErrorCode = ErrorCode.None,
            GenerationId = 4,
            ProtocolName = "range",
            Leader = "m-1",
            MemberId = "m-2",
            Members = [new("m-1", "i-1", B(9)), new("m-2", null, B())],
        };
        expected = new Layout().If(v >= 2, l => l.I32(1)).I16(0).I32(4).Str("range").Str("m-1").Str("m-2").I32(2)
            .Str("m-1").If(v >= 5, l => l.Str("i-1")).Blob(9)
            .Str("m-2").If(v >= 5, l => l.NullStr()).Blob().Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        var r2 = RoundTrip(expected, v, JoinGroupResponse.Read, (m, w) => m.Write(w, v));
        Assert.Equal((4, "range", "m-1", "m-2"), (r2.GenerationId, r2.ProtocolName, r2.Leader, r2.MemberId));
        Assert.Equal(v >= 5 ? "i-1" : null, r2.Members[0].GroupInstanceId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void SyncGroup(short v)
    {
        var request = new SyncGroupRequest
        {
            GroupId = "g",
            GenerationId = 2,
            MemberId = "m",
            GroupInstanceId = "i",
            Assignments = [new("m", B(1, 2, 3)), new("n", B())],
        };
        byte[] expected = new Layout().Str("g").I32(2).Str("m").If(v >= 3, l => l.Str("i")).I32(2).Str("m").Blob(1, 2, 3).Str("n").Blob().Bytes();
        Assert.Equal(expected, Encode(w => request.Write(w, v)));
        var back = RoundTrip(expected, v, SyncGroupRequest.Read, (m, w) => m.Write(w, v));
        Assert.Equal(["m", "n"], back.Assignments.Select(a => a.MemberId));

        var response = new SyncGroupResponse { ThrottleTimeMs = 5, ErrorCode = ErrorCode.RebalanceInProgress, Assignment = B(7) };
        expected = new Layout().If(v >= 1, l => l.I32(5)).I16(27).Blob(7).Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        var r2 = RoundTrip(expected, v, SyncGroupResponse.Read, (m, w) => m.Write(w, v));
        Assert.Equal(ErrorCode.RebalanceInProgress, r2.ErrorCode);
        Assert.Equal(B(7), r2.Assignment);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Heartbeat(short v)
    {
        var request = new HeartbeatRequest { GroupId = "g", GenerationId = 9, MemberId = "m", GroupInstanceId = null };
        byte[] expected = new Layout().Str("g").I32(9).Str("m").If(v >= 3, l => l.NullStr()).Bytes();
        Assert.Equal(expected, Encode(w => request.Write(w, v)));
        var back = RoundTrip(expected, v, HeartbeatRequest.Read, (m, w) => m.Write(w, v));
        Assert.Equal((9, "m"), (back.GenerationId, back.MemberId));

        var response = new HeartbeatResponse { ThrottleTimeMs = 2, ErrorCode = ErrorCode.IllegalGeneration };
        expected = new Layout().If(v >= 1, l => l.I32(2)).I16(22).Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        Assert.Equal(ErrorCode.IllegalGeneration, RoundTrip(expected, v, HeartbeatResponse.Read, (m, w) => m.Write(w, v)).ErrorCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public void LeaveGroup(short v)
    {
        var request = new LeaveGroupRequest { GroupId = "g", MemberId = "m", Members = [new("m", null), new("", "i")] };
        byte[] expected = v <= 2
            ? new Layout().Str("g").Str("m").Bytes()
            : new Layout().Str("g").I32(2).Str("m").NullStr().Str("").Str("i").Bytes();
        Assert.Equal(expected, Encode(w => request.Write(w, v)));
        var back = RoundTrip(expected, v, LeaveGroupRequest.Read, (m, w) => m.Write(w, v));
        Assert.Equal(v <= 2 ? ["m"] : ["m", ""], back.LeavingMembers(v).Select(m => m.MemberId));

        var response = new LeaveGroupResponse
        {
            ThrottleTimeMs = 3,
            ErrorCode = ErrorCode.None,
            Members = [new("m", null, ErrorCode.None), new("", "i", ErrorCode.UnknownMemberId)],
        };
        expected = new Layout().If(v >= 1, l => l.I32(3)).I16(0)
            .If(v >= 3, l => l.I32(2).Str("m").NullStr().I16(0).Str("").Str("i").I16(25)).Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        var r2 = RoundTrip(expected, v, LeaveGroupResponse.Read, (m, w) => m.Write(w, v));
        Assert.Equal(v >= 3 ? 2 : 0, r2.Members.Count);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void OffsetCommit(short v)
    {
        var request = new OffsetCommitRequest
        {
            GroupId = "g",
            GenerationId = 3,
            MemberId = "m",
            GroupInstanceId = "i",
            RetentionTimeMs = 60_000,
            Topics =
            [
                new OffsetCommitRequestTopic { Name = "t", Partitions = [new(0, 100, 5, "meta"), new(1, 200, 6, null)] },
            ],
        };
        byte[] expected = new Layout().Str("g").I32(3).Str("m").If(v >= 7, l => l.Str("i")).If(v <= 4, l => l.I64(60_000))
            .I32(1).Str("t").I32(2)
            .I32(0).I64(100).If(v >= 6, l => l.I32(5)).Str("meta")
            .I32(1).I64(200).If(v >= 6, l => l.I32(6)).NullStr().Bytes();
        Assert.Equal(expected, Encode(w => request.Write(w, v)));
        var back = RoundTrip(expected, v, OffsetCommitRequest.Read, (m, w) => m.Write(w, v));
        var p0 = back.Topics[0].Partitions[0];
        Assert.Equal((0, 100L, v >= 6 ? 5 : -1, "meta"), (p0.PartitionIndex, p0.CommittedOffset, p0.CommittedLeaderEpoch, p0.CommittedMetadata));
        Assert.Null(back.Topics[0].Partitions[1].CommittedMetadata);
        Assert.Equal(v <= 4 ? 60_000 : -1, back.RetentionTimeMs);

        var response = new OffsetCommitResponse
        {
            ThrottleTimeMs = 4,
            Topics = [new OffsetCommitResponseTopic { Name = "t", Partitions = [new(0, ErrorCode.None), new(1, ErrorCode.OffsetMetadataTooLarge)] }],
        };
        expected = new Layout().If(v >= 3, l => l.I32(4)).I32(1).Str("t").I32(2).I32(0).I16(0).I32(1).I16(12).Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        var r2 = RoundTrip(expected, v, OffsetCommitResponse.Read, (m, w) => m.Write(w, v));
        Assert.Equal(ErrorCode.OffsetMetadataTooLarge, r2.Topics[0].Partitions[1].ErrorCode);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void OffsetFetch(short v)
    {
        var request = new OffsetFetchRequest { GroupId = "g", Topics = [new OffsetFetchRequestTopic { Name = "t", PartitionIndexes = [0, 2] }] };
        byte[] expected = new Layout().Str("g").I32(1).Str("t").I32(2).I32(0).I32(2).Bytes();
        Assert.Equal(expected, Encode(w => request.Write(w, v)));
        var back = RoundTrip(expected, v, OffsetFetchRequest.Read, (m, w) => m.Write(w, v));
        Assert.Equal([0, 2], back.Topics![0].PartitionIndexes);

        var response = new OffsetFetchResponse
        {
            ThrottleTimeMs = 6,
            ErrorCode = ErrorCode.None,
            Topics = [new OffsetFetchResponseTopic { Name = "t", Partitions = [new(0, 42, 7, "x", ErrorCode.None), new(2, -1, -1, null, ErrorCode.None)] }],
        };
        expected = new Layout().If(v >= 3, l => l.I32(6)).I32(1).Str("t").I32(2)
            .I32(0).I64(42).If(v >= 5, l => l.I32(7)).Str("x").I16(0)
            .I32(2).I64(-1).If(v >= 5, l => l.I32(-1)).NullStr().I16(0)
            .If(v >= 2, l => l.I16(0)).Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        var r2 = RoundTrip(expected, v, OffsetFetchResponse.Read, (m, w) => m.Write(w, v));
        Assert.Equal((42L, v >= 5 ? 7 : -1, "x"), (r2.Topics[0].Partitions[0].CommittedOffset, r2.Topics[0].Partitions[0].CommittedLeaderEpoch, r2.Topics[0].Partitions[0].Metadata));
    }

    [Fact]
    public void OffsetFetchAllTopicsIsNullFromV2AndRejectedInV1()
    {
        var all = new OffsetFetchRequest { GroupId = "g", Topics = null };
        byte[] bytes = Encode(w => all.Write(w, 2));
        Assert.Equal(new Layout().Str("g").I32(-1).Bytes(), bytes);
        Assert.Null(RoundTrip(bytes, 2, OffsetFetchRequest.Read, (m, w) => m.Write(w, 2)).Topics);
        Assert.Throws<ArgumentException>(() => Encode(w => all.Write(w, 1)));
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(bytes);
            OffsetFetchRequest.Read(ref r, 1);
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    public void DescribeGroups(short v)
    {
        var request = new DescribeGroupsRequest { Groups = ["a", "b"], IncludeAuthorizedOperations = true };
        byte[] expected = new Layout().I32(2).Str("a").Str("b").If(v >= 3, l => l.I8(1)).Bytes();
        Assert.Equal(expected, Encode(w => request.Write(w, v)));
        var back = RoundTrip(expected, v, DescribeGroupsRequest.Read, (m, w) => m.Write(w, v));
        Assert.Equal(v >= 3, back.IncludeAuthorizedOperations);

        var response = new DescribeGroupsResponse
        {
            ThrottleTimeMs = 8,
            Groups =
            [
                new DescribedGroup
                {
                    GroupId = "a",
                    GroupState = "Stable",
                    ProtocolType = "consumer",
                    ProtocolData = "range",
                    AuthorizedOperations = 328,
                    Members = [new DescribedGroupMember { MemberId = "m", GroupInstanceId = "i", ClientId = "c", ClientHost = "/h", MemberMetadata = B(1), MemberAssignment = B(2, 3) }],
                },
            ],
        };
        expected = new Layout().If(v >= 1, l => l.I32(8)).I32(1).I16(0).Str("a").Str("Stable").Str("consumer").Str("range")
            .I32(1).Str("m").If(v >= 4, l => l.Str("i")).Str("c").Str("/h").Blob(1).Blob(2, 3)
            .If(v >= 3, l => l.I32(328)).Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        var r2 = RoundTrip(expected, v, DescribeGroupsResponse.Read, (m, w) => m.Write(w, v));
        Assert.Equal(v >= 3 ? 328 : DescribedGroup.AuthorizedOperationsOmitted, r2.Groups[0].AuthorizedOperations);
        Assert.Equal(B(2, 3), r2.Groups[0].Members[0].MemberAssignment);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void ListGroups(short v)
    {
        Assert.Empty(Encode(w => new ListGroupsRequest().Write(w, v)));
        RoundTrip([], v, ListGroupsRequest.Read, (m, w) => m.Write(w, v));

        var response = new ListGroupsResponse { ThrottleTimeMs = 1, ErrorCode = ErrorCode.None, Groups = [new("a", "consumer"), new("b", "")] };
        byte[] expected = new Layout().If(v >= 1, l => l.I32(1)).I16(0).I32(2).Str("a").Str("consumer").Str("b").Str("").Bytes();
        Assert.Equal(expected, Encode(w => response.Write(w, v)));
        var r2 = RoundTrip(expected, v, ListGroupsResponse.Read, (m, w) => m.Write(w, v));
        Assert.Equal(["a", "b"], r2.Groups.Select(g => g.GroupId));
    }

    [Fact]
    public void VersionsOutsideTheClassicRangeAreRefused()
    {
        byte[] heartbeat = Encode(w => new HeartbeatRequest { GroupId = "g", MemberId = "m" }.Write(w, 0));
        var e = Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(heartbeat);
            HeartbeatRequest.Read(ref r, 4);
        });
        Assert.Contains("Heartbeat v4", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(w => new JoinGroupResponse().Write(w, 6)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(w => new OffsetCommitRequest().Write(w, 1)));
    }

    [Fact]
    public void TruncatedAndHostileFramesRaiseProtocolErrors()
    {
        byte[] join = Encode(w => new JoinGroupRequest { GroupId = "g", ProtocolType = "consumer", Protocols = [new("range", B(1))] }.Write(w, 5));
        for (int cut = 0; cut < join.Length; cut++)
        {
            byte[] truncated = join[..cut];
            Assert.Throws<KafkaProtocolException>(() =>
            {
                var r = new KafkaReader(truncated);
                JoinGroupRequest.Read(ref r, 5);
            });
        }
        // An array claiming two billion members must not allocate: it cannot fit in the frame.
        byte[] hostile = new Layout().Str("g").I32(1_000_000_000).Bytes();
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(hostile);
            DescribeGroupsRequest.Read(ref r, 0);
        });
        byte[] nullArray = new Layout().Str("g").I32(1).Str("m").I32(-1).Bytes();
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(nullArray);
            SyncGroupRequest.Read(ref r, 0);
        });
    }

    /// <summary>Writes the expected bytes of a layout, one schema field at a time (big-endian).</summary>
    private sealed class Layout
    {
        private readonly List<byte> _bytes = [];

        public Layout I8(sbyte v)
        {
            _bytes.Add((byte)v);
            return this;
        }

        public Layout I16(short v) => Raw((byte)(v >> 8), (byte)v);

        public Layout I32(int v) => Raw((byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v);

        public Layout I64(long v) => I32((int)(v >> 32)).I32((int)v);

        public Layout Str(string s)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(s);
            return I16((short)utf8.Length).Raw(utf8);
        }

        public Layout NullStr() => I16(-1);

        public Layout Blob(params byte[] b) => I32(b.Length).Raw(b);

        public Layout If(bool condition, Func<Layout, Layout> then) => condition ? then(this) : this;

        public byte[] Bytes() => [.. _bytes];

        private Layout Raw(params byte[] b)
        {
            _bytes.AddRange(b);
            return this;
        }
    }
}
