using System.Net;
using Npgsql;
using Tusk.Cli.Tests;
using Tusk.Server.Postgres;
using Tusk.Sql;

namespace Tusk.Server.Tests.Postgres;

/// <summary>
/// A real SQL engine in a temporary directory served by a real <see cref="PgServer"/> on a free loopback port.
/// Logs are kept for assertions and failure messages.
/// </summary>
internal sealed class PgTestServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly List<string> _logs = [];

    private PgTestServer(TempDirectory directory, SqlEngine engine, PgServer server)
    {
        _directory = directory;
        Engine = engine;
        Server = server;
    }

    public SqlEngine Engine { get; }

    public PgServer Server { get; }

    public int Port => Server.Port;

    public static PgTestServer Start(PgServerOptions? options = null)
    {
        var directory = new TempDirectory();
        SqlEngine? engine = null;
        try
        {
            engine = SqlEngine.Open(directory.Sub("sql"));
            PgTestServer? created = null;
            var server = new PgServer(new IPEndPoint(IPAddress.Loopback, 0), engine, options, line =>
            {
                var self = created;
                if (self is null) return;
                lock (self._logs) self._logs.Add(line);
            });
            created = new PgTestServer(directory, engine, server);
            server.Start();
            return created;
        }
        catch
        {
            engine?.Dispose();
            directory.Dispose();
            throw;
        }
    }

    public string Logs
    {
        get
        {
            lock (_logs) return string.Join("\n", _logs);
        }
    }

    /// <summary>An Npgsql connection string for this server (no pooling, so every open is a new connection).</summary>
    public string ConnectionString(string user = "tusk", string? password = null, string extra = "")
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = user,
            Database = "tusk",
            Pooling = false,
            Timeout = 15,
            CommandTimeout = 30,
            SslMode = SslMode.Disable,
        };
        if (password is not null) builder.Password = password;
        var text = builder.ConnectionString;
        return extra.Length == 0 ? text : text + ";" + extra;
    }

    /// <summary>
    /// Opens an Npgsql connection with Npgsql's full type loading (its pg_catalog queries run against the virtual
    /// catalog). The data source is left to the garbage collector (pooling is off).
    /// </summary>
    public async Task<NpgsqlConnection> OpenAsync(string user = "tusk", string? password = null, string extra = "")
    {
        var builder = new NpgsqlDataSourceBuilder(ConnectionString(user, password, extra));
        var dataSource = builder.Build();
        return await dataSource.OpenConnectionAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Engine.Dispose();
        _directory.Dispose();
    }
}
