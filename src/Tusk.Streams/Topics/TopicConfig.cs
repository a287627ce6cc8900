using System.Globalization;

namespace Tusk.Streams.Topics;

/// <summary>
/// A topic's configuration, with Kafka's names. Unknown names and bad values are rejected with a message a user
/// can act on (INVALID_CONFIG on the wire). Immutable.
/// </summary>
public sealed record TopicConfig
{
    /// <summary>The config names Tusk understands, with their defaults and meaning (for DescribeConfigs and errors).</summary>
    public static readonly IReadOnlyDictionary<string, (string Default, string Doc)> Known = new Dictionary<string, (string, string)>
    {
        ["cleanup.policy"] = ("delete", "delete: drop old segments by retention; compact: keep the newest record per key"),
        ["retention.ms"] = ("604800000", "how long segments are kept (-1: forever)"),
        ["retention.bytes"] = ("-1", "largest size of a partition before old segments are dropped (-1: no limit)"),
        ["segment.bytes"] = ("134217728", "size of one segment file"),
        ["delete.retention.ms"] = ("86400000", "how long compaction keeps tombstones"),
        ["flush.messages"] = ("1", "fsync after this many batches; 1 = every batch before acks=-1 is answered"),
        ["flush.ms"] = ("9223372036854775807", "fsync at least this often (used when flush.messages > 1)"),
        ["max.message.bytes"] = ("1048588", "largest record batch accepted"),
    };

    /// <summary>delete or compact.</summary>
    public string CleanupPolicy { get; init; } = "delete";

    /// <summary>retention.ms.</summary>
    public long RetentionMs { get; init; } = 604_800_000;

    /// <summary>retention.bytes.</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary>segment.bytes.</summary>
    public long SegmentBytes { get; init; } = 128L << 20;

    /// <summary>delete.retention.ms.</summary>
    public long DeleteRetentionMs { get; init; } = 86_400_000;

    /// <summary>flush.messages.</summary>
    public long FlushMessages { get; init; } = 1;

    /// <summary>flush.ms.</summary>
    public long FlushMs { get; init; } = long.MaxValue;

    /// <summary>max.message.bytes.</summary>
    public int MaxMessageBytes { get; init; } = 1_048_588;

    /// <summary>The settings that differ from the defaults, as name → value.</summary>
    public Dictionary<string, string> Overrides { get; init; } = [];

    /// <summary>True when acks=-1 must wait for an fsync of the batch.</summary>
    public bool SyncEveryBatch => FlushMessages <= 1;

    /// <summary>The value of a config name as text (for DescribeConfigs).</summary>
    public string ValueOf(string name) => name switch
    {
        "cleanup.policy" => CleanupPolicy,
        "retention.ms" => RetentionMs.ToString(CultureInfo.InvariantCulture),
        "retention.bytes" => RetentionBytes.ToString(CultureInfo.InvariantCulture),
        "segment.bytes" => SegmentBytes.ToString(CultureInfo.InvariantCulture),
        "delete.retention.ms" => DeleteRetentionMs.ToString(CultureInfo.InvariantCulture),
        "flush.messages" => FlushMessages.ToString(CultureInfo.InvariantCulture),
        "flush.ms" => FlushMs.ToString(CultureInfo.InvariantCulture),
        "max.message.bytes" => MaxMessageBytes.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException("unknown config " + name),
    };

    /// <summary>Builds a config from name/value pairs; returns null and an error message when one is invalid.</summary>
    public static TopicConfig? TryParse(IEnumerable<KeyValuePair<string, string?>> settings, out string? error)
    {
        var c = new TopicConfig();
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in settings)
        {
            if (!Known.ContainsKey(name))
            {
                error = $"unknown topic config '{name}' (known: {string.Join(", ", Known.Keys)})";
                return null;
            }
            if (value == null)
            {
                continue;
            }
            long number = 0;
            bool numeric = name != "cleanup.policy";
            if (numeric && !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
            {
                error = $"config '{name}' needs an integer, got '{value}'";
                return null;
            }
            switch (name)
            {
                case "cleanup.policy" when value is "delete" or "compact":
                    c = c with { CleanupPolicy = value };
                    break;
                case "cleanup.policy":
                    error = $"cleanup.policy must be 'delete' or 'compact', got '{value}'";
                    return null;
                case "retention.ms" when number >= -1:
                    c = c with { RetentionMs = number };
                    break;
                case "retention.bytes" when number >= -1:
                    c = c with { RetentionBytes = number };
                    break;
                case "segment.bytes" when number is >= 4096 and <= int.MaxValue:
                    c = c with { SegmentBytes = number };
                    break;
                case "delete.retention.ms" when number >= 0:
                    c = c with { DeleteRetentionMs = number };
                    break;
                case "flush.messages" when number >= 1:
                    c = c with { FlushMessages = number };
                    break;
                case "flush.ms" when number >= 0:
                    c = c with { FlushMs = number };
                    break;
                case "max.message.bytes" when number is >= 1024 and <= 64 << 20:
                    c = c with { MaxMessageBytes = (int)number };
                    break;
                default:
                    error = $"config '{name}' value {value} is out of range";
                    return null;
            }
            overrides[name] = value;
        }
        error = null;
        return c with { Overrides = overrides };
    }
}
