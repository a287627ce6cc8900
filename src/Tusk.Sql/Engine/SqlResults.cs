using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>A result column as RowDescription describes it.</summary>
/// <param name="TableOid">The table's OID when the column is a plain table column, else 0.</param>
/// <param name="ColumnNumber">The column's attnum in that table, else 0.</param>
public sealed record ResultColumn(string Name, SqlType Type, int TableOid = 0, short ColumnNumber = 0);

/// <summary>The transaction status ReadyForQuery reports.</summary>
public enum TransactionStatus : byte
{
    Idle = (byte)'I',
    InBlock = (byte)'T',
    Failed = (byte)'E',
}

/// <summary>A message for the client that is not an error (NoticeResponse).</summary>
public sealed record SqlNotice(string Severity, string SqlState, string Message);

/// <summary>
/// One executed statement's outcome. <see cref="Rows"/> is materialized (a portal pages through it);
/// <see cref="Columns"/> is null for statements that return no rows.
/// </summary>
public sealed class QueryResult
{
    public QueryResult(string commandTag, IReadOnlyList<ResultColumn>? columns = null, IReadOnlyList<object?[]>? rows = null)
    {
        CommandTag = commandTag;
        Columns = columns;
        Rows = rows ?? [];
    }

    public string CommandTag { get; }

    public IReadOnlyList<ResultColumn>? Columns { get; }

    public IReadOnlyList<object?[]> Rows { get; }

    /// <summary>Set for COPY ... FROM STDIN: the server feeds the CopyData bytes to it, then calls <see cref="CopyIn.Complete"/>.</summary>
    public CopyIn? CopyIn { get; init; }

    /// <summary>Set for COPY ... TO STDOUT: the lines to send as CopyData (each with its line ending).</summary>
    public CopyOut? CopyOut { get; init; }
}

/// <summary>The engine's side of COPY FROM STDIN.</summary>
public abstract class CopyIn
{
    /// <summary>Number of columns (CopyInResponse).</summary>
    public abstract int ColumnCount { get; }

    /// <summary>True for CSV (the wire still says text format: 0).</summary>
    public abstract bool Csv { get; }

    /// <summary>Feeds one CopyData payload (any split of the stream).</summary>
    public abstract void Write(ReadOnlySpan<byte> data);

    /// <summary>CopyDone: applies the rows and returns the command tag ("COPY n").</summary>
    public abstract string Complete();

    /// <summary>CopyFail or a broken connection: discards everything.</summary>
    public abstract void Fail(string reason);
}

/// <summary>The engine's side of COPY TO STDOUT.</summary>
public sealed class CopyOut(int columnCount, IReadOnlyList<byte[]> lines, long rowCount)
{
    public int ColumnCount { get; } = columnCount;

    public IReadOnlyList<byte[]> Lines { get; } = lines;

    public string CommandTag => $"COPY {rowCount}";
}
