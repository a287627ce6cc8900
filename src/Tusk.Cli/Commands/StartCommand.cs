using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Net;
using System.Net.Sockets;
using Tusk.Core.IO;
using Tusk.Server.Kafka;
using Tusk.Storage;

namespace Tusk.Cli.Commands;

/// <summary>
/// <c>tusk start</c>: runs one node on an embedded data directory: opens (recovers) the storage engine and the
/// Kafka topics, serves the Kafka protocol (unless <c>--kafka off</c>), prints a statistics line every interval
/// and closes everything cleanly on SIGINT or SIGTERM. With <c>--id</c> it runs a node of a replicated key-value
/// cluster instead (<see cref="ClusterCommand.RunNode"/>). Output lines are flushed as they are written so supervisors and tests see them at once.
/// </summary>
internal static class StartCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        Arguments a = Arguments.Parse(args, HelpText.Start,
            ["data", "stats-interval", "kafka", "kafka-advertised-host", "id", "listen", "peers", "tick-ms", "election-ticks", "snapshot-entries"]);
        if (a.HelpRequested)
        {
            stdout.WriteLine(HelpText.Start.TrimEnd());
            return ExitCodes.Ok;
        }
        a.RequirePositionals(0, "no arguments");
        string data = Path.GetFullPath(a.Value("data", EngineHost.DefaultDataDirectory));
        if (a.Value("id") is not null)
        {
            return ClusterCommand.RunNode(a, data, TextWriter.Synchronized(stdout));
        }
        if (a.Value("listen") is not null || a.Value("peers") is not null)
        {
            throw new UsageException("--listen and --peers run a replicated key-value node and need --id", HelpText.Start);
        }
        var interval = TimeSpan.FromSeconds(a.Integer("stats-interval", 10, 1, 24 * 3600));
        string kafka = a.Value("kafka", "127.0.0.1:9092");
        IPEndPoint? kafkaEndpoint = null;
        if (kafka != "off" && !IPEndPoint.TryParse(kafka, out kafkaEndpoint))
        {
            throw new UsageException($"--kafka={kafka} is not HOST:PORT (an IP address and a port) or 'off'", HelpText.Start);
        }
        TextWriter output = TextWriter.Synchronized(stdout);

        using var stop = new ManualResetEventSlim();
        string stopReason = "";
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we shut down ourselves, after closing the engine
            stopReason = context.Signal.ToString();
            stop.Set();
        }
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        Say(output, $"tusk {TuskCommand.Version}: single node, embedded storage engine, Kafka broker");
        Say(output, $"data directory: {data}");
        var options = new StorageOptions { Log = message => Say(output, "engine: " + message) };
        long openStart = Stopwatch.GetTimestamp();
        LsmEngine engine = EngineHost.Open(data, mustExist: false, options);
        try
        {
            StorageStatistics stats = engine.GetStatistics();
            Say(output, string.Create(CultureInfo.InvariantCulture,
                $"recovered in {Stopwatch.GetElapsedTime(openStart).TotalMilliseconds:F0} ms: last sequence {engine.LastSequence}, " +
                $"memtable {EngineHost.FormatBytes(stats.MemtableBytes)}, {EngineHost.DescribeLevels(stats)}"));
            Say(output, "files per level: " + string.Join(' ', stats.Levels.Select(l => string.Create(CultureInfo.InvariantCulture, $"L{l.Level}={l.FileCount}"))));
            KafkaNode? kafkaNode = null;
            try
            {
                if (kafkaEndpoint != null)
                {
                    try
                    {
                        kafkaNode = KafkaNode.Start(OsFileSystem.Instance, data, engine, kafkaEndpoint, a.Value("kafka-advertised-host"),
                            message => Say(output, message));
                    }
                    catch (SocketException e)
                    {
                        throw new CliException($"cannot listen for Kafka on {kafkaEndpoint}: {e.Message} (choose another --kafka HOST:PORT, or --kafka off)");
                    }
                    Say(output, $"kafka: listening on {kafkaEndpoint.Address}:{kafkaNode.Port} ({kafkaNode.Topics.Topics.Count} topic(s))");
                }
                else
                {
                    Say(output, "kafka: off");
                }
                Say(output, "network: the PostgreSQL listener comes in a later release (start with --id for a replicated key-value node)");
                Say(output, $"ready (pid {Environment.ProcessId}); stop with Ctrl+C or SIGTERM");
                while (!stop.Wait(interval))
                {
                    Say(output, $"[{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}] stats: {EngineHost.SummaryLine(engine)}");
                }
                Say(output, $"received {stopReason}; closing the broker and the storage engine");
            }
            finally
            {
                kafkaNode?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            engine.Dispose();
        }
        Say(output, "closed cleanly");
        return ExitCodes.Ok;
    }

    private static void Say(TextWriter output, string line)
    {
        output.WriteLine(line);
        output.Flush();
    }
}
