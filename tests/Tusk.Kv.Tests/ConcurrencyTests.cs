using Tusk.Simulation;
using Xunit;
using static Tusk.Kv.Tests.Kv;

namespace Tusk.Kv.Tests;

/// <summary>
/// Real threads through the commit pipeline (validation under the lock, engine writes and fsyncs outside it,
/// publication in timestamp order) with background flushes and compactions: invariants that any lost update,
/// torn commit or inconsistent snapshot would break.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Accounts = 10;
    private const int InitialBalance = 100;

    [Theory]
    [InlineData(IsolationLevel.Serializable)]
    [InlineData(IsolationLevel.RepeatableRead)]
    public async Task TransfersKeepTheTotalAndEverySnapshotSeesIt(IsolationLevel level)
    {
        using var store = Open(new SimFileSystem(5), new ManualClock());
        using (var setup = store.Begin())
        {
            for (int i = 0; i < Accounts; i++)
            {
                setup.Put(B($"acct/{i:D2}"), B(InitialBalance.ToString()));
            }
            setup.Commit();
        }
        const int writers = 4, transfersEach = 150;
        int retries = 0, badSnapshots = 0;
        var writerThreads = Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            var rng = new Tusk.Core.SeededRandom((ulong)w + 100);
            for (int i = 0; i < transfersEach; i++)
            {
                int from = rng.Next(Accounts), to = (from + 1 + rng.Next(Accounts - 1)) % Accounts, amount = 1 + rng.Next(20);
                while (true)
                {
                    using var txn = store.Begin(level);
                    try
                    {
                        int a = int.Parse(S(txn.Get(B($"acct/{from:D2}")))!), b = int.Parse(S(txn.Get(B($"acct/{to:D2}")))!);
                        txn.Put(B($"acct/{from:D2}"), B((a - amount).ToString()));
                        txn.Put(B($"acct/{to:D2}"), B((b + amount).ToString()));
                        txn.Commit();
                        break;
                    }
                    catch (KvSerializationException)
                    {
                        Interlocked.Increment(ref retries);
                    }
                }
            }
        })).ToArray();
        var reader = Task.Run(() =>
        {
            while (!writerThreads.All(t => t.IsCompleted))
            {
                using var txn = store.Begin(level);
                var rows = txn.Scan(B("acct/"), B("acct0"));
                int total = rows.Sum(p => int.Parse(S(p.Value)!));
                if (rows.Count != Accounts || total != Accounts * InitialBalance)
                {
                    Interlocked.Increment(ref badSnapshots);
                }
                txn.Commit();
            }
        });
        await Task.WhenAll([.. writerThreads, reader]);
        Assert.Equal(0, badSnapshots);
        var final = ReadAll(store);
        Assert.Equal(Accounts * InitialBalance, final.Values.Sum(v => int.Parse(S(v)!)));
        Assert.Equal(1 + writers * transfersEach, store.CommitCount);
        Assert.Equal(retries, store.SerializationFailureCount);
    }

    [Theory]
    [InlineData(IsolationLevel.Serializable)]
    [InlineData(IsolationLevel.RepeatableRead)]
    [InlineData(IsolationLevel.ReadCommitted)]
    public void ConcurrentIncrementsLoseNothingExceptAtReadCommitted(IsolationLevel level)
    {
        using var store = Open(new SimFileSystem(6), new ManualClock());
        const int threads = 4, incrementsEach = 100;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            for (int i = 0; i < incrementsEach; i++)
            {
                while (true)
                {
                    using var txn = store.Begin(level);
                    try
                    {
                        int n = txn.Get(B("counter")) is { } v ? int.Parse(S(v)!) : 0;
                        txn.Put(B("counter"), B((n + 1).ToString()));
                        txn.Commit();
                        break;
                    }
                    catch (KvSerializationException)
                    {
                    }
                }
            }
        });
        using var check = store.Begin();
        int final = int.Parse(S(check.Get(B("counter")))!);
        Assert.Equal(threads * incrementsEach, store.CommitCount);
        if (level == IsolationLevel.ReadCommitted)
        {
            Assert.InRange(final, 1, threads * incrementsEach); // lost updates are allowed (and likely)
            Assert.Equal(0, store.SerializationFailureCount);
        }
        else
        {
            Assert.Equal(threads * incrementsEach, final);
        }
    }

    [Fact]
    public void ACommitIsVisibleToEveryTransactionThatBeginsAfterItReturns()
    {
        using var store = Open(new SimFileSystem(8), new ManualClock());
        const int threads = 4, each = 200;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (int i = 0; i < each; i++)
            {
                byte[] key = B($"t{t}/{i:D4}");
                using (var w = store.Begin())
                {
                    w.Put(key, B("x"));
                    w.Commit();
                }
                using var r = store.Begin(IsolationLevel.RepeatableRead);
                Assert.Equal("x", S(r.Get(key))); // Commit returned only once its timestamp was visible
            }
        });
        Assert.Equal(threads * each, ReadAll(store).Count);
    }
}
