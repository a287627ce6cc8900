using System.Globalization;
using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// String helpers that count characters as PostgreSQL does with UTF-8: by code point, so a character outside the
/// BMP (a surrogate pair in .NET) is one character. Strings without surrogates take the plain UTF-16 path.
/// </summary>
internal static class TextOps
{
    public static bool HasSurrogates(string s) => s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    public static int Length(string s)
    {
        if (!HasSurrogates(s)) return s.Length;
        var count = 0;
        foreach (var _ in s.EnumerateRunes()) count++;
        return count;
    }

    /// <summary>The characters (code points) of <paramref name="s"/>, each as a string of one or two UTF-16 units.</summary>
    public static string[] Characters(string s)
    {
        var result = new List<string>(s.Length);
        foreach (var rune in s.EnumerateRunes()) result.Add(rune.ToString());
        return [.. result];
    }

    /// <summary>Code points [start, start + count), clamped to the string; start is 0-based.</summary>
    public static string Slice(string s, long start, long count)
    {
        if (count <= 0) return "";
        var length = Length(s);
        var from = (int)Math.Clamp(start, 0, length);
        var to = (int)Math.Clamp(start + count, from, length);
        if (!HasSurrogates(s)) return s[from..to];
        return string.Concat(Characters(s)[from..to]);
    }

    /// <summary>PostgreSQL's substr(s, start[, length]): 1-based start that may be ≤ 0, a negative length is an error.</summary>
    public static string Substring(string s, long start, long? length)
    {
        if (length is null) return Slice(s, Math.Max(start, 1) - 1, long.MaxValue / 2);
        if (length < 0) throw new SqlDataException("22011", "negative substring length not allowed");
        var end = start + length.Value;
        var first = Math.Max(start, 1);
        return end <= first ? "" : Slice(s, first - 1, end - first);
    }

    public static string Reverse(string s)
    {
        var characters = Characters(s);
        Array.Reverse(characters);
        return string.Concat(characters);
    }

    /// <summary>btrim/ltrim/rtrim: strips characters found in <paramref name="set"/> from the chosen ends.</summary>
    public static string Trim(string s, string set, bool leading, bool trailing)
    {
        var characters = Characters(s);
        var remove = new HashSet<string>(Characters(set), StringComparer.Ordinal);
        int from = 0, to = characters.Length;
        if (leading) while (from < to && remove.Contains(characters[from])) from++;
        if (trailing) while (to > from && remove.Contains(characters[to - 1])) to--;
        return string.Concat(characters[from..to]);
    }

    public static string Pad(string s, int length, string fill, bool left)
    {
        if (length <= 0) return "";
        var characters = Characters(s);
        if (characters.Length >= length) return string.Concat(characters[..length]);
        var fillCharacters = Characters(fill);
        if (fillCharacters.Length == 0) return s;
        var padding = new StringBuilder();
        for (var i = 0; i < length - characters.Length; i++) padding.Append(fillCharacters[i % fillCharacters.Length]);
        return left ? padding + s : s + padding;
    }

    /// <summary>initcap: the first letter or digit of each alphanumeric run upper-cased, the rest lower-cased.</summary>
    public static string InitCap(string s)
    {
        var builder = new StringBuilder(s.Length);
        var inWord = false;
        foreach (var rune in s.EnumerateRunes())
        {
            var alphanumeric = Rune.IsLetterOrDigit(rune);
            builder.Append((inWord ? Rune.ToLowerInvariant(rune) : Rune.ToUpperInvariant(rune)).ToString());
            inWord = alphanumeric;
        }
        return builder.ToString();
    }

    public static string Translate(string s, string from, string to)
    {
        var fromCharacters = Characters(from);
        var toCharacters = Characters(to);
        var builder = new StringBuilder(s.Length);
        foreach (var character in Characters(s))
        {
            var index = Array.IndexOf(fromCharacters, character);
            if (index < 0) builder.Append(character);
            else if (index < toCharacters.Length) builder.Append(toCharacters[index]);
        }
        return builder.ToString();
    }

    public static string SplitPart(string s, string delimiter, int field)
    {
        if (field == 0) throw new SqlDataException("22023", "field position must not be zero");
        string[] parts = delimiter.Length == 0 ? [s] : s.Split(delimiter);
        if (s.Length == 0) parts = [];
        var index = field > 0 ? field - 1 : parts.Length + field;
        return index >= 0 && index < parts.Length ? parts[index] : "";
    }

    /// <summary>1-based code point position of <paramref name="sub"/> in <paramref name="s"/>, 0 if absent.</summary>
    public static int Position(string s, string sub)
    {
        var index = s.IndexOf(sub, StringComparison.Ordinal);
        if (index < 0) return 0;
        return Length(s[..index]) + 1;
    }

    public static string Chr(int code)
    {
        if (code == 0) throw new SqlDataException("54000", "null character not permitted");
        if (code < 0 || code > 0x10FFFF) throw new SqlDataException("54000", $"requested character too large for encoding: {code}");
        if (code is >= 0xD800 and <= 0xDFFF) throw new SqlDataException("54000", $"requested character not valid for encoding: {code}");
        return char.ConvertFromUtf32(code);
    }

    public static int Ascii(string s) => s.Length == 0 ? 0 : Rune.GetRuneAt(s, 0).Value;

    public static string QuoteIdent(string s)
    {
        var plain = s.Length > 0 && (s[0] is >= 'a' and <= 'z' or '_')
            && s.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '$')
            && !Parser.Lexer.Reserved.Contains(s);
        return plain ? s : "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static string QuoteLiteral(string s)
    {
        var quoted = "'" + s.Replace("'", "''", StringComparison.Ordinal).Replace("\\", "\\\\", StringComparison.Ordinal) + "'";
        return s.Contains('\\', StringComparison.Ordinal) ? "E" + quoted : quoted;
    }

    public static string ToHex(long value, bool isInt4) =>
        isInt4 ? ((uint)(int)value).ToString("x", CultureInfo.InvariantCulture) : ((ulong)value).ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The text output of a value as concat() and format() see it.</summary>
    public static string Output(object value, SqlType type) => TextFormat.Format(value, type);
}
