// lint: allow Task.Delay — the listener's back-off after a failed accept (a host, not a core).
using System.Net;
using System.Net.Sockets;

namespace Tusk.Server;

/// <summary>
/// A listening TCP socket and its accept loop, shared by the node's servers: binds at construction (so
/// <see cref="Port"/> is known before accepting), refuses connections beyond <see cref="ConnectionsMax"/>, backs
/// off after a failed accept instead of spinning, and tracks every connection's task so a server can wait for them
/// when it stops. Thread-safe.
/// </summary>
internal sealed class ConnectionListener : IDisposable
{
    private readonly Socket _socket;
    private readonly string _name;
    private readonly Action<string> _log;
    private readonly List<Task> _connections = [];
    private int _open;
    private int _refusing;

    /// <summary>
    /// Refusals answered at once (a protocol's "too many connections" error); beyond it a refused connection is
    /// just closed, so a flood of connections cannot hold more than this many extra sockets and tasks.
    /// </summary>
    public const int RefusalsInFlightMax = 16;

    /// <summary>Binds <paramref name="endpoint"/>; throws <see cref="SocketException"/> when the address is taken.</summary>
    public ConnectionListener(IPEndPoint endpoint, string name, int connectionsMax, Action<string> log)
    {
        _name = name;
        _log = log;
        ConnectionsMax = connectionsMax;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _socket.Bind(endpoint);
            _socket.Listen(512);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    /// <summary>The port actually bound (useful with port 0).</summary>
    public int Port { get; }

    /// <summary>Connections served at once; further ones are closed at accept.</summary>
    public int ConnectionsMax { get; }

    /// <summary>
    /// Accepts until <paramref name="stop"/> is cancelled (or the listener disposed), serving each connection with
    /// <paramref name="serve"/>, which owns the socket. A connection beyond <see cref="ConnectionsMax"/> is given
    /// to <paramref name="refuse"/> (which owns the socket and tells the client why, briefly) when set and fewer
    /// than <see cref="RefusalsInFlightMax"/> refusals are running, else closed.
    /// </summary>
    public async Task AcceptAsync(Func<Socket, Task> serve, CancellationToken stop, Func<Socket, Task>? refuse = null)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _socket.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                _log($"{_name}: accept failed: {e.Message}");
                // Persistent failures (too many open files) must not spin the CPU: back off briefly.
                try
                {
                    await Task.Delay(100, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (Interlocked.Increment(ref _open) > ConnectionsMax)
            {
                Interlocked.Decrement(ref _open);
                _log($"{_name}: refusing a connection from {socket.RemoteEndPoint}: {ConnectionsMax} connections already open");
                if (refuse != null && Interlocked.Increment(ref _refusing) <= RefusalsInFlightMax)
                {
                    Track(RefuseAndCount(refuse, socket));
                    continue;
                }
                if (refuse != null) Interlocked.Decrement(ref _refusing);
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            Track(ServeAndCount(serve, socket));
        }
    }

    private void Track(Task task)
    {
        lock (_connections)
        {
            _connections.RemoveAll(t => t.IsCompleted);
            _connections.Add(task);
        }
    }

    private async Task RefuseAndCount(Func<Socket, Task> refuse, Socket socket)
    {
        try
        {
            await refuse(socket).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log($"{_name}: refusing a connection failed: {e.Message}");
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref _refusing);
        }
    }

    private async Task ServeAndCount(Func<Socket, Task> serve, Socket socket)
    {
        try
        {
            await serve(socket).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>The tasks of the connections still open.</summary>
    public Task[] OpenConnections()
    {
        lock (_connections) return [.. _connections];
    }

    /// <summary>
    /// Stops listening, then waits for the accept loop and every open connection to end (the caller has already
    /// cancelled the token they watch).
    /// </summary>
    public async Task ShutdownAsync(Task? acceptLoop)
    {
        Dispose();
        if (acceptLoop != null)
        {
            await acceptLoop.ConfigureAwait(false);
        }
        await Task.WhenAll(OpenConnections()).ConfigureAwait(false);
    }

    public void Dispose() => _socket.Dispose();
}
