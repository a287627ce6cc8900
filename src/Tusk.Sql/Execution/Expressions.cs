using System.Text;
using Tusk.Sql.Functions;
using Tusk.Sql.Types;

namespace Tusk.Sql.Execution;

/// <summary>
/// A bound, typed expression evaluated against a row (the output of the plan node below it). Three-valued logic:
/// a boolean expression yields true, false or null.
/// </summary>
internal abstract class BExpr
{
    public SqlType Type { get; protected init; } = SqlType.Unknown;

    public abstract object? Eval(ExecContext ctx, object?[] row);

    /// <summary>Children, for analysis (which columns an expression reads, whether it is constant).</summary>
    public virtual IEnumerable<BExpr> Children => [];

    /// <summary>A copy with each child replaced by <paramref name="f"/>(child) (bottom-up rewrites use this).</summary>
    public virtual BExpr WithChildren(Func<BExpr, BExpr> f) => this;

    /// <summary>True when the value does not depend on the row, outer rows, or volatile functions (parameters allowed).</summary>
    public virtual bool IsRowIndependent => Children.All(c => c.IsRowIndependent);

    public abstract void Explain(StringBuilder sb);

    public override string ToString()
    {
        var sb = new StringBuilder();
        Explain(sb);
        return sb.ToString();
    }

    /// <summary>Evaluates a predicate: only true counts.</summary>
    public bool IsTrue(ExecContext ctx, object?[] row) => Eval(ctx, row) is true;

    public void Walk(Action<BExpr> visit)
    {
        visit(this);
        foreach (var c in Children) c.Walk(visit);
    }

    public BExpr Rewrite(Func<BExpr, BExpr?> f) => f(this) ?? WithChildren(c => c.Rewrite(f));
}

/// <summary>An operator over two operands: their shape (children, EXPLAIN's "(left op right)") is shared.</summary>
internal abstract class BinaryExpr : BExpr
{
    protected BinaryExpr(BExpr left, BExpr right, SqlType type)
    {
        Left = left;
        Right = right;
        Type = type;
    }

    public BExpr Left { get; }

    public BExpr Right { get; }

    /// <summary>The operator as EXPLAIN prints it between the operands, spaces included.</summary>
    protected abstract string OperatorText { get; }

    public override IEnumerable<BExpr> Children => [Left, Right];

    public override void Explain(StringBuilder sb)
    {
        sb.Append('(');
        Left.Explain(sb);
        sb.Append(OperatorText);
        Right.Explain(sb);
        sb.Append(')');
    }
}

internal sealed class ConstExpr : BExpr
{
    public ConstExpr(object? value, SqlType type)
    {
        Value = value;
        Type = type;
    }

    public object? Value { get; }

    public override object? Eval(ExecContext ctx, object?[] row) => Value;

    public override bool IsRowIndependent => true;

    public override void Explain(StringBuilder sb)
    {
        if (Value is null) sb.Append("NULL");
        else if (Value is string s) sb.Append('\'').Append(s.Replace("'", "''")).Append('\'');
        else sb.Append(TextFormat.Format(Value, Type));
        if (Type.Id is not (SqlTypeId.Int4 or SqlTypeId.Bool or SqlTypeId.Unknown or SqlTypeId.Text)) sb.Append("::").Append(Type.Name);
    }
}

internal sealed class ParamExpr : BExpr
{
    public ParamExpr(int index, SqlType type)
    {
        Index = index;
        Type = type;
    }

    public int Index { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        if (Index >= ctx.Parameters.Count) throw new SqlException("08P01", $"there is no parameter ${Index + 1}");
        return ctx.Parameters[Index];
    }

    public override bool IsRowIndependent => true;

    public override void Explain(StringBuilder sb) => sb.Append('$').Append(Index + 1);
}

internal sealed class ColumnExpr : BExpr
{
    public ColumnExpr(int index, SqlType type, string name)
    {
        Index = index;
        Type = type;
        Name = name;
    }

    public int Index { get; }

    public string Name { get; }

    public override object? Eval(ExecContext ctx, object?[] row) => row[Index];

    public override bool IsRowIndependent => false;

    public override void Explain(StringBuilder sb) => sb.Append(Name);
}

/// <summary>A column of an enclosing query's row (correlated subqueries).</summary>
internal sealed class OuterColumnExpr : BExpr
{
    public OuterColumnExpr(int depth, int index, SqlType type, string name)
    {
        Depth = depth;
        Index = index;
        Type = type;
        Name = name;
    }

    public int Depth { get; }

    public int Index { get; }

    public string Name { get; }

    public override object? Eval(ExecContext ctx, object?[] row) => ctx.Outer(Depth)[Index];

    public override bool IsRowIndependent => false;

    public override void Explain(StringBuilder sb) => sb.Append(Name);
}

internal sealed class CastExpr : BExpr
{
    public CastExpr(BExpr operand, SqlType type)
    {
        Operand = operand;
        Type = type;
    }

    public BExpr Operand { get; }

    public override object? Eval(ExecContext ctx, object?[] row) => Values.Cast(Operand.Eval(ctx, row), Operand.Type, Type);

    public override IEnumerable<BExpr> Children => [Operand];

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new CastExpr(f(Operand), Type);

    public override void Explain(StringBuilder sb)
    {
        sb.Append('(');
        Operand.Explain(sb);
        sb.Append(")::").Append(Type.Name);
    }
}

internal sealed class ArithExpr(char op, BExpr left, BExpr right, SqlType type) : BinaryExpr(left, right, type)
{
    public char Op { get; } = op;

    protected override string OperatorText => " " + Op + " ";

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var l = Left.Eval(ctx, row);
        if (l is null) return null;
        var r = Right.Eval(ctx, row);
        if (r is null) return null;
        return Values.Arithmetic(Op, l, r, Type.Id);
    }

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new ArithExpr(Op, f(Left), f(Right), Type);
}

internal sealed class NegateExpr : BExpr
{
    public NegateExpr(BExpr operand)
    {
        Operand = operand;
        Type = operand.Type;
    }

    public BExpr Operand { get; }

    public override object? Eval(ExecContext ctx, object?[] row) => Operand.Eval(ctx, row) is { } v ? Values.Negate(v, Type.Id) : null;

    public override IEnumerable<BExpr> Children => [Operand];

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new NegateExpr(f(Operand));

    public override void Explain(StringBuilder sb)
    {
        sb.Append("(- ");
        Operand.Explain(sb);
        sb.Append(')');
    }
}

internal sealed class CompareExpr(string op, BExpr left, BExpr right) : BinaryExpr(left, right, SqlType.Bool)
{
    public string Op { get; } = op;

    protected override string OperatorText => " " + Op + " ";

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var l = Left.Eval(ctx, row);
        if (l is null) return null;
        var r = Right.Eval(ctx, row);
        if (r is null) return null;
        return Test(Op, Values.Compare(l, r));
    }

    public static bool Test(string op, int c) => op switch
    {
        "=" => c == 0,
        "<>" or "!=" => c != 0,
        "<" => c < 0,
        "<=" => c <= 0,
        ">" => c > 0,
        ">=" => c >= 0,
        _ => throw new InvalidOperationException(op),
    };

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new CompareExpr(Op, f(Left), f(Right));
}

internal sealed class AndExpr(BExpr left, BExpr right) : BinaryExpr(left, right, SqlType.Bool)
{
    protected override string OperatorText => " AND ";

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var l = Left.Eval(ctx, row);
        if (l is false) return false;
        var r = Right.Eval(ctx, row);
        if (r is false) return false;
        return l is null || r is null ? null : true;
    }

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new AndExpr(f(Left), f(Right));
}

internal sealed class OrExpr(BExpr left, BExpr right) : BinaryExpr(left, right, SqlType.Bool)
{
    protected override string OperatorText => " OR ";

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var l = Left.Eval(ctx, row);
        if (l is true) return true;
        var r = Right.Eval(ctx, row);
        if (r is true) return true;
        return l is null || r is null ? null : false;
    }

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new OrExpr(f(Left), f(Right));
}

internal sealed class NotExpr : BExpr
{
    public NotExpr(BExpr operand)
    {
        Operand = operand;
        Type = SqlType.Bool;
    }

    public BExpr Operand { get; }

    public override object? Eval(ExecContext ctx, object?[] row) => Operand.Eval(ctx, row) is bool b ? !b : null;

    public override IEnumerable<BExpr> Children => [Operand];

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new NotExpr(f(Operand));

    public override void Explain(StringBuilder sb)
    {
        sb.Append("(NOT ");
        Operand.Explain(sb);
        sb.Append(')');
    }
}

/// <summary>IS [NOT] NULL / TRUE / FALSE / UNKNOWN.</summary>
internal sealed class IsExpr : BExpr
{
    public IsExpr(BExpr operand, string what, bool not)
    {
        Operand = operand;
        What = what;
        Not = not;
        Type = SqlType.Bool;
    }

    public BExpr Operand { get; }
    public string What { get; }
    public bool Not { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var v = Operand.Eval(ctx, row);
        var r = What switch
        {
            "NULL" or "UNKNOWN" => v is null,
            "TRUE" => v is true,
            "FALSE" => v is false,
            _ => throw new InvalidOperationException(What),
        };
        return r != Not;
    }

    public override IEnumerable<BExpr> Children => [Operand];

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new IsExpr(f(Operand), What, Not);

    public override void Explain(StringBuilder sb)
    {
        sb.Append('(');
        Operand.Explain(sb);
        sb.Append(Not ? " IS NOT " : " IS ").Append(What).Append(')');
    }
}

internal sealed class DistinctFromExpr(BExpr left, BExpr right, bool not) : BinaryExpr(left, right, SqlType.Bool)
{
    public bool Not { get; } = not;

    protected override string OperatorText => Not ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ";

    public override object? Eval(ExecContext ctx, object?[] row) => Values.ValueEquals(Left.Eval(ctx, row), Right.Eval(ctx, row)) == Not;

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new DistinctFromExpr(f(Left), f(Right), Not);
}

internal sealed class CaseExpr : BExpr
{
    public CaseExpr(BExpr? operand, (BExpr When, BExpr Then)[] whens, BExpr? @else, SqlType type)
    {
        Operand = operand;
        Whens = whens;
        Else = @else;
        Type = type;
    }

    public BExpr? Operand { get; }
    public (BExpr When, BExpr Then)[] Whens { get; }
    public BExpr? Else { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        if (Operand is null)
        {
            foreach (var (when, then) in Whens)
            {
                if (when.Eval(ctx, row) is true) return then.Eval(ctx, row);
            }
        }
        else
        {
            var v = Operand.Eval(ctx, row);
            if (v is not null)
            {
                foreach (var (when, then) in Whens)
                {
                    var w = when.Eval(ctx, row);
                    if (w is not null && Values.Compare(v, w) == 0) return then.Eval(ctx, row);
                }
            }
        }
        return Else?.Eval(ctx, row);
    }

    public override IEnumerable<BExpr> Children
    {
        get
        {
            if (Operand is not null) yield return Operand;
            foreach (var (w, t) in Whens)
            {
                yield return w;
                yield return t;
            }
            if (Else is not null) yield return Else;
        }
    }

    public override BExpr WithChildren(Func<BExpr, BExpr> f) =>
        new CaseExpr(Operand is null ? null : f(Operand), Whens.Select(w => (f(w.When), f(w.Then))).ToArray(), Else is null ? null : f(Else), Type);

    public override void Explain(StringBuilder sb)
    {
        sb.Append("CASE");
        if (Operand is not null)
        {
            sb.Append(' ');
            Operand.Explain(sb);
        }
        foreach (var (w, t) in Whens)
        {
            sb.Append(" WHEN ");
            w.Explain(sb);
            sb.Append(" THEN ");
            t.Explain(sb);
        }
        if (Else is not null)
        {
            sb.Append(" ELSE ");
            Else.Explain(sb);
        }
        sb.Append(" END");
    }
}

/// <summary>COALESCE, GREATEST, LEAST, NULLIF: small variadic forms with their own NULL rules.</summary>
internal sealed class VariadicExpr : BExpr
{
    public VariadicExpr(string name, BExpr[] args, SqlType type)
    {
        Name = name;
        Args = args;
        Type = type;
    }

    public string Name { get; }
    public BExpr[] Args { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        switch (Name)
        {
            case "coalesce":
                foreach (var a in Args)
                {
                    if (a.Eval(ctx, row) is { } v) return v;
                }
                return null;
            case "nullif":
            {
                var a = Args[0].Eval(ctx, row);
                var b = Args[1].Eval(ctx, row);
                return a is not null && b is not null && Values.Compare(a, b) == 0 ? null : a;
            }
            default:
            {
                object? best = null;
                foreach (var a in Args)
                {
                    var v = a.Eval(ctx, row);
                    if (v is null) continue;
                    if (best is null || (Name == "greatest" ? Values.Compare(v, best) > 0 : Values.Compare(v, best) < 0)) best = v;
                }
                return best;
            }
        }
    }

    public override IEnumerable<BExpr> Children => Args;

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new VariadicExpr(Name, Args.Select(f).ToArray(), Type);

    public override void Explain(StringBuilder sb)
    {
        sb.Append(Name.ToUpperInvariant()).Append('(');
        for (var i = 0; i < Args.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            Args[i].Explain(sb);
        }
        sb.Append(')');
    }
}

/// <summary>x [NOT] IN (list): true if any equal, else null if x or any item is null, else false.</summary>
internal sealed class InListExpr : BExpr
{
    public InListExpr(BExpr operand, BExpr[] items, bool not)
    {
        Operand = operand;
        Items = items;
        Not = not;
        Type = SqlType.Bool;
    }

    public BExpr Operand { get; }
    public BExpr[] Items { get; }
    public bool Not { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var v = Operand.Eval(ctx, row);
        if (v is null) return null;
        var sawNull = false;
        foreach (var item in Items)
        {
            var x = item.Eval(ctx, row);
            if (x is null)
            {
                sawNull = true;
                continue;
            }
            if (Values.Compare(v, x) == 0) return !Not;
        }
        return sawNull ? null : Not;
    }

    public override IEnumerable<BExpr> Children => [Operand, .. Items];

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new InListExpr(f(Operand), Items.Select(f).ToArray(), Not);

    public override void Explain(StringBuilder sb)
    {
        sb.Append('(');
        Operand.Explain(sb);
        sb.Append(Not ? " NOT IN (" : " IN (");
        for (var i = 0; i < Items.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            Items[i].Explain(sb);
        }
        sb.Append("))");
    }
}

internal sealed class LikeExpr : BExpr
{
    public LikeExpr(BExpr operand, BExpr pattern, BExpr? escape, bool caseInsensitive, bool not)
    {
        Operand = operand;
        Pattern = pattern;
        Escape = escape;
        CaseInsensitive = caseInsensitive;
        Not = not;
        Type = SqlType.Bool;
    }

    public BExpr Operand { get; }
    public BExpr Pattern { get; }
    public BExpr? Escape { get; }
    public bool CaseInsensitive { get; }
    public bool Not { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        if (Operand.Eval(ctx, row) is not string s) return null;
        if (Pattern.Eval(ctx, row) is not string p) return null;
        string? escape = null;
        if (Escape is not null)
        {
            if (Escape.Eval(ctx, row) is not string e) return null;
            escape = e;
        }
        return Values.Wrap(() => LikePattern.Matches(s, p, escape, CaseInsensitive)) != Not;
    }

    public override IEnumerable<BExpr> Children => Escape is null ? [Operand, Pattern] : [Operand, Pattern, Escape];

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new LikeExpr(f(Operand), f(Pattern), Escape is null ? null : f(Escape), CaseInsensitive, Not);

    public override void Explain(StringBuilder sb)
    {
        sb.Append('(');
        Operand.Explain(sb);
        sb.Append(Not ? " NOT" : "").Append(CaseInsensitive ? " ILIKE " : " LIKE ");
        Pattern.Explain(sb);
        sb.Append(')');
    }
}

/// <summary>text || text (either side may be any type cast to text; NULL yields NULL).</summary>
internal sealed class ConcatExpr(BExpr left, BExpr right) : BinaryExpr(left, right, SqlType.Text)
{
    protected override string OperatorText => " || ";

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var l = Left.Eval(ctx, row);
        if (l is null) return null;
        var r = Right.Eval(ctx, row);
        if (r is null) return null;
        return Values.ToText(l, Left.Type) + Values.ToText(r, Right.Type);
    }

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new ConcatExpr(f(Left), f(Right));
}

/// <summary>A call of a built-in scalar function or operator.</summary>
internal sealed class FuncExpr : BExpr
{
    public FuncExpr(ScalarFunction function, BExpr[] args, string display)
    {
        Function = function;
        Args = args;
        Display = display;
        Type = function.ReturnType;
    }

    public ScalarFunction Function { get; }
    public BExpr[] Args { get; }
    public string Display { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var values = new object?[Args.Length];
        for (var i = 0; i < Args.Length; i++)
        {
            values[i] = Args[i].Eval(ctx, row);
            if (values[i] is null && Function.Strict) return null;
        }
        try
        {
            return Function.Invoke(values, ctx.Functions);
        }
        catch (SqlDataException e)
        {
            throw e.ToSqlException();
        }
    }

    public override bool IsRowIndependent => !Function.Volatile && base.IsRowIndependent;

    public override IEnumerable<BExpr> Children => Args;

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new FuncExpr(Function, Args.Select(f).ToArray(), Display);

    public override void Explain(StringBuilder sb)
    {
        sb.Append(Display).Append('(');
        for (var i = 0; i < Args.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            Args[i].Explain(sb);
        }
        sb.Append(')');
    }
}

/// <summary>
/// An expression computed by a delegate (session functions such as current_user, now, nextval).
/// rowIndependent: its value depends only on its arguments, so it may be folded at bind time.
/// Otherwise it reads the session or statement (now(), current_user: the same all statement long, so usable as a
/// key bound) or, when isVolatile, changes state or value per call (nextval, set_config).
/// </summary>
internal sealed class DelegateExpr : BExpr
{
    private readonly Func<ExecContext, object?[], object?> _eval;

    public DelegateExpr(string display, SqlType type, BExpr[] args, Func<ExecContext, object?[], object?> eval, bool rowIndependent, bool isVolatile = false)
    {
        Display = display;
        Type = type;
        Args = args;
        _eval = eval;
        RowIndependent = rowIndependent && !isVolatile;
        Volatile = isVolatile;
    }

    public string Display { get; }
    public BExpr[] Args { get; }
    public bool RowIndependent { get; }
    public bool Volatile { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var values = new object?[Args.Length];
        for (var i = 0; i < Args.Length; i++) values[i] = Args[i].Eval(ctx, row);
        return _eval(ctx, values);
    }

    public override bool IsRowIndependent => RowIndependent && base.IsRowIndependent;

    public override IEnumerable<BExpr> Children => Args;

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new DelegateExpr(Display, Type, Args.Select(f).ToArray(), _eval, RowIndependent, Volatile);

    public override void Explain(StringBuilder sb)
    {
        sb.Append(Display).Append('(');
        for (var i = 0; i < Args.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            Args[i].Explain(sb);
        }
        sb.Append(')');
    }
}

internal enum SubqueryKind : byte
{
    Scalar,
    Exists,
    In,
    Any,
    All,
}

/// <summary>
/// A subquery in an expression. Correlated ones run per outer row with that row pushed on the outer stack;
/// uncorrelated ones run once per execution (their result is cached in the context).
/// </summary>
internal sealed class SubqueryExpr : BExpr
{
    public SubqueryExpr(SubqueryKind kind, PlanNode plan, bool correlated, BExpr? operand, string op, bool not, SqlType type)
    {
        Kind = kind;
        Plan = plan;
        Correlated = correlated;
        Operand = operand;
        Op = op;
        Not = not;
        Type = type;
    }

    public SubqueryKind Kind { get; }
    public PlanNode Plan { get; }
    public bool Correlated { get; }
    public BExpr? Operand { get; }
    public string Op { get; }
    public bool Not { get; }

    private List<object?[]> Rows(ExecContext ctx, object?[] row, int limit) => RunRows(ctx, this, Plan, Correlated, row, limit);

    /// <summary>
    /// A subquery's rows with <paramref name="row"/> as its outer row: computed once per execution when uncorrelated
    /// (cached under <paramref name="owner"/>), else per outer row and at most <paramref name="limit"/> of them.
    /// </summary>
    internal static List<object?[]> RunRows(ExecContext ctx, BExpr owner, PlanNode plan, bool correlated, object?[] row, int limit = int.MaxValue)
    {
        if (!correlated && ctx.Cache.TryGetValue(owner, out var cached)) return (List<object?[]>)cached;
        ctx.PushOuter(row);
        var rows = new List<object?[]>();
        try
        {
            foreach (var r in plan.Run(ctx))
            {
                rows.Add(r);
                if (rows.Count >= limit && correlated) break;
            }
        }
        finally
        {
            ctx.PopOuter();
        }
        if (!correlated) ctx.Cache[owner] = rows;
        return rows;
    }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        switch (Kind)
        {
            case SubqueryKind.Scalar:
            {
                var rows = Rows(ctx, row, 2);
                if (rows.Count > 1) throw new SqlException("21000", "more than one row returned by a subquery used as an expression");
                return rows.Count == 0 ? null : rows[0][0];
            }
            case SubqueryKind.Exists:
                return Rows(ctx, row, 1).Count > 0;
            default:
            {
                var v = Operand!.Eval(ctx, row);
                var rows = Rows(ctx, row, int.MaxValue);
                if (rows.Count == 0) return Kind == SubqueryKind.All || Kind == SubqueryKind.In && Not;
                if (v is null) return null;
                var op = Kind == SubqueryKind.In ? "=" : Op;
                var sawNull = false;
                foreach (var r in rows)
                {
                    var x = r[0];
                    if (x is null)
                    {
                        sawNull = true;
                        continue;
                    }
                    var t = CompareExpr.Test(op, Values.Compare(v, x));
                    if (Kind == SubqueryKind.All)
                    {
                        if (!t) return false;
                    }
                    else if (t)
                    {
                        return !Not;
                    }
                }
                if (sawNull) return null;
                return Kind == SubqueryKind.All || Not;
            }
        }
    }

    public override bool IsRowIndependent => false;

    public override IEnumerable<BExpr> Children => Operand is null ? [] : [Operand];

    public override BExpr WithChildren(Func<BExpr, BExpr> f) => new SubqueryExpr(Kind, Plan, Correlated, Operand is null ? null : f(Operand), Op, Not, Type);

    public override void Explain(StringBuilder sb)
    {
        if (Operand is not null)
        {
            Operand.Explain(sb);
            sb.Append(Kind == SubqueryKind.In ? (Not ? " NOT IN " : " IN ") : $" {Op} {Kind.ToString().ToUpperInvariant()} ");
        }
        sb.Append(Kind == SubqueryKind.Exists ? "EXISTS(SubPlan)" : "(SubPlan)");
    }
}
