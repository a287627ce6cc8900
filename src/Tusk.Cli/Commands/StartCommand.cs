using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Tusk.Storage;

namespace Tusk.Cli.Commands;

/// <summary>
/// <c>tusk start</c>: runs one node on an embedded data directory. Today that is the storage engine only:
/// it opens (recovers) the engine, reports what it found, prints a statistics line every interval and closes
/// the engine cleanly on SIGINT or SIGTERM. Network listeners (PostgreSQL, Kafka, Raft) arrive in later
/// releases. Output lines are flushed as they are written so supervisors and tests see them at once.
/// </summary>
internal static class StartCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        Arguments a = Arguments.Parse(args, HelpText.Start, ["data", "stats-interval"]);
        if (a.HelpRequested)
        {
            stdout.WriteLine(HelpText.Start.TrimEnd());
            return ExitCodes.Ok;
        }
        a.RequirePositionals(0, "no arguments");
        string data = Path.GetFullPath(a.Value("data", EngineHost.DefaultDataDirectory));
        var interval = TimeSpan.FromSeconds(a.Integer("stats-interval", 10, 1, 24 * 3600));
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

        Say(output, $"tusk {TuskCommand.Version}: single node, embedded storage engine");
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
            Say(output, "network: no listeners yet - PostgreSQL, Kafka and Raft listeners come in later releases");
            Say(output, $"ready (pid {Environment.ProcessId}); stop with Ctrl+C or SIGTERM");
            while (!stop.Wait(interval))
            {
                Say(output, $"[{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}] stats: {EngineHost.SummaryLine(engine)}");
            }
            Say(output, $"received {stopReason}; closing the storage engine");
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
