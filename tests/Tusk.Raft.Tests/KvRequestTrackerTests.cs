using Tusk.Raft.Kv;
using Xunit;

namespace Tusk.Raft.Tests;

public sealed class KvRequestTrackerTests
{
    private static RaftEntry Put(ulong term, ulong index, string key, string value) =>
        new(term, index, EntryType.Normal, new KvCommand(KvOp.Put, 1, index, key, value).Encode());

    private static RaftReady Ready(RaftRole role, params ReadState[] reads) => new() { Role = role, ReadStates = reads };

    [Fact]
    public void WritesAreAnsweredWhenTheirIndexIsAppliedOrCovered()
    {
        var answers = new List<(string Who, KvAnswer Answer)>();
        var tracker = new KvRequestTracker<string>((who, answer, _) => answers.Add((who, answer)));
        var state = new KvStateMachine();
        tracker.AddWrite(3, 2, "mine");
        tracker.AddWrite(4, 2, "replaced");
        tracker.AddWrite(9, 2, "snapshotted");
        tracker.OnApplied(Put(2, 3, "a", "x"), state.Apply(Put(2, 3, "a", "x")));
        tracker.OnApplied(Put(3, 4, "a", "y"), state.Apply(Put(3, 4, "a", "y")));  // another leader's entry took index 4
        Assert.Equal([("mine", KvAnswer.Ok), ("replaced", KvAnswer.Retry)], answers);
        Assert.Equal(1, tracker.Pending);
        tracker.OnReady(new RaftReady { Snapshot = new RaftSnapshot(new SnapshotMetadata(10, 3, ConfState.Empty), state.Snapshot()) }, 3, state);
        Assert.Equal(("snapshotted", KvAnswer.Retry), answers[^1]);
        Assert.Equal(0, tracker.Pending);
    }

    [Fact]
    public void ReadsWaitForTheirIndexAndDieWithTheirTerm()
    {
        var answers = new List<(string Who, KvAnswer Answer, string? Value)>();
        var tracker = new KvRequestTracker<string>((who, answer, result) => answers.Add((who, answer, result.Value)));
        var state = new KvStateMachine();
        var asked = new List<ulong>();
        tracker.OnReady(Ready(RaftRole.Leader), 5, state);
        tracker.AddRead("r1", "a", id => { asked.Add(id); return true; });
        tracker.AddRead("refused", "a", _ => false);
        Assert.Equal(("refused", KvAnswer.NotLeader, (string?)null), answers[0]);
        tracker.OnReady(Ready(RaftRole.Leader, new ReadState(1, asked[0])), 5, state);
        Assert.Single(answers);  // confirmed, but the state machine is not at index 1 yet
        state.Apply(Put(5, 1, "a", "v"));
        tracker.OnReady(Ready(RaftRole.Leader), 5, state);
        Assert.Equal(("r1", KvAnswer.Ok, "v"), answers[1]);
        tracker.AddRead("lost", "a", _ => true);
        tracker.OnReady(Ready(RaftRole.Follower), 6, state);  // a new term: the core dropped the unconfirmed read
        Assert.Equal(("lost", KvAnswer.NotLeader, (string?)null), answers[2]);
        Assert.Equal(0, tracker.Pending);
    }
}
