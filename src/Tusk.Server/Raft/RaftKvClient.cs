// lint: allow Task.Delay — the client's back-off between retries (a host-side client, not a core).
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Tusk.Raft.Kv;

namespace Tusk.Server.Raft;

/// <summary>The outcome of a request after every retry failed within the deadline.</summary>
public sealed class RaftKvUnavailableException(string message, bool mayHaveApplied) : Exception(message)
{
    /// <summary>True for a write whose outcome is unknown: it may have been applied (a later read tells).</summary>
    public bool MayHaveApplied { get; } = mayHaveApplied;
}

/// <summary>
/// A .NET client of a replicated KV cluster. Finds the leader (following "not leader" hints, trying every member),
/// and retries a request with the same (session id, sequence) so the cluster applies it at most once (client
/// sessions). Thread-safe: requests from many tasks share one connection per node and are pipelined. The cluster
/// keeps one result per session and treats a lower sequence as an old retry, so every request in flight holds a
/// session of its own: sessions are pooled, and a session's next request always has a higher sequence. A request
/// that cannot complete within <see cref="RequestTimeout"/> throws <see cref="RaftKvUnavailableException"/>.
/// </summary>
public sealed class RaftKvClient : IAsyncDisposable
{
    private readonly IReadOnlyList<IPEndPoint> _members;
    private readonly ulong _clientId;
    private readonly ConcurrentDictionary<string, NodeConnection> _connections = new();
    private readonly ConcurrentBag<Session> _idleSessions = [];
    private long _sessionsCreated;
    private long _requestIds;
    private volatile IPEndPoint? _leader;

    public RaftKvClient(IReadOnlyList<IPEndPoint> members, ulong clientId = 0)
    {
        if (members.Count == 0) throw new ArgumentException("no cluster members given");
        _members = members;
        // Session ids count up from here; random high bits keep different clients apart.
        _clientId = clientId != 0 ? clientId : RandomId() & ~0xFFFF_FFFFUL;
    }

    /// <summary>How long one request may take, retries included.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one attempt waits for an answer before trying another node.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock for deadlines.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The id of this client's first session; further sessions count up from it.</summary>
    public ulong ClientId => _clientId;

    /// <summary>Sessions created so far (the most requests this client had in flight at once).</summary>
    public long Sessions => Interlocked.Read(ref _sessionsCreated);

    private sealed class Session(ulong id)
    {
        public ulong Id { get; } = id;

        public ulong Sequence { get; set; }
    }

    private static ulong RandomId()
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes) | 1;
    }

    public async Task PutAsync(string key, string value, CancellationToken ct = default) =>
        await ExecuteAsync(s => new KvCommand(KvOp.Put, s.Id, s.Sequence, key, value), ct).ConfigureAwait(false);

    public async Task<string?> GetAsync(string key, CancellationToken ct = default) =>
        (await ExecuteAsync(s => new KvCommand(KvOp.Get, s.Id, s.Sequence, key), ct).ConfigureAwait(false)).Value;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> if it holds <paramref name="expected"/> (null: absent). Returns (swapped, the value found).</summary>
    public async Task<(bool Swapped, string? Found)> CasAsync(string key, string? expected, string value, CancellationToken ct = default)
    {
        var r = await ExecuteAsync(s => new KvCommand(KvOp.Cas, s.Id, s.Sequence, key, value, expected), ct).ConfigureAwait(false);
        return (r.Succeeded, r.Value);
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct = default) =>
        (await ExecuteAsync(s => new KvCommand(KvOp.Delete, s.Id, s.Sequence, key), ct).ConfigureAwait(false)).Succeeded;

    /// <summary>The status document (JSON) of one node.</summary>
    public async Task<string> StatusAsync(IPEndPoint node, CancellationToken ct = default)
    {
        var connection = Connect(node);
        var id = (ulong)Interlocked.Increment(ref _requestIds);
        try
        {
            var payload = await connection.RequestAsync(id, RaftFrames.StatusRequest(id), AttemptTimeout, ct).ConfigureAwait(false);
            return RaftFrames.ReadStatusResponse(payload).Json;
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException or ObjectDisposedException)
        {
            DropConnection(node);  // reconnect next time (the node may come back)
            throw;
        }
    }

    private async Task<KvResponse> ExecuteAsync(Func<Session, KvCommand> build, CancellationToken ct)
    {
        if (!_idleSessions.TryTake(out var session)) session = new Session(_clientId + (ulong)Interlocked.Increment(ref _sessionsCreated));
        session.Sequence++;
        try
        {
            return await ExecuteAsync(build(session), ct).ConfigureAwait(false);
        }
        finally
        {
            // Reused only after this request is finished (answered or given up): its next sequence is higher.
            _idleSessions.Add(session);
        }
    }

    private async Task<KvResponse> ExecuteAsync(KvCommand command, CancellationToken ct)
    {
        var start = Time.GetTimestamp();
        var target = _leader ?? _members[(int)(command.Sequence % (ulong)_members.Count)];
        var tried = 0;
        string lastProblem = "no attempt made";
        while (Time.GetElapsedTime(start) < RequestTimeout)
        {
            ct.ThrowIfCancellationRequested();
            var id = (ulong)Interlocked.Increment(ref _requestIds);
            KvResponse? response = null;
            var connection = Connect(target);
            try
            {
                var payload = await connection.RequestAsync(id, RaftFrames.Request(new KvRequest(id, command)), AttemptTimeout, ct).ConfigureAwait(false);
                response = RaftFrames.ReadResponse(payload);
            }
            // OperationCanceledException without the caller's cancellation: another request dropped (disposed) this
            // connection while this one was (re)connecting through it; the connection is gone, try again.
            catch (Exception e) when (e is IOException or SocketException or TimeoutException or ObjectDisposedException
                || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                lastProblem = $"{target}: {e.Message}";
                DropConnection(target, connection);
            }
            if (response is { Status: KvStatus.Ok })
            {
                _leader = target;
                return response;
            }
            if (response is { Status: KvStatus.Error }) throw new InvalidOperationException($"{target} refused the request: {response.Value}");
            if (response is { Status: KvStatus.NotLeader, LeaderAddress: { } address } && IPEndPoint.TryParse(address, out var leader) && !leader.Equals(target))
            {
                lastProblem = $"{target} is not the leader";
                target = leader;
                continue;
            }
            if (response is not null) lastProblem = response.Status == KvStatus.Retry ? $"{target}: leader changed, retrying" : $"{target}: no leader known";
            _leader = null;
            tried++;
            target = _members[(int)((command.Sequence + (ulong)tried) % (ulong)_members.Count)];
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200, 10 * tried)), ct).ConfigureAwait(false);
        }
        throw new RaftKvUnavailableException(
            $"{command.Op.ToString().ToLowerInvariant()} {command.Key}: no answer from the cluster within {RequestTimeout.TotalSeconds:F0} s (last: {lastProblem})",
            command.Op != KvOp.Get);
    }

    private NodeConnection Connect(IPEndPoint node) => _connections.GetOrAdd(node.ToString(), _ => new NodeConnection(node));

    /// <summary>Drops the connection to <paramref name="node"/> (if given: only if it is still <paramref name="connection"/>, so the
    /// many requests that fail together when a shared connection dies do not also drop the fresh one another opened).</summary>
    private void DropConnection(IPEndPoint node, NodeConnection? connection = null)
    {
        if (connection is null)
        {
            if (_connections.TryRemove(node.ToString(), out var c)) _ = c.DisposeAsync();
            return;
        }
        if (_connections.TryRemove(new KeyValuePair<string, NodeConnection>(node.ToString(), connection))) _ = connection.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _connections.Values) await c.DisposeAsync().ConfigureAwait(false);
        _connections.Clear();
    }

    /// <summary>One pipelined connection: requests are matched to responses by request id.</summary>
    private sealed class NodeConnection : IAsyncDisposable
    {
        private readonly IPEndPoint _endpoint;
        private readonly ConcurrentDictionary<ulong, TaskCompletionSource<byte[]>> _waiting = new();
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private readonly CancellationTokenSource _closed = new();
        private Task<NetworkStream>? _stream;
        private readonly object _gate = new();

        public NodeConnection(IPEndPoint endpoint) => _endpoint = endpoint;

        private Task<NetworkStream> StreamAsync()
        {
            lock (_gate) return _stream ??= OpenAsync();
        }

        private async Task<NetworkStream> OpenAsync()
        {
            var socket = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_endpoint, _closed.Token).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            var stream = new NetworkStream(socket, ownsSocket: true);
            await stream.WriteAsync(RaftFrames.Hello(0), _closed.Token).ConfigureAwait(false);
            _ = ReadLoop(stream);
            return stream;
        }

        public async Task<byte[]> RequestAsync(ulong id, byte[] frame, TimeSpan timeout, CancellationToken ct)
        {
            var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[id] = tcs;
            try
            {
                var stream = await StreamAsync().ConfigureAwait(false);
                await _writeLock.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    await stream.WriteAsync(frame, ct).ConfigureAwait(false);
                }
                finally
                {
                    _writeLock.Release();
                }
                return await tcs.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
            }
            finally
            {
                _waiting.TryRemove(id, out _);
            }
        }

        private async Task ReadLoop(NetworkStream stream)
        {
            var reader = PipeReader.Create(stream);
            try
            {
                while (true)
                {
                    var read = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                    var buffer = read.Buffer;
                    while (RaftFrames.TryRead(ref buffer, out var payload))
                    {
                        var id = RaftFrames.KindOf(payload) switch
                        {
                            FrameKind.KvResponse => RaftFrames.ReadResponse(payload).RequestId,
                            FrameKind.StatusResponse => RaftFrames.ReadStatusResponse(payload).RequestId,
                            _ => throw new FormatException("unexpected frame from the node"),
                        };
                        if (_waiting.TryGetValue(id, out var tcs)) tcs.TrySetResult(payload);
                    }
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    if (read.IsCompleted) break;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or FormatException or ObjectDisposedException)
            {
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
                foreach (var w in _waiting.Values) w.TrySetException(new IOException($"connection to {_endpoint} closed"));
                lock (_gate) _stream = null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _closed.CancelAsync().ConfigureAwait(false);
            Task<NetworkStream>? s;
            lock (_gate) s = _stream;
            if (s is { IsCompletedSuccessfully: true }) await s.Result.DisposeAsync().ConfigureAwait(false);
        }
    }
}
