using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Tusk.Server.Raft;

namespace Tusk.Cli.Commands;

/// <summary>
/// The replicated key-value cluster from the command line: <c>tusk start --id N --listen H:P --peers ...</c> runs a
/// node (<see cref="RunNode"/>), <c>tusk kv put|get|cas|delete --cluster ...</c> talks to the cluster through
/// <see cref="RaftKvClient"/>, and <c>tusk cluster status --cluster ...</c> shows every node's role and progress.
/// </summary>
internal static class ClusterCommand
{
    /// <summary>Parses <c>1=127.0.0.1:7001,2=127.0.0.1:7002</c>.</summary>
    public static SortedDictionary<ulong, IPEndPoint> ParseMembers(string text, string option, string usage)
    {
        var members = new SortedDictionary<ulong, IPEndPoint>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !ulong.TryParse(part.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0
                || !IPEndPoint.TryParse(part[(eq + 1)..], out var endpoint) || endpoint.Port == 0)
            {
                throw new UsageException($"--{option}: expected ID=HOST:PORT[,ID=HOST:PORT...] with ids > 0 and IP addresses, got '{part}'", usage);
            }
            if (!members.TryAdd(id, endpoint)) throw new UsageException($"--{option}: node {id} is listed twice", usage);
        }
        if (members.Count == 0) throw new UsageException($"--{option}: no members given", usage);
        return members;
    }

    /// <summary><c>tusk start --id</c>: runs one node until SIGINT/SIGTERM.</summary>
    public static int RunNode(Arguments a, string data, TextWriter output)
    {
        var id = (ulong)a.Integer("id", 0, 1, long.MaxValue);
        var listenText = a.Value("listen") ?? throw new UsageException("--listen HOST:PORT is required with --id", HelpText.Start);
        if (!IPEndPoint.TryParse(listenText, out var listen)) throw new UsageException($"--listen={listenText} is not HOST:PORT", HelpText.Start);
        var members = a.Value("peers") is { } peers ? ParseMembers(peers, "peers", HelpText.Start) : [];
        if (members.ContainsKey(id)) throw new UsageException($"--peers lists this node's own id {id}", HelpText.Start);
        members[id] = listen;
        var interval = TimeSpan.FromSeconds(a.Integer("stats-interval", 10, 1, 24 * 3600));
        using var stop = new ManualResetEventSlim();
        var reason = "";
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            reason = context.Signal.ToString();
            stop.Set();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        Say(output, $"tusk {TuskCommand.Version}: replicated key-value node {id} of {members.Count} ({string.Join(", ", members.Select(m => $"{m.Key}={m.Value}"))})");
        Say(output, $"data directory: {data}");
        RaftKvNode node;
        try
        {
            node = RaftKvNode.Start(new RaftKvNodeOptions
            {
                Id = id,
                Listen = listen,
                Members = members,
                DataDirectory = data,
                Tick = TimeSpan.FromMilliseconds(a.Integer("tick-ms", 100, 1, 10_000)),
                ElectionTicks = (int)a.Integer("election-ticks", 10, 2, 1000),
                SnapshotEveryEntries = (int)a.Integer("snapshot-entries", 50_000, 10, int.MaxValue),
                Log = line => Say(output, line),
            });
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new CliException($"cannot listen on {listen}: {e.Message}");
        }
        try
        {
            Say(output, $"ready (pid {Environment.ProcessId}); stop with Ctrl+C or SIGTERM");
            var client = new RaftKvClient([new IPEndPoint(listen.Address, node.Port)]);
            while (!stop.Wait(interval))
            {
                try
                {
                    var json = client.StatusAsync(new IPEndPoint(listen.Address, node.Port)).GetAwaiter().GetResult();
                    using var doc = JsonDocument.Parse(json);
                    var r = doc.RootElement;
                    Say(output, $"status: {r.GetProperty("role").GetString()} term={r.GetProperty("term")} leader={r.GetProperty("leader")} " +
                        $"commit={r.GetProperty("commit")} applied={r.GetProperty("applied")} keys={r.GetProperty("keys")}");
                }
                catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException)
                {
                    Say(output, $"status: unavailable ({e.Message})");
                }
            }
            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            Say(output, $"received {reason}; stopping the node");
        }
        finally
        {
            node.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        Say(output, "closed cleanly");
        return ExitCodes.Ok;
    }

    /// <summary><c>tusk kv put|get|cas|delete ... --cluster</c>.</summary>
    public static int RunKv(string sub, Arguments a, string usage, TextWriter stdout)
    {
        var members = ParseMembers(a.Value("cluster")!, "cluster", usage);
        var client = new RaftKvClient([.. members.Values]) { RequestTimeout = TimeSpan.FromSeconds(a.Integer("timeout", 10, 1, 3600)) };
        try
        {
            switch (sub)
            {
                case "put":
                    a.RequirePositionals(2, "KEY VALUE");
                    client.PutAsync(a.Positionals[0], a.Positionals[1]).GetAwaiter().GetResult();
                    stdout.WriteLine("OK");
                    return ExitCodes.Ok;
                case "get":
                    a.RequirePositionals(1, "KEY");
                    var value = client.GetAsync(a.Positionals[0]).GetAwaiter().GetResult();
                    if (value is null) throw new CliException($"key not found: {a.Positionals[0]}");
                    stdout.WriteLine(value);
                    return ExitCodes.Ok;
                case "cas":
                    a.RequirePositionals(3, "KEY EXPECTED NEW (EXPECTED '' or --absent: the key must be absent)");
                    var expected = a.Flag("absent") ? null : a.Positionals[1];
                    var (swapped, found) = client.CasAsync(a.Positionals[0], expected, a.Positionals[2]).GetAwaiter().GetResult();
                    if (!swapped) throw new CliException($"compare-and-set failed: {a.Positionals[0]} holds {(found is null ? "nothing" : $"'{found}'")}");
                    stdout.WriteLine("OK");
                    return ExitCodes.Ok;
                case "delete":
                    a.RequirePositionals(1, "KEY");
                    stdout.WriteLine(client.DeleteAsync(a.Positionals[0]).GetAwaiter().GetResult() ? "deleted" : "not found");
                    return ExitCodes.Ok;
                default:
                    throw new UsageException($"`tusk kv {sub}` works on a local data directory only; with --cluster use put, get, cas or delete", usage);
            }
        }
        catch (RaftKvUnavailableException e)
        {
            throw new CliException(e.Message + (e.MayHaveApplied ? " (the write may or may not have been applied)" : ""));
        }
        finally
        {
            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary><c>tusk cluster status --cluster ...</c>.</summary>
    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            if (args.Length == 0) throw new UsageException("missing cluster command", HelpText.Cluster);
            stdout.WriteLine(HelpText.Cluster.TrimEnd());
            return ExitCodes.Ok;
        }
        if (args[0] != "status") throw new UsageException($"unknown cluster command '{args[0]}'", HelpText.Cluster);
        var a = Arguments.Parse(args[1..], HelpText.Cluster, ["cluster"], ["json"]);
        if (a.HelpRequested)
        {
            stdout.WriteLine(HelpText.Cluster.TrimEnd());
            return ExitCodes.Ok;
        }
        a.RequirePositionals(0, "no arguments");
        var members = ParseMembers(a.Value("cluster") ?? throw new UsageException("--cluster is required", HelpText.Cluster), "cluster", HelpText.Cluster);
        var client = new RaftKvClient([.. members.Values]) { AttemptTimeout = TimeSpan.FromSeconds(2) };
        var rows = new List<string[]>();
        var jsons = new List<string>();
        var reachable = 0;
        ulong leaderCommit = 0;
        var statuses = new SortedDictionary<ulong, JsonElement?>();
        foreach (var (id, endpoint) in members)
        {
            try
            {
                var json = client.StatusAsync(endpoint).GetAwaiter().GetResult();
                jsons.Add(json);
                statuses[id] = JsonDocument.Parse(json).RootElement.Clone();
                reachable++;
                if (statuses[id]!.Value.GetProperty("role").GetString() == "leader") leaderCommit = statuses[id]!.Value.GetProperty("commit").GetUInt64();
            }
            catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                statuses[id] = null;
            }
        }
        client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (a.Flag("json"))
        {
            stdout.WriteLine("[" + string.Join(",", jsons) + "]");
            return reachable == members.Count ? ExitCodes.Ok : ExitCodes.Failure;
        }
        foreach (var (id, status) in statuses)
        {
            if (status is not { } s)
            {
                rows.Add([id.ToString(CultureInfo.InvariantCulture), members[id].ToString(), "unreachable", "", "", "", "", ""]);
                continue;
            }
            var commit = s.GetProperty("commit").GetUInt64();
            var applied = s.GetProperty("applied").GetUInt64();
            rows.Add([
                id.ToString(CultureInfo.InvariantCulture), members[id].ToString(), s.GetProperty("role").GetString() ?? "", s.GetProperty("term").ToString(),
                s.GetProperty("leader").ToString(), commit.ToString(CultureInfo.InvariantCulture), applied.ToString(CultureInfo.InvariantCulture),
                leaderCommit > commit ? (leaderCommit - commit).ToString(CultureInfo.InvariantCulture) : "0",
            ]);
        }
        var table = new TextTable().Right("NODE").Left("ADDRESS").Left("ROLE").Right("TERM").Right("LEADER").Right("COMMIT").Right("APPLIED").Right("LAG");
        foreach (var row in rows) table.Add(row);
        table.WriteTo(stdout);
        return reachable == members.Count ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static void Say(TextWriter output, string line)
    {
        output.WriteLine(line);
        output.Flush();
    }
}
