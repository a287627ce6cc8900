using System.Globalization;
using System.Text;
using Tusk.Protocols.Postgres;
using Tusk.Sql;
using Tusk.Sql.Types;

namespace Tusk.Server.Postgres;

/// <summary>
/// The extended query protocol: Parse makes prepared statements, Bind makes portals (a statement with decoded
/// parameters and result formats), Describe, Execute (with a row limit: the statement runs once, at the first
/// Execute, and its materialized rows are paged out), Close, Sync. Outside a transaction block, the statements
/// executed between two Syncs form one implicit transaction, committed at Sync. An error discards messages until
/// Sync, which rolls that transaction back.
/// </summary>
internal sealed partial class PgConnection
{
    private const int ParametersMax = short.MaxValue;

    // Prepared statements and portals by name ("" is the unnamed one, replaced by the next Parse or Bind).
    private readonly Dictionary<string, PreparedQuery> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Portal> _portals = new(StringComparer.Ordinal);

    // Set by an error in the extended protocol; cleared by Sync.
    private bool _skipToSync;

    /// <summary>A bound statement. Invariant: 0 &lt;= Position &lt;= Result.Rows.Count once Result is set.</summary>
    private sealed class Portal(PreparedQuery query, object?[] parameters, short[] formats)
    {
        public PreparedQuery Query { get; } = query;

        public object?[] Parameters { get; } = parameters;

        /// <summary>Result formats as Bind gave them (none: text; one: for all; else one per column).</summary>
        public short[] Formats { get; } = formats;

        /// <summary>The statement's outcome, from its first Execute on.</summary>
        public QueryResult? Result { get; set; }

        /// <summary>Rows already sent.</summary>
        public int Position { get; set; }
    }

    private async Task ExtendedAsync(FrontendMessage message)
    {
        try
        {
            switch (message)
            {
                case Parse parse:
                    HandleParse(parse);
                    break;
                case Bind bind:
                    HandleBind(bind);
                    break;
                case Describe describe:
                    HandleDescribe(describe);
                    break;
                case Execute execute:
                    await ExecuteAsync(execute).ConfigureAwait(false);
                    break;
                case Close close:
                    if (close.Kind == (byte)'S') _statements.Remove(close.Name);
                    else _portals.Remove(close.Name);
                    _writer.CloseComplete();
                    break;
            }
        }
        catch (Exception e) when (IsStatementError(e))
        {
            Session.MarkFailed();
            SendNotices();
            SendError(e);
            _skipToSync = true;
        }
    }

    private void HandleParse(Parse parse)
    {
        if (parse.Statement.Length > 0 && _statements.ContainsKey(parse.Statement))
            throw new SqlException("42P05", $"prepared statement \"{parse.Statement}\" already exists");
        if (parse.ParameterTypes.Length > ParametersMax)
            throw new SqlException(SqlStates.ProtocolViolation, $"too many parameter types: {parse.ParameterTypes.Length}");
        _statements[parse.Statement] = Session.Prepare(parse.Sql, parse.ParameterTypes);
        _writer.ParseComplete();
    }

    private void HandleBind(Bind bind)
    {
        if (!_statements.TryGetValue(bind.Statement, out var query))
            throw new SqlException("26000", $"prepared statement \"{bind.Statement}\" does not exist");
        if (bind.Portal.Length > 0 && _portals.ContainsKey(bind.Portal))
            throw new SqlException("42P03", $"cursor \"{bind.Portal}\" already exists");
        var types = query.ParameterTypes;
        if (bind.Parameters.Length != types.Count)
            throw new SqlException(SqlStates.ProtocolViolation, string.Create(CultureInfo.InvariantCulture,
                $"bind message supplies {bind.Parameters.Length} parameters, but prepared statement \"{bind.Statement}\" requires {types.Count}"));
        CheckFormats(bind.ParameterFormats);
        CheckFormats(bind.ResultFormats);
        var columnCount = query.Columns?.Count ?? 0;
        if (bind.ResultFormats.Length > 1 && bind.ResultFormats.Length != columnCount)
            throw new SqlException(SqlStates.ProtocolViolation, string.Create(CultureInfo.InvariantCulture,
                $"bind message has {bind.ResultFormats.Length} result formats but query has {columnCount} columns"));
        var parameters = new object?[bind.Parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var bytes = bind.Parameters[i];
            if (bytes is null) continue;
            parameters[i] = DecodeParameter(bytes, types[i], query.ArrayElementType(i), FormatOf(bind.ParameterFormats, i), i);
        }
        _portals[bind.Portal] = new Portal(query, parameters, bind.ResultFormats);
        _writer.BindComplete();
    }

    private static void CheckFormats(short[] formats)
    {
        foreach (var format in formats)
        {
            if (format is not (0 or 1)) throw new SqlException("22023", $"unsupported format code: {format}");
        }
    }

    /// <summary>
    /// A Bind parameter: text through <see cref="TextFormat.Parse"/>, binary through <see cref="BinaryFormat.Decode"/>
    /// (arrays through <see cref="BinaryFormat.DecodeArray"/> to their text form); unknown types stay text.
    /// </summary>
    private static object DecodeParameter(byte[] bytes, SqlType type, SqlType? arrayElement, short format, int index)
    {
        try
        {
            if (format == 1) return arrayElement is null ? BinaryFormat.Decode(bytes, type) : BinaryFormat.DecodeArray(bytes, arrayElement);
            var text = StrictUtf8.GetString(bytes);
            return type.Id == SqlTypeId.Unknown ? text : TextFormat.Parse(text, type);
        }
        catch (DecoderFallbackException)
        {
            throw new SqlException("22021", "invalid byte sequence for encoding \"UTF8\"");
        }
        catch (SqlDataException e) when (format == 1)
        {
            throw new SqlException(e.SqlState, string.Create(CultureInfo.InvariantCulture, $"incorrect binary data format in bind parameter {index + 1}"), detail: e.Message);
        }
    }

    /// <summary>'D': a statement's ParameterDescription and RowDescription (text formats) or NoData; a portal's RowDescription or NoData.</summary>
    private void HandleDescribe(Describe describe)
    {
        if (describe.Kind == (byte)'S')
        {
            if (!_statements.TryGetValue(describe.Name, out var query))
                throw new SqlException("26000", $"prepared statement \"{describe.Name}\" does not exist");
            var oids = new int[query.ParameterTypes.Count];
            for (var i = 0; i < oids.Length; i++)
            {
                // Parameters of unknown type are decoded as text, so that is what the client is told.
                var type = query.ParameterTypes[i];
                oids[i] = type.Id == SqlTypeId.Unknown ? SqlType.Text.Oid : type.Oid;
            }
            _writer.ParameterDescription(oids);
            DescribeRows(query.Columns, null);
            return;
        }
        if (!_portals.TryGetValue(describe.Name, out var portal))
            throw new SqlException("34000", $"portal \"{describe.Name}\" does not exist");
        DescribeRows(portal.Result is { } result ? result.Columns : portal.Query.Columns, portal.Formats);
    }

    private void DescribeRows(IReadOnlyList<ResultColumn>? columns, short[]? formats)
    {
        if (columns is null) _writer.NoData();
        else _writer.RowDescription(Fields(columns, formats));
    }

    /// <summary>
    /// 'E': runs the portal's statement at its first Execute, then sends at most MaxRows rows (0: all) from where
    /// the last Execute stopped: PortalSuspended while rows remain, else CommandComplete.
    /// </summary>
    private async Task ExecuteAsync(Execute execute)
    {
        if (!_portals.TryGetValue(execute.Portal, out var portal))
            throw new SqlException("34000", $"portal \"{execute.Portal}\" does not exist");
        if (portal.Query.IsEmpty)
        {
            _writer.EmptyQueryResponse();
            return;
        }
        if (portal.Result is null)
        {
            Session.BeginPipeline();
            var result = Session.Execute(portal.Query, portal.Parameters, _stop);
            portal.Result = result;
            SendNotices();
            if (result.CopyIn is not null || result.CopyOut is not null || result.Columns is null)
            {
                portal.Position = result.Rows.Count;
                await SendResultAsync(result, portal.Formats, describe: false).ConfigureAwait(false);
                SendChangedParameters();
                return;
            }
        }
        var rows = portal.Result.Rows;
        var columns = portal.Result.Columns;
        if (columns is null)
        {
            _writer.CommandComplete(portal.Result.CommandTag);
            return;
        }
        var start = portal.Position;
        var remaining = rows.Count - start;
        var count = execute.MaxRows > 0 ? Math.Min(execute.MaxRows, remaining) : remaining;
        await SendRowsAsync(columns, rows, start, count, portal.Formats).ConfigureAwait(false);
        portal.Position = start + count;
        if (portal.Position < rows.Count)
        {
            _writer.PortalSuspended();
            return;
        }
        // A portal run in pieces reports the rows of its last piece, as PostgreSQL does.
        var tag = portal.Result.CommandTag;
        if (start > 0 && tag.StartsWith("SELECT", StringComparison.Ordinal))
            tag = string.Create(CultureInfo.InvariantCulture, $"SELECT {count}");
        _writer.CommandComplete(tag);
    }

    /// <summary>
    /// 'S': commits the implicit transaction of the statements executed since the last Sync (rolls it back after an
    /// error; a failed commit is reported here), ends the error state and the unnamed portal; when no transaction
    /// block is open every portal is gone (portals live until their transaction ends). ReadyForQuery.
    /// </summary>
    private void HandleSync()
    {
        try
        {
            Session.EndPipeline();
        }
        catch (Exception e) when (IsStatementError(e))
        {
            SendError(e);
        }
        _skipToSync = false;
        if (Session.Status == Tusk.Sql.TransactionStatus.Idle) _portals.Clear();
        else _portals.Remove("");
        ReadyForQuery();
    }
}
