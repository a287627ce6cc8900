using Tusk.Core;
using Tusk.Raft;
using Tusk.Raft.Kv;

namespace Tusk.Simulation.Raft;

/// <summary>
/// A simulated host of one Raft KV node: drives a <see cref="RaftNode"/> the way the real host does (ticks, ready
/// handling, pipelined persistence with group commit, applying, answering clients), over virtual time. Its Raft log
/// is the real <see cref="DurableRaftStorage"/> on a per-node <see cref="SimFileSystem"/>: a crash drops (or tears)
/// every unsynced write, and a failed fsync stops the node as the real host does, to be restarted. The state machine
/// is volatile and rebuilt from the snapshot and the log at restart.
/// </summary>
internal sealed class SimRaftNode
{
    private readonly RaftKvSimulation _sim;
    private readonly RaftConfig _config;
    private readonly long _tickMicros;
    // Writes in flight, in order: readies, and snapshots of the state machine (SnapshotWrite) to record, as the real
    // host's append thread does, so a snapshot never overtakes the entries before it.
    private readonly Queue<object> _disk = new();
    private ulong _snapshotRequestedAt;

    private sealed record SnapshotWrite(ulong Index, ConfState Conf, byte[] Data);
    private readonly KvRequestTracker<(int Client, ulong Attempt)> _requests;
    private readonly List<Action> _deferredWhilePaused = [];
    private SimTimer? _tickTimer;
    private SimTimer? _diskTimer;
    private bool _readyScheduled;
    private long _pausedAtMicros;
    private int _incarnation;

    public SimRaftNode(RaftKvSimulation sim, int id, RaftConfig config, long tickMicros)
    {
        _sim = sim;
        Id = id;
        _config = config;
        _tickMicros = tickMicros;
        _requests = new((request, answer, result) => Reply(request.Client, request.Attempt, answer, result));
    }

    public int Id { get; }

    public SimFileSystem Disk { get; private set; } = null!;

    public DurableRaftStorage Storage { get; private set; } = null!;

    /// <summary>Times this node stopped because an fsync failed.</summary>
    public int FsyncFailures { get; private set; }

    public RaftNode? Raft { get; private set; }

    public KvStateMachine Kv { get; } = new();

    public bool IsUp => Raft is not null;

    public bool IsPaused { get; private set; }

    public void Start()
    {
        if (Raft is not null) return;
        _incarnation++;
        if (Disk is null)
        {
            Disk = new SimFileSystem(_sim.Options.Seed * 31 + (ulong)Id);
            if (_sim.Options.FsyncFailureProbability > 0) Disk.SetFaultProbability(SimOperationKind.Sync, _sim.Options.FsyncFailureProbability);
        }
        try
        {
            Storage = DurableRaftStorage.Open(Disk, "/raft");
        }
        catch (IOException e) when (e is not Tusk.Core.CorruptionException)
        {
            if (_sim.Executor.IsTracing) _sim.Executor.Trace($"node {Id} recovery failed: {e.Message}");
            FsyncFailures++;  // recovery syncs too; try again later
            _sim.FailStop(Id);
            return;
        }
        Raft = new RaftNode(_config, Storage, new SeededRandom(_sim.Options.Seed * 1_000_003UL + (ulong)Id * 7919UL + (ulong)_incarnation));
        Kv.Restore(Storage.GetSnapshot().Data.Span);
        Kv.SetAppliedIndex(Storage.SnapshotMetadata.Index);
        _snapshotRequestedAt = Storage.SnapshotMetadata.Index;
        ScheduleTick();
        ScheduleReady();
    }

    public void Crash()
    {
        if (Raft is null) return;
        Raft = null;
        Storage.Dispose();
        Disk.Crash(_sim.Options.TornWrites ? CrashOptions.TearWrites : CrashOptions.DropUnsynced);
        _tickTimer?.Cancel();
        _diskTimer?.Cancel();
        _disk.Clear();  // writes in flight never reached the disk
        _requests.Clear();
        _deferredWhilePaused.Clear();
        _readyScheduled = false;
        IsPaused = false;
        _incarnation++;
    }

    public void Pause()
    {
        IsPaused = true;
        _pausedAtMicros = _sim.Executor.NowMicros;
    }

    /// <summary>
    /// Resumes a paused node. It first ticks for the time it was stopped, as a host that counts ticks from a
    /// monotonic clock does, before it handles anything that arrived meanwhile: a leader must not come back
    /// believing its lease still runs (docs/raft.md, leases).
    /// </summary>
    public void Resume()
    {
        IsPaused = false;
        if (Raft is { } raft)
        {
            var missed = (_sim.Executor.NowMicros - _pausedAtMicros) / Math.Max(1, _tickMicros);
            // Past two election timeouts more ticks change nothing (every timer and lease has run out).
            for (long i = Math.Min(missed, 2L * _config.ElectionTicks); i > 0; i--) raft.Tick();
            ScheduleReady();
        }
        var deferred = _deferredWhilePaused.ToArray();
        _deferredWhilePaused.Clear();
        foreach (var a in deferred) WhenRunning(a);  // one of them may stop the node (a failed fsync)
    }

    private void WhenRunning(Action action)
    {
        if (Raft is null) return;
        if (IsPaused) _deferredWhilePaused.Add(action);
        else action();
    }

    private void ScheduleTick()
    {
        var interval = _tickMicros + _tickMicros * _sim.TickDriftPpm(Id) / 1_000_000;
        var incarnation = _incarnation;
        _tickTimer = _sim.Executor.Schedule(Math.Max(1, interval), () =>
        {
            if (incarnation != _incarnation || Raft is null) return;
            if (!IsPaused)
            {
                // A paused node's ticks are lost, as a stalled process's timers are.
                Raft.Tick();
                ScheduleReady();
            }
            ScheduleTick();
        });
    }

    public void Deliver(int from, SimEnvelope envelope) => WhenRunning(() =>
    {
        if (envelope.Raft is { } message) Raft!.Step(message);
        else if (envelope.Request is { } request) HandleRequest(from, request);
        ScheduleReady();
    });

    private void HandleRequest(int client, ClientRequest request)
    {
        var raft = Raft!;
        var command = request.Command;
        if (command.Op == KvOp.Get)
        {
            if (_sim.Options.UnsafeLocalReads)
            {
                Reply(client, request.Attempt, KvAnswer.Ok, new KvResult(true, Kv.Read(command.Key)));
                return;
            }
            _requests.AddRead((client, request.Attempt), command.Key, raft.ReadIndex);
            return;
        }
        var result = raft.Propose(command.Encode());
        if (result.IsOk) _requests.AddWrite(result.Index, result.Term, (client, request.Attempt));
        else Reply(client, request.Attempt, KvAnswer.NotLeader, default, result.LeaderHint);
    }

    private void Reply(int client, ulong attempt, KvAnswer status, KvResult result, ulong leaderHint = 0) =>
        _sim.Network.Send(Id, client, new SimEnvelope { Reply = new ClientReply(attempt, status, result, leaderHint == 0 ? Raft?.Leader ?? 0 : leaderHint) });

    private void ScheduleReady()
    {
        if (_readyScheduled || Raft is null) return;
        _readyScheduled = true;
        var incarnation = _incarnation;
        _sim.Executor.Schedule(0, () =>
        {
            if (incarnation != _incarnation) return;
            _readyScheduled = false;
            WhenRunning(HandleReadies);
        });
    }

    private void HandleReadies()
    {
        var raft = Raft!;
        while (raft.HasReady)
        {
            var ready = raft.TakeReady();
            _sim.Invariants.OnReady(Id, raft, ready);
            foreach (var m in ready.Messages) _sim.Network.Send(Id, (int)m.To, new SimEnvelope { Raft = m });
            if (ready.Snapshot is { } snapshot)
            {
                Kv.Restore(snapshot.Data.Span);
                Kv.SetAppliedIndex(snapshot.Metadata.Index);
            }
            foreach (var entry in ready.CommittedEntries)
            {
                _sim.Invariants.OnApply(Id, raft.Term, entry);
                _requests.OnApplied(entry, Kv.Apply(entry));
            }
            Kv.Commit();
            _requests.OnReady(ready, raft.Term, Kv);
            _disk.Enqueue(ready);
            MaybeSnapshot(ready.Conf);
            ScheduleDisk();
        }
    }

    private void MaybeSnapshot(ConfState conf)
    {
        var every = _sim.Options.SnapshotEveryEntries;
        var applied = Kv.AppliedIndex;
        if (every <= 0 || applied < _snapshotRequestedAt + (ulong)every) return;
        _snapshotRequestedAt = applied;
        _disk.Enqueue(new SnapshotWrite(applied, conf, Kv.Snapshot()));
    }

    /// <summary>One fsync covers every ready saved since the last one; then they are reported persisted.</summary>
    private void FlushPersisted(List<RaftReady> persisted)
    {
        if (persisted.Count == 0) return;
        Storage.Sync();
        foreach (var ready in persisted)
        {
            Raft!.OnPersisted(ready);
            foreach (var m in ready.MessagesAfterPersist) _sim.Network.Send(Id, (int)m.To, new SimEnvelope { Raft = m });
        }
        persisted.Clear();
    }

    private void ScheduleDisk()
    {
        if (_diskTimer is { IsPending: true } || _disk.Count == 0) return;
        var o = _sim.Options;
        var latency = o.DiskLatencyMinMicros + SimRandom.Exponential(_sim.DiskRandom, o.DiskLatencyTailMeanMicros);
        var incarnation = _incarnation;
        _diskTimer = _sim.Executor.Schedule(latency, () =>
        {
            if (incarnation != _incarnation) return;
            WhenRunning(CompleteDiskWrites);
        });
    }

    /// <summary>One fsync completes every write queued when it started (group commit).</summary>
    private void CompleteDiskWrites()
    {
        var batch = _disk.ToArray();
        _disk.Clear();
        var persisted = new List<RaftReady>();
        try
        {
            foreach (var item in batch)
            {
                if (item is SnapshotWrite snap)
                {
                    FlushPersisted(persisted);
                    if (snap.Index > Storage.SnapshotMetadata.Index && snap.Index <= Storage.LastIndex)
                        Storage.CreateSnapshotAndCompact(snap.Index, snap.Conf, snap.Data);
                    continue;
                }
                var ready = (RaftReady)item;
                Storage.Save(ready);
                persisted.Add(ready);
            }
            FlushPersisted(persisted);
        }
        catch (IOException)
        {
            // An fsync failed: the page cache may have dropped the writes. Like the real host, stop the node; it
            // restarts from what is durable.
            FsyncFailures++;
            _sim.FailStop(Id);
            return;
        }
        ScheduleReady();
        ScheduleDisk();
    }
}
