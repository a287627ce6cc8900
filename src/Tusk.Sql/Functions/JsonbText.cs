using System.Globalization;
using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// A strict JSON parser (RFC 8259, as PostgreSQL's json lexer: whitespace is space, tab, CR, LF; no trailing commas,
/// no NaN). Errors are 22P02 "invalid input syntax for type json", \u0000 is 22P05.
/// </summary>
internal ref struct JsonbParser
{
    /// <summary>Nesting limit; PostgreSQL's bound is the stack depth, this one keeps recursion safe.</summary>
    private const int DepthMax = 1000;

    private readonly string _text;
    private int _at;

    private JsonbParser(string text) => _text = text;

    public static JsonbNode Parse(string text)
    {
        var parser = new JsonbParser(text);
        parser.SkipWhitespace();
        var node = parser.Value(0);
        parser.SkipWhitespace();
        if (parser._at != text.Length) throw Invalid();
        return node;
    }

    private static SqlDataException Invalid() => new("22P02", "invalid input syntax for type json");

    private void SkipWhitespace()
    {
        while (_at < _text.Length && _text[_at] is ' ' or '\t' or '\n' or '\r') _at++;
    }

    private JsonbNode Value(int depth)
    {
        if (depth > DepthMax) throw new SqlDataException("54001", "stack depth limit exceeded");
        if (_at >= _text.Length) throw Invalid();
        switch (_text[_at])
        {
            case '{': return Object(depth);
            case '[': return Array(depth);
            case '"': return JsonbNode.FromString(String());
            case 't': Keyword("true"); return JsonbNode.True;
            case 'f': Keyword("false"); return JsonbNode.False;
            case 'n': Keyword("null"); return JsonbNode.Null;
            default: return Number();
        }
    }

    private void Keyword(string word)
    {
        if (string.CompareOrdinal(_text, _at, word, 0, word.Length) != 0) throw Invalid();
        _at += word.Length;
        if (_at < _text.Length && char.IsAsciiLetterOrDigit(_text[_at])) throw Invalid();
    }

    private JsonbNode Number()
    {
        var start = _at;
        if (_at < _text.Length && _text[_at] == '-') _at++;
        var digitsStart = _at;
        while (_at < _text.Length && char.IsAsciiDigit(_text[_at])) _at++;
        var integerDigits = _at - digitsStart;
        if (integerDigits == 0 || integerDigits > 1 && _text[digitsStart] == '0') throw Invalid();
        if (_at < _text.Length && _text[_at] == '.')
        {
            _at++;
            var fractionStart = _at;
            while (_at < _text.Length && char.IsAsciiDigit(_text[_at])) _at++;
            if (_at == fractionStart) throw Invalid();
        }
        if (_at < _text.Length && _text[_at] is 'e' or 'E')
        {
            _at++;
            if (_at < _text.Length && _text[_at] is '+' or '-') _at++;
            var exponentStart = _at;
            while (_at < _text.Length && char.IsAsciiDigit(_text[_at])) _at++;
            if (_at == exponentStart) throw Invalid();
        }
        if (_at < _text.Length && char.IsAsciiLetter(_text[_at])) throw Invalid();
        return JsonbNode.FromNumberText(_text[start.._at]);
    }

    private string String()
    {
        _at++;  // opening quote
        var builder = new StringBuilder();
        while (true)
        {
            if (_at >= _text.Length) throw Invalid();
            var c = _text[_at++];
            if (c == '"') return builder.ToString();
            if (c < ' ') throw Invalid();
            if (c != '\\') { builder.Append(c); continue; }
            if (_at >= _text.Length) throw Invalid();
            var escape = _text[_at++];
            switch (escape)
            {
                case '"' or '\\' or '/': builder.Append(escape); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u': builder.Append(UnicodeEscape()); break;
                default: throw Invalid();
            }
        }
    }

    private string UnicodeEscape()
    {
        var code = Hex4();
        if (code == 0) throw new SqlDataException("22P05", "unsupported Unicode escape sequence");
        if (char.IsLowSurrogate((char)code)) throw new SqlDataException("22P02", "invalid input syntax for type json: Unicode low surrogate must follow a high surrogate");
        if (!char.IsHighSurrogate((char)code)) return ((char)code).ToString();
        if (_at + 1 < _text.Length && _text[_at] == '\\' && _text[_at + 1] == 'u')
        {
            _at += 2;
            var low = Hex4();
            if (char.IsLowSurrogate((char)low)) return new string([(char)code, (char)low]);
        }
        throw new SqlDataException("22P02", "invalid input syntax for type json: Unicode high surrogate must not be followed by another high surrogate or a non-surrogate");
    }

    private int Hex4()
    {
        if (_at + 4 > _text.Length || !int.TryParse(_text.AsSpan(_at, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
            throw Invalid();
        _at += 4;
        return code;
    }

    private JsonbNode Array(int depth)
    {
        _at++;
        var items = new List<JsonbNode>();
        SkipWhitespace();
        if (_at < _text.Length && _text[_at] == ']') { _at++; return JsonbNode.FromArray(items); }
        while (true)
        {
            SkipWhitespace();
            items.Add(Value(depth + 1));
            SkipWhitespace();
            if (_at >= _text.Length) throw Invalid();
            var c = _text[_at++];
            if (c == ']') return JsonbNode.FromArray(items);
            if (c != ',') throw Invalid();
        }
    }

    private JsonbNode Object(int depth)
    {
        _at++;
        var fields = new List<KeyValuePair<string, JsonbNode>>();
        SkipWhitespace();
        if (_at < _text.Length && _text[_at] == '}') { _at++; return JsonbNode.FromFields(fields); }
        while (true)
        {
            SkipWhitespace();
            if (_at >= _text.Length || _text[_at] != '"') throw Invalid();
            var key = String();
            SkipWhitespace();
            if (_at >= _text.Length || _text[_at++] != ':') throw Invalid();
            SkipWhitespace();
            fields.Add(new(key, Value(depth + 1)));
            SkipWhitespace();
            if (_at >= _text.Length) throw Invalid();
            var c = _text[_at++];
            if (c == '}') return JsonbNode.FromFields(fields);
            if (c != ',') throw Invalid();
        }
    }
}

/// <summary>
/// jsonb output exactly as PostgreSQL's JsonbToCStringWorker prints it: `{"a": 1, "b": [1, 2]}`, and with
/// <c>pretty</c> (jsonb_pretty) four-space indentation where an empty container still gets its own closing line.
/// </summary>
internal static class JsonbWriter
{
    public static string Write(JsonbNode node, bool pretty)
    {
        var builder = new StringBuilder();
        var state = new State { Pretty = pretty };
        Emit(builder, node, ref state, afterKey: false);
        return builder.ToString();
    }

    // The token loop's state: "first" suppresses the separator, UseIndent is false only for the very first token.
    private struct State
    {
        public bool Pretty;
        public bool UseIndent;
        public int Level;
    }

    private static void Emit(StringBuilder builder, JsonbNode node, ref State state, bool afterKey)
    {
        switch (node.Kind)
        {
            case JsonbKind.Array:
                Indent(builder, state.UseIndent && !afterKey, state.Level);
                builder.Append('[');
                state.Level++;
                state.UseIndent = state.Pretty;
                for (var i = 0; i < node.Items.Count; i++)
                {
                    if (i > 0) builder.Append(state.Pretty ? "," : ", ");
                    var item = node.Items[i];
                    if (item.Kind is JsonbKind.Array or JsonbKind.Object) Emit(builder, item, ref state, afterKey: false);
                    else
                    {
                        Indent(builder, state.UseIndent, state.Level);
                        WriteScalar(builder, item);
                    }
                    state.UseIndent = state.Pretty;
                }
                state.Level--;
                Indent(builder, state.UseIndent, state.Level);
                builder.Append(']');
                break;
            case JsonbKind.Object:
                Indent(builder, state.UseIndent && !afterKey, state.Level);
                builder.Append('{');
                state.Level++;
                state.UseIndent = state.Pretty;
                for (var i = 0; i < node.Fields.Count; i++)
                {
                    if (i > 0) builder.Append(state.Pretty ? "," : ", ");
                    Indent(builder, state.UseIndent, state.Level);
                    WriteString(builder, node.Fields[i].Key);
                    builder.Append(": ");
                    var value = node.Fields[i].Value;
                    if (value.Kind is JsonbKind.Array or JsonbKind.Object) Emit(builder, value, ref state, afterKey: true);
                    else WriteScalar(builder, value);
                    state.UseIndent = state.Pretty;
                }
                state.Level--;
                Indent(builder, state.UseIndent, state.Level);
                builder.Append('}');
                break;
            default:
                WriteScalar(builder, node);  // a raw scalar document
                break;
        }
    }

    private static void Indent(StringBuilder builder, bool indent, int level)
    {
        if (!indent) return;
        builder.Append('\n');
        builder.Append(' ', level * 4);
    }

    private static void WriteScalar(StringBuilder builder, JsonbNode node)
    {
        switch (node.Kind)
        {
            case JsonbKind.Null: builder.Append("null"); break;
            case JsonbKind.Bool: builder.Append(node.Bool ? "true" : "false"); break;
            case JsonbKind.Number: builder.Append(node.Text); break;
            default: WriteString(builder, node.Text); break;
        }
    }

    /// <summary>PostgreSQL's escape_json: \" \\ \b \f \n \r \t, other control characters as \u00xx, the rest as is.</summary>
    public static void WriteString(StringBuilder builder, string s)
    {
        builder.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < ' ') builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
    }
}
