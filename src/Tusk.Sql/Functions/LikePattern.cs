using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// LIKE and ILIKE as PostgreSQL matches them: % any run of characters, _ exactly one character (a code point), the
/// escape character (default backslash) makes the next pattern character literal. ILIKE lower-cases both sides.
/// Matching is the greedy two-pointer algorithm with one backtrack point per %: O(input × pattern) worst case,
/// no recursion. Patterns are checked before matching, so a trailing escape is an error even when an earlier
/// character already decided the match (PostgreSQL reports it only if matching reaches it).
/// </summary>
public static class LikePattern
{
    private const int AnyOne = -1;     // _
    private const int AnyRun = -2;     // %

    /// <summary>
    /// <paramref name="escape"/>: null means the default '\', "" means no escape character; anything longer than one
    /// character is 22019. A pattern ending in the escape character is 22025.
    /// </summary>
    public static bool Matches(string input, string pattern, string? escape, bool caseInsensitive)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(pattern);
        var escapeRune = ParseEscape(escape);
        if (caseInsensitive)
        {
            input = input.ToLowerInvariant();
            pattern = pattern.ToLowerInvariant();
        }
        var text = CodePoints(input);
        var items = Compile(pattern, escapeRune);
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < items.Length && items[p] == AnyRun)
            {
                starP = p++;
                starT = t;
            }
            else if (p < items.Length && (items[p] == AnyOne || items[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else return false;
        }
        while (p < items.Length && items[p] == AnyRun) p++;
        return p == items.Length;
    }

    private static int? ParseEscape(string? escape)
    {
        if (escape is null) return '\\';
        if (escape.Length == 0) return null;
        var runes = CodePoints(escape);
        if (runes.Length != 1) throw new SqlDataException("22019", "invalid escape string");
        return runes[0];
    }

    /// <summary>The pattern as code points, with % and _ (unescaped) turned into the negative markers.</summary>
    private static int[] Compile(string pattern, int? escape)
    {
        var source = CodePoints(pattern);
        var items = new List<int>(source.Length);
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (escape == c)
            {
                if (i + 1 >= source.Length) throw new SqlDataException("22025", "LIKE pattern must not end with escape character");
                items.Add(source[++i]);
            }
            else if (c == '%')
            {
                if (items.Count == 0 || items[^1] != AnyRun) items.Add(AnyRun);  // %% is %
            }
            else if (c == '_') items.Add(AnyOne);
            else items.Add(c);
        }
        return [.. items];
    }

    private static int[] CodePoints(string s)
    {
        var result = new int[s.Length];
        var count = 0;
        foreach (var rune in s.EnumerateRunes()) result[count++] = rune.Value;
        return count == result.Length ? result : result[..count];
    }
}
