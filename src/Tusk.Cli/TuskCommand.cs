using System.Reflection;
using Tusk.Cli.Bench;
using Tusk.Cli.Commands;
using Tusk.Core;

namespace Tusk.Cli;

/// <summary>
/// The <c>tusk</c> command: dispatches to a subcommand and maps failures to exit codes and one-line stderr
/// messages (<see cref="ExitCodes"/>). A host (STYLE.md C2): it owns the process, signals and console.
/// </summary>
internal static class TuskCommand
{
    /// <summary>Runs the command line <paramref name="args"/>; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return Dispatch(args, stdout, stderr);
        }
        catch (UsageException e)
        {
            stdout.Flush();
            stderr.WriteLine($"tusk: error: {e.Message}");
            stderr.WriteLine();
            stderr.WriteLine(e.Usage.TrimEnd());
            return ExitCodes.Usage;
        }
        catch (CorruptionException e)
        {
            stdout.Flush();
            stderr.WriteLine($"tusk: corruption detected in file {e.FilePath} at offset {e.Offset}: {e.Detail}");
            stderr.WriteLine("tusk: the data directory is damaged; Tusk refuses to return data it cannot verify.");
            return ExitCodes.Failure;
        }
        catch (CliException e)
        {
            stdout.Flush();
            stderr.WriteLine($"tusk: error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (ArgumentException e)
        {
            // The engine rejects invalid options and keys with ArgumentException: bad input, so bad usage.
            stdout.Flush();
            stderr.WriteLine($"tusk: error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stdout.Flush();
            stderr.WriteLine($"tusk: I/O error: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static int Dispatch(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0)
        {
            throw new UsageException("missing command", HelpText.Main);
        }
        string[] rest = args[1..];
        switch (args[0])
        {
            case "-h" or "--help" or "help":
                stdout.WriteLine(HelpText.Main.TrimEnd());
                return ExitCodes.Ok;
            case "--version" or "version":
                stdout.WriteLine($"tusk {Version}");
                return ExitCodes.Ok;
            case "start":
                return StartCommand.Run(rest, stdout);
            case "kv":
                return KvCommand.Run(rest, stdout, stderr);
            case "topic":
                return TopicCommand.Run(rest, stdout);
            case "group":
                return GroupCommand.Run(rest, stdout);
            case "bench":
                return RunBench(rest, stdout);
            case "sim":
                return SimCommand.Run(rest, stdout);
            case "cluster":
                return ClusterCommand.Run(rest, stdout);
            default:
                throw new UsageException($"unknown command '{args[0]}'", HelpText.Main);
        }
    }

    private static int RunBench(string[] args, TextWriter stdout)
    {
        if (args.Length == 0)
        {
            throw new UsageException("missing benchmark: expected `tusk bench storage`, `tusk bench raft` or `tusk bench kafka-produce`", HelpText.Bench);
        }
        if (args[0] is "-h" or "--help")
        {
            stdout.WriteLine(HelpText.Bench.TrimEnd());
            return ExitCodes.Ok;
        }
        if (args[0] == "kafka-produce")
        {
            return KafkaProduceBenchCommand.Run(args[1..], stdout);
        }
        if (args[0] == "raft")
        {
            return RaftBenchCommand.Run(args[1..], stdout);
        }
        if (args[0] != "storage")
        {
            throw new UsageException($"unknown benchmark '{args[0]}'", HelpText.Bench);
        }
        return StorageBenchCommand.Run(args[1..], stdout);
    }

    /// <summary>The informational version of the tusk assembly (without the source revision suffix).</summary>
    public static string Version
    {
        get
        {
            string v = typeof(TuskCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            int plus = v.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? v : v[..plus];
        }
    }
}
