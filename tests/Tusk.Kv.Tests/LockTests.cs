using Tusk.Simulation;
using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>Key locks: shared and exclusive modes, upgrades, deadlocks across them, and the snapshot check above READ COMMITTED.</summary>
public sealed class LockTests
{
    private static readonly TimeSpan NoWait = TimeSpan.Zero;

    [Fact]
    public void SharedLocksCoexistAndExcludeExclusiveOnes()
    {
        using var store = Open(new SimFileSystem(1), new ManualClock());
        using var a = store.Begin(IsolationLevel.ReadCommitted);
        using var b = store.Begin(IsolationLevel.ReadCommitted);
        using var c = store.Begin(IsolationLevel.ReadCommitted);
        a.Lock(B("k"), NoWait, exclusive: false);
        b.Lock(B("k"), NoWait, exclusive: false);
        Assert.Throws<KvLockTimeoutException>(() => c.Lock(B("k"), NoWait));
        // An upgrade waits for the other shared holder.
        Assert.Throws<KvLockTimeoutException>(() => a.Lock(B("k"), NoWait));
        b.Commit();
        a.Lock(B("k"), NoWait);
        // Now exclusive: even a shared lock is refused.
        Assert.Throws<KvLockTimeoutException>(() => c.Lock(B("k"), NoWait, exclusive: false));
        a.Rollback();
        c.Lock(B("k"), NoWait, exclusive: false);
        c.Lock(B("k"), NoWait);   // the only holder upgrades at once
        c.Commit();
    }

    [Fact]
    public async Task TwoUpgradersDeadlockAndOneIsTold()
    {
        using var store = Open(new SimFileSystem(1), new ManualClock());
        using var a = store.Begin(IsolationLevel.ReadCommitted);
        using var b = store.Begin(IsolationLevel.ReadCommitted);
        a.Lock(B("k"), NoWait, exclusive: false);
        b.Lock(B("k"), NoWait, exclusive: false);
        var upgrading = Task.Run(() => a.Lock(B("k"), TimeSpan.FromMinutes(1)));
        Assert.NotSame(upgrading, await Task.WhenAny(upgrading, Task.Delay(200)));
        Assert.Throws<KvDeadlockException>(() => b.Lock(B("k"), TimeSpan.FromMinutes(1)));
        b.Rollback();
        await upgrading;
        a.Commit();
    }

    [Fact]
    public void ALockAboveReadCommittedFailsOnAKeyWrittenAfterTheSnapshot()
    {
        using var store = Open(new SimFileSystem(1), new ManualClock());
        using var reader = store.Begin(IsolationLevel.RepeatableRead);
        Assert.Null(reader.Get(B("k")));
        using (var writer = store.Begin(IsolationLevel.ReadCommitted))
        {
            writer.Put(B("k"), B("v"));
            writer.Commit();
        }
        var e = Assert.Throws<KvSerializationException>(() => reader.Lock(B("k"), NoWait, exclusive: false));
        Assert.Equal(KvConflictKind.WriteWrite, e.Kind);
        reader.Lock(B("other"), NoWait);   // an untouched key locks fine
    }
}
