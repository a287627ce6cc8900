using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Tusk.Core;

/// <summary>
/// Programmer-error assertions that stay on in production (STYLE.md C6). A failed invariant means the
/// process's state can no longer be trusted: it throws <see cref="InvariantViolationException"/>, which
/// hosts treat as fatal. Operating errors (I/O, bad input) never go through here.
/// </summary>
public static class Invariant
{
    // static readonly rather than const: the JIT still folds it, and Release builds get no unreachable-code warnings.
#if DEBUG
    /// <summary>True in builds where expensive checks run (guard costly checks with it).</summary>
    public static readonly bool Enabled = true;
#else
    /// <summary>True in builds where expensive checks run (guard costly checks with it).</summary>
    public static readonly bool Enabled = false;
#endif

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check([DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition)
        {
            Fail(message);
        }
    }

    /// <summary>Throws unconditionally.</summary>
    [DoesNotReturn]
    public static void Fail(string message) => throw new InvariantViolationException(message);
}

/// <summary>An internal invariant was broken: a bug, never a user error.</summary>
public sealed class InvariantViolationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvariantViolationException(string message) : base("invariant violated: " + message) { }
}
