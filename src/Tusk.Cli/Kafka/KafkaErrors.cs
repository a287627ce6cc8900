using System.Globalization;
using System.Text;
using Tusk.Protocols.Kafka;

namespace Tusk.Cli.Kafka;

/// <summary>Kafka error codes as the Kafka tools spell them (<c>TOPIC_ALREADY_EXISTS</c>), for messages.</summary>
internal static class KafkaErrors
{
    /// <summary>
    /// The protocol's name of <paramref name="code"/> (<c>UNKNOWN_TOPIC_OR_PARTITION</c>), or
    /// <c>error code N</c> for a code Tusk does not name.
    /// </summary>
    public static string Name(ErrorCode code)
    {
        if (!Enum.IsDefined(code))
        {
            return "error code " + ((short)code).ToString(CultureInfo.InvariantCulture);
        }
        string pascal = code.ToString();
        var name = new StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsAsciiLetterUpper(pascal[i]))
            {
                name.Append('_');
            }
            name.Append(char.ToUpperInvariant(pascal[i]));
        }
        return name.ToString();
    }

    /// <summary>The error's name, then the broker's message when it sent one: <c>NAME: message</c>.</summary>
    public static string Describe(ErrorCode code, string? message = null) =>
        string.IsNullOrEmpty(message) ? Name(code) : $"{Name(code)}: {message}";
}
