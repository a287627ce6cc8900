using System.Text;
using System.Text.RegularExpressions;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// PostgreSQL's regular expressions (ARE) on .NET's engine. The dialects mostly agree; this translates what differs:
/// POSIX bracket classes ([[:alpha:]]), \m \M \y \Y word boundaries, "." matching newlines by default, replacement
/// strings (\1 and \&amp; instead of $1 and $0), and the flag letters. Regex objects come from .NET's own cache.
/// </summary>
internal static class RegexSupport
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(10);

    public static bool IsMatch(string input, string pattern, bool caseInsensitive) =>
        Build(pattern, caseInsensitive ? RegexOptions.IgnoreCase : RegexOptions.None, newlineSensitive: false).IsMatch(input);

    public static string Replace(string input, string pattern, string replacement, string flags)
    {
        var (options, global, newlineSensitive) = ParseFlags(flags);
        var regex = Build(pattern, options, newlineSensitive);
        var dotnetReplacement = TranslateReplacement(replacement);
        return global ? regex.Replace(input, dotnetReplacement) : regex.Replace(input, dotnetReplacement, 1);
    }

    /// <summary>PostgreSQL's flag letters; "newline-sensitive" (n) makes "." and [^...] stop at newlines.</summary>
    public static (RegexOptions Options, bool Global, bool NewlineSensitive) ParseFlags(string flags)
    {
        var options = RegexOptions.None;
        var global = false;
        var newlineSensitive = false;
        foreach (var flag in flags)
        {
            switch (flag)
            {
                case 'g': global = true; break;
                case 'i': options |= RegexOptions.IgnoreCase; break;
                case 'c': options &= ~RegexOptions.IgnoreCase; break;
                case 'n' or 'm': options |= RegexOptions.Multiline; newlineSensitive = true; break;
                case 's': options &= ~RegexOptions.Multiline; newlineSensitive = false; break;
                case 'x': options |= RegexOptions.IgnorePatternWhitespace; break;
                case 'p': newlineSensitive = true; break;
                case 'w': options |= RegexOptions.Multiline; break;
                default: throw new SqlDataException("22023", $"invalid regular expression option: \"{flag}\"");
            }
        }
        return (options, global, newlineSensitive);
    }

    public static Regex Build(string pattern, RegexOptions options, bool newlineSensitive)
    {
        var dotnetOptions = options | RegexOptions.CultureInvariant;
        if (!newlineSensitive) dotnetOptions |= RegexOptions.Singleline;
        try
        {
            return new Regex(TranslatePattern(pattern), dotnetOptions, MatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw new SqlDataException("2201B", "invalid regular expression: " + e.Message);
        }
    }

    public static string TranslatePattern(string pattern)
    {
        var builder = new StringBuilder(pattern.Length + 8);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var next = pattern[++i];
                builder.Append(inClass ? "\\" + next : next switch
                {
                    'm' => @"\b(?=\w)",
                    'M' => @"\b(?<=\w)",
                    'y' => @"\b",
                    'Y' => @"\B",
                    'Z' => @"\z",
                    _ => "\\" + next,
                });
                continue;
            }
            if (inClass && c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
            {
                var end = pattern.IndexOf(":]", i + 2, StringComparison.Ordinal);
                if (end > 0)
                {
                    builder.Append(PosixClass(pattern[(i + 2)..end]));
                    i = end + 1;
                    continue;
                }
            }
            if (!inClass && c == '[')
            {
                inClass = true;
                builder.Append(c);
                // A ']' right after '[' or '[^' is a literal.
                if (i + 1 < pattern.Length && pattern[i + 1] == '^') builder.Append(pattern[++i]);
                if (i + 1 < pattern.Length && pattern[i + 1] == ']') { builder.Append("\\]"); i++; }
                continue;
            }
            if (inClass && c == ']') inClass = false;
            builder.Append(c);
        }
        return builder.ToString();
    }

    private static string PosixClass(string name) => name switch
    {
        "alpha" => @"\p{L}",
        "digit" => @"\d",
        "alnum" => @"\p{L}\p{Nd}",
        "upper" => @"\p{Lu}",
        "lower" => @"\p{Ll}",
        "space" => @"\s",
        "blank" => @" \t",
        "punct" => @"\p{P}\p{S}",
        "xdigit" => @"0-9A-Fa-f",
        "word" => @"\w",
        "cntrl" => @"\p{Cc}",
        "print" => @"\P{C}",
        "graph" => @"\p{L}\p{M}\p{N}\p{P}\p{S}",
        _ => throw new SqlDataException("2201B", $"invalid regular expression: invalid character class \"{name}\""),
    };

    /// <summary>PostgreSQL's replacement text: \1..\9 groups, \&amp; the whole match, \\ a backslash; "$" is literal.</summary>
    public static string TranslateReplacement(string replacement)
    {
        var builder = new StringBuilder(replacement.Length + 4);
        for (var i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c == '$') { builder.Append("$$"); continue; }
            if (c == '\\' && i + 1 < replacement.Length)
            {
                var next = replacement[i + 1];
                if (next is >= '1' and <= '9') { builder.Append("${").Append(next).Append('}'); i++; continue; }
                if (next == '&') { builder.Append("$0"); i++; continue; }
                if (next == '\\') { builder.Append('\\'); i++; continue; }
            }
            builder.Append(c);
        }
        return builder.ToString();
    }
}
