using Tusk.Protocols.Kafka;
using Tusk.Streams.Log;

namespace Tusk.Server.Kafka;

public sealed partial class KafkaBroker
{
    private async ValueTask<bool> HandleProduceAsync(ReadOnlyMemory<byte> body, short v, KafkaWriter response)
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
                    appendResult = log.Append(p.Records.Span, now);
                }
                catch (IOException e)
                {
                    _log($"kafka: append to {topic.Name}-{p.Index} failed: {e.Message}");
                    answer.ErrorCode = ErrorCode.UnknownServerError;
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
                }
            }
        }
        if (appended)
        {
            SignalAppended();
        }
        foreach (var (log, end, answer) in durable)
        {
            try
            {
                await SyncerFor(log).WaitDurableAsync(end).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // Not durable: the client must not take it as acknowledged.
                _log($"kafka: fsync of {log.DirectoryPath} failed: {e.Message}");
                answer.ErrorCode = ErrorCode.UnknownServerError;
                answer.ErrorMessage = "the batch was written but could not be made durable: " + e.Message;
            }
        }
        if (request.Acks == 0)
        {
            return false;
        }
        result.Write(response, v);
        return true;
    }
}
