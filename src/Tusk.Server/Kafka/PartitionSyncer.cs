using Tusk.Streams.Log;

namespace Tusk.Server.Kafka;

/// <summary>
/// Group commit for one partition: producers that need their batches durable wait until the partition's
/// synced offset covers them; at most one fsync of the partition runs at a time, and each one covers every batch
/// appended before it started, so concurrent acks=-1 producers share fsyncs. The fsync runs on the thread pool
/// once it gets one of the broker's <paramref name="slots"/> (a bound on fsyncs across partitions). Thread-safe.
/// </summary>
internal sealed class PartitionSyncer(PartitionLog log, SemaphoreSlim slots)
{
    private readonly object _lock = new();
    private Task? _inflight; // Protected by _lock

    /// <summary>Completes when every offset below <paramref name="endOffset"/> is durable. Throws if an fsync fails.</summary>
    public async ValueTask WaitDurableAsync(long endOffset)
    {
        while (log.SyncedOffset < endOffset)
        {
            Task sync;
            lock (_lock)
            {
                if (_inflight == null || _inflight.IsCompleted)
                {
                    _inflight = SyncAsync();
                }
                sync = _inflight;
            }
            // A sync that started before our append may not cover it: loop until one does.
            await sync.ConfigureAwait(false);
        }
    }

    private async Task SyncAsync()
    {
        await slots.WaitAsync().ConfigureAwait(false);
        try
        {
            await Task.Run(log.Sync).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }
}
