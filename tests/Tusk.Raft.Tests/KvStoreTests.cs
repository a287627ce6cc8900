using Tusk.Raft.Kv;
using Tusk.Simulation;
using Xunit;

namespace Tusk.Raft.Tests;

/// <summary>The state machine on the LSM engine behaves like the in-memory one, and keeps a consistent prefix across crashes.</summary>
public sealed class KvStoreTests
{
    private static RaftEntry Put(ulong index, ulong session, ulong seq, string key, string value) =>
        new(1, index, EntryType.Normal, new KvCommand(KvOp.Put, session, seq, key, value).Encode());

    private static RaftEntry Cas(ulong index, ulong session, ulong seq, string key, string? expected, string value) =>
        new(1, index, EntryType.Normal, new KvCommand(KvOp.Cas, session, seq, key, value, expected).Encode());

    [Fact]
    public void LsmAndMemoryStoresAgreeEntryByEntry()
    {
        var fs = new SimFileSystem(3);
        using var lsm = LsmKvStore.Open(fs, "/state");
        var a = new KvStateMachine(lsm);
        var b = new KvStateMachine();
        var rng = new Tusk.Core.SeededRandom(5);
        for (ulong i = 1; i <= 400; i++)
        {
            var key = "k" + rng.Next(10);
            var session = (ulong)(1 + rng.Next(4));
            var entry = rng.Next(3) switch
            {
                0 => Put(i, session, i, key, "v" + i),
                1 => Cas(i, session, i, key, rng.Next(2) == 0 ? null : "v" + (i - (ulong)rng.Next(5)), "w" + i),
                _ => new RaftEntry(1, i, EntryType.Normal, new KvCommand(KvOp.Delete, session, i, key).Encode()),
            };
            Assert.Equal(b.Apply(entry), a.Apply(entry));
            if (i % 7 == 0) { a.Commit(); b.Commit(); }
        }
        a.Commit();
        Assert.Equal(b.Snapshot(), a.Snapshot());
        Assert.Equal(b.Count, a.Count);
    }

    [Fact]
    public void AfterACrashTheEngineHoldsACommittedPrefixAndReplaysTheRest()
    {
        var fs = new SimFileSystem(9);
        var store = LsmKvStore.Open(fs, "/state");
        var sm = new KvStateMachine(store);
        for (ulong i = 1; i <= 50; i++)
        {
            sm.Apply(Put(i, 1, i, "k" + (i % 5), "v" + i));
            if (i % 10 == 0) sm.Commit();
        }
        store.Dispose();
        fs.Crash();  // nothing was fsynced: the engine keeps whatever prefix of its batches reached the disk
        using var reopened = LsmKvStore.Open(fs, "/state");
        var recovered = new KvStateMachine(reopened);
        Assert.True(recovered.AppliedIndex % 10 == 0, $"applied {recovered.AppliedIndex} is not at a batch boundary");
        // Raft hands out the entries after the applied index again; earlier ones are skipped.
        for (ulong i = 1; i <= 50; i++) recovered.Apply(Put(i, 1, i, "k" + (i % 5), "v" + i));
        recovered.Commit();
        var reference = new KvStateMachine();
        for (ulong i = 1; i <= 50; i++) reference.Apply(Put(i, 1, i, "k" + (i % 5), "v" + i));
        Assert.Equal(reference.Snapshot(), recovered.Snapshot());
    }

    [Fact]
    public void ASnapshotRestoresIntoTheEngineAndSurvivesReopen()
    {
        var source = new KvStateMachine();
        source.Apply(Put(1, 7, 1, "a", "x"));
        source.Apply(Cas(2, 8, 1, "a", "x", "y"));
        var fs = new SimFileSystem(4);
        using (var store = LsmKvStore.Open(fs, "/state"))
        {
            var target = new KvStateMachine(store);
            target.Apply(Put(1, 9, 1, "old", "gone"));
            target.Commit();
            target.Restore(source.Snapshot());
            Assert.Null(target.Read("old"));
        }
        using var reopened = LsmKvStore.Open(fs, "/state");
        var sm = new KvStateMachine(reopened);
        Assert.Equal(2UL, sm.AppliedIndex);
        Assert.Equal("y", sm.Read("a"));
        Assert.Equal(1, sm.Count);
        // The session of client 8 came along: its retried cas is answered, not applied again.
        Assert.Equal(new KvResult(true, "x"), sm.Apply(Cas(3, 8, 1, "a", "x", "z")));
        Assert.Equal("y", sm.Read("a"));
    }
}
