using System.Globalization;
using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

internal enum JsonbKind : byte { Null, Bool, Number, String, Array, Object }

/// <summary>
/// A parsed jsonb document, as PostgreSQL's jsonb keeps it: object keys unique (last wins) and sorted by
/// (UTF-8 length, bytes); numbers as numeric in their canonical text (1e2 → 100, 1.50 stays 1.50). Nodes are not
/// shared between threads while being built; once built they are treated as immutable (operations copy).
/// </summary>
internal sealed class JsonbNode
{
    public static readonly JsonbNode Null = new(JsonbKind.Null);
    public static readonly JsonbNode True = new(JsonbKind.Bool) { Bool = true };
    public static readonly JsonbNode False = new(JsonbKind.Bool) { Bool = false };

    private JsonbNode(JsonbKind kind) => Kind = kind;

    public JsonbKind Kind { get; }

    public bool Bool { get; private init; }

    /// <summary>A string's value, or a number's canonical numeric text.</summary>
    public string Text { get; private init; } = "";

    public List<JsonbNode> Items { get; private init; } = [];

    /// <summary>Invariant: keys unique and sorted by <see cref="KeyComparer"/>.</summary>
    public List<KeyValuePair<string, JsonbNode>> Fields { get; private init; } = [];

    public static JsonbNode FromBool(bool value) => value ? True : False;

    public static JsonbNode FromString(string value) => new(JsonbKind.String) { Text = value };

    /// <summary>A number from JSON/numeric text; throws if it is not one.</summary>
    public static JsonbNode FromNumberText(string text) => new(JsonbKind.Number) { Text = JsonbNumber.Canonical(text) };

    public static JsonbNode FromArray(List<JsonbNode> items) => new(JsonbKind.Array) { Items = items };

    /// <summary>An object from fields in any order; a repeated key keeps its last value.</summary>
    public static JsonbNode FromFields(IEnumerable<KeyValuePair<string, JsonbNode>> fields)
    {
        var unique = new Dictionary<string, JsonbNode>(StringComparer.Ordinal);
        foreach (var field in fields) unique[field.Key] = field.Value;
        var sorted = unique.ToList();
        sorted.Sort((a, b) => KeyComparer.Compare(a.Key, b.Key));
        return new JsonbNode(JsonbKind.Object) { Fields = sorted };
    }

    public JsonbNode? Field(string key)
    {
        foreach (var field in Fields)
            if (string.Equals(field.Key, key, StringComparison.Ordinal)) return field.Value;
        return null;
    }

    /// <summary>jsonb_typeof's names.</summary>
    public string TypeName => Kind switch
    {
        JsonbKind.Null => "null",
        JsonbKind.Bool => "boolean",
        JsonbKind.Number => "number",
        JsonbKind.String => "string",
        JsonbKind.Array => "array",
        _ => "object",
    };

    public override string ToString() => JsonbWriter.Write(this, pretty: false);

    /// <summary>jsonb equality: numbers by value (1.0 = 1), objects by their (sorted) fields, arrays in order.</summary>
    public bool ValueEquals(JsonbNode other)
    {
        if (Kind != other.Kind) return false;
        switch (Kind)
        {
            case JsonbKind.Null: return true;
            case JsonbKind.Bool: return Bool == other.Bool;
            case JsonbKind.Number: return JsonbNumber.Compare(Text, other.Text) == 0;
            case JsonbKind.String: return string.Equals(Text, other.Text, StringComparison.Ordinal);
            case JsonbKind.Array:
                if (Items.Count != other.Items.Count) return false;
                for (var i = 0; i < Items.Count; i++)
                    if (!Items[i].ValueEquals(other.Items[i])) return false;
                return true;
            default:
                if (Fields.Count != other.Fields.Count) return false;
                for (var i = 0; i < Fields.Count; i++)
                {
                    if (!string.Equals(Fields[i].Key, other.Fields[i].Key, StringComparison.Ordinal)) return false;
                    if (!Fields[i].Value.ValueEquals(other.Fields[i].Value)) return false;
                }
                return true;
        }
    }
}

/// <summary>jsonb's key order: shorter keys first (in UTF-8 bytes), then bytewise.</summary>
internal sealed class KeyComparer : IComparer<string>
{
    public static readonly KeyComparer Instance = new();

    public static int Compare(string a, string b)
    {
        var x = Encoding.UTF8.GetBytes(a);
        var y = Encoding.UTF8.GetBytes(b);
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : x.AsSpan().SequenceCompareTo(y);
    }

    int IComparer<string>.Compare(string? x, string? y) => Compare(x ?? "", y ?? "");
}

/// <summary>numeric text as jsonb stores numbers: plain notation, scale = max(0, fraction digits − exponent).</summary>
internal static class JsonbNumber
{
    /// <summary>Beyond this exponent the text would be absurdly long; PostgreSQL's own limit is larger, but finite too.</summary>
    private const int ExponentMax = 1000;

    public static string Canonical(string text)
    {
        if (!TryCanonical(text, out var canonical)) throw new SqlDataException("22P02", "invalid input syntax for type json");
        return canonical;
    }

    public static bool TryCanonical(string text, out string canonical)
    {
        canonical = "";
        var i = 0;
        var negative = false;
        if (i < text.Length && text[i] is '-' or '+') negative = text[i++] == '-';
        var integerStart = i;
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        var integerDigits = text[integerStart..i];
        var fractionDigits = "";
        if (i < text.Length && text[i] == '.')
        {
            var fractionStart = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            fractionDigits = text[fractionStart..i];
        }
        if (integerDigits.Length == 0 && fractionDigits.Length == 0) return false;
        var exponent = 0;
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            var exponentStart = i;
            if (i < text.Length && text[i] is '-' or '+') i++;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (!int.TryParse(text.AsSpan(exponentStart, i - exponentStart), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) return false;
            if (Math.Abs(exponent) > ExponentMax) throw new SqlDataException("22003", "value overflows numeric format");
        }
        if (i != text.Length) return false;
        var scale = Math.Max(0, fractionDigits.Length - exponent);
        var digits = integerDigits + fractionDigits;
        var point = integerDigits.Length + exponent;  // position of the decimal point within digits
        string integerPart, fractionPart;
        if (point <= 0)
        {
            integerPart = "0";
            fractionPart = new string('0', -point) + digits;
        }
        else if (point >= digits.Length)
        {
            integerPart = digits + new string('0', point - digits.Length);
            fractionPart = "";
        }
        else
        {
            integerPart = digits[..point];
            fractionPart = digits[point..];
        }
        integerPart = integerPart.TrimStart('0');
        if (integerPart.Length == 0) integerPart = "0";
        fractionPart = fractionPart.Length >= scale ? fractionPart[..scale] : fractionPart.PadRight(scale, '0');
        var isZero = integerPart == "0" && fractionPart.All(c => c == '0');
        canonical = (negative && !isZero ? "-" : "") + integerPart + (scale > 0 ? "." + fractionPart : "");
        return true;
    }

    /// <summary>Compares two canonical numbers by value.</summary>
    public static int Compare(string a, string b)
    {
        if (SqlNumeric.TryParse(a, out var x) && SqlNumeric.TryParse(b, out var y)) return x.CompareTo(y);
        var negativeA = a.StartsWith('-');
        var negativeB = b.StartsWith('-');
        if (negativeA != negativeB) return negativeA ? -1 : 1;
        var magnitude = CompareMagnitude(a.TrimStart('-'), b.TrimStart('-'));
        return negativeA ? -magnitude : magnitude;
    }

    private static int CompareMagnitude(string a, string b)
    {
        var (ai, af) = SplitPoint(a);
        var (bi, bf) = SplitPoint(b);
        if (ai.Length != bi.Length) return ai.Length.CompareTo(bi.Length);
        var c = string.CompareOrdinal(ai, bi);
        if (c != 0) return c;
        var length = Math.Max(af.Length, bf.Length);
        return string.CompareOrdinal(af.PadRight(length, '0'), bf.PadRight(length, '0'));
    }

    private static (string Integer, string Fraction) SplitPoint(string s)
    {
        var point = s.IndexOf('.', StringComparison.Ordinal);
        return point < 0 ? (s, "") : (s[..point], s[(point + 1)..]);
    }
}
