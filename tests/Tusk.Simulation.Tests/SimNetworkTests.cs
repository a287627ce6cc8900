using Tusk.Core;
using Xunit;

namespace Tusk.Simulation.Tests;

public sealed class SimNetworkTests
{
    private sealed record Received(long AtMicros, int From, string Message);

    /// <summary>An executor, a network of string messages, and nodes 1..n that record what they receive.</summary>
    private sealed class Cluster
    {
        public Cluster(int nodes, LinkOptions link, ulong seed = 1, int heldPerLinkMax = SimNetwork<string>.DefaultHeldPerLinkMax)
        {
            Network = new SimNetwork<string>(Executor, new SeededRandom(seed), link) { HeldPerLinkMax = heldPerLinkMax };
            for (int node = 1; node <= nodes; node++)
            {
                var inbox = new List<Received>();
                Inboxes[node] = inbox;
                Network.AddNode(node, (from, message) => inbox.Add(new Received(Executor.NowMicros, from, message)));
            }
        }

        public SimExecutor Executor { get; } = new();

        public SimNetwork<string> Network { get; }

        public SortedDictionary<int, List<Received>> Inboxes { get; } = [];

        public void Settle() => Executor.RunUntil(Executor.NowMicros + 10_000_000);

        /// <summary>Sends "from->to" on every link among all nodes, settles, and returns the links that delivered.</summary>
        public List<string> DeliveringLinks()
        {
            foreach (List<Received> inbox in Inboxes.Values)
            {
                inbox.Clear();
            }
            foreach (int from in Inboxes.Keys)
            {
                foreach (int to in Inboxes.Keys)
                {
                    if (from != to)
                    {
                        Network.Send(from, to, $"{from}->{to}");
                    }
                }
            }
            Settle();
            return [.. Inboxes.Values.SelectMany(inbox => inbox.Select(r => r.Message)).Order(StringComparer.Ordinal)];
        }
    }

    private static List<string> AllLinksExcept(int nodes, params string[] cut)
    {
        var links = new List<string>();
        for (int from = 1; from <= nodes; from++)
        {
            for (int to = 1; to <= nodes; to++)
            {
                if (from != to && !cut.Contains($"{from}->{to}"))
                {
                    links.Add($"{from}->{to}");
                }
            }
        }
        links.Sort(StringComparer.Ordinal);
        return links;
    }

    [Fact]
    public void EveryMessageArrivesNoSoonerThanTheMinimumLatency()
    {
        var cluster = new Cluster(2, new LinkOptions { LatencyMinMicros = 500, LatencyTailMeanMicros = 1_000 });
        var sentAt = new Dictionary<string, long>();
        for (int i = 0; i < 2_000; i++)
        {
            cluster.Executor.RunUntil(i * 10);
            cluster.Network.Send(1, 2, $"m{i}");
            sentAt[$"m{i}"] = cluster.Executor.NowMicros;
        }
        cluster.Settle();

        List<Received> inbox = cluster.Inboxes[2];
        Assert.Equal(2_000, inbox.Count);
        long[] latencies = [.. inbox.Select(r => r.AtMicros - sentAt[r.Message])];
        Assert.All(latencies, latency => Assert.True(latency >= 500, $"latency {latency} below the minimum"));
        double mean = latencies.Average();
        Assert.InRange(mean, 1_300, 1_700); // 500 + exponential tail of mean 1000
        Assert.True(latencies.Max() > 3_000, "the exponential tail should reach several means");
    }

    [Fact]
    public void RandomLatencyReordersButFifoLinksKeepSendOrder()
    {
        foreach (bool fifo in new[] { false, true })
        {
            var cluster = new Cluster(2, new LinkOptions { LatencyMinMicros = 100, LatencyTailMeanMicros = 2_000, Fifo = fifo });
            for (int i = 0; i < 500; i++)
            {
                cluster.Executor.RunUntil(i * 50);
                cluster.Network.Send(1, 2, i.ToString("D4"));
            }
            cluster.Settle();

            string[] received = [.. cluster.Inboxes[2].Select(r => r.Message)];
            Assert.Equal(500, received.Length);
            bool inOrder = received.SequenceEqual(received.Order(StringComparer.Ordinal));
            Assert.Equal(fifo, inOrder);
        }
    }

    [Fact]
    public void FixedLinkDeliversAfterExactlyItsLatency()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed);
        cluster.Network.Send(1, 2, "a");
        cluster.Network.Send(1, 2, "b");
        cluster.Executor.RunUntil(999);
        Assert.Empty(cluster.Inboxes[2]);
        cluster.Executor.RunUntil(1_000);
        Assert.Equal([new Received(1_000, 1, "a"), new Received(1_000, 1, "b")], cluster.Inboxes[2]);
    }

    [Fact]
    public void LossRateIsRoughlyAsConfigured()
    {
        var cluster = new Cluster(2, LinkOptions.Default with { LossProbability = 0.2 });
        for (int i = 0; i < 10_000; i++)
        {
            cluster.Network.Send(1, 2, "x");
        }
        cluster.Settle();

        NetworkStats stats = cluster.Network.Stats;
        Assert.InRange(stats.DroppedLoss, 1_700, 2_300);
        Assert.Equal(stats.DroppedLoss, stats.Dropped);
        Assert.Equal(10_000 - stats.DroppedLoss, stats.Delivered);
        Assert.Equal(stats.Delivered, cluster.Inboxes[2].Count);
        Assert.Equal(0, stats.InFlight);
    }

    [Fact]
    public void DuplicatesHappenOnlyWhenEnabled()
    {
        var plain = new Cluster(2, LinkOptions.Default);
        var duplicating = new Cluster(2, LinkOptions.Default with { DuplicateProbability = 0.3 });
        foreach (Cluster cluster in new[] { plain, duplicating })
        {
            for (int i = 0; i < 5_000; i++)
            {
                cluster.Network.Send(1, 2, $"m{i}");
            }
            cluster.Settle();
        }

        Assert.Equal(0, plain.Network.Stats.Duplicated);
        Assert.Equal(5_000, plain.Inboxes[2].Count);

        NetworkStats stats = duplicating.Network.Stats;
        Assert.InRange(stats.Duplicated, 1_200, 1_800);
        Assert.Equal(5_000 + stats.Duplicated, stats.Delivered);
        int twice = duplicating.Inboxes[2].GroupBy(r => r.Message).Count(g => g.Count() == 2);
        Assert.Equal(stats.Duplicated, twice);
    }

    [Fact]
    public void PartitionCutsExactlyTheLinksBetweenGroupsAndHealRestoresThem()
    {
        var cluster = new Cluster(5, LinkOptions.Default);
        Assert.Equal([1, 2, 3, 4, 5], cluster.Network.Nodes);

        NetworkFault fault = cluster.Network.Partition([1, 2], [3, 4, 5]);
        Assert.Equal("partition [1 2] [3 4 5]", fault.Description);
        Assert.True(cluster.Network.IsLinkCut(1, 3));
        Assert.True(cluster.Network.IsLinkCut(5, 2));
        Assert.False(cluster.Network.IsLinkCut(4, 5));

        string[] cut = ["1->3", "1->4", "1->5", "2->3", "2->4", "2->5", "3->1", "3->2", "4->1", "4->2", "5->1", "5->2"];
        Assert.Equal(AllLinksExcept(5, cut), cluster.DeliveringLinks());
        Assert.Equal(cut.Length, cluster.Network.Stats.DroppedPartition);

        cluster.Network.Heal();
        Assert.Equal(AllLinksExcept(5), cluster.DeliveringLinks());
        fault.Heal(); // after a global heal: harmless
        Assert.Equal(AllLinksExcept(5), cluster.DeliveringLinks());
    }

    [Fact]
    public void APartitionDropsMessagesAlreadyInFlight()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed);
        cluster.Network.Send(1, 2, "in flight");
        cluster.Executor.RunUntil(500);
        NetworkFault fault = cluster.Network.Partition([1], [2]);
        cluster.Executor.RunUntil(2_000);
        Assert.Empty(cluster.Inboxes[2]);
        Assert.Equal(1, cluster.Network.Stats.DroppedPartition);

        fault.Heal();
        Assert.False(fault.IsActive);
        cluster.Network.Send(1, 2, "after heal");
        cluster.Settle();
        Assert.Equal(["after heal"], cluster.Inboxes[2].Select(r => r.Message));
    }

    [Fact]
    public void OverlappingFaultsHealIndependently()
    {
        var cluster = new Cluster(3, LinkOptions.Default);
        NetworkFault first = cluster.Network.Partition([1], [2, 3]);
        NetworkFault second = cluster.Network.Isolate(1);
        NetworkFault third = cluster.Network.BlockOneWay([1], [2]);

        first.Heal();
        Assert.Equal(AllLinksExcept(3, "1->2", "1->3", "2->1", "3->1"), cluster.DeliveringLinks()); // isolation holds
        second.Heal();
        Assert.Equal(AllLinksExcept(3, "1->2"), cluster.DeliveringLinks()); // the one-way block holds
        third.Heal();
        third.Heal();
        Assert.Equal(AllLinksExcept(3), cluster.DeliveringLinks());
    }

    [Fact]
    public void AsymmetricPartitionIsOneWay()
    {
        var cluster = new Cluster(3, LinkOptions.Default);
        NetworkFault fault = cluster.Network.BlockOneWay([1], [2, 3]);
        Assert.Equal("block [1] -> [2 3]", fault.Description);

        Assert.Equal(AllLinksExcept(3, "1->2", "1->3"), cluster.DeliveringLinks());
        Assert.True(cluster.Network.IsLinkCut(1, 2));
        Assert.False(cluster.Network.IsLinkCut(2, 1));
    }

    [Fact]
    public void IsolateCutsEveryLinkOfTheNodeButItsOwn()
    {
        var cluster = new Cluster(3, LinkOptions.Default);
        cluster.Network.Isolate(2);
        Assert.Equal(AllLinksExcept(3, "1->2", "2->1", "2->3", "3->2"), cluster.DeliveringLinks());

        cluster.Network.Send(2, 2, "self");
        cluster.Settle();
        Assert.Equal(["self"], cluster.Inboxes[2].Select(r => r.Message));
    }

    [Fact]
    public void ClogHoldsMessagesUntilItLiftsThenDeliversThemInOrder()
    {
        var cluster = new Cluster(2, LinkOptions.Default with { Fifo = true });
        cluster.Network.Clog(1, 2, untilMicros: 50_000);
        Assert.True(cluster.Network.IsClogged(1, 2));
        Assert.False(cluster.Network.IsClogged(2, 1));
        for (int i = 0; i < 20; i++)
        {
            cluster.Executor.RunUntil(i * 1_000);
            cluster.Network.Send(1, 2, i.ToString("D2"));
            cluster.Network.Send(2, 1, "reverse" + i);
        }

        cluster.Executor.RunUntil(49_999);
        Assert.Empty(cluster.Inboxes[2]);
        Assert.Equal(20, cluster.Inboxes[1].Count); // the other direction flows
        Assert.Equal(20, cluster.Network.Stats.Held);

        cluster.Executor.RunUntil(50_000);
        Assert.Equal(20, cluster.Inboxes[2].Count);
        Assert.All(cluster.Inboxes[2], r => Assert.Equal(50_000, r.AtMicros));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i.ToString("D2")), cluster.Inboxes[2].Select(r => r.Message));
        Assert.False(cluster.Network.IsClogged(1, 2));
        Assert.Equal(0, cluster.Network.Stats.Dropped);
    }

    [Fact]
    public void MessagesArrivingJustAsAClogLiftsStayBehindTheHeldOnes()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed); // 1000 µs, FIFO
        cluster.Network.Clog(1, 2, untilMicros: 1_500);
        cluster.Network.Send(1, 2, "held"); // arrives at 1000, held until 1500
        cluster.Executor.RunUntil(500);
        cluster.Network.Send(1, 2, "on time"); // arrives exactly at 1500
        cluster.Settle();
        Assert.Equal(["held", "on time"], cluster.Inboxes[2].Select(r => r.Message));
    }

    [Fact]
    public void UnclogReleasesEarlyAndAClogUntilUnclogWaitsForIt()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed);
        cluster.Network.Clog(1, 2, long.MaxValue);
        cluster.Network.Send(1, 2, "a");
        cluster.Executor.RunUntil(1_000_000);
        Assert.Empty(cluster.Inboxes[2]);

        cluster.Network.Unclog(1, 2);
        cluster.Executor.RunUntil(1_000_000);
        Assert.Equal([new Received(1_000_000, 1, "a")], cluster.Inboxes[2]);

        cluster.Network.Clog(1, 2, long.MaxValue);
        cluster.Network.Send(1, 2, "b");
        cluster.Network.Heal(); // heal also unclogs
        cluster.Settle();
        Assert.Equal(["a", "b"], cluster.Inboxes[2].Select(r => r.Message));
    }

    [Fact]
    public void AClogHoldsOnlyALimitedNumberOfMessages()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed, heldPerLinkMax: 3);
        cluster.Network.Clog(1, 2, untilMicros: 10_000);
        for (int i = 0; i < 5; i++)
        {
            cluster.Network.Send(1, 2, $"m{i}");
        }
        cluster.Settle();
        Assert.Equal(["m0", "m1", "m2"], cluster.Inboxes[2].Select(r => r.Message));
        Assert.Equal(2, cluster.Network.Stats.DroppedClogOverflow);
    }

    [Fact]
    public void ADownNodeGetsNothingAndMessagesToItsPreviousLifeAreDropped()
    {
        var cluster = new Cluster(3, LinkOptions.Fixed);
        cluster.Network.Send(1, 2, "to old life"); // arrives at 1000
        cluster.Executor.RunUntil(100);
        cluster.Network.SetNodeUp(2, false);
        Assert.False(cluster.Network.IsNodeUp(2));
        Assert.Equal(1, cluster.Network.GetIncarnation(2));
        cluster.Network.Send(1, 2, "while down");
        cluster.Network.Send(2, 3, "from a down node");
        cluster.Executor.RunUntil(200);
        cluster.Network.SetNodeUp(2, true);
        cluster.Network.Send(1, 2, "to new life");
        cluster.Settle();

        Assert.Equal(["to new life"], cluster.Inboxes[2].Select(r => r.Message));
        Assert.Empty(cluster.Inboxes[3]);
        NetworkStats stats = cluster.Network.Stats;
        Assert.Equal(1, stats.DroppedStale);
        Assert.Equal(2, stats.DroppedNodeDown);
        Assert.Equal(0, stats.InFlight);
    }

    [Fact]
    public void MessagesFromACrashedSenderAlreadyOnTheWireStillArrive()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed);
        cluster.Network.Send(1, 2, "last words");
        cluster.Network.SetNodeUp(1, false);
        cluster.Settle();
        Assert.Equal(["last words"], cluster.Inboxes[2].Select(r => r.Message));
    }

    [Fact]
    public void ARestartedNodeCanGetANewHandler()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed);
        var fresh = new List<string>();
        cluster.Network.SetNodeUp(2, false);
        cluster.Network.SetNodeUp(2, true);
        cluster.Network.SetHandler(2, (_, message) => fresh.Add(message));
        cluster.Network.Send(1, 2, "hello");
        cluster.Settle();
        Assert.Equal(["hello"], fresh);
        Assert.Empty(cluster.Inboxes[2]);
    }

    [Fact]
    public void SendingToAnUnknownNodeDropsAndMisuseThrows()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed);
        cluster.Network.Send(1, 9, "nobody");
        Assert.Equal(1, cluster.Network.Stats.DroppedNodeDown);
        Assert.Throws<ArgumentException>(() => cluster.Network.AddNode(1, (_, _) => { }));
        Assert.Throws<ArgumentException>(() => cluster.Network.SetNodeUp(9, false));
        Assert.Throws<ArgumentException>(() => cluster.Network.Partition([1, 2], [2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinkOptions { LossProbability = 1.5 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinkOptions { LatencyMinMicros = -1 });
    }

    [Fact]
    public void PerLinkOptionsOverrideTheDefault()
    {
        var cluster = new Cluster(3, LinkOptions.Fixed);
        cluster.Network.SetLinkOptions(1, 2, LinkOptions.Fixed with { LatencyMinMicros = 7_000 });
        Assert.Equal(7_000, cluster.Network.GetLinkOptions(1, 2).LatencyMinMicros);
        Assert.Equal(1_000, cluster.Network.GetLinkOptions(2, 1).LatencyMinMicros);
        cluster.Network.Send(1, 2, "slow");
        cluster.Network.Send(1, 3, "fast");
        cluster.Settle();
        Assert.Equal(7_000, cluster.Inboxes[2].Single().AtMicros);
        Assert.Equal(1_000, cluster.Inboxes[3].Single().AtMicros);

        cluster.Network.SetLinkOptions(1, 2, null);
        Assert.Same(LinkOptions.Fixed, cluster.Network.GetLinkOptions(1, 2));
    }

    [Fact]
    public void TraceRecordsTheLifeOfEachMessage()
    {
        var cluster = new Cluster(2, LinkOptions.Fixed);
        var lines = new List<string>();
        cluster.Executor.Tracer = lines.Add;
        cluster.Network.Send(1, 2, "hi");
        cluster.Network.SetNodeUp(2, false);
        cluster.Network.SetNodeUp(2, true);
        cluster.Network.Clog(2, 1, 5_000);
        cluster.Network.Send(2, 1, "yo");
        cluster.Settle();
        Assert.Equal(
            [
                "0 net send 1->2 m1 hi",
                "0 net node 2 down incarnation 1",
                "0 net node 2 up incarnation 1",
                "0 net clog 2->1 until 5000",
                "0 net send 2->1 m2 yo",
                "1000 net drop 1->2 m1 Stale",
                "1000 net hold 2->1 m2",
                "5000 net unclog 2->1 holding 1",
                "5000 net deliver 2->1 m2",
            ],
            lines);
    }
}
