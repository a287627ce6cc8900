using System.Globalization;
using Tusk.Cli.Kafka;

namespace Tusk.Cli.Commands;

/// <summary>
/// The options every <c>tusk topic</c> and <c>tusk group</c> command shares: <c>--bootstrap HOST:PORT</c> (the
/// broker to talk to) and <c>--timeout SECONDS</c> (connect and per-request limit).
/// </summary>
internal static class KafkaAdminOptions
{
    /// <summary>The broker used when --bootstrap is absent (the default of <c>tusk start --kafka</c>).</summary>
    public const string DefaultBootstrap = "127.0.0.1:9092";

    /// <summary>Seconds to wait for the connection and for each response, unless --timeout says otherwise.</summary>
    public const int DefaultTimeoutSeconds = 30;

    /// <summary>The value options to declare with <see cref="Arguments.Parse"/>.</summary>
    public static readonly string[] ValueOptions = ["bootstrap", "timeout"];

    /// <summary>Validates the shared options (a usage error exits 2 before anything is sent).</summary>
    public static (string Host, int Port, TimeSpan Timeout) Parse(Arguments a, string usage)
    {
        string bootstrap = a.Value("bootstrap", DefaultBootstrap);
        var (host, port) = ParseHostPort(bootstrap, usage);
        var timeout = TimeSpan.FromSeconds(a.Integer("timeout", DefaultTimeoutSeconds, 1, 3600));
        return (host, port, timeout);
    }

    /// <summary>Connects to the broker the options name.</summary>
    public static KafkaAdminClient Connect((string Host, int Port, TimeSpan Timeout) options) =>
        KafkaAdminClient.Connect(options.Host, options.Port, options.Timeout);

    /// <summary>Splits HOST:PORT (an IPv6 host in brackets: [::1]:9092).</summary>
    public static (string Host, int Port) ParseHostPort(string text, string usage)
    {
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : "";
        string portText = colon >= 0 ? text[(colon + 1)..] : "";
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        if (host.Length == 0 || host.Contains(',', StringComparison.Ordinal)
            || (host.Contains(':', StringComparison.Ordinal) && !text.StartsWith('['))
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new UsageException($"--bootstrap={text} is not HOST:PORT (one broker, e.g. 127.0.0.1:9092)", usage);
        }
        return (host, port);
    }
}
