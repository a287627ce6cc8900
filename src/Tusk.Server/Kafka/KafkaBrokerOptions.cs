namespace Tusk.Server.Kafka;

/// <summary>How the broker presents itself and its limits.</summary>
public sealed class KafkaBrokerOptions
{
    /// <summary>This node's id in metadata.</summary>
    public int NodeId { get; init; } = 1;

    /// <summary>Host clients are told to connect to (the advertised listener).</summary>
    public string AdvertisedHost { get; init; } = "127.0.0.1";

    /// <summary>Port clients are told to connect to.</summary>
    public int AdvertisedPort { get; init; } = 9092;

    /// <summary>Cluster id reported in metadata.</summary>
    public string ClusterId { get; init; } = "tusk-single-node";

    /// <summary>Create a topic when a client asks metadata for a missing one (Kafka's auto.create.topics.enable).</summary>
    public bool AutoCreateTopics { get; init; } = true;

    /// <summary>Partitions of auto-created topics and of CreateTopics with num_partitions = -1.</summary>
    public int DefaultPartitions { get; init; } = 1;

    /// <summary>Largest fetch response body (bounds memory per fetch; Kafka's fetch.max.bytes default).</summary>
    public int FetchBytesMax { get; init; } = 50 << 20;

    /// <summary>Longest a fetch waits for data (caps the client's max_wait_ms).</summary>
    public int FetchWaitMsMax { get; init; } = 30_000;

    /// <summary>
    /// Partition fsyncs running at once (each blocks a thread-pool thread). Beyond it, partitions wait their turn;
    /// a waiting partition's next fsync covers every batch appended meanwhile, so many partitions cost more
    /// latency, not more fsyncs, and the thread pool is not starved.
    /// </summary>
    public int ConcurrentFsyncsMax { get; init; } = 16;
}
