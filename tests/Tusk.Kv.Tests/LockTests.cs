using Tusk.Simulation;
using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>Key locks: PostgreSQL's four modes and their conflicts, upgrades, deadlocks across them, cancel, and the snapshot check above READ COMMITTED.</summary>
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
        a.Lock(B("k"), NoWait, KeyLockMode.Share);
        b.Lock(B("k"), NoWait, KeyLockMode.Share);
        Assert.Throws<KvLockTimeoutException>(() => c.Lock(B("k"), NoWait));
        // An upgrade waits for the other shared holder.
        Assert.Throws<KvLockTimeoutException>(() => a.Lock(B("k"), NoWait));
        b.Commit();
        a.Lock(B("k"), NoWait);
        // Now exclusive: even a shared lock is refused.
        Assert.Throws<KvLockTimeoutException>(() => c.Lock(B("k"), NoWait, KeyLockMode.Share));
        a.Rollback();
        c.Lock(B("k"), NoWait, KeyLockMode.Share);
        c.Lock(B("k"), NoWait);   // the only holder upgrades at once
        c.Commit();
    }

    [Fact]
    public void TheFourModesConflictAsPostgresRowLocksDo()
    {
        var modes = new[] { KeyLockMode.KeyShare, KeyLockMode.Share, KeyLockMode.NoKeyUpdate, KeyLockMode.Update };
        // PostgreSQL's table of conflicting row-level locks (rows: held, columns: requested).
        bool[,] expected =
        {
            { false, false, false, true },
            { false, false, true, true },
            { false, true, true, true },
            { true, true, true, true },
        };
        using var store = Open(new SimFileSystem(1), new ManualClock());
        for (var h = 0; h < 4; h++)
        {
            for (var w = 0; w < 4; w++)
            {
                Assert.Equal(expected[h, w], KeyLockModes.Conflicts(modes[h], modes[w]));
                using var holder = store.Begin(IsolationLevel.ReadCommitted);
                using var wanter = store.Begin(IsolationLevel.ReadCommitted);
                holder.Lock(B("k"), NoWait, modes[h]);
                if (expected[h, w]) Assert.Throws<KvLockTimeoutException>(() => wanter.Lock(B("k"), NoWait, modes[w]));
                else wanter.Lock(B("k"), NoWait, modes[w]);
                holder.Rollback();
                wanter.Rollback();
            }
        }
    }

    [Fact]
    public async Task ACancelledWaitEnds()
    {
        using var store = Open(new SimFileSystem(1), new ManualClock());
        using var a = store.Begin(IsolationLevel.ReadCommitted);
        using var b = store.Begin(IsolationLevel.ReadCommitted);
        a.Lock(B("k"), NoWait);
        using var cancel = new CancellationTokenSource();
        var waiting = Task.Run(() => b.Lock(B("k"), TimeSpan.FromMinutes(1), KeyLockMode.KeyShare, cancel.Token));
        Assert.NotSame(waiting, await Task.WhenAny(waiting, Task.Delay(200)));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        a.Commit();
    }

    [Fact]
    public async Task WaitersQueueSoAStreamOfSharedLocksCannotStarveAnUpdate()
    {
        using var store = Open(new SimFileSystem(1), new ManualClock());
        using var a = store.Begin(IsolationLevel.ReadCommitted);
        using var b = store.Begin(IsolationLevel.ReadCommitted);
        using var c = store.Begin(IsolationLevel.ReadCommitted);
        a.Lock(B("k"), NoWait, KeyLockMode.KeyShare);
        var update = Task.Run(() => b.Lock(B("k"), TimeSpan.FromMinutes(1), KeyLockMode.Update));
        Assert.NotSame(update, await Task.WhenAny(update, Task.Delay(200)));
        // Compatible with the holder, but behind the queued UPDATE: it waits its turn.
        Assert.Throws<KvLockTimeoutException>(() => c.Lock(B("k"), NoWait, KeyLockMode.KeyShare));
        var share = Task.Run(() => c.Lock(B("k"), TimeSpan.FromMinutes(1), KeyLockMode.KeyShare));
        Assert.NotSame(share, await Task.WhenAny(share, Task.Delay(200)));
        a.Commit();
        await update;
        Assert.NotSame(share, await Task.WhenAny(share, Task.Delay(200)));
        b.Commit();
        await share;
        // A holder's upgrade does not queue behind waiters.
        c.Lock(B("k"), NoWait, KeyLockMode.Update);
        c.Commit();
    }

    [Fact]
    public async Task TwoUpgradersDeadlockAndOneIsTold()
    {
        using var store = Open(new SimFileSystem(1), new ManualClock());
        using var a = store.Begin(IsolationLevel.ReadCommitted);
        using var b = store.Begin(IsolationLevel.ReadCommitted);
        a.Lock(B("k"), NoWait, KeyLockMode.Share);
        b.Lock(B("k"), NoWait, KeyLockMode.Share);
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
        var e = Assert.Throws<KvSerializationException>(() => reader.Lock(B("k"), NoWait, KeyLockMode.Share));
        Assert.Equal(KvConflictKind.WriteWrite, e.Kind);
        reader.Lock(B("other"), NoWait);   // an untouched key locks fine
    }
}
