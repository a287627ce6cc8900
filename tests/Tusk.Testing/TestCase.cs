using System.Globalization;

namespace Tusk.Testing;

/// <summary>
/// One case of a data-driven test file (see <see cref="DataDriven"/>): a command line with arguments, optional
/// input lines, and the expected output. Handlers read it; the runner compares what they return with
/// <see cref="Expected"/>.
/// </summary>
public sealed class TestCase
{
    internal TestCase(string file, int line, string commandLine, string command, IReadOnlyList<TestArg> args, string input, string expected)
    {
        File = file;
        Line = line;
        CommandLine = commandLine;
        Command = command;
        Args = args;
        Input = input;
        Expected = expected;
    }

    /// <summary>The first word of the command line, e.g. <c>put</c>.</summary>
    public string Command { get; }

    /// <summary>The arguments after the command, in order.</summary>
    public IReadOnlyList<TestArg> Args { get; }

    /// <summary>The lines between the command line and <c>----</c>, joined with '\n' (no trailing newline); empty when there are none.</summary>
    public string Input { get; }

    /// <summary>The expected output: each expected line followed by '\n'; empty when there is none.</summary>
    public string Expected { get; }

    /// <summary>The command line as written in the file.</summary>
    public string CommandLine { get; }

    /// <summary>The file as given to <see cref="DataDriven.RunFile(string, Func{TestCase, string})"/>.</summary>
    public string File { get; }

    /// <summary>1-based line number of the command line.</summary>
    public int Line { get; }

    /// <summary>"file:line" of the command line, for messages.</summary>
    public string Position => $"{File}:{Line}";

    /// <summary>True when the command line has an argument named <paramref name="key"/> (with or without a value).</summary>
    public bool HasArg(string key) => Find(key) is not null;

    /// <summary>The argument named <paramref name="key"/>; throws <see cref="DataDrivenException"/> naming the position when it is missing.</summary>
    public TestArg GetArgument(string key) => Find(key) ?? throw Error($"missing argument {key}");

    /// <summary>The single value of <paramref name="key"/> (<c>key=value</c>); throws <see cref="DataDrivenException"/> when it is missing or has no single value.</summary>
    public string GetArg(string key)
    {
        var arg = GetArgument(key);
        return arg.Values.Count == 1 ? arg.Values[0] : throw Error($"argument {key} has {arg.Values.Count} values; expected one");
    }

    /// <summary>The single value of <paramref name="key"/>, or <paramref name="defaultValue"/> when the argument is absent.</summary>
    public string GetArg(string key, string defaultValue) => HasArg(key) ? GetArg(key) : defaultValue;

    /// <summary>The values of <paramref name="key"/> (<c>key=(a, b)</c> gives two); throws when it is missing.</summary>
    public IReadOnlyList<string> GetArgValues(string key) => GetArgument(key).Values;

    /// <summary>The value of <paramref name="key"/> parsed as an <see cref="int"/>; throws <see cref="DataDrivenException"/> when missing or malformed.</summary>
    public int GetInt(string key)
    {
        string value = GetArg(key);
        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw Error($"argument {key}={value} is not an integer");
    }

    /// <summary>The value of <paramref name="key"/> as an <see cref="int"/>, or <paramref name="defaultValue"/> when absent.</summary>
    public int GetInt(string key, int defaultValue) => HasArg(key) ? GetInt(key) : defaultValue;

    /// <summary>The value of <paramref name="key"/> parsed as a <see cref="long"/>; throws <see cref="DataDrivenException"/> when missing or malformed.</summary>
    public long GetLong(string key)
    {
        string value = GetArg(key);
        return long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long result)
            ? result
            : throw Error($"argument {key}={value} is not an integer");
    }

    /// <summary>An exception naming this case's position, for handlers that reject their input.</summary>
    public DataDrivenException Error(string message) => new($"{Position}: {CommandLine}: {message}");

    /// <summary>"file:line: command line".</summary>
    public override string ToString() => $"{Position}: {CommandLine}";

    private TestArg? Find(string key)
    {
        foreach (var arg in Args)
        {
            if (arg.Key == key)
            {
                return arg;
            }
        }
        return null;
    }
}

/// <summary>
/// One argument of a command line: <c>key</c> (no values), <c>key=value</c> (one), <c>key="a value"</c> (one, may
/// hold spaces) or <c>key=(a, b, c)</c> (several, trimmed).
/// </summary>
/// <param name="Key">The name before '='.</param>
/// <param name="Values">The values after '=' (empty for a bare key).</param>
public sealed record TestArg(string Key, IReadOnlyList<string> Values)
{
    /// <summary>"key", "key=value" or "key=(a, b)".</summary>
    public override string ToString() => Values.Count switch
    {
        0 => Key,
        1 => $"{Key}={Values[0]}",
        _ => $"{Key}=({string.Join(", ", Values)})",
    };
}

/// <summary>A data-driven test failed: a malformed file, a handler error, or output that differs from the expected.</summary>
public sealed class DataDrivenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DataDrivenException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public DataDrivenException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    public DataDrivenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
