using System.Data;
using Npgsql;
using Xunit;

namespace Tusk.Server.Tests.Postgres;

/// <summary>
/// The retry loop PostgreSQL asks of SERIALIZABLE clients: concurrent read-modify-write transactions on one row, each
/// retried on SQLSTATE 40001 until it commits. No increment may be lost and none counted twice.
/// </summary>
public sealed class SerializationRetryTests
{
    private const int Workers = 3;
    private const int IncrementsEach = 10;

    [Fact]
    public async Task ConcurrentSerializableIncrementsRetryOnSerializationFailure()
    {
        await using var server = PgTestServer.Start();
        await using (var setup = await server.OpenAsync())
        await using (var create = new NpgsqlCommand("CREATE TABLE counter (id int PRIMARY KEY, value bigint NOT NULL); INSERT INTO counter VALUES (1, 0)", setup))
        {
            await create.ExecuteNonQueryAsync();
        }

        // Every worker's first attempt reads the counter, then waits until all have read before writing: all but one
        // of them must fail, so the run retries whatever the timing.
        var reads = 0;
        var allRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var retries = 0;
        var failuresSeenAt = new List<string>();

        async Task Worker()
        {
            await using var connection = await server.OpenAsync();
            for (var i = 0; i < IncrementsEach; i++)
            {
                for (var attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 200, "an increment kept failing with 40001: " + string.Join("; ", failuresSeenAt.TakeLast(5)));
                    await using var tx = await connection.BeginTransactionAsync(IsolationLevel.Serializable);
                    var stage = "read";
                    try
                    {
                        await using var read = new NpgsqlCommand("SELECT value FROM counter WHERE id = 1", connection, tx);
                        var value = (long)(await read.ExecuteScalarAsync())!;
                        if (i == 0 && attempt == 0)
                        {
                            if (Interlocked.Increment(ref reads) == Workers) allRead.SetResult();
                            await allRead.Task.WaitAsync(TimeSpan.FromSeconds(20));
                        }
                        stage = "update";
                        await using var write = new NpgsqlCommand("UPDATE counter SET value = @value WHERE id = 1", connection, tx);
                        write.Parameters.AddWithValue("value", value + 1);
                        Assert.Equal(1, await write.ExecuteNonQueryAsync());
                        stage = "commit";
                        await tx.CommitAsync();
                        break;
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.SerializationFailure)
                    {
                        Interlocked.Increment(ref retries);
                        lock (failuresSeenAt) failuresSeenAt.Add(stage + ": " + e.Detail);
                    }
                    // Back off before retrying, as a client should: a snapshot taken while another commit is still
                    // being made durable conflicts with it again.
                    await Task.Delay(Random.Shared.Next(1, 5 + 5 * Math.Min(attempt, 10)));
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(Worker)));

        Assert.True(retries >= Workers - 1, $"expected at least {Workers - 1} retries, saw {retries}");
        await using var check = await server.OpenAsync();
        await using var total = new NpgsqlCommand("SELECT value FROM counter WHERE id = 1", check);
        Assert.Equal((long)Workers * IncrementsEach, await total.ExecuteScalarAsync());
    }
}
