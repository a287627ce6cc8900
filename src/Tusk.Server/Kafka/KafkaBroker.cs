using Tusk.Core;
using Tusk.Protocols.Kafka;
using Tusk.Storage;
using Tusk.Streams.Log;
using Tusk.Streams.Topics;

namespace Tusk.Server.Kafka;

/// <summary>
/// The Kafka broker of one node: turns requests into operations on <see cref="TopicManager"/>'s partition logs
/// and the group coordinator, and writes the responses. Thread-safe: the server calls it from one task per
/// connection. Produce with acks=-1 answers only after the batches are durable (fsync, shared among concurrent
/// producers by <see cref="PartitionSyncer"/>); Fetch long-polls until min_bytes arrive or max_wait_ms passes.
/// </summary>
public sealed partial class KafkaBroker : IKafkaRequestHandler, IDisposable
{
    private readonly TopicManager _topics;
    private readonly LsmEngine _kv;
    private readonly KafkaBrokerOptions _options;
    private readonly IClock _clock;
    private readonly Action<string> _log;
    // Weak: a deleted topic's logs (and their syncers) must not be kept alive by the broker.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<PartitionLog, PartitionSyncer> _syncers = new();
    private readonly SemaphoreSlim _fsyncSlots;
    private TaskCompletionSource _appended = NewSignal();

    /// <summary>Creates the broker over open topics and the node's key-value store (group offsets, producer ids).</summary>
    public KafkaBroker(TopicManager topics, LsmEngine kv, KafkaBrokerOptions options, IClock clock, Action<string>? log = null)
    {
        _topics = topics;
        _kv = kv;
        _options = options;
        _clock = clock;
        _log = log ?? (_ => { });
        _fsyncSlots = new SemaphoreSlim(options.ConcurrentFsyncsMax, options.ConcurrentFsyncsMax);
        _producerIds = new ProducerIdAllocator(kv);
        InitializeGroups();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wall-clock milliseconds: record timestamps, retention.</summary>
    private long NowMs => _clock.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Monotonic milliseconds: deadlines and session timers (a wall-clock step must not expire every member).</summary>
    private long MonotonicMs => _clock.MonotonicTicks * 1000 / _clock.TicksPerSecond;

    /// <inheritdoc />
    public async ValueTask<bool> HandleAsync(RequestHeader header, Memory<byte> body, KafkaWriter response, ClientInfo client, CancellationToken cancellationToken)
    {
        short v = header.ApiVersion;
        if (!KafkaApis.IsSupported(header.ApiKey, v))
        {
            if (header.ApiKey == ApiKey.ApiVersions)
            {
                // A newer client asks with a version we lack: answer in v0 with UNSUPPORTED_VERSION and our ranges,
                // so it retries with a version we speak (KIP-511's fallback).
                ApiVersionsResponse.WriteUnsupportedVersion(response);
                return true;
            }
            throw new KafkaProtocolException(
                $"unsupported request {header.ApiKey} v{v} from client '{header.ClientId}' (see ApiVersions for what this broker speaks)");
        }
        switch (header.ApiKey)
        {
            case ApiKey.ApiVersions:
                ApiVersionsResponse.ForSupportedApis().Write(response, v);
                return true;
            case ApiKey.Metadata:
                HandleMetadata(body, v, response);
                return true;
            case ApiKey.Produce:
                return await HandleProduceAsync(body, v, response).ConfigureAwait(false);
            case ApiKey.Fetch:
                await HandleFetchAsync(body, v, response, cancellationToken).ConfigureAwait(false);
                return true;
            case ApiKey.ListOffsets:
                HandleListOffsets(body, v, response);
                return true;
            case ApiKey.CreateTopics:
                HandleCreateTopics(body, v, response);
                return true;
            case ApiKey.DeleteTopics:
                HandleDeleteTopics(body, v, response);
                return true;
            case ApiKey.CreatePartitions:
                HandleCreatePartitions(body, v, response);
                return true;
            case ApiKey.DescribeConfigs:
                HandleDescribeConfigs(body, v, response);
                return true;
            case ApiKey.InitProducerId:
                HandleInitProducerId(body, v, response);
                return true;
            default:
                return await HandleGroupRequestAsync(header, body, response, client, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wakes fetches waiting for data.</summary>
    private void SignalAppended() => Interlocked.Exchange(ref _appended, NewSignal()).TrySetResult();

    private PartitionSyncer SyncerFor(PartitionLog log) => _syncers.GetValue(log, l => new PartitionSyncer(l, _fsyncSlots));

    /// <summary>
    /// The offset up to which consumers may read: for topics that fsync every batch, the durable offset (records
    /// are not shown before they survive a power loss: a consumer must never commit past data a crash could
    /// take back); otherwise the log end.
    /// </summary>
    private static long HighWatermark(Streams.Topics.Topic topic, PartitionLog log) =>
        topic.Config.SyncEveryBatch ? log.SyncedOffset : log.LogEndOffset;

    /// <summary>Maps a storage failure on one partition to the error code the client sees, and logs it.</summary>
    private ErrorCode StorageError(Exception e, string where)
    {
        switch (e)
        {
            case ObjectDisposedException:
                return ErrorCode.UnknownTopicOrPartition; // deleted while the request ran
            case CorruptionException c:
                _log($"kafka: CORRUPTION in {where}: {c.Message}");
                return ErrorCode.KafkaStorageError;
            default:
                _log($"kafka: storage error in {where}: {e.Message}");
                return ErrorCode.KafkaStorageError;
        }
    }

    /// <summary>Stops background work.</summary>
    public void Dispose()
    {
        DisposeGroups();
        SignalAppended();
    }
}
