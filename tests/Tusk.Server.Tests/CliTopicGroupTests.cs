using System.Diagnostics;
using System.Text.Json;
using Tusk.Cli.Tests;
using Xunit;

namespace Tusk.Server.Tests;

/// <summary>
/// <c>tusk topic ...</c> and <c>tusk group ...</c> as a user runs them: the real CLI process against a real broker
/// process, with kcat producing and consuming in between. The broker starts only for the tests that need one.
/// </summary>
public sealed class CliTopicGroupTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private BrokerProcess? _broker;

    public void Dispose()
    {
        _broker?.Dispose();
        _dir.Dispose();
    }

    private BrokerProcess Broker => _broker ??= BrokerProcess.Start(_dir.Sub("data"));

    /// <summary>Runs <c>tusk ARGS --bootstrap BROKER</c>.</summary>
    private TuskResult Tusk(params string[] args) => TuskProcess.Run([.. args, "--bootstrap", Broker.Bootstrap]);

    private TuskResult TuskOk(params string[] args)
    {
        TuskResult r = Tusk(args);
        Assert.True(r.ExitCode == 0, $"tusk {string.Join(' ', args)}: {r}\nbroker:\n{Broker.Output}");
        return r;
    }

    private void Produce(string topic, int partition, string lines)
    {
        var r = Client.Kcat(Broker.Bootstrap, $"-P -t {topic} -p {partition} -K :", lines);
        Assert.True(r.ExitCode == 0, $"kcat -P failed: {r.Stderr}\nbroker:\n{Broker.Output}");
    }

    /// <summary>
    /// The rows of the table whose header line starts with <paramref name="firstColumn"/>: every line after the
    /// header up to the next blank line, split on runs of spaces. Fails when there is no such header.
    /// </summary>
    private static List<string[]> Table(string stdout, string firstColumn)
    {
        string[] lines = stdout.Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith(firstColumn + " ", StringComparison.Ordinal));
        Assert.True(header >= 0, $"no table headed {firstColumn} in:\n{stdout}");
        var rows = new List<string[]>();
        for (int i = header + 1; i < lines.Length && lines[i].Trim().Length > 0; i++)
        {
            rows.Add(lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        return rows;
    }

    private static void AssertRow(List<string[]> rows, params string[] expected) =>
        Assert.True(rows.Any(r => r.SequenceEqual(expected)),
            $"no row [{string.Join(' ', expected)}] in:\n{string.Join('\n', rows.Select(r => string.Join(' ', r)))}");

    [Fact]
    public void CreateListDescribeProduceConsumeDescribeGroupAndDelete()
    {
        // create, with a partition count and two configs
        TuskResult created = TuskOk("topic", "create", "orders", "--partitions", "3", "--config", "retention.ms=3600000", "--config", "cleanup.policy=compact");
        Assert.Contains("created topic 'orders' with 3 partitions", created.Stdout);

        // list
        TuskResult listed = TuskOk("topic", "list");
        string[] ordersRow = Assert.Single(Table(listed.Stdout, "NAME"));
        Assert.Equal(["orders", "3"], ordersRow);

        // describe: three empty partitions led by broker 1, the configs with their sources
        TuskResult described = TuskOk("topic", "describe", "orders");
        Assert.Contains("Topic: orders", described.Stdout);
        Assert.Contains("Partitions: 3   Replication factor: 1   Messages: 0", described.Stdout);
        List<string[]> partitions = Table(described.Stdout, "PARTITION");
        Assert.Equal(3, partitions.Count);
        for (int p = 0; p < 3; p++)
        {
            Assert.Equal([p.ToString(), "1", "1", "1", "0", "0", "0"], partitions[p]);
        }
        List<string[]> configs = Table(described.Stdout, "CONFIG");
        AssertRow(configs, "retention.ms", "3600000", "topic");
        AssertRow(configs, "cleanup.policy", "compact", "topic");
        AssertRow(configs, "segment.bytes", "134217728", "default");

        // produce 2 messages to partition 0 and 3 to partition 1: the log end offsets move
        Produce("orders", 0, "a:1\nb:2\n");
        Produce("orders", 1, "c:3\nd:4\ne:5\n");
        described = TuskOk("topic", "describe", "orders");
        Assert.Contains("Messages: 5", described.Stdout);
        partitions = Table(described.Stdout, "PARTITION");
        Assert.Equal(["0", "1", "1", "1", "0", "2", "2"], partitions[0]);
        Assert.Equal(["1", "1", "1", "1", "0", "3", "3"], partitions[1]);
        Assert.Equal(["2", "1", "1", "1", "0", "0", "0"], partitions[2]);

        // the same in JSON
        using (JsonDocument json = JsonDocument.Parse(TuskOk("topic", "describe", "orders", "--json").Stdout))
        {
            JsonElement root = json.RootElement;
            Assert.Equal("orders", root.GetProperty("name").GetString());
            Assert.Equal(5, root.GetProperty("messages").GetInt64());
            Assert.Equal([2L, 3L, 0L], root.GetProperty("partitions").EnumerateArray().Select(p => p.GetProperty("log_end").GetInt64()));
            JsonElement retention = root.GetProperty("configs").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "retention.ms");
            Assert.Equal("3600000", retention.GetProperty("value").GetString());
            Assert.False(retention.GetProperty("default").GetBoolean());
        }

        // consume everything with a group; it commits its position
        var consumed = Client.Kcat(Broker.Bootstrap, "-G mygroup -X auto.offset.reset=earliest -e -q -f %s\\n orders");
        Assert.True(consumed.ExitCode == 0, $"{consumed.Stderr}\nbroker:\n{Broker.Output}");
        Assert.Equal(["1", "2", "3", "4", "5"], consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());

        // group list
        TuskResult groups = TuskOk("group", "list");
        AssertRow(Table(groups.Stdout, "GROUP"), "mygroup", "consumer");

        // group describe: the consumer left, its committed offsets equal the log ends, lag 0
        TuskResult group = TuskOk("group", "describe", "mygroup");
        Assert.Contains("Group: mygroup", group.Stdout);
        Assert.Contains("State: Empty", group.Stdout);
        Assert.Contains("Protocol type: consumer", group.Stdout);
        Assert.Contains("Total lag: 0", group.Stdout);
        Assert.Contains("no active members", group.Stdout);
        List<string[]> offsets = Table(group.Stdout, "TOPIC");
        AssertRow(offsets, "orders", "0", "2", "2", "0");
        AssertRow(offsets, "orders", "1", "3", "3", "0");
        Assert.All(offsets, row => Assert.Equal("0", row[4]));

        // a new message shows up as lag
        Produce("orders", 1, "f:6\n");
        group = TuskOk("group", "describe", "mygroup");
        AssertRow(Table(group.Stdout, "TOPIC"), "orders", "1", "3", "4", "1");
        Assert.Contains("Total lag: 1", group.Stdout);
        using (JsonDocument json = JsonDocument.Parse(TuskOk("group", "describe", "mygroup", "--json").Stdout))
        {
            JsonElement p1 = json.RootElement.GetProperty("offsets").EnumerateArray().Single(o => o.GetProperty("partition").GetInt32() == 1);
            Assert.Equal(3, p1.GetProperty("committed").GetInt64());
            Assert.Equal(1, p1.GetProperty("lag").GetInt64());
        }

        // delete
        TuskResult deleted = TuskOk("topic", "delete", "orders");
        Assert.Contains("deleted topic 'orders'", deleted.Stdout);
        listed = TuskOk("topic", "list");
        Assert.DoesNotContain("orders", listed.Stdout);
        Assert.Equal("no topics\n", listed.Stdout);
    }

    [Fact]
    public void GroupDescribeShowsAnActiveMemberAndItsAssignment()
    {
        TuskOk("topic", "create", "jobs", "--partitions", "2");
        Produce("jobs", 0, "a:1\n");
        var info = new ProcessStartInfo("kcat") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-b", Broker.Bootstrap, "-G", "workers", "-X", "auto.offset.reset=earliest", "-q", "jobs" })
        {
            info.ArgumentList.Add(arg);
        }
        using Process consumer = Process.Start(info)!;
        try
        {
            TuskResult group = TuskOk("group", "describe", "workers");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!group.Stdout.Contains("State: Stable", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
                group = TuskOk("group", "describe", "workers");
            }
            Assert.Contains("State: Stable", group.Stdout);
            Assert.Contains("Members: 1", group.Stdout);
            string[] member = Assert.Single(Table(group.Stdout, "MEMBER-ID"));
            Assert.StartsWith("rdkafka-", member[0], StringComparison.Ordinal);
            Assert.Equal("rdkafka", member[1]);
            Assert.Equal("jobs-0,jobs-1", member[3]);
            // Both assigned partitions are listed even before the consumer commits anything.
            List<string[]> offsets = Table(group.Stdout, "TOPIC");
            Assert.Equal(["jobs", "jobs"], offsets.Select(r => r[0]));
            Assert.Equal(["0", "1"], offsets.Select(r => r[1]));
        }
        finally
        {
            consumer.Kill(entireProcessTree: true);
            consumer.WaitForExit();
        }
    }

    [Fact]
    public void DescribingAMissingTopicFailsAndDoesNotCreateIt()
    {
        TuskResult r = Tusk("topic", "describe", "missing");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("tusk: error: topic 'missing' does not exist\n", r.Stderr);
        Assert.Equal("", r.Stdout);
        Assert.Equal("no topics\n", TuskOk("topic", "list").Stdout); // the broker auto-creates on metadata; describe must not

        TuskResult deleted = Tusk("topic", "delete", "missing");
        Assert.Equal(1, deleted.ExitCode);
        Assert.Contains("topic 'missing' does not exist", deleted.Stderr);

        TuskResult group = Tusk("group", "describe", "ghost");
        Assert.Equal(1, group.ExitCode);
        Assert.Contains("group 'ghost' does not exist", group.Stderr);
    }

    [Fact]
    public void CreatingAnExistingTopicOrABadConfigPrintsTheBrokersError()
    {
        TuskOk("topic", "create", "dup");
        TuskResult again = Tusk("topic", "create", "dup", "--partitions", "2");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("tusk: error: cannot create topic 'dup': TOPIC_ALREADY_EXISTS: topic 'dup' already exists\n", again.Stderr);
        AssertRow(Table(TuskOk("topic", "list").Stdout, "NAME"), "dup", "1"); // unchanged: the default 1 partition

        TuskResult badConfig = Tusk("topic", "create", "other", "--config", "no.such.config=1");
        Assert.Equal(1, badConfig.ExitCode);
        Assert.Contains("cannot create topic 'other': INVALID_CONFIG: unknown topic config 'no.such.config'", badConfig.Stderr);
    }

    [Fact]
    public void AnUnreachableBrokerExits1WithAClearMessage()
    {
        int port = BrokerProcess.FreePort(); // nothing listens there
        foreach (string[] command in new[] { new[] { "topic", "list" }, ["topic", "describe", "t"], ["group", "list"], ["group", "describe", "g"] })
        {
            TuskResult r = TuskProcess.Run([.. command, "--bootstrap", $"127.0.0.1:{port}"]);
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith($"tusk: error: cannot reach the broker at 127.0.0.1:{port}: ", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("refused", r.Stderr, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("topic")]
    [InlineData("topic frob")]
    [InlineData("topic create")]
    [InlineData("topic create a b")]
    [InlineData("topic create t --partitions 0")]
    [InlineData("topic create t --partitions many")]
    [InlineData("topic create t --config retention.ms")]
    [InlineData("topic create t --config retention.ms=1 --config retention.ms=2")]
    [InlineData("topic describe")]
    [InlineData("topic list extra")]
    [InlineData("topic list --bootstrap localhost")]
    [InlineData("topic list --bootstrap 127.0.0.1:99999")]
    [InlineData("topic list --timeout 0")]
    [InlineData("topic delete --force t")]
    [InlineData("group")]
    [InlineData("group describe")]
    [InlineData("group delete g")]
    public void BadUsageExits2WithTheUsage(string commandLine)
    {
        // No broker runs (nothing listens on port 1): usage is checked before connecting.
        string[] args = commandLine.Split(' ');
        if (!commandLine.Contains("--bootstrap", StringComparison.Ordinal))
        {
            args = [.. args, "--bootstrap", "127.0.0.1:1"];
        }
        TuskResult r = TuskProcess.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("tusk: error: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Usage: tusk " + commandLine.Split(' ')[0], r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void HelpDocumentsTheCommands()
    {
        TuskResult main = TuskProcess.Run("--help");
        Assert.Equal(0, main.ExitCode);
        Assert.Contains("tusk topic <command>", main.Stdout);
        Assert.Contains("tusk group <command>", main.Stdout);

        TuskResult topic = TuskProcess.Run("topic", "--help");
        Assert.Equal(0, topic.ExitCode);
        foreach (string sub in new[] { "create NAME", "list", "describe NAME", "delete NAME", "--bootstrap HOST:PORT" })
        {
            Assert.Contains(sub, topic.Stdout);
        }
        TuskResult group = TuskProcess.Run("group", "--help");
        Assert.Equal(0, group.ExitCode);
        Assert.Contains("describe GROUP", group.Stdout);

        TuskResult create = TuskProcess.Run("topic", "create", "--help");
        Assert.Equal(0, create.ExitCode);
        Assert.StartsWith("Usage: tusk topic create NAME", create.Stdout, StringComparison.Ordinal);
    }
}
