using System.Text;

namespace Tusk.Sql.Parser;

/// <summary>
/// Prints an AST back as SQL that <see cref="SqlParser"/> reads to the same AST (stored defaults, CHECK
/// constraints and view queries; EXPLAIN and pg_get_expr output). Parenthesizes every operator expression, so
/// precedence never depends on the printer.
/// </summary>
public static class SqlText
{
    public static string Print(Expr e) => e switch
    {
        Literal { Kind: LiteralKind.String } l => "'" + l.Text.Replace("'", "''", StringComparison.Ordinal) + "'",
        Literal l => l.Text,
        ColumnRef c => string.Join(".", c.Parts.Select(Ident)),
        Star s => s.Table is null ? "*" : s.Table + ".*",
        ParamRef p => "$" + p.Number,
        DefaultValue => "DEFAULT",
        Unary u => u.Op == "not" ? $"(NOT {Print(u.Operand)})" : $"({u.Op} {Print(u.Operand)})",
        Binary b => $"({Print(b.Left)} {(b.Op is "and" or "or" ? b.Op.ToUpperInvariant() : b.Op)} {Print(b.Right)})",
        IsTest t => $"({Print(t.Operand)} IS {(t.Not ? "NOT " : "")}{t.What.ToUpperInvariant()})",
        IsDistinctFrom d => $"({Print(d.Left)} IS {(d.Not ? "NOT " : "")}DISTINCT FROM {Print(d.Right)})",
        Between b => $"({Print(b.Operand)} {(b.Not ? "NOT " : "")}BETWEEN {(b.Symmetric ? "SYMMETRIC " : "")}{Print(b.Low)} AND {Print(b.High)})",
        InList i => $"({Print(i.Operand)} {(i.Not ? "NOT " : "")}IN ({string.Join(", ", i.Items.Select(Print))}))",
        InSubquery i => $"({Print(i.Operand)} {(i.Not ? "NOT " : "")}IN ({Print(i.Query)}))",
        Quantified q => $"({Print(q.Operand)} {q.Op} {q.Quantifier.ToUpperInvariant()} ({Print(q.Query)}))",
        Exists x => $"EXISTS ({Print(x.Query)})",
        Subquery s => $"({Print(s.Query)})",
        Like l => $"({Print(l.Operand)} {(l.Not ? "NOT " : "")}{(l.CaseInsensitive ? "ILIKE" : "LIKE")} {Print(l.Pattern)}{(l.Escape is null ? "" : " ESCAPE " + Print(l.Escape))})",
        FuncCall f => Function(f),
        Cast c => $"CAST({Print(c.Operand)} AS {TypeText(c.Type)})",
        Case c => "CASE" + (c.Operand is null ? "" : " " + Print(c.Operand)) + string.Concat(c.Whens.Select(w => $" WHEN {Print(w.When)} THEN {Print(w.Then)}"))
            + (c.Else is null ? "" : $" ELSE {Print(c.Else)}") + " END",
        _ => throw new NotSupportedException($"cannot print {e.GetType().Name} as SQL"),
    };

    private static string TypeText(TypeName t) => t.Name switch
    {
        "timestamptz" => "timestamp with time zone" + Mods(t),
        "timetz" => "time with time zone" + Mods(t),
        _ => t.Name + Mods(t),
    } + (t.IsArray ? "[]" : "");

    private static string Mods(TypeName t) => t.Modifiers.Length > 0 ? "(" + string.Join(",", t.Modifiers) + ")" : "";

    /// <summary>Quotes an identifier when it would not read back as itself.</summary>
    public static string Ident(string name)
    {
        var plain = name.Length > 0 && (char.IsAsciiLetterLower(name[0]) || name[0] == '_')
            && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_' || c == '$')
            && !Lexer.Reserved.Contains(name);
        return plain ? name : "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static string Function(FuncCall f)
    {
        var name = f.Name.Length == 1 && f.Args.Length == 0 && !f.StarArgument
            && f.Name[0] is "current_date" or "current_time" or "current_timestamp" or "localtime" or "localtimestamp" or "user"
            ? f.Name[0].ToUpperInvariant()
            : null;
        if (name is not null) return name;
        var sb = new StringBuilder(string.Join(".", f.Name.Select(Ident))).Append('(');
        if (f.Distinct) sb.Append("DISTINCT ");
        if (f.StarArgument) sb.Append('*');
        sb.Append(string.Join(", ", f.Args.Select(Print)));
        if (f.OrderBy.Length > 0) sb.Append(" ORDER BY ").Append(string.Join(", ", f.OrderBy.Select(Order)));
        sb.Append(')');
        if (f.Filter is not null) sb.Append(" FILTER (WHERE ").Append(Print(f.Filter)).Append(')');
        if (f.Over is not null) sb.Append(" OVER ").Append(f.Over.Bare ? Ident(f.Over.RefName!) : "(" + Window(f.Over) + ")");
        return sb.ToString();
    }

    /// <summary>A window definition without its parentheses.</summary>
    private static string Window(WindowSpec w)
    {
        var parts = new List<string>();
        if (w.RefName is not null) parts.Add(Ident(w.RefName));
        if (w.PartitionBy.Length > 0) parts.Add("PARTITION BY " + string.Join(", ", w.PartitionBy.Select(Print)));
        if (w.OrderBy.Length > 0) parts.Add("ORDER BY " + string.Join(", ", w.OrderBy.Select(Order)));
        if (w.Frame is { } f)
        {
            parts.Add($"{f.Mode.ToUpperInvariant()} BETWEEN {Bound(f.Start)} AND {Bound(f.End)}" + (f.Exclude is null ? "" : " EXCLUDE " + f.Exclude.ToUpperInvariant()));
        }
        return string.Join(" ", parts);
    }

    private static string Bound(FrameBound b) => b.Kind switch
    {
        FrameBoundKind.UnboundedPreceding => "UNBOUNDED PRECEDING",
        FrameBoundKind.Preceding => Print(b.Offset!) + " PRECEDING",
        FrameBoundKind.CurrentRow => "CURRENT ROW",
        FrameBoundKind.Following => Print(b.Offset!) + " FOLLOWING",
        _ => "UNBOUNDED FOLLOWING",
    };

    public static string Print(SelectStmt s)
    {
        var sb = new StringBuilder();
        if (s.With is not null)
        {
            sb.Append("WITH ").Append(s.With.Recursive ? "RECURSIVE " : "");
            sb.Append(string.Join(", ", s.With.Ctes.Select(c => Ident(c.Name) + (c.Columns.Length > 0 ? "(" + string.Join(", ", c.Columns.Select(Ident)) + ")" : "") + " AS (" + Print(c.Query) + ")")));
            sb.Append(' ');
        }
        sb.Append(Body(s.Body));
        if (s.OrderBy.Length > 0) sb.Append(" ORDER BY ").Append(string.Join(", ", s.OrderBy.Select(Order)));
        if (s.Limit is not null) sb.Append(" LIMIT ").Append(Print(s.Limit));
        if (s.Offset is not null) sb.Append(" OFFSET ").Append(Print(s.Offset));
        return sb.ToString();
    }

    private static string Body(QueryBody b) => b switch
    {
        SelectCore c => Core(c),
        ValuesBody v => "VALUES " + string.Join(", ", v.Rows.Select(r => "(" + string.Join(", ", r.Select(Print)) + ")")),
        SetOperation o => $"{Operand(o.Left)} {o.Op.ToUpperInvariant()}{(o.All ? " ALL" : "")} {Operand(o.Right)}",
        NestedQuery n => "(" + Print(n.Query) + ")",
        _ => throw new NotSupportedException(b.GetType().Name),
    };

    private static string Operand(QueryBody b) => b is SetOperation ? "(" + Body(b) + ")" : Body(b);

    private static string Core(SelectCore c)
    {
        var sb = new StringBuilder("SELECT ");
        if (c.Distinct) sb.Append(c.DistinctOn is null ? "DISTINCT " : "DISTINCT ON (" + string.Join(", ", c.DistinctOn.Select(Print)) + ") ");
        sb.Append(string.Join(", ", c.Targets.Select(t => t.Alias is null ? Print(t.Expression) : $"{Print(t.Expression)} AS {Ident(t.Alias)}")));
        if (c.From.Length > 0) sb.Append(" FROM ").Append(string.Join(", ", c.From.Select(From)));
        if (c.Where is not null) sb.Append(" WHERE ").Append(Print(c.Where));
        if (c.GroupBy.Length > 0) sb.Append(" GROUP BY ").Append(string.Join(", ", c.GroupBy.Select(Print)));
        if (c.Having is not null) sb.Append(" HAVING ").Append(Print(c.Having));
        if (c.Windows.Length > 0) sb.Append(" WINDOW ").Append(string.Join(", ", c.Windows.Select(w => Ident(w.Name) + " AS (" + Window(w.Spec) + ")")));
        return sb.ToString();
    }

    private static string From(FromItem f) => f switch
    {
        TableRef t => string.Join(".", t.Name.Select(Ident)) + Alias(t.Alias, t.ColumnAliases),
        SubqueryRef s => (s.Lateral ? "LATERAL " : "") + "(" + Print(s.Query) + ")" + Alias(s.Alias, s.ColumnAliases),
        FunctionRef r => (r.Lateral ? "LATERAL " : "") + Function(r.Call) + Alias(r.Alias, r.ColumnAliases),
        Join j => "(" + From(j.Left) + (j.Natural ? " NATURAL" : "") + j.Kind switch
        {
            JoinKind.Left => " LEFT JOIN ",
            JoinKind.Right => " RIGHT JOIN ",
            JoinKind.Full => " FULL JOIN ",
            JoinKind.Cross => " CROSS JOIN ",
            _ => " JOIN ",
        } + From(j.Right) + (j.On is null ? "" : " ON " + Print(j.On)) + (j.Using.Length > 0 ? " USING (" + string.Join(", ", j.Using.Select(Ident)) + ")" : "") + ")",
        _ => throw new NotSupportedException(f.GetType().Name),
    };

    private static string Alias(string? alias, string[] columns) =>
        alias is null ? "" : " AS " + Ident(alias) + (columns.Length > 0 ? "(" + string.Join(", ", columns.Select(Ident)) + ")" : "");

    private static string Order(OrderItem o) =>
        Print(o.Expression) + (o.Descending ? " DESC" : "") + (o.NullsFirst is { } nf ? (nf ? " NULLS FIRST" : " NULLS LAST") : "");
}
