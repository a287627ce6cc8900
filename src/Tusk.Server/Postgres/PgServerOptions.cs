using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Tusk.Protocols.Postgres;

namespace Tusk.Server.Postgres;

/// <summary>How clients prove who they are (pg_hba.conf's method, for every connection).</summary>
public enum PgAuthentication
{
    /// <summary>Any user name is accepted without a password.</summary>
    Trust,

    /// <summary>SCRAM-SHA-256 against <see cref="PgServerOptions.Users"/>; unknown users fail like wrong passwords.</summary>
    ScramSha256,
}

/// <summary>Settings and limits of the PostgreSQL listener (named, so they can be asserted and documented).</summary>
public sealed class PgServerOptions
{
    /// <summary>Connections served at once (max_connections); further clients get 53300 "sorry, too many clients already".</summary>
    public int ConnectionsMax { get; init; } = 100;

    public PgAuthentication Authentication { get; init; } = PgAuthentication.Trust;

    /// <summary>The users SCRAM-SHA-256 accepts, by name (see <see cref="PgUsersFile"/>).</summary>
    public IReadOnlyDictionary<string, ScramCredentials> Users { get; init; } = new Dictionary<string, ScramCredentials>();

    /// <summary>When set, an SSLRequest is answered 'S' and the connection continues over TLS with this certificate; else 'N'.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Largest frontend message accepted (a bigger one is a protocol violation and closes the connection).</summary>
    public int MessageBytesMax { get; init; } = 64 << 20;

    /// <summary>Time a client has to finish startup and authentication (PostgreSQL's authentication_timeout).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Time between autovacuum passes (PostgreSQL's autovacuum_naptime); <see cref="TimeSpan.Zero"/> turns autovacuum
    /// off. A pass runs only when enough transactions committed since the last one.
    /// </summary>
    public TimeSpan AutovacuumNaptime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Validates the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (AutovacuumNaptime < TimeSpan.Zero) throw new ArgumentException("AutovacuumNaptime must not be negative");
        if (ConnectionsMax < 1) throw new ArgumentException($"ConnectionsMax must be at least 1, not {ConnectionsMax}");
        if (MessageBytesMax < 1024) throw new ArgumentException($"MessageBytesMax must be at least 1024, not {MessageBytesMax}");
        if (StartupTimeout <= TimeSpan.Zero) throw new ArgumentException("StartupTimeout must be positive");
        if (Authentication == PgAuthentication.ScramSha256 && Users.Count == 0) throw new ArgumentException("scram-sha-256 authentication needs at least one user");
    }
}

/// <summary>
/// The users file of <c>tusk start --pg-users FILE</c>: one <c>user:password</c> per line (the password is everything
/// after the first colon); blank lines and lines starting with <c>#</c> are skipped. Passwords are turned into SCRAM
/// credentials (salted, 4096 iterations) as the file is read and not kept.
/// </summary>
public static class PgUsersFile
{
    /// <summary>Parses the file's text; throws <see cref="FormatException"/> naming the line.</summary>
    public static Dictionary<string, ScramCredentials> Parse(string text)
    {
        var users = new Dictionary<string, ScramCredentials>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"line {i + 1}: expected user:password"));
            var user = line[..colon];
            if (users.ContainsKey(user)) throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"line {i + 1}: user \"{user}\" appears twice"));
            users[user] = ScramCredentials.FromPassword(line[(colon + 1)..]);
        }
        return users;
    }
}
