using System.Globalization;
using Tusk.Sql.Types;
using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>A real engine in a temporary directory, with helpers that run SQL and render rows as text.</summary>
public sealed class SqlTestDatabase : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tusk-sql-tests", Guid.NewGuid().ToString("N"));

    public SqlTestDatabase()
    {
        Directory.CreateDirectory(_dir);
        Engine = SqlEngine.Open(_dir);
        Session = Engine.OpenSession("tusk", "tusk");
    }

    public SqlEngine Engine { get; }

    public SqlSession Session { get; }

    public SqlSession NewSession() => Engine.OpenSession("tusk", "tusk");

    /// <summary>Runs a simple query (one or more statements); returns the last statement's result.</summary>
    public static QueryResult Run(SqlSession session, string sql, params object?[] parameters)
    {
        if (parameters.Length > 0)
        {
            var q = session.Prepare(sql);
            return session.Execute(q, parameters);
        }
        QueryResult? last = null;
        foreach (var q in session.PrepareBatch(sql)) last = session.Execute(q, []);
        return last!;
    }

    public QueryResult Run(string sql, params object?[] parameters) => Run(Session, sql, parameters);

    /// <summary>The rows as PostgreSQL text, columns separated by '|', rows by newlines (NULL as "NULL").</summary>
    public static string Text(QueryResult r) => string.Join("\n", r.Rows.Select(row =>
        string.Join("|", row.Select((v, i) => v is null ? "NULL" : TextFormat.Format(v, r.Columns![i].Type)))));

    public string Query(string sql, params object?[] parameters) => Text(Run(sql, parameters));

    public static SqlException Error(SqlSession session, string sql)
    {
        try
        {
            Run(session, sql);
        }
        catch (SqlException e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException($"expected an error from: {sql}");
    }

    public SqlException Error(string sql) => Error(Session, sql);

    public void Dispose()
    {
        Session.Dispose();
        Engine.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
