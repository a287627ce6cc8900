using System.Buffers.Binary;
using System.Text;
using Tusk.Core;
using Tusk.Core.Encoding;
using Tusk.Protocols.Kafka;
using Tusk.Storage;
using Tusk.Streams.Groups;

namespace Tusk.Server.Kafka;

/// <summary>
/// Hosting of the sans-I/O <see cref="GroupCoordinator"/> (driven by wall-clock time, as Kafka's coordinator is:
/// commit timestamps are persisted and drive offset retention across restarts): every call is serialized under <c>_groupLock</c>;
/// requests whose answer is delayed (JoinGroup, SyncGroup, OffsetCommit) wait on a task completed when the
/// coordinator releases their reply; a tick every 100 ms drives session and rebalance timeouts. Committed
/// offsets are written durably (fsynced) to the node's ordered key space, in the order the coordinator hands
/// them out, before <see cref="GroupCoordinator.CompleteCommit"/> releases the commit's reply; they are loaded
/// back at startup. Key: tuple ("kafka", "offsets", group, topic, partition); value: offset, leader epoch,
/// commit time, metadata.
/// </summary>
public sealed partial class KafkaBroker
{
    private static readonly TimeSpan GroupTickInterval = TimeSpan.FromMilliseconds(100);
    private readonly object _groupLock = new();
    private readonly object _persistLock = new(); // orders offset writes as the coordinator handed them out
    private readonly Dictionary<long, TaskCompletionSource<GroupReply>> _parked = []; // Protected by _groupLock
    private GroupCoordinator _coordinator = null!;
    private long _nextRequestId;
    private CancellationTokenSource? _groupTicks;
    private Task? _groupTickLoop;

    private void InitializeGroups()
    {
        _coordinator = new GroupCoordinator(new GroupCoordinatorOptions(), new SeededRandom((ulong)_clock.MonotonicTicks));
        _coordinator.LoadOffsets(LoadCommittedOffsets(), NowMs);
        _groupTicks = new CancellationTokenSource();
        _groupTickLoop = TickGroupsAsync(_groupTicks.Token);
    }

    private void DisposeGroups()
    {
        _groupTicks?.Cancel();
        try
        {
            _groupTickLoop?.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        _groupTicks?.Dispose();
        lock (_groupLock)
        {
            foreach (var waiter in _parked.Values)
            {
                waiter.TrySetCanceled();
            }
            _parked.Clear();
        }
    }

    private async Task TickGroupsAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(GroupTickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    lock (_groupLock)
                    {
                        _coordinator.Tick(NowMs);
                    }
                    Drain();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Session timeouts must keep firing: log and go on with the next tick.
                    _log($"kafka: group coordinator tick failed: {e}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async ValueTask<bool> HandleGroupRequestAsync(RequestHeader header, ReadOnlyMemory<byte> body, KafkaWriter response, ClientInfo client, CancellationToken cancellationToken)
    {
        short v = header.ApiVersion;
        var r = new KafkaReader(body.Span);
        switch (header.ApiKey)
        {
            case ApiKey.FindCoordinator:
            {
                var request = FindCoordinatorRequest.Read(ref r, v);
                var answer = request.KeyType == FindCoordinatorRequest.KeyTypeTransaction
                    ? new FindCoordinatorResponse { ErrorCode = ErrorCode.CoordinatorNotAvailable, ErrorMessage = "transactions are not supported" }
                    : new FindCoordinatorResponse { NodeId = _options.NodeId, Host = _options.AdvertisedHost, Port = _options.AdvertisedPort };
                answer.Write(response, v);
                return true;
            }
            case ApiKey.JoinGroup:
            {
                var request = JoinGroupRequest.Read(ref r, v);
                var reply = await ParkAsync(id => _coordinator.JoinGroup(id, v, request, header.ClientId ?? "", client.Host, NowMs), cancellationToken).ConfigureAwait(false);
                reply.WriteBody(response, v);
                return true;
            }
            case ApiKey.SyncGroup:
            {
                var request = SyncGroupRequest.Read(ref r, v);
                var reply = await ParkAsync(id => _coordinator.SyncGroup(id, v, request, NowMs), cancellationToken).ConfigureAwait(false);
                reply.WriteBody(response, v);
                return true;
            }
            case ApiKey.OffsetCommit:
            {
                var request = OffsetCommitRequest.Read(ref r, v);
                var reply = await ParkAsync(id => _coordinator.OffsetCommit(id, v, request, NowMs), cancellationToken).ConfigureAwait(false);
                reply.WriteBody(response, v);
                return true;
            }
            case ApiKey.Heartbeat:
            {
                var request = HeartbeatRequest.Read(ref r, v);
                Coordinate(() => _coordinator.Heartbeat(v, request, NowMs), drain: true).Write(response, v);
                return true;
            }
            case ApiKey.LeaveGroup:
            {
                var request = LeaveGroupRequest.Read(ref r, v);
                Coordinate(() => _coordinator.LeaveGroup(v, request, NowMs), drain: true).Write(response, v); // others may be released
                return true;
            }
            case ApiKey.OffsetFetch:
            {
                var request = OffsetFetchRequest.Read(ref r, v);
                Coordinate(() => _coordinator.OffsetFetch(v, request), drain: false).Write(response, v);
                return true;
            }
            case ApiKey.DescribeGroups:
            {
                var request = DescribeGroupsRequest.Read(ref r, v);
                Coordinate(() => _coordinator.DescribeGroups(v, request), drain: false).Write(response, v);
                return true;
            }
            case ApiKey.ListGroups:
            {
                _ = ListGroupsRequest.Read(ref r, v);
                Coordinate(() => _coordinator.ListGroups(v), drain: false).Write(response, v);
                return true;
            }
            default:
                throw new KafkaProtocolException($"request {header.ApiKey} v{v} is not handled by this broker");
        }
    }

    /// <summary>Runs one immediate coordinator call under the group lock; drains when it may have released others.</summary>
    private T Coordinate<T>(Func<T> call, bool drain)
    {
        T result;
        lock (_groupLock)
        {
            result = call();
        }
        if (drain)
        {
            Drain();
        }
        return result;
    }

    /// <summary>Drops (durably) every group's committed offsets for a deleted topic.</summary>
    private void ForgetCommittedOffsets(string topic)
    {
        Coordinate(() =>
        {
            _coordinator.DeleteTopicOffsets(topic, NowMs);
            return 0;
        }, drain: true);
    }

    /// <summary>Hands a request to the coordinator with a fresh id and waits for its reply.</summary>
    private async Task<GroupReply> ParkAsync(Action<long> submit, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<GroupReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_groupLock)
        {
            long id = ++_nextRequestId;
            _parked[id] = waiter;
            submit(id);
        }
        Drain();
        using (cancellationToken.Register(() => waiter.TrySetCanceled()))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Releases replies and persists offsets until the coordinator has nothing left. Offsets are written outside
    /// the group lock (but in hand-out order, under the persistence lock); only then is the commit completed.
    /// </summary>
    private void Drain()
    {
        while (true)
        {
            IReadOnlyList<GroupReply> replies;
            IReadOnlyList<OffsetWrite> writes;
            lock (_persistLock)
            {
                lock (_groupLock)
                {
                    replies = _coordinator.HasResponses ? _coordinator.TakeResponses() : [];
                    writes = _coordinator.HasOffsetsToPersist ? _coordinator.TakeOffsetsToPersist() : [];
                    foreach (var reply in replies)
                    {
                        if (_parked.Remove(reply.RequestId, out var waiter))
                        {
                            waiter.TrySetResult(reply);
                        }
                    }
                }
                if (replies.Count == 0 && writes.Count == 0)
                {
                    return;
                }
                if (writes.Count > 0)
                {
                    // One durable batch (one fsync) for every write taken in this pass, in hand-out order: a later
                    // write to the same partition comes later in the batch, so the higher commit id wins.
                    ErrorCode? failure = null;
                    try
                    {
                        PersistOffsets(writes);
                    }
                    catch (Exception e)
                    {
                        // Any failure fails the commits (answered with an error), never leaves them pending.
                        _log($"kafka: could not persist committed offsets: {e.Message}");
                        failure = ErrorCode.KafkaStorageError;
                    }
                    lock (_groupLock)
                    {
                        foreach (var write in writes)
                        {
                            if (failure is { } error)
                            {
                                _coordinator.FailCommit(write.CommitId, error, NowMs);
                            }
                            else
                            {
                                _coordinator.CompleteCommit(write.CommitId, NowMs);
                            }
                        }
                    }
                }
            }
        }
    }

    private static byte[] OffsetKey(string group, string topic, int partition) =>
        TupleEncoding.Pack("kafka", "offsets", group, topic, (long)partition);

    private void PersistOffsets(IReadOnlyList<OffsetWrite> writes)
    {
        var batch = new WriteBatch();
        foreach (var record in writes.SelectMany(w => w.Records))
        {
            byte[] key = OffsetKey(record.GroupId, record.Topic, record.Partition);
            if (record.Value is not { } value)
            {
                batch.Delete(key);
                continue;
            }
            byte[] metadata = Encoding.UTF8.GetBytes(value.Metadata);
            var encoded = new byte[20 + metadata.Length];
            BinaryPrimitives.WriteInt64BigEndian(encoded, value.Offset);
            BinaryPrimitives.WriteInt32BigEndian(encoded.AsSpan(8), value.LeaderEpoch);
            BinaryPrimitives.WriteInt64BigEndian(encoded.AsSpan(12), value.CommitTimestampMs);
            metadata.CopyTo(encoded, 20);
            batch.Put(key, encoded);
        }
        _kv.Write(batch, WriteOptions.Durable);
    }

    private List<OffsetRecord> LoadCommittedOffsets()
    {
        var records = new List<OffsetRecord>();
        var (begin, end) = TupleEncoding.TupleRange(TupleEncoding.Pack("kafka", "offsets"));
        using var it = _kv.NewIterator();
        for (it.Seek(begin); it.Valid && it.Key.SequenceCompareTo(end) < 0; it.Next())
        {
            var tuple = TupleEncoding.Unpack(it.Key);
            var v = it.Value;
            if (tuple.Length != 5 || tuple[2] is not string group || tuple[3] is not string topic || tuple[4] is not long partition || v.Length < 20)
            {
                throw new CorruptionException("kv", 0, "malformed committed-offset entry in the key-value store");
            }
            records.Add(new OffsetRecord(group, topic, (int)partition, new CommittedOffset(
                BinaryPrimitives.ReadInt64BigEndian(v), BinaryPrimitives.ReadInt32BigEndian(v[8..]),
                Encoding.UTF8.GetString(v[20..]), BinaryPrimitives.ReadInt64BigEndian(v[12..]))));
        }
        return records;
    }
}
