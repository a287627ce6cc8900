using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tusk.Protocols.Kafka;
using Tusk.Streams.Log;

namespace Tusk.Server.Kafka;

public sealed partial class KafkaBroker
{
    private async ValueTask<bool> HandleProduceAsync(Memory<byte> body, short v, KafkaWriter response)
    {
        var r = new KafkaReader(body.Span);
        var request = ProduceRequest.Read(ref r, v, body);
        var result = new ProduceResponse();
        var durable = new List<(PartitionLog Log, long EndOffset, ProduceResponsePartition Answer)>();
        bool appended = false;
        long now = NowMs;
        foreach (var topic in request.Topics)
        {
            var topicAnswer = new ProduceResponseTopic { Name = topic.Name };
            result.Topics.Add(topicAnswer);
            var t = _topics.Get(topic.Name);
            foreach (var p in topic.Partitions)
            {
                var answer = new ProduceResponsePartition { Index = p.Index };
                topicAnswer.Partitions.Add(answer);
                if (request.TransactionalId != null)
                {
                    answer.ErrorCode = ErrorCode.TransactionalIdAuthorizationFailed;
                    answer.ErrorMessage = "transactions are not supported by this broker";
                    continue;
                }
                if (request.Acks is not (0 or 1 or -1))
                {
                    answer.ErrorCode = ErrorCode.InvalidRequiredAcks;
                    answer.ErrorMessage = $"acks must be 0, 1 or -1, got {request.Acks}";
                    continue;
                }
                if (t == null || p.Index < 0 || p.Index >= t.Partitions.Count)
                {
                    answer.ErrorCode = ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                if (p.RecordsIsNull || p.Records.Length == 0)
                {
                    answer.ErrorCode = ErrorCode.InvalidRecord;
                    answer.ErrorMessage = "no records";
                    continue;
                }
                var log = t.Partitions[p.Index];
                AppendResult appendResult;
                try
                {
                    // The records are a slice of this request's own buffer (see IKafkaRequestHandler): stamped in place.
                    appendResult = log.AppendInPlace(MemoryMarshal.AsMemory(p.Records).Span, now);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    answer.ErrorCode = StorageError(e, $"append to {topic.Name}-{p.Index}");
                    answer.ErrorMessage = "the broker could not write the batch: " + e.Message;
                    continue;
                }
                answer.ErrorCode = appendResult.Error;
                answer.ErrorMessage = appendResult.ErrorMessage;
                answer.BaseOffset = appendResult.BaseOffset;
                answer.LogAppendTimeMs = appendResult.LogAppendTimeMs;
                answer.LogStartOffset = appendResult.LogStartOffset;
                if (appendResult.Error == ErrorCode.None)
                {
                    appended |= !appendResult.IsDuplicate;
                    if (request.Acks == -1 && t.Config.SyncEveryBatch)
                    {
                        durable.Add((log, appendResult.EndOffset, answer));
                    }
                    else if (t.Config.SyncEveryBatch || CountTowardsFlush(log, t.Config.FlushMessages))
                    {
                        // Not waited for (acks 0/1, or flush.messages reached): consumers see the records once synced.
                        _ = SyncInBackgroundAsync(log, appendResult.EndOffset, $"{topic.Name}-{p.Index}");
                    }
                }
            }
        }
        if (appended)
        {
            SignalAppended(); // topics that do not sync every batch show records at once
        }
        // Wait for every partition's fsync at once: a request naming several partitions pays for one round of
        // fsyncs, not one after another.
        var waits = new Task[durable.Count];
        for (int i = 0; i < durable.Count; i++)
        {
            waits[i] = SyncerFor(durable[i].Log).WaitDurableAsync(durable[i].EndOffset).AsTask();
        }
        try
        {
            await Task.WhenAll(waits).ConfigureAwait(false);
        }
        catch (Exception) when (waits.Any(w => w.IsFaulted))
        {
            // Handled per partition below.
        }
        for (int i = 0; i < durable.Count; i++)
        {
            if (waits[i].Exception?.GetBaseException() is { } e && e is IOException or ObjectDisposedException)
            {
                // Not durable: the client must not take it as acknowledged.
                durable[i].Answer.ErrorCode = StorageError(e, $"fsync of {durable[i].Log.DirectoryPath}");
                durable[i].Answer.ErrorMessage = "the batch was written but could not be made durable: " + e.Message;
            }
            else if (waits[i].IsFaulted)
            {
                throw waits[i].Exception!.GetBaseException();
            }
        }
        if (durable.Count > 0)
        {
            SignalAppended(); // the high watermark moved
        }
        if (request.Acks == 0)
        {
            return false;
        }
        result.Write(response, v);
        return true;
    }

    private async Task SyncInBackgroundAsync(PartitionLog log, long endOffset, string where)
    {
        try
        {
            await SyncerFor(log).WaitDurableAsync(endOffset).ConfigureAwait(false);
            SignalAppended();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            StorageError(e, $"fsync of {where}");
        }
    }

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<PartitionLog, StrongBox<long>> _unsyncedBatches = new();

    /// <summary>Counts a batch for flush.messages = N (N > 1); true when N batches have accumulated since the last flush.</summary>
    private bool CountTowardsFlush(PartitionLog log, long flushMessages)
    {
        var count = _unsyncedBatches.GetValue(log, _ => new StrongBox<long>());
        if (Interlocked.Increment(ref count.Value) < flushMessages)
        {
            return false;
        }
        Interlocked.Exchange(ref count.Value, 0);
        return true;
    }
}
