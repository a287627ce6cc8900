using System.Globalization;

namespace Tusk.Cli;

/// <summary>
/// Hand-written command-line parser for one (sub)command. Options are declared up front: a <em>value</em>
/// option takes an argument (<c>--data DIR</c> or <c>--data=DIR</c>); a <em>flag</em> takes none (<c>--sync</c>) but
/// also accepts an explicit boolean (<c>--sync=1</c>, <c>--sync=false</c>), which is how db_bench spells its
/// booleans; a <em>repeatable</em> option takes a value and may be given several times (<c>--config a=1
/// --config b=2</c>). Everything else is a positional argument; <c>--</c> ends option parsing so keys may start with
/// a dash. Unknown options, a non-repeatable option given twice and stray values raise <see cref="UsageException"/> with the
/// command's usage text. Not thread-safe; cheap (parses once, lookups are dictionary reads).
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _repeated = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flagNames;
    private readonly string _usage;

    private Arguments(string usage, HashSet<string> flagNames)
    {
        _usage = usage;
        _flagNames = flagNames;
    }

    /// <summary>Arguments that are not options, in order.</summary>
    public List<string> Positionals { get; } = [];

    /// <summary>True when <c>-h</c> or <c>--help</c> was given.</summary>
    public bool HelpRequested { get; private set; }

    /// <summary>
    /// Parses <paramref name="args"/> against the declared option names (without the leading dashes).
    /// </summary>
    public static Arguments Parse(IReadOnlyList<string> args, string usage, IEnumerable<string> valueOptions, IEnumerable<string>? flagOptions = null,
        IEnumerable<string>? repeatableOptions = null)
    {
        var valueNames = new HashSet<string>(valueOptions, StringComparer.Ordinal);
        var flagNames = new HashSet<string>(flagOptions ?? [], StringComparer.Ordinal);
        var repeatableNames = new HashSet<string>(repeatableOptions ?? [], StringComparer.Ordinal);
        var result = new Arguments(usage, flagNames);
        bool optionsEnded = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (optionsEnded || arg.Length < 2 || arg[0] != '-' || IsNegativeNumber(arg))
            {
                result.Positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }
            if (arg is "-h" or "--help")
            {
                result.HelpRequested = true;
                continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unknown option '{arg}' (options are spelled --name)", usage);
            }
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            if (valueNames.Contains(name) || repeatableNames.Contains(name))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException($"option --{name} needs a value", usage);
                    }
                    value = args[++i];
                }
            }
            else if (flagNames.Contains(name))
            {
                value = value is null ? "1" : ParseBoolean(name, value, usage) ? "1" : "0";
            }
            else
            {
                throw new UsageException($"unknown option '--{name}'", usage);
            }
            if (repeatableNames.Contains(name))
            {
                if (!result._repeated.TryGetValue(name, out List<string>? list))
                {
                    result._repeated[name] = list = [];
                }
                list.Add(value);
                continue;
            }
            if (!result._values.TryAdd(name, value))
            {
                throw new UsageException($"option --{name} given more than once", usage);
            }
        }
        return result;
    }

    /// <summary>The value of a value option, or null when absent.</summary>
    public string? Value(string name) => _values.TryGetValue(name, out string? v) ? v : null;

    /// <summary>The value of a value option, or <paramref name="defaultValue"/> when absent.</summary>
    public string Value(string name, string defaultValue) => Value(name) ?? defaultValue;

    /// <summary>Every value of a repeatable option, in command-line order (empty when absent).</summary>
    public IReadOnlyList<string> Values(string name) => _repeated.TryGetValue(name, out List<string>? list) ? list : [];

    /// <summary>Whether a flag was set (bare, or with a true value).</summary>
    public bool Flag(string name)
    {
        if (!_flagNames.Contains(name))
        {
            throw new InvalidOperationException($"--{name} is not a declared flag");
        }
        return _values.TryGetValue(name, out string? v) && v == "1";
    }

    /// <summary>An integer option in [<paramref name="min"/>, <paramref name="max"/>], with a default.</summary>
    public long Integer(string name, long defaultValue, long min, long max)
    {
        string? text = Value(name);
        if (text is null)
        {
            return defaultValue;
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            throw new UsageException($"--{name}={text} is not an integer", _usage);
        }
        if (v < min || v > max)
        {
            throw new UsageException($"--{name}={text} is out of range [{min}, {max}]", _usage);
        }
        return v;
    }

    /// <summary>Exactly <paramref name="count"/> positional arguments named by <paramref name="names"/>.</summary>
    public void RequirePositionals(int count, string names)
    {
        if (Positionals.Count < count)
        {
            throw new UsageException($"missing argument: expected {names}", _usage);
        }
        if (Positionals.Count > count)
        {
            throw new UsageException($"unexpected argument '{Positionals[count]}'", _usage);
        }
    }

    /// <summary>Parses 0/1/true/false/yes/no (case-insensitive).</summary>
    public static bool ParseBoolean(string name, string value, string usage) => value.ToUpperInvariant() switch
    {
        "1" or "TRUE" or "YES" => true,
        "0" or "FALSE" or "NO" => false,
        _ => throw new UsageException($"--{name}={value} is not a boolean (use 0 or 1)", usage),
    };

    private static bool IsNegativeNumber(string arg) => arg.Length > 1 && arg[0] == '-' && char.IsAsciiDigit(arg[1]);
}
