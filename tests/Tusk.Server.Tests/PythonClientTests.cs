using Tusk.Cli.Tests;
using Xunit;

namespace Tusk.Server.Tests;

/// <summary>kafka-python and confluent-kafka (Debian packages) against a real broker process.</summary>
public sealed class PythonClientTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly BrokerProcess _broker;

    public PythonClientTests()
    {
        _broker = BrokerProcess.Start(_dir.Sub("data"));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void KafkaPythonRoundTripsKeysValuesAndHeaders()
    {
        var r = Client.Python("kafka_python_roundtrip.py", [_broker.Bootstrap, "kp-topic"]);
        Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}\nbroker:\n{_broker.Output}");
        Assert.Contains("OK 20", r.Stdout);
    }

    [Fact]
    public void AConsumerGroupSurvivesAKilledMemberWithoutLosingOrDuplicatingMessages()
    {
        var r = Client.Python("confluent_group.py", [_broker.Bootstrap, "shared", "workers", _dir.Path], timeoutSeconds: 240);
        Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}\nbroker:\n{_broker.Output}");
        Assert.Contains("OK consumed=", r.Stdout);
    }
}
