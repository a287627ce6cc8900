using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Tusk.Server.Tests;

public sealed class ConnectionListenerTests
{
    [Fact]
    public async Task ConnectionsBeyondTheLimitAreClosedAndTheSlotIsFreedWhenOneEnds()
    {
        var logs = new List<string>();
        using var listener = new ConnectionListener(new IPEndPoint(IPAddress.Loopback, 0), "test", 1, line => { lock (logs) logs.Add(line); });
        var release = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        var accepting = listener.AcceptAsync(async socket =>
        {
            using (socket)
            {
                await release.Task;
            }
        }, stop.Token);

        using var first = new TcpClient();
        await first.ConnectAsync(IPAddress.Loopback, listener.Port);
        using var second = new TcpClient();
        await second.ConnectAsync(IPAddress.Loopback, listener.Port);
        // The second connection is closed by the server: a read sees the end of the stream.
        var buffer = new byte[1];
        var read = await second.GetStream().ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, read);
        lock (logs) Assert.Contains(logs, l => l.Contains("refusing a connection", StringComparison.Ordinal));
        var open = listener.OpenConnections();
        Assert.True(open.Length == 1, $"{open.Length} connections open");

        release.SetResult();
        await Task.WhenAll(listener.OpenConnections()).WaitAsync(TimeSpan.FromSeconds(10));
        using var third = new TcpClient();
        await third.ConnectAsync(IPAddress.Loopback, listener.Port);
        // Served this time: the server closes it only when told to stop (release is already set, so it ends at once);
        // what matters is that it was not refused.
        await Task.Delay(200);
        lock (logs) Assert.Single(logs, l => l.Contains("refusing a connection", StringComparison.Ordinal));

        stop.Cancel();
        listener.Dispose();
        await accepting.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
