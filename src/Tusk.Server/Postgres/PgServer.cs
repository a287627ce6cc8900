// lint: allow ThreadPool — the PostgreSQL host sizes the pool for statements that block (fsync, row-lock waits)
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Tusk.Protocols.Postgres;
using Tusk.Sql;

namespace Tusk.Server.Postgres;

/// <summary>
/// The PostgreSQL listener (protocol 3.0): accepts TCP connections through <see cref="ConnectionListener"/> and
/// serves each with a <see cref="PgConnection"/> on its own task, one <see cref="SqlSession"/> per connection.
/// Beyond <see cref="PgServerOptions.ConnectionsMax"/> a client is told 53300 "sorry, too many clients already".
/// Keeps the registry of (process id, secret key) pairs that a CancelRequest on another connection names. The
/// engine belongs to the caller. Thread-safe.
/// </summary>
public sealed class PgServer : IAsyncDisposable
{
    /// <summary>How long a refused client has to send its startup packet before the socket is closed.</summary>
    private static readonly TimeSpan RefusalTimeout = TimeSpan.FromSeconds(5);

    private readonly IPEndPoint _endpoint;
    private readonly SqlEngine _engine;
    private readonly PgServerOptions _options;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, PgConnection> _connections = new();
    private ConnectionListener? _listener;
    private Task? _acceptLoop;
    private Task? _autovacuum;

    public PgServer(IPEndPoint endpoint, SqlEngine engine, PgServerOptions? options = null, Action<string>? log = null)
    {
        _endpoint = endpoint;
        _engine = engine;
        _options = options ?? new PgServerOptions();
        _options.Validate();
        _log = log ?? (_ => { });
    }

    /// <summary>The port actually bound (useful with port 0).</summary>
    public int Port { get; private set; }

    internal SqlEngine Engine => _engine;

    internal PgServerOptions Options => _options;

    internal Action<string> Log => _log;

    /// <summary>Binds the listening socket; throws <see cref="SocketException"/> when the address is taken.</summary>
    public void Bind()
    {
        _listener = new ConnectionListener(_endpoint, "postgres", _options.ConnectionsMax, _log);
        Port = _listener.Port;
    }

    /// <summary>Starts serving connections (after <see cref="Bind"/>).</summary>
    public void StartAccepting()
    {
        Tusk.Core.Invariant.Check(_listener != null, "StartAccepting before Bind");
        // Statements run synchronously on their connection's task and may block (commit fsyncs, row-lock waits). Enough
        // pool threads for every connection keep a waiting session from starving the one it waits for (which needs a
        // thread to receive its COMMIT); otherwise the pool adds threads only every half second.
        ThreadPool.GetMinThreads(out var workers, out var io);
        var wanted = Math.Min(_options.ConnectionsMax + Environment.ProcessorCount * 2, 1024);
        if (workers < wanted) ThreadPool.SetMinThreads(wanted, io);
        _acceptLoop = _listener.AcceptAsync(ServeAsync, _stop.Token, RefuseAsync);
        if (_options.AutovacuumNaptime > TimeSpan.Zero)
        {
            _autovacuum = Autovacuum.RunAsync(_engine, _options.AutovacuumNaptime, _log, _stop.Token);
        }
    }

    /// <summary>Binds and starts accepting.</summary>
    public void Start()
    {
        Bind();
        StartAccepting();
    }

    private async Task ServeAsync(Socket socket)
    {
        var connection = new PgConnection(this, socket, _stop.Token);
        await connection.RunAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Picks a random process id no open connection uses and registers <paramref name="connection"/> (whose
    /// <see cref="PgConnection.SecretKey"/> is already set) under it, so a CancelRequest can find it.
    /// </summary>
    internal int Register(PgConnection connection)
    {
        while (true)
        {
            var processId = RandomNumberGenerator.GetInt32(1, int.MaxValue);
            if (_connections.TryAdd(processId, connection)) return processId;
        }
    }

    internal void Unregister(int processId) => _connections.TryRemove(processId, out _);

    /// <summary>A CancelRequest: cancels the statement running in the named session when the secret matches (else nothing).</summary>
    internal void Cancel(int processId, int secretKey)
    {
        if (_connections.TryGetValue(processId, out var connection) && connection.SecretKey == secretKey)
        {
            connection.CancelStatement();
        }
    }

    /// <summary>
    /// A connection beyond the limit: answers the startup phase far enough to report 53300 as PostgreSQL does
    /// (an SSLRequest or GSSENCRequest gets 'N', the StartupMessage gets the FATAL error), then closes. Waiting
    /// for the startup packet matters: closing a socket with unread input resets it, and the client would see a
    /// reset instead of the error.
    /// </summary>
    private async Task RefuseAsync(Socket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RefusalTimeout);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1024, leaveOpen: true));
        var frontend = new PgFrontendReader();
        var output = new ArrayBufferWriter<byte>(256);
        var writer = new PgBackendWriter(output);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                FrontendMessage? message = null;
                var done = false;
                while (!done && frontend.TryRead(ref buffer, out message))
                {
                    switch (message)
                    {
                        case SslRequest or GssEncRequest:
                            writer.SslResponse(accept: false);
                            break;
                        case StartupMessage:
                            writer.ErrorResponse(SqlStates.TooManyConnections, "sorry, too many clients already", "FATAL");
                            done = true;
                            break;
                        default:  // a CancelRequest: no answer
                            done = true;
                            break;
                    }
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (output.WrittenCount > 0)
                {
                    await stream.WriteAsync(output.WrittenMemory, timeout.Token).ConfigureAwait(false);
                    output.Clear();
                }
                if (done || result.IsCompleted) break;
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or PgProtocolException)
        {
            // The client was slow or spoke nonsense; it is being refused anyway.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting, ends every connection (FATAL 57P01 to idle clients) and waits for their tasks.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener != null)
        {
            await _listener.ShutdownAsync(_acceptLoop).ConfigureAwait(false);
        }
        if (_autovacuum != null) await _autovacuum.ConfigureAwait(false);
        _stop.Dispose();
    }
}
