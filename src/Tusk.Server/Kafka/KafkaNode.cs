using System.Net;
using System.Runtime.CompilerServices;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Storage;
using Tusk.Streams.Log;
using Tusk.Streams.Topics;

namespace Tusk.Server.Kafka;

/// <summary>
/// The Kafka side of a node: topics under <c>DATA/topics</c>, the broker, the listener, and a maintenance loop
/// that applies retention, compacts compacted topics and syncs topics that flush on an interval
/// (<c>flush.ms</c>). Owns what it creates; the key-value store belongs to the caller.
/// </summary>
public sealed class KafkaNode : IAsyncDisposable
{
    /// <summary>How often interval flushes (flush.ms) are checked; flush.ms below it is rounded up to it.</summary>
    public static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(1);

    /// <summary>Retention and compaction run every this many maintenance ticks.</summary>
    private const int CleanupEveryTicks = 5;

    private readonly TopicManager _topics;
    private readonly KafkaBroker _broker;
    private readonly KafkaServer _server;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<PartitionLog, StrongBox<long>> _lastSyncMs = new();
    private long _ticks;
    private Task? _maintenance;

    private KafkaNode(TopicManager topics, KafkaBroker broker, KafkaServer server, Action<string> log)
    {
        _topics = topics;
        _broker = broker;
        _server = server;
        _log = log;
    }

    /// <summary>The port the listener bound.</summary>
    public int Port => _server.Port;

    /// <summary>The topics (for statistics and tools).</summary>
    public TopicManager Topics => _topics;

    /// <summary>Opens the topics (recovering every partition), starts the broker and listens on <paramref name="listen"/>.</summary>
    public static KafkaNode Start(IFileSystem fs, string dataDirectory, LsmEngine kv, IPEndPoint listen, string? advertisedHost, Action<string> log)
    {
        var topics = new TopicManager(fs, FileSystemExtensions.Join(dataDirectory, "topics"), LogOptionsFor(log), log);
        KafkaBroker? broker = null;
        KafkaServer? server = null;
        try
        {
            // Bind first (the broker advertises the bound port), build the broker, only then accept connections.
            server = new KafkaServer(listen, new LateBoundHandler(() => broker!), log: log);
            server.Bind();
            string host = advertisedHost ?? (listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any) ? "127.0.0.1" : listen.Address.ToString());
            broker = new KafkaBroker(topics, kv, new KafkaBrokerOptions { AdvertisedHost = host, AdvertisedPort = server.Port }, SystemClock.Instance, log);
            server.StartAccepting();
            var node = new KafkaNode(topics, broker, server, log);
            node._maintenance = node.MaintainAsync();
            return node;
        }
        catch
        {
            server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            broker?.Dispose();
            topics.Dispose();
            throw;
        }
    }

    /// <summary>Maps a topic's configuration to its partition logs' options.</summary>
    public static Func<TopicConfig, PartitionLogOptions> LogOptionsFor(Action<string> log) => config => new PartitionLogOptions
    {
        SegmentBytes = (int)Math.Min(config.SegmentBytes, int.MaxValue),
        RetentionMs = config.RetentionMs,
        RetentionBytes = config.RetentionBytes,
        CleanupPolicy = config.CleanupPolicy == "compact" ? CleanupPolicy.Compact : CleanupPolicy.Delete,
        DeleteRetentionMs = config.DeleteRetentionMs,
        MaxBatchBytes = config.MaxMessageBytes,
        FlushMessages = config.FlushMessages,
        FlushMs = config.FlushMs,
        Log = log,
    };

    private async Task MaintainAsync()
    {
        using var timer = new PeriodicTimer(MaintenanceInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    RunMaintenance(SystemClock.Instance.UtcNow.ToUnixTimeMilliseconds(), cleanup: ++_ticks % CleanupEveryTicks == 0);
                }
                catch (Exception e)
                {
                    // Keep maintaining the other partitions on the next tick; a dead loop would stop retention for good.
                    _log($"kafka: maintenance pass failed: {e}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One pass of interval flushes and (when <paramref name="cleanup"/>) retention and compaction over every partition.</summary>
    public void RunMaintenance(long nowMs, bool cleanup = true)
    {
        foreach (var topic in _topics.Topics)
        {
            foreach (var log in topic.Partitions)
            {
                try
                {
                    if (cleanup && topic.Config.CleanupPolicy == "compact")
                    {
                        log.Compact(nowMs);
                    }
                    else if (cleanup)
                    {
                        log.ApplyRetention(nowMs);
                    }
                    var lastSync = _lastSyncMs.GetValue(log, _ => new StrongBox<long>(nowMs));
                    if (!topic.Config.SyncEveryBatch && log.SyncedOffset < log.LogEndOffset && nowMs - lastSync.Value >= topic.Config.FlushMs)
                    {
                        log.Sync();
                        lastSync.Value = nowMs;
                    }
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    _log($"kafka: maintenance of {log.DirectoryPath} failed: {e.Message}");
                }
            }
        }
    }

    /// <summary>Stops listening, finishes maintenance, syncs and closes every partition.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        if (_maintenance != null)
        {
            await _maintenance.ConfigureAwait(false);
        }
        _broker.Dispose();
        foreach (var topic in _topics.Topics)
        {
            foreach (var log in topic.Partitions)
            {
                try
                {
                    log.Sync();
                }
                catch (IOException e)
                {
                    _log($"kafka: final sync of {log.DirectoryPath} failed: {e.Message}");
                }
            }
        }
        _topics.Dispose();
        _stop.Dispose();
    }

    /// <summary>Lets the server start before the broker exists (the broker needs the bound port to advertise it).</summary>
    private sealed class LateBoundHandler(Func<IKafkaRequestHandler> handler) : IKafkaRequestHandler
    {
        public ValueTask<bool> HandleAsync(Protocols.Kafka.RequestHeader header, Memory<byte> body, Protocols.Kafka.KafkaWriter response,
            ClientInfo client, CancellationToken cancellationToken) =>
            handler().HandleAsync(header, body, response, client, cancellationToken);
    }
}
