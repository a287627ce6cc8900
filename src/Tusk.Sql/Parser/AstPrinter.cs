using System.Text;

namespace Tusk.Sql.Parser;

/// <summary>Prints syntax trees as S-expressions: readable in golden files and EXPLAIN output, one form per node type.</summary>
public static class AstPrinter
{
    public static string Print(Statement statement) => statement switch
    {
        SelectStmt s => Select(s),
        _ => statement.GetType().Name,
    };

    public static string Print(Expr e) => e switch
    {
        Literal { Kind: LiteralKind.String } l => "'" + l.Text.Replace("'", "''", StringComparison.Ordinal) + "'",
        Literal l => l.Text,
        ColumnRef c => string.Join(".", c.Parts),
        Star s => s.Table is null ? "*" : s.Table + ".*",
        ParamRef p => "$" + p.Number,
        Unary u => $"({u.Op} {Print(u.Operand)})",
        Binary b => $"({b.Op} {Print(b.Left)} {Print(b.Right)})",
        IsTest t => $"(is{(t.Not ? "-not" : "")} {t.What} {Print(t.Operand)})",
        IsDistinctFrom d => $"(is{(d.Not ? "-not" : "")}-distinct-from {Print(d.Left)} {Print(d.Right)})",
        Between b => $"({(b.Not ? "not-" : "")}between{(b.Symmetric ? "-symmetric" : "")} {Print(b.Operand)} {Print(b.Low)} {Print(b.High)})",
        InList i => $"({(i.Not ? "not-" : "")}in {Print(i.Operand)} [{string.Join(" ", i.Items.Select(Print))}])",
        InSubquery i => $"({(i.Not ? "not-" : "")}in {Print(i.Operand)} {Select(i.Query)})",
        Quantified q => $"({q.Op} {q.Quantifier} {Print(q.Operand)} {Select(q.Query)})",
        Exists x => $"(exists {Select(x.Query)})",
        Subquery s => $"(scalar {Select(s.Query)})",
        Like l => $"({(l.Not ? "not-" : "")}{(l.CaseInsensitive ? "ilike" : "like")} {Print(l.Operand)} {Print(l.Pattern)}{(l.Escape is null ? "" : " escape " + Print(l.Escape))})",
        FuncCall f => Function(f),
        Cast c => $"(cast {Print(c.Operand)} {c.Type})",
        Case c => "(case" + (c.Operand is null ? "" : " " + Print(c.Operand)) + string.Concat(c.Whens.Select(w => $" (when {Print(w.When)} {Print(w.Then)})"))
            + (c.Else is null ? "" : $" (else {Print(c.Else)})") + ")",
        _ => e.GetType().Name,
    };

    private static string Function(FuncCall f)
    {
        var sb = new StringBuilder("(call ").Append(string.Join(".", f.Name));
        if (f.Distinct) sb.Append(" distinct");
        if (f.StarArgument) sb.Append(" *");
        foreach (var a in f.Args) sb.Append(' ').Append(Print(a));
        if (f.OrderBy.Length > 0) sb.Append(" (order-by ").Append(string.Join(" ", f.OrderBy.Select(Order))).Append(')');
        if (f.Filter is not null) sb.Append(" (filter ").Append(Print(f.Filter)).Append(')');
        return sb.Append(')').ToString();
    }

    private static string Select(SelectStmt s)
    {
        var sb = new StringBuilder("(query");
        if (s.With is { } w)
        {
            sb.Append(w.Recursive ? " (with-recursive" : " (with");
            foreach (var c in w.Ctes) sb.Append($" ({c.Name}{(c.Columns.Length > 0 ? "(" + string.Join(",", c.Columns) + ")" : "")} {Select(c.Query)})");
            sb.Append(')');
        }
        sb.Append(' ').Append(Body(s.Body));
        if (s.OrderBy.Length > 0) sb.Append(" (order-by ").Append(string.Join(" ", s.OrderBy.Select(Order))).Append(')');
        if (s.Limit is not null) sb.Append(" (limit ").Append(Print(s.Limit)).Append(')');
        if (s.Offset is not null) sb.Append(" (offset ").Append(Print(s.Offset)).Append(')');
        return sb.Append(')').ToString();
    }

    private static string Body(QueryBody b) => b switch
    {
        SelectCore c => Core(c),
        ValuesBody v => "(values " + string.Join(" ", v.Rows.Select(r => "[" + string.Join(" ", r.Select(Print)) + "]")) + ")",
        SetOperation o => $"({o.Op}{(o.All ? "-all" : "")} {Body(o.Left)} {Body(o.Right)})",
        NestedQuery n => Select(n.Query),
        _ => b.GetType().Name,
    };

    private static string Core(SelectCore c)
    {
        var sb = new StringBuilder("(select");
        if (c.Distinct) sb.Append(c.DistinctOn is null ? " distinct" : " (distinct-on " + string.Join(" ", c.DistinctOn.Select(Print)) + ")");
        sb.Append(" [").Append(string.Join(" ", c.Targets.Select(t => t.Alias is null ? Print(t.Expression) : $"(as {Print(t.Expression)} {t.Alias})"))).Append(']');
        if (c.From.Length > 0) sb.Append(" (from ").Append(string.Join(" ", c.From.Select(From))).Append(')');
        if (c.Where is not null) sb.Append(" (where ").Append(Print(c.Where)).Append(')');
        if (c.GroupBy.Length > 0) sb.Append(" (group-by ").Append(string.Join(" ", c.GroupBy.Select(Print))).Append(')');
        if (c.Having is not null) sb.Append(" (having ").Append(Print(c.Having)).Append(')');
        return sb.Append(')').ToString();
    }

    private static string From(FromItem f) => f switch
    {
        TableRef t => string.Join(".", t.Name) + AliasText(t.Alias, t.ColumnAliases),
        SubqueryRef s => (s.Lateral ? "(lateral " : "(") + Select(s.Query) + ")" + AliasText(s.Alias, s.ColumnAliases),
        FunctionRef r => Function(r.Call) + AliasText(r.Alias, r.ColumnAliases),
        Join j => $"({(j.Natural ? "natural-" : "")}{j.Kind.ToString().ToLowerInvariant()}-join {From(j.Left)} {From(j.Right)}"
            + (j.On is null ? "" : " (on " + Print(j.On) + ")") + (j.Using.Length > 0 ? " (using " + string.Join(" ", j.Using) + ")" : "") + ")",
        _ => f.GetType().Name,
    };

    private static string AliasText(string? alias, string[] columns) =>
        alias is null ? "" : " as " + alias + (columns.Length > 0 ? "(" + string.Join(",", columns) + ")" : "");

    private static string Order(OrderItem o) =>
        Print(o.Expression) + (o.Descending ? " desc" : "") + (o.NullsFirst is { } nf ? (nf ? " nulls-first" : " nulls-last") : "");
}
