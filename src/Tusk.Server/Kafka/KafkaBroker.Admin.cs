using Tusk.Protocols.Kafka;
using Tusk.Streams.Topics;

namespace Tusk.Server.Kafka;

public sealed partial class KafkaBroker
{
    private readonly ProducerIdAllocator _producerIds;

    private void HandleMetadata(ReadOnlyMemory<byte> body, short v, KafkaWriter response)
    {
        var r = new KafkaReader(body.Span);
        var request = MetadataRequest.Read(ref r, v);
        var result = new MetadataResponse
        {
            ClusterId = _options.ClusterId,
            ControllerId = _options.NodeId,
            Brokers = [new MetadataResponseBroker { NodeId = _options.NodeId, Host = _options.AdvertisedHost, Port = _options.AdvertisedPort }],
        };
        IEnumerable<string> names = request.Topics ?? _topics.Topics.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        foreach (string name in names)
        {
            var t = _topics.Get(name);
            if (t == null && request.Topics != null && request.AllowAutoTopicCreation && _options.AutoCreateTopics)
            {
                var (error, message) = _topics.Create(name, _options.DefaultPartitions, []);
                if (error is not (ErrorCode.None or ErrorCode.TopicAlreadyExists))
                {
                    result.Topics.Add(new MetadataResponseTopic { Name = name, ErrorCode = error });
                    _log($"kafka: auto-creating topic '{name}' failed: {message}");
                    continue;
                }
                t = _topics.Get(name);
            }
            if (t == null)
            {
                result.Topics.Add(new MetadataResponseTopic
                {
                    Name = name,
                    ErrorCode = TopicManager.ValidateName(name) == null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidTopicException,
                });
                continue;
            }
            var topic = new MetadataResponseTopic { Name = t.Name };
            for (int p = 0; p < t.Partitions.Count; p++)
            {
                topic.Partitions.Add(new MetadataResponsePartition
                {
                    PartitionIndex = p,
                    LeaderId = _options.NodeId,
                    LeaderEpoch = 0,
                    ReplicaNodes = [_options.NodeId],
                    IsrNodes = [_options.NodeId],
                });
            }
            result.Topics.Add(topic);
        }
        result.Write(response, v);
    }

    private void HandleListOffsets(ReadOnlyMemory<byte> body, short v, KafkaWriter response)
    {
        var r = new KafkaReader(body.Span);
        var request = ListOffsetsRequest.Read(ref r, v);
        var result = new ListOffsetsResponse();
        foreach (var topic in request.Topics)
        {
            var answerTopic = new ListOffsetsResponseTopic { Name = topic.Name };
            result.Topics.Add(answerTopic);
            foreach (var p in topic.Partitions)
            {
                var answer = new ListOffsetsResponsePartition { PartitionIndex = p.PartitionIndex, LeaderEpoch = 0 };
                answerTopic.Partitions.Add(answer);
                var t = _topics.Get(topic.Name);
                var log = _topics.GetPartition(topic.Name, p.PartitionIndex);
                if (t == null || log == null)
                {
                    answer.ErrorCode = ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                try
                {
                    switch (p.Timestamp)
                    {
                        case -1: // latest: the high watermark (durable records only, for topics that sync every batch)
                            answer.Offset = HighWatermark(t, log);
                            break;
                        case -2: // earliest
                            answer.Offset = log.LogStartOffset;
                            break;
                        default:
                            long? offset = log.OffsetForTimestamp(p.Timestamp);
                            answer.Offset = offset ?? -1;
                            answer.Timestamp = offset == null ? -1 : p.Timestamp;
                            break;
                    }
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    answer.ErrorCode = StorageError(e, $"list offsets of {topic.Name}-{p.PartitionIndex}");
                }
            }
        }
        result.Write(response, v);
    }

    private void HandleCreateTopics(ReadOnlyMemory<byte> body, short v, KafkaWriter response)
    {
        var r = new KafkaReader(body.Span);
        var request = CreateTopicsRequest.Read(ref r, v);
        var result = new CreateTopicsResponse();
        foreach (var topic in request.Topics)
        {
            var answer = new CreateTopicsResponseTopic { Name = topic.Name };
            result.Topics.Add(answer);
            if (topic.ReplicationFactor is not (-1 or 1))
            {
                answer.ErrorCode = ErrorCode.InvalidReplicationFactor;
                answer.ErrorMessage = $"replication factor {topic.ReplicationFactor} is impossible on a single-node broker (use 1 or -1)";
                continue;
            }
            if (topic.Assignments.Count > 0)
            {
                answer.ErrorCode = ErrorCode.InvalidRequest;
                answer.ErrorMessage = "manual replica assignments are not supported on a single-node broker";
                continue;
            }
            int partitions = topic.NumPartitions == -1 ? _options.DefaultPartitions : topic.NumPartitions;
            var configs = topic.Configs.Select(c => new KeyValuePair<string, string?>(c.Name, c.Value));
            (answer.ErrorCode, answer.ErrorMessage) = _topics.Create(topic.Name, partitions, configs, request.ValidateOnly);
        }
        result.Write(response, v);
    }

    private void HandleDeleteTopics(ReadOnlyMemory<byte> body, short v, KafkaWriter response)
    {
        var r = new KafkaReader(body.Span);
        var request = DeleteTopicsRequest.Read(ref r, v);
        var result = new DeleteTopicsResponse();
        foreach (string name in request.TopicNames)
        {
            var (error, _) = _topics.Delete(name);
            result.Responses.Add(new DeleteTopicsResult(name, error));
            if (error == ErrorCode.None)
            {
                ForgetCommittedOffsets(name);
            }
        }
        result.Write(response, v);
    }

    private void HandleCreatePartitions(ReadOnlyMemory<byte> body, short v, KafkaWriter response)
    {
        var r = new KafkaReader(body.Span);
        var request = CreatePartitionsRequest.Read(ref r, v);
        var result = new CreatePartitionsResponse();
        foreach (var topic in request.Topics)
        {
            var (error, message) = _topics.AddPartitions(topic.Name, topic.Count, request.ValidateOnly);
            result.Results.Add(new CreatePartitionsResult(topic.Name, error, message));
        }
        result.Write(response, v);
    }

    private void HandleDescribeConfigs(ReadOnlyMemory<byte> body, short v, KafkaWriter response)
    {
        var r = new KafkaReader(body.Span);
        var request = DescribeConfigsRequest.Read(ref r, v);
        var result = new DescribeConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var answer = new DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            result.Results.Add(answer);
            if (resource.ResourceType == ConfigResourceType.Topic)
            {
                var t = _topics.Get(resource.ResourceName);
                if (t == null)
                {
                    answer.ErrorCode = ErrorCode.UnknownTopicOrPartition;
                    answer.ErrorMessage = $"topic '{resource.ResourceName}' does not exist";
                    continue;
                }
                foreach (var (name, (_, doc)) in TopicConfig.Known)
                {
                    if (resource.ConfigurationKeys != null && !resource.ConfigurationKeys.Contains(name))
                    {
                        continue;
                    }
                    bool overridden = t.Config.Overrides.ContainsKey(name);
                    answer.Configs.Add(new DescribeConfigsEntry
                    {
                        Name = name,
                        Value = t.Config.ValueOf(name),
                        IsDefault = !overridden,
                        ConfigSource = overridden ? ConfigSource.DynamicTopicConfig : ConfigSource.DefaultConfig,
                        Documentation = request.IncludeDocumentation ? doc : null,
                    });
                }
            }
            else if (resource.ResourceType != ConfigResourceType.Broker)
            {
                answer.ErrorCode = ErrorCode.InvalidRequest;
                answer.ErrorMessage = $"config resource type {resource.ResourceType} is not supported";
            }
        }
        result.Write(response, v);
    }

    private void HandleInitProducerId(ReadOnlyMemory<byte> body, short v, KafkaWriter response)
    {
        var r = new KafkaReader(body.Span);
        var request = InitProducerIdRequest.Read(ref r, v);
        var result = new InitProducerIdResponse();
        if (request.TransactionalId != null)
        {
            // Transactions are out of scope: refuse clearly rather than pretend.
            result.ErrorCode = ErrorCode.TransactionalIdAuthorizationFailed;
        }
        else
        {
            try
            {
                result.ProducerId = _producerIds.Next();
                result.ProducerEpoch = 0;
            }
            catch (IOException e)
            {
                _log($"kafka: could not allocate a producer id: {e.Message}");
                result.ErrorCode = ErrorCode.UnknownServerError;
            }
        }
        result.Write(response, v);
    }
}
