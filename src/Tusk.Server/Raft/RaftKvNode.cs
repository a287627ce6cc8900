using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Raft;
using Tusk.Raft.Kv;

namespace Tusk.Server.Raft;

/// <summary>Settings of one node of a replicated KV cluster.</summary>
public sealed record RaftKvNodeOptions
{
    public required ulong Id { get; init; }

    public required IPEndPoint Listen { get; init; }

    /// <summary>Every member's address, this node included (id → host:port).</summary>
    public required IReadOnlyDictionary<ulong, IPEndPoint> Members { get; init; }

    public required string DataDirectory { get; init; }

    public IFileSystem FileSystem { get; init; } = OsFileSystem.Instance;

    /// <summary>One Raft tick. Election timeout = <see cref="ElectionTicks"/> ticks (randomized up to twice that).</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromMilliseconds(100);

    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>The state machine is snapshotted and the log compacted every this many applied entries.</summary>
    public int SnapshotEveryEntries { get; init; } = 50_000;

    /// <summary>Client requests waiting for their entry to commit; beyond it new ones get an "overloaded" error.</summary>
    public int PendingRequestsMax { get; init; } = 100_000;

    public Action<string> Log { get; init; } = _ => { };
}

/// <summary>
/// The host of one replicated-KV node (STYLE.md C2): drives a <see cref="RaftNode"/> from one loop thread, persists
/// through a separate append thread that group-commits every ready waiting for it into one fsync, and talks to peers
/// and clients through <see cref="RaftTransport"/>. Pipelining as the core intends: a leader's Appends leave before
/// its own fsync finishes; acknowledgements leave only after it. Client writes are answered once applied; reads go
/// through ReadIndex and are answered once the state machine has caught up to the read index.
/// </summary>
public sealed class RaftKvNode : IAsyncDisposable
{
    private abstract record Work;
    private sealed record TickWork : Work;
    private sealed record MessagesWork(List<RaftMessage> Messages) : Work;
    private sealed record RequestWork(ClientConnection Client, KvRequest Request) : Work;
    private sealed record StatusWork(ClientConnection Client, ulong RequestId) : Work;
    private sealed record PersistedWork(List<RaftReady> Readies) : Work;
    private sealed record StopWork : Work;

    private readonly RaftKvNodeOptions _options;
    private readonly DurableRaftStorage _storage;
    private readonly RaftNode _raft;
    private readonly KvStateMachine _kv;
    private readonly Channel<Work> _work = Channel.CreateBounded<Work>(new BoundedChannelOptions(65_536) { SingleReader = true });
    // Work for the append thread, in order: readies to persist (from the loop), and log compactions to a snapshot whose
    // file is already written (from the snapshot task) (object: RaftReady or SnapshotRequest).
    private readonly Channel<object> _persist = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private sealed record SnapshotRequest(ulong Index, ConfState Conf, byte[] Data, long Keys);

    // The loop thread reads the storage (through LockedStorage) while the append thread changes it: every access
    // takes this lock. The append thread holds it while writing into the page cache, never across an fsync, except
    // while compacting the log to a snapshot (it restates the few entries after the snapshot and syncs them); the
    // snapshot itself is encoded and written by a background task, outside this lock.
    private readonly object _storageLock = new();

    // The snapshot task writes the snapshot file while the append thread goes on; the append thread takes this lock to
    // save a ready that installs a leader's snapshot (the same file). Order: this lock, then _storageLock.
    private readonly object _snapshotFileLock = new();
    private Task _snapshotTask = Task.CompletedTask;
    private ulong _snapshotRequestedAt;
    private readonly KvRequestTracker<(ClientConnection Client, ulong RequestId)> _requests;
    private readonly RaftTransport _transport;
    private readonly Timer _ticker;
    private Task? _loop;
    private Task? _appender;
    private ConfState _conf;

    private RaftKvNode(RaftKvNodeOptions options, DurableRaftStorage storage, LsmKvStore state)
    {
        _options = options;
        _storage = storage;
        _kv = new KvStateMachine(state);
        _requests = new(Answer);
        var snapshot = storage.GetSnapshot();
        if (state.AppliedIndex < snapshot.Metadata.Index)
        {
            // The engine is behind the Raft snapshot (the log it would replay from is compacted): start from the snapshot.
            _kv.Restore(snapshot.Data.Span);
            _kv.SetAppliedIndex(snapshot.Metadata.Index);
        }
        var config = new RaftConfig
        {
            // The engine applied (and kept, without fsync) a prefix of the log; Raft hands out the rest again. Entries
            // the engine already holds are skipped by the state machine, so the durable commit bounds this from above.
            Applied = Math.Min(_kv.AppliedIndex, Math.Max(storage.HardState.Commit, snapshot.Metadata.Index)),
            Id = options.Id,
            InitialVoters = [.. options.Members.Keys],
            ElectionTicks = options.ElectionTicks,
            HeartbeatTicks = options.HeartbeatTicks,
            PreVote = true,
            CheckQuorum = true,
        };
        _raft = new RaftNode(config, new LockedStorage(storage, _storageLock), new SeededRandom(SeedFor(options.Id)));
        _snapshotRequestedAt = storage.SnapshotMetadata.Index;
        _conf = _raft.Conf;
        _transport = new RaftTransport(options.Id, options.Listen, options.Members, options.Log,
            messages => Post(new MessagesWork(messages)),
            (client, request) => Post(new RequestWork(client, request)),
            (client, id) => Post(new StatusWork(client, id)));
        _ticker = new Timer(_ => _work.Writer.TryWrite(new TickWork()));
    }

    private static ulong SeedFor(ulong id)
    {
        // Election jitter must differ between nodes and runs; the core only needs a seed.
        Span<byte> bytes = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes) ^ id;
    }

    /// <summary>The TCP port the node listens on (useful with port 0).</summary>
    public int Port => _transport.Port;

    public ulong Id => _options.Id;

    /// <summary>Opens the data directory (recovering the Raft log), binds the port and starts serving.</summary>
    public static RaftKvNode Start(RaftKvNodeOptions options)
    {
        if (!options.Members.ContainsKey(options.Id)) throw new ArgumentException($"node {options.Id} is not among the members");
        var storage = DurableRaftStorage.Open(options.FileSystem, FileSystemExtensions.Join(options.DataDirectory, "raft"));
        LsmKvStore state;
        try
        {
            state = LsmKvStore.Open(options.FileSystem, FileSystemExtensions.Join(options.DataDirectory, "state"));
        }
        catch
        {
            storage.Dispose();
            throw;
        }
        var node = new RaftKvNode(options, storage, state);
        node._transport.Start();
        node._loop = Task.Factory.StartNew(node.RunLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        node._appender = Task.Factory.StartNew(node.RunAppender, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        node._ticker.Change(options.Tick, options.Tick);
        options.Log($"raft: node {options.Id} recovered: term {storage.HardState.Term}, commit {storage.HardState.Commit}, " +
            $"log {storage.FirstIndex}..{storage.LastIndex}, snapshot at {storage.SnapshotMetadata.Index}; state machine (LSM engine) at index " +
            $"{state.AppliedIndex} with {state.Count} keys; listening on {options.Listen.Address}:{node.Port}");
        return node;
    }

    private void Post(Work work)
    {
        // Back-pressure: the network readers wait while the loop is behind.
        if (!_work.Writer.TryWrite(work)) _work.Writer.WriteAsync(work).AsTask().GetAwaiter().GetResult();
    }

    private void RunLoop()
    {
        var reader = _work.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var work))
            {
                if (work is StopWork) return;
                Handle(work);
            }
            HandleReadies();
        }
    }

    private void Handle(Work work)
    {
        switch (work)
        {
            case TickWork:
                _raft.Tick();
                break;
            case MessagesWork m:
                foreach (var message in m.Messages) _raft.Step(message);
                break;
            case RequestWork r:
                HandleRequest(r.Client, r.Request);
                break;
            case StatusWork s:
                s.Client.Send(RaftFrames.StatusResponse(s.RequestId, StatusJson()));
                break;
            case PersistedWork p:
                foreach (var ready in p.Readies)
                {
                    _raft.OnPersisted(ready);
                    _transport.Send(ready.MessagesAfterPersist);
                }
                break;
        }
    }

    private void HandleRequest(ClientConnection client, KvRequest request)
    {
        var command = request.Command;
        if (_requests.Pending >= _options.PendingRequestsMax)
        {
            client.Send(RaftFrames.Response(new KvResponse(request.RequestId, KvStatus.Error, false, "node overloaded: too many requests in flight", 0, null)));
            return;
        }
        if (command.Op == KvOp.Get)
        {
            _requests.AddRead((client, request.RequestId), command.Key, _raft.ReadIndex);
            return;
        }
        var result = _raft.Propose(request.Raw.IsEmpty ? command.Encode() : request.Raw);
        if (result.IsOk) _requests.AddWrite(result.Index, result.Term, (client, request.RequestId));
        else client.Send(NotLeader(request.RequestId, result.LeaderHint));
    }

    private void Answer((ClientConnection Client, ulong RequestId) request, KvAnswer answer, KvResult result) =>
        request.Client.Send(answer switch
        {
            KvAnswer.Ok => RaftFrames.Response(new KvResponse(request.RequestId, KvStatus.Ok, result.Succeeded, result.Value, 0, null)),
            KvAnswer.Retry => RaftFrames.Response(new KvResponse(request.RequestId, KvStatus.Retry, false, null, _raft.Leader, null)),
            _ => NotLeader(request.RequestId),
        });

    private byte[] NotLeader(ulong requestId, ulong hint = 0)
    {
        var leader = hint != 0 ? hint : _raft.Leader;
        var address = leader != 0 && _options.Members.TryGetValue(leader, out var ep) ? $"{ep.Address}:{ep.Port}" : null;
        return RaftFrames.Response(new KvResponse(requestId, KvStatus.NotLeader, false, null, leader, address));
    }

    private void HandleReadies()
    {
        while (_raft.HasReady)
        {
            var ready = _raft.TakeReady();
            _transport.Send(ready.Messages);
            if (ready.Snapshot is { } snapshot)
            {
                _kv.Restore(snapshot.Data.Span);
                _kv.SetAppliedIndex(snapshot.Metadata.Index);
            }
            foreach (var entry in ready.CommittedEntries) _requests.OnApplied(entry, _kv.Apply(entry));
            if (ready.CommittedEntries.Count > 0) _kv.Commit();
            _conf = ready.Conf;
            _requests.OnReady(ready, _raft.Term, _kv);
            _persist.Writer.TryWrite(ready);
        }
        MaybeSnapshot();
    }

    /// <summary>
    /// Every <see cref="RaftKvNodeOptions.SnapshotEveryEntries"/> applied entries: captures the state machine here (an
    /// engine snapshot: no copy), then a background task encodes it and writes the snapshot file, and hands the log
    /// compaction to the append thread. The loop never waits for it; one snapshot is in progress at a time.
    /// </summary>
    private void MaybeSnapshot()
    {
        var applied = _kv.AppliedIndex;
        if (applied < _snapshotRequestedAt + (ulong)_options.SnapshotEveryEntries || !_snapshotTask.IsCompleted) return;
        if (!_raft.TryGetTerm(applied, out var term)) return;
        _snapshotRequestedAt = applied;
        var capture = _kv.Capture();
        var metadata = new SnapshotMetadata(applied, term, _conf);
        _snapshotTask = Task.Run(() => WriteSnapshot(capture, metadata));
    }

    private void WriteSnapshot(IKvStoreCapture capture, SnapshotMetadata metadata)
    {
        try
        {
            byte[] data;
            long keys;
            using (capture)
            {
                data = KvStateMachine.Encode(capture);
                keys = capture.Count;
            }
            lock (_snapshotFileLock)
            {
                ulong held;
                lock (_storageLock) held = _storage.SnapshotMetadata.Index;
                if (metadata.Index <= held) return;  // a leader's newer snapshot was installed meanwhile
                _storage.WriteSnapshotFile(metadata, data);
            }
            _persist.Writer.TryWrite(new SnapshotRequest(metadata.Index, metadata.Conf, data, keys));
        }
        catch (IOException e)
        {
            _options.Log($"raft: FATAL: cannot write a snapshot: {e.Message}; stopping the node");
            Environment.FailFast("tusk: Raft snapshot write failed: " + e.Message);
        }
    }

    /// <summary>
    /// The append thread: writes every ready waiting, then one fsync for all of them (group commit), then reports
    /// them persisted to the loop. Snapshot requests are written in order between readies.
    /// </summary>
    private void RunAppender()
    {
        var reader = _persist.Reader;
        var batch = new List<RaftReady>();
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            try
            {
                while (reader.TryRead(out var item))
                {
                    if (item is RaftReady ready)
                    {
                        if (ready.Snapshot is null)
                        {
                            lock (_storageLock) _storage.Save(ready);
                        }
                        else
                        {
                            lock (_snapshotFileLock) lock (_storageLock) _storage.Save(ready);
                        }
                        batch.Add(ready);
                        continue;
                    }
                    var snapshot = (SnapshotRequest)item;
                    FlushBatch(batch);
                    batch = [];
                    lock (_storageLock) _storage.CompactToSnapshotFile(snapshot.Index, snapshot.Conf, snapshot.Data);
                    _options.Log($"raft: snapshot at index {snapshot.Index} ({snapshot.Keys} keys, {snapshot.Data.Length} bytes); log compacted");
                }
                FlushBatch(batch);
                batch = [];
            }
            catch (IOException e)
            {
                // After a failed fsync the kernel may have dropped the dirty pages: the only safe move is to stop.
                _options.Log($"raft: FATAL: cannot persist the Raft log: {e.Message}; stopping the node");
                Environment.FailFast("tusk: Raft log write failed: " + e.Message);
            }
        }
    }

    private void FlushBatch(List<RaftReady> batch)
    {
        if (batch.Count == 0) return;
        _storage.Sync();
        Post(new PersistedWork(batch));
    }

    private string StatusJson()
    {
        var s = _raft.Status();
        var status = new Dictionary<string, object>
        {
            ["id"] = s.Id,
            ["role"] = s.Role.ToString().ToLowerInvariant(),
            ["term"] = s.Term,
            ["leader"] = s.Leader,
            ["commit"] = s.Commit,
            ["applied"] = _kv.AppliedIndex,
            ["last_index"] = s.LastIndex,
            ["persisted"] = s.PersistedIndex,
            ["snapshot_index"] = _snapshotRequestedAt,
            ["voters"] = s.Conf.Voters,
            ["keys"] = _kv.Count,
            ["followers"] = s.Progress.Where(p => p.Key != s.Id).ToDictionary(
                p => p.Key.ToString(CultureInfo.InvariantCulture), p => new Dictionary<string, object> { ["match"] = p.Value.Match, ["lag"] = s.LastIndex - p.Value.Match }),
        };
        return JsonSerializer.Serialize(status);
    }

    public async ValueTask DisposeAsync()
    {
        await _ticker.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _work.Writer.TryWrite(new StopWork());
        if (_loop is not null) await _loop.ConfigureAwait(false);
        await _snapshotTask.ConfigureAwait(false);
        _persist.Writer.TryComplete();
        if (_appender is not null) await _appender.ConfigureAwait(false);
        _storage.Dispose();
        _kv.Store.Dispose();
    }
}

/// <summary>An <see cref="IRaftStorage"/> view that takes a lock for every read, for a storage another thread writes.</summary>
internal sealed class LockedStorage(IRaftStorage inner, object gate) : IRaftStorage
{
    public HardState HardState { get { lock (gate) return inner.HardState; } }

    public SnapshotMetadata SnapshotMetadata { get { lock (gate) return inner.SnapshotMetadata; } }

    public ulong FirstIndex { get { lock (gate) return inner.FirstIndex; } }

    public ulong LastIndex { get { lock (gate) return inner.LastIndex; } }

    public bool TryGetTerm(ulong index, out ulong term)
    {
        lock (gate) return inner.TryGetTerm(index, out term);
    }

    public void GetEntries(ulong low, ulong high, long maxBytes, List<RaftEntry> into)
    {
        lock (gate) inner.GetEntries(low, high, maxBytes, into);
    }

    public RaftSnapshot GetSnapshot()
    {
        lock (gate) return inner.GetSnapshot();
    }
}
