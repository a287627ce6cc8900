using Tusk.Simulation;
using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>
/// A commit of more keys than the tracker keeps one by one (a bulk load) is tracked as spans of its sorted keys:
/// validation still catches every real conflict with it, treats keys between its keys as written (conservative),
/// and leaves keys outside its spans alone.
/// </summary>
public sealed class BulkCommitTests
{
    private const int Loaded = 5000;   // above CommitTracker.SummarizeAbove

    private static string Key(int i) => $"load{i * 2:D6}";   // even numbers only: odd ones lie between loaded keys

    [Fact]
    public void ConflictsWithABulkCommitAreFoundThroughItsSpans()
    {
        using var store = Open(new SimFileSystem(1), new ManualClock());
        using var writer = store.Begin(IsolationLevel.RepeatableRead);
        using var betweenWriter = store.Begin(IsolationLevel.RepeatableRead);
        using var outsideWriter = store.Begin(IsolationLevel.RepeatableRead);
        using var otherFamilyWriter = store.Begin(IsolationLevel.RepeatableRead);
        using var scanner = store.Begin(IsolationLevel.Serializable);
        using var outsideScanner = store.Begin(IsolationLevel.Serializable);
        Assert.Empty(scanner.Scan(B("load001000"), B("load001100")));
        Assert.Empty(outsideScanner.Scan(B("zzz"), B("zzzz")));

        using (var load = store.Begin(IsolationLevel.RepeatableRead))
        {
            load.Put(B("catalog/load"), B("a key of another family, far before the rows"));
            for (var i = 0; i < Loaded; i++) load.Put(B(Key(i)), B("v"));
            load.Commit();
        }
        Assert.InRange(store.TrackedKeyCount, CommitTracker.SummaryWeightMin, Loaded / 2);

        writer.Put(B(Key(1234)), B("mine"));
        Assert.Equal(KvConflictKind.WriteWrite, Assert.Throws<KvSerializationException>(writer.Commit).Kind);
        betweenWriter.Put(B("load002001"), B("between two loaded keys"));
        Assert.Equal(KvConflictKind.WriteWrite, Assert.Throws<KvSerializationException>(betweenWriter.Commit).Kind);
        outsideWriter.Put(B("a-key-before-the-load"), B("fine"));
        outsideWriter.Commit();
        // Between the load's two key families: not inside any of its spans.
        otherFamilyWriter.Put(B("index/other"), B("fine"));
        otherFamilyWriter.Commit();

        scanner.Put(B("s"), B("1"));
        Assert.Equal(KvConflictKind.ReadWrite, Assert.Throws<KvSerializationException>(scanner.Commit).Kind);
        outsideScanner.Put(B("t"), B("1"));
        outsideScanner.Commit();

        // Once no snapshot predates it, the load is forgotten.
        using (var later = store.Begin())
        {
            later.Put(B(Key(1)), B("after"));
            later.Commit();
        }
        Assert.Equal(1, store.TrackedKeyCount);
    }
}
