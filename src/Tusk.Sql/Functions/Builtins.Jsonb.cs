using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

public static partial class Builtins
{
    private static void RegisterJsonb()
    {
        AddWithContext("jsonb_build_object", Jsonb, [], (_, _) => "{}");
        AddTo(_functions, new ScalarFunction("jsonb_build_object", [Any], Jsonb, BuildObject, strict: false, isVariadic: true));
        AddWithContext("jsonb_build_array", Jsonb, [], (_, _) => "[]");
        AddTo(_functions, new ScalarFunction("jsonb_build_array", [Any], Jsonb, BuildArray, strict: false, isVariadic: true));
        AddWithContext("to_jsonb", Jsonb, [Any], (a, context) =>
        {
            var (values, types) = SplitTypes(a);
            return Functions.Jsonb.Node(values[0], types[0], context.TimeZone).ToString();
        });
        Add("jsonb_typeof", Text, [Jsonb], a => Parse(a[0]).TypeName);
        Add("jsonb_array_length", Int4, [Jsonb], a => JsonbOps.ArrayLength(Parse(a[0])));
        Add("jsonb_extract_path", Jsonb, [Jsonb, Text], a => JsonbOps.Path(Parse(a[0]), a[1..].Select(x => (string?)x).ToList())?.ToString(), variadic: true);
        Add("jsonb_extract_path_text", Text, [Jsonb, Text], a => JsonbOps.AsText(JsonbOps.Path(Parse(a[0]), a[1..].Select(x => (string?)x).ToList())), variadic: true);
        Add("jsonb_pretty", Text, [Jsonb], a => JsonbWriter.Write(Parse(a[0]), pretty: true));
        Add("jsonb_set", Jsonb, [Jsonb, Text, Jsonb], a => JsonbOps.Set(Parse(a[0]), JsonbOps.ParseTextArray((string)a[1]!), Parse(a[2]), createMissing: true).ToString());
        Add("jsonb_set", Jsonb, [Jsonb, Text, Jsonb, Bool], a => JsonbOps.Set(Parse(a[0]), JsonbOps.ParseTextArray((string)a[1]!), Parse(a[2]), (bool)a[3]!).ToString());
        Add("jsonb_strip_nulls", Jsonb, [Jsonb], a => JsonbOps.StripNulls(Parse(a[0])).ToString());
        Add("jsonb_exists", Bool, [Jsonb, Text], a => JsonbOps.Exists(Parse(a[0]), (string)a[1]!));
        Add("jsonb_exists_any", Bool, [Jsonb, Text], a => ExistsAny(Parse(a[0]), (string)a[1]!));
        Add("jsonb_exists_all", Bool, [Jsonb, Text], a => ExistsAll(Parse(a[0]), (string)a[1]!));
        Add("jsonb_contains", Bool, [Jsonb, Jsonb], a => JsonbOps.Contains(Parse(a[0]), Parse(a[1])));
        Add("jsonb_delete_path", Jsonb, [Jsonb, Text], a => JsonbOps.DeletePath(Parse(a[0]), JsonbOps.ParseTextArray((string)a[1]!)).ToString());
    }

    private static JsonbNode Parse(object? jsonb) => Functions.Jsonb.Parse((string)jsonb!);

    private static bool ExistsAny(JsonbNode node, string keys) => JsonbOps.ParseTextArray(keys).Any(k => k is not null && JsonbOps.Exists(node, k));

    private static bool ExistsAll(JsonbNode node, string keys) => JsonbOps.ParseTextArray(keys).All(k => k is null || JsonbOps.Exists(node, k));

    private static object? BuildObject(object?[] args, FunctionContext context)
    {
        var (values, types) = SplitTypes(args);
        if (values.Length % 2 != 0) throw Error("22023", "argument list must have even number of elements");
        var fields = new List<KeyValuePair<string, JsonbNode>>(values.Length / 2);
        for (var i = 0; i < values.Length; i += 2)
        {
            if (values[i] is not { } key) throw Error("22004", $"argument {i + 1}: key must not be null");
            if (types[i].Id == SqlTypeId.Jsonb) throw Error("22023", "key value must be scalar, not array, composite, or json");
            fields.Add(new(TextOps.Output(key, types[i]), Functions.Jsonb.Node(values[i + 1], types[i + 1], context.TimeZone)));
        }
        return JsonbNode.FromFields(fields).ToString();
    }

    private static object? BuildArray(object?[] args, FunctionContext context)
    {
        var (values, types) = SplitTypes(args);
        var items = new List<JsonbNode>(values.Length);
        for (var i = 0; i < values.Length; i++) items.Add(Functions.Jsonb.Node(values[i], types[i], context.TimeZone));
        return JsonbNode.FromArray(items).ToString();
    }
}
