using System.Text;
using Xunit;

namespace Tusk.Raft.Tests;

/// <summary>Many groups on three nodes: traffic between two nodes travels in one batch per tick, heartbeats coalesced.</summary>
public sealed class MultiRaftTests
{
    private const int Groups = 60;

    private sealed class Host
    {
        public required MultiRaft Raft;
        public readonly Dictionary<ulong, MemoryRaftStorage> Storage = [];
        public readonly Dictionary<ulong, List<string>> Applied = [];
    }

    private static Dictionary<ulong, Host> NewCluster()
    {
        var hosts = new Dictionary<ulong, Host>();
        for (ulong id = 1; id <= 3; id++)
        {
            var host = new Host { Raft = new MultiRaft(id) };
            for (ulong g = 1; g <= Groups; g++)
            {
                var storage = new MemoryRaftStorage();
                host.Storage[g] = storage;
                host.Applied[g] = [];
                host.Raft.Add(g, new RaftNode(new RaftConfig { Id = id, Group = g, InitialVoters = [1, 2, 3] }, storage, new FirstRandom()));
            }
            hosts[id] = host;
        }
        return hosts;
    }

    /// <summary>Handles every ready (persisting synchronously) and delivers the batches until quiet; returns the batches sent.</summary>
    private static List<RaftBatch> Stabilize(Dictionary<ulong, Host> hosts)
    {
        var sent = new List<RaftBatch>();
        for (var round = 0; round < 200; round++)
        {
            var outgoing = new List<RaftBatch>();
            var readies = 0;
            foreach (var (id, host) in hosts)
            {
                var messages = new List<RaftMessage>();
                foreach (var (group, ready) in host.Raft.TakeReadies())
                {
                    readies++;
                    messages.AddRange(ready.Messages);
                    var storage = host.Storage[group];
                    if (ready.Snapshot is { } snap) storage.ApplySnapshot(snap);
                    storage.Append(ready.Entries);
                    if (ready.HardState is { } hs) storage.SetHardState(hs);
                    host.Raft.Groups[group].OnPersisted(ready);
                    messages.AddRange(ready.MessagesAfterPersist);
                    foreach (var e in ready.CommittedEntries)
                    {
                        if (e.Type == EntryType.Normal && !e.Data.IsEmpty) host.Applied[group].Add(Encoding.UTF8.GetString(e.Data.Span));
                    }
                }
                outgoing.AddRange(RaftBatch.Build(id, messages));
            }
            if (outgoing.Count == 0 && readies == 0) return sent;
            foreach (var batch in outgoing)
            {
                // Through the wire encoding, as a transport would carry it.
                var decoded = RaftBatch.Decode(batch.Encode());
                Assert.Equal(0, hosts[batch.To].Raft.Step(decoded));
            }
            sent.AddRange(outgoing);
        }
        throw new InvalidOperationException("the cluster did not settle");
    }

    [Fact]
    public void GroupsElectReplicateAndCoalesceHeartbeats()
    {
        var hosts = NewCluster();
        Stabilize(hosts);
        for (ulong g = 1; g <= Groups; g++) hosts[1 + g % 3].Raft.Groups[g].Campaign();
        Stabilize(hosts);
        for (ulong g = 1; g <= Groups; g++)
        {
            var leader = 1 + g % 3;
            Assert.Equal(RaftRole.Leader, hosts[leader].Raft.Groups[g].Role);
            Assert.True(hosts[leader].Raft.Groups[g].Propose(Encoding.UTF8.GetBytes($"g{g}")).IsOk);
        }
        var proposals = Stabilize(hosts);
        foreach (var host in hosts.Values)
        {
            for (ulong g = 1; g <= Groups; g++) Assert.Equal([$"g{g}"], host.Applied[g]);
        }
        // 60 groups' appends between two nodes travel in one batch per round, not 60 messages.
        Assert.True(proposals.Count <= 6 * 4, $"{proposals.Count} batches for {Groups} proposals");

        // One heartbeat tick: each node leads 20 groups and sends each peer one batch with 20 heartbeats.
        foreach (var host in hosts.Values) host.Raft.Tick();
        var heartbeatRound = Stabilize(hosts);
        var fromLeaders = heartbeatRound.Where(b => b.Heartbeats.Count > 0).ToList();
        Assert.Equal(6, fromLeaders.Count);
        Assert.All(fromLeaders, b => Assert.Equal(Groups / 3, b.Heartbeats.Count));
        Assert.All(fromLeaders, b => Assert.Empty(b.Messages));
        var responses = heartbeatRound.Where(b => b.HeartbeatResponses.Count > 0).ToList();
        Assert.Equal(6, responses.Count);
        Assert.All(responses, b => Assert.Equal(Groups / 3, b.HeartbeatResponses.Count));
        // A coalesced heartbeat of 40 bytes instead of a full message.
        Assert.True(fromLeaders[0].Encode().Length < Groups / 3 * 48, $"batch of {fromLeaders[0].Encode().Length} bytes");
    }

    [Fact]
    public void MessagesForUnknownGroupsAreDroppedAndCounted()
    {
        var raft = new MultiRaft(2);
        var batch = new RaftBatch { From = 1, To = 2 };
        batch.Heartbeats.Add(new CoalescedHeartbeat(99, 1, 0, 0, 0));
        Assert.Equal(1, raft.Step(batch));
        Assert.Throws<ArgumentException>(() => raft.Add(5, new RaftNode(new RaftConfig { Id = 2, Group = 6 }, new MemoryRaftStorage(), new FirstRandom())));
        Assert.Throws<FormatException>(() => RaftBatch.Decode(new byte[10]));
    }
}
