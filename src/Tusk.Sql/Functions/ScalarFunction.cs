using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// One resolved overload of a built-in function or operator. Immutable and shareable between statements.
/// Arguments reach <see cref="Invoke"/> already cast to <see cref="ParameterTypes"/> (as CLR values, see
/// <see cref="SqlType"/>); for a variadic function the last parameter type repeats for the remaining arguments.
/// Polymorphic ("any") parameters never show here: <see cref="Builtins.Resolve"/> returns a copy whose parameter
/// types are the actual argument types (an untyped literal becomes text).
/// </summary>
public sealed class ScalarFunction
{
    public ScalarFunction(string name, SqlType[] parameterTypes, SqlType returnType, Func<object?[], FunctionContext, object?> invoke,
        bool strict = true, bool isVariadic = false, bool isVolatile = false)
    {
        ArgumentNullException.ThrowIfNull(parameterTypes);
        if (isVariadic && parameterTypes.Length == 0) throw new ArgumentException("a variadic function needs a parameter to repeat", nameof(parameterTypes));
        Name = name;
        ParameterTypes = parameterTypes;
        ReturnType = returnType;
        Invoke = invoke;
        Strict = strict;
        IsVariadic = isVariadic;
        Volatile = isVolatile;
    }

    public string Name { get; }

    /// <summary>The binder casts each argument to these (variadic: the last one repeats when <see cref="IsVariadic"/>).</summary>
    public SqlType[] ParameterTypes { get; }

    public bool IsVariadic { get; }

    public SqlType ReturnType { get; }

    /// <summary>True: any NULL argument gives NULL without calling <see cref="Invoke"/>.</summary>
    public bool Strict { get; }

    /// <summary>random(), clock_timestamp(), gen_random_uuid(): never constant-folded.</summary>
    public bool Volatile { get; }

    public Func<object?[], FunctionContext, object?> Invoke { get; }

    /// <summary>The parameter type for argument <paramref name="index"/>, repeating the last one for a variadic function.</summary>
    public SqlType ParameterType(int index) => index < ParameterTypes.Length ? ParameterTypes[index] : ParameterTypes[^1];

    public override string ToString() => $"{Name}({string.Join(", ", ParameterTypes.Select(t => t.Name))}{(IsVariadic ? "..." : "")}) → {ReturnType.Name}";
}
