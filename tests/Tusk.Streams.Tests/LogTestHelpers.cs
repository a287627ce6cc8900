using Tusk.Protocols.Kafka;
using Tusk.Streams.Log;
using Xunit;

namespace Tusk.Streams.Tests;

/// <summary>Shared setup for partition log tests.</summary>
internal static class LogTestHelpers
{
    public const string Dir = "/data/topic-0";

    /// <summary>Small segments and a dense index, so a few batches cover rolls and index lookups.</summary>
    public static PartitionLogOptions Small(int segmentBytes = 1024, int indexIntervalBytes = 128) => new()
    {
        SegmentBytes = segmentBytes,
        IndexIntervalBytes = indexIntervalBytes,
        RetentionMs = -1,
        RetentionBytes = -1,
    };

    /// <summary>Appends and asserts success.</summary>
    public static AppendResult AppendOk(this PartitionLog log, byte[] batch, long nowMs = 1000)
    {
        var result = log.Append(batch, nowMs);
        Assert.True(result.Error == ErrorCode.None, $"append failed: {result.Error} {result.ErrorMessage}");
        return result;
    }

    /// <summary>Every batch from <paramref name="from"/> (default: the log start) to the log end, by repeated reads.</summary>
    public static byte[] ReadAll(this PartitionLog log, long? from = null, int maxBytes = 1 << 20)
    {
        var output = new List<byte>();
        var buffer = new byte[Math.Max(maxBytes, 1 << 20)];
        long offset = from ?? log.LogStartOffset;
        while (offset < log.LogEndOffset)
        {
            var result = log.Read(offset, maxBytes, buffer);
            Assert.Equal(ErrorCode.None, result.Error);
            if (result.BytesWritten == 0)
            {
                Assert.Equal(0, result.RequiredBytes);
                break;
            }
            output.AddRange(buffer.AsSpan(0, result.BytesWritten).ToArray());
            Assert.True(result.NextOffset > offset, "reads make progress");
            offset = result.NextOffset;
        }
        return output.ToArray();
    }

    /// <summary>Every record in the log, decoded.</summary>
    public static List<StoredRecord> ReadAllRecords(this PartitionLog log, long? from = null) => BatchDecoder.Records(log.ReadAll(from));
}
