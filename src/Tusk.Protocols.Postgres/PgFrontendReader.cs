using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Tusk.Protocols.Postgres;

/// <summary>
/// Cuts PostgreSQL frontend messages off a byte stream (sans-I/O). Before the startup message a message is
/// <c>length Int32 | code Int32 | body</c>; afterwards it is <c>type Byte1 | length Int32 | body</c>, where the
/// length counts itself but not the type byte. Every length is checked against the input and against
/// <see cref="MessageBytesMax"/>; a malformed message raises <see cref="PgProtocolException"/> and consumes nothing
/// (the host answers with an ErrorResponse and closes the connection). Not thread-safe; one per connection.
/// </summary>
public sealed class PgFrontendReader
{
    public const int ProtocolVersion3 = 196608;  // 3.0
    private const int SslRequestCode = 80877103;
    private const int CancelRequestCode = 80877102;
    private const int GssEncRequestCode = 80877104;

    /// <summary>Largest message accepted; bigger ones are a protocol violation (bounds one connection's memory).</summary>
    public int MessageBytesMax { get; init; } = 64 << 20;

    /// <summary>True until the startup message (or a cancel request) has been read.</summary>
    public bool InStartup { get; private set; } = true;

    /// <summary>Reads one message from the front of <paramref name="buffer"/> if it is complete, advancing past it.</summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out FrontendMessage? message)
    {
        message = null;
        if (InStartup) return TryReadStartup(ref buffer, out message);
        if (buffer.Length < 5) return false;
        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        var type = header[0];
        var length = BinaryPrimitives.ReadInt32BigEndian(header[1..]);
        if (length < 4 || length > MessageBytesMax)
            throw new PgProtocolException($"invalid message length {length} for message type '{(char)type}'");
        if (buffer.Length < 1 + length) return false;
        var body = buffer.Slice(5, length - 4).ToArray();
        message = Decode(type, body);
        buffer = buffer.Slice(1 + length);
        return true;
    }

    private bool TryReadStartup(ref ReadOnlySequence<byte> buffer, out FrontendMessage? message)
    {
        message = null;
        if (buffer.Length < 8) return false;
        Span<byte> header = stackalloc byte[8];
        buffer.Slice(0, 8).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        var code = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (length < 8 || length > 10_000) throw new PgProtocolException($"invalid startup packet length {length}");
        if (buffer.Length < length) return false;
        var body = buffer.Slice(8, length - 8).ToArray();
        buffer = buffer.Slice(length);
        switch (code)
        {
            case SslRequestCode when length == 8:
                message = new SslRequest();
                return true;
            case GssEncRequestCode when length == 8:
                message = new GssEncRequest();
                return true;
            case CancelRequestCode when length == 16:
                InStartup = false;
                message = new CancelRequest(BinaryPrimitives.ReadInt32BigEndian(body), BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4)));
                return true;
            case ProtocolVersion3:
                InStartup = false;
                message = new StartupMessage(code, ParseStartupParameters(body));
                return true;
            default:
                if (code >> 16 is >= 1 and <= 3)
                    throw new PgProtocolException($"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: server supports 3.0", SqlStates.FeatureNotSupported);
                throw new PgProtocolException($"invalid startup packet code {code}");
        }
    }

    private static Dictionary<string, string> ParseStartupParameters(byte[] body)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var r = new BodyReader(body, '\0');
        while (true)
        {
            var name = r.CString();
            if (name.Length == 0) break;
            parameters[name] = r.CString();
        }
        r.End();
        return parameters;
    }

    private static FrontendMessage Decode(byte type, byte[] body)
    {
        var r = new BodyReader(body, (char)type);
        FrontendMessage message;
        switch ((char)type)
        {
            case 'Q':
                message = new Query(r.CString());
                break;
            case 'P':
            {
                var statement = r.CString();
                var sql = r.CString();
                var count = r.Int16();
                var types = new int[count];
                for (var i = 0; i < count; i++) types[i] = r.Int32();
                message = new Parse(statement, sql, types);
                break;
            }
            case 'B':
            {
                var portal = r.CString();
                var statement = r.CString();
                var formats = new short[r.Int16()];
                for (var i = 0; i < formats.Length; i++) formats[i] = r.Int16();
                var parameters = new byte[]?[r.Int16()];
                for (var i = 0; i < parameters.Length; i++)
                {
                    var length = r.Int32();
                    if (length < -1) throw new PgProtocolException($"invalid parameter length {length} in Bind");
                    parameters[i] = length == -1 ? null : r.Bytes(length);
                }
                var resultFormats = new short[r.Int16()];
                for (var i = 0; i < resultFormats.Length; i++) resultFormats[i] = r.Int16();
                if (formats.Length > 1 && formats.Length != parameters.Length)
                    throw new PgProtocolException($"bind message has {formats.Length} parameter formats but {parameters.Length} parameters");
                message = new Bind(portal, statement, formats, parameters, resultFormats);
                break;
            }
            case 'D':
                message = new Describe(r.Kind(), r.CString());
                break;
            case 'E':
                message = new Execute(r.CString(), r.Int32());
                break;
            case 'C':
                message = new Close(r.Kind(), r.CString());
                break;
            case 'S':
                message = new Sync();
                break;
            case 'H':
                message = new Flush();
                break;
            case 'X':
                message = new Terminate();
                break;
            case 'p':
                return new PasswordOrSasl(body);
            case 'd':
                return new CopyData(body);
            case 'c':
                message = new CopyDone();
                break;
            case 'f':
                message = new CopyFail(r.CString());
                break;
            default:
                throw new PgProtocolException($"invalid frontend message type {type}");
        }
        r.End();
        return message;
    }

    /// <summary>Reads the fields of one message body, naming the message in every error.</summary>
    private ref struct BodyReader(byte[] body, char type)
    {
        private int _at;

        public string CString()
        {
            var end = Array.IndexOf(body, (byte)0, _at);
            if (end < 0) throw new PgProtocolException($"unterminated string in message '{type}'");
            string s;
            try
            {
                s = new UTF8Encoding(false, true).GetString(body, _at, end - _at);
            }
            catch (DecoderFallbackException)
            {
                throw new PgProtocolException($"invalid byte sequence for encoding \"UTF8\" in message '{type}'", "22021");
            }
            _at = end + 1;
            return s;
        }

        public short Int16()
        {
            Need(2);
            var v = BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(_at));
            _at += 2;
            if (v < 0) throw new PgProtocolException($"negative count {v} in message '{type}'");
            return v;
        }

        public int Int32()
        {
            Need(4);
            var v = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(_at));
            _at += 4;
            return v;
        }

        public byte[] Bytes(int length)
        {
            Need(length);
            var v = body.AsSpan(_at, length).ToArray();
            _at += length;
            return v;
        }

        public byte Kind()
        {
            Need(1);
            var k = body[_at++];
            if (k is not ((byte)'S' or (byte)'P')) throw new PgProtocolException($"invalid {(type == 'D' ? "DESCRIBE" : "CLOSE")} message subtype {k}");
            return k;
        }

        public readonly void End()
        {
            if (_at != body.Length) throw new PgProtocolException($"invalid message format: {body.Length - _at} unexpected bytes at the end of message '{type}'");
        }

        private readonly void Need(int n)
        {
            if (n > body.Length - _at) throw new PgProtocolException($"invalid message format: message '{type}' is truncated");
        }
    }
}
