using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Tusk.Cli.Tests;

/// <summary>
/// Runs the real <c>tusk</c> command as a child process: <c>dotnet tusk.dll ...</c>, with tusk.dll taken from
/// next to the test assembly (the project reference copies it there), so tests exercise argument parsing,
/// exit codes, stdout/stderr and process-level crashes exactly as a user sees them.
/// </summary>
public static partial class TuskProcess
{
    /// <summary>Upper bound on any single child process; a hung child is killed and the test fails.</summary>
    public static readonly TimeSpan TimeoutDefault = TimeSpan.FromSeconds(120);

    /// <summary>Path of tusk.dll next to the test assembly.</summary>
    public static string TuskDll
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "tusk.dll");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException("tusk.dll was not copied next to the tests (project reference to src/Tusk.Cli missing?)", path);
            }
            return path;
        }
    }

    /// <summary>The dotnet host that runs the tests, so the child uses the same runtime.</summary>
    public static string DotnetHost
    {
        get
        {
            string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
            {
                return hostPath;
            }
            string? self = Environment.ProcessPath;
            if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                return self;
            }
            string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
            if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet")))
            {
                return Path.Combine(root, "dotnet");
            }
            return "dotnet";
        }
    }

    /// <summary>Starts <c>tusk ARGS</c> with redirected stdin/stdout/stderr; the caller reads the streams.</summary>
    public static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(TuskDll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start " + DotnetHost);
    }

    /// <summary>Runs <c>tusk ARGS</c> to completion (killing it after <see cref="TimeoutDefault"/>).</summary>
    public static TuskResult Run(params string[] args)
    {
        using Process p = Start(args);
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeoutDefault))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"tusk {string.Join(' ', args)} did not finish in {TimeoutDefault}:\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit(); // drains the redirected streams
        return new TuskResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Sends a POSIX signal (e.g. SIGTERM = 15) to <paramref name="pid"/>.</summary>
    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = 15;

    /// <summary>SIGINT.</summary>
    public const int SigInt = 2;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
