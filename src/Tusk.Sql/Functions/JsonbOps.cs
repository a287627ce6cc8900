using System.Globalization;
using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>jsonb's operators and functions on parsed documents (PostgreSQL's jsonfuncs.c and jsonb_op.c semantics).</summary>
internal static class JsonbOps
{
    /// <summary>-> text: an object's field; NULL for a missing key or a non-object.</summary>
    public static JsonbNode? Field(JsonbNode node, string key) => node.Kind == JsonbKind.Object ? node.Field(key) : null;

    /// <summary>-> int: an array element, negative counting from the end; NULL if out of range or not an array.</summary>
    public static JsonbNode? Element(JsonbNode node, long index)
    {
        if (node.Kind != JsonbKind.Array) return null;
        if (index < 0) index += node.Items.Count;
        return index >= 0 && index < node.Items.Count ? node.Items[(int)index] : null;
    }

    /// <summary>#> and jsonb_extract_path: walks keys and (for arrays) integer indexes.</summary>
    public static JsonbNode? Path(JsonbNode node, IReadOnlyList<string?> path)
    {
        JsonbNode? current = node;
        foreach (var step in path)
        {
            if (current is null || step is null) return null;
            current = current.Kind switch
            {
                JsonbKind.Object => current.Field(step),
                JsonbKind.Array => long.TryParse(step, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out var index) ? Element(current, index) : null,
                _ => null,
            };
        }
        return current;
    }

    /// <summary>->> and #>>: a string's value unquoted, JSON null as SQL NULL, anything else as jsonb text.</summary>
    public static string? AsText(JsonbNode? node) => node?.Kind switch
    {
        null or JsonbKind.Null => null,
        JsonbKind.String => node.Text,
        _ => node.ToString(),
    };

    /// <summary>@>: does <paramref name="a"/> contain <paramref name="b"/> (a top-level array may contain a scalar).</summary>
    public static bool Contains(JsonbNode a, JsonbNode b, bool topLevel = true)
    {
        if (a.Kind == JsonbKind.Array && b.Kind is not (JsonbKind.Array or JsonbKind.Object) && topLevel)
            return a.Items.Any(item => item.Kind == b.Kind && item.ValueEquals(b));
        if (a.Kind != b.Kind) return false;
        switch (a.Kind)
        {
            case JsonbKind.Object:
                foreach (var field in b.Fields)
                {
                    var mine = a.Field(field.Key);
                    if (mine is null) return false;
                    if (field.Value.Kind is JsonbKind.Array or JsonbKind.Object)
                    {
                        if (!Contains(mine, field.Value, topLevel: false)) return false;
                    }
                    else if (!mine.ValueEquals(field.Value)) return false;
                }
                return true;
            case JsonbKind.Array:
                foreach (var wanted in b.Items)
                {
                    var found = wanted.Kind is JsonbKind.Array or JsonbKind.Object
                        ? a.Items.Any(item => item.Kind == wanted.Kind && Contains(item, wanted, topLevel: false))
                        : a.Items.Any(item => item.ValueEquals(wanted));
                    if (!found) return false;
                }
                return true;
            default:
                return a.ValueEquals(b);
        }
    }

    /// <summary>?: a top-level key, or a string element of a top-level array (or the scalar string itself).</summary>
    public static bool Exists(JsonbNode node, string key) => node.Kind switch
    {
        JsonbKind.Object => node.Field(key) is not null,
        JsonbKind.Array => node.Items.Any(item => item.Kind == JsonbKind.String && string.Equals(item.Text, key, StringComparison.Ordinal)),
        JsonbKind.String => string.Equals(node.Text, key, StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>||: objects merge (right wins), arrays concatenate, a scalar or object joins an array as an element.</summary>
    public static JsonbNode Concat(JsonbNode a, JsonbNode b)
    {
        if (a.Kind == JsonbKind.Object && b.Kind == JsonbKind.Object) return JsonbNode.FromFields(a.Fields.Concat(b.Fields));
        var items = new List<JsonbNode>();
        items.AddRange(a.Kind == JsonbKind.Array ? a.Items : [a]);
        items.AddRange(b.Kind == JsonbKind.Array ? b.Items : [b]);
        return JsonbNode.FromArray(items);
    }

    /// <summary>- text: removes a key from an object, or matching string elements from an array.</summary>
    public static JsonbNode DeleteKey(JsonbNode node, string key) => node.Kind switch
    {
        JsonbKind.Object => JsonbNode.FromFields(node.Fields.Where(f => !string.Equals(f.Key, key, StringComparison.Ordinal))),
        JsonbKind.Array => JsonbNode.FromArray(node.Items.Where(i => !(i.Kind == JsonbKind.String && string.Equals(i.Text, key, StringComparison.Ordinal))).ToList()),
        _ => throw new SqlDataException("22023", "cannot delete from scalar"),
    };

    /// <summary>- int: removes an array element (negative from the end).</summary>
    public static JsonbNode DeleteIndex(JsonbNode node, long index)
    {
        if (node.Kind == JsonbKind.Object) throw new SqlDataException("22023", "cannot delete from object using integer index");
        if (node.Kind != JsonbKind.Array) throw new SqlDataException("22023", "cannot delete from scalar");
        if (index < 0) index += node.Items.Count;
        if (index < 0 || index >= node.Items.Count) return node;
        var items = new List<JsonbNode>(node.Items);
        items.RemoveAt((int)index);
        return JsonbNode.FromArray(items);
    }

    /// <summary>#- text[]: removes the value at a path; a missing path leaves the document unchanged.</summary>
    public static JsonbNode DeletePath(JsonbNode node, IReadOnlyList<string?> path, int depth = 0)
    {
        if (node.Kind is not (JsonbKind.Array or JsonbKind.Object))
            throw new SqlDataException("22023", "cannot delete path in scalar");
        if (path.Count == 0) return node;
        var step = CheckStep(path, depth);
        var last = depth == path.Count - 1;
        if (node.Kind == JsonbKind.Object)
        {
            var child = node.Field(step);
            if (child is null) return node;
            if (last) return JsonbNode.FromFields(node.Fields.Where(f => !string.Equals(f.Key, step, StringComparison.Ordinal)));
            if (child.Kind is not (JsonbKind.Array or JsonbKind.Object)) return node;
            return JsonbNode.FromFields(node.Fields.Select(f => string.Equals(f.Key, step, StringComparison.Ordinal) ? new KeyValuePair<string, JsonbNode>(f.Key, DeletePath(child, path, depth + 1)) : f));
        }
        var index = ArrayIndex(step, depth);
        if (index < 0) index += node.Items.Count;
        if (index < 0 || index >= node.Items.Count) return node;
        var items = new List<JsonbNode>(node.Items);
        if (last) items.RemoveAt((int)index);
        else if (items[(int)index].Kind is JsonbKind.Array or JsonbKind.Object) items[(int)index] = DeletePath(items[(int)index], path, depth + 1);
        return JsonbNode.FromArray(items);
    }

    /// <summary>
    /// jsonb_set: replaces (or, with <paramref name="createMissing"/>, adds) the value at <paramref name="path"/>. Only the
    /// last step may be created; a missing intermediate step leaves the document unchanged. An array index past either
    /// end adds at that end.
    /// </summary>
    public static JsonbNode Set(JsonbNode node, IReadOnlyList<string?> path, JsonbNode value, bool createMissing, int depth = 0)
    {
        if (node.Kind is not (JsonbKind.Array or JsonbKind.Object)) throw new SqlDataException("22023", "cannot set path in scalar");
        if (depth >= path.Count) return node;
        var step = CheckStep(path, depth);
        var last = depth == path.Count - 1;
        if (node.Kind == JsonbKind.Object)
        {
            var child = node.Field(step);
            if (child is null)
                return last && createMissing ? JsonbNode.FromFields(node.Fields.Append(new(step, value))) : node;
            var replaced = last ? value : child.Kind is JsonbKind.Array or JsonbKind.Object ? Set(child, path, value, createMissing, depth + 1) : child;
            return JsonbNode.FromFields(node.Fields.Select(f => string.Equals(f.Key, step, StringComparison.Ordinal) ? new KeyValuePair<string, JsonbNode>(f.Key, replaced) : f));
        }
        var index = ArrayIndex(step, depth);
        var items = new List<JsonbNode>(node.Items);
        if (index < 0) index += items.Count;
        if (index < 0 || index >= items.Count)
        {
            if (!last || !createMissing) return node;
            if (index < 0) items.Insert(0, value);
            else items.Add(value);
            return JsonbNode.FromArray(items);
        }
        var element = items[(int)index];
        items[(int)index] = last ? value : element.Kind is JsonbKind.Array or JsonbKind.Object ? Set(element, path, value, createMissing, depth + 1) : element;
        return JsonbNode.FromArray(items);
    }

    private static string CheckStep(IReadOnlyList<string?> path, int depth) =>
        path[depth] ?? throw new SqlDataException("22004", $"path element at position {depth + 1} is null");

    private static long ArrayIndex(string step, int depth) =>
        long.TryParse(step, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)
            ? index
            : throw new SqlDataException("22P02", $"path element at position {depth + 1} is not an integer: \"{step}\"");

    /// <summary>jsonb_strip_nulls: drops object fields whose value is null, at every depth (array nulls stay).</summary>
    public static JsonbNode StripNulls(JsonbNode node) => node.Kind switch
    {
        JsonbKind.Object => JsonbNode.FromFields(node.Fields.Where(f => f.Value.Kind != JsonbKind.Null).Select(f => new KeyValuePair<string, JsonbNode>(f.Key, StripNulls(f.Value)))),
        JsonbKind.Array => JsonbNode.FromArray(node.Items.Select(StripNulls).ToList()),
        _ => node,
    };

    public static int ArrayLength(JsonbNode node) => node.Kind switch
    {
        JsonbKind.Array => node.Items.Count,
        JsonbKind.Object => throw new SqlDataException("22023", "cannot get array length of a non-array"),
        _ => throw new SqlDataException("22023", "cannot get array length of a scalar"),
    };

    /// <summary>
    /// A text[] literal as PostgreSQL reads it ('{a,"b c",NULL}'); Tusk has no array type, so paths and key lists
    /// arrive as this text. An unquoted NULL is a null element.
    /// </summary>
    public static List<string?> ParseTextArray(string literal)
    {
        var s = literal.Trim();
        if (s.Length < 2 || s[0] != '{' || s[^1] != '}') throw MalformedArray(literal);
        var result = new List<string?>();
        var body = s[1..^1];
        if (body.Trim().Length == 0) return result;
        var i = 0;
        while (true)
        {
            while (i < body.Length && char.IsWhiteSpace(body[i])) i++;
            var element = new StringBuilder();
            var quoted = false;
            if (i < body.Length && body[i] == '"')
            {
                quoted = true;
                i++;
                while (true)
                {
                    if (i >= body.Length) throw MalformedArray(literal);
                    var c = body[i++];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        if (i >= body.Length) throw MalformedArray(literal);
                        c = body[i++];
                    }
                    element.Append(c);
                }
                while (i < body.Length && char.IsWhiteSpace(body[i])) i++;
            }
            else
            {
                while (i < body.Length && body[i] != ',')
                {
                    var c = body[i++];
                    if (c is '{' or '}' or '"') throw MalformedArray(literal);
                    if (c == '\\' && i < body.Length) c = body[i++];
                    element.Append(c);
                }
            }
            var text = quoted ? element.ToString() : element.ToString().TrimEnd();
            if (!quoted && text.Length == 0) throw MalformedArray(literal);
            result.Add(!quoted && string.Equals(text, "NULL", StringComparison.OrdinalIgnoreCase) ? null : text);
            if (i >= body.Length) return result;
            if (body[i] != ',') throw MalformedArray(literal);
            i++;
        }
    }

    private static SqlDataException MalformedArray(string literal) => new("22P02", $"malformed array literal: \"{literal}\"");
}
