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
public sealed record FuncCall(string[] Name, Expr[] Args, bool Distinct, bool StarArgument, OrderItem[] OrderBy, Expr? Filter) : Expr;

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
public sealed record SelectStmt(WithClause? With, QueryBody Body, OrderItem[] OrderBy, Expr? Limit, Expr? Offset) : Statement;

public sealed record WithClause(bool Recursive, CommonTableExpr[] Ctes);

public sealed record CommonTableExpr(string Name, string[] Columns, SelectStmt Query);

public abstract record QueryBody;

public sealed record SelectCore(bool Distinct, Expr[]? DistinctOn, Target[] Targets, FromItem[] From, Expr? Where, Expr[] GroupBy, Expr? Having) : QueryBody;

public sealed record ValuesBody(Expr[][] Rows) : QueryBody;

/// <summary>UNION / INTERSECT / EXCEPT [ALL]; INTERSECT binds tighter than the others.</summary>
public sealed record SetOperation(string Op, bool All, QueryBody Left, QueryBody Right) : QueryBody;

/// <summary>A parenthesized query used as a set-operation operand (it may carry its own ORDER BY and LIMIT).</summary>
public sealed record NestedQuery(SelectStmt Query) : QueryBody;

public abstract record FromItem;

public sealed record TableRef(string[] Name, string? Alias, string[] ColumnAliases) : FromItem;

public sealed record SubqueryRef(SelectStmt Query, string? Alias, string[] ColumnAliases, bool Lateral) : FromItem;

/// <summary>A set-returning function in FROM: <c>generate_series(1, 10) AS g(n)</c>.</summary>
public sealed record FunctionRef(FuncCall Call, string? Alias, string[] ColumnAliases) : FromItem;

public enum JoinKind : byte { Inner, Left, Right, Full, Cross }

public sealed record Join(JoinKind Kind, FromItem Left, FromItem Right, Expr? On, string[] Using, bool Natural) : FromItem;
