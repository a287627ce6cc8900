namespace Tusk.Protocols.Postgres;

/// <summary>A message from a PostgreSQL client (protocol 3.0, "Frontend/Backend Protocol", chapter 55 of the PostgreSQL docs).</summary>
public abstract record FrontendMessage;

/// <summary>The first message of a session: protocol version and parameters (user, database, options, ...).</summary>
public sealed record StartupMessage(int ProtocolVersion, IReadOnlyDictionary<string, string> Parameters) : FrontendMessage;

/// <summary>Asks whether the server speaks TLS; the server answers a single byte, 'S' or 'N'.</summary>
public sealed record SslRequest : FrontendMessage;

/// <summary>Asks whether the server speaks GSSAPI encryption; answered 'N' here.</summary>
public sealed record GssEncRequest : FrontendMessage;

/// <summary>Sent on a new connection to cancel the query running in the session identified by (ProcessId, SecretKey).</summary>
public sealed record CancelRequest(int ProcessId, int SecretKey) : FrontendMessage;

/// <summary>'Q': one or more SQL statements, simple query protocol.</summary>
public sealed record Query(string Sql) : FrontendMessage;

/// <summary>'P': prepare a statement; parameter type OIDs may be 0 (unspecified).</summary>
public sealed record Parse(string Statement, string Sql, int[] ParameterTypes) : FrontendMessage;

/// <summary>'B': bind parameter values to a prepared statement, making a portal. A null value is a SQL NULL.</summary>
public sealed record Bind(string Portal, string Statement, short[] ParameterFormats, byte[]?[] Parameters, short[] ResultFormats) : FrontendMessage;

/// <summary>'D': describe a prepared statement ('S') or a portal ('P').</summary>
public sealed record Describe(byte Kind, string Name) : FrontendMessage;

/// <summary>'E': run a portal, returning at most <see cref="MaxRows"/> rows (0: all).</summary>
public sealed record Execute(string Portal, int MaxRows) : FrontendMessage;

/// <summary>'C': close a prepared statement ('S') or a portal ('P').</summary>
public sealed record Close(byte Kind, string Name) : FrontendMessage;

/// <summary>'S': end of an extended-query batch; the server answers ReadyForQuery.</summary>
public sealed record Sync : FrontendMessage;

/// <summary>'H': send what is pending now.</summary>
public sealed record Flush : FrontendMessage;

/// <summary>'X': the client is closing the connection.</summary>
public sealed record Terminate : FrontendMessage;

/// <summary>'p': a password, or a SASL message; the server knows which from the authentication it asked for.</summary>
public sealed record PasswordOrSasl(byte[] Body) : FrontendMessage;

/// <summary>'d': a chunk of COPY FROM STDIN data.</summary>
public sealed record CopyData(byte[] Data) : FrontendMessage;

/// <summary>'c': the end of COPY FROM STDIN data.</summary>
public sealed record CopyDone : FrontendMessage;

/// <summary>'f': the client aborts COPY FROM STDIN.</summary>
public sealed record CopyFail(string Reason) : FrontendMessage;

/// <summary>
/// A violation of the wire protocol: the connection gets an ErrorResponse with <see cref="SqlState"/> (08P01,
/// protocol_violation, unless stated) and is closed; other sessions are unaffected.
/// </summary>
public sealed class PgProtocolException(string message, string sqlState = SqlStates.ProtocolViolation) : Exception(message)
{
    public string SqlState { get; } = sqlState;
}

/// <summary>SQLSTATE codes used by the protocol layer.</summary>
public static class SqlStates
{
    public const string ProtocolViolation = "08P01";
    public const string FeatureNotSupported = "0A000";
    public const string InvalidAuthorizationSpecification = "28000";
    public const string InvalidPassword = "28P01";
    public const string TooManyConnections = "53300";
    public const string QueryCanceled = "57014";
    public const string SerializationFailure = "40001";
    public const string SyntaxError = "42601";
    public const string InternalError = "XX000";
}
