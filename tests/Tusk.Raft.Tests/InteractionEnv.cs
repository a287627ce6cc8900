using System.Text;
using Tusk.Core;
using Tusk.Testing;

namespace Tusk.Raft.Tests;

/// <summary>
/// A small deterministic harness built only from <see cref="RaftNode"/>'s public API, driven by the golden files in
/// testdata/interaction (the idea of etcd's interaction tests). Messages wait in one queue until delivered; a ready's
/// persistence can be held back to show pipelining. Commands:
/// <list type="bullet">
/// <item><c>add-nodes N [prevote=false] [checkquorum=false] [lease] [join] [chunk=B]</c>: N nodes; initial voters unless <c>join</c>.</item>
/// <item><c>campaign ID</c>, <c>propose ID data</c>, <c>conf-change ID add-voter=X|add-learner=X|remove=X</c>,
/// <c>transfer-leadership ID to=X</c>, <c>read-index ID ctx=N</c>.</item>
/// <item><c>tick ID [n=K]</c>, <c>tick-heartbeat ID</c>, <c>tick-election ID</c>.</item>
/// <item><c>process-ready ID [hold]</c> (hold: persistence stays pending), <c>persist ID</c> (completes the oldest held one).</item>
/// <item><c>deliver-msgs ID [drop]</c>, <c>stabilize [IDs]</c>, <c>status ID</c>, <c>raft-log ID</c>, <c>applied ID</c>.</item>
/// <item><c>crash ID</c>, <c>restart ID</c>, <c>isolate ID</c>, <c>heal</c>, <c>compact ID index=N</c>.</item>
/// </list>
/// </summary>
internal sealed class InteractionEnv
{
    private sealed class Node
    {
        public required RaftNode Raft;
        public required MemoryRaftStorage Storage;
        public required RaftConfig Config;
        public readonly Queue<RaftReady> Held = new();
        public readonly List<string> Applied = [];
        public ulong AppliedIndex;
    }

    private readonly SortedDictionary<ulong, Node> _nodes = [];
    private readonly SortedDictionary<ulong, (MemoryRaftStorage Storage, RaftConfig Config, List<string> Applied, ulong AppliedIndex)> _crashed = [];
    private readonly List<RaftMessage> _inFlight = [];
    private readonly SortedSet<ulong> _isolated = [];

    public string Handle(TestCase c)
    {
        var output = new StringBuilder();
        switch (c.Command)
        {
            case "add-nodes": AddNodes(c, output); break;
            case "campaign": NodeFor(c).Raft.Campaign(); break;
            case "propose":
                output.AppendLine(Describe(NodeFor(c).Raft.Propose(Encoding.UTF8.GetBytes(c.Args[1].Key))));
                break;
            case "conf-change": output.AppendLine(Describe(ConfChangeFor(c))); break;
            case "transfer-leadership":
                output.AppendLine(Describe(NodeFor(c).Raft.TransferLeadership((ulong)c.GetInt("to"))));
                break;
            case "read-index":
                output.AppendLine(NodeFor(c).Raft.ReadIndex((ulong)c.GetInt("ctx")) ? "ok" : "no leader");
                break;
            case "tick":
                for (var i = 0; i < c.GetInt("n", 1); i++) NodeFor(c).Raft.Tick();
                break;
            case "tick-heartbeat":
                for (var i = 0; i < NodeFor(c).Config.HeartbeatTicks; i++) NodeFor(c).Raft.Tick();
                break;
            case "tick-election":
                for (var i = 0; i < NodeFor(c).Config.ElectionTicks; i++) NodeFor(c).Raft.Tick();
                break;
            case "process-ready": ProcessReady(IdOf(c), hold: c.HasArg("hold"), output); break;
            case "persist": Persist(IdOf(c), output); break;
            case "deliver-msgs": Deliver(IdOf(c), drop: c.HasArg("drop"), output); break;
            case "stabilize": Stabilize(c, output); break;
            case "status": output.AppendLine(StatusOf(NodeFor(c).Raft)); break;
            case "raft-log": RaftLog(NodeFor(c), output); break;
            case "applied":
                var n = NodeFor(c);
                output.AppendLine($"applied={n.AppliedIndex} [{string.Join(" ", n.Applied)}]");
                break;
            case "crash": Crash(IdOf(c)); break;
            case "restart": Restart(IdOf(c)); break;
            case "isolate": _isolated.Add(IdOf(c)); break;
            case "heal": _isolated.Clear(); break;
            case "compact":
                var node = NodeFor(c);
                var index = (ulong)c.GetInt("index");
                node.Storage.CreateSnapshotAndCompact(index, node.Raft.Conf, Encoding.UTF8.GetBytes(SnapshotText(node, index)));
                output.AppendLine($"snapshot at {index}, first index now {node.Storage.FirstIndex}");
                break;
            default: throw c.Error("unknown command");
        }
        return output.ToString();
    }

    // The state machine's snapshot: "index:command" items up to the snapshot index.
    private static string SnapshotText(Node node, ulong index) =>
        string.Join(" ", node.Applied.Where(a => ulong.Parse(a[..a.IndexOf(':')]) <= index));

    private void AddNodes(TestCase c, StringBuilder output)
    {
        var count = int.Parse(c.Args[0].Key);
        var first = (ulong)_nodes.Count + (ulong)_crashed.Count + 1;
        var ids = Enumerable.Range(0, count).Select(i => first + (ulong)i).ToArray();
        foreach (var id in ids)
        {
            var config = new RaftConfig
            {
                Id = id,
                InitialVoters = c.HasArg("join") ? [] : ids,
                ElectionTicks = 10,
                HeartbeatTicks = 1,
                PreVote = c.GetArg("prevote", "true") == "true",
                CheckQuorum = c.GetArg("checkquorum", "true") == "true",
                ReadOnly = c.HasArg("lease") ? ReadOnlyOption.LeaseBased : ReadOnlyOption.Safe,
                SnapshotChunkBytes = c.GetInt("chunk", 1 << 20),
                MaxInflightMessages = c.GetInt("inflight", 256),
                LearnerCatchUpEntries = 2,
            };
            var storage = new MemoryRaftStorage();
            _nodes[id] = new Node { Raft = new RaftNode(config, storage, new FirstRandom()), Storage = storage, Config = config };
            output.AppendLine($"node {id}: {_nodes[id].Raft.Conf}");
        }
    }

    private ProposeResult ConfChangeFor(TestCase c)
    {
        var node = NodeFor(c);
        if (c.HasArg("add-voter")) return node.Raft.ProposeConfChange(ConfChange.AddVoter((ulong)c.GetInt("add-voter")));
        if (c.HasArg("add-learner")) return node.Raft.ProposeConfChange(ConfChange.AddLearner((ulong)c.GetInt("add-learner")));
        return node.Raft.ProposeConfChange(ConfChange.Remove((ulong)c.GetInt("remove")));
    }

    private static string Describe(ProposeResult r) => r.Status switch
    {
        ProposeStatus.Ok => $"ok index={r.Index} term={r.Term}",
        ProposeStatus.NotLeader => $"not leader (leader {r.LeaderHint})",
        _ => $"{r.Status}: {r.Reason}",
    };

    private bool ProcessReady(ulong id, bool hold, StringBuilder output)
    {
        var node = _nodes[id];
        if (!node.Raft.HasReady) return false;
        var ready = node.Raft.TakeReady();
        output.AppendLine($"> {id} handling Ready");
        Indent(output, ready.ToString(), "  ");
        _inFlight.AddRange(ready.Messages);
        node.Held.Enqueue(ready);
        if (!hold)
        {
            while (node.Held.Count > 0) CompletePersist(node, output, quiet: true);
        }
        foreach (var e in ready.CommittedEntries) Apply(node, e);
        return true;
    }

    private void Persist(ulong id, StringBuilder output)
    {
        var node = _nodes[id];
        if (node.Held.Count == 0)
        {
            output.AppendLine("nothing held");
            return;
        }
        CompletePersist(node, output, quiet: false);
    }

    private void CompletePersist(Node node, StringBuilder output, bool quiet)
    {
        var ready = node.Held.Dequeue();
        if (ready.Snapshot is { } snapshot)
        {
            node.Storage.ApplySnapshot(snapshot);
            node.Applied.Clear();
            var text = Encoding.UTF8.GetString(snapshot.Data.Span);
            if (text.Length > 0) node.Applied.AddRange(text.Split(' '));
            node.AppliedIndex = snapshot.Metadata.Index;
        }
        node.Storage.Append(ready.Entries);
        if (ready.HardState is { } hs) node.Storage.SetHardState(hs);
        node.Raft.OnPersisted(ready);
        _inFlight.AddRange(ready.MessagesAfterPersist);
        if (!quiet)
        {
            output.AppendLine($"> {node.Raft.Id} persisted ready");
            foreach (var m in ready.MessagesAfterPersist) output.AppendLine("  " + m);
        }
    }

    private static void Apply(Node node, RaftEntry e)
    {
        if (e.Index <= node.AppliedIndex) return;
        node.AppliedIndex = e.Index;
        if (e.Type == EntryType.Normal && !e.Data.IsEmpty) node.Applied.Add($"{e.Index}:{Encoding.UTF8.GetString(e.Data.Span)}");
    }

    private bool Deliver(ulong id, bool drop, StringBuilder output)
    {
        var mine = _inFlight.Where(m => m.To == id).ToList();
        if (mine.Count == 0) return false;
        _inFlight.RemoveAll(m => m.To == id);
        foreach (var m in mine)
        {
            var cut = _isolated.Contains(m.From) || _isolated.Contains(m.To) || !_nodes.ContainsKey(id);
            output.AppendLine((drop || cut ? "  dropped: " : "  ") + m);
            if (!drop && !cut) _nodes[id].Raft.Step(m);
        }
        return true;
    }

    private void Stabilize(TestCase c, StringBuilder output)
    {
        var ids = c.Args.Count > 0 ? c.Args.Select(a => ulong.Parse(a.Key)).ToList() : _nodes.Keys.ToList();
        for (var round = 0; round < 1000; round++)
        {
            var progress = false;
            foreach (var id in ids)
            {
                if (_nodes.ContainsKey(id)) progress |= ProcessReady(id, hold: false, output);
            }
            foreach (var id in ids)
            {
                if (!_inFlight.Any(m => m.To == id)) continue;
                output.AppendLine($"> {id} receiving messages");
                progress |= Deliver(id, drop: false, output);
            }
            if (!progress) return;
        }
        throw c.Error("stabilize did not converge in 1000 rounds");
    }

    private void Crash(ulong id)
    {
        var node = _nodes[id];
        _nodes.Remove(id);
        _crashed[id] = (node.Storage, node.Config, node.Applied, node.AppliedIndex);
        _inFlight.RemoveAll(m => m.To == id);
    }

    private void Restart(ulong id)
    {
        var (storage, config, applied, appliedIndex) = _crashed[id];
        _crashed.Remove(id);
        // The state machine is in memory: it restarts from the snapshot and re-applies the log.
        applied.Clear();
        var snapText = Encoding.UTF8.GetString(storage.GetSnapshot().Data.Span);
        if (snapText.Length > 0) applied.AddRange(snapText.Split(' '));
        _nodes[id] = new Node
        {
            Raft = new RaftNode(config, storage, new FirstRandom()), Storage = storage, Config = config, AppliedIndex = storage.SnapshotMetadata.Index,
        };
        _nodes[id].Applied.AddRange(applied);
        _ = appliedIndex;
    }

    private static string StatusOf(RaftNode raft)
    {
        var s = raft.Status();
        var sb = new StringBuilder($"{s.Id} {s.Role} term={s.Term} vote={s.Vote} leader={s.Leader} commit={s.Commit} applying={s.Applying} last={s.LastIndex} persisted={s.PersistedIndex} {s.Conf}");
        foreach (var (id, p) in s.Progress) sb.Append($"\n  {id}: {p.State}");
        return sb.ToString();
    }

    private static void RaftLog(Node node, StringBuilder output)
    {
        var entries = new List<RaftEntry>();
        if (node.Storage.LastIndex >= node.Storage.FirstIndex)
            node.Storage.GetEntries(node.Storage.FirstIndex, node.Storage.LastIndex + 1, long.MaxValue, entries);
        if (node.Storage.SnapshotMetadata.Index > 0) output.AppendLine($"snapshot {node.Storage.SnapshotMetadata}");
        if (entries.Count == 0) output.AppendLine("log is empty");
        foreach (var e in entries) output.AppendLine(e.ToString());
    }

    private Node NodeFor(TestCase c) => _nodes.TryGetValue(IdOf(c), out var n) ? n : throw c.Error($"no live node {IdOf(c)}");

    private static ulong IdOf(TestCase c) => ulong.Parse(c.Args[0].Key);

    private static void Indent(StringBuilder output, string text, string prefix)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0) output.Append(prefix).AppendLine(line);
        }
    }
}

/// <summary>An <see cref="IRandom"/> that always picks the smallest value: election timeouts are exactly ElectionTicks.</summary>
internal sealed class FirstRandom : IRandom
{
    public ulong NextUInt64() => 0;

    public int Next(int maxExclusive) => 0;

    public double NextDouble() => 0;

    public void NextBytes(Span<byte> buffer) => buffer.Clear();
}
