using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tusk.Cli.Tests;

namespace Tusk.Server.Tests;

/// <summary>
/// A real `tusk start --kafka` process on a free loopback port and its own data directory. Waits until the
/// broker says it listens. Stop() sends SIGTERM; Kill() is SIGKILL (for durability tests).
/// </summary>
public sealed class BrokerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private BrokerProcess(Process process, string dataDirectory, int port)
    {
        _process = process;
        DataDirectory = dataDirectory;
        Port = port;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string Bootstrap => $"127.0.0.1:{Port}";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public static BrokerProcess Start(string dataDirectory, int? port = null)
    {
        int p = port ?? FreePort();
        var process = TuskProcess.Start("start", "--data", dataDirectory, "--kafka", $"127.0.0.1:{p}", "--pg", "off", "--stats-interval", "3600");
        var broker = new BrokerProcess(process, dataDirectory, p);
        var ready = new TaskCompletionSource();
        void OnLine(string? line)
        {
            if (line == null)
            {
                ready.TrySetResult();
                return;
            }
            lock (broker._output)
            {
                broker._output.Add(line);
            }
            if (line.StartsWith("ready", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (broker._output)
                {
                    broker._output.Add("stderr: " + e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(60)) || process.HasExited)
        {
            broker.Kill();
            throw new InvalidOperationException("the broker did not start:\n" + broker.Output);
        }
        return broker;
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Stop()
    {
        if (!_process.HasExited)
        {
            TuskProcess.Signal(_process.Id, TuskProcess.SigTerm);
            if (!_process.WaitForExit(30_000))
            {
                Kill();
            }
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}

/// <summary>Runs a client tool (kcat, python) and captures its output; fails the test on timeout.</summary>
public static class Client
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, string? stdin = null, int timeoutSeconds = 60)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = stdin != null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutSeconds} s; stderr so far: {(stderr.IsCompleted ? stderr.Result : "")}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static (int ExitCode, string Stdout, string Stderr) Kcat(string bootstrap, string args, string? stdin = null, int timeoutSeconds = 60) =>
        Run("kcat", new[] { "-b", bootstrap }.Concat(SplitArgs(args)), stdin, timeoutSeconds);

    public static (int ExitCode, string Stdout, string Stderr) Python(string script, IEnumerable<string> args, int timeoutSeconds = 120) =>
        Run("/usr/bin/python3", new[] { Path.Combine(AppContext.BaseDirectory, "scripts", script) }.Concat(args), null, timeoutSeconds);

    private static IEnumerable<string> SplitArgs(string args) => args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
