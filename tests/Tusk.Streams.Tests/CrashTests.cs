using Tusk.Core;
using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// Seeded crash tests on the fault-injecting file system. Each cycle opens the log, appends (single and multi-batch,
/// plain and idempotent), syncs and reads at random with small segments (so rolls and their deferred index writes
/// happen often), until an injected I/O failure kills it after a random number of operations; the simulated machine
/// then loses power, dropping or tearing every unsynced write. After reopening: every offset below the last
/// acknowledged <see cref="PartitionLog.SyncedOffset"/> is there with its original record, the log is a dense prefix
/// of what was attempted, and the idempotent producer's state agrees with the recovered batches. A failure names the
/// seed; the run is a pure function of it.
/// </summary>
public sealed class CrashTests
{
    /// <summary>Seeds 1..80 by default; TUSK_CRASH_SEEDS=N sweeps 1..N.</summary>
    public static IEnumerable<object[]> Seeds()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("TUSK_CRASH_SEEDS"), out int n) && n > 0 ? n : 80;
        return Enumerable.Range(1, count).Select(i => new object[] { (ulong)i });
    }

    private const long ProducerId = 42;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ACrashKeepsEverySyncedBatchAndADensePrefix(ulong seed)
    {
        var rng = new SeededRandom(seed);
        var fs = new SimFileSystem(seed);
        var options = LogTestHelpers.Small(segmentBytes: 700 + rng.Next(1500), indexIntervalBytes: rng.Next(400))
            with { RetentionBytes = rng.Next(2) == 0 ? -1 : 3000 + rng.Next(5000) };
        var attempted = new Dictionary<long, string>(); // offset -> value of every record an append was attempted with
        var sequenceOffsets = new List<long>();         // the producer's batch seq -> its base offset
        long durable = 0;                               // every offset below was acknowledged as synced
        for (int cycle = 0; cycle < 5; cycle++)
        {
            string where = $"seed {seed}, cycle {cycle}";
            using var log = PartitionLog.Open(fs, LogTestHelpers.Dir, options);
            long start = log.LogStartOffset;
            long end = log.LogEndOffset;
            Assert.True(end >= durable, $"{where}: log ends at {end} but offsets below {durable} were synced");
            var records = log.ReadAllRecords();
            Assert.True(records.Count == end - start, $"{where}: {records.Count} records between {start} and {end}");
            for (int i = 0; i < records.Count; i++)
            {
                long offset = start + i;
                Assert.True(records[i].Offset == offset, $"{where}: record {i} has offset {records[i].Offset}");
                Assert.True(attempted[offset] == records[i].Value, $"{where}: offset {offset} holds {records[i].Value}, was {attempted[offset]}");
            }
            foreach (long lost in attempted.Keys.Where(o => o >= end).ToList())
            {
                attempted.Remove(lost);
            }
            sequenceOffsets.RemoveAll(o => o >= end);
            CheckProducerState(log, sequenceOffsets, where);
            durable = Math.Max(durable, log.SyncedOffset);

            fs.FailAfter(rng.Next(1, 120), SimOperationKind.Mutations);
            try
            {
                for (int op = 0; op < 300; op++)
                {
                    RandomOperation(log, rng, cycle, op, attempted, sequenceOffsets, ref durable, where);
                }
            }
            catch (IOException e) when (e is not CorruptionException)
            {
                // the injected failure: this process is done
            }
            fs.Crash(rng.Next(3) switch { 0 => CrashOptions.DropUnsynced, 1 => CrashOptions.TearWrites, _ => CrashOptions.TearAndCorruptWrites });
            fs.ClearFaults();
        }
    }

    private static void RandomOperation(PartitionLog log, SeededRandom rng, int cycle, int op, Dictionary<long, string> attempted,
        List<long> sequenceOffsets, ref long durable, string where)
    {
        int dice = rng.Next(10);
        if (dice < 5)
        {
            int batchCount = 1 + rng.Next(3);
            var bytes = new List<byte>();
            var values = new List<string>();
            for (int b = 0; b < batchCount; b++)
            {
                var batch = Enumerable.Range(0, 1 + rng.Next(4)).Select(r => TestRecord.Of($"k{rng.Next(20)}", $"c{cycle}.{op}.{b}.{r}", 1000 + op)).ToList();
                bytes.AddRange(BatchBuilder.Build(batch));
                values.AddRange(batch.Select(r => r.ValueText!));
            }
            long next = log.LogEndOffset;
            for (int i = 0; i < values.Count; i++)
            {
                attempted[next + i] = values[i]; // recorded before the append: a crash may keep any prefix of it
            }
            var result = log.AppendOk(bytes.ToArray(), 1000 + op);
            Assert.True(result.BaseOffset == next, $"{where}: append got {result.BaseOffset}, expected {next}");
        }
        else if (dice < 7)
        {
            int seq = sequenceOffsets.Count;
            long next = log.LogEndOffset;
            var batch = BatchBuilder.Build([TestRecord.Of("p", $"c{cycle}.{op}.p{seq}", 1000 + op)], ProducerId, 0, seq);
            attempted[next] = $"c{cycle}.{op}.p{seq}";
            sequenceOffsets.Add(next);
            var result = log.AppendOk(batch, 1000 + op);
            Assert.True(result.BaseOffset == next && !result.IsDuplicate, $"{where}: producer batch {seq} got {result.BaseOffset}");
        }
        else if (dice < 9)
        {
            log.Sync();
            durable = Math.Max(durable, log.SyncedOffset);
            if (rng.Next(3) == 0)
            {
                log.ApplyRetention(1000 + op); // deletes and fsyncs the directory while closes may be pending
            }
        }
        else if (log.LogEndOffset > log.LogStartOffset)
        {
            long offset = log.LogStartOffset + rng.Next((int)(log.LogEndOffset - log.LogStartOffset));
            var buffer = new byte[1 << 16];
            var result = log.Read(offset, rng.Next(2000), buffer);
            var records = BatchDecoder.Records(buffer.AsSpan(0, result.BytesWritten));
            Assert.True(records.Any(r => r.Offset == offset), $"{where}: read at {offset} missed it");
            Assert.True(records.All(r => attempted[r.Offset] == r.Value), $"{where}: read at {offset} returned foreign records");
        }
    }

    /// <summary>The newest surviving producer batch is a duplicate of itself; the next sequence is accepted later.</summary>
    private static void CheckProducerState(PartitionLog log, List<long> sequenceOffsets, string where)
    {
        if (sequenceOffsets.Count == 0)
        {
            return;
        }
        int seq = sequenceOffsets.Count - 1;
        var retry = log.Append(BatchBuilder.Build([TestRecord.Of("p", "retry", 0)], ProducerId, 0, seq), 0);
        Assert.True(retry.Error == ErrorCode.None && retry.IsDuplicate, $"{where}: retry of seq {seq} was {retry.Error}, duplicate {retry.IsDuplicate}");
        Assert.True(retry.BaseOffset == sequenceOffsets[seq], $"{where}: retry of seq {seq} answered {retry.BaseOffset}, was {sequenceOffsets[seq]}");
        var gap = log.Append(BatchBuilder.Build([TestRecord.Of("p", "gap", 0)], ProducerId, 0, seq + 2), 0);
        Assert.True(gap.Error == ErrorCode.OutOfOrderSequenceNumber, $"{where}: a sequence gap was {gap.Error}");
    }
}
