using Tusk.Sql.Execution;
using Tusk.Sql.Functions;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Planning;

internal sealed partial class Planner
{
    private BExpr BindFunction(FuncCall f, Scope scope)
    {
        var name = f.Name[^1].ToLowerInvariant();
        if (f.Name.Length == 2 && f.Name[0] is not ("pg_catalog" or "public")) throw new SqlException("42883", $"function {string.Join(".", f.Name)} does not exist", f.Position);
        if (f.Over is not null) throw new SqlException("42P20", "window functions are not allowed here", f.Position);
        if (AggregateSpec.IsAggregate(name))
        {
            throw new SqlException("42803", "aggregate functions are not allowed here", f.Position);
        }
        if (IsWindowOnly(name) && f.Name.Length == 1) throw new SqlException("42809", $"window function {name} requires an OVER clause", f.Position);
        var args = f.Args.Select(a => BindExpr(a, scope)).ToArray();
        switch (name)
        {
            case "coalesce" or "greatest" or "least":
            {
                if (args.Length == 0) throw new SqlException("42601", $"{name} needs at least one argument", f.Position);
                var type = CommonType(args, f.Position, name.ToUpperInvariant());
                return Fold(new VariadicExpr(name, args.Select(a => Coerce(a, type, false, f.Position)).ToArray(), type), f.Position);
            }
            case "nullif":
            {
                if (args.Length != 2) throw new SqlException("42883", "function nullif requires two arguments", f.Position);
                var type = CommonType(args, f.Position, "NULLIF");
                return Fold(new VariadicExpr(name, args.Select(a => Coerce(a, type, false, f.Position)).ToArray(), args[0].Type.Id == SqlTypeId.Unknown ? type : args[0].Type), f.Position);
            }
            case "current_user" or "session_user" or "user" or "current_role" when args.Length == 0:
                return new DelegateExpr(name, SqlType.Text, [], (ctx, _) => ctx.Session?.User ?? "tusk", false);
            case "current_database" when args.Length == 0:
                return new DelegateExpr(name, SqlType.Text, [], (ctx, _) => ctx.Session?.Database ?? "tusk", false);
            case "current_schema" when args.Length == 0:
                return new ConstExpr("public", SqlType.Text);
            case "current_setting" when args.Length is 1 or 2:
                return new DelegateExpr(name, SqlType.Text, [Coerce(args[0], SqlType.Text, false, f.Position)], (ctx, a) => ctx.Session?.Settings.Show((string)a[0]!), false);
            case "set_config" when args.Length == 3:
                return new DelegateExpr(name, SqlType.Text, args.Select(a => Coerce(a, a.Type.Id == SqlTypeId.Bool ? SqlType.Bool : SqlType.Text, false, f.Position)).ToArray(),
                    (ctx, a) => ctx.Session?.Settings.Set((string)a[0]!, (string?)a[1] ?? "", ctx.Session), false, isVolatile: true);
            case "pg_typeof" when args.Length == 1:
                return new ConstExpr(args[0].Type.Id == SqlTypeId.Unknown ? "unknown" : args[0].Type.Name, SqlType.Text);
            case "nextval" or "currval" when args.Length == 1:
                return new DelegateExpr(name, SqlType.Int8, [Coerce(args[0], SqlType.Text, false, f.Position)],
                    (ctx, a) => name == "nextval" ? ctx.Session!.NextValue((string)a[0]!, ctx) : ctx.Session!.CurrentValue((string)a[0]!), false, isVolatile: true);
            case "setval" when args.Length is 2 or 3:
                return new DelegateExpr(name, SqlType.Int8, [Coerce(args[0], SqlType.Text, false, f.Position), Coerce(args[1], SqlType.Int8, false, f.Position)],
                    (ctx, a) => ctx.Session!.Engine.Sequences.Set((string)a[0]!, (long)a[1]!), false, isVolatile: true);
            case "current_date" when args.Length == 0:
                return new DelegateExpr(name, SqlType.Date, [], (ctx, _) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(ctx.Functions.TransactionTimestamp, ctx.Functions.TimeZone)), false);
            case "current_timestamp" or "now" or "transaction_timestamp" when args.Length == 0:
                return new DelegateExpr(name, SqlType.TimestampTz, [], (ctx, _) => ctx.Functions.TransactionTimestamp, false);
            case "localtimestamp" when args.Length == 0:
                return new DelegateExpr(name, SqlType.Timestamp, [], (ctx, _) => DateTime.SpecifyKind(TimeZoneInfo.ConvertTimeFromUtc(ctx.Functions.TransactionTimestamp, ctx.Functions.TimeZone), DateTimeKind.Unspecified), false);
            case "current_time" or "localtime" when args.Length == 0:
                return new DelegateExpr(name, SqlType.Time, [], (ctx, _) => TimeOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(ctx.Functions.TransactionTimestamp, ctx.Functions.TimeZone)), false);
            case "jsonb_build_object" or "json_build_object":
            {
                if (args.Length % 2 != 0) throw new SqlException("22023", "argument list must have even number of elements", f.Position,
                    hint: "The arguments of jsonb_build_object() must consist of alternating keys and values.");
                var bound = args.Select(a => a.Type.Id == SqlTypeId.Unknown ? Coerce(a, SqlType.Text, false, f.Position) : a).ToArray();
                return Fold(new DelegateExpr(name, SqlType.Jsonb, bound, (_, a) =>
                {
                    var pairs = new List<(string, object?, SqlType)>();
                    for (var i = 0; i < a.Length; i += 2)
                    {
                        if (a[i] is null) throw new SqlException("22004", "argument 1: key must not be null");
                        pairs.Add((Values.ToText(a[i]!, bound[i].Type), a[i + 1], bound[i + 1].Type));
                    }
                    return Jsonb.BuildObject(pairs);
                }, true), f.Position);
            }
            case "jsonb_build_array" or "json_build_array":
            {
                var bound = args.Select(a => a.Type.Id == SqlTypeId.Unknown ? Coerce(a, SqlType.Text, false, f.Position) : a).ToArray();
                return Fold(new DelegateExpr(name, SqlType.Jsonb, bound, (_, a) => Jsonb.BuildArray(a.Select((v, i) => (v, bound[i].Type)).ToList()), true), f.Position);
            }
            case "to_jsonb" or "to_json" when args.Length == 1:
            {
                var arg = args[0].Type.Id == SqlTypeId.Unknown ? Coerce(args[0], SqlType.Text, false, f.Position) : args[0];
                return Fold(new DelegateExpr(name, SqlType.Jsonb, [arg], (_, a) => a[0] is null ? null : Jsonb.FromValue(a[0], arg.Type), true), f.Position);
            }
        }
        if (VirtualCatalog?.BindFunction(name, args, this) is { } catalogFunction) return catalogFunction;
        var fn = Builtins.Resolve(name, args.Select(a => a.Type).ToArray());
        if (fn is null)
        {
            var signature = $"{name}({string.Join(", ", args.Select(a => a.Type.Id == SqlTypeId.Unknown ? "unknown" : a.Type.Name))})";
            throw new SqlException("42883", $"function {signature} does not exist", f.Position,
                hint: "No function matches the given name and argument types. You might need to add explicit type casts.");
        }
        var coerced = new BExpr[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            var target = fn.ParameterTypes.Length == 0 ? args[i].Type : fn.ParameterTypes[Math.Min(i, fn.ParameterTypes.Length - 1)];
            coerced[i] = target.Id == SqlTypeId.Unknown ? args[i] : Coerce(args[i], target, false, f.Position);
        }
        return Fold(new FuncExpr(fn, coerced, name), f.Position);
    }

    /// <summary>Whether <paramref name="e"/> contains an aggregate call of this query level (not inside subqueries).</summary>
    internal static bool ContainsAggregate(Expr? e) => e switch
    {
        null => false,
        FuncCall { Over: { } w } f => f.Args.Any(ContainsAggregate) || ContainsAggregate(f.Filter) || w.PartitionBy.Any(ContainsAggregate) || w.OrderBy.Any(o => ContainsAggregate(o.Expression)),
        FuncCall f when AggregateSpec.IsAggregate(f.Name[^1].ToLowerInvariant()) => true,
        _ => AnyOperand(e, ContainsAggregate),
    };

    /// <summary>
    /// Whether <paramref name="test"/> holds for a direct operand of <paramref name="e"/> (a function's arguments and
    /// FILTER, an operator's operands, a CASE's parts, ...); subqueries are not entered: they are another query level.
    /// </summary>
    internal static bool AnyOperand(Expr e, Func<Expr?, bool> test) => e switch
    {
        FuncCall f => f.Args.Any(test) || test(f.Filter),
        Unary u => test(u.Operand),
        Binary b => test(b.Left) || test(b.Right),
        Parser.Cast c => test(c.Operand),
        IsTest t => test(t.Operand),
        IsDistinctFrom d => test(d.Left) || test(d.Right),
        Between b => test(b.Operand) || test(b.Low) || test(b.High),
        InList l => test(l.Operand) || l.Items.Any(test),
        InSubquery s => test(s.Operand),
        Quantified q => test(q.Operand),
        Like l => test(l.Operand) || test(l.Pattern),
        Case c => test(c.Operand) || c.Whens.Any(w => test(w.When) || test(w.Then)) || test(c.Else),
        _ => false,
    };
}
