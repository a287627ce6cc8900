// lint: allow Task.Delay — the host's long-poll timeout for Fetch (max_wait_ms); cores never wait on time.
using System.Buffers;
using Tusk.Protocols.Kafka;

namespace Tusk.Server.Kafka;

public sealed partial class KafkaBroker
{
    /// <summary>One partition's part of a fetch answer: metadata plus batches in a rented buffer.</summary>
    private struct FetchPart
    {
        public FetchResponsePartition Answer;
        public byte[]? Buffer;
        public int Length;
    }

    private async ValueTask HandleFetchAsync(ReadOnlyMemory<byte> body, short v, KafkaWriter response, CancellationToken cancellationToken)
    {
        var r = new KafkaReader(body.Span);
        var request = FetchRequest.Read(ref r, v);
        int budget = request.MaxBytes <= 0 ? _options.FetchBytesMax : Math.Min(request.MaxBytes, _options.FetchBytesMax);
        int waitMs = Math.Clamp(request.MaxWaitMs, 0, _options.FetchWaitMsMax);
        long deadline = MonotonicMs + waitMs;
        Task? timeout = null; // one timer per request, created only if the request has to wait
        while (true)
        {
            // Take the signal before reading, so an append between the read and the wait is not missed.
            Task appended = Volatile.Read(ref _appended).Task;
            var parts = ReadParts(request, budget, out int total, out bool anyError);
            try
            {
                if (total >= request.MinBytes || anyError || MonotonicMs >= deadline || cancellationToken.IsCancellationRequested)
                {
                    WriteFetchResponse(request, parts, response, v);
                    return;
                }
            }
            finally
            {
                ReleaseParts(parts);
            }
            timeout ??= Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, deadline - MonotonicMs)), cancellationToken);
            await Task.WhenAny(appended, timeout).ConfigureAwait(false);
        }
    }

    private FetchPart[][] ReadParts(FetchRequest request, int budget, out int total, out bool anyError)
    {
        total = 0;
        anyError = false;
        var parts = new FetchPart[request.Topics.Count][];
        for (int ti = 0; ti < request.Topics.Count; ti++)
        {
            var topic = request.Topics[ti];
            var t = _topics.Get(topic.Topic);
            parts[ti] = new FetchPart[topic.Partitions.Count];
            for (int pi = 0; pi < topic.Partitions.Count; pi++)
            {
                var p = topic.Partitions[pi];
                var answer = new FetchResponsePartition { PartitionIndex = p.Partition };
                parts[ti][pi].Answer = answer;
                if (t == null || p.Partition < 0 || p.Partition >= t.Partitions.Count)
                {
                    answer.ErrorCode = ErrorCode.UnknownTopicOrPartition;
                    anyError = true;
                    continue;
                }
                var log = t.Partitions[p.Partition];
                try
                {
                    long highWatermark = HighWatermark(t, log);
                    answer.HighWatermark = highWatermark;
                    answer.LastStableOffset = highWatermark;
                    answer.LogStartOffset = log.LogStartOffset;
                    int limit = Math.Min(p.PartitionMaxBytes, budget - total);
                    if ((limit <= 0 && total > 0) || p.FetchOffset == highWatermark)
                    {
                        continue; // no room left, or caught up: nothing to read, no buffer
                    }
                    limit = Math.Max(limit, 1);
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit, 1 << 20));
                    parts[ti][pi].Buffer = buffer;
                    var read = log.Read(p.FetchOffset, Math.Min(limit, buffer.Length), buffer, maxOffset: highWatermark);
                    if (read.Error == ErrorCode.None && read.BytesWritten == 0 && read.RequiredBytes > 0 && (total == 0 || read.RequiredBytes <= limit))
                    {
                        // Kafka's progress rule: the first batch of the response is returned whole even if larger than the limits.
                        ArrayPool<byte>.Shared.Return(buffer);
                        parts[ti][pi].Buffer = null;
                        buffer = ArrayPool<byte>.Shared.Rent(read.RequiredBytes);
                        parts[ti][pi].Buffer = buffer;
                        read = log.Read(p.FetchOffset, read.RequiredBytes, buffer, maxOffset: highWatermark);
                    }
                    answer.ErrorCode = read.Error;
                    answer.LogStartOffset = read.LogStartOffset;
                    if (read.Error != ErrorCode.None)
                    {
                        anyError = true;
                    }
                    parts[ti][pi].Length = read.BytesWritten;
                    total += read.BytesWritten;
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    answer.ErrorCode = StorageError(e, $"fetch from {topic.Topic}-{p.Partition}");
                    parts[ti][pi].Length = 0;
                    anyError = true;
                }
            }
        }
        return parts;
    }

    private static void WriteFetchResponse(FetchRequest request, FetchPart[][] parts, KafkaWriter w, short v)
    {
        FetchResponse.WriteHeader(w, v, 0, ErrorCode.None, 0, request.Topics.Count);
        for (int ti = 0; ti < request.Topics.Count; ti++)
        {
            FetchResponse.WriteTopicHeader(w, v, request.Topics[ti].Topic, parts[ti].Length);
            foreach (var part in parts[ti])
            {
                var records = part.Buffer == null ? ReadOnlySpan<byte>.Empty : part.Buffer.AsSpan(0, part.Length);
                FetchResponse.WritePartition(w, v, part.Answer, records, recordsIsNull: false);
            }
        }
    }

    private static void ReleaseParts(FetchPart[][] parts)
    {
        foreach (var topic in parts)
        {
            for (int i = 0; i < topic.Length; i++)
            {
                if (topic[i].Buffer != null)
                {
                    ArrayPool<byte>.Shared.Return(topic[i].Buffer!);
                    topic[i].Buffer = null;
                }
            }
        }
    }
}
