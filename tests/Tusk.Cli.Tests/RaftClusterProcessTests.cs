using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tusk.Server.Raft;
using Tusk.Simulation.Checkers;
using Xunit;
using Xunit.Abstractions;

namespace Tusk.Cli.Tests;

/// <summary>
/// The replicated KV store across real processes: three `tusk start --id` nodes on loopback, clients through
/// <see cref="RaftKvClient"/>, nodes SIGKILLed and restarted on the same port and data directory. Every client
/// operation is recorded and the history checked for linearizability, which also proves that no acknowledged write
/// was lost (the final reads are part of the history).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class RaftClusterProcessTests(ITestOutputHelper output)
{
    private static readonly string[] Keys = ["k0", "k1", "k2", "k3"];
    private const int Clients = 6;
    private const int OpsAfterKillMin = 20;
    private static readonly TimeSpan DownTimeMin = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task RaftCluster_LeaderThenFollowerSigkilledAndRestarted_HistoryIsLinearizable()
    {
        using var temp = new TempDirectory();
        var total = Stopwatch.StartNew();
        using RaftTestCluster cluster = RaftTestCluster.Start(temp.Path);
        var recorder = new HistoryRecorder();
        var events = new StringBuilder();
        void Event(string text)
        {
            string line = $"{total.Elapsed.TotalSeconds,6:F2}s {text}";
            lock (events) events.Append(line).Append('\n');
            output.WriteLine(line);
        }
        LinearizabilityResult? result = null;
        var clients = new List<RaftKvClient>();
        try
        {
            Event($"cluster started: {string.Join(", ", cluster.Nodes.Select(n => $"{n.Id}={n.Endpoint} pid {n.Pid}"))}");
            RaftNodeStatus first = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(20));
            Event($"leader: {first}");

            // Clients 0..2 share one RaftKvClient (pooled sessions, pipelined on shared connections); 3..5 have their own.
            var shared = new RaftKvClient(cluster.Endpoints) { RequestTimeout = TimeSpan.FromSeconds(5), AttemptTimeout = TimeSpan.FromSeconds(1) };
            clients.Add(shared);
            using var stop = new CancellationTokenSource();
            int seed = Random.Shared.Next();
            Event($"workload seed {seed}");
            var workers = new List<Task>();
            int[] downOps = [0, 0];
            long allBack = long.MaxValue;
            for (int c = 0; c < Clients; c++)
            {
                RaftKvClient client = shared;
                if (c >= 3)
                {
                    client = new RaftKvClient(cluster.Endpoints) { RequestTimeout = TimeSpan.FromSeconds(5), AttemptTimeout = TimeSpan.FromSeconds(1) };
                    clients.Add(client);
                }
                int clientId = c;
                workers.Add(Task.Run(() => RunClientAsync(clientId, client, recorder, new Random(seed + clientId), stop.Token)));
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                AssertWorkersRunning(workers);

                // 1. SIGKILL the leader mid-workload; the other two must elect a new one and keep serving.
                RaftNodeStatus leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
                long kill1 = Stopwatch.GetTimestamp();
                cluster.Node(leader.Id).Kill();
                Event($"SIGKILLed leader {leader.Id} ({leader}); ops so far {recorder.Count}");
                await WaitForOpsAfterAsync(recorder, kill1, OpsAfterKillMin, TimeSpan.FromSeconds(20), workers);
                RaftNodeStatus newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
                long restart1 = Stopwatch.GetTimestamp();
                downOps[0] = CountOk(recorder, kill1, restart1);
                Event($"{downOps[0]} ops invoked and acknowledged with node {leader.Id} down; new {newLeader}");
                Assert.NotEqual(leader.Id, newLeader.Id);
                cluster.Restart(leader.Id);
                Event($"restarted node {leader.Id} (pid {cluster.Node(leader.Id).Pid}), recovered {cluster.Node(leader.Id).Recovered}");
                AssertRecoveredItsLog(cluster.Node(leader.Id));
                await cluster.WaitCaughtUpAsync(leader.Id, TimeSpan.FromSeconds(20));
                Event($"node {leader.Id} caught up");
                await Task.Delay(TimeSpan.FromSeconds(1));

                // 2. Then SIGKILL a follower (preferably not the node just restarted): the other two keep a quorum.
                RaftNodeStatus current = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
                ulong follower = cluster.Nodes.Select(n => n.Id).Where(id => id != current.Id)
                    .OrderBy(id => id == leader.Id ? 1 : 0).First();
                long kill2 = Stopwatch.GetTimestamp();
                cluster.Node(follower).Kill();
                Event($"SIGKILLed follower {follower} (leader is {current.Id}); ops so far {recorder.Count}");
                await WaitForOpsAfterAsync(recorder, kill2, OpsAfterKillMin, TimeSpan.FromSeconds(20), workers);
                long restart2 = Stopwatch.GetTimestamp();
                downOps[1] = CountOk(recorder, kill2, restart2);
                Event($"{downOps[1]} ops invoked and acknowledged with node {follower} down");
                cluster.Restart(follower);
                Event($"restarted node {follower} (pid {cluster.Node(follower).Pid}), recovered {cluster.Node(follower).Recovered}");
                AssertRecoveredItsLog(cluster.Node(follower));
                await cluster.WaitCaughtUpAsync(follower, TimeSpan.FromSeconds(20));
                Event($"node {follower} caught up");
                allBack = Stopwatch.GetTimestamp();

                await Task.Delay(TimeSpan.FromSeconds(1.5));
                AssertWorkersRunning(workers);
            }
            finally
            {
                await stop.CancelAsync();
                await Task.WhenAll(workers); // a worker's unexpected exception surfaces here
                Event($"workload stopped: {recorder.Count} ops");
            }

            // Final reads, recorded as one more client: the checker then proves every acknowledged write is still there.
            await using (var reader = new RaftKvClient(cluster.Endpoints) { RequestTimeout = TimeSpan.FromSeconds(10) })
            {
                foreach (string key in Keys)
                {
                    for (int attempt = 1; ; attempt++)
                    {
                        int id = recorder.InvokeGet(Clients, key, Stopwatch.GetTimestamp());
                        try
                        {
                            string? value = await reader.GetAsync(key);
                            recorder.CompleteGet(id, value, Stopwatch.GetTimestamp());
                            Event($"final read {key} = {value ?? "(absent)"}");
                            break;
                        }
                        catch (RaftKvUnavailableException) when (attempt < 3)
                        {
                            recorder.Fail(id, Stopwatch.GetTimestamp());
                        }
                    }
                }
            }

            RaftNodeStatus[] converged = await cluster.WaitConvergedAsync(TimeSpan.FromSeconds(15));
            Event($"converged: {string.Join("; ", converged.Select(s => s.ToString()))}");

            IReadOnlyList<KvOperation> history = recorder.ToHistory();
            string summary = Summarize(history);
            Event(summary);
            var checkTime = Stopwatch.StartNew();
            result = new LinearizabilityChecker().Check(history);
            Event($"checked in {checkTime.ElapsedMilliseconds} ms: {result.ToString().Split('\n')[0]}");
            Assert.True(result.Status == LinearizabilityStatus.Linearizable, $"the history is {result.Status} (the checker's verdict is below)");

            int ok = history.Count(o => o.Outcome == KvOutcome.Ok);
            Assert.True(ok > 200, $"only {ok} operations completed; the workload made too little progress");
            Assert.True(history.Any(o => o.Outcome == KvOutcome.Ok && o.Kind != KvOperationKind.Get), "no write was acknowledged");
            Assert.True(downOps.All(n => n >= OpsAfterKillMin), $"operations acknowledged while a node was down: {string.Join(", ", downOps)} (wanted {OpsAfterKillMin} each)");
            int afterRestarts = CountOk(recorder, allBack, long.MaxValue);
            Assert.True(afterRestarts >= OpsAfterKillMin, $"only {afterRestarts} operations acknowledged after both restarts");
            Assert.True(history.Any(o => o.Kind == KvOperationKind.Cas && o.Outcome == KvOutcome.Ok && o.CasSucceeded), "no compare-and-set succeeded");
            foreach (string line in cluster.Nodes.SelectMany(n => n.TroubleLines().Select(l => $"node {n.Id} {l}"))) Event($"node log: {line}");
            Event($"total {total.Elapsed.TotalSeconds:F1} s");
        }
        catch (Exception e)
        {
            string history = Summarize(recorder.ToHistory());
            string kept = KeepForInspection(recorder, cluster, result);
            Assert.Fail($"{e}\n\n===== events =====\n{events}\n===== history =====\n{history}\n" +
                (result is null ? "" : $"{Abridge(result)}\n") +
                $"full history and logs kept in {kept}\n\n===== statuses =====\n{await cluster.DescribeStatusesAsync()}\n===== node logs =====\n{cluster.Logs()}");
        }
        finally
        {
            foreach (RaftKvClient client in clients) await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task RaftCluster_AcknowledgedPutsSurviveSigkillOfAllNodes()
    {
        using var temp = new TempDirectory();
        var total = Stopwatch.StartNew();
        using RaftTestCluster cluster = RaftTestCluster.Start(temp.Path);
        var acked = new ConcurrentDictionary<string, string>();
        var inFlight = new ConcurrentDictionary<string, string>();
        try
        {
            RaftNodeStatus leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(20));
            output.WriteLine($"leader: {leader}");
            await using var client = new RaftKvClient(cluster.Endpoints) { RequestTimeout = TimeSpan.FromSeconds(2), AttemptTimeout = TimeSpan.FromSeconds(1) };
            using var stop = new CancellationTokenSource();
            Task[] writers = [.. Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (int n = 0; !stop.IsCancellationRequested; n++)
                {
                    string key = $"d{w}-{n:D6}";
                    string value = $"v{w}-{n}-{Guid.NewGuid():N}";
                    inFlight[key] = value;
                    try
                    {
                        await client.PutAsync(key, value);
                    }
                    catch (RaftKvUnavailableException)
                    {
                        continue; // outcome unknown: stays in inFlight
                    }
                    inFlight.TryRemove(key, out _);
                    acked[key] = value;
                }
            }))];

            // Kill all three while puts are in flight, once enough were acknowledged.
            var sw = Stopwatch.StartNew();
            while (acked.Count < 200 && sw.Elapsed < TimeSpan.FromSeconds(15) && !writers.Any(t => t.IsCompleted)) await Task.Delay(20);
            AssertWorkersRunning(writers);
            foreach (RaftNodeProcess node in cluster.Nodes) node.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            int ackedAtKill = acked.Count;
            output.WriteLine($"{ackedAtKill} puts acknowledged, {inFlight.Count} in flight at the SIGKILL of all nodes ({sw.Elapsed.TotalSeconds:F1} s)");
            Assert.True(ackedAtKill >= 50, $"only {ackedAtKill} puts were acknowledged before the kill");

            foreach (RaftNodeProcess node in cluster.Nodes) Assert.False(node.IsRunning);
            Task[] restarts = [.. cluster.Nodes.Select(n => Task.Run(() => cluster.Restart(n.Id)))];
            await Task.WhenAll(restarts);
            foreach (RaftNodeProcess node in cluster.Nodes) AssertRecoveredItsLog(node);
            leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(20));
            output.WriteLine($"restarted ({string.Join(", ", cluster.Nodes.Select(n => $"node {n.Id} recovered {n.Recovered}"))}); leader: {leader}");

            await using var reader = new RaftKvClient(cluster.Endpoints) { RequestTimeout = TimeSpan.FromSeconds(10) };
            var lost = new List<string>();
            foreach ((string key, string value) in acked)
            {
                string? read = await reader.GetAsync(key);
                if (read != value) lost.Add($"{key}: acknowledged '{value}', read '{read ?? "(absent)"}'");
            }
            Assert.True(lost.Count == 0, $"{lost.Count} of {acked.Count} acknowledged puts lost:\n{string.Join('\n', lost.Take(50))}");
            int survived = 0;
            foreach ((string key, string value) in inFlight)
            {
                string? read = await reader.GetAsync(key);
                Assert.True(read is null || read == value, $"{key} was being written with '{value}' but holds '{read}'");
                survived += read is null ? 0 : 1;
            }
            RaftNodeStatus[] converged = await cluster.WaitConvergedAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(acked.Count + survived, converged[0].Keys);
            output.WriteLine($"all {acked.Count} acknowledged puts read back; {survived} of {inFlight.Count} in-flight puts survived; " +
                $"converged: {string.Join("; ", converged.Select(s => s.ToString()))}; total {total.Elapsed.TotalSeconds:F1} s");
        }
        catch (Exception e)
        {
            Assert.Fail($"{e}\n\n===== statuses =====\n{await cluster.DescribeStatusesAsync()}\n===== node logs =====\n{cluster.Logs()}");
        }
    }

    /// <summary>One logical client: a random mix of get, put, cas and delete on <see cref="Keys"/>, every value unique.</summary>
    private static async Task RunClientAsync(int clientId, RaftKvClient client, HistoryRecorder recorder, Random rng, CancellationToken stop)
    {
        // Stopping is checked between operations only: an invoked operation runs to its outcome (CancellationToken.None).
        var lastSeen = new Dictionary<string, string?>();
        for (int n = 0; !stop.IsCancellationRequested; n++)
        {
            string key = Keys[rng.Next(Keys.Length)];
            string value = $"c{clientId}-{n}";
            int dice = rng.Next(100);
            int id;
            bool isRead = false;
            try
            {
                if (dice < 40)
                {
                    isRead = true;
                    id = recorder.InvokeGet(clientId, key, Stopwatch.GetTimestamp());
                    string? read = await Try(client.GetAsync(key, CancellationToken.None), id);
                    recorder.CompleteGet(id, read, Stopwatch.GetTimestamp());
                    lastSeen[key] = read;
                }
                else if (dice < 70)
                {
                    id = recorder.InvokePut(clientId, key, value, Stopwatch.GetTimestamp());
                    await Try(client.PutAsync(key, value, CancellationToken.None), id);
                    recorder.CompletePut(id, Stopwatch.GetTimestamp());
                    lastSeen[key] = value;
                }
                else if (dice < 95)
                {
                    string? expected = lastSeen.GetValueOrDefault(key);
                    id = recorder.InvokeCas(clientId, key, expected, value, Stopwatch.GetTimestamp());
                    (bool swapped, string? found) = await Try(client.CasAsync(key, expected, value, CancellationToken.None), id);
                    recorder.CompleteCas(id, swapped, Stopwatch.GetTimestamp());
                    lastSeen[key] = swapped ? value : found;
                }
                else
                {
                    id = recorder.InvokePut(clientId, key, null, Stopwatch.GetTimestamp());
                    await Try(client.DeleteAsync(key, CancellationToken.None), id);
                    recorder.CompletePut(id, Stopwatch.GetTimestamp());
                    lastSeen[key] = null;
                }
            }
            catch (RecordedUnavailableException e)
            {
                // Gave up: a read had no effect; a write may or may not have been applied (unknown to the checker).
                if (isRead) recorder.Fail(e.OperationId, Stopwatch.GetTimestamp());
                else recorder.Timeout(e.OperationId);
                lastSeen.Remove(key);
            }
        }
    }

    private static async Task<T> Try<T>(Task<T> operation, int id)
    {
        try
        {
            return await operation;
        }
        catch (RaftKvUnavailableException e)
        {
            throw new RecordedUnavailableException(id, e);
        }
    }

    private static async Task Try(Task operation, int id)
    {
        try
        {
            await operation;
        }
        catch (RaftKvUnavailableException e)
        {
            throw new RecordedUnavailableException(id, e);
        }
    }

    private sealed class RecordedUnavailableException(int operationId, Exception inner) : Exception(inner.Message, inner)
    {
        public int OperationId { get; } = operationId;
    }

    /// <summary>The restarted node found its Raft log in its data directory (it did not start empty).</summary>
    private static void AssertRecoveredItsLog(RaftNodeProcess node) =>
        Assert.True(node.Recovered is { LastIndex: > 0, Term: > 0 }, $"node {node.Id} restarted without its Raft log: recovered {node.Recovered?.ToString() ?? "(no recovery line)"}");

    private static void AssertWorkersRunning(IEnumerable<Task> workers)
    {
        foreach (Task w in workers)
        {
            if (w.IsCompleted) w.GetAwaiter().GetResult(); // rethrows a worker's unexpected exception
        }
    }

    /// <summary>
    /// Waits until <paramref name="count"/> operations invoked after <paramref name="since"/> (a kill) were acknowledged,
    /// and at least <see cref="DownTimeMin"/> passed: the cluster must serve with the node down.
    /// </summary>
    private static async Task WaitForOpsAfterAsync(HistoryRecorder recorder, long since, int count, TimeSpan timeout, IEnumerable<Task> workers)
    {
        var sw = Stopwatch.StartNew();
        while (CountOk(recorder, since, long.MaxValue) < count || Stopwatch.GetElapsedTime(since) < DownTimeMin)
        {
            AssertWorkersRunning(workers);
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"only {CountOk(recorder, since, long.MaxValue)} operations invoked after the kill were acknowledged within {timeout.TotalSeconds:F0} s (wanted {count})");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Operations invoked at or after <paramref name="from"/> and acknowledged before <paramref name="to"/>.</summary>
    private static int CountOk(HistoryRecorder recorder, long from, long to) =>
        recorder.ToHistory().Count(o => o.Outcome == KvOutcome.Ok && o.InvokeTime >= from && o.ResponseTime < to);

    private static string Summarize(IReadOnlyList<KvOperation> history)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{history.Count} operations");
        foreach (KvOperationKind kind in Enum.GetValues<KvOperationKind>())
        {
            var ofKind = history.Where(o => o.Kind == kind).ToList();
            text.Append(CultureInfo.InvariantCulture,
                $"; {kind}: {ofKind.Count(o => o.Outcome == KvOutcome.Ok)} ok, {ofKind.Count(o => o.Outcome == KvOutcome.Failed)} failed, {ofKind.Count(o => o.Outcome == KvOutcome.Unknown)} unknown");
        }
        int swapped = history.Count(o => o.Kind == KvOperationKind.Cas && o.Outcome == KvOutcome.Ok && o.CasSucceeded);
        text.Append(CultureInfo.InvariantCulture, $" ({swapped} cas swapped)");
        var answered = history.Where(o => o.Outcome == KvOutcome.Ok).Select(o => Stopwatch.GetElapsedTime(o.InvokeTime, o.ResponseTime).TotalMilliseconds).Order().ToList();
        if (answered.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"; latency p50 {answered[answered.Count / 2]:F1} ms, p99 {answered[answered.Count * 99 / 100]:F1} ms, max {answered[^1]:F0} ms");
        }
        return text.ToString();
    }

    /// <summary>
    /// The checker's verdict, cut to a readable size: a violation's witness can hold thousands of operations when it
    /// could not be shrunk, so each long list keeps its first and last lines (the full text goes to a file).
    /// </summary>
    private static string Abridge(LinearizabilityResult result)
    {
        const int Keep = 15;
        var text = new StringBuilder();
        var run = new List<string>();
        void FlushRun()
        {
            if (run.Count > 2 * Keep)
            {
                foreach (string l in run.Take(Keep)) text.Append(l).Append('\n');
                text.Append(CultureInfo.InvariantCulture, $"  ... {run.Count - 2 * Keep} operations left out ...\n");
                foreach (string l in run.TakeLast(Keep)) text.Append(l).Append('\n');
            }
            else
            {
                foreach (string l in run) text.Append(l).Append('\n');
            }
            run.Clear();
        }
        foreach (string line in result.ToString().Split('\n'))
        {
            // Operation lines are indented; headers and explanations start a new list.
            if (line.StartsWith("  ", StringComparison.Ordinal) && line.Length > 2 && char.IsDigit(line.TrimStart()[0]))
            {
                run.Add(line);
                continue;
            }
            FlushRun();
            text.Append(line).Append('\n');
        }
        FlushRun();
        return text.ToString();
    }

    /// <summary>Writes the history and the node logs to a directory that outlives the test; returns its path.</summary>
    private static string KeepForInspection(HistoryRecorder recorder, RaftTestCluster cluster, LinearizabilityResult? result)
    {
        try
        {
            string dir = Path.Combine(Path.GetTempPath(), "tusk-raft-failures", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(dir);
            using (var writer = new StreamWriter(Path.Combine(dir, "history.txt")))
            {
                recorder.Write(writer);
            }
            File.WriteAllText(Path.Combine(dir, "nodes.log"), cluster.Logs());
            if (result is not null) File.WriteAllText(Path.Combine(dir, "linearizability.txt"), result.ToString());
            return dir;
        }
        catch (IOException e)
        {
            return $"(nowhere: {e.Message})";
        }
    }
}
