using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Tusk.Server.Tests.Postgres;

/// <summary>A message from the server: its type byte and body.</summary>
internal sealed record BackendMessage(char Type, byte[] Body)
{
    /// <summary>An ErrorResponse or NoticeResponse field ('C' SQLSTATE, 'M' message, 'S' severity, 'P' position).</summary>
    public string? Field(char code)
    {
        var at = 0;
        while (at < Body.Length && Body[at] != 0)
        {
            var fieldCode = (char)Body[at];
            var end = Array.IndexOf(Body, (byte)0, at + 1);
            if (fieldCode == code) return Encoding.UTF8.GetString(Body, at + 1, end - at - 1);
            at = end + 1;
        }
        return null;
    }

    public string SqlState => Field('C') ?? "";

    /// <summary>CommandComplete's tag.</summary>
    public string Tag => Encoding.UTF8.GetString(Body, 0, Body.Length - 1);

    /// <summary>ParameterStatus's name and value.</summary>
    public (string Name, string Value) Parameter
    {
        get
        {
            var end = Array.IndexOf(Body, (byte)0);
            return (Encoding.UTF8.GetString(Body, 0, end), Encoding.UTF8.GetString(Body, end + 1, Body.Length - end - 2));
        }
    }

    /// <summary>DataRow's values (null for SQL NULL).</summary>
    public byte[]?[] Values
    {
        get
        {
            var count = BinaryPrimitives.ReadInt16BigEndian(Body);
            var values = new byte[]?[count];
            var at = 2;
            for (var i = 0; i < count; i++)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(Body.AsSpan(at));
                at += 4;
                if (length < 0) continue;
                values[i] = Body.AsSpan(at, length).ToArray();
                at += length;
            }
            return values;
        }
    }

    /// <summary>DataRow's values as text, joined by '|' (NULL for SQL NULL).</summary>
    public string Text => string.Join("|", Values.Select(v => v is null ? "NULL" : Encoding.UTF8.GetString(v)));

    /// <summary>RowDescription's (name, type OID, format) per field.</summary>
    public (string Name, int TypeOid, short Format)[] Fields
    {
        get
        {
            var count = BinaryPrimitives.ReadInt16BigEndian(Body);
            var fields = new (string, int, short)[count];
            var at = 2;
            for (var i = 0; i < count; i++)
            {
                var end = Array.IndexOf(Body, (byte)0, at);
                var name = Encoding.UTF8.GetString(Body, at, end - at);
                at = end + 1 + 4 + 2;  // table oid, column number
                var oid = BinaryPrimitives.ReadInt32BigEndian(Body.AsSpan(at));
                at += 4 + 2 + 4;  // oid, size, modifier
                var format = BinaryPrimitives.ReadInt16BigEndian(Body.AsSpan(at));
                at += 2;
                fields[i] = (name, oid, format);
            }
            return fields;
        }
    }

    /// <summary>ParameterDescription's type OIDs.</summary>
    public int[] ParameterOids
    {
        get
        {
            var count = BinaryPrimitives.ReadInt16BigEndian(Body);
            return Enumerable.Range(0, count).Select(i => BinaryPrimitives.ReadInt32BigEndian(Body.AsSpan(2 + 4 * i))).ToArray();
        }
    }

    public override string ToString() => Type switch
    {
        'E' or 'N' => $"{Type} {Field('S')} {SqlState} {Field('M')}",
        'C' => $"C {Tag}",
        _ => $"{Type} ({Body.Length} bytes)",
    };
}

/// <summary>
/// A PostgreSQL client speaking the protocol byte by byte over a real socket (as Npgsql's PgServerMock plays the
/// server): the frontend messages are encoded here, independently of the server's codec, and the server's
/// messages are cut into <see cref="BackendMessage"/>s. Every read has a timeout.
/// </summary>
internal sealed class PgWireClient : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);
    private readonly TcpClient _tcp;
    private Stream _stream;

    private PgWireClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The BackendKeyData of the session, once started.</summary>
    public (int ProcessId, int SecretKey) Key { get; private set; }

    public static async Task<PgWireClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new PgWireClient(tcp);
    }

    /// <summary>Connects and completes startup (trust), returning every message up to ReadyForQuery.</summary>
    public static async Task<(PgWireClient Client, List<BackendMessage> Startup)> StartAsync(int port, string user = "tusk")
    {
        var client = await ConnectAsync(port);
        return (client, await client.StartupAsync(user));
    }

    /// <summary>Sends the StartupMessage and reads up to ReadyForQuery, remembering BackendKeyData.</summary>
    public async Task<List<BackendMessage>> StartupAsync(string user = "tusk")
    {
        await SendAsync(Startup(("user", user), ("database", "tusk"), ("application_name", "wire-test")));
        var messages = await ReadUntilReadyAsync();
        var key = messages.Single(m => m.Type == 'K');
        Key = (BinaryPrimitives.ReadInt32BigEndian(key.Body), BinaryPrimitives.ReadInt32BigEndian(key.Body.AsSpan(4)));
        return messages;
    }

    /// <summary>After the server answered 'S' to an SSLRequest: the TLS handshake (any certificate is accepted).</summary>
    public async Task StartTlsAsync()
    {
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("localhost").WaitAsync(ReadTimeout);
        _stream = ssl;
    }

    public async Task SendAsync(params byte[][] messages)
    {
        foreach (var message in messages) await _stream.WriteAsync(message);
        await _stream.FlushAsync();
    }

    public async Task<byte> ReadByteAsync()
    {
        var one = new byte[1];
        await ReadExactlyAsync(one);
        return one[0];
    }

    public async Task<BackendMessage> ReadAsync()
    {
        var header = new byte[5];
        await ReadExactlyAsync(header);
        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        Assert.InRange(length, 4, 1 << 26);
        var body = new byte[length - 4];
        await ReadExactlyAsync(body);
        return new BackendMessage((char)header[0], body);
    }

    /// <summary>Messages up to and including ReadyForQuery.</summary>
    public async Task<List<BackendMessage>> ReadUntilReadyAsync()
    {
        var messages = new List<BackendMessage>();
        while (true)
        {
            var message = await ReadAsync();
            messages.Add(message);
            if (message.Type == 'Z') return messages;
        }
    }

    /// <summary>True when the server has closed the connection (end of stream or reset) within the timeout.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer).AsTask().WaitAsync(ReadTimeout);
                if (n == 0) return true;
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task ReadExactlyAsync(byte[] buffer) => await _stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(ReadTimeout);

    public void Dispose() => _tcp.Dispose();

    // ---- frontend messages ----

    public static byte[] Startup(params (string Name, string Value)[] parameters)
    {
        var body = new List<byte>();
        body.AddRange(Int32(196608));
        foreach (var (name, value) in parameters)
        {
            body.AddRange(CString(name));
            body.AddRange(CString(value));
        }
        body.Add(0);
        return [.. Int32(body.Count + 4), .. body];
    }

    public static byte[] SslRequest() => [.. Int32(8), .. Int32(80877103)];

    public static byte[] CancelRequest(int processId, int secretKey) => [.. Int32(16), .. Int32(80877102), .. Int32(processId), .. Int32(secretKey)];

    public static byte[] Query(string sql) => Message('Q', CString(sql));

    public static byte[] Parse(string statement, string sql, params int[] parameterOids)
    {
        var body = new List<byte>();
        body.AddRange(CString(statement));
        body.AddRange(CString(sql));
        body.AddRange(Int16((short)parameterOids.Length));
        foreach (var oid in parameterOids) body.AddRange(Int32(oid));
        return Message('P', [.. body]);
    }

    public static byte[] Bind(string portal, string statement, short[] parameterFormats, byte[]?[] parameters, short[] resultFormats)
    {
        var body = new List<byte>();
        body.AddRange(CString(portal));
        body.AddRange(CString(statement));
        body.AddRange(Int16((short)parameterFormats.Length));
        foreach (var f in parameterFormats) body.AddRange(Int16(f));
        body.AddRange(Int16((short)parameters.Length));
        foreach (var p in parameters)
        {
            if (p is null)
            {
                body.AddRange(Int32(-1));
                continue;
            }
            body.AddRange(Int32(p.Length));
            body.AddRange(p);
        }
        body.AddRange(Int16((short)resultFormats.Length));
        foreach (var f in resultFormats) body.AddRange(Int16(f));
        return Message('B', [.. body]);
    }

    public static byte[] Describe(char kind, string name) => Message('D', [(byte)kind, .. CString(name)]);

    public static byte[] Execute(string portal, int maxRows) => Message('E', [.. CString(portal), .. Int32(maxRows)]);

    public static byte[] Close(char kind, string name) => Message('C', [(byte)kind, .. CString(name)]);

    public static byte[] Sync() => Message('S', []);

    public static byte[] Flush() => Message('H', []);

    public static byte[] Terminate() => Message('X', []);

    public static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    public static byte[] Message(char type, byte[] body) => [(byte)type, .. Int32(body.Length + 4), .. body];

    public static byte[] Int32(int v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        return b;
    }

    private static byte[] Int16(short v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(b, v);
        return b;
    }

    private static byte[] CString(string s) => [.. Encoding.UTF8.GetBytes(s), 0];
}
