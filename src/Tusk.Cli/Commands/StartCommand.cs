using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Net;
using System.Net.Sockets;
using Tusk.Core.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tusk.Protocols.Postgres;
using Tusk.Server.Kafka;
using Tusk.Server.Postgres;
using Tusk.Sql;
using Tusk.Storage;

namespace Tusk.Cli.Commands;

/// <summary>
/// <c>tusk start</c>: runs one node on an embedded data directory: opens (recovers) the storage engine and the
/// Kafka topics, serves the Kafka protocol (unless <c>--kafka off</c>) and SQL over the PostgreSQL protocol from
/// the key space in <c>DATA/sql</c> (unless <c>--pg off</c>), prints a statistics line every interval
/// and closes everything cleanly on SIGINT or SIGTERM. With <c>--id</c> it runs a node of a replicated key-value
/// cluster instead (<see cref="ClusterCommand.RunNode"/>). Output lines are flushed as they are written so supervisors and tests see them at once.
/// </summary>
internal static class StartCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        Arguments a = Arguments.Parse(args, HelpText.Start,
            ["data", "stats-interval", "kafka", "kafka-advertised-host", "pg", "pg-cert", "pg-cert-password", "pg-users", "pg-max-connections",
             "autovacuum-naptime", "id", "listen", "peers", "tick-ms", "election-ticks", "snapshot-entries"]);
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
        string pg = a.Value("pg", "127.0.0.1:5433");
        IPEndPoint? pgEndpoint = null;
        if (pg != "off" && !IPEndPoint.TryParse(pg, out pgEndpoint))
        {
            throw new UsageException($"--pg={pg} is not HOST:PORT (an IP address and a port) or 'off'", HelpText.Start);
        }
        PgServerOptions? pgOptions = pgEndpoint is null ? null : ReadPgOptions(a);
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

        Say(output, $"tusk {TuskCommand.Version}: single node, embedded storage engine, Kafka broker, PostgreSQL server");
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
            SqlEngine? sqlEngine = null;
            PgServer? pgServer = null;
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
                if (pgEndpoint != null)
                {
                    string sqlDirectory = Path.Combine(data, "sql");
                    sqlEngine = SqlEngine.Open(sqlDirectory);
                    pgServer = new PgServer(pgEndpoint, sqlEngine, pgOptions, message => Say(output, message));
                    try
                    {
                        pgServer.Start();
                    }
                    catch (SocketException e)
                    {
                        throw new CliException($"cannot listen for PostgreSQL on {pgEndpoint}: {e.Message} (choose another --pg HOST:PORT, or --pg off)");
                    }
                    Say(output, $"postgres: listening on {pgEndpoint.Address}:{pgServer.Port} (SQL data in {sqlDirectory}; " +
                        $"auth {(pgOptions!.Authentication == PgAuthentication.Trust ? "trust" : "scram-sha-256")}, " +
                        $"TLS {(pgOptions.Certificate is null ? "off" : "on")}, at most {pgOptions.ConnectionsMax} connections)");
                }
                else
                {
                    Say(output, "postgres: off");
                }
                Say(output, $"ready (pid {Environment.ProcessId}); stop with Ctrl+C or SIGTERM");
                while (!stop.Wait(interval))
                {
                    Say(output, $"[{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}] stats: {EngineHost.SummaryLine(engine)}");
                }
                Say(output, $"received {stopReason}; closing the listeners and the storage engine");
            }
            finally
            {
                pgServer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                sqlEngine?.Dispose();
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

    /// <summary>The PostgreSQL listener's options: --pg-users (SCRAM-SHA-256, else trust), --pg-cert (TLS), --pg-max-connections, --autovacuum-naptime.</summary>
    private static PgServerOptions ReadPgOptions(Arguments a)
    {
        int connectionsMax = (int)a.Integer("pg-max-connections", 100, 1, 100_000);
        long naptime = a.Integer("autovacuum-naptime", 60, 0, 86_400);
        string? usersPath = a.Value("pg-users");
        IReadOnlyDictionary<string, ScramCredentials> users = new Dictionary<string, ScramCredentials>();
        if (usersPath is not null)
        {
            try
            {
                users = PgUsersFile.Parse(File.ReadAllText(usersPath));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"cannot read --pg-users {usersPath}: {e.Message}");
            }
            catch (FormatException e)
            {
                throw new CliException($"--pg-users {usersPath}: {e.Message}");
            }
            if (users.Count == 0)
            {
                throw new CliException($"--pg-users {usersPath}: no users (write one user:password per line)");
            }
        }
        string? certPath = a.Value("pg-cert");
        X509Certificate2? certificate = null;
        if (certPath is not null)
        {
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(certPath, a.Value("pg-cert-password"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new CliException($"cannot load --pg-cert {certPath}: {e.Message}");
            }
        }
        else if (a.Value("pg-cert-password") is not null)
        {
            throw new UsageException("--pg-cert-password needs --pg-cert", HelpText.Start);
        }
        return new PgServerOptions
        {
            ConnectionsMax = connectionsMax,
            Authentication = usersPath is null ? PgAuthentication.Trust : PgAuthentication.ScramSha256,
            Users = users,
            Certificate = certificate,
            AutovacuumNaptime = TimeSpan.FromSeconds(naptime),
        };
    }

    private static void Say(TextWriter output, string line)
    {
        output.WriteLine(line);
        output.Flush();
    }
}
