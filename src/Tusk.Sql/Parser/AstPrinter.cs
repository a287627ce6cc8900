using System.Text;

namespace Tusk.Sql.Parser;

/// <summary>Prints syntax trees as S-expressions: readable in golden files and EXPLAIN output, one form per node type.</summary>
public static class AstPrinter
{
    public static string Print(Statement statement) => statement switch
    {
        SelectStmt s => Select(s),
        InsertStmt i => "(insert " + WithText(i.With) + Name(i.Table) + (i.Alias is null ? "" : " as " + i.Alias)
            + (i.Columns.Length > 0 ? " (" + string.Join(" ", i.Columns) + ")" : "") + (i.Source is null ? " default-values" : " " + Select(i.Source))
            + (i.OnConflict is { } c ? " (on-conflict (" + string.Join(" ", c.Columns) + ")" + (c.DoNothing ? " do-nothing" : " (do-update " + Sets(c.Sets) + (c.Where is null ? "" : " (where " + Print(c.Where) + ")") + ")") + ")" : "")
            + Returning(i.Returning) + ")",
        UpdateStmt u => "(update " + WithText(u.With) + Name(u.Table) + (u.Alias is null ? "" : " as " + u.Alias) + " " + Sets(u.Sets)
            + (u.From.Length > 0 ? " (from " + string.Join(" ", u.From.Select(From)) + ")" : "") + (u.Where is null ? "" : " (where " + Print(u.Where) + ")") + Returning(u.Returning) + ")",
        DeleteStmt d => "(delete " + WithText(d.With) + Name(d.Table) + (d.Alias is null ? "" : " as " + d.Alias)
            + (d.Using.Length > 0 ? " (using " + string.Join(" ", d.Using.Select(From)) + ")" : "") + (d.Where is null ? "" : " (where " + Print(d.Where) + ")") + Returning(d.Returning) + ")",
        CreateTableStmt t => "(create-table " + (t.IfNotExists ? "if-not-exists " : "") + Name(t.Name)
            + string.Concat(t.Columns.Select(c => " " + Column(c))) + string.Concat(t.Constraints.Select(c => " " + Constraint(c)))
            + (t.AsQuery is null ? "" : " (as " + Select(t.AsQuery) + ")") + ")",
        DropStmt d => $"(drop-{d.Kind} {(d.IfExists ? "if-exists " : "")}{string.Join(" ", d.Names.Select(Name))}{(d.Cascade ? " cascade" : "")})",
        CreateIndexStmt i => $"(create-{(i.Unique ? "unique-" : "")}index {i.Name ?? "-"} {Name(i.Table)} [{string.Join(" ", i.Columns.Select(Order))}]"
            + (i.Where is null ? "" : " (where " + Print(i.Where) + ")") + ")",
        CreateSchemaStmt c => $"(create-schema {(c.IfNotExists ? "if-not-exists " : "")}{c.Name})",
        CreateViewStmt v => $"(create-{(v.OrReplace ? "or-replace-" : "")}view {Name(v.Name)} {Select(v.Query)})",
        TruncateStmt t => $"(truncate {string.Join(" ", t.Tables.Select(Name))}{(t.Cascade ? " cascade" : "")})",
        AlterTableStmt a => $"(alter-table {Name(a.Table)} {string.Join(" ", a.Actions.Select(Action))})",
        TransactionStmt t => $"({t.Kind}" + (t.IsolationLevel is null ? "" : " isolation=" + t.IsolationLevel) + (t.ReadOnly is { } ro ? (ro ? " read-only" : " read-write") : "")
            + (t.Savepoint is null ? "" : " " + t.Savepoint) + ")",
        SetStmt s => s.Reset ? $"(reset {s.Name})" : $"(set{(s.Local ? "-local" : "")} {s.Name} [{string.Join(" ", s.Values)}])",
        ShowStmt s => $"(show {s.Name})",
        ExplainStmt e => $"(explain{(e.Analyze ? " analyze" : "")} {Print(e.Statement)})",
        CopyStmt c => $"(copy {(c.Table is null ? Select(c.Query!) : Name(c.Table))}" + (c.Columns.Length > 0 ? " (" + string.Join(" ", c.Columns) + ")" : "")
            + (c.From ? " from-stdin" : " to-stdout") + string.Concat(c.Options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $" {o.Key}={o.Value}")) + ")",
        _ => statement.GetType().Name,
    };

    private static string Name(string[] parts) => string.Join(".", parts);

    private static string WithText(WithClause? w) => w is null ? "" : (w.Recursive ? "(with-recursive" : "(with")
        + string.Concat(w.Ctes.Select(c => $" ({c.Name}{(c.Columns.Length > 0 ? "(" + string.Join(",", c.Columns) + ")" : "")} {Select(c.Query)})")) + ") ";

    private static string Sets(SetClause[] sets) => "(set " + string.Join(" ", sets.Select(s => $"({s.Column} {Print(s.Value)})")) + ")";

    private static string Returning(Target[] targets) =>
        targets.Length == 0 ? "" : " (returning " + string.Join(" ", targets.Select(t => t.Alias is null ? Print(t.Expression) : $"(as {Print(t.Expression)} {t.Alias})")) + ")";

    private static string Column(ColumnDef c)
    {
        var parts = new List<string> { c.Name, c.Type.ToString() };
        if (c.NotNull) parts.Add("not-null");
        if (c.PrimaryKey) parts.Add("primary-key");
        if (c.Unique) parts.Add("unique");
        if (c.Default is not null) parts.Add("(default " + Print(c.Default) + ")");
        if (c.Check is not null) parts.Add("(check " + Print(c.Check) + ")");
        if (c.Identity is not null) parts.Add("(identity " + c.Identity + ")");
        if (c.References is not null) parts.Add(References(c.References));
        return "(column " + string.Join(" ", parts) + ")";
    }

    private static string Constraint(TableConstraint c) =>
        $"({c.Kind.Replace(' ', '-')}{(c.Name is null ? "" : " " + c.Name)}" + (c.Columns.Length > 0 ? " (" + string.Join(" ", c.Columns) + ")" : "")
        + (c.Check is null ? "" : " " + Print(c.Check)) + (c.References is null ? "" : " " + References(c.References)) + ")";

    private static string References(ForeignKeyRef r) =>
        "(references " + Name(r.Table) + (r.Columns.Length > 0 ? " (" + string.Join(" ", r.Columns) + ")" : "")
        + (r.OnDelete == "no action" ? "" : " on-delete-" + r.OnDelete.Replace(' ', '-'))
        + (r.OnUpdate == "no action" ? "" : " on-update-" + r.OnUpdate.Replace(' ', '-')) + ")";

    private static string Action(AlterAction a) => a switch
    {
        AddColumn c => "(add " + Column(c.Column) + ")",
        DropColumn d => $"(drop-column {d.Name}{(d.IfExists ? " if-exists" : "")}{(d.Cascade ? " cascade" : "")})",
        AddConstraint c => "(add " + Constraint(c.Constraint) + ")",
        DropConstraint d => $"(drop-constraint {d.Name})",
        RenameTable r => $"(rename-to {r.NewName})",
        RenameColumn r => $"(rename-column {r.Column} {r.NewName})",
        AlterColumn c => $"(alter-column {c.Column} {c.Change}" + (c.Default is null ? "" : " " + Print(c.Default)) + (c.Type is null ? "" : " " + c.Type) + ")",
        _ => a.GetType().Name,
    };

    public static string Print(Expr e) => e switch
    {
        Literal { Kind: LiteralKind.String } l => "'" + l.Text.Replace("'", "''", StringComparison.Ordinal) + "'",
        Literal l => l.Text,
        ColumnRef c => string.Join(".", c.Parts),
        Star s => s.Table is null ? "*" : s.Table + ".*",
        ParamRef p => "$" + p.Number,
        DefaultValue => "default",
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
        if (f.Over is not null) sb.Append(" (over ").Append(Window(f.Over)).Append(')');
        return sb.Append(')').ToString();
    }

    private static string Window(WindowSpec w)
    {
        if (w.Bare) return w.RefName!;
        var parts = new List<string>();
        if (w.RefName is not null) parts.Add(w.RefName);
        if (w.PartitionBy.Length > 0) parts.Add("(partition-by " + string.Join(" ", w.PartitionBy.Select(Print)) + ")");
        if (w.OrderBy.Length > 0) parts.Add("(order-by " + string.Join(" ", w.OrderBy.Select(Order)) + ")");
        if (w.Frame is { } f)
        {
            parts.Add($"({f.Mode} {Bound(f.Start)} {Bound(f.End)}" + (f.Exclude is null ? "" : " exclude-" + f.Exclude.Replace(' ', '-')) + ")");
        }
        return "(" + string.Join(" ", parts) + ")";
    }

    private static string Bound(FrameBound b) => b.Kind switch
    {
        FrameBoundKind.UnboundedPreceding => "unbounded-preceding",
        FrameBoundKind.Preceding => $"({Print(b.Offset!)} preceding)",
        FrameBoundKind.CurrentRow => "current-row",
        FrameBoundKind.Following => $"({Print(b.Offset!)} following)",
        _ => "unbounded-following",
    };

    private static string Select(SelectStmt s)
    {
        var sb = new StringBuilder("(query");
        if (s.With is not null) sb.Append(' ').Append(WithText(s.With).TrimEnd());
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
        if (c.Windows.Length > 0) sb.Append(" (window ").Append(string.Join(" ", c.Windows.Select(w => $"({w.Name} {Window(w.Spec)})"))).Append(')');
        return sb.Append(')').ToString();
    }

    private static string From(FromItem f) => f switch
    {
        TableRef t => string.Join(".", t.Name) + AliasText(t.Alias, t.ColumnAliases),
        SubqueryRef s => (s.Lateral ? "(lateral " : "(") + Select(s.Query) + ")" + AliasText(s.Alias, s.ColumnAliases),
        FunctionRef r => (r.Lateral ? "lateral " : "") + Function(r.Call) + AliasText(r.Alias, r.ColumnAliases),
        Join j => $"({(j.Natural ? "natural-" : "")}{j.Kind.ToString().ToLowerInvariant()}-join {From(j.Left)} {From(j.Right)}"
            + (j.On is null ? "" : " (on " + Print(j.On) + ")") + (j.Using.Length > 0 ? " (using " + string.Join(" ", j.Using) + ")" : "") + ")",
        _ => f.GetType().Name,
    };

    private static string AliasText(string? alias, string[] columns) =>
        alias is null ? "" : " as " + alias + (columns.Length > 0 ? "(" + string.Join(",", columns) + ")" : "");

    private static string Order(OrderItem o) =>
        Print(o.Expression) + (o.Descending ? " desc" : "") + (o.NullsFirst is { } nf ? (nf ? " nulls-first" : " nulls-last") : "");
}
