namespace Tusk.Sql.Parser;

/// <summary>An expression node. <see cref="Position"/> is the 0-based offset of its first token (for error messages).</summary>
public abstract record Expr
{
    public int Position { get; init; }
}

public enum LiteralKind : byte { Null, Boolean, Integer, Numeric, String }

/// <summary>A constant; <see cref="Text"/> keeps integers and numerics as written (the binder picks their type).</summary>
public sealed record Literal(LiteralKind Kind, string Text) : Expr;

/// <summary>A column reference, possibly qualified: <c>c</c>, <c>t.c</c>, <c>s.t.c</c>.</summary>
public sealed record ColumnRef(string[] Parts) : Expr;

/// <summary><c>*</c> or <c>t.*</c> in a select list.</summary>
public sealed record Star(string? Table) : Expr;

/// <summary><c>DEFAULT</c> as a value in INSERT ... VALUES or UPDATE ... SET: the column's default.</summary>
public sealed record DefaultValue : Expr;

/// <summary><c>$n</c>, 1-based.</summary>
public sealed record ParamRef(int Number) : Expr;

public sealed record Unary(string Op, Expr Operand) : Expr;

public sealed record Binary(string Op, Expr Left, Expr Right) : Expr;

/// <summary><c>x IS [NOT] NULL|TRUE|FALSE|UNKNOWN</c>.</summary>
public sealed record IsTest(Expr Operand, string What, bool Not) : Expr;

public sealed record IsDistinctFrom(Expr Left, Expr Right, bool Not) : Expr;

public sealed record Between(Expr Operand, Expr Low, Expr High, bool Not, bool Symmetric) : Expr;

public sealed record InList(Expr Operand, Expr[] Items, bool Not) : Expr;

public sealed record InSubquery(Expr Operand, SelectStmt Query, bool Not) : Expr;

/// <summary><c>x op ANY|ALL (subquery)</c>.</summary>
public sealed record Quantified(Expr Operand, string Op, string Quantifier, SelectStmt Query) : Expr;

public sealed record Exists(SelectStmt Query) : Expr;

/// <summary>A scalar subquery.</summary>
public sealed record Subquery(SelectStmt Query) : Expr;

/// <summary><c>x [NOT] LIKE|ILIKE pattern [ESCAPE e]</c>.</summary>
public sealed record Like(Expr Operand, Expr Pattern, Expr? Escape, bool CaseInsensitive, bool Not) : Expr;

/// <summary>A function call: <c>f(a, b)</c>, <c>count(*)</c>, <c>count(DISTINCT x)</c>, <c>string_agg(x, ',' ORDER BY y)</c>, <c>... FILTER (WHERE c)</c>.</summary>
public sealed record FuncCall(string[] Name, Expr[] Args, bool Distinct, bool StarArgument, OrderItem[] OrderBy, Expr? Filter) : Expr
{
    /// <summary>The window of a window function call (<c>f(x) OVER (...)</c>, <c>OVER w</c>); null for a plain call.</summary>
    public WindowSpec? Over { get; init; }
}

/// <summary>
/// A window: <c>[existing] [PARTITION BY ...] [ORDER BY ...] [frame]</c>, or a bare reference <c>OVER w</c> (only
/// <paramref name="RefName"/>, <paramref name="Bare"/> set).
/// </summary>
public sealed record WindowSpec(string? RefName, Expr[] PartitionBy, OrderItem[] OrderBy, WindowFrame? Frame, bool Bare = false);

/// <summary>
/// <c>{ROWS | RANGE | GROUPS} [BETWEEN] start [AND end] [EXCLUDE ...]</c>; without AND the end is CURRENT ROW.
/// <paramref name="Mode"/> is "rows", "range" or "groups"; <paramref name="Exclude"/> null or "current row", "group", "ties".
/// </summary>
public sealed record WindowFrame(string Mode, FrameBound Start, FrameBound End, string? Exclude);

public enum FrameBoundKind : byte { UnboundedPreceding, Preceding, CurrentRow, Following, UnboundedFollowing }

/// <summary>One end of a frame; <paramref name="Offset"/> for <c>n PRECEDING</c> and <c>n FOLLOWING</c>.</summary>
public sealed record FrameBound(FrameBoundKind Kind, Expr? Offset);

/// <summary><c>CAST(x AS t)</c>, <c>x::t</c>, or a typed literal <c>date '2024-01-01'</c>.</summary>
public sealed record Cast(Expr Operand, TypeName Type) : Expr;

public sealed record Case(Expr? Operand, (Expr When, Expr Then)[] Whens, Expr? Else) : Expr;

/// <summary>A type name with modifiers: <c>numeric(10,2)</c>, <c>varchar(20)</c>, <c>timestamp with time zone</c>, <c>int[]</c>.</summary>
public sealed record TypeName(string Name, int[] Modifiers, bool IsArray)
{
    public override string ToString() => Name + (Modifiers.Length > 0 ? "(" + string.Join(",", Modifiers) + ")" : "") + (IsArray ? "[]" : "");
}

public sealed record OrderItem(Expr Expression, bool Descending, bool? NullsFirst);

public sealed record Target(Expr Expression, string? Alias);

/// <summary>A statement.</summary>
public abstract record Statement
{
    public int Position { get; init; }
}

/// <summary>A query: WITH, a body (a select, VALUES, or set operations over them), ORDER BY, LIMIT, OFFSET.</summary>
public sealed record SelectStmt(WithClause? With, QueryBody Body, OrderItem[] OrderBy, Expr? Limit, Expr? Offset) : Statement
{
    /// <summary>FOR UPDATE / FOR SHARE ... clauses, in order (none for most queries).</summary>
    public LockingClause[] Locking { get; init; } = [];
}

/// <summary>
/// <c>FOR {UPDATE | NO KEY UPDATE | SHARE | KEY SHARE} [OF table, ...] [NOWAIT | SKIP LOCKED]</c>; no tables means
/// every table of the FROM clause. <paramref name="Wait"/> is "wait", "nowait" or "skip locked".
/// </summary>
public sealed record LockingClause(string Strength, string[] Tables, string Wait);

public sealed record WithClause(bool Recursive, CommonTableExpr[] Ctes);

public sealed record CommonTableExpr(string Name, string[] Columns, SelectStmt Query);

public abstract record QueryBody;

public sealed record SelectCore(bool Distinct, Expr[]? DistinctOn, Target[] Targets, FromItem[] From, Expr? Where, Expr[] GroupBy, Expr? Having) : QueryBody
{
    /// <summary>The WINDOW clause: named windows, in order (a later one may build on an earlier one).</summary>
    public (string Name, WindowSpec Spec)[] Windows { get; init; } = [];
}

public sealed record ValuesBody(Expr[][] Rows) : QueryBody;

/// <summary>UNION / INTERSECT / EXCEPT [ALL]; INTERSECT binds tighter than the others.</summary>
public sealed record SetOperation(string Op, bool All, QueryBody Left, QueryBody Right) : QueryBody;

/// <summary>A parenthesized query used as a set-operation operand (it may carry its own ORDER BY and LIMIT).</summary>
public sealed record NestedQuery(SelectStmt Query) : QueryBody;

public abstract record FromItem
{
    /// <summary>0-based offset of the item's first token (for "relation does not exist" errors).</summary>
    public int Position { get; init; }
}

public sealed record TableRef(string[] Name, string? Alias, string[] ColumnAliases) : FromItem;

public sealed record SubqueryRef(SelectStmt Query, string? Alias, string[] ColumnAliases, bool Lateral) : FromItem;

/// <summary>A set-returning function in FROM: <c>generate_series(1, 10) AS g(n)</c>.</summary>
public sealed record FunctionRef(FuncCall Call, string? Alias, string[] ColumnAliases) : FromItem
{
    /// <summary>Written with LATERAL (a function in FROM may read earlier FROM items either way).</summary>
    public bool Lateral { get; init; }
}

public enum JoinKind : byte { Inner, Left, Right, Full, Cross }

public sealed record Join(JoinKind Kind, FromItem Left, FromItem Right, Expr? On, string[] Using, bool Natural) : FromItem;

// ---- data modification ----

/// <summary><c>INSERT INTO t [(cols)] {VALUES ... | query | DEFAULT VALUES} [ON CONFLICT ...] [RETURNING ...]</c>.</summary>
public sealed record InsertStmt(WithClause? With, string[] Table, string? Alias, string[] Columns, SelectStmt? Source, OnConflict? OnConflict, Target[] Returning) : Statement;

/// <summary><c>ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET ... [WHERE ...]</c>.</summary>
public sealed record OnConflict(string[] Columns, bool DoNothing, SetClause[] Sets, Expr? Where);

public sealed record SetClause(string Column, Expr Value);

public sealed record UpdateStmt(WithClause? With, string[] Table, string? Alias, SetClause[] Sets, FromItem[] From, Expr? Where, Target[] Returning) : Statement;

public sealed record DeleteStmt(WithClause? With, string[] Table, string? Alias, FromItem[] Using, Expr? Where, Target[] Returning) : Statement;

// ---- definitions ----

/// <summary>A column definition with its inline constraints.</summary>
public sealed record ColumnDef(string Name, TypeName Type, bool NotNull, bool Nullable, Expr? Default, bool PrimaryKey, bool Unique, Expr? Check, string? Identity, ForeignKeyRef? References);

/// <summary>A table constraint: PRIMARY KEY (cols), UNIQUE (cols), CHECK (expr), FOREIGN KEY (cols) REFERENCES t (cols).</summary>
public sealed record TableConstraint(string? Name, string Kind, string[] Columns, Expr? Check, ForeignKeyRef? References);

/// <summary>
/// <c>REFERENCES t [(cols)] [ON DELETE action] [ON UPDATE action]</c>: no columns means the referenced table's primary
/// key; an action is "no action", "restrict", "cascade", "set null" or "set default".
/// </summary>
public sealed record ForeignKeyRef(string[] Table, string[] Columns, string OnDelete, string OnUpdate);

public sealed record CreateTableStmt(string[] Name, bool IfNotExists, ColumnDef[] Columns, TableConstraint[] Constraints, SelectStmt? AsQuery) : Statement;

/// <summary>DROP TABLE | INDEX | VIEW | SCHEMA [IF EXISTS] names [CASCADE | RESTRICT].</summary>
public sealed record DropStmt(string Kind, string[][] Names, bool IfExists, bool Cascade) : Statement;

public sealed record CreateIndexStmt(string? Name, bool Unique, bool IfNotExists, string[] Table, OrderItem[] Columns, Expr? Where) : Statement;

public sealed record CreateSchemaStmt(string Name, bool IfNotExists) : Statement;

public sealed record CreateViewStmt(string[] Name, bool OrReplace, string[] Columns, SelectStmt Query) : Statement;

public sealed record TruncateStmt(string[][] Tables, bool Cascade) : Statement;

/// <summary>ALTER TABLE t action: add/drop column, add constraint, rename table/column, alter column default/not null.</summary>
public sealed record AlterTableStmt(string[] Table, bool IfExists, AlterAction[] Actions) : Statement;

public abstract record AlterAction;

public sealed record AddColumn(ColumnDef Column, bool IfNotExists) : AlterAction;

public sealed record DropColumn(string Name, bool IfExists, bool Cascade) : AlterAction;

public sealed record AddConstraint(TableConstraint Constraint) : AlterAction;

public sealed record DropConstraint(string Name, bool IfExists) : AlterAction;

public sealed record RenameTable(string NewName) : AlterAction;

public sealed record RenameColumn(string Column, string NewName) : AlterAction;

/// <summary>ALTER COLUMN c SET DEFAULT e | DROP DEFAULT | SET NOT NULL | DROP NOT NULL | TYPE t.</summary>
public sealed record AlterColumn(string Column, string Change, Expr? Default, TypeName? Type) : AlterAction;

// ---- sessions and utilities ----

/// <summary>BEGIN / START TRANSACTION / COMMIT / ROLLBACK / SAVEPOINT / RELEASE / ROLLBACK TO, and SET TRANSACTION.</summary>
public sealed record TransactionStmt(string Kind, string? IsolationLevel, bool? ReadOnly, string? Savepoint) : Statement;

/// <summary>SET [SESSION | LOCAL] name {TO | =} value[, ...] | SET TIME ZONE v | RESET name.</summary>
public sealed record SetStmt(string Name, string[] Values, bool Local, bool Reset) : Statement;

public sealed record ShowStmt(string Name) : Statement;

public sealed record ExplainStmt(Statement Statement, bool Analyze, bool Verbose) : Statement;

/// <summary>COPY t [(cols)] FROM STDIN | TO STDOUT [WITH (FORMAT csv, HEADER, DELIMITER 'x', NULL 'x')], or COPY (query) TO STDOUT.</summary>
public sealed record CopyStmt(string[]? Table, string[] Columns, SelectStmt? Query, bool From, IReadOnlyDictionary<string, string> Options) : Statement;
