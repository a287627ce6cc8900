using Tusk.Sql.Functions;
using Tusk.Sql.Types;
using Xunit;

namespace Tusk.Sql.Tests.Functions;

/// <summary>
/// Calls built-ins the way the binder will: arguments written like SQL literals are resolved, cast and invoked.
/// An argument is a plain string (an untyped literal: SqlType.Unknown, parsed into the chosen parameter type),
/// "text::type" (a typed literal), a CLR int/long/double/bool (int4/int8/float8/bool), or null (an untyped NULL).
/// Results come back in PostgreSQL's text format, so expectations read like psql output.
/// </summary>
internal static class SqlCall
{
    public static FunctionContext Context(TimeZoneInfo? zone = null) => new()
    {
        TransactionTimestamp = new DateTime(2024, 3, 15, 12, 34, 56, DateTimeKind.Utc),
        StatementTimestamp = new DateTime(2024, 3, 15, 12, 34, 57, DateTimeKind.Utc),
        TimeZone = zone ?? TimeZoneInfo.Utc,
        Random = new Random(42),
    };

    public static (SqlType Type, object? Value) Arg(object? arg)
    {
        switch (arg)
        {
            case null: return (SqlType.Unknown, null);
            case string s:
                var cast = s.LastIndexOf("::", StringComparison.Ordinal);
                if (cast < 0) return (SqlType.Unknown, s);
                var type = SqlType.FromName(s[(cast + 2)..], []) ?? throw new ArgumentException($"unknown type in {s}");
                var text = s[..cast];
                return (type, type.Id == SqlTypeId.Jsonb ? Jsonb.Canonicalize(text) : TextFormat.Parse(text, type));
            default:
                return (Builtins.InferType(arg), arg);
        }
    }

    /// <summary>Resolves and runs a function; returns the result's type and its text form (null for SQL NULL).</summary>
    public static (string? Text, SqlType Type) Call(string name, params object?[] args) => Call(Context(), name, args);

    public static (string? Text, SqlType Type) Call(FunctionContext context, string name, params object?[] args)
    {
        var typed = args.Select(Arg).ToArray();
        var function = Builtins.Resolve(name, typed.Select(t => t.Type).ToArray());
        Assert.True(function is not null, $"no function {name}({string.Join(", ", typed.Select(t => t.Type.Name))})");
        return Run(function!, typed, context);
    }

    public static (string? Text, SqlType Type) Operator(string op, object? left, object? right, FunctionContext? context = null)
    {
        var r = Arg(right);
        (SqlType Type, object? Value)[] typed = [Arg(left), r];
        var function = Builtins.ResolveOperator(op, typed[0].Type, r.Type);
        Assert.True(function is not null, $"no operator {op} for {string.Join(", ", typed.Select(t => t.Type.Name))}");
        return Run(function!, typed, context ?? Context());
    }

    public static (string? Text, SqlType Type) PrefixOperator(string op, object? operand)
    {
        var r = Arg(operand);
        var function = Builtins.ResolveOperator(op, null, r.Type);
        Assert.True(function is not null, $"no prefix operator {op} {r.Type.Name}");
        return Run(function!, [r], Context());
    }

    private static (string? Text, SqlType Type) Run(ScalarFunction function, (SqlType Type, object? Value)[] typed, FunctionContext context)
    {
        var values = new object?[typed.Length];
        for (var i = 0; i < typed.Length; i++) values[i] = Cast(typed[i].Value, typed[i].Type, function.ParameterType(i));
        if (function.Strict && values.Any(v => v is null)) return (null, function.ReturnType);
        var result = function.Invoke(values, context);
        return (result is null ? null : TextFormat.Format(result, function.ReturnType), function.ReturnType);
    }

    /// <summary>The binder's implicit casts, enough for these tests.</summary>
    public static object? Cast(object? value, SqlType from, SqlType to)
    {
        if (value is null || from == to) return value;
        if (from.Id == SqlTypeId.Unknown) return to.Id == SqlTypeId.Jsonb ? Jsonb.Canonicalize((string)value) : TextFormat.Parse((string)value, to);
        return (value, to.Id) switch
        {
            (short or int or long or SqlNumeric or float or double, SqlTypeId.Int2 or SqlTypeId.Int4 or SqlTypeId.Int8 or SqlTypeId.Numeric or SqlTypeId.Float8 or SqlTypeId.Float4)
                => Tusk.Sql.Execution.Values.Cast(value, from, to),
            (DateOnly d, SqlTypeId.Timestamp) => d.ToDateTime(TimeOnly.MinValue),
            (DateOnly d, SqlTypeId.TimestampTz) => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            (DateTime t, SqlTypeId.TimestampTz) => DateTime.SpecifyKind(t, DateTimeKind.Utc),
            (TimeOnly t, SqlTypeId.Interval) => new Interval(0, 0, t.Ticks / 10),
            _ => value,
        };
    }

    public static SqlDataException Fails(Action action) => Assert.Throws<SqlDataException>(action);
}
