using System.Globalization;
using Tusk.Sql.Execution;
using Tusk.Sql.Functions;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Planning;

/// <summary>Binding of expressions: names to columns, types (PostgreSQL's resolution rules), functions and operators.</summary>
internal sealed partial class Planner
{
    public BExpr BindExpr(Expr e, Scope scope)
    {
        if (scope.Hook is not null && scope.Hook(e) is { } hooked) return hooked;
        switch (e)
        {
            case Literal lit:
                return BindLiteral(lit);
            case ColumnRef c:
                return BindColumn(c, scope);
            case ParamRef p:
                return BindParam(p);
            case Parser.Cast cast:
            {
                if ((cast.Type.IsArray || SqlType.FromName(cast.Type.Name, cast.Type.Modifiers) is null) && VirtualCatalog?.BindCast(BindExpr(cast.Operand, scope), cast.Type, this) is { } catalogCast)
                {
                    return catalogCast;
                }
                var type = ResolveType(cast.Type, cast.Position);
                return Coerce(BindExpr(cast.Operand, scope), type, explicitCast: true, cast.Position);
            }
            case Unary u:
                return BindUnary(u, scope);
            case Binary b:
                return BindBinary(b, scope);
            case IsTest t:
            {
                var operand = BindExpr(t.Operand, scope);
                if (t.What != "null") operand = Coerce(operand, SqlType.Bool, false, t.Position);
                return new IsExpr(operand, t.What.ToUpperInvariant(), t.Not);
            }
            case IsDistinctFrom d:
            {
                var (l, r) = Unify(BindExpr(d.Left, scope), BindExpr(d.Right, scope), d.Position, "IS DISTINCT FROM");
                return new DistinctFromExpr(l, r, d.Not);
            }
            case Between b:
            {
                var operand = BindExpr(b.Operand, scope);
                var (lo1, low) = Unify(operand, BindExpr(b.Low, scope), b.Position, ">=");
                var (hi1, high) = Unify(operand, BindExpr(b.High, scope), b.Position, "<=");
                BExpr test = new AndExpr(new CompareExpr(">=", lo1, low), new CompareExpr("<=", hi1, high));
                if (b.Symmetric) test = new OrExpr(test, new AndExpr(new CompareExpr(">=", lo1, high), new CompareExpr("<=", hi1, low)));
                return b.Not ? new NotExpr(test) : test;
            }
            case InList list:
            {
                var operand = BindExpr(list.Operand, scope);
                var items = list.Items.Select(i => BindExpr(i, scope)).ToList();
                var type = Unmodified(CommonType([operand, .. items], list.Position, "IN"));
                return new InListExpr(Coerce(operand, type, false, list.Position), items.Select(i => Coerce(i, type, false, list.Position)).ToArray(), list.Not);
            }
            case InSubquery sub:
                return BindSubquery(SubqueryKind.In, sub.Query, scope, sub.Operand, "=", sub.Not, sub.Position);
            case Quantified q:
                return BindSubquery(q.Quantifier.Equals("all", StringComparison.OrdinalIgnoreCase) ? SubqueryKind.All : SubqueryKind.Any, q.Query, scope, q.Operand, q.Op, false, q.Position);
            case Exists ex:
                return BindSubquery(SubqueryKind.Exists, ex.Query, scope, null, "", false, ex.Position);
            case Subquery s:
                return BindSubquery(SubqueryKind.Scalar, s.Query, scope, null, "", false, s.Position);
            case Like like:
            {
                var operand = Coerce(BindExpr(like.Operand, scope), SqlType.Text, false, like.Position);
                var pattern = Coerce(BindExpr(like.Pattern, scope), SqlType.Text, false, like.Position);
                var escape = like.Escape is null ? null : Coerce(BindExpr(like.Escape, scope), SqlType.Text, false, like.Position);
                return new LikeExpr(operand, pattern, escape, like.CaseInsensitive, like.Not);
            }
            case FuncCall f:
                return BindFunction(f, scope);
            case Case c:
                return BindCase(c, scope);
            case Star s:
                throw new SqlException("42601", "\"*\" is not allowed here", s.Position);
            case DefaultValue d:
                throw new SqlException("42601", "DEFAULT is not allowed in this context", d.Position);
            default:
                throw new SqlException("0A000", $"expression {e.GetType().Name} is not supported", e.Position);
        }
    }

    private static BExpr BindLiteral(Literal lit)
    {
        switch (lit.Kind)
        {
            case LiteralKind.Null:
                return new ConstExpr(null, SqlType.Unknown);
            case LiteralKind.Boolean:
                return new ConstExpr(lit.Text == "true", SqlType.Bool);
            case LiteralKind.String:
                return new ConstExpr(lit.Text, SqlType.Unknown);
            case LiteralKind.Integer:
                if (int.TryParse(lit.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return new ConstExpr(i, SqlType.Int4);
                if (long.TryParse(lit.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return new ConstExpr(l, SqlType.Int8);
                goto default;
            default:
                try
                {
                    // PostgreSQL: an integer literal beyond bigint, and any literal with a point or exponent, is numeric.
                    if (SqlNumeric.TryParse(lit.Text, out var m)) return new ConstExpr(m, SqlType.Numeric);
                }
                catch (SqlDataException e)
                {
                    throw e.ToSqlException(lit.Position);
                }
                if (double.TryParse(lit.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return new ConstExpr(d, SqlType.Float8);
                throw new SqlException("22003", $"value \"{lit.Text}\" is out of range", lit.Position);
        }
    }

    private BExpr BindParam(ParamRef p)
    {
        var index = p.Number - 1;
        if (index < 0 || index >= 65535) throw new SqlException("42P02", $"there is no parameter ${p.Number}", p.Position);
        while (_parameterTypes.Count <= index) _parameterTypes.Add(SqlType.Unknown);
        return new ParamExpr(index, _parameterTypes[index]);
    }

    private BExpr BindColumn(ColumnRef c, Scope scope)
    {
        var parts = c.Parts;
        string? table = parts.Length >= 2 ? parts[^2] : null;
        var name = parts[^1];
        var depth = 0;
        for (var s = scope; s is not null; s = s.Parent, depth++)
        {
            var col = s.Find(table, name, c.Position);
            if (col is null) continue;
            if (depth == 0) return new ColumnExpr(col.Index, col.Type, table is null ? name : table + "." + name);
            MarkCorrelated(s.Level);
            s.Referenced = true;
            return new OuterColumnExpr(depth, col.Index, col.Type, table is null ? name : table + "." + name);
        }
        // A whole-row reference t (t.*) in an expression is not supported; a lone name might be a table.
        if (table is not null)
        {
            var known = false;
            for (var s = scope; s is not null; s = s.Parent) known |= s.HasTable(table);
            if (!known) throw new SqlException("42P01", $"missing FROM-clause entry for table \"{table}\"", c.Position);
        }
        throw new SqlException("42703", $"column \"{string.Join(".", parts)}\" does not exist", c.Position);
    }

    private BExpr BindUnary(Unary u, Scope scope)
    {
        var operand = BindExpr(u.Operand, scope);
        switch (u.Op)
        {
            case "not":
                return new NotExpr(Coerce(operand, SqlType.Bool, false, u.Position));
            case "-":
                if (operand.Type.Id == SqlTypeId.Unknown) operand = Coerce(operand, SqlType.Float8, false, u.Position);
                if (operand.Type.IsNumeric || operand.Type.Id == SqlTypeId.Interval) return Fold(new NegateExpr(operand), u.Position);
                break;
            case "+":
                return operand;
        }
        var fn = Builtins.ResolveOperator(u.Op, null, operand.Type);
        if (fn is null) throw new SqlException("42883", $"operator does not exist: {u.Op} {operand.Type.Name}", u.Position);
        return Fold(new FuncExpr(fn, [Coerce(operand, fn.ParameterTypes[0], false, u.Position)], u.Op), u.Position);
    }

    private BExpr BindBinary(Binary b, Scope scope)
    {
        var op = b.Op.ToLowerInvariant();
        if (op is "and" or "or")
        {
            var l = Coerce(BindExpr(b.Left, scope), SqlType.Bool, false, b.Left.Position);
            var r = Coerce(BindExpr(b.Right, scope), SqlType.Bool, false, b.Right.Position);
            return op == "and" ? new AndExpr(l, r) : new OrExpr(l, r);
        }
        var left = BindExpr(b.Left, scope);
        var right = BindExpr(b.Right, scope);
        return BindOperator(op, left, right, b.Position);
    }

    internal BExpr BindOperator(string op, BExpr left, BExpr right, int position)
    {
        if (op is "=" or "<>" or "!=" or "<" or "<=" or ">" or ">=")
        {
            if (IsComparable(left.Type, right.Type))
            {
                var (l, r) = Unify(left, right, position, op);
                return Fold(new CompareExpr(op == "!=" ? "<>" : op, l, r), position);
            }
        }
        if (op is "+" or "-" or "*" or "/" or "%")
        {
            var lt = left.Type.Id == SqlTypeId.Unknown && right.Type.IsNumeric ? right.Type : left.Type;
            var rt = right.Type.Id == SqlTypeId.Unknown && left.Type.IsNumeric ? left.Type : right.Type;
            if (lt.IsNumeric && rt.IsNumeric)
            {
                var type = NumericResult(lt, rt);
                return Fold(new ArithExpr(op[0], Coerce(left, type, false, position), Coerce(right, type, false, position), type), position);
            }
        }
        if (op == "||" && left.Type.Id is not (SqlTypeId.Jsonb or SqlTypeId.Bytea) && right.Type.Id is not (SqlTypeId.Jsonb or SqlTypeId.Bytea))
        {
            var l = left.Type.Id == SqlTypeId.Unknown ? Coerce(left, SqlType.Text, false, position) : left;
            var r = right.Type.Id == SqlTypeId.Unknown ? Coerce(right, SqlType.Text, false, position) : right;
            return Fold(new ConcatExpr(l, r), position);
        }
        if (op == "^" && (left.Type.IsNumeric || left.Type.Id == SqlTypeId.Unknown) && (right.Type.IsNumeric || right.Type.Id == SqlTypeId.Unknown))
        {
            var type = left.Type.Id == SqlTypeId.Numeric || right.Type.Id == SqlTypeId.Numeric ? SqlType.Numeric : SqlType.Float8;
            var pow = Builtins.Resolve("power", [type, type]);
            if (pow is not null) return Fold(new FuncExpr(pow, [Coerce(left, type, false, position), Coerce(right, type, false, position)], "power"), position);
        }
        var fn = Builtins.ResolveOperator(op, left.Type, right.Type);
        if (fn is null)
        {
            throw new SqlException("42883", $"operator does not exist: {left.Type.Name} {op} {right.Type.Name}", position,
                hint: "No operator matches the given name and argument types. You might need to add explicit type casts.");
        }
        return Fold(new FuncExpr(fn, [Coerce(left, fn.ParameterTypes[0], false, position), Coerce(right, fn.ParameterTypes[1], false, position)], op), position);
    }

    private static bool IsComparable(SqlType a, SqlType b)
    {
        if (a.Id == SqlTypeId.Unknown || b.Id == SqlTypeId.Unknown) return true;
        if (a.Id == b.Id) return true;
        if (a.IsNumeric && b.IsNumeric) return true;
        if (a.IsText && b.IsText) return true;
        static bool IsDate(SqlTypeId id) => id is SqlTypeId.Date or SqlTypeId.Timestamp or SqlTypeId.TimestampTz;
        return IsDate(a.Id) && IsDate(b.Id);
    }

    /// <summary>The type of an arithmetic result: float8 if either is a float, numeric if either is numeric, else the wider integer.</summary>
    private static SqlType NumericResult(SqlType a, SqlType b)
    {
        if (a.Id is SqlTypeId.Float4 && b.Id is SqlTypeId.Float4) return SqlType.Float4;
        if (a.Id is SqlTypeId.Float4 or SqlTypeId.Float8 || b.Id is SqlTypeId.Float4 or SqlTypeId.Float8) return SqlType.Float8;
        if (a.Id == SqlTypeId.Numeric || b.Id == SqlTypeId.Numeric) return SqlType.Numeric;
        return (SqlTypeId)Math.Max((int)a.Id, (int)b.Id) switch
        {
            SqlTypeId.Int2 => SqlType.Int2,
            SqlTypeId.Int4 => SqlType.Int4,
            _ => SqlType.Int8,
        };
    }

    /// <summary>A type without its length, precision and scale (varchar(3) → varchar, numeric(5,2) → numeric).</summary>
    private static SqlType Unmodified(SqlType t) => t.Length < 0 && t.Precision < 0 && t.Scale < 0 ? t : new SqlType(t.Id);

    /// <summary>Brings two operands to a common type for comparison.</summary>
    private (BExpr, BExpr) Unify(BExpr l, BExpr r, int position, string op)
    {
        // Compared as the base type: 'abcd' against a varchar(3) column is no error, just unequal (as in PostgreSQL).
        var type = Unmodified(CommonType([l, r], position, op));
        return (Coerce(l, type, false, position), Coerce(r, type, false, position));
    }

    /// <summary>PostgreSQL's UNION/CASE/IN type resolution (simplified): unknowns follow the known; numerics promote; text wins among strings.</summary>
    internal static SqlType CommonType(IReadOnlyList<BExpr> exprs, int position, string context)
    {
        SqlType? result = null;
        foreach (var e in exprs)
        {
            var t = e.Type;
            if (t.Id == SqlTypeId.Unknown) continue;
            if (result is null)
            {
                result = t;
                continue;
            }
            if (result.Id == t.Id)
            {
                if (result != t) result = new SqlType(t.Id);
                continue;
            }
            if (result.IsNumeric && t.IsNumeric)
            {
                result = NumericResult(result, t);
                continue;
            }
            if (result.IsText && t.IsText)
            {
                result = SqlType.Text;
                continue;
            }
            if (result.Id is SqlTypeId.Date or SqlTypeId.Timestamp or SqlTypeId.TimestampTz && t.Id is SqlTypeId.Date or SqlTypeId.Timestamp or SqlTypeId.TimestampTz)
            {
                result = result.Id == SqlTypeId.TimestampTz || t.Id == SqlTypeId.TimestampTz ? SqlType.TimestampTz : SqlType.Timestamp;
                continue;
            }
            throw new SqlException("42804", $"{context} types {result.Name} and {t.Name} cannot be matched", position);
        }
        return result ?? SqlType.Text;
    }

    /// <summary>
    /// Converts <paramref name="e"/> to <paramref name="target"/>: unknown literals and parameters take the type;
    /// constants are folded now (so a bad literal is reported at its position).
    /// </summary>
    internal BExpr Coerce(BExpr e, SqlType target, bool explicitCast, int position)
    {
        if (target.Id == SqlTypeId.Unknown) return e;
        if (e.Type == target) return e;
        if (e is ParamExpr p && p.Type.Id == SqlTypeId.Unknown)
        {
            _parameterTypes[p.Index] = target;
            return new ParamExpr(p.Index, target);
        }
        if (e.Type.Id == target.Id && target.Length < 0 && target.Precision < 0) return e;
        if (!explicitCast && !CanImplicitlyCast(e.Type, target))
        {
            throw new SqlException("42804", $"argument of type {e.Type.Name} cannot be used where {target.Name} is expected", position,
                hint: "You will need to rewrite or cast the expression.");
        }
        if (explicitCast && target.Id is SqlTypeId.Varchar or SqlTypeId.Char && target.Length >= 0)
        {
            // An explicit cast to varchar(n)/char(n) truncates silently.
            return Fold(new CastExpr(new DelegateExpr("truncate", SqlType.Text, [Coerce(e, SqlType.Text, true, position)],
                (_, a) => a[0] is string s && s.Length > target.Length ? s[..target.Length] : a[0], true), target), position);
        }
        return Fold(new CastExpr(e, target), position);
    }

    private static bool CanImplicitlyCast(SqlType from, SqlType to)
    {
        if (from.Id == SqlTypeId.Unknown) return true;
        if (from.IsNumeric && to.IsNumeric) return true;
        if (to.IsText) return true;
        if (from.IsText && to.Id is SqlTypeId.Jsonb) return true;
        if (from.Id is SqlTypeId.Date or SqlTypeId.Timestamp or SqlTypeId.TimestampTz && to.Id is SqlTypeId.Date or SqlTypeId.Timestamp or SqlTypeId.TimestampTz) return true;
        return from.Id == to.Id;
    }

    /// <summary>Evaluates an expression over constants now; errors carry the expression's position.</summary>
    private static BExpr Fold(BExpr e, int position)
    {
        if (e is ConstExpr || !e.Children.Any() || !e.Children.All(c => c is ConstExpr)) return e;
        if (e is FuncExpr { Function.Volatile: true } || e is DelegateExpr { RowIndependent: false }) return e;
        try
        {
            return new ConstExpr(e.Eval(FoldContext, []), e.Type);
        }
        catch (SqlException ex) when (ex.Position < 0)
        {
            throw new SqlException(ex.SqlState, ex.Message, position, ex.Detail, ex.Hint);
        }
        catch (SqlDataException ex)
        {
            throw ex.ToSqlException(position);
        }
    }

    private static readonly ExecContext FoldContext = new(null!, [], new FunctionContext(), null, CancellationToken.None);

    internal static SqlType ResolveType(TypeName name, int position)
    {
        if (name.IsArray) throw new SqlException("0A000", $"array types are not supported: {name}", position);
        return SqlType.FromName(name.Name, name.Modifiers) ?? throw new SqlException("42704", $"type \"{name.Name}\" does not exist", position);
    }

    private BExpr BindCase(Case c, Scope scope)
    {
        var operand = c.Operand is null ? null : BindExpr(c.Operand, scope);
        var whens = new List<(BExpr When, BExpr Then)>();
        foreach (var (w, t) in c.Whens)
        {
            var when = BindExpr(w, scope);
            if (operand is null) when = Coerce(when, SqlType.Bool, false, w.Position);
            whens.Add((when, BindExpr(t, scope)));
        }
        var otherwise = c.Else is null ? null : BindExpr(c.Else, scope);
        var type = CommonType([.. whens.Select(x => x.Then), .. otherwise is null ? Array.Empty<BExpr>() : [otherwise]], c.Position, "CASE");
        if (operand is not null)
        {
            var opType = CommonType([operand, .. whens.Select(x => x.When)], c.Position, "CASE/WHEN");
            operand = Coerce(operand, opType, false, c.Position);
            whens = whens.Select(x => (Coerce(x.When, opType, false, c.Position), x.Then)).ToList();
        }
        return new CaseExpr(operand, whens.Select(x => (x.When, Coerce(x.Then, type, false, c.Position))).ToArray(),
            otherwise is null ? null : Coerce(otherwise, type, false, c.Position), type);
    }

    private BExpr BindSubquery(SubqueryKind kind, SelectStmt query, Scope scope, Expr? operandExpr, string op, bool not, int position)
    {
        var plan = PlanQuery(query, scope, out var correlated);
        BExpr? operand = null;
        if (kind == SubqueryKind.Scalar && plan.Columns.Count != 1) throw new SqlException("42601", "subquery must return only one column", position);
        if (operandExpr is not null)
        {
            if (plan.Columns.Count != 1) throw new SqlException("42601", "subquery has too many columns", position);
            operand = BindExpr(operandExpr, scope);
            var type = CommonType([operand, new ColumnExpr(0, plan.Columns[0].Type, "")], position, op);
            operand = Coerce(operand, type, false, position);
            if (plan.Columns[0].Type != type && type.Id != plan.Columns[0].Type.Id)
            {
                var col = new ColumnExpr(0, plan.Columns[0].Type, plan.Columns[0].Name);
                plan = new ProjectNode(plan, [Coerce(col, type, false, position)], [plan.Columns[0] with { Type = type }]);
            }
        }
        var resultType = kind == SubqueryKind.Scalar ? plan.Columns[0].Type : SqlType.Bool;
        return new SubqueryExpr(kind, plan, correlated, operand, op, not, resultType);
    }
}
