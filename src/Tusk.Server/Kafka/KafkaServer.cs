// lint: allow Task.Delay — the listener's back-off after a failed accept (a host, not a core).
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Tusk.Protocols.Kafka;

namespace Tusk.Server.Kafka;

/// <summary>What the server needs from the broker: one request in, one response body out.</summary>
public interface IKafkaRequestHandler
{
    /// <summary>
    /// Handles one request. <paramref name="body"/> is the frame after the request header and is valid only
    /// until the returned task completes. Writes the response body into <paramref name="response"/> (the server
    /// has already written the response header) and returns true, or returns false when the protocol sends no
    /// response (Produce with acks=0).
    /// </summary>
    ValueTask<bool> HandleAsync(RequestHeader header, ReadOnlyMemory<byte> body, KafkaWriter response, ClientInfo client, CancellationToken cancellationToken);
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
/// plus the response being written.
/// </summary>
public sealed class KafkaServer : IAsyncDisposable
{
    private const int ResponseBufferBytes = 64 << 10;
    private const int ResponseBufferBytesRetained = 8 << 20; // covers typical fetch responses; beyond it the buffer is dropped (bounded memory per idle connection)
    private readonly IPEndPoint _endpoint;
    private readonly IKafkaRequestHandler _handler;
    private readonly KafkaServerOptions _options;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _open;

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
        _listener = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(_endpoint);
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    /// <summary>Starts serving connections (after <see cref="Bind"/>).</summary>
    public void StartAccepting()
    {
        Tusk.Core.Invariant.Check(_listener != null, "StartAccepting before Bind");
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Binds and starts accepting.</summary>
    public void Start()
    {
        Bind();
        StartAccepting();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                _log($"kafka: accept failed: {e.Message}");
                // Persistent failures (too many open files) must not spin the CPU: back off briefly.
                try
                {
                    await Task.Delay(100, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (Interlocked.Increment(ref _open) > _options.ConnectionsMax)
            {
                Interlocked.Decrement(ref _open);
                _log($"kafka: refusing a connection from {socket.RemoteEndPoint}: {_options.ConnectionsMax} connections already open");
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            var task = ServeAsync(socket);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var client = new ClientInfo("/" + ((socket.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "unknown"));
        var writer = new KafkaWriter(ResponseBufferBytes);
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 << 10));
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                ReadResult result = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, remote))
                {
                    await HandleFrameAsync(frame, writer, stream, client).ConfigureAwait(false);
                    if (writer.Capacity > ResponseBufferBytesRetained)
                    {
                        writer = new KafkaWriter(ResponseBufferBytes); // don't keep a large fetch's buffer per idle connection
                    }
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
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
        catch (Exception e)
        {
            _log($"kafka: closing connection from {remote} after an internal error: {e}");
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _open);
        }
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame, string remote)
    {
        frame = default;
        if (buffer.Length < 4)
        {
            return false;
        }
        Span<byte> sizeBytes = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(sizeBytes);
        int size = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
        if (size < 8 || size > _options.RequestBytesMax)
        {
            throw new KafkaProtocolException($"request frame of {size} bytes from {remote} (allowed: 8..{_options.RequestBytesMax})");
        }
        if (buffer.Length < 4 + size)
        {
            return false;
        }
        frame = buffer.Slice(4, size);
        buffer = buffer.Slice(4 + size);
        return true;
    }

    private async Task HandleFrameAsync(ReadOnlySequence<byte> frame, KafkaWriter writer, NetworkStream stream, ClientInfo client)
    {
        int length = (int)frame.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(rented);
            var memory = rented.AsMemory(0, length);
            RequestHeader header;
            int headerLength;
            {
                var r = new KafkaReader(memory.Span);
                header = RequestHeader.Read(ref r);
                headerLength = r.Position;
            }
            writer.Reset();
            writer.WriteInt32(header.CorrelationId);
            bool respond = await _handler.HandleAsync(header, memory[headerLength..], writer, client, _stop.Token).ConfigureAwait(false);
            if (respond)
            {
                await stream.WriteAsync(writer.FinishFrame(), _stop.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Stops accepting, closes connections, waits for their loops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop != null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }
        await Task.WhenAll(open).ConfigureAwait(false);
        _stop.Dispose();
    }
}
