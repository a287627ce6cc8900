using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tusk.Cli;

/// <summary>The <c>--json</c> output of the admin commands: indented JSON, one document per command.</summary>
internal static class Json
{
    private static readonly JsonSerializerOptions _indented = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="node"/> as indented JSON and a newline.</summary>
    public static void Write(TextWriter output, JsonNode node) => output.WriteLine(node.ToJsonString(_indented));

    /// <summary>A JSON array of numbers.</summary>
    public static JsonArray Array(IEnumerable<int> values)
    {
        var array = new JsonArray();
        foreach (int v in values)
        {
            array.Add(v);
        }
        return array;
    }
}
