namespace Tusk.Protocols.Kafka;

/// <summary>One API and the inclusive range of its versions a broker accepts (an ApiVersions response entry).</summary>
public readonly record struct ApiVersionRange(ApiKey ApiKey, short MinVersion, short MaxVersion)
{
    /// <summary>True when <paramref name="version"/> lies in [<see cref="MinVersion"/>, <see cref="MaxVersion"/>].</summary>
    public bool Contains(short version) => version >= MinVersion && version <= MaxVersion;
}

/// <summary>
/// The APIs and versions Tusk advertises in ApiVersions, and the only ones its message codecs read or write.
/// Every range stops below the API's first flexible version (KIP-482 compact encodings and tagged fields), so
/// every message uses the classic encoding; clients (librdkafka 2.0, kafka-python 2.0) negotiate down to these.
/// The group APIs are listed here too; their codecs live with the group coordinator's messages.
/// </summary>
public static class KafkaApis
{
    // Sorted by key. Each upper bound is one below the API's first flexible version (a test checks this against
    // Kafka's schemas). Lower bounds drop versions the target clients no longer need: Produce v3+ must carry
    // magic-2 batches and Fetch v4+ may return them as stored (older versions would need down-conversion), and
    // ListOffsets v1+ answers with one offset rather than an array.
    private static readonly ApiVersionRange[] _supported =
    [
        new(ApiKey.Produce, 3, 8),           // flexible from 9
        new(ApiKey.Fetch, 4, 11),            // flexible from 12
        new(ApiKey.ListOffsets, 1, 5),       // flexible from 6
        new(ApiKey.Metadata, 0, 8),          // flexible from 9
        new(ApiKey.OffsetCommit, 2, 7),      // flexible from 8
        new(ApiKey.OffsetFetch, 1, 5),       // flexible from 6
        new(ApiKey.FindCoordinator, 0, 2),   // flexible from 3
        new(ApiKey.JoinGroup, 0, 5),         // flexible from 6
        new(ApiKey.Heartbeat, 0, 3),         // flexible from 4
        new(ApiKey.LeaveGroup, 0, 3),        // flexible from 4
        new(ApiKey.SyncGroup, 0, 3),         // flexible from 4
        new(ApiKey.DescribeGroups, 0, 4),    // flexible from 5
        new(ApiKey.ListGroups, 0, 2),        // flexible from 3
        new(ApiKey.ApiVersions, 0, 2),       // flexible from 3 (answered with the v0 fallback)
        new(ApiKey.CreateTopics, 0, 4),      // flexible from 5
        new(ApiKey.DeleteTopics, 0, 3),      // flexible from 4
        new(ApiKey.InitProducerId, 0, 1),    // flexible from 2
        new(ApiKey.DescribeConfigs, 0, 3),   // flexible from 4
        new(ApiKey.CreatePartitions, 0, 1),  // flexible from 2
    ];

    /// <summary>Every supported API with its version range, sorted by key.</summary>
    public static IReadOnlyList<ApiVersionRange> Supported => _supported;

    /// <summary>The supported range of <paramref name="apiKey"/>; false when Tusk does not serve the API.</summary>
    public static bool TryGetRange(ApiKey apiKey, out ApiVersionRange range)
    {
        foreach (var candidate in _supported)
        {
            if (candidate.ApiKey == apiKey)
            {
                range = candidate;
                return true;
            }
        }
        range = default;
        return false;
    }

    /// <summary>True when Tusk serves <paramref name="apiKey"/> at <paramref name="version"/>.</summary>
    public static bool IsSupported(ApiKey apiKey, short version) =>
        TryGetRange(apiKey, out var range) && range.Contains(version);

    /// <summary>
    /// Guard for a message reader: a version outside the supported range is the peer's fault (the host should
    /// have answered UNSUPPORTED_VERSION before parsing), so it raises <see cref="KafkaProtocolException"/>.
    /// </summary>
    internal static void CheckRead(ApiKey apiKey, short version)
    {
        if (!IsSupported(apiKey, version))
        {
            throw new KafkaProtocolException($"{apiKey} v{version} is not supported");
        }
    }

    /// <summary>Guard for a message writer: writing an unsupported version is the caller's bug.</summary>
    internal static void CheckWrite(ApiKey apiKey, short version)
    {
        if (!IsSupported(apiKey, version))
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, $"{apiKey} v{version} is not supported");
        }
    }
}
