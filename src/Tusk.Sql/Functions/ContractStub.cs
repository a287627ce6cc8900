// Temporary: the contract of the built-in function library, replaced by the real files when they land.
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

public sealed class FunctionContext
{
    public DateTime TransactionTimestamp { get; init; }
    public DateTime StatementTimestamp { get; init; }
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
    public Random Random { get; init; } = new(1);
}

public sealed class ScalarFunction(string name, SqlType[] parameterTypes, bool isVariadic, SqlType returnType, bool strict, bool isVolatile, Func<object?[], FunctionContext, object?> invoke)
{
    public string Name { get; } = name;
    public SqlType[] ParameterTypes { get; } = parameterTypes;
    public bool IsVariadic { get; } = isVariadic;
    public SqlType ReturnType { get; } = returnType;
    public bool Strict { get; } = strict;
    public bool Volatile { get; } = isVolatile;
    public Func<object?[], FunctionContext, object?> Invoke { get; } = invoke;
}

public static class Builtins
{
    public static ScalarFunction? Resolve(string name, IReadOnlyList<SqlType> argumentTypes) => name switch
    {
        "abs" when argumentTypes.Count == 1 => new ScalarFunction("abs", [argumentTypes[0].Id == SqlTypeId.Unknown ? SqlType.Float8 : argumentTypes[0]], false, argumentTypes[0].Id == SqlTypeId.Unknown ? SqlType.Float8 : argumentTypes[0], true, false,
            (a, _) => a[0] switch { int i => Math.Abs(i), long l => Math.Abs(l), short s => (short)Math.Abs(s), decimal d => Math.Abs(d), double d => Math.Abs(d), float f => Math.Abs(f), _ => null }),
        "now" when argumentTypes.Count == 0 => new ScalarFunction("now", [], false, SqlType.TimestampTz, true, false, (_, c) => c.TransactionTimestamp),
        _ => null,
    };

    public static ScalarFunction? ResolveOperator(string op, SqlType? left, SqlType right) => null;

    public static bool IsKnown(string name) => false;
}

public static class LikePattern
{
    public static bool Matches(string input, string pattern, string? escape, bool caseInsensitive)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("%", ".*").Replace("_", ".") + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(input, regex, caseInsensitive ? System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Singleline : System.Text.RegularExpressions.RegexOptions.Singleline);
    }
}

public static class Jsonb
{
    public static string Canonicalize(string json) => json;
    public static string BuildObject(IReadOnlyList<(string Key, object? Value, SqlType Type)> pairs) => "{}";
    public static string BuildArray(IReadOnlyList<(object? Value, SqlType Type)> items) => "[]";
    public static string FromValue(object? value, SqlType type) => value?.ToString() ?? "null";
}
