using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tusk.Server.Raft;

namespace Tusk.Cli.Tests;

/// <summary>One node's status document (<see cref="RaftKvClient.StatusAsync"/>), parsed.</summary>
public sealed record RaftNodeStatus(ulong Id, string Role, ulong Term, ulong Leader, ulong Commit, ulong Applied, long Keys)
{
    public static RaftNodeStatus Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement r = doc.RootElement;
        return new RaftNodeStatus(
            r.GetProperty("id").GetUInt64(),
            r.GetProperty("role").GetString() ?? "",
            r.GetProperty("term").GetUInt64(),
            r.GetProperty("leader").GetUInt64(),
            r.GetProperty("commit").GetUInt64(),
            r.GetProperty("applied").GetUInt64(),
            r.GetProperty("keys").GetInt64());
    }

    public override string ToString() =>
        $"node {Id}: {Role} term={Term} leader={Leader} commit={Commit} applied={Applied} keys={Keys}";
}

/// <summary>
/// Loopback ports for test servers, picked outside the kernel's ephemeral range: a port from that range can be
/// taken, while its node is down, by any outgoing connection (even a TCP self-connect of a peer retrying the dead
/// node), and then the node cannot be restarted on it. Each port is checked free by binding it once.
/// </summary>
public static class LoopbackPorts
{
    public static int[] PickFree(int count)
    {
        (int ephemeralLow, int ephemeralHigh) = EphemeralRange();
        (int low, int high) = ephemeralLow > 12_000 ? (10_000, ephemeralLow - 1) : (ephemeralHigh + 1, 65_535);
        if (high - low < 1_000)
        {
            // Nowhere sensible outside the ephemeral range: let the kernel choose (restarts may then collide, rarely).
            return KernelChosen(count);
        }
        var ports = new List<int>(count);
        for (int attempt = 0; ports.Count < count; attempt++)
        {
            if (attempt > 1_000) throw new InvalidOperationException($"no free loopback port found in {low}..{high}");
            int port = Random.Shared.Next(low, high + 1);
            if (!ports.Contains(port) && IsFree(port)) ports.Add(port);
        }
        return [.. ports];
    }

    private static bool IsFree(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int[] KernelChosen(int count)
    {
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return [.. sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        }
        finally
        {
            foreach (Socket s in sockets) s.Dispose();
        }
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (32_768, 60_999);
        }
    }
}

/// <summary>The node process exited (or never got ready) before it served; carries its output.</summary>
public sealed class RaftNodeStartException(string message, bool portTaken) : Exception(message)
{
    /// <summary>True when the node could not bind its port (a retry on other ports may work).</summary>
    public bool PortTaken { get; } = portTaken;
}

/// <summary>
/// One node of a test cluster as a real `tusk start --id` process. The node keeps its id, port and data directory
/// across incarnations (SIGKILL, then <see cref="Start"/> again); its output of every incarnation is kept in
/// <see cref="Log"/> for failure messages.
/// </summary>
public sealed partial class RaftNodeProcess : IDisposable
{
    private readonly StringBuilder _log = new();
    private readonly Lock _logLock = new();
    private readonly string[] _args;
    private Process? _process;
    private int _incarnation;

    public RaftNodeProcess(ulong id, int port, string dataDirectory, string peers, int tickMs, int electionTicks)
    {
        Id = id;
        Endpoint = new IPEndPoint(IPAddress.Loopback, port);
        DataDirectory = dataDirectory;
        _args =
        [
            "start", "--id", id.ToString(CultureInfo.InvariantCulture), "--listen", $"127.0.0.1:{port}", "--peers", peers,
            "--data", dataDirectory, "--tick-ms", tickMs.ToString(CultureInfo.InvariantCulture),
            "--election-ticks", electionTicks.ToString(CultureInfo.InvariantCulture), "--stats-interval", "1",
            // Small, so snapshots, log compaction and InstallSnapshot to a restarted node happen during the tests.
            "--snapshot-entries", "500",
        ];
    }

    public ulong Id { get; }

    public IPEndPoint Endpoint { get; }

    public string DataDirectory { get; }

    /// <summary>True while the current incarnation runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Incarnations started so far.</summary>
    public int Incarnations => _incarnation;

    public int? Pid => _process?.Id;

    /// <summary>What the current incarnation recovered from its data directory (its "recovered: ..." line).</summary>
    public (ulong Term, ulong Commit, ulong LastIndex)? Recovered { get; private set; }

    [GeneratedRegex(@"^raft: node \d+ recovered: term (\d+), commit (\d+), log \d+\.\.(\d+),")]
    private static partial Regex RecoveredLine();

    /// <summary>Lines of every incarnation's output that report trouble (dropped connections, failures), for test output.</summary>
    public IEnumerable<string> TroubleLines() =>
        Log.Split('\n').Where(l => l.Contains("closing connection", StringComparison.Ordinal) || l.Contains("FATAL", StringComparison.Ordinal)
            || l.Contains("failed", StringComparison.Ordinal) || l.Contains("stderr:", StringComparison.Ordinal));

    /// <summary>Every incarnation's stdout and stderr, with headers.</summary>
    public string Log
    {
        get
        {
            lock (_logLock) return _log.ToString();
        }
    }

    private void Append(string line)
    {
        lock (_logLock) _log.Append(line).Append('\n');
    }

    /// <summary>Starts a new incarnation and waits until it prints "ready".</summary>
    public void Start(TimeSpan readyTimeout)
    {
        if (IsRunning) throw new InvalidOperationException($"node {Id} is already running");
        _process?.Dispose();
        Recovered = null;
        _incarnation++;
        int incarnation = _incarnation;
        Append($"===== node {Id} incarnation {incarnation}: tusk {string.Join(' ', _args)} =====");
        using var ready = new ManualResetEventSlim();
        Process p = TuskProcess.Start(_args);
        _process = p;
        p.StandardInput.Close();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Append($"[{incarnation}] {e.Data}");
            if (RecoveredLine().Match(e.Data) is { Success: true } m)
            {
                Recovered = (ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), ulong.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                    ulong.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
            }
            if (e.Data.StartsWith("ready (pid", StringComparison.Ordinal))
            {
                try
                {
                    ready.Set();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Append($"[{incarnation}] stderr: {e.Data}");
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!ready.Wait(TimeSpan.FromMilliseconds(50)))
        {
            if (p.HasExited)
            {
                p.WaitForExit(); // drains the output
                string log = Log;
                throw new RaftNodeStartException($"node {Id} (incarnation {incarnation}) exited with code {p.ExitCode} before it was ready:\n{log}",
                    log.Contains("cannot listen", StringComparison.Ordinal));
            }
            if (deadline.Elapsed > readyTimeout)
            {
                Kill();
                throw new RaftNodeStartException($"node {Id} (incarnation {incarnation}) was not ready within {readyTimeout.TotalSeconds:F0} s:\n{Log}", portTaken: false);
            }
        }
    }

    /// <summary>SIGKILL: no chance to flush, sync or close anything.</summary>
    public void Kill()
    {
        Process? p = _process;
        if (p is null || p.HasExited) return;
        Append($"===== node {Id} incarnation {_incarnation}: SIGKILL (pid {p.Id}) =====");
        try
        {
            p.Kill();
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        p.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        _process = null;
    }
}

/// <summary>
/// A three-node (or N-node) replicated KV cluster of real `tusk start --id` processes on loopback, each with its own
/// data directory, for process-level fault tests: find the leader, SIGKILL nodes, restart them on the same port and
/// data directory, wait for catch-up and convergence.
/// </summary>
public sealed class RaftTestCluster : IDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly List<RaftNodeProcess> _nodes;

    private RaftTestCluster(List<RaftNodeProcess> nodes) => _nodes = nodes;

    public IReadOnlyList<RaftNodeProcess> Nodes => _nodes;

    public IReadOnlyList<IPEndPoint> Endpoints => [.. _nodes.Select(n => n.Endpoint)];

    public RaftNodeProcess Node(ulong id) => _nodes.Single(n => n.Id == id);

    /// <summary>Starts <paramref name="size"/> nodes (ids 1..size) under <paramref name="root"/>; retries on other ports if one is taken.</summary>
    public static RaftTestCluster Start(string root, int size = 3, int tickMs = 50, int electionTicks = 10)
    {
        for (int attempt = 1; ; attempt++)
        {
            int[] ports = LoopbackPorts.PickFree(size);
            var nodes = new List<RaftNodeProcess>();
            for (int i = 0; i < size; i++)
            {
                ulong id = (ulong)(i + 1);
                string peers = string.Join(',', Enumerable.Range(0, size).Where(j => j != i).Select(j => $"{j + 1}=127.0.0.1:{ports[j]}"));
                string data = Path.Combine(root, $"attempt{attempt}-node{id}");
                nodes.Add(new RaftNodeProcess(id, ports[i], data, peers, tickMs, electionTicks));
            }
            var cluster = new RaftTestCluster(nodes);
            try
            {
                // Start them together: the startup of `dotnet tusk.dll` dominates, and overlaps.
                Task[] starts = [.. nodes.Select(n => Task.Run(() => n.Start(ReadyTimeout)))];
                Task.WaitAll(starts);
                return cluster;
            }
            catch (AggregateException e) when (attempt < 3 && e.InnerExceptions.Any(x => x is RaftNodeStartException { PortTaken: true }))
            {
                cluster.Dispose(); // another process took a port between the check and the bind: try other ports
            }
            catch (AggregateException e)
            {
                cluster.Dispose();
                throw new InvalidOperationException(string.Join("\n", e.InnerExceptions.Select(x => x.Message)), e);
            }
            catch
            {
                cluster.Dispose();
                throw;
            }
        }
    }

    /// <summary>Restarts a killed node on its port and data directory; retries for a while if the port is still taken.</summary>
    public void Restart(ulong id)
    {
        RaftNodeProcess node = Node(id);
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                node.Start(ReadyTimeout);
                return;
            }
            catch (RaftNodeStartException e) when (e.PortTaken && sw.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>The status of one node, or null when it does not answer within a second.</summary>
    public async Task<RaftNodeStatus?> StatusAsync(RaftNodeProcess node)
    {
        if (!node.IsRunning) return null;
        // A fresh client per call: a client's status connection to a node that refused it once is never retried.
        await using var client = new RaftKvClient([node.Endpoint]) { AttemptTimeout = TimeSpan.FromSeconds(1) };
        try
        {
            return RaftNodeStatus.Parse(await client.StatusAsync(node.Endpoint));
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Every node's status (null: down or not answering), in id order.</summary>
    public async Task<RaftNodeStatus?[]> StatusesAsync() => await Task.WhenAll(_nodes.Select(StatusAsync));

    /// <summary>A readable line per node.</summary>
    public async Task<string> DescribeStatusesAsync()
    {
        RaftNodeStatus?[] statuses = await StatusesAsync();
        var text = new StringBuilder();
        for (int i = 0; i < _nodes.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {_nodes[i].Endpoint} ").Append(statuses[i]?.ToString() ?? $"node {_nodes[i].Id}: {(_nodes[i].IsRunning ? "not answering" : "down")}").Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// Waits for a leader that a majority of the running nodes agree on (same leader, same term), so a deposed leader
    /// that has not noticed yet is not picked.
    /// </summary>
    public async Task<RaftNodeStatus> WaitForLeaderAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            RaftNodeStatus?[] statuses = await StatusesAsync();
            foreach (RaftNodeStatus? s in statuses)
            {
                if (s is not { Role: "leader" }) continue;
                int agree = statuses.Count(o => o is not null && o.Term == s.Term && o.Leader == s.Id);
                if (agree * 2 > _nodes.Count) return s;
            }
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"no leader agreed by a majority within {timeout.TotalSeconds:F0} s:\n{await DescribeStatusesAsync()}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until node <paramref name="id"/> has applied everything the leader had committed when last asked.</summary>
    public async Task WaitCaughtUpAsync(ulong id, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            RaftNodeStatus? leader = null;
            try
            {
                leader = await WaitForLeaderAsync(TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
            }
            RaftNodeStatus? node = await StatusAsync(Node(id));
            if (leader is not null && node is not null && node.Term == leader.Term && node.Applied >= leader.Commit) return;
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"node {id} did not catch up with the leader within {timeout.TotalSeconds:F0} s:\n{await DescribeStatusesAsync()}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Waits until every node runs and reports the same term, leader, commit, applied index and key count, with
    /// everything committed applied; returns the statuses. Call it when no writes are in flight.
    /// </summary>
    public async Task<RaftNodeStatus[]> WaitConvergedAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            RaftNodeStatus?[] statuses = await StatusesAsync();
            if (statuses.All(s => s is not null))
            {
                RaftNodeStatus first = statuses[0]!;
                if (first.Leader != 0 && first.Commit == first.Applied
                    && statuses.All(s => s!.Term == first.Term && s.Leader == first.Leader && s.Commit == first.Commit && s.Applied == first.Applied && s.Keys == first.Keys))
                {
                    return [.. statuses.Select(s => s!)];
                }
            }
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"the nodes did not converge (same term/leader/commit/applied/keys) within {timeout.TotalSeconds:F0} s:\n{await DescribeStatusesAsync()}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Every node's output (all incarnations).</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        foreach (RaftNodeProcess node in _nodes)
        {
            text.Append(CultureInfo.InvariantCulture, $"----- node {node.Id} ({node.Endpoint}, {node.DataDirectory}) -----\n").Append(node.Log);
        }
        return text.ToString();
    }

    public void Dispose()
    {
        foreach (RaftNodeProcess node in _nodes) node.Dispose();
    }
}
