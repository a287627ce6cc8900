using System.Text;
using Tusk.Protocols.Postgres;
using Tusk.Sql;
using Tusk.Sql.Types;

namespace Tusk.Server.Postgres;

/// <summary>The message dispatcher, the simple query protocol, result rows, and COPY.</summary>
internal sealed partial class PgConnection
{
    // The COPY FROM STDIN in progress, failed if the connection breaks. Invariant: set only inside CopyInAsync.
    private CopyIn? _copyIn;

    private async Task HandleAsync(FrontendMessage message)
    {
        // After an error in the extended protocol everything up to the next Sync is discarded (PostgreSQL does so).
        if (_skipToSync && message is not Sync) return;
        switch (message)
        {
            case Query query:
                await SimpleQueryAsync(query.Sql).ConfigureAwait(false);
                break;
            case Parse or Bind or Describe or Execute or Close:
                await ExtendedAsync(message).ConfigureAwait(false);
                break;
            case Sync:
                HandleSync();
                break;
            case Flush:
                await FlushAsync().ConfigureAwait(false);
                break;
            case CopyData or CopyDone or CopyFail:
                // Ignored outside COPY, as PostgreSQL does: a COPY that failed leaves the client still sending.
                break;
            default:
                throw new PgProtocolException($"unexpected message {message.GetType().Name}");
        }
    }

    /// <summary>
    /// 'Q': each statement is bound just before it runs (so one can use a table an earlier one created); the first
    /// error ends the batch. Then ReadyForQuery with the session's transaction status.
    /// </summary>
    private async Task SimpleQueryAsync(string sql)
    {
        try
        {
            // Extended-protocol statements not yet closed by a Sync end here, as a Sync would end them: the simple
            // query runs in its own transaction.
            Session.EndPipeline();
            foreach (var query in Session.PrepareBatch(sql))
            {
                if (query.IsEmpty)
                {
                    _writer.EmptyQueryResponse();
                    continue;
                }
                var result = Session.Execute(query, [], _stop);
                SendNotices();
                await SendResultAsync(result, formats: null, describe: true).ConfigureAwait(false);
                SendChangedParameters();
            }
        }
        catch (Exception e) when (IsStatementError(e))
        {
            Session.MarkFailed();   // a syntax error aborts a transaction block too
            SendNotices();
            SendError(e);
        }
        ReadyForQuery();
    }

    /// <summary>A whole result: RowDescription (when <paramref name="describe"/>), the rows, CommandComplete; or a COPY.</summary>
    private async Task SendResultAsync(QueryResult result, short[]? formats, bool describe)
    {
        if (result.CopyIn is not null)
        {
            await CopyInAsync(result.CopyIn).ConfigureAwait(false);
            return;
        }
        if (result.CopyOut is not null)
        {
            await CopyOutAsync(result.CopyOut).ConfigureAwait(false);
            return;
        }
        if (result.Columns is not null)
        {
            if (describe) _writer.RowDescription(Fields(result.Columns, formats));
            await SendRowsAsync(result.Columns, result.Rows, 0, result.Rows.Count, formats).ConfigureAwait(false);
        }
        _writer.CommandComplete(result.CommandTag);
    }

    /// <summary>DataRow for rows[start, start + count), each value in its column's format; flushes as the buffer fills.</summary>
    private async ValueTask SendRowsAsync(IReadOnlyList<ResultColumn> columns, IReadOnlyList<object?[]> rows, int start, int count, short[]? formats)
    {
        var values = new byte[]?[columns.Count];  // reused for every row of this result
        for (var r = start; r < start + count; r++)
        {
            var row = rows[r];
            for (var c = 0; c < values.Length; c++)
            {
                values[c] = EncodeValue(row[c], columns[c].Type, FormatOf(formats, c));
            }
            _writer.DataRow(values);
            await FlushIfLargeAsync().ConfigureAwait(false);
        }
    }

    private static byte[]? EncodeValue(object? value, SqlType type, short format) => value switch
    {
        null => null,
        _ when format == 1 => BinaryFormat.Encode(value, type),
        byte[] or not string => Encoding.UTF8.GetBytes(TextFormat.Format(value, type)),
        string s when type.Id == SqlTypeId.Char => Encoding.UTF8.GetBytes(TextFormat.Format(s, type)),
        string s => Encoding.UTF8.GetBytes(s),
    };

    /// <summary>A column's format code: all text (null), one code for all, or one per column.</summary>
    private static short FormatOf(short[]? formats, int column) =>
        formats is null || formats.Length == 0 ? (short)0 : formats.Length == 1 ? formats[0] : formats[column];

    private static PgField[] Fields(IReadOnlyList<ResultColumn> columns, short[]? formats)
    {
        var fields = new PgField[columns.Count];
        for (var c = 0; c < fields.Length; c++)
        {
            var column = columns[c];
            var type = column.Type;
            fields[c] = new PgField(column.Name, column.TableOid, column.ColumnNumber, type.Oid, type.Size, type.TypeModifier, FormatOf(formats, c));
        }
        return fields;
    }

    /// <summary>
    /// COPY FROM STDIN: CopyInResponse, then CopyData is fed to the engine until CopyDone (CommandComplete) or
    /// CopyFail (57014). Flush and Sync are ignored meanwhile, as the protocol says; other messages are a violation.
    /// </summary>
    private async Task CopyInAsync(CopyIn copy)
    {
        _writer.CopyInResponse(binary: false, copy.ColumnCount);
        _copyIn = copy;
        try
        {
            while (true)
            {
                var message = await ReadMessageAsync().ConfigureAwait(false);
                switch (message)
                {
                    case null:
                        throw new EndOfStreamException("the client closed the connection during COPY FROM STDIN");
                    case CopyData data:
                        copy.Write(data.Data);
                        break;
                    case CopyDone:
                        _copyIn = null;
                        _writer.CommandComplete(copy.Complete());
                        return;
                    case CopyFail fail:
                        _copyIn = null;
                        copy.Fail(fail.Reason);
                        throw new SqlException(SqlStates.QueryCanceled, $"COPY from stdin failed: {fail.Reason}");
                    case Flush or Sync:
                        break;
                    default:
                        throw new PgProtocolException($"unexpected message {message.GetType().Name} during COPY from stdin");
                }
            }
        }
        catch (Exception e) when (IsStatementError(e))
        {
            FailCopy(e.Message);  // a bad row: the engine discards what it has
            throw;
        }
    }

    private void FailCopy(string reason)
    {
        var copy = _copyIn;
        _copyIn = null;
        if (copy is null) return;
        try
        {
            copy.Fail(reason);
        }
        catch (Exception e)
        {
            _server.Log($"postgres: failing a COPY of {_remote} failed: {e.Message}");
        }
    }

    /// <summary>COPY TO STDOUT: CopyOutResponse, one CopyData per line, CopyDone, CommandComplete.</summary>
    private async Task CopyOutAsync(CopyOut copy)
    {
        _writer.CopyOutResponse(binary: false, copy.ColumnCount);
        for (var i = 0; i < copy.Lines.Count; i++)
        {
            _writer.CopyData(copy.Lines[i]);
            await FlushIfLargeAsync().ConfigureAwait(false);
        }
        _writer.CopyDone();
        _writer.CommandComplete(copy.CommandTag);
    }
}
