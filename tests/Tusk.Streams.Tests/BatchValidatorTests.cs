using Tusk.Core;
using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>
/// The append path checks records with a fast walk that builds nothing and falls back to the detailed
/// <see cref="RecordReader"/> walk only to describe a failure. The two must accept exactly the same batches:
/// thousands of damaged batches (bytes changed, inserted or removed in the records, the CRC resealed so the
/// damage reaches the record checks) are judged by both.
/// </summary>
public sealed class BatchValidatorTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void TheFastRecordWalkAcceptsExactlyWhatTheDetailedOneAccepts(int seed, bool compacted)
    {
        var rng = new SeededRandom((ulong)seed);
        var options = LogTestHelpers.Small(segmentBytes: 1 << 20) with { CleanupPolicy = compacted ? CleanupPolicy.Compact : CleanupPolicy.Delete };
        int accepted = 0, refused = 0;
        for (int round = 0; round < 4000; round++)
        {
            var records = Enumerable.Range(0, 1 + rng.Next(6)).Select(i => new TestRecord(
                rng.Next(4) == 0 ? null : RandomBytes(rng, rng.Next(3) == 0 ? 200 : 8),
                rng.Next(5) == 0 ? null : RandomBytes(rng, rng.Next(3) == 0 ? 300 : 20),
                1000 + i)).ToList();
            byte[] batch = BatchBuilder.Build(records);
            batch = Damage(rng, batch);
            BatchBuilder.Reseal(batch);
            // Only the records section changed (batchLength follows it, the CRC is resealed): the header checks pass
            // and the verdict is the record walk's. A refusal the detailed walk disagrees with throws (an invariant).
            var fast = BatchValidator.Validate(batch, options, out _, out string? message);
            var detailed = BatchValidator.WalkRecords(batch, BatchHeader.Read(batch), compacted, out _);
            Assert.True((fast == ErrorCode.None) == (detailed == ErrorCode.None), $"round {round}: fast walk {fast} ({message}), detailed walk {detailed}");
            if (fast == ErrorCode.None)
            {
                accepted++;
            }
            else
            {
                refused++;
            }
        }
        Assert.True(accepted > 200 && refused > 200, $"the damage should leave a mix of good and bad batches: {accepted} accepted, {refused} refused");
    }

    private static byte[] RandomBytes(SeededRandom rng, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)rng.Next(256);
        }
        return bytes;
    }

    /// <summary>Changes the records section (after the 61-byte header) and fixes batchLength to the new size.</summary>
    private static byte[] Damage(SeededRandom rng, byte[] batch)
    {
        var bytes = batch.ToList();
        int kind = rng.Next(6);
        int recordsLength = bytes.Count - BatchHeader.HeaderBytes;
        int at = BatchHeader.HeaderBytes + rng.Next(Math.Max(1, recordsLength));
        switch (kind)
        {
            case 0: // left intact
                break;
            case 1 when at < bytes.Count: // one byte changed
                bytes[at] = (byte)rng.Next(256);
                break;
            case 2 when at < bytes.Count: // a length-like byte
                bytes[at] = (byte)(rng.Next(2) == 0 ? 0x01 : 0x80 | rng.Next(128));
                break;
            case 3: // a byte inserted
                bytes.Insert(at, (byte)rng.Next(256));
                break;
            case 4 when at < bytes.Count: // a byte removed
                bytes.RemoveAt(at);
                break;
            case 5 when bytes[BatchHeader.HeaderBytes] < 0x7e: // the first record one byte longer than its fields
                int length = bytes[BatchHeader.HeaderBytes] >> 1; // a one-byte zigzag varint
                bytes[BatchHeader.HeaderBytes] = (byte)((length + 1) << 1);
                bytes.Insert(BatchHeader.HeaderBytes + 1 + length, 0);
                break;
        }
        byte[] result = [.. bytes];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(BatchHeader.BatchLengthAt), result.Length - BatchHeader.LogOverheadBytes);
        return result;
    }
}
