using System.Text.Json;
using Tusk.Cli.Tests;
using Xunit;

namespace Tusk.Server.Tests;

/// <summary>
/// The broker driven by kcat (librdkafka 2.x) from Debian: metadata, produce, consume from offsets and from
/// timestamps, and a consumer group. Each test runs its own broker process on a free port.
/// </summary>
public sealed class KcatTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly BrokerProcess _broker;

    public KcatTests()
    {
        _broker = BrokerProcess.Start(_dir.Sub("data"));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }

    private (int ExitCode, string Stdout, string Stderr) Kcat(string args, string? stdin = null) => Client.Kcat(_broker.Bootstrap, args, stdin);

    private void Produce(string topic, string lines, int partition = 0)
    {
        var r = Kcat($"-P -t {topic} -p {partition} -K :", lines);
        Assert.True(r.ExitCode == 0, $"kcat -P failed: {r.Stderr}\nbroker:\n{_broker.Output}");
    }

    private string Consume(string topic, string offset, int partition = 0)
    {
        var r = Kcat($"-C -t {topic} -p {partition} -o {offset} -e -q -f %k=%s@%o\\n");
        Assert.True(r.ExitCode == 0, $"kcat -C failed: {r.Stderr}\nbroker:\n{_broker.Output}");
        return r.Stdout;
    }

    [Fact]
    public void ProducesAndConsumesFromTheBeginningAndFromAnOffset()
    {
        Produce("orders", "k1:apple\nk2:banana\nk3:cherry\n");
        Assert.Equal("k1=apple@0\nk2=banana@1\nk3=cherry@2\n", Consume("orders", "beginning"));
        Assert.Equal("k3=cherry@2\n", Consume("orders", "2"));
        Produce("orders", "k4:date\n");
        Assert.Equal("k3=cherry@2\nk4=date@3\n", Consume("orders", "-2"));
    }

    [Fact]
    public void MetadataListsTheBrokerAndTopics()
    {
        Produce("inventory", "a:1\n");
        var r = Kcat("-L -J");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var brokers = doc.RootElement.GetProperty("brokers");
        Assert.Equal(1, brokers.GetArrayLength());
        Assert.Equal($"127.0.0.1:{_broker.Port}", brokers[0].GetProperty("name").GetString());
        var topic = doc.RootElement.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("topic").GetString() == "inventory");
        Assert.Equal(1, topic.GetProperty("partitions").GetArrayLength());
    }

    [Fact]
    public void ConsumesFromATimestamp()
    {
        Produce("events", "a:early\n");
        Thread.Sleep(1100);
        long between = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Thread.Sleep(100);
        Produce("events", "b:late\n");
        Assert.Equal("b=late@1\n", Consume("events", $"s@{between}"));
    }

    [Fact]
    public void AConsumerGroupCommitsItsPosition()
    {
        Produce("jobs", "j1:one\nj2:two\nj3:three\n");
        var first = Kcat("-G workers-1 -X auto.offset.reset=earliest -e -q -f %s\\n jobs");
        Assert.True(first.ExitCode == 0, $"{first.Stderr}\nbroker:\n{_broker.Output}");
        Assert.Equal("one\ntwo\nthree\n", first.Stdout);
        Produce("jobs", "j4:four\n");
        var second = Kcat("-G workers-1 -X auto.offset.reset=earliest -e -q -f %s\\n jobs");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal("four\n", second.Stdout); // resumes from the committed offset, not from the beginning
    }

    /// <summary>
    /// With acks=1 the producer does not wait for the fsync, but consumers only see durable records (the high
    /// watermark is the synced offset); the broker syncs in the background, so the records become visible.
    /// </summary>
    [Fact]
    public void RecordsProducedWithAcks1BecomeVisibleOnceSynced()
    {
        var r = Kcat("-P -t quick -p 0 -K : -X acks=1", "a:1\nb:2\n");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("a=1@0\nb=2@1\n", Consume("quick", "beginning"));
    }
}
