using System.Globalization;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// The jsonb document model at the boundary: jsonb values travel between operators as their canonical text (what
/// PostgreSQL prints), so equal documents are equal strings and the storage layer needs no JSON type. Stateless and
/// thread-safe; each call parses and prints (O(size of the document)).
/// </summary>
public static class Jsonb
{
    /// <summary>
    /// PostgreSQL's jsonb output form: keys sorted by (length, bytes), duplicates last-wins, `{"a": 1, "b": [1, 2]}`.
    /// Invalid JSON → <see cref="SqlDataException"/> 22P02 "invalid input syntax for type json".
    /// </summary>
    public static string Canonicalize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(json).ToString();
    }

    /// <summary>jsonb_build_object from (key, value, type) pairs; a repeated key keeps its last value.</summary>
    public static string BuildObject(IReadOnlyList<(string Key, object? Value, SqlType Type)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return JsonbNode.FromFields(pairs.Select(p => new KeyValuePair<string, JsonbNode>(p.Key, Node(p.Value, p.Type, TimeZoneInfo.Utc)))).ToString();
    }

    /// <summary>jsonb_build_array, and jsonb_agg's result.</summary>
    public static string BuildArray(IReadOnlyList<(object? Value, SqlType Type)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return JsonbNode.FromArray(items.Select(i => Node(i.Value, i.Type, TimeZoneInfo.Utc)).ToList()).ToString();
    }

    /// <summary>to_jsonb: numbers as numbers, bool, text as string, timestamps in ISO 8601, jsonb as is, NULL as null.</summary>
    public static string FromValue(object? value, SqlType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Node(value, type, TimeZoneInfo.Utc).ToString();
    }

    internal static JsonbNode Parse(string json) => JsonbParser.Parse(json);

    /// <summary>The jsonb value of a SQL value; timestamptz is written with its offset in <paramref name="timeZone"/>.</summary>
    internal static JsonbNode Node(object? value, SqlType type, TimeZoneInfo timeZone)
    {
        if (value is null) return JsonbNode.Null;
        if (type.Id == SqlTypeId.Jsonb && value is string json) return Parse(json);
        return value switch
        {
            bool b => JsonbNode.FromBool(b),
            short or int or long => JsonbNode.FromNumberText(Convert.ToString(value, CultureInfo.InvariantCulture)!),
            SqlNumeric n when n.IsFinite => JsonbNode.FromNumberText(n.ToString()),
            SqlNumeric n => JsonbNode.FromString(n.ToString()),
            float f => FloatNode(f, TextFormat.Format(f, SqlType.Float4)),
            double d => FloatNode(d, TextFormat.Format(d, SqlType.Float8)),
            string s => JsonbNode.FromString(TextFormat.Format(s, type)),
            DateOnly d => JsonbNode.FromString(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            TimeOnly t => JsonbNode.FromString(IsoTime(t.Ticks)),
            DateTime dt when type.Id == SqlTypeId.TimestampTz || dt.Kind == DateTimeKind.Utc => JsonbNode.FromString(IsoTimestampTz(dt, timeZone)),
            DateTime dt => JsonbNode.FromString(dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T" + IsoTime(dt.TimeOfDay.Ticks)),
            _ => JsonbNode.FromString(TextFormat.Format(value, type)),
        };
    }

    private static JsonbNode FloatNode(double value, string text) =>
        double.IsNaN(value) || double.IsInfinity(value) ? JsonbNode.FromString(text) : JsonbNode.FromNumberText(text);

    private static string IsoTime(long ticks)
    {
        var time = new TimeSpan(ticks);
        var text = $"{time.Hours:00}:{time.Minutes:00}:{time.Seconds:00}";
        var micros = ticks % TimeSpan.TicksPerSecond / 10;
        if (micros != 0) text += "." + micros.ToString("000000", CultureInfo.InvariantCulture).TrimEnd('0');
        return text;
    }

    /// <summary>PostgreSQL's JSON form of timestamptz: 2024-01-02T03:04:05.5+00:00, in the session time zone.</summary>
    internal static string IsoTimestampTz(DateTime utc, TimeZoneInfo timeZone)
    {
        var instant = DateTime.SpecifyKind(utc, DateTimeKind.Utc);
        var offset = timeZone.GetUtcOffset(instant);
        var local = instant + offset;
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var magnitude = offset.Duration();
        var zone = $"{sign}{magnitude.Hours:00}:{magnitude.Minutes:00}";
        if (magnitude.Seconds != 0) zone += $":{magnitude.Seconds:00}";
        return local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T" + IsoTime(local.TimeOfDay.Ticks) + zone;
    }
}
