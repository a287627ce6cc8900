using Tusk.Kv;
using Tusk.Sql.Execution;
using Tusk.Sql.Functions;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>One client's session: settings, the open transaction, and prepared statements' execution.</summary>
public sealed partial class SqlSession : IDisposable
{
    private readonly List<SqlNotice> _notices = [];
    private readonly Dictionary<string, long> _currval = [];
    private readonly List<(string Name, KvSavepoint Mark, bool WroteCatalog)> _savepoints = [];
    private IKvTransaction? _tx;
    private bool _explicit;        // inside BEGIN ... COMMIT
    private bool _implicitBatch;   // several statements of one simple query
    private bool _pipeline;        // extended-protocol statements until Sync (see BeginPipeline)
    private bool _failed;
    private bool _txWroteCatalog;
    private DateTime _txStart;
    private CancellationTokenSource _cancel = new();

    internal SqlSession(SqlEngine engine, int id, string user, string database)
    {
        Engine = engine;
        Id = id;
        User = user;
        Database = database;
        Settings.Set("session_authorization", user);
        Settings.Set("default_transaction_isolation", engine.Options.DefaultIsolation switch
        {
            IsolationLevel.ReadCommitted => "read committed",
            IsolationLevel.RepeatableRead => "repeatable read",
            _ => "serializable",
        });
        Settings.TakeChanged();
    }

    internal SqlEngine Engine { get; }

    public int Id { get; }

    public string User { get; }

    public string Database { get; }

    public Settings Settings { get; } = new();

    /// <summary>ReadyForQuery's status.</summary>
    public TransactionStatus Status => !_explicit ? TransactionStatus.Idle : _failed ? TransactionStatus.Failed : TransactionStatus.InBlock;

    /// <summary>The parameters reported with ParameterStatus at startup (server_version, client_encoding, DateStyle, TimeZone, ...).</summary>
    public IReadOnlyDictionary<string, string> ReportedParameters => Settings.Reported.ToDictionary(n => n, Settings.Show);

    /// <summary>Reported parameters changed by SET since the last call (send as ParameterStatus).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> TakeChangedParameters() => Settings.TakeChanged();

    /// <summary>Notices raised since the last call.</summary>
    public IReadOnlyList<SqlNotice> TakeNotices()
    {
        var r = _notices.ToList();
        _notices.Clear();
        return r;
    }

    internal void Notice(string message, string sqlState = "00000", string severity = "NOTICE") => _notices.Add(new SqlNotice(severity, sqlState, message));

    /// <summary>Applies the startup "options" parameter (-c name=value ...).</summary>
    internal void ApplyOptions(string options)
    {
        // Spaces inside a value are escaped with a backslash (PGOPTIONS='-c default_transaction_isolation=read\ committed').
        var parts = options.Replace("\\ ", "\u0001", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Replace('\u0001', ' ')).ToArray();
        for (var i = 0; i < parts.Length; i++)
        {
            var p = parts[i];
            if (p == "-c" && i + 1 < parts.Length) p = parts[++i];
            else if (p.StartsWith("-c", StringComparison.Ordinal)) p = p[2..];
            else if (p.StartsWith("--", StringComparison.Ordinal)) p = p[2..];
            var eq = p.IndexOf('=');
            if (eq > 0) Settings.Set(p[..eq].Replace('-', '_'), p[(eq + 1)..]);
        }
    }

    /// <summary>Parses and binds exactly one statement (or none: <see cref="PreparedQuery.IsEmpty"/>). Throws <see cref="SqlException"/>.</summary>
    /// <param name="parameterTypeOids">The types the client declared for $1.. (0 = infer).</param>
    public PreparedQuery Prepare(string sql, IReadOnlyList<int>? parameterTypeOids = null)
    {
        var statements = Parse(sql);
        if (statements.Count > 1) throw new SqlException("42601", "cannot insert multiple commands into a prepared statement");
        var declared = (parameterTypeOids ?? []).Select(TypeOfOid).ToArray();
        if (statements.Count == 0) return new PreparedQuery(sql, null, null, declared);
        var q = new PreparedQuery(sql, statements[0], null, declared)
        {
            ArrayElementTypes = (parameterTypeOids ?? []).Select(ArrayElementOfOid).ToArray(),
        };
        WithCatalog(catalog => q.Bound = Bind(q, catalog));
        return q;
    }

    /// <summary>
    /// A simple query's statements, each bound just before it is returned (so one may use a table an earlier one
    /// created). Execute each before moving on; stop at the first exception. Several statements outside a
    /// transaction block run in one implicit transaction, committed when the enumeration completes.
    /// </summary>
    public IEnumerable<PreparedQuery> PrepareBatch(string sql)
    {
        var statements = Parse(sql);
        if (statements.Count == 0)
        {
            yield return new PreparedQuery(sql, null, null, []);
            yield break;
        }
        var implicitBatch = statements.Count > 1 && !_explicit;
        _implicitBatch = implicitBatch;
        var completed = false;
        try
        {
            foreach (var statement in statements)
            {
                var q = new PreparedQuery(sql, statement, null, []);
                if (_failed && _implicitBatch) yield break;
                yield return q;
            }
            completed = true;
        }
        finally
        {
            if (implicitBatch)
            {
                _implicitBatch = false;
                if (!_explicit && _tx is not null)
                {
                    if (completed && !_failed) CommitTransaction();
                    else RollbackTransaction();
                }
                _failed = _explicit && _failed;
            }
        }
    }

    /// <summary>
    /// The extended protocol's implicit transaction: outside a transaction block, the statements executed from now
    /// until <see cref="EndPipeline"/> (the client's Sync) run in one transaction, as in PostgreSQL, instead of each
    /// committing on its own. Idempotent.
    /// </summary>
    public void BeginPipeline()
    {
        if (!_explicit) _pipeline = true;
    }

    /// <summary>
    /// An error the protocol layer raised outside <see cref="Execute"/> (a Parse, Bind or result-encoding error in the
    /// extended protocol): it aborts the transaction block, or the pipeline's implicit transaction once it has one, as
    /// an error inside a statement does. (Sync then rolls the implicit transaction back.)
    /// </summary>
    public void MarkFailed()
    {
        if (_explicit || (_pipeline && _tx is not null)) Abort();
    }

    /// <summary>
    /// An error inside a transaction (block, batch or pipeline): statements get 25P02 until it ends. Unless a savepoint
    /// can still bring it back, its key-space transaction is rolled back now, as PostgreSQL aborts at the error: its row
    /// locks are released at once instead of when the client gets round to ROLLBACK (a deadlock's survivor does not
    /// wait for the victim's client).
    /// </summary>
    private void Abort()
    {
        _failed = true;
        if (_savepoints.Count > 0 || _tx is null) return;
        var tx = _tx;
        _tx = null;
        _txWroteCatalog = false;
        tx.Rollback();
        tx.Dispose();
    }

    /// <summary>
    /// Sync: commits the implicit transaction <see cref="BeginPipeline"/> started (rolls it back after an error); an
    /// open transaction block stays open. Throws <see cref="SqlException"/> when the commit fails (40001).
    /// </summary>
    public void EndPipeline()
    {
        if (!_pipeline) return;
        _pipeline = false;
        if (_explicit) return;
        var failed = _failed;
        _failed = false;
        if (_tx is null) return;
        if (failed)
        {
            RollbackTransaction();
            return;
        }
        Translate(() =>
        {
            CommitTransaction();
            return 0;
        });
    }

    private static List<Statement> Parse(string sql)
    {
        try
        {
            return SqlParser.Parse(sql);
        }
        catch (SqlSyntaxException e)
        {
            throw new SqlException(e.SqlState, e.Message, e.Position - 1);
        }
    }

    internal static SqlType TypeOfOid(int oid) => oid switch
    {
        16 => SqlType.Bool,
        17 => SqlType.Bytea,
        20 => SqlType.Int8,
        21 => SqlType.Int2,
        23 => SqlType.Int4,
        25 or 19 => SqlType.Text,
        700 => SqlType.Float4,
        701 => SqlType.Float8,
        1042 => new SqlType(SqlTypeId.Char),
        1043 => new SqlType(SqlTypeId.Varchar),
        1082 => SqlType.Date,
        1083 => SqlType.Time,
        1114 => SqlType.Timestamp,
        1184 => SqlType.TimestampTz,
        1186 => SqlType.Interval,
        1700 => SqlType.Numeric,
        2950 => SqlType.Uuid,
        3802 or 114 => SqlType.Jsonb,
        // An array parameter is bound as its text form ('{a,b}'): Tusk has no array type; = ANY (array) reads the text.
        _ => ArrayElementOfOid(oid) is null ? SqlType.Unknown : SqlType.Text,
    };

    /// <summary>The element type of a PostgreSQL array type's OID (1007, int4[] → int4); null for any other OID.</summary>
    internal static SqlType? ArrayElementOfOid(int oid) =>
        CatalogTypes.Find(oid) is { IsArray: true } array && TypeOfOid((int)array.Element) is { Id: not SqlTypeId.Unknown } element ? element : null;

    /// <summary>Runs a prepared statement with its parameters (already decoded to CLR values). Throws <see cref="SqlException"/>.</summary>
    public QueryResult Execute(PreparedQuery query, IReadOnlyList<object?> parameters, CancellationToken cancellation = default)
    {
        if (query.Statement is null) return new QueryResult("");
        if (_cancel.IsCancellationRequested) _cancel = new CancellationTokenSource();
        var statement = query.Statement;
        if (statement is TransactionStmt t) return Translate(() => RunTransactionStatement(t));
        if (_failed)
        {
            throw new SqlException("25P02", "current transaction is aborted, commands ignored until end of transaction block");
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _cancel.Token);
        if (statement is MaintenanceStmt { Vacuum: true } vacuum) return Translate(() => RunVacuum(query, vacuum, linked.Token));
        var autocommit = _tx is null && !_explicit && !_implicitBatch && !_pipeline;
        try
        {
            EnsureTransaction();
            var catalog = Engine.GetCatalog(_tx!, _txWroteCatalog);
            if (query.Bound is null || query.Bound.CatalogVersion != catalog.Version || query.Bound.SettingsVersion != Settings.Version || query.Bound.CatalogIsPrivate || _txWroteCatalog)
            {
                query.Bound = Bind(query, catalog);
            }
            var bound = query.Bound;
            var args = CoerceParameters(parameters, bound.ParameterTypes);
            var now = Engine.WallClock.UtcNow.UtcDateTime;
            var fn = new FunctionContext { TransactionTimestamp = _txStart, StatementTimestamp = now, TimeZone = Settings.TimeZone, Random = _random };
            var ctx = new ExecContext(_tx!, args, fn, this, linked.Token);
            var result = bound.Run(ctx);
            if (bound.WritesCatalog) _txWroteCatalog = true;
            if (autocommit) CommitTransaction();
            return result;
        }
        catch (Exception e)
        {
            var mapped = Map(e);
            if (autocommit) RollbackTransaction();
            else Abort();
            if (ReferenceEquals(mapped, e)) throw;
            throw mapped;
        }
    }

    private readonly Random _random = new();

    private static IReadOnlyList<object?> CoerceParameters(IReadOnlyList<object?> parameters, IReadOnlyList<SqlType> types)
    {
        if (parameters.Count < types.Count)
        {
            throw new SqlException("08P01", $"bind message supplies {parameters.Count} parameters, but prepared statement requires {types.Count}");
        }
        object?[]? copy = null;
        for (var i = 0; i < types.Count; i++)
        {
            var v = parameters[i];
            if (v is null || types[i].Id == SqlTypeId.Unknown) continue;
            var natural = Values.TypeOf(v);
            if (natural.Id == types[i].Id) continue;
            copy ??= parameters.ToArray();
            copy[i] = v is string s ? Values.Wrap(() => TextFormat.Parse(s, types[i])) : Values.Cast(v, natural, types[i]);
        }
        return copy ?? parameters;
    }

    /// <summary>Turns lower layers' errors into SQL errors with a SQLSTATE.</summary>
    internal static Exception Map(Exception e) => e switch
    {
        SqlException => e,
        SqlDataException d => new SqlException(d.SqlState, d.Message, detail: d.Detail),
        KvSerializationException k => new SqlException("40001", "could not serialize access due to concurrent update", detail: k.Message,
            hint: "The transaction might succeed if retried.", inner: k),
        KvException k => new SqlException(k.SqlState, k.Message),
        SqlSyntaxException s => new SqlException(s.SqlState, s.Message, s.Position - 1),
        OperationCanceledException => new SqlException("57014", "canceling statement due to user request"),
        _ => e,
    };

    private static T Translate<T>(Func<T> f)
    {
        try
        {
            return f();
        }
        catch (Exception e) when (Map(e) is var m && !ReferenceEquals(m, e))
        {
            throw m;
        }
    }

    private void EnsureTransaction()
    {
        if (_tx is not null) return;
        _tx = Engine.Kv.Begin(new KvTransactionOptions { Isolation = IsolationOf(Settings.Show("default_transaction_isolation")) });
        _txStart = Engine.WallClock.UtcNow.UtcDateTime;
        _txWroteCatalog = false;
    }

    internal static IsolationLevel IsolationOf(string level) => level switch
    {
        "read committed" or "read uncommitted" => IsolationLevel.ReadCommitted,
        "repeatable read" => IsolationLevel.RepeatableRead,
        _ => IsolationLevel.Serializable,
    };

    private void CommitTransaction()
    {
        var tx = _tx;
        _tx = null;
        _savepoints.Clear();
        _txWroteCatalog = false;
        if (tx is null) return;
        try
        {
            tx.Commit();
        }
        finally
        {
            tx.Dispose();
        }
    }

    private void RollbackTransaction()
    {
        var tx = _tx;
        _tx = null;
        _savepoints.Clear();
        _txWroteCatalog = false;
        tx?.Rollback();
        tx?.Dispose();
    }

    /// <summary>Binds with the catalog visible now (the open transaction's, or a short read-only one's).</summary>
    private void WithCatalog(Action<Catalog.Catalog> use)
    {
        if (_tx is not null)
        {
            use(Engine.GetCatalog(_tx, _txWroteCatalog));
            return;
        }
        using var tx = Engine.Kv.Begin(IsolationLevel.ReadCommitted);
        use(Engine.GetCatalog(tx, false));
    }

    private QueryResult RunTransactionStatement(TransactionStmt t)
    {
        switch (t.Kind.ToLowerInvariant())
        {
            case "begin" or "start":
                if (_explicit)
                {
                    Notice("there is already a transaction in progress", "25001", "WARNING");
                    return new QueryResult("BEGIN");
                }
                _explicit = true;
                _failed = false;
                if (_tx is null || !(_implicitBatch || _pipeline))
                {
                    _tx = null;
                    var level = t.IsolationLevel?.ToLowerInvariant() ?? Settings.Show("default_transaction_isolation");
                    _tx = Engine.Kv.Begin(new KvTransactionOptions { Isolation = IsolationOf(level) });
                    _txStart = Engine.WallClock.UtcNow.UtcDateTime;
                    _txWroteCatalog = false;
                    Settings.Set("transaction_isolation", level == "read uncommitted" ? "read committed" : level);
                }
                return new QueryResult("BEGIN");
            case "commit" or "end":
            {
                if (!_explicit && !_implicitBatch && !_pipeline)
                {
                    Notice("there is no transaction in progress", "25P01", "WARNING");
                    return new QueryResult("COMMIT");
                }
                var failed = _failed;
                _explicit = false;
                _failed = false;
                if (failed)
                {
                    RollbackTransaction();
                    return new QueryResult("ROLLBACK");
                }
                CommitTransaction();
                return new QueryResult("COMMIT");
            }
            case "rollback" or "abort":
                if (!_explicit && !_implicitBatch && !_pipeline)
                {
                    Notice("there is no transaction in progress", "25P01", "WARNING");
                    return new QueryResult("ROLLBACK");
                }
                _explicit = false;
                _failed = false;
                RollbackTransaction();
                return new QueryResult("ROLLBACK");
            case "savepoint":
                RequireBlock("SAVEPOINT");
                if (_failed) throw new SqlException("25P02", "current transaction is aborted, commands ignored until end of transaction block");
                EnsureTransaction();
                _savepoints.Add((t.Savepoint!, _tx!.Savepoint(), _txWroteCatalog));
                return new QueryResult("SAVEPOINT");
            case "release":
            {
                RequireBlock("RELEASE SAVEPOINT");
                if (_failed) throw new SqlException("25P02", "current transaction is aborted, commands ignored until end of transaction block");
                var i = FindSavepoint(t.Savepoint!);
                _savepoints.RemoveRange(i, _savepoints.Count - i);
                return new QueryResult("RELEASE");
            }
            case "rollback-to":
            {
                RequireBlock("ROLLBACK TO SAVEPOINT");
                var i = FindSavepoint(t.Savepoint!);
                var (_, mark, wroteCatalog) = _savepoints[i];
                _savepoints.RemoveRange(i + 1, _savepoints.Count - i - 1);
                _tx!.RollbackTo(mark);
                _txWroteCatalog = wroteCatalog;
                _failed = false;
                return new QueryResult("ROLLBACK");
            }
            case "set-transaction":
            {
                if (t.IsolationLevel is not null)
                {
                    var level = t.IsolationLevel.ToLowerInvariant();
                    if (_explicit && _tx is not null)
                    {
                        // Before the first query of the block the snapshot is not yet used: restart at the new level.
                        _tx.Rollback();
                        _tx = Engine.Kv.Begin(new KvTransactionOptions { Isolation = IsolationOf(level) });
                    }
                    Settings.Set("transaction_isolation", level);
                }
                return new QueryResult("SET");
            }
            default:
                throw new SqlException("0A000", $"transaction statement {t.Kind} is not supported");
        }
    }

    private void RequireBlock(string what)
    {
        if (!_explicit) throw new SqlException("25P01", $"{what} can only be used in transaction blocks");
    }

    private int FindSavepoint(string name)
    {
        var i = _savepoints.FindLastIndex(s => s.Name == name);
        if (i < 0) throw new SqlException("3B001", $"savepoint \"{name}\" does not exist");
        return i;
    }

    /// <summary>Asks the running statement to stop with 57014 (query_canceled). Thread-safe.</summary>
    public void Cancel() => _cancel.Cancel();

    /// <summary>nextval for the statement running in <paramref name="ctx"/>; remembered for currval.</summary>
    internal long NextValue(string name, ExecContext ctx)
    {
        var v = Engine.Sequences.Next(name, ctx.Tx);
        _currval[Sequences.Normalize(name)] = v;
        return v;
    }

    internal long CurrentValue(string name) =>
        _currval.TryGetValue(Sequences.Normalize(name), out var v)
            ? v
            : throw new SqlException("55000", $"currval of sequence \"{name}\" is not yet defined in this session");

    /// <summary>Rolls back an open transaction.</summary>
    public void Dispose()
    {
        RollbackTransaction();
        _cancel.Dispose();
    }
}
