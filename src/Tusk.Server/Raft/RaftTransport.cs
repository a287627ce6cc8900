// lint: allow Task.Delay — reconnect back-off to a peer (a host, not a core).
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Tusk.Raft;

namespace Tusk.Server.Raft;

/// <summary>
/// A client's connection to a node: responses are queued here and written by the connection's own writer, so the
/// node's loop never blocks on a slow client. The queue is bounded; a client that does not read is disconnected.
/// </summary>
public sealed class ClientConnection
{
    /// <summary>Responses queued for one client before it is considered stuck and disconnected.</summary>
    public const int QueuedResponsesMax = 100_000;

    private readonly Channel<byte[]> _out = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueuedResponsesMax) { SingleReader = true });

    internal ChannelReader<byte[]> Outgoing => _out.Reader;

    internal CancellationTokenSource Closed { get; } = new();

    public void Send(byte[] frame)
    {
        if (!_out.Writer.TryWrite(frame)) Closed.Cancel();
    }

    internal void Complete() => _out.Writer.TryComplete();
}

/// <summary>
/// TCP for a Raft KV node: one listening port for peers and clients, and one outgoing connection per peer.
/// Outgoing Raft messages wait in a bounded queue per peer and leave in batches (one frame per batch); when the
/// queue is full, or the peer is unreachable, messages are dropped, which Raft tolerates (it retries). Each outgoing
/// connection reconnects with back-off. Frames are length-prefixed and checksummed (<see cref="RaftFrames"/>);
/// a bad frame closes that connection only.
/// </summary>
internal sealed class RaftTransport : IAsyncDisposable
{
    /// <summary>Raft messages queued for one peer; beyond it new ones are dropped.</summary>
    public const int PeerQueueMax = 10_000;

    /// <summary>Raft messages per frame.</summary>
    public const int BatchMessagesMax = 512;

    /// <summary>Inbound connections (peers and clients) served at once; further ones are closed at accept.</summary>
    public const int ConnectionsMax = 4096;

    /// <summary>Encoded bytes per frame (one message may exceed it alone, up to the Raft limits of 1 MiB per Append).</summary>
    public const long BatchBytesMax = 4 << 20;

    private readonly ulong _id;
    private readonly IPEndPoint _listen;
    private readonly Action<string> _log;
    private readonly Action<List<RaftMessage>> _onMessages;
    private readonly Action<ClientConnection, KvRequest> _onRequest;
    private readonly Action<ClientConnection, ulong> _onStatus;
    private readonly Dictionary<ulong, Channel<RaftMessage>> _peerQueues = [];
    private readonly Dictionary<ulong, IPEndPoint> _peers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly object _tasksLock = new();
    private ConnectionListener? _listener;

    public RaftTransport(ulong id, IPEndPoint listen, IReadOnlyDictionary<ulong, IPEndPoint> members, Action<string> log,
        Action<List<RaftMessage>> onMessages, Action<ClientConnection, KvRequest> onRequest, Action<ClientConnection, ulong> onStatus)
    {
        _id = id;
        _listen = listen;
        _log = log;
        _onMessages = onMessages;
        _onRequest = onRequest;
        _onStatus = onStatus;
        foreach (var (peer, endpoint) in members)
        {
            if (peer == id) continue;
            _peers[peer] = endpoint;
            _peerQueues[peer] = Channel.CreateBounded<RaftMessage>(new BoundedChannelOptions(PeerQueueMax)
            {
                SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite,
            });
        }
    }

    public int Port => _listener?.Port ?? 0;

    public void Start()
    {
        _listener = new ConnectionListener(_listen, "raft", ConnectionsMax, _log);
        Track(_listener.AcceptAsync(Serve, _stop.Token));
        foreach (var (peer, endpoint) in _peers) Track(SendLoop(peer, endpoint, _peerQueues[peer].Reader));
    }

    private void Track(Task task)
    {
        lock (_tasksLock)
        {
            _tasks.RemoveAll(t => t.IsCompleted);
            _tasks.Add(task);
        }
    }

    /// <summary>Queues messages for their peers (called from the node's loop; never blocks).</summary>
    public void Send(IReadOnlyList<RaftMessage> messages)
    {
        foreach (var m in messages)
        {
            if (_peerQueues.TryGetValue(m.To, out var queue)) queue.Writer.TryWrite(m);
        }
    }

    private async Task SendLoop(ulong peer, IPEndPoint endpoint, ChannelReader<RaftMessage> queue)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        var batch = new List<RaftMessage>(BatchMessagesMax);
        while (!_stop.IsCancellationRequested)
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endpoint, _stop.Token).ConfigureAwait(false);
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                await stream.WriteAsync(RaftFrames.Hello(_id), _stop.Token).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(50);
                while (await queue.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                {
                    // Bounded by count and by bytes, well under what the receiver accepts (RaftFrames.FrameBytesMax).
                    long bytes = 0;
                    while (batch.Count < BatchMessagesMax && bytes < BatchBytesMax && queue.TryPeek(out var next))
                    {
                        bytes += 4 + RaftMessageCodec.EncodedLength(next);
                        if (batch.Count > 0 && bytes > BatchBytesMax) break;
                        queue.TryRead(out var m);
                        batch.Add(m!);
                    }
                    var frame = RaftFrames.RentRaftMessages(batch, out var length);
                    try
                    {
                        await stream.WriteAsync(frame.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(frame);
                    }
                    batch.Clear();
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                // Peer down or connection lost: drop what is queued (Raft resends) and reconnect after a pause.
                batch.Clear();
                while (queue.TryRead(out _)) { }
                try
                {
                    await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromMilliseconds(Math.Min(1000, backoff.TotalMilliseconds * 2));
            }
        }
    }

    /// <summary>Serves one inbound connection: a peer's Raft traffic or a client's requests, told apart by the Hello.</summary>
    private async Task Serve(Socket socket)
    {
        ClientConnection? client = null;
        Task? writer = null;
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 << 10));
        ulong from = ulong.MaxValue;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (from != ulong.MaxValue && from != 0 && RaftFrames.TryReadPooled(ref buffer, out var rented, out var length))
                {
                    // A peer's Raft traffic: decoded out of a pooled buffer (the messages copy what they keep).
                    try
                    {
                        if (RaftFrames.KindOf(rented) != FrameKind.RaftMessages) throw new FormatException($"unexpected frame {RaftFrames.KindOf(rented)} from a peer");
                        var messages = RaftFrames.ReadRaftMessages(rented, length);
                        messages.RemoveAll(m => m.From != from || m.To != _id);
                        if (messages.Count > 0) _onMessages(messages);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }
                }
                while (RaftFrames.TryRead(ref buffer, out var payload))
                {
                    var kind = RaftFrames.KindOf(payload);
                    if (from == ulong.MaxValue)
                    {
                        if (kind != FrameKind.Hello) throw new FormatException("the first frame must be a hello");
                        from = RaftFrames.ReadHello(payload);
                        if (from == 0)
                        {
                            client = new ClientConnection();
                            writer = WriteResponses(stream, client);
                        }
                        else if (!_peers.ContainsKey(from))
                        {
                            throw new FormatException($"node {from} is not a member of this cluster");
                        }
                        continue;
                    }
                    switch (kind)
                    {
                        case FrameKind.RaftMessages when from != 0:
                            var messages = RaftFrames.ReadRaftMessages(payload);
                            messages.RemoveAll(m => m.From != from || m.To != _id);
                            if (messages.Count > 0) _onMessages(messages);
                            break;
                        case FrameKind.KvRequest when client is not null:
                            _onRequest(client, RaftFrames.ReadRequest(payload));
                            break;
                        case FrameKind.StatusRequest when client is not null:
                            _onStatus(client, RaftFrames.ReadStatusRequest(payload));
                            break;
                        default:
                            throw new FormatException($"unexpected frame {kind}");
                    }
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted || client?.Closed.IsCancellationRequested == true) break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (FormatException e)
        {
            _log($"raft: closing connection from {socket.RemoteEndPoint}: {e.Message}");
            if (client is not null)
                client.Send(RaftFrames.Response(new KvResponse(0, KvStatus.Error, false, "protocol error: " + e.Message, 0, null)));
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            client?.Complete();
            if (writer is not null) await writer.ConfigureAwait(false);
        }
    }

    private async Task WriteResponses(NetworkStream stream, ClientConnection client)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (await client.Outgoing.WaitToReadAsync(client.Closed.Token).ConfigureAwait(false))
            {
                while (buffer.WrittenCount < 1 << 20 && client.Outgoing.TryRead(out var frame)) buffer.Write(frame);
                await stream.WriteAsync(buffer.WrittenMemory, client.Closed.Token).ConfigureAwait(false);
                buffer.Clear();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            client.Closed.Cancel();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        Task[] tasks;
        lock (_tasksLock) tasks = [.. _tasks, .. _listener?.OpenConnections() ?? []];
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        _stop.Dispose();
    }
}
