using Tusk.Kv;
using Tusk.Sql.Execution;
using Tusk.Sql.Planning;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>Options of a <see cref="SqlEngine"/>.</summary>
public sealed class SqlEngineOptions
{
    /// <summary>default_transaction_isolation for new sessions.</summary>
    public IsolationLevel DefaultIsolation { get; init; } = IsolationLevel.Serializable;

    /// <summary>Options for the key space when the engine opens it from a directory.</summary>
    public KvStoreOptions? Kv { get; init; }
}

/// <summary>A parsed and bound statement (extended protocol Parse; or one statement of a simple query).</summary>
public sealed class PreparedQuery
{
    internal PreparedQuery(string sql, Parser.Statement? statement, BoundStatement? bound, IReadOnlyList<SqlType> declared)
    {
        Sql = sql;
        Statement = statement;
        Bound = bound;
        Declared = declared;
    }

    /// <summary>The statement's text.</summary>
    public string Sql { get; }

    /// <summary>The parameter types ($1..$n) after inference; <see cref="SqlType.Unknown"/> ones are sent and decoded as text.</summary>
    public IReadOnlyList<SqlType> ParameterTypes => Bound?.ParameterTypes ?? Declared;

    /// <summary>The result columns, or null when the statement returns no rows (RowDescription vs NoData).</summary>
    public IReadOnlyList<ResultColumn>? Columns => Bound?.Columns;

    /// <summary>An empty query string (EmptyQueryResponse).</summary>
    public bool IsEmpty => Statement is null;

    internal Parser.Statement? Statement { get; }

    internal BoundStatement? Bound { get; set; }

    /// <summary>The types the client declared (0 = infer → Unknown).</summary>
    internal IReadOnlyList<SqlType> Declared { get; }

    /// <summary>Per parameter, the element type when the client declared an array type (its value is then the array's text form).</summary>
    internal IReadOnlyList<SqlType?> ArrayElementTypes { get; init; } = [];

    /// <summary>
    /// The element type of parameter <paramref name="index"/> when the client declared it as an array (text[], int4[], ...):
    /// a binary value of it decodes with <see cref="Types.BinaryFormat.DecodeArray"/>. Null for other parameters.
    /// </summary>
    public SqlType? ArrayElementType(int index) => index < ArrayElementTypes.Count ? ArrayElementTypes[index] : null;
}

/// <summary>What one full <see cref="SqlEngine.Vacuum"/> pass did: row versions read and removed.</summary>
public readonly record struct VacuumTotals(long VersionsExamined, long VersionsRemoved);

/// <summary>
/// The SQL database: opens its key space, keeps the catalog cache, hands out sessions and runs maintenance.
/// Thread-safe; each <see cref="SqlSession"/> is used by one thread at a time (except <see cref="SqlSession.Cancel"/>).
/// </summary>
public sealed class SqlEngine : IDisposable
{
    /// <summary>What server_version reports.</summary>
    public const string ServerVersion = "16.0";

    private readonly bool _ownsKv;
    private Catalog.Catalog? _catalog;
    private int _nextSessionId;

    private SqlEngine(KvStore kv, bool ownsKv, SqlEngineOptions options)
    {
        Kv = kv;
        _ownsKv = ownsKv;
        Options = options;
        Sequences = new Sequences(kv);
    }

    /// <summary>The key space the database is stored in.</summary>
    public KvStore Kv { get; }

    public SqlEngineOptions Options { get; }

    internal Sequences Sequences { get; }

    /// <summary>The wall clock for now() and friends (the key space's clock when the engine opened it).</summary>
    internal Tusk.Core.IClock WallClock => Options.Kv?.Clock ?? Tusk.Core.SystemClock.Instance;

    /// <summary>Opens (creating if needed) the database stored in <paramref name="directory"/>.</summary>
    public static SqlEngine Open(string directory, SqlEngineOptions? options = null)
    {
        options ??= new SqlEngineOptions();
        var kvOptions = options.Kv ?? new KvStoreOptions { TransactionWriteBytesMax = 1L << 30 };
        return new SqlEngine(KvStore.Open(directory, kvOptions), ownsKv: true, options);
    }

    /// <summary>Runs on an open key space; the engine does not own it.</summary>
    public static SqlEngine Open(KvStore kv, SqlEngineOptions? options = null) => new(kv, ownsKv: false, options ?? new SqlEngineOptions());

    /// <summary>
    /// A new session for <paramref name="user"/> on <paramref name="database"/>; startup parameters (application_name,
    /// DateStyle, TimeZone, options, ...) are applied as SET.
    /// </summary>
    public SqlSession OpenSession(string user, string database, IReadOnlyDictionary<string, string>? startupParameters = null)
    {
        var session = new SqlSession(this, Interlocked.Increment(ref _nextSessionId), user, database);
        if (startupParameters is not null)
        {
            foreach (var (name, value) in startupParameters)
            {
                if (name is "user" or "database" or "replication") continue;
                if (name == "options")
                {
                    session.ApplyOptions(value);
                    continue;
                }
                try
                {
                    session.Settings.Set(name, value);
                }
                catch (SqlException)
                {
                    // PostgreSQL rejects unknown startup parameters; clients send a few harmless ones, so they are ignored.
                }
            }
            session.Settings.TakeChanged();
        }
        return session;
    }

    /// <summary>The catalog as <paramref name="tx"/> sees it; cached across transactions while no DDL commits.</summary>
    internal Catalog.Catalog GetCatalog(IKvTransaction tx, bool txWroteCatalog)
    {
        var version = Catalog.Catalog.ReadVersion(tx);
        var cached = Volatile.Read(ref _catalog);
        if (!txWroteCatalog && cached is not null && cached.Version == version) return cached;
        var loaded = Catalog.Catalog.Load(tx, version);
        if (!txWroteCatalog && (cached is null || cached.Version < version)) Volatile.Write(ref _catalog, loaded);
        return loaded;
    }

    /// <summary>
    /// One full garbage-collection pass over the key space (what VACUUM and autovacuum run): removes the row
    /// versions no live or future transaction can see, in steps of a bounded number of versions so that it can be
    /// canceled between them. Safe beside running transactions; passes are serialized.
    /// </summary>
    public VacuumTotals Vacuum(CancellationToken cancellation = default)
    {
        // One caller's pass at a time, whole: the key space's vacuum cursor is shared, so a VACUUM that joined an
        // autovacuum pass halfway would end with it and skip what that pass had covered with an older horizon.
        _vacuumGate.Wait(cancellation);
        try
        {
            long examined = 0, removed = 0;
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                var step = Kv.Vacuum(VacuumStepVersions);
                examined += step.VersionsExamined;
                removed += step.VersionsRemoved;
                if (step.PassCompleted) return new VacuumTotals(examined, removed);
            }
        }
        finally
        {
            _vacuumGate.Release();
        }
    }

    private readonly SemaphoreSlim _vacuumGate = new(1, 1);

    private const int VacuumStepVersions = 100_000;

    public void Dispose()
    {
        _vacuumGate.Dispose();
        if (_ownsKv) Kv.Dispose();
    }
}
