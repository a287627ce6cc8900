namespace Tusk.Sql;

/// <summary>
/// An error a SQL statement reports to its client: PostgreSQL's SQLSTATE, message, and where it applies the
/// 0-based character offset into the statement text (the wire's Position field is this + 1).
/// </summary>
public sealed class SqlException : Exception
{
    public SqlException(string sqlState, string message, int position = -1, string? detail = null, string? hint = null, Exception? inner = null)
        : base(message, inner)
    {
        SqlState = sqlState;
        Position = position;
        Detail = detail;
        Hint = hint;
    }

    /// <summary>Five-character SQLSTATE (PostgreSQL appendix A).</summary>
    public string SqlState { get; }

    /// <summary>0-based character offset in the statement text, or -1.</summary>
    public int Position { get; }

    public string? Detail { get; }

    public string? Hint { get; }

    /// <summary>The severity PostgreSQL would print: FATAL for connection-ending errors, else ERROR.</summary>
    public string Severity { get; init; } = "ERROR";

    /// <summary>For constraint violations: the schema, table, column and constraint concerned (the wire's 's', 't', 'c', 'n' fields).</summary>
    public string? SchemaName { get; init; }

    public string? TableName { get; init; }

    public string? ColumnName { get; init; }

    public string? ConstraintName { get; init; }
}
