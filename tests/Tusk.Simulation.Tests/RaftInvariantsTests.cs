using Tusk.Core;
using Tusk.Raft;
using Tusk.Simulation.Raft;
using Xunit;

namespace Tusk.Simulation.Tests;

/// <summary>The Raft invariant checks report what they must and accept what Raft allows.</summary>
public sealed class RaftInvariantsTests
{
    /// <summary>A single-voter node elected in its second term, with only the bootstrap and its empty entry (indexes 1-2).</summary>
    private static (RaftNode Node, RaftReady LeaderReady) ElectedLeader(ulong id)
    {
        var storage = new MemoryRaftStorage();
        var node = new RaftNode(new RaftConfig { Id = id, InitialVoters = [id] }, storage, new SeededRandom(1));
        RaftReady? leaderReady = null;
        for (var round = 0; round < 10; round++)
        {
            if (round == 1) node.Campaign();
            while (node.HasReady)
            {
                var ready = node.TakeReady();
                if (ready.Role == RaftRole.Leader) leaderReady ??= ready;
                storage.Append(ready.Entries);
                if (ready.HardState is { } hs) storage.SetHardState(hs);
                node.OnPersisted(ready);
            }
        }
        Assert.Equal(RaftRole.Leader, node.Role);
        return (node, leaderReady!);
    }

    private static RaftEntry Entry(ulong term, ulong index, string data) => new(term, index, EntryType.Normal, System.Text.Encoding.UTF8.GetBytes(data));

    [Fact]
    public void ALeaderWithoutAnEntryCommittedInAnEarlierTermIsReported()
    {
        var (node, ready) = ElectedLeader(1);
        var invariants = new RaftInvariants();
        invariants.OnApply(2, 1, Entry(1, 5, "x"));  // committed no later than term 1; the leader of term 2 lacks index 5
        invariants.OnReady(1, node, ready);
        Assert.Contains(invariants.Violations, v => v.StartsWith("leader completeness", StringComparison.Ordinal));
    }

    [Fact]
    public void ALeaderOfAnOlderTermElectedLateNeedNotHoldNewerCommits()
    {
        var (node, ready) = ElectedLeader(1);
        var invariants = new RaftInvariants();
        invariants.OnApply(2, node.Term + 2, Entry(node.Term + 2, 5, "x"));  // first seen in a later term
        invariants.OnReady(1, node, ready);
        Assert.Empty(invariants.Violations);
    }

    [Fact]
    public void TwoLeadersOfOneTermAndDifferentAppliedEntriesAreReported()
    {
        var (node, ready) = ElectedLeader(1);
        var (other, otherReady) = ElectedLeader(2);
        var invariants = new RaftInvariants();
        invariants.OnReady(1, node, ready);
        invariants.OnReady(2, other, otherReady);
        Assert.Contains(invariants.Violations, v => v.StartsWith("election safety", StringComparison.Ordinal));
        invariants.OnApply(1, 3, Entry(3, 9, "a"));
        invariants.OnApply(2, 3, Entry(3, 9, "b"));
        Assert.Contains(invariants.Violations, v => v.StartsWith("state machine safety", StringComparison.Ordinal));
    }

    [Fact]
    public void LogsThatAgreeOnAnEntryButDifferBeforeItAreReported()
    {
        var a = new MemoryRaftStorage();
        var b = new MemoryRaftStorage();
        a.Append([Entry(1, 1, "x"), Entry(1, 2, "same"), Entry(2, 3, "y")]);
        b.Append([Entry(1, 1, "x"), Entry(1, 2, "same"), Entry(2, 3, "y")]);
        var invariants = new RaftInvariants();
        invariants.CheckLogMatching(1, a, 2, b);
        Assert.Empty(invariants.Violations);
        var c = new MemoryRaftStorage();
        c.Append([Entry(1, 1, "x"), Entry(1, 2, "other"), Entry(2, 3, "y")]);
        invariants.CheckLogMatching(1, a, 3, c);
        Assert.Contains(invariants.Violations, v => v.StartsWith("log matching", StringComparison.Ordinal));
    }
}
