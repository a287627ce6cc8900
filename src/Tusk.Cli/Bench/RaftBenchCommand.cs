using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Tusk.Cli.Bench;

/// <summary>
/// <c>tusk bench raft</c>: a closed-loop write load against a replicated KV cluster, Tusk's or etcd's, with the same
/// code for both (bench/raft-vs-etcd.sh). Each of <c>--clients</c> tasks puts a fresh random key (unique: 6 random
/// bits per byte) with a random value, waits for the answer, and puts the next; nothing is rate-limited. The first
/// <c>--warmup</c> seconds are not measured; then every put answered within the next <c>--duration</c> seconds counts
/// (writes/s = those over the duration) and its latency (send to answer) goes into a log-linear histogram (one per
/// task, merged at the end). Failed puts are counted by message and are not in the latencies. This is the profile
/// of <c>etcdctl check perf --load=l</c> (500 clients, 256-byte keys, 1 KiB values) without its 8,000/s rate limit.
/// </summary>
internal static class RaftBenchCommand
{
    private static readonly string[] _valueOptions =
        ["target", "endpoints", "clients", "duration", "warmup", "key-size", "value-size", "etcd-api", "connections", "seed", "timeout", "progress"];

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static int Run(string[] args, TextWriter stdout)
    {
        string usage = HelpText.BenchRaft;
        Arguments a = Arguments.Parse(args, usage, _valueOptions);
        if (a.HelpRequested)
        {
            stdout.WriteLine(usage.TrimEnd());
            return ExitCodes.Ok;
        }
        a.RequirePositionals(0, "no positional arguments");
        string target = a.Value("target") ?? throw new UsageException("--target tusk|etcd is required", usage);
        if (target is not ("tusk" or "etcd")) throw new UsageException($"--target={target}: expected tusk or etcd", usage);
        string api = a.Value("etcd-api", "grpc");
        if (api is not ("json" or "grpc")) throw new UsageException($"--etcd-api={api}: expected json or grpc", usage);
        var endpoints = ParseEndpoints(a.Value("endpoints") ?? throw new UsageException("--endpoints H:P,H:P,... is required", usage), usage);
        int clients = (int)a.Integer("clients", 500, 1, 100_000);
        var config = new Config(
            target,
            clients,
            TimeSpan.FromSeconds(a.Integer("duration", 30, 1, 24 * 3600)),
            TimeSpan.FromSeconds(a.Integer("warmup", 5, 0, 3600)),
            (int)a.Integer("key-size", 256, 1, 1 << 20),
            (int)a.Integer("value-size", 1024, 0, 16 << 20),
            (ulong)a.Integer("seed", 0, 0, long.MaxValue),
            TimeSpan.FromSeconds(a.Integer("progress", 5, 0, 3600)));
        var timeout = TimeSpan.FromSeconds(a.Integer("timeout", 10, 1, 3600));
        int connections = (int)a.Integer("connections", clients, 1, 100_000);
        IPutTarget system = target == "tusk"
            ? new TuskPutTarget(endpoints, timeout)
            : new EtcdPutTarget(endpoints, api, connections, config.KeySize, config.ValueSize, timeout);
        try
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"tusk bench raft: target={target} endpoints={string.Join(",", endpoints)} clients={clients} key-size={config.KeySize} value-size={config.ValueSize} warmup={config.Warmup.TotalSeconds:F0}s duration={config.Duration.TotalSeconds:F0}s"));
            stdout.WriteLine($"client: {system.Description}; {Environment.ProcessorCount} cores");
            stdout.Flush();
            Run(system, config, stdout).GetAwaiter().GetResult();
        }
        finally
        {
            system.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return ExitCodes.Ok;
    }

    private sealed record Config(string Target, int Clients, TimeSpan Duration, TimeSpan Warmup, int KeySize, int ValueSize, ulong Seed, TimeSpan Progress);

    private static List<IPEndPoint> ParseEndpoints(string text, string usage)
    {
        var list = new List<IPEndPoint>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Accept ID=HOST:PORT too (tusk's --cluster spelling) and http:// prefixes (etcd's --endpoints spelling).
            var s = part[(part.IndexOf('=', StringComparison.Ordinal) + 1)..];
            if (s.StartsWith("http://", StringComparison.Ordinal)) s = s["http://".Length..];
            if (!IPEndPoint.TryParse(s, out var ep) || ep.Port == 0) throw new UsageException($"--endpoints: '{part}' is not HOST:PORT (an IP address and a port)", usage);
            list.Add(ep);
        }
        if (list.Count == 0) throw new UsageException("--endpoints: none given", usage);
        return list;
    }

    /// <summary>What one client task measured.</summary>
    private sealed class TaskResult
    {
        public LatencyHistogram Latencies { get; } = new();

        public long Errors;
    }

    private static async Task Run(IPutTarget system, Config config, TextWriter stdout)
    {
        var seed = config.Seed != 0 ? config.Seed : (ulong)(Stopwatch.GetTimestamp() & long.MaxValue);
        var errors = new ConcurrentDictionary<string, long>();
        long answered = 0;
        long freq = Stopwatch.Frequency;
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + (long)(config.Warmup.TotalSeconds * freq);
        long measureTo = measureFrom + (long)(config.Duration.TotalSeconds * freq);
        using var stop = new CancellationTokenSource();

        async Task<TaskResult> Client(int index)
        {
            await Task.Yield();
            var result = new TaskResult();
            var worker = system.CreateWorker(index);
            // SplitMix64 walks one sequence (state += constant): start each task at a hashed, far-apart point of it,
            // not at seed + index * constant, where task i would repeat task 0's keys i steps later.
            var rng = new SplitMix64(new SplitMix64(seed ^ ((ulong)index << 32)).Next());
            var key = new byte[config.KeySize];
            var value = new byte[config.ValueSize];
            while (true)
            {
                Fill(rng, key);
                Fill(rng, value);
                long t0 = Stopwatch.GetTimestamp();
                if (t0 >= measureTo) break;
                try
                {
                    await worker.PutAsync(key, value, stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    long te = Stopwatch.GetTimestamp();
                    if (te >= measureFrom && te <= measureTo) result.Errors++;
                    var message = e.GetBaseException().Message;
                    errors.AddOrUpdate(message.Length > 200 ? message[..200] : message, 1, (_, n) => n + 1);
                    // A cluster without a leader answers at once: do not spin.
                    await Task.Delay(10).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                long t1 = Stopwatch.GetTimestamp();
                if (t1 >= measureFrom && t1 <= measureTo)
                {
                    result.Latencies.Record((long)((t1 - t0) * (1e9 / freq)));
                    Interlocked.Increment(ref answered);
                }
            }
            return result;
        }

        var tasks = new Task<TaskResult>[config.Clients];
        for (int i = 0; i < tasks.Length; i++) tasks[i] = Client(i);

        // Progress and the measured window's CPU time of this process (the load generator shares the machine).
        var cpuAtStart = TimeSpan.Zero;
        var cpuEnd = TimeSpan.Zero;
        var cpuTaken = false;
        long lastAnswered = 0;
        long lastAt = measureFrom;
        long nextProgress = config.Progress > TimeSpan.Zero ? measureFrom + (long)(config.Progress.TotalSeconds * freq) : long.MaxValue;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (!cpuTaken && now >= measureFrom)
            {
                cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
                cpuTaken = true;
            }
            if (now >= measureTo)
            {
                cpuEnd = Process.GetCurrentProcess().TotalProcessorTime;
                break;
            }
            if (now >= nextProgress)
            {
                long n = Interlocked.Read(ref answered);
                double seconds = (now - lastAt) / (double)freq;
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"progress t={(now - measureFrom) / (double)freq:F0}s writes/s={(n - lastAnswered) / seconds:F0} errors={errors.Values.Sum()}"));
                stdout.Flush();
                lastAnswered = n;
                lastAt = now;
                nextProgress += (long)(config.Progress.TotalSeconds * freq);
            }
            long wakeAt = Math.Min(measureTo, Math.Min(nextProgress, cpuTaken ? long.MaxValue : measureFrom));
            var sleep = TimeSpan.FromSeconds(Math.Clamp((wakeAt - now) / (double)freq, 0.001, 0.5));
            await Task.Delay(sleep).ConfigureAwait(false);
        }
        // Requests still in flight at the end are not counted; give them a moment, then cancel the stragglers.
        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(15))).ConfigureAwait(false) != all) await stop.CancelAsync().ConfigureAwait(false);
        var results = await all.ConfigureAwait(false);

        var merged = new LatencyHistogram();
        long errorCount = 0;
        foreach (var r in results)
        {
            merged.Merge(r.Latencies);
            errorCount += r.Errors;
        }
        double duration = config.Duration.TotalSeconds;
        double rate = merged.Count / duration;
        double cores = (cpuEnd - cpuAtStart).TotalSeconds / duration;
        const double ms = 1e6;
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Create(inv, $"writes: {merged.Count} in {duration:F1} s = {rate:F1} writes/s"));
        stdout.WriteLine(string.Create(inv,
            $"latency ms: min {merged.Min / ms:F2} p50 {merged.Percentile(50) / ms:F2} p90 {merged.Percentile(90) / ms:F2} p99 {merged.Percentile(99) / ms:F2} p99.9 {merged.Percentile(99.9) / ms:F2} max {merged.Max / ms:F2} mean {merged.Average / ms:F2}"));
        stdout.WriteLine($"errors: {errorCount} in the measured window");
        foreach (var (message, count) in errors.OrderByDescending(e => e.Value).Take(5)) stdout.WriteLine($"  {count} x {message}");
        stdout.WriteLine(string.Create(inv, $"load generator CPU: {cores:F2} cores"));
        stdout.WriteLine(string.Create(inv,
            $"RAFTBENCH target={config.Target} clients={config.Clients} writes_per_s={rate:F1} p50_ms={merged.Percentile(50) / ms:F2} p99_ms={merged.Percentile(99) / ms:F2} p999_ms={merged.Percentile(99.9) / ms:F2} max_ms={merged.Max / ms:F2} errors={errorCount} client_cores={cores:F2}"));
        stdout.Flush();
    }

    /// <summary>Fills <paramref name="buffer"/> with random characters of a 64-letter alphabet (6 random bits each).</summary>
    private static void Fill(SplitMix64 rng, byte[] buffer)
    {
        int i = 0;
        while (i < buffer.Length)
        {
            ulong bits = rng.Next();
            for (int k = 0; k < 10 && i < buffer.Length; k++, i++, bits >>= 6) buffer[i] = (byte)Alphabet[(int)(bits & 63)];
        }
    }
}
