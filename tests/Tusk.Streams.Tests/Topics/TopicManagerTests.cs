using Tusk.Protocols.Kafka;
using Tusk.Simulation;
using Tusk.Streams.Log;
using Tusk.Streams.Topics;
using Xunit;

namespace Tusk.Streams.Tests.Topics;

/// <summary>Topics on the simulated disk: persistence across reopen, validation, deletion, failures.</summary>
public sealed class TopicManagerTests
{
    private static TopicManager Open(SimFileSystem fs) =>
        new(fs, "/data/topics", config => new PartitionLogOptions
        {
            SegmentBytes = (int)Math.Min(config.SegmentBytes, int.MaxValue),
            CleanupPolicy = config.CleanupPolicy == "compact" ? CleanupPolicy.Compact : CleanupPolicy.Delete,
        });

    private static KeyValuePair<string, string?> Config(string name, string value) => new(name, value);

    [Fact]
    public void TopicsAndTheirConfigsSurviveAReopen()
    {
        var fs = new SimFileSystem(1);
        using (var topics = Open(fs))
        {
            Assert.Equal(ErrorCode.None, topics.Create("orders", 3, [Config("cleanup.policy", "compact"), Config("retention.ms", "1000")]).Error);
            Assert.Equal(ErrorCode.None, topics.AddPartitions("orders", 5).Error);
            Assert.Equal(ErrorCode.None, topics.Create("logs", 1, []).Error);
        }
        fs.Crash(); // everything acknowledged was made durable
        using var reopened = Open(fs);
        var orders = reopened.Get("orders")!;
        Assert.Equal(5, orders.Partitions.Count);
        Assert.Equal("compact", orders.Config.CleanupPolicy);
        Assert.Equal(1000, orders.Config.RetentionMs);
        Assert.Equal(["logs", "orders"], reopened.Topics.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("", 1, ErrorCode.InvalidTopicException)]
    [InlineData("bad/name", 1, ErrorCode.InvalidTopicException)]
    [InlineData("ok", 0, ErrorCode.InvalidPartitions)]
    [InlineData("ok", TopicManager.PartitionsPerTopicMax + 1, ErrorCode.InvalidPartitions)]
    public void BadNamesAndPartitionCountsAreRefused(string name, int partitions, ErrorCode expected)
    {
        using var topics = Open(new SimFileSystem(2));
        var (error, message) = topics.Create(name, partitions, []);
        Assert.Equal(expected, error);
        Assert.False(string.IsNullOrEmpty(message));
        Assert.Empty(topics.Topics);
    }

    [Fact]
    public void UnknownConfigsAndExistingTopicsAreRefusedWithAMessage()
    {
        using var topics = Open(new SimFileSystem(3));
        var (error, message) = topics.Create("t", 1, [Config("retention.weeks", "2")]);
        Assert.Equal(ErrorCode.InvalidConfig, error);
        Assert.Contains("retention.weeks", message);
        Assert.Equal(ErrorCode.None, topics.Create("t", 1, []).Error);
        Assert.Equal(ErrorCode.TopicAlreadyExists, topics.Create("t", 1, []).Error);
        Assert.Equal(ErrorCode.InvalidPartitions, topics.AddPartitions("t", 1).Error);
    }

    [Fact]
    public void DeletedTopicsAreGoneWithTheirFilesAfterAReopen()
    {
        var fs = new SimFileSystem(4);
        using (var topics = Open(fs))
        {
            Assert.Equal(ErrorCode.None, topics.Create("temp", 2, []).Error);
            Assert.Equal(ErrorCode.None, topics.Delete("temp").Error);
            Assert.Equal(ErrorCode.UnknownTopicOrPartition, topics.Delete("temp").Error);
        }
        using var reopened = Open(fs);
        Assert.Null(reopened.Get("temp"));
        Assert.Empty(fs.ListDirectories("/data/topics"));
    }

    [Fact]
    public void AFailedMetadataWriteLeavesNoTopicAndTheNameReusable()
    {
        var fs = new SimFileSystem(5);
        using var topics = Open(fs);
        fs.FaultPredicate = op => op.Path.Contains("topics.meta", StringComparison.Ordinal);
        var (error, message) = topics.Create("flaky", 2, []);
        Assert.Equal(ErrorCode.KafkaStorageError, error);
        Assert.Contains("flaky", message);
        Assert.Null(topics.Get("flaky"));
        fs.FaultPredicate = null;
        Assert.Equal(ErrorCode.None, topics.Create("flaky", 2, []).Error);
        Assert.Equal(2, topics.Get("flaky")!.Partitions.Count);
    }
}
