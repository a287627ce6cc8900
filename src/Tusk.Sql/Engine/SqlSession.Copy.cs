using System.Text;
using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Planning;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>COPY FROM STDIN and COPY TO STDOUT in PostgreSQL's text and CSV formats.</summary>
public sealed partial class SqlSession
{
    private sealed record CopyFormat(bool Csv, char Delimiter, string Null, bool Header, char Quote, char Escape)
    {
        public static CopyFormat From(IReadOnlyDictionary<string, string> options)
        {
            var format = options.GetValueOrDefault("format", "text").ToLowerInvariant();
            if (format == "binary") throw new SqlException("0A000", "COPY BINARY is not supported");
            if (format is not ("text" or "csv")) throw new SqlException("22023", $"COPY format \"{format}\" not recognized");
            var csv = format == "csv";
            var delimiter = options.TryGetValue("delimiter", out var d) ? d : csv ? "," : "\t";
            if (delimiter.Length != 1) throw new SqlException("22023", "COPY delimiter must be a single one-byte character");
            var quote = options.TryGetValue("quote", out var q) && q.Length == 1 ? q[0] : '"';
            var escape = options.TryGetValue("escape", out var e) && e.Length == 1 ? e[0] : quote;
            var header = options.TryGetValue("header", out var h) && h is "true" or "on" or "1" or "match";
            return new CopyFormat(csv, delimiter[0], options.GetValueOrDefault("null", csv ? "" : "\\N"), header, quote, escape);
        }
    }

    private (IReadOnlyList<ResultColumn>?, Func<ExecContext, QueryResult>, PlanNode?, bool) BindCopy(CopyStmt copy, Planner planner)
    {
        var format = CopyFormat.From(copy.Options);
        if (copy.From)
        {
            var table = WritableTable(planner, copy.Table!, copy.Position);
            var columns = copy.Columns.Length == 0
                ? table.Columns.Where(c => !c.Hidden).Select(c => c.Name).ToArray()
                : copy.Columns;
            foreach (var c in columns)
            {
                if (table.FindColumn(c) is null) throw new SqlException("42703", $"column \"{c}\" of relation \"{table.Name}\" does not exist", copy.Position);
            }
            return (null, _ => new QueryResult("COPY 0") { CopyIn = new CopyInSink(this, table, columns, format) }, null, false);
        }
        PlanNode plan;
        if (copy.Query is not null)
        {
            plan = planner.PlanQuery(copy.Query, null, out _);
        }
        else
        {
            var table = planner.ResolveTable(copy.Table!, copy.Position);
            var select = new SelectStmt(null,
                new SelectCore(false, null, (copy.Columns.Length == 0 ? table.Columns.Where(c => !c.Hidden).Select(c => c.Name) : copy.Columns)
                    .Select(n => new Target(new ColumnRef([n]), null)).ToArray(), [new TableRef(copy.Table!, null, [])], null, [], null), [], null, null);
            plan = planner.PlanQuery(select, null, out _);
        }
        return (null, ctx =>
        {
            var lines = new List<byte[]>();
            if (format.Header) lines.Add(Encoding.UTF8.GetBytes(string.Join(format.Delimiter, plan.Columns.Select(c => format.Csv ? CsvQuote(c.Name, format) : c.Name)) + "\n"));
            long n = 0;
            foreach (var row in plan.Run(ctx))
            {
                n++;
                var sb = new StringBuilder();
                for (var i = 0; i < row.Length; i++)
                {
                    if (i > 0) sb.Append(format.Delimiter);
                    if (row[i] is null)
                    {
                        sb.Append(format.Null);
                        continue;
                    }
                    var text = TextFormat.Format(row[i]!, plan.Columns[i].Type);
                    sb.Append(format.Csv ? CsvQuote(text, format) : EscapeText(text, format.Delimiter));
                }
                sb.Append('\n');
                lines.Add(Encoding.UTF8.GetBytes(sb.ToString()));
            }
            return new QueryResult($"COPY {n}") { CopyOut = new CopyOut(plan.Columns.Count, lines, n) };
        }, plan, false);
    }

    private static string CsvQuote(string s, CopyFormat f) =>
        s.Length == 0 || s.IndexOfAny([f.Delimiter, f.Quote, '\n', '\r']) >= 0 || s == f.Null
            ? f.Quote + s.Replace(f.Quote.ToString(), new string([f.Escape, f.Quote]), StringComparison.Ordinal) + f.Quote
            : s;

    private static string EscapeText(string s, char delimiter)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t' when delimiter == '\t': sb.Append("\\t"); break;
                default:
                    if (ch == delimiter) sb.Append('\\');
                    sb.Append(ch);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Collects COPY FROM STDIN data, then inserts the rows as one statement of the session (all or nothing).</summary>
    private sealed class CopyInSink(SqlSession session, TableDescriptor table, string[] columns, CopyFormat format) : CopyIn
    {
        private readonly MemoryStream _data = new();

        public override int ColumnCount => columns.Length;

        public override bool Csv => format.Csv;

        public override void Write(ReadOnlySpan<byte> data) => _data.Write(data);

        public override void Fail(string reason) => _data.SetLength(0);

        public override string Complete()
        {
            var text = Encoding.UTF8.GetString(_data.GetBuffer(), 0, (int)_data.Length);
            var rows = format.Csv ? ParseCsv(text) : ParseText(text);
            if (format.Header && rows.Count > 0) rows.RemoveAt(0);
            var types = columns.Select(c => table.FindColumn(c)!.Type).ToArray();
            var values = new List<object?[]>(rows.Count);
            for (var r = 0; r < rows.Count; r++)
            {
                var fields = rows[r];
                if (fields.Count != columns.Length)
                {
                    throw new SqlException("22P04", fields.Count < columns.Length ? $"missing data for column \"{columns[fields.Count]}\"" : "extra data after last expected column",
                        detail: $"COPY {table.Name}, line {r + 1 + (format.Header ? 1 : 0)}");
                }
                var row = new object?[columns.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    try
                    {
                        row[i] = fields[i] is null ? null : TextFormat.Parse(fields[i]!, types[i]);
                    }
                    catch (SqlDataException e)
                    {
                        throw new SqlException(e.SqlState, e.Message, detail: $"COPY {table.Name}, line {r + 1}, column {columns[i]}: \"{fields[i]}\"");
                    }
                }
                values.Add(row);
            }
            return session.InsertRows(table, columns, values);
        }

        private List<List<string?>> ParseText(string text)
        {
            var rows = new List<List<string?>>();
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                if (line == "\\.") break;
                if (line.Length == 0 && columns.Length > 0) continue;
                var fields = new List<string?>();
                var sb = new StringBuilder();
                var isNullCandidate = true;
                for (var i = 0; i <= line.Length; i++)
                {
                    if (i == line.Length || line[i] == format.Delimiter)
                    {
                        var field = sb.ToString();
                        fields.Add(isNullCandidate && field == format.Null ? null : field);
                        sb.Clear();
                        isNullCandidate = true;
                        continue;
                    }
                    var ch = line[i];
                    if (ch == '\\' && i + 1 < line.Length)
                    {
                        var next = line[++i];
                        if (next == 'N' && format.Null == "\\N")
                        {
                            sb.Append("\\N");
                            continue;
                        }
                        isNullCandidate = false;
                        sb.Append(next switch { 'n' => '\n', 'r' => '\r', 't' => '\t', 'b' => '\b', 'f' => '\f', 'v' => '\v', _ => next });
                        continue;
                    }
                    sb.Append(ch);
                }
                rows.Add(fields);
            }
            return rows;
        }

        private List<List<string?>> ParseCsv(string text)
        {
            var rows = new List<List<string?>>();
            var fields = new List<string?>();
            var sb = new StringBuilder();
            var quoted = false;
            var wasQuoted = false;
            for (var i = 0; i < text.Length; i++)
            {
                var ch = text[i];
                if (quoted)
                {
                    // An escaped quote ("" by default, or ESCAPE followed by the quote) is a literal quote.
                    if (ch == format.Escape && i + 1 < text.Length && text[i + 1] == format.Quote)
                    {
                        sb.Append(format.Quote);
                        i++;
                        continue;
                    }
                    if (ch == format.Quote) { quoted = false; continue; }
                    sb.Append(ch);
                    continue;
                }
                if (ch == format.Quote) { quoted = true; wasQuoted = true; continue; }
                if (ch == format.Delimiter || ch == '\n')
                {
                    var f = sb.ToString();
                    fields.Add(!wasQuoted && f == format.Null ? null : f);
                    sb.Clear();
                    wasQuoted = false;
                    if (ch == '\n')
                    {
                        if (!(fields.Count == 1 && fields[0] is "\\." )) rows.Add(fields);
                        fields = [];
                    }
                    continue;
                }
                if (ch == '\r') continue;
                sb.Append(ch);
            }
            if (sb.Length > 0 || fields.Count > 0)
            {
                var f = sb.ToString();
                fields.Add(!wasQuoted && f == format.Null ? null : f);
                if (!(fields.Count == 1 && fields[0] is "\\.")) rows.Add(fields);
            }
            return rows;
        }
    }

    /// <summary>Inserts rows (already typed) into <paramref name="columns"/> of a table as one statement; returns "COPY n".</summary>
    internal string InsertRows(TableDescriptor table, string[] columns, List<object?[]> rows)
    {
        if (rows.Count == 0) return "COPY 0";
        // One INSERT statement per batch of rows, through the normal path (constraints, indexes, defaults).
        const int batch = 1000;
        var total = 0L;
        var autocommit = _tx is null && !_explicit && !_pipeline;
        if (autocommit) EnsureTransaction();
        try
        {
            for (var start = 0; start < rows.Count; start += batch)
            {
                var part = rows.Skip(start).Take(batch).ToList();
                var body = new ValuesBody(part.Select((_, r) => columns.Select((_, i) => (Expr)new ParamRef(r * columns.Length + i + 1)).ToArray()).ToArray());
                var stmt = new InsertStmt(null, [table.Schema, table.Name], null, columns, new SelectStmt(null, body, [], null, null), null, []);
                var types = part.SelectMany(_ => columns.Select(c => table.FindColumn(c)!.Type)).ToArray();
                var q = new PreparedQuery("COPY", stmt, null, types);
                var args = part.SelectMany(r => r).ToArray();
                var saved = _implicitBatch;
                _implicitBatch = true;   // keep the transaction open across the batches
                try
                {
                    var r = Execute(q, args);
                    total += long.Parse(r.CommandTag.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
                }
                finally
                {
                    _implicitBatch = saved;
                }
            }
            if (autocommit) CommitTransaction();
        }
        catch
        {
            if (autocommit)
            {
                // The batch's Execute marked the (implicit) transaction failed; it is rolled back here and over.
                RollbackTransaction();
                _failed = false;
            }
            throw;
        }
        return $"COPY {total}";
    }
}
