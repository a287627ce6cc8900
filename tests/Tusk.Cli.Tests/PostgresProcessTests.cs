using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Tusk.Cli.Tests;

/// <summary>
/// `tusk start` as a real process serving PostgreSQL, driven by the tools users run: the sqllogictest runner
/// (tests/conformance, Python over the wire), psql and pgbench (Debian's postgresql-client and
/// postgresql-contrib, installed by test.sh); and SIGKILL in the middle of a pgbench run.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class PostgresProcessTests
{
    /// <summary>A running `tusk start` with its PostgreSQL port.</summary>
    private sealed class Server : IDisposable
    {
        private readonly StringBuilder _output = new();

        public Server(string data)
        {
            Port = FreePort();
            Process = TuskProcess.Start("start", "--data", data, "--kafka", "off", "--pg", $"127.0.0.1:{Port}");
            Process.StandardInput.Close();
            using var ready = new ManualResetEventSlim();
            void OnLine(object? _, DataReceivedEventArgs e)
            {
                lock (_output) _output.AppendLine(e.Data);
                if (e.Data?.StartsWith("ready", StringComparison.Ordinal) == true) ready.Set();
            }
            Process.OutputDataReceived += OnLine;
            Process.ErrorDataReceived += OnLine;
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
            if (!ready.Wait(TimeSpan.FromSeconds(60))) throw new InvalidOperationException("tusk start did not become ready:\n" + Output);
        }

        public int Port { get; }

        public Process Process { get; }

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        public void Kill()
        {
            Process.Kill();
            Process.WaitForExit();
        }

        public void Dispose()
        {
            if (!Process.HasExited) Kill();
            Process.Dispose();
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static (int Exit, string Stdout, string Stderr) Tool(string file, string args, TimeSpan? timeout = null, string? stdin = null, string? pgOptions = null)
    {
        var info = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.Environment["PGCONNECT_TIMEOUT"] = "10";
        if (pgOptions is not null) info.Environment["PGOPTIONS"] = pgOptions;
        using var p = Process.Start(info)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(300)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {args} did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Psql(Server s, string sql) =>
        Tool("psql", $"-h 127.0.0.1 -p {s.Port} -U tusk -d tusk -X -q -A -t -v ON_ERROR_STOP=1 -f -", stdin: sql) is var r && r.Exit == 0
            ? r.Stdout.Trim()
            : throw new InvalidOperationException($"psql failed ({r.Exit}): {r.Stderr}");

    [Fact]
    public void SqlLogicTestFilesPassThroughTheWire()
    {
        using var temp = new TempDirectory();
        using var server = new Server(temp.Sub("data"));
        var dir = Path.Combine(AppContext.BaseDirectory, "conformance");
        var (exit, stdout, stderr) = Tool("python3",
            $"{Path.Combine(dir, "slt_runner.py")} --port {server.Port} --user tusk --db tusk {Path.Combine(dir, "select1.test")} {Path.Combine(dir, "select2.test")}");
        var last = stdout.TrimEnd().Split('\n')[^1];
        Assert.True(exit == 0, $"slt_runner exit {exit}: {last}\n{stdout[^Math.Min(stdout.Length, 4000)..]}\n{stderr}");
        Assert.Matches(@"^\d{4,} passed, 0 failed", last);
    }

    [Fact]
    public void PsqlRunsScriptsWithExpectedOutput()
    {
        using var temp = new TempDirectory();
        using var server = new Server(temp.Sub("data"));
        var output = Psql(server, """
            CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(8,2), tags jsonb);
            INSERT INTO items (name, price, tags) VALUES ('apple', 1.5, '{"color": "red"}'), ('pear', 2, '[]');
            SELECT id, name, price, tags->>'color' FROM items ORDER BY id;
            BEGIN;
            UPDATE items SET price = price * 2 WHERE name = 'pear' RETURNING price;
            ROLLBACK;
            SELECT sum(price) FROM items;
            """);
        Assert.Equal("1|apple|1.50|red\n2|pear|2.00|\n4.00\n3.50", output.Replace("\r", ""));
        var describe = Tool("psql", $"-h 127.0.0.1 -p {server.Port} -U tusk -d tusk -X -c \"\\d items\" -c \"\\dt\"");
        Assert.True(describe.Exit == 0, describe.Stderr);
        var text = describe.Stdout.Replace("\r", "");
        Assert.Contains("Table \"public.items\"", text);
        Assert.Matches(@"id\s+\|\s+integer\s+\|\s+\|\s+not null\s+\|\s+nextval\('items_id_seq'", text);
        Assert.Matches(@"price\s+\|\s+numeric\(8,2\)", text);
        Assert.Contains("\"items_pkey\" PRIMARY KEY, btree (id)", text);
        Assert.Matches(@"public \| items \| table \| tusk", text);
        var error = Tool("psql", $"-h 127.0.0.1 -p {server.Port} -U tusk -d tusk -X -c \"SELECT * FROM nope\"");
        Assert.NotEqual(0, error.Exit);
        Assert.Contains("relation \"nope\" does not exist", error.Stderr);
    }

    private const string Invariant = """
        SELECT (SELECT sum(bbalance) FROM pgbench_branches) = (SELECT sum(abalance) FROM pgbench_accounts)
           AND (SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT sum(delta) FROM pgbench_history)
           AND (SELECT sum(bbalance) FROM pgbench_branches) = (SELECT coalesce(sum(delta), 0) FROM pgbench_history);
        """;

    [Fact]
    public void PgbenchTpcbKeepsBalancesConsistent()
    {
        using var temp = new TempDirectory();
        using var server = new Server(temp.Sub("data"));
        // Scale 10 (a million accounts) generated by the server, then 30 s of TPC-B: the issue's workload.
        var init = Tool("pgbench", $"-h 127.0.0.1 -p {server.Port} -U tusk -i -I dtGp -s 10 tusk");
        Assert.True(init.Exit == 0, init.Stderr);
        Assert.Equal("1000000", Psql(server, "SELECT count(*) FROM pgbench_accounts"));
        // READ COMMITTED, as PostgreSQL runs pgbench by default: conflicting updates wait for the row lock and re-read
        // the row, so no transaction fails and none is retried.
        var run = Tool("pgbench", $"-h 127.0.0.1 -p {server.Port} -U tusk -c 8 -j 2 -T 30 tusk", pgOptions: "-c default_transaction_isolation=read\\ committed");
        Assert.True(run.Exit == 0, run.Stdout + run.Stderr);
        Assert.Matches(@"number of transactions actually processed: [1-9]\d*", run.Stdout);
        Assert.Contains("number of failed transactions: 0 (0.000%)", run.Stdout);
        Assert.DoesNotContain("error", run.Stderr, StringComparison.OrdinalIgnoreCase);   // its VACUUM and TRUNCATE at the start ran
        Assert.Equal("t", Psql(server, Invariant));
        // SERIALIZABLE, the default: conflicting transactions get 40001 and pgbench retries them. (-n: without it pgbench
        // truncates pgbench_history before the run, and the invariant covers the history of both runs.)
        var serializable = Tool("pgbench", $"-h 127.0.0.1 -p {server.Port} -U tusk -n -c 8 -j 2 -T 5 --max-tries=1000 tusk");
        Assert.True(serializable.Exit == 0, serializable.Stdout + serializable.Stderr);
        Assert.Equal("t", Psql(server, Invariant));
    }

    [Fact]
    public async Task SigkillDuringPgbenchLosesNoCommittedTransaction()
    {
        using var temp = new TempDirectory();
        var data = temp.Sub("data");
        int acknowledged;
        using (var server = new Server(data))
        {
            Assert.Equal(0, Tool("pgbench", $"-h 127.0.0.1 -p {server.Port} -U tusk -i -I dtGp -s 1 tusk").Exit);
            Psql(server, "CREATE TABLE acked (id int PRIMARY KEY)");
            using var bench = StartTool("pgbench", $"-h 127.0.0.1 -p {server.Port} -U tusk -c 4 -T 30 --max-tries=1000 tusk");
            // Beside pgbench, psql commits one row per statement in order; each "INSERT 0 1" it prints is a commit the
            // server acknowledged. (Its output may lag behind, which only makes the check below cover fewer rows.)
            using var writer = StartTool("psql", $"-h 127.0.0.1 -p {server.Port} -U tusk -d tusk -X -v ON_ERROR_STOP=1");
            var output = writer.StandardOutput.ReadToEndAsync();
            var feeding = Task.Run(() =>
            {
                try
                {
                    for (var i = 1; i <= 1_000_000; i++) writer.StandardInput.WriteLine($"INSERT INTO acked VALUES ({i});");
                }
                catch (IOException)
                {
                    // psql exited when the server went away.
                }
            });
            await Task.Delay(3000);
            server.Kill();
            bench.WaitForExit(60_000);
            Assert.True(writer.WaitForExit(60_000), "psql did not exit after the server was killed");
            acknowledged = (await output).Split('\n').Count(l => l.Trim() == "INSERT 0 1");
            await feeding.WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.True(acknowledged > 0, "psql had no insert acknowledged before the kill");
        using (var server = new Server(data))
        {
            // Every committed TPC-B transaction moved the same delta into branch, teller, account and history.
            Assert.Equal("t", Psql(server, Invariant));
            Assert.True(long.Parse(Psql(server, "SELECT count(*) FROM pgbench_history")) > 0);
            // Every acknowledged insert is there: rows 1..acknowledged, in the order psql sent them.
            Assert.Equal(acknowledged.ToString(), Psql(server, $"SELECT count(*) FROM acked WHERE id <= {acknowledged}"));
        }
    }

    private static Process StartTool(string file, string args) => Process.Start(new ProcessStartInfo(file, args)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        RedirectStandardInput = true,
        UseShellExecute = false,
    })!;
}
