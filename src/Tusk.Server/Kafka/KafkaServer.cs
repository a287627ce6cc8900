using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using System.Net;
using System.Net.Sockets;
using Tusk.Protocols.Kafka;

namespace Tusk.Server.Kafka;

/// <summary>What the server needs from the broker: one request in, one response body out.</summary>
public interface IKafkaRequestHandler
{
    /// <summary>
    /// Handles one request. <paramref name="body"/> is the frame after the request header, valid only until
    /// the returned task completes; it is the handler's to modify meanwhile (produce stamps offsets into the batches
    /// in place rather than copying them). Writes the response body into <paramref name="response"/> (the server
    /// has already written the response header) and returns true, or returns false when the protocol sends no
    /// response (Produce with acks=0).
    /// </summary>
    ValueTask<bool> HandleAsync(RequestHeader header, Memory<byte> body, KafkaWriter response, ClientInfo client, CancellationToken cancellationToken);
}

/// <summary>Who sent a request (for group membership listings and logs).</summary>
/// <param name="Host">The client's address as Kafka shows it ("/127.0.0.1").</param>
public readonly record struct ClientInfo(string Host);

/// <summary>Limits of the Kafka listener (named, so they can be asserted and documented).</summary>
public sealed class KafkaServerOptions
{
    /// <summary>Largest request frame accepted (Kafka's socket.request.max.bytes); bigger ones close the connection.</summary>
    public int RequestBytesMax { get; init; } = 100 << 20;

    /// <summary>Connections served at once; further ones are closed at accept.</summary>
    public int ConnectionsMax { get; init; } = 1024;
}

/// <summary>
/// The Kafka listener: accepts TCP connections and serves each with one loop that reads length-prefixed
/// request frames and handles them strictly one at a time, so responses leave in request order (Kafka's
/// rule; clients pipeline requests behind it). A malformed frame, an oversized one or an I/O error closes
/// only that connection. Memory per connection is bounded by <see cref="KafkaServerOptions.RequestBytesMax"/>
/// (the request being read) plus <see cref="PipelineBytesMax"/> (produce requests in flight) plus their responses.
/// </summary>
public sealed class KafkaServer : IAsyncDisposable
{
    /// <summary>Produce requests of one connection in flight at once (their answers wait for fsync in parallel).</summary>
    public const int PipelineDepthMax = 16;

    /// <summary>
    /// Bytes of produce requests one connection may have in flight (one request is always let through): enough
    /// for the fsync of a partition to cover several megabyte batches, bounded so a connection's memory is too.
    /// </summary>
    public const int PipelineBytesMax = 16 << 20;

    private const int ResponseBufferBytes = 64 << 10;
    private const int ResponseBufferBytesRetained = 8 << 20; // covers typical fetch responses; beyond it the buffer is dropped (bounded memory per idle connection)
    private readonly IPEndPoint _endpoint;
    private readonly IKafkaRequestHandler _handler;
    private readonly KafkaServerOptions _options;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private ConnectionListener? _listener;
    private Task? _acceptLoop;

    /// <summary>Creates a server; call <see cref="Start"/>.</summary>
    public KafkaServer(IPEndPoint endpoint, IKafkaRequestHandler handler, KafkaServerOptions? options = null, Action<string>? log = null)
    {
        _endpoint = endpoint;
        _handler = handler;
        _options = options ?? new KafkaServerOptions();
        _log = log ?? (_ => { });
    }

    /// <summary>The port actually bound (useful with port 0).</summary>
    public int Port { get; private set; }

    /// <summary>
    /// Binds the listening socket (so <see cref="Port"/> is known) without accepting yet: connections wait in the
    /// backlog until <see cref="StartAccepting"/>. Throws <see cref="SocketException"/> when the address is taken.
    /// </summary>
    public void Bind()
    {
        _listener = new ConnectionListener(_endpoint, "kafka", _options.ConnectionsMax, _log);
        Port = _listener.Port;
    }

    /// <summary>Starts serving connections (after <see cref="Bind"/>).</summary>
    public void StartAccepting()
    {
        Tusk.Core.Invariant.Check(_listener != null, "StartAccepting before Bind");
        _acceptLoop = _listener.AcceptAsync(ServeAsync, _stop.Token);
    }

    /// <summary>Binds and starts accepting.</summary>
    public void Start()
    {
        Bind();
        StartAccepting();
    }

    /// <summary>
    /// Serves one connection. Responses leave in request order. Consecutive Produce requests are pipelined: each
    /// starts at once (its appends run synchronously, in request order) and its answer waits for its fsync while
    /// the next request is already read, up to <see cref="PipelineDepthMax"/> requests and
    /// <see cref="PipelineBytesMax"/> bytes at a time (a deeper pipeline lets one fsync cover more batches).
    /// Any other request first waits until every earlier one has completed and then runs alone, as Kafka's
    /// one-request-at-a-time rule has it (a parked JoinGroup or a long-polling Fetch stops the connection's reading).
    /// </summary>
    private async Task ServeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var client = new ClientInfo("/" + ((socket.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "unknown"));
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        using var frames = new KafkaFrameReader(socket, _options.RequestBytesMax, remote);
        var responses = Channel.CreateBounded<Task<KafkaWriter?>>(new BoundedChannelOptions(PipelineDepthMax)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var writers = new WriterPool();
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var sender = SendResponsesAsync(responses.Reader, stream, writers);
        // When sending ends (a handler failed, the client went away), stop reading this connection too.
        _ = sender.ContinueWith(_ => connection.Cancel(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        var inflight = new Queue<(Task<KafkaWriter?> Task, int Bytes)>();
        long inflightBytes = 0;
        try
        {
            while (!connection.IsCancellationRequested)
            {
                var frame = await frames.ReadAsync(connection.Token).ConfigureAwait(false);
                if (frame is not { } f)
                {
                    break; // the client closed the connection
                }
                var (request, header, headerLength) = ReadHeader(f.Buffer, f.Length);
                // A produce request joins those in flight within the pipeline's limits; any other request waits
                // until every earlier one has completed and then runs alone.
                bool pipelined = header.ApiKey == ApiKey.Produce;
                var writer = writers.Rent(large: !pipelined);
                while (inflight.Count > 0
                    && (!pipelined || inflight.Count >= PipelineDepthMax || inflightBytes + f.Length > PipelineBytesMax || inflight.Peek().Task.IsCompleted))
                {
                    var (done, bytes) = inflight.Dequeue();
                    inflightBytes -= bytes;
                    await ((Task)done).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // its failure is the sender's to report
                }
                var task = HandleRequestAsync(request, header, headerLength, writer, client);
                if (pipelined)
                {
                    inflight.Enqueue((task, f.Length));
                    inflightBytes += f.Length;
                }
                else
                {
                    await task.ConfigureAwait(false); // a failure closes the connection here (logged below)
                }
                await responses.Writer.WriteAsync(task, connection.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (KafkaProtocolException e)
        {
            _log($"kafka: closing connection from {remote}: malformed request: {e.Message}");
        }
        catch (Tusk.Core.CorruptionException e)
        {
            _log($"kafka: closing connection from {remote}: {e.Message}");
        }
        catch (IOException)
        {
            // the client went away
        }
        catch (SocketException)
        {
        }
        catch (ChannelClosedException)
        {
        }
        catch (Exception e)
        {
            _log($"kafka: closing connection from {remote} after an internal error: {e}");
        }
        finally
        {
            responses.Writer.TryComplete();
            try
            {
                await sender.ConfigureAwait(false);
            }
            catch (KafkaProtocolException e)
            {
                _log($"kafka: closing connection from {remote}: malformed request: {e.Message}");
            }
            catch (Tusk.Core.CorruptionException e)
            {
                _log($"kafka: closing connection from {remote}: {e.Message}");
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or ChannelClosedException)
            {
                // the connection is closing anyway
            }
            catch (Exception e)
            {
                _log($"kafka: closing connection from {remote} after an internal error: {e}");
            }
        }
    }

    /// <summary>Writes responses in request order as their handlers finish; a failed handler closes the connection.</summary>
    private async Task SendResponsesAsync(ChannelReader<Task<KafkaWriter?>> responses, NetworkStream stream, WriterPool writers)
    {
        await foreach (var task in responses.ReadAllAsync().ConfigureAwait(false))
        {
            KafkaWriter? writer = await task.ConfigureAwait(false); // a handler exception ends the connection
            if (writer == null)
            {
                continue;
            }
            await stream.WriteAsync(writer.FinishFrame(), _stop.Token).ConfigureAwait(false);
            writers.Return(writer);
        }
    }

    /// <summary>
    /// Response writers one connection keeps for reuse: small ones (produce answers) up to the pipeline's depth,
    /// and one that a large response (a fetch) grew, up to <see cref="ResponseBufferBytesRetained"/>. An idle
    /// connection so keeps at most (<see cref="PipelineDepthMax"/> + 1) x 64 KiB + 8 MiB. Rented by the reading
    /// loop, returned by the sender.
    /// </summary>
    private sealed class WriterPool
    {
        private readonly ConcurrentQueue<KafkaWriter> _small = new();
        private KafkaWriter? _large;

        /// <summary>A writer; <paramref name="large"/> prefers the grown one (for requests whose answers may be big).</summary>
        public KafkaWriter Rent(bool large)
        {
            if (large && Interlocked.Exchange(ref _large, null) is { } grown)
            {
                return grown;
            }
            return _small.TryDequeue(out var writer) ? writer : new KafkaWriter(ResponseBufferBytes);
        }

        /// <summary>Keeps <paramref name="writer"/> for reuse when there is room for it; drops it otherwise.</summary>
        public void Return(KafkaWriter writer)
        {
            if (writer.Capacity <= ResponseBufferBytes)
            {
                if (_small.Count <= PipelineDepthMax)
                {
                    _small.Enqueue(writer);
                }
            }
            else if (writer.Capacity <= ResponseBufferBytesRetained)
            {
                Interlocked.CompareExchange(ref _large, writer, null);
            }
        }
    }

    /// <summary>Reads the header of a frame in a pooled array; returns the array to the pool when the header is malformed.</summary>
    private static (RentedRequest Request, RequestHeader Header, int HeaderLength) ReadHeader(byte[] rented, int length)
    {
        try
        {
            var r = new KafkaReader(rented.AsSpan(0, length));
            var header = RequestHeader.Read(ref r);
            return (new RentedRequest(rented, length), header, r.Position);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }
    }

    private readonly record struct RentedRequest(byte[] Buffer, int Length);

    /// <summary>Runs one request into its own response writer; null when the protocol sends no response.</summary>
    private async Task<KafkaWriter?> HandleRequestAsync(RentedRequest request, RequestHeader header, int headerLength, KafkaWriter writer, ClientInfo client)
    {
        try
        {
            writer.Reset();
            writer.WriteInt32(header.CorrelationId);
            var body = request.Buffer.AsMemory(headerLength, request.Length - headerLength);
            bool respond = await _handler.HandleAsync(header, body, writer, client, _stop.Token).ConfigureAwait(false);
            return respond ? writer : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(request.Buffer);
        }
    }

    /// <summary>Stops accepting, closes connections, waits for their loops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener != null)
        {
            await _listener.ShutdownAsync(_acceptLoop).ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
