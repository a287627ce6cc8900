using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// The catalog of built-in scalar functions and of the operators the binder does not evaluate itself, with
/// PostgreSQL's overload resolution (the "Type Conversion" chapter: exact match, implicit casts, most exact matches,
/// preferred types, unknown literals leaning to the string category). Immutable after the static constructor, so
/// safe from any thread. The groups live in partial files: Builtins.Strings.cs, .Math.cs, .DateTime.cs, .Jsonb.cs,
/// .Operators.cs.
/// </summary>
public static partial class Builtins
{
    private static readonly Dictionary<string, List<ScalarFunction>> _functions = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, List<ScalarFunction>> _operators = new(StringComparer.Ordinal);

    // Short names for the registration tables below.
    private static readonly SqlType Bool = SqlType.Bool, Int2 = SqlType.Int2, Int4 = SqlType.Int4, Int8 = SqlType.Int8,
        Float4 = SqlType.Float4, Float8 = SqlType.Float8, Numeric = SqlType.Numeric, Text = SqlType.Text, Bytea = SqlType.Bytea,
        Date = SqlType.Date, Time = SqlType.Time, Timestamp = SqlType.Timestamp, TimestampTz = SqlType.TimestampTz,
        IntervalType = SqlType.Interval, Uuid = SqlType.Uuid, Jsonb = SqlType.Jsonb, Any = TypeCoercion.Any;

#pragma warning disable CA1810 // the registration order matters (dictionaries first), so an explicit static constructor
    static Builtins()
#pragma warning restore CA1810
    {
        RegisterStrings();
        RegisterMath();
        RegisterDateTime();
        RegisterJsonb();
        RegisterOther();
        RegisterOperators();
    }

    /// <summary>
    /// Picks the overload of <paramref name="name"/> for these argument types; <see cref="SqlType.Unknown"/> (an untyped
    /// literal or parameter) fits any parameter, preferring text. Null when none fits (the binder reports 42883).
    /// Throws <see cref="SqlDataException"/> 42725 when several fit equally well.
    /// </summary>
    public static ScalarFunction? Resolve(string name, IReadOnlyList<SqlType> argumentTypes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(argumentTypes);
        if (!_functions.TryGetValue(name.ToLowerInvariant(), out var candidates)) return null;
        return Select(candidates, argumentTypes, isBinaryOperator: false, $"function {name}({Describe(argumentTypes)}) is not unique");
    }

    /// <summary>
    /// Picks an operator outside numeric arithmetic/comparison, AND/OR/NOT and text ||: jsonb, date/time, bytea ||,
    /// regex matches, ^. <paramref name="left"/> is null for a prefix operator. Null when none fits.
    /// </summary>
    public static ScalarFunction? ResolveOperator(string op, SqlType? left, SqlType right)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(right);
        if (!_operators.TryGetValue(op, out var candidates)) return null;
        SqlType[] types = left is null ? [right] : [left, right];
        return Select(candidates, types, isBinaryOperator: left is not null, $"operator is not unique: {(left is null ? "" : left.Name + " ")}{op} {right.Name}");
    }

    /// <summary>True if a built-in function of that name exists (for "function f(int) does not exist" vs "function f does not exist").</summary>
    public static bool IsKnown(string name) => name is not null && _functions.ContainsKey(name.ToLowerInvariant());

    /// <summary>All overloads, for tests and \df-like listings.</summary>
    internal static IEnumerable<ScalarFunction> AllFunctions => _functions.Values.SelectMany(list => list);

    internal static IEnumerable<ScalarFunction> AllOperators => _operators.Values.SelectMany(list => list);

    private static string Describe(IReadOnlyList<SqlType> types) => string.Join(", ", types.Select(t => t.Name));

    private static ScalarFunction? Select(List<ScalarFunction> all, IReadOnlyList<SqlType> args, bool isBinaryOperator, string ambiguous)
    {
        var candidates = all.Where(f => Fits(f, args.Count)).ToList();
        if (candidates.Count == 0) return null;

        // 1. An exact match. For a binary operator, an unknown side counts as the other side's type.
        var exactTypes = args.ToArray();
        if (isBinaryOperator && exactTypes.Length == 2)
        {
            if (exactTypes[0].Id == SqlTypeId.Unknown && exactTypes[1].Id != SqlTypeId.Unknown) exactTypes[0] = exactTypes[1];
            else if (exactTypes[1].Id == SqlTypeId.Unknown && exactTypes[0].Id != SqlTypeId.Unknown) exactTypes[1] = exactTypes[0];
        }
        var exact = candidates.Where(f => Enumerable.Range(0, args.Count).All(i => f.ParameterType(i).Id == exactTypes[i].Id && !TypeCoercion.IsAny(f.ParameterType(i)))).ToList();
        if (exact.Count == 1) return Specialize(exact[0], args);

        // 2. Those reachable by implicit casts.
        candidates = candidates.Where(f => Enumerable.Range(0, args.Count).All(i => TypeCoercion.CanCoerce(args[i].Id, f.ParameterType(i)))).ToList();
        if (candidates.Count == 0) return null;
        if (candidates.Count == 1) return Specialize(candidates[0], args);

        // 3. Most positions matching exactly; 4. most preferred types where a cast is needed.
        candidates = KeepBest(candidates, f => Enumerable.Range(0, args.Count).Count(i => args[i].Id != SqlTypeId.Unknown && f.ParameterType(i).Id == args[i].Id && !TypeCoercion.IsAny(f.ParameterType(i))));
        if (candidates.Count == 1) return Specialize(candidates[0], args);
        candidates = KeepBest(candidates, f => Enumerable.Range(0, args.Count).Count(i => args[i].Id != SqlTypeId.Unknown && TypeCoercion.IsPreferred(f.ParameterType(i))));
        if (candidates.Count == 1) return Specialize(candidates[0], args);

        // 5. Unknown arguments: the string category if any candidate takes it there, else the one category all take.
        var remaining = candidates;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].Id != SqlTypeId.Unknown) continue;
            var position = i;
            var categories = remaining.Select(f => TypeCoercion.Category(f.ParameterType(position))).Distinct().ToList();
            // "any" (A) takes an unknown literal as text, but a real text parameter is the better fit.
            var typed = categories.Where(c => c != 'A').ToList();
            char chosen;
            if (typed.Contains('S')) chosen = 'S';
            else if (typed.Count == 1) chosen = typed[0];
            else if (typed.Count == 0) chosen = 'A';
            else { remaining = []; break; }
            remaining = remaining.Where(f => TypeCoercion.Category(f.ParameterType(position)) == chosen).ToList();
            if (remaining.Any(f => TypeCoercion.IsPreferred(f.ParameterType(position))))
                remaining = remaining.Where(f => TypeCoercion.IsPreferred(f.ParameterType(position))).ToList();
        }
        if (remaining.Count == 1) return Specialize(remaining[0], args);

        // 6. Known arguments all of one type: assume the unknown ones have it too.
        var known = args.Where(t => t.Id != SqlTypeId.Unknown).Select(t => t.Id).Distinct().ToList();
        if (known.Count == 1 && args.Any(t => t.Id == SqlTypeId.Unknown))
        {
            var assumed = candidates.Where(f => Enumerable.Range(0, args.Count).All(i => TypeCoercion.CanCoerce(args[i].Id == SqlTypeId.Unknown ? known[0] : args[i].Id, f.ParameterType(i)))).ToList();
            if (assumed.Count == 1) return Specialize(assumed[0], args);
        }
        throw new SqlDataException("42725", ambiguous);
    }

    private static List<ScalarFunction> KeepBest(List<ScalarFunction> candidates, Func<ScalarFunction, int> score)
    {
        var best = candidates.Max(score);
        return candidates.Where(f => score(f) == best).ToList();
    }

    private static bool Fits(ScalarFunction f, int argumentCount) =>
        f.IsVariadic ? argumentCount >= f.ParameterTypes.Length : argumentCount == f.ParameterTypes.Length;

    /// <summary>A function with "any" parameters gets a copy with the actual argument types (unknown → text), closed over by its body.</summary>
    private static ScalarFunction Specialize(ScalarFunction f, IReadOnlyList<SqlType> args)
    {
        if (!Enumerable.Range(0, args.Count).Any(i => TypeCoercion.IsAny(f.ParameterType(i)))) return f;
        var types = new SqlType[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            var declared = f.ParameterType(i);
            types[i] = !TypeCoercion.IsAny(declared) ? declared : args[i].Id == SqlTypeId.Unknown ? Text : args[i];
        }
        var body = f.Invoke;
        return new ScalarFunction(f.Name, types, f.ReturnType, (values, context) => body(WithTypes(values, types), context), f.Strict, f.IsVariadic, f.Volatile);
    }

    /// <summary>Carries the argument types to an "any" function's body: the values followed by one <see cref="ArgumentTypes"/>.</summary>
    private static object?[] WithTypes(object?[] values, SqlType[] types)
    {
        var withTypes = new object?[values.Length + 1];
        Array.Copy(values, withTypes, values.Length);
        withTypes[^1] = new ArgumentTypes(types);
        return withTypes;
    }

    /// <summary>The argument types an "any" function was specialized for; the last element of its argument array.</summary>
    private sealed record ArgumentTypes(SqlType[] Types);

    private static (object?[] Values, SqlType[] Types) SplitTypes(object?[] args)
    {
        if (args.Length > 0 && args[^1] is ArgumentTypes types) return (args[..^1], types.Types);
        // Called without resolution (a test or the binder calling Invoke on the generic entry): infer from the CLR values.
        return (args, args.Select(InferType).ToArray());
    }

    internal static SqlType InferType(object? value) => value switch
    {
        null => Text,
        bool => Bool,
        short => Int2,
        int => Int4,
        long => Int8,
        float => Float4,
        double => Float8,
        SqlNumeric => Numeric,
        decimal => Numeric,
        string => Text,
        byte[] => Bytea,
        DateOnly => Date,
        TimeOnly => Time,
        DateTime { Kind: DateTimeKind.Utc } => TimestampTz,
        DateTime => Timestamp,
        Interval => IntervalType,
        Guid => Uuid,
        _ => Text,
    };

    // Registration helpers. Strict unless said otherwise, as most of pg_proc is.
    private static void Add(string name, SqlType returnType, SqlType[] parameters, Func<object?[], object?> body, bool strict = true, bool variadic = false) =>
        AddTo(_functions, new ScalarFunction(name, parameters, returnType, (args, _) => body(args), strict, variadic));

    private static void AddWithContext(string name, SqlType returnType, SqlType[] parameters, Func<object?[], FunctionContext, object?> body, bool strict = true, bool isVolatile = false) =>
        AddTo(_functions, new ScalarFunction(name, parameters, returnType, body, strict, false, isVolatile));

    private static void AddOperator(string op, SqlType returnType, SqlType[] parameters, Func<object?[], FunctionContext, object?> body) =>
        AddTo(_operators, new ScalarFunction(op, parameters, returnType, body));

    private static void AddTo(Dictionary<string, List<ScalarFunction>> table, ScalarFunction f)
    {
        if (!table.TryGetValue(f.Name, out var list)) table[f.Name] = list = [];
        list.Add(f);
    }

    private static SqlDataException Error(string sqlState, string message) => new(sqlState, message);
}
