using System.Buffers.Binary;
using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Tusk.Server.Raft;

namespace Tusk.Cli.Bench;

/// <summary>A system under test of <c>tusk bench raft</c>: hands out one worker per client task.</summary>
internal interface IPutTarget : IAsyncDisposable
{
    /// <summary>One line describing how requests are sent.</summary>
    string Description { get; }

    /// <summary>The worker of client task <paramref name="index"/>; a worker has at most one request in flight.</summary>
    IPutWorker CreateWorker(int index);
}

/// <summary>Does one durable put at a time for one client task (not thread-safe; closed loop).</summary>
internal interface IPutWorker
{
    /// <summary>Writes <paramref name="key"/> = <paramref name="value"/> (ASCII bytes); throws when the system says no.</summary>
    Task PutAsync(byte[] key, byte[] value, CancellationToken ct);
}

/// <summary>Tusk's replicated KV through <see cref="RaftKvClient"/>: one client (one pipelined connection per node) for every task.</summary>
internal sealed class TuskPutTarget(IReadOnlyList<IPEndPoint> endpoints, TimeSpan requestTimeout) : IPutTarget
{
    private readonly RaftKvClient _client = new(endpoints) { RequestTimeout = requestTimeout };

    public string Description => $"RaftKvClient (one pipelined TCP connection to the leader, shared by all tasks), request timeout {requestTimeout.TotalSeconds:F0} s";

    public IPutWorker CreateWorker(int index) => new Worker(_client);

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private sealed class Worker(RaftKvClient client) : IPutWorker
    {
        public Task PutAsync(byte[] key, byte[] value, CancellationToken ct) =>
            client.PutAsync(Encoding.ASCII.GetString(key), Encoding.ASCII.GetString(value), ct);
    }
}

/// <summary>
/// etcd v3 over HTTP. <c>json</c>: the gRPC gateway, <c>POST /v3/kv/put</c> with {"key": base64, "value": base64} over
/// HTTP/1.1 (one connection per request in flight). <c>grpc</c>: etcd's native API, <c>/etcdserverpb.KV/Put</c> with a
/// hand-encoded PutRequest over cleartext HTTP/2 (streams multiplexed on a few connections), as etcdctl sends it.
/// Task i sends to endpoint i mod N, so load spreads over the members as etcdctl's round-robin balancer spreads it
/// (followers forward proposals to the leader).
/// </summary>
internal sealed class EtcdPutTarget : IPutTarget
{
    private readonly HttpClient _http;
    private readonly Uri[] _uris;
    private readonly bool _grpc;
    private readonly int _keySize;
    private readonly int _valueSize;
    private readonly string _description;

    public EtcdPutTarget(IReadOnlyList<IPEndPoint> endpoints, string api, int connections, int keySize, int valueSize, TimeSpan requestTimeout)
    {
        _grpc = api == "grpc";
        _keySize = keySize;
        _valueSize = valueSize;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            EnableMultipleHttp2Connections = true,
        };
        _http = new HttpClient(handler) { Timeout = requestTimeout };
        _uris = [.. endpoints.Select(e => new Uri(_grpc ? $"http://{e}/etcdserverpb.KV/Put" : $"http://{e}/v3/kv/put"))];
        _description = _grpc
            ? $"etcd gRPC KV/Put over cleartext HTTP/2 (HttpClient, multiplexed), task i -> endpoint i mod {_uris.Length}, request timeout {requestTimeout.TotalSeconds:F0} s"
            : $"etcd JSON gateway POST /v3/kv/put over HTTP/1.1 (HttpClient, up to {connections} connections per member), task i -> endpoint i mod {_uris.Length}, request timeout {requestTimeout.TotalSeconds:F0} s";
    }

    public string Description => _description;

    public IPutWorker CreateWorker(int index) => _grpc
        ? new GrpcWorker(_http, _uris[index % _uris.Length], _keySize, _valueSize)
        : new JsonWorker(_http, _uris[index % _uris.Length], _keySize, _valueSize);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class JsonWorker(HttpClient http, Uri uri, int keySize, int valueSize) : IPutWorker
    {
        private static readonly MediaTypeHeaderValue _json = new("application/json");
        private static readonly byte[] _prefix = "{\"key\":\""u8.ToArray();
        private static readonly byte[] _middle = "\",\"value\":\""u8.ToArray();
        private static readonly byte[] _suffix = "\"}"u8.ToArray();
        private readonly byte[] _body = new byte[_prefix.Length + Base64.GetMaxEncodedToUtf8Length(keySize) + _middle.Length + Base64.GetMaxEncodedToUtf8Length(valueSize) + _suffix.Length];

        public async Task PutAsync(byte[] key, byte[] value, CancellationToken ct)
        {
            var length = Build(key, value);
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(_body, 0, length) };
            request.Content.Headers.ContentType = _json;
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            // Success is {"header":{...}}; the gateway reports errors as {"error": ..., "code": ...} with a non-200 status.
            if (response.StatusCode != HttpStatusCode.OK || !answer.AsSpan().StartsWith("{\"header\""u8))
            {
                var text = Encoding.UTF8.GetString(answer, 0, Math.Min(answer.Length, 160));
                throw new HttpRequestException($"etcd answered {(int)response.StatusCode}: {text}");
            }
        }

        private int Build(byte[] key, byte[] value)
        {
            var span = _body.AsSpan();
            var at = 0;
            _prefix.CopyTo(span);
            at += _prefix.Length;
            Base64.EncodeToUtf8(key, span[at..], out _, out var written);
            at += written;
            _middle.CopyTo(span[at..]);
            at += _middle.Length;
            Base64.EncodeToUtf8(value, span[at..], out _, out written);
            at += written;
            _suffix.CopyTo(span[at..]);
            return at + _suffix.Length;
        }
    }

    private sealed class GrpcWorker(HttpClient http, Uri uri, int keySize, int valueSize) : IPutWorker
    {
        private static readonly MediaTypeHeaderValue _grpcType = new("application/grpc");
        private readonly byte[] _body = new byte[5 + 2 * (1 + 5) + keySize + valueSize];

        public async Task PutAsync(byte[] key, byte[] value, CancellationToken ct)
        {
            var length = Build(key, value);
            using var request = new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(_body, 0, length),
            };
            request.Headers.TryAddWithoutValidation("te", "trailers");
            request.Content.Headers.ContentType = _grpcType;
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            var answer = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            // grpc-status comes in the trailers (or in the headers of a trailers-only error response).
            string? status = null;
            if (response.TrailingHeaders.TryGetValues("grpc-status", out var t)) status = t.FirstOrDefault();
            else if (response.Headers.TryGetValues("grpc-status", out var h)) status = h.FirstOrDefault();
            if (response.StatusCode != HttpStatusCode.OK || status != "0" || answer.Length < 5)
            {
                string? message = null;
                if (response.TrailingHeaders.TryGetValues("grpc-message", out var m) || response.Headers.TryGetValues("grpc-message", out m)) message = m.FirstOrDefault();
                throw new HttpRequestException($"etcd answered HTTP {(int)response.StatusCode} grpc-status {status ?? "none"}: {Uri.UnescapeDataString(message ?? "")}");
            }
        }

        /// <summary>gRPC message prefix (uncompressed, u32 big-endian length), then PutRequest {1: key, 2: value}.</summary>
        private int Build(byte[] key, byte[] value)
        {
            var at = 5;
            at = Field(1, key, at);
            at = Field(2, value, at);
            _body[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(_body.AsSpan(1), (uint)(at - 5));
            return at;
        }

        private int Field(int number, byte[] bytes, int at)
        {
            _body[at++] = (byte)((number << 3) | 2);
            var n = (uint)bytes.Length;
            while (n >= 0x80)
            {
                _body[at++] = (byte)(n | 0x80);
                n >>= 7;
            }
            _body[at++] = (byte)n;
            bytes.CopyTo(_body, at);
            return at + bytes.Length;
        }
    }
}
