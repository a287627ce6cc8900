using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Authentication;
using Tusk.Protocols.Postgres;
using Tusk.Sql;
using Tusk.Sql.Types;
using WireStatus = Tusk.Protocols.Postgres.TransactionStatus;

namespace Tusk.Server.Postgres;

/// <summary>
/// One client connection: the startup phase (TLS, authentication, the session), then the simple and extended
/// query protocols and COPY, strictly one message at a time on one task. Input comes through a
/// <see cref="PipeReader"/> cut into messages by <see cref="PgFrontendReader"/> (at most
/// <see cref="PgServerOptions.MessageBytesMax"/> buffered); output is written by <see cref="PgBackendWriter"/> into
/// one pooled buffer, sent when the input runs dry (so after ReadyForQuery, or on Flush) or when it passes
/// <see cref="FlushBytes"/> in the middle of a result. Engine calls are synchronous and run on this task; only
/// <see cref="CancelStatement"/> is called from another thread.
/// Failure handling: a statement's error (SqlException, a data error, any other engine exception as XX000) is an
/// ErrorResponse and the connection goes on; a protocol violation is a FATAL ErrorResponse that ends this
/// connection only; I/O errors end it silently.
/// </summary>
internal sealed partial class PgConnection
{
    /// <summary>Output past this size is sent at once, so a large result streams out in bounded memory.</summary>
    public const int FlushBytes = 32 << 10;

    private const int ReadBufferBytes = 16 << 10;
    private const int DrainBytesMax = 1 << 20;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);

    private readonly PgServer _server;
    private readonly Socket _socket;
    private readonly CancellationToken _stop;
    private readonly PgFrontendReader _frontend;
    private readonly PooledBufferWriter _output = new();
    private readonly PgBackendWriter _writer;
    private readonly string _remote;
    private Stream _stream;
    private PipeReader _reader;

    // What the last read returned and has not been consumed yet. Invariant: _buffer is valid only while _haveBuffer.
    private ReadOnlySequence<byte> _buffer;
    private bool _haveBuffer;
    private bool _inputEnded;

    // Reads are cancelled by the server's stop, and during startup also by the startup timeout.
    private CancellationToken _readCancellation;

    private SqlSession? _session;
    private int _processId;
    private bool _fatal;

    public PgConnection(PgServer server, Socket socket, CancellationToken stop)
    {
        _server = server;
        _socket = socket;
        _stop = stop;
        _readCancellation = stop;
        _remote = socket.RemoteEndPoint?.ToString() ?? "?";
        _frontend = new PgFrontendReader { MessageBytesMax = server.Options.MessageBytesMax };
        _writer = new PgBackendWriter(_output);
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = CreateReader(_stream);
    }

    /// <summary>BackendKeyData's secret; 0 until the session is open.</summary>
    public int SecretKey { get; private set; }

    private SqlSession Session => _session!;

    private static PipeReader CreateReader(Stream stream) =>
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferBytes, minimumReadSize: 1024, leaveOpen: true));

    /// <summary>CancelRequest from another connection: stops the running statement with 57014 (no-op when idle).</summary>
    public void CancelStatement()
    {
        try
        {
            _session?.Cancel();
        }
        catch (Exception e)
        {
            _server.Log($"postgres: cancelling a statement of {_remote} failed: {e.Message}");
        }
    }

    /// <summary>Serves the connection until the client leaves, a protocol error, or the server stops.</summary>
    public async Task RunAsync()
    {
        try
        {
            if (!await StartupAsync().ConfigureAwait(false)) return;
            while (true)
            {
                var message = await ReadMessageAsync().ConfigureAwait(false);
                if (message is null or Terminate) break;
                await HandleAsync(message).ConfigureAwait(false);
            }
        }
        catch (PgProtocolException e)
        {
            _server.Log($"postgres: closing connection from {_remote}: {e.Message}");
            QueueFatal(e.SqlState, e.Message);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            QueueFatal("57P01", "terminating connection due to administrator command");
        }
        catch (OperationCanceledException)
        {
            // Only the startup timeout cancels reads otherwise.
            QueueFatal(SqlStates.ProtocolViolation, "canceling authentication due to timeout");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client went away.
        }
        catch (AuthenticationException e)
        {
            _server.Log($"postgres: TLS handshake with {_remote} failed: {e.Message}");
        }
        catch (Exception e)
        {
            _server.Log($"postgres: closing connection from {_remote} after an internal error: {e}");
            QueueFatal(SqlStates.InternalError, e.Message);
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task CloseAsync()
    {
        if (_processId != 0) _server.Unregister(_processId);
        await TrySendPendingAsync().ConfigureAwait(false);  // a FATAL error, or the answer to the last message
        if (_fatal) await DrainInputAsync().ConfigureAwait(false);
        FailCopy("connection closed");
        try
        {
            _session?.Dispose();
        }
        catch (Exception e)
        {
            _server.Log($"postgres: closing the session of {_remote} failed: {e.Message}");
        }
        await _reader.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        _socket.Dispose();
        _output.Dispose();
    }

    /// <summary>
    /// The next frontend message, or null at the end of the input. Sends pending output before waiting for the
    /// client, so nothing the client may wait for is held back.
    /// </summary>
    private async ValueTask<FrontendMessage?> ReadMessageAsync()
    {
        while (true)
        {
            if (_haveBuffer)
            {
                var buffer = _buffer;
                if (_frontend.TryRead(ref buffer, out var message))
                {
                    _buffer = buffer;
                    return message;
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                _haveBuffer = false;
                if (_inputEnded) return null;
            }
            await FlushAsync().ConfigureAwait(false);
            var result = await _reader.ReadAsync(_readCancellation).ConfigureAwait(false);
            _buffer = result.Buffer;
            _haveBuffer = true;
            _inputEnded = result.IsCompleted;
        }
    }

    /// <summary>True when input was received beyond the last message read (before switching to TLS there must be none).</summary>
    private bool HasBufferedInput => _haveBuffer && !_buffer.IsEmpty;

    private async ValueTask FlushAsync()
    {
        if (_output.WrittenCount == 0) return;
        await _stream.WriteAsync(_output.WrittenMemory, _stop).ConfigureAwait(false);
        _output.Reset();
    }

    private ValueTask FlushIfLargeAsync() => _output.WrittenCount >= FlushBytes ? FlushAsync() : ValueTask.CompletedTask;

    /// <summary>Queues a FATAL ErrorResponse; the connection closes next and sends it then.</summary>
    private void QueueFatal(string sqlState, string message)
    {
        _writer.ErrorResponse(sqlState, message, "FATAL");
        _fatal = true;
    }

    /// <summary>
    /// After a FATAL error: half-closes and reads what the client still sends (briefly), because closing a socket
    /// with unread input resets it, and a reset can destroy the error before the client has read it.
    /// </summary>
    private async Task DrainInputAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            if (_haveBuffer)
            {
                _reader.AdvanceTo(_buffer.End);
                _haveBuffer = false;
            }
            using var timeout = new CancellationTokenSource(DrainTimeout);
            long drained = 0;
            while (drained < DrainBytesMax)
            {
                var result = await _reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                drained += result.Buffer.Length;
                _reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // Closing anyway.
        }
    }

    /// <summary>Sends what is queued, giving up after a few seconds (the connection is closing; the client may be gone).</summary>
    private async Task TrySendPendingAsync()
    {
        if (_output.WrittenCount == 0) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _stream.WriteAsync(_output.WrittenMemory, timeout.Token).ConfigureAwait(false);
            _output.Reset();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or NotSupportedException or InvalidOperationException)
        {
            // The connection is closing anyway.
        }
    }

    private void ReadyForQuery()
    {
        SendChangedParameters();
        _writer.ReadyForQuery((WireStatus)(byte)Session.Status);
    }

    /// <summary>NoticeResponse for the statement's notices (sent as soon as it has run).</summary>
    private void SendNotices()
    {
        var notices = Session.TakeNotices();
        for (var i = 0; i < notices.Count; i++)
        {
            _writer.NoticeResponse(notices[i].SqlState, notices[i].Message, notices[i].Severity);
        }
    }

    /// <summary>ParameterStatus for reported parameters a SET changed.</summary>
    private void SendChangedParameters()
    {
        var changed = Session.TakeChangedParameters();
        for (var i = 0; i < changed.Count; i++)
        {
            _writer.ParameterStatus(changed[i].Key, changed[i].Value);
        }
    }

    /// <summary>
    /// Whether <paramref name="e"/>, thrown while running a statement, is the statement's error (reported with an
    /// ErrorResponse, the connection goes on) rather than the connection's (I/O, protocol, shutdown: it ends).
    /// </summary>
    private bool IsStatementError(Exception e) => e switch
    {
        IOException or SocketException or ObjectDisposedException or PgProtocolException or AuthenticationException => false,
        OperationCanceledException => !_stop.IsCancellationRequested,
        _ => true,
    };

    private void SendError(Exception e)
    {
        switch (e)
        {
            case SqlException sql:
                _writer.ErrorResponse(sql.SqlState, sql.Message, sql.Severity, sql.Detail, sql.Hint, sql.Position >= 0 ? sql.Position + 1 : 0,
                    new PgErrorObject(sql.SchemaName, sql.TableName, sql.ColumnName, sql.ConstraintName));
                break;
            case SqlDataException data:
                _writer.ErrorResponse(data.SqlState, data.Message, detail: data.Detail);
                break;
            case OperationCanceledException:
                _writer.ErrorResponse(SqlStates.QueryCanceled, "canceling statement due to user request");
                break;
            default:
                _server.Log($"postgres: internal error in a statement of {_remote}: {e}");
                _writer.ErrorResponse(SqlStates.InternalError, e.Message);
                break;
        }
    }
}
