using Tusk.Kv;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>Options of a <see cref="SqlEngine"/>.</summary>
public sealed class SqlEngineOptions
{
    /// <summary>default_transaction_isolation for new sessions.</summary>
    public IsolationLevel DefaultIsolation { get; init; } = IsolationLevel.Serializable;
}

/// <summary>A parsed and bound statement (extended protocol Parse; or one statement of a simple query).</summary>
public sealed class PreparedQuery
{
    internal PreparedQuery(string sql, IReadOnlyList<SqlType> parameterTypes, IReadOnlyList<ResultColumn>? columns, bool isEmpty)
    {
        Sql = sql;
        ParameterTypes = parameterTypes;
        Columns = columns;
        IsEmpty = isEmpty;
    }

    /// <summary>The statement's text.</summary>
    public string Sql { get; }

    /// <summary>The parameter types ($1..$n) after inference; <see cref="SqlType.Unknown"/> ones are sent and decoded as text.</summary>
    public IReadOnlyList<SqlType> ParameterTypes { get; }

    /// <summary>The result columns, or null when the statement returns no rows (RowDescription vs NoData).</summary>
    public IReadOnlyList<ResultColumn>? Columns { get; }

    /// <summary>An empty query string (EmptyQueryResponse).</summary>
    public bool IsEmpty { get; }
}

/// <summary>
/// The SQL database: opens its key space, keeps the catalog cache, and hands out sessions. Thread-safe; each
/// <see cref="SqlSession"/> is used by one thread at a time (except <see cref="SqlSession.Cancel"/>).
/// </summary>
public sealed class SqlEngine : IDisposable
{
    /// <summary>What server_version reports.</summary>
    public const string ServerVersion = "16.0";

    /// <summary>Opens (creating if needed) the database stored in <paramref name="directory"/>.</summary>
    public static SqlEngine Open(string directory, SqlEngineOptions? options = null) => throw new NotImplementedException();

    /// <summary>Runs on an open key space; the engine does not own it.</summary>
    public static SqlEngine Open(KvStore kv, SqlEngineOptions? options = null) => throw new NotImplementedException();

    /// <summary>
    /// A new session for <paramref name="user"/> on <paramref name="database"/>; startup parameters (application_name,
    /// DateStyle, TimeZone, options, ...) are applied as SET.
    /// </summary>
    public SqlSession OpenSession(string user, string database, IReadOnlyDictionary<string, string>? startupParameters = null) => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}

/// <summary>One client's session: settings, the open transaction, and prepared statements' execution.</summary>
public sealed class SqlSession : IDisposable
{
    /// <summary>ReadyForQuery's status.</summary>
    public TransactionStatus Status => throw new NotImplementedException();

    /// <summary>The parameters reported with ParameterStatus at startup (server_version, client_encoding, DateStyle, TimeZone, ...).</summary>
    public IReadOnlyDictionary<string, string> ReportedParameters => throw new NotImplementedException();

    /// <summary>Reported parameters changed by SET since the last call (send as ParameterStatus).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> TakeChangedParameters() => throw new NotImplementedException();

    /// <summary>Notices raised since the last call.</summary>
    public IReadOnlyList<SqlNotice> TakeNotices() => throw new NotImplementedException();

    /// <summary>Parses and binds exactly one statement (or none: <see cref="PreparedQuery.IsEmpty"/>). Throws <see cref="SqlException"/>.</summary>
    /// <param name="parameterTypeOids">The types the client declared for $1.. (0 = infer).</param>
    public PreparedQuery Prepare(string sql, IReadOnlyList<int>? parameterTypeOids = null) => throw new NotImplementedException();

    /// <summary>
    /// A simple query's statements, each bound just before it is returned (so one may use a table an earlier one
    /// created). Execute each before moving on; stop at the first exception. Several statements outside a
    /// transaction block run in one implicit transaction, committed when the enumeration completes.
    /// </summary>
    public IEnumerable<PreparedQuery> PrepareBatch(string sql) => throw new NotImplementedException();

    /// <summary>Runs a prepared statement with its parameters (already decoded to CLR values). Throws <see cref="SqlException"/>.</summary>
    public QueryResult Execute(PreparedQuery query, IReadOnlyList<object?> parameters, CancellationToken cancellation = default) => throw new NotImplementedException();

    /// <summary>Asks the running statement to stop with 57014 (query_canceled). Thread-safe.</summary>
    public void Cancel() => throw new NotImplementedException();

    /// <summary>Rolls back an open transaction.</summary>
    public void Dispose() => throw new NotImplementedException();
}
