using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace Tusk.Protocols.Postgres.Tests;

/// <summary>Frontend messages built byte by byte as the protocol documentation lays them out, and backend messages checked byte by byte.</summary>
public sealed class WireCodecTests
{
    private static byte[] Startup(int code, params string[] pairs)
    {
        var body = new List<byte>();
        foreach (var p in pairs) { body.AddRange(Encoding.UTF8.GetBytes(p)); body.Add(0); }
        if (pairs.Length > 0) body.Add(0);
        var message = new byte[8 + body.Count];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), code);
        body.CopyTo(message, 8);
        return message;
    }

    private static byte[] Message(char type, params object[] fields)
    {
        var body = new List<byte>();
        foreach (var f in fields)
        {
            switch (f)
            {
                case string s: body.AddRange(Encoding.UTF8.GetBytes(s)); body.Add(0); break;
                case short v: body.Add((byte)(v >> 8)); body.Add((byte)v); break;
                case int v: body.AddRange([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]); break;
                case byte v: body.Add(v); break;
                case byte[] raw: body.AddRange(raw); break;
            }
        }
        var message = new byte[5 + body.Count];
        message[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + body.Count);
        body.CopyTo(message, 5);
        return message;
    }

    private static List<FrontendMessage> ReadAll(PgFrontendReader reader, byte[] bytes, int chunk = int.MaxValue)
    {
        // Fed in chunks, as a socket delivers: a message split across reads must come out whole.
        var messages = new List<FrontendMessage>();
        var pending = Array.Empty<byte>();
        for (var at = 0; at < bytes.Length; at += chunk)
        {
            pending = [.. pending, .. bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at))];
            var buffer = new ReadOnlySequence<byte>(pending);
            while (reader.TryRead(ref buffer, out var m)) messages.Add(m!);
            pending = buffer.ToArray();
        }
        Assert.Empty(pending);
        return messages;
    }

    [Fact]
    public void AStartupThenAnExtendedQueryBatchIsRead()
    {
        var bytes = new List<byte>();
        bytes.AddRange(Startup(80877103));  // SSLRequest
        bytes.AddRange(Startup(PgFrontendReader.ProtocolVersion3, "user", "alice", "database", "shop", "client_encoding", "UTF8"));
        bytes.AddRange(Message('P', "s1", "SELECT $1::int + $2", (short)2, 23, 0));
        bytes.AddRange(Message('B', "", "s1", (short)1, (short)1, (short)2, 4, new byte[] { 0, 0, 0, 7 }, -1, (short)1, (short)0));
        bytes.AddRange(Message('D', (byte)'P', ""));
        bytes.AddRange(Message('E', "", 0));
        bytes.AddRange(Message('C', (byte)'S', "s1"));
        bytes.AddRange(Message('S'));
        bytes.AddRange(Message('Q', "SELECT 1; SELECT 2"));
        bytes.AddRange(Message('X'));
        foreach (var chunk in new[] { int.MaxValue, 1, 3, 7 })
        {
            var m = ReadAll(new PgFrontendReader(), [.. bytes], chunk);
            Assert.Equal(10, m.Count);
            Assert.IsType<SslRequest>(m[0]);
            var startup = Assert.IsType<StartupMessage>(m[1]);
            Assert.Equal("alice", startup.Parameters["user"]);
            Assert.Equal("shop", startup.Parameters["database"]);
            var parse = Assert.IsType<Parse>(m[2]);
            Assert.Equal(("s1", "SELECT $1::int + $2"), (parse.Statement, parse.Sql));
            Assert.Equal([23, 0], parse.ParameterTypes);
            var bind = Assert.IsType<Bind>(m[3]);
            Assert.Equal([(short)1], bind.ParameterFormats);
            Assert.Equal([0, 0, 0, 7], bind.Parameters[0]);
            Assert.Null(bind.Parameters[1]);
            Assert.Equal([(short)0], bind.ResultFormats);
            Assert.Equal(new Describe((byte)'P', ""), m[4]);
            Assert.Equal(new Execute("", 0), m[5]);
            Assert.Equal(new Close((byte)'S', "s1"), m[6]);
            Assert.IsType<Sync>(m[7]);
            Assert.Equal(new Query("SELECT 1; SELECT 2"), m[8]);
            Assert.IsType<Terminate>(m[9]);
        }
    }

    [Fact]
    public void ACancelRequestEndsTheStartupPhase()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 16);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 80877102);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 4242);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), -7);
        var reader = new PgFrontendReader();
        Assert.Equal(new CancelRequest(4242, -7), Assert.Single(ReadAll(reader, bytes)));
        Assert.False(reader.InStartup);
    }

    public static IEnumerable<object[]> Malformed()
    {
        yield return [Message('Q', new byte[] { 0x61, 0x62 }), "unterminated string"];
        yield return [Message('Q', "a", "b"), "unexpected bytes"];
        yield return [Message('E', ""), "truncated"];
        yield return [Message('D', (byte)'X', "s"), "DESCRIBE message subtype"];
        yield return [Message('B', "", "", (short)2, (short)0, (short)0, (short)1, -1, (short)0), "2 parameter formats but 1 parameters"];
        yield return [Message('B', "", "", (short)0, (short)1, -5, (short)0), "invalid parameter length -5"];
        yield return [Message('P', "", "", (short)-1), "negative count"];
        yield return [Message('Q', new byte[] { 0xff, 0xfe, 0 }), "UTF8"];
        yield return [Message('z'), "invalid frontend message type"];
        yield return [new byte[] { (byte)'Q', 0, 0, 0, 2 }, "invalid message length 2"];
        yield return [new byte[] { (byte)'Q', 0x7f, 0, 0, 0 }, "invalid message length"];
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedMessagesAreProtocolViolations(byte[] message, string expected)
    {
        var reader = new PgFrontendReader();
        ReadAll(reader, Startup(PgFrontendReader.ProtocolVersion3, "user", "u"));
        var buffer = new ReadOnlySequence<byte>(message);
        var e = Assert.Throws<PgProtocolException>(() => reader.TryRead(ref buffer, out _));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(e.SqlState == "22021" ? "22" : "08", e.SqlState, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOldProtocolVersionIsRefusedAsUnsupported()
    {
        var buffer = new ReadOnlySequence<byte>(Startup(2 << 16, "user", "u"));
        var e = Assert.Throws<PgProtocolException>(() => new PgFrontendReader().TryRead(ref buffer, out _));
        Assert.Equal(SqlStates.FeatureNotSupported, e.SqlState);
        Assert.Contains("unsupported frontend protocol 2.0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BackendMessagesHaveTheDocumentedBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        var w = new PgBackendWriter(output);
        w.SslResponse(false);
        w.AuthenticationOk();
        w.ParameterStatus("server_version", "16.0");
        w.BackendKeyData(7, 9);
        w.ReadyForQuery(TransactionStatus.Idle);
        var expected = new List<byte> { (byte)'N' };
        expected.AddRange([(byte)'R', 0, 0, 0, 8, 0, 0, 0, 0]);
        expected.AddRange([(byte)'S', 0, 0, 0, 24]);
        expected.AddRange(Encoding.UTF8.GetBytes("server_version\0" + "16.0\0"));
        expected.AddRange([(byte)'K', 0, 0, 0, 12, 0, 0, 0, 7, 0, 0, 0, 9]);
        expected.AddRange([(byte)'Z', 0, 0, 0, 5, (byte)'I']);
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void RowsAndErrorsAreFramed()
    {
        var output = new ArrayBufferWriter<byte>();
        var w = new PgBackendWriter(output);
        w.RowDescription([new PgField("n", 0, 0, 23, 4, -1, 0)]);
        w.DataRow([Encoding.UTF8.GetBytes("42"), null]);
        w.CommandComplete("SELECT 1");
        w.ErrorResponse(SqlStates.SyntaxError, "syntax error at or near \"SELEC\"", position: 1);
        var bytes = output.WrittenSpan.ToArray();
        // Walk the frames: type, length, body; every length must land exactly on the next frame.
        var types = new List<char>();
        for (var at = 0; at < bytes.Length;)
        {
            types.Add((char)bytes[at]);
            at += 1 + BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at + 1));
            Assert.True(at <= bytes.Length);
        }
        Assert.Equal(['T', 'D', 'C', 'E'], types);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains("SELECT 1\0", text, StringComparison.Ordinal);
        Assert.Contains("C42601\0", text, StringComparison.Ordinal);
        Assert.Contains("P1\0", text, StringComparison.Ordinal);
        // DataRow: 2 columns, "42" then NULL (-1).
        var row = Array.IndexOf(bytes, (byte)'D');
        Assert.Equal([0, 2, 0, 0, 0, 2, (byte)'4', (byte)'2', 0xff, 0xff, 0xff, 0xff], bytes.AsSpan(row + 5, 12).ToArray());
    }
}
