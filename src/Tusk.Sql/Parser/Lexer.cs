using System.Globalization;
using System.Text;

namespace Tusk.Sql.Parser;

public enum TokenKind : byte
{
    End,
    Identifier,       // unquoted (folded to lower case) or quoted ("Name", kept as written)
    Keyword,          // an unquoted identifier that is a reserved or non-reserved keyword; Text is lower case
    String,           // '...', E'...', $$...$$; Text is the value
    Integer,
    Numeric,          // with a fraction or an exponent
    Parameter,        // $1; Text is the number
    Operator,         // + - * / % ^ < > = <= >= <> != || :: -> ->> #> #>> @> <@ ? ?| ?& ~ !~ ~* !~* ~~ !~~
    Punctuation,      // ( ) , ; [ ] . :
}

/// <summary>A token and where it starts in the statement (0-based character offset; PostgreSQL reports 1-based).</summary>
public readonly record struct Token(TokenKind Kind, string Text, int Position, bool Quoted = false)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsKeyword(string keyword) => Kind == TokenKind.Keyword && Text == keyword;

    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of input",
        TokenKind.String => $"'{Text}'",
        _ => Text,
    };
}

/// <summary>A syntax error with the position PostgreSQL reports (1-based character index into the statement).</summary>
public sealed class SqlSyntaxException(string message, int position) : Exception(message)
{
    /// <summary>1-based character position in the statement text.</summary>
    public int Position { get; } = position;

    public string SqlState => "42601";
}

/// <summary>
/// PostgreSQL's lexical structure (docs "4.1 Lexical Structure"): identifiers and key words (unquoted ones fold to
/// lower case), quoted identifiers, string constants (standard, with '' doubled; E'' with backslash escapes;
/// dollar-quoted), numeric constants, positional parameters, operators and punctuation, and both comment styles
/// (block comments nest). Errors carry the position.
/// </summary>
public static class Lexer
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "all", "and", "any", "as", "asc", "between", "both", "by", "case", "cast", "check", "collate", "column", "constraint",
        "create", "cross", "current_date", "current_time", "current_timestamp", "default", "delete", "desc", "distinct", "do", "drop",
        "else", "end", "except", "exists", "false", "fetch", "first", "for", "foreign", "from", "full", "group", "having", "ilike",
        "in", "inner", "insert", "intersect", "interval", "into", "is", "isnull", "join", "last", "lateral", "leading", "left", "like",
        "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null", "nulls", "offset", "on", "only", "or", "order", "outer",
        "primary", "recursive", "references", "returning", "right", "rows", "select", "set", "similar", "some", "symmetric", "table",
        "then", "to", "trailing", "true", "union", "unique", "update", "user", "using", "values", "when", "where", "window", "with",
    };

    /// <summary>Reserved words cannot be column or table names without quotes (a subset of PostgreSQL's list).</summary>
    public static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "all", "and", "any", "as", "asc", "both", "case", "cast", "check", "collate", "column", "constraint", "create", "current_date",
        "current_time", "current_timestamp", "default", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for",
        "foreign", "from", "group", "having", "in", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp",
        "not", "null", "offset", "on", "only", "or", "order", "primary", "references", "returning", "select", "some", "symmetric",
        "table", "then", "to", "trailing", "true", "union", "unique", "user", "using", "when", "where", "window", "with",
    };

    private const string OperatorChars = "+-*/<>=~!@#%^&|`?";

    public static List<Token> Tokenize(string sql)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            i = SkipSpaceAndComments(sql, i);
            if (i >= sql.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", sql.Length));
                return tokens;
            }
            var c = sql[i];
            var start = i;
            if (c is 'e' or 'E' && i + 1 < sql.Length && sql[i + 1] == '\'')
            {
                tokens.Add(new Token(TokenKind.String, EscapedString(sql, ref i), start));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '$')) i++;
                var word = sql[start..i].ToLowerInvariant();
                tokens.Add(new Token(Keywords.Contains(word) ? TokenKind.Keyword : TokenKind.Identifier, word, start));
            }
            else if (c == '"')
            {
                tokens.Add(new Token(TokenKind.Identifier, QuotedIdentifier(sql, ref i), start, Quoted: true));
            }
            else if (c == '\'')
            {
                tokens.Add(new Token(TokenKind.String, StandardString(sql, ref i), start));
            }
            else if (c == '$' && i + 1 < sql.Length && char.IsDigit(sql[i + 1]))
            {
                i++;
                while (i < sql.Length && char.IsDigit(sql[i])) i++;
                tokens.Add(new Token(TokenKind.Parameter, sql[(start + 1)..i], start));
            }
            else if (c == '$')
            {
                tokens.Add(new Token(TokenKind.String, DollarString(sql, ref i), start));
            }
            else if (char.IsDigit(c) || (c == '.' && i + 1 < sql.Length && char.IsDigit(sql[i + 1])))
            {
                tokens.Add(Number(sql, ref i));
            }
            else if (c is '(' or ')' or ',' or ';' or '[' or ']')
            {
                i++;
                tokens.Add(new Token(TokenKind.Punctuation, c.ToString(), start));
            }
            else if (c == ':')
            {
                if (i + 1 < sql.Length && sql[i + 1] == ':')
                {
                    i += 2;
                    tokens.Add(new Token(TokenKind.Operator, "::", start));
                }
                else
                {
                    i++;
                    tokens.Add(new Token(TokenKind.Punctuation, ":", start));
                }
            }
            else if (c == '.')
            {
                i++;
                tokens.Add(new Token(TokenKind.Punctuation, ".", start));
            }
            else if (OperatorChars.Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(TokenKind.Operator, Operator(sql, ref i), start));
            }
            else
            {
                throw new SqlSyntaxException($"syntax error at or near \"{c}\"", start + 1);
            }
        }
    }

    private static int SkipSpaceAndComments(string sql, int i)
    {
        while (i < sql.Length)
        {
            if (char.IsWhiteSpace(sql[i]))
            {
                i++;
            }
            else if (sql[i] == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                while (i < sql.Length && sql[i] != '\n') i++;
            }
            else if (sql[i] == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var start = i;
                var depth = 0;
                do
                {
                    if (i + 1 < sql.Length && sql[i] == '/' && sql[i + 1] == '*') { depth++; i += 2; }
                    else if (i + 1 < sql.Length && sql[i] == '*' && sql[i + 1] == '/') { depth--; i += 2; }
                    else if (i >= sql.Length) throw new SqlSyntaxException("unterminated /* comment", start + 1);
                    else i++;
                }
                while (depth > 0);
            }
            else
            {
                break;
            }
        }
        return i;
    }

    private static string QuotedIdentifier(string sql, ref int i)
    {
        var start = i++;
        var text = new StringBuilder();
        while (true)
        {
            if (i >= sql.Length) throw new SqlSyntaxException("unterminated quoted identifier", start + 1);
            if (sql[i] == '"')
            {
                if (i + 1 < sql.Length && sql[i + 1] == '"') { text.Append('"'); i += 2; continue; }
                i++;
                break;
            }
            text.Append(sql[i++]);
        }
        if (text.Length == 0) throw new SqlSyntaxException("zero-length delimited identifier", start + 1);
        return text.ToString();
    }

    private static string StandardString(string sql, ref int i)
    {
        var start = i++;
        var text = new StringBuilder();
        while (true)
        {
            if (i >= sql.Length) throw new SqlSyntaxException("unterminated quoted string", start + 1);
            if (sql[i] == '\'')
            {
                if (i + 1 < sql.Length && sql[i + 1] == '\'') { text.Append('\''); i += 2; continue; }
                i++;
                // Two string constants separated by whitespace with a newline are concatenated (SQL standard).
                var next = i;
                var newline = false;
                while (next < sql.Length && char.IsWhiteSpace(sql[next])) newline |= sql[next++] == '\n';
                if (newline && next < sql.Length && sql[next] == '\'')
                {
                    i = next + 1;
                    continue;
                }
                return text.ToString();
            }
            text.Append(sql[i++]);
        }
    }

    private static string EscapedString(string sql, ref int i)
    {
        var start = i;
        i += 2;
        var text = new StringBuilder();
        while (true)
        {
            if (i >= sql.Length) throw new SqlSyntaxException("unterminated quoted string", start + 1);
            var c = sql[i];
            if (c == '\'')
            {
                if (i + 1 < sql.Length && sql[i + 1] == '\'') { text.Append('\''); i += 2; continue; }
                i++;
                return text.ToString();
            }
            if (c != '\\' || i + 1 >= sql.Length)
            {
                text.Append(c);
                i++;
                continue;
            }
            var e = sql[i + 1];
            i += 2;
            switch (e)
            {
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'x':
                {
                    var hex = 0;
                    var digits = 0;
                    while (digits < 2 && i < sql.Length && Uri.IsHexDigit(sql[i])) { hex = hex * 16 + Convert.ToInt32(sql[i].ToString(), 16); i++; digits++; }
                    if (digits == 0) throw new SqlSyntaxException("invalid hexadecimal escape", i);
                    text.Append((char)hex);
                    break;
                }
                case 'u' or 'U':
                {
                    var n = e == 'u' ? 4 : 8;
                    if (i + n > sql.Length || !int.TryParse(sql.AsSpan(i, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp) || cp > 0x10FFFF)
                        throw new SqlSyntaxException("invalid Unicode escape", i);
                    text.Append(char.ConvertFromUtf32(cp));
                    i += n;
                    break;
                }
                case >= '0' and <= '7':
                {
                    var value = e - '0';
                    for (var d = 0; d < 2 && i < sql.Length && sql[i] is >= '0' and <= '7'; d++) value = value * 8 + (sql[i++] - '0');
                    text.Append((char)value);
                    break;
                }
                default:
                    text.Append(e);
                    break;
            }
        }
    }

    private static string DollarString(string sql, ref int i)
    {
        var start = i;
        var end = i + 1;
        while (end < sql.Length && (char.IsLetterOrDigit(sql[end]) || sql[end] == '_')) end++;
        if (end >= sql.Length || sql[end] != '$') throw new SqlSyntaxException("syntax error at or near \"$\"", start + 1);
        var tag = sql[start..(end + 1)];
        var close = sql.IndexOf(tag, end + 1, StringComparison.Ordinal);
        if (close < 0) throw new SqlSyntaxException("unterminated dollar-quoted string", start + 1);
        i = close + tag.Length;
        return sql[(end + 1)..close];
    }

    private static Token Number(string sql, ref int i)
    {
        var start = i;
        var numeric = false;
        while (i < sql.Length && (char.IsDigit(sql[i]) || sql[i] == '_')) i++;
        if (i < sql.Length && sql[i] == '.' && !(i + 1 < sql.Length && sql[i + 1] == '.'))
        {
            numeric = true;
            i++;
            while (i < sql.Length && char.IsDigit(sql[i])) i++;
        }
        if (i < sql.Length && sql[i] is 'e' or 'E')
        {
            var save = i;
            i++;
            if (i < sql.Length && sql[i] is '+' or '-') i++;
            if (i < sql.Length && char.IsDigit(sql[i]))
            {
                numeric = true;
                while (i < sql.Length && char.IsDigit(sql[i])) i++;
            }
            else
            {
                i = save;
            }
        }
        if (i < sql.Length && (char.IsLetter(sql[i]) || sql[i] == '_'))
            throw new SqlSyntaxException($"trailing junk after numeric literal at or near \"{sql[start..(i + 1)]}\"", start + 1);
        return new Token(numeric ? TokenKind.Numeric : TokenKind.Integer, sql[start..i].Replace("_", "", StringComparison.Ordinal), start);
    }

    private static string Operator(string sql, ref int i)
    {
        var start = i;
        while (i < sql.Length && OperatorChars.Contains(sql[i], StringComparison.Ordinal))
        {
            // "--" and "/*" start comments even inside an operator.
            if (i > start && ((sql[i] == '-' && i + 1 < sql.Length && sql[i + 1] == '-') || (sql[i] == '/' && i + 1 < sql.Length && sql[i + 1] == '*'))) break;
            i++;
        }
        var op = sql[start..i];
        // A multi-character operator cannot end in + or - unless it contains ~ ! @ # % ^ & | ` ? (PostgreSQL's rule),
        // so "a<-1" is "a < -1".
        while (op.Length > 1 && op[^1] is '+' or '-' && op.IndexOfAny(['~', '!', '@', '#', '%', '^', '&', '|', '`', '?']) < 0)
        {
            op = op[..^1];
            i--;
        }
        return op;
    }
}
