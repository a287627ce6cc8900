using Xunit;

namespace Tusk.Cli.Tests;

/// <summary>In-process tests of the cluster and simulation commands' argument handling and output.</summary>
public sealed class ClusterCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = TuskCommand.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void MemberListsAreParsedAndBadOnesRejected()
    {
        var members = Commands.ClusterCommand.ParseMembers("1=127.0.0.1:7001, 2=127.0.0.1:7002", "cluster", "usage");
        Assert.Equal([1UL, 2UL], members.Keys);
        Assert.Equal(7002, members[2].Port);
        foreach (var bad in new[] { "", "1=localhost:7001", "0=127.0.0.1:1", "x=127.0.0.1:1", "1=127.0.0.1:1,1=127.0.0.1:2", "1=127.0.0.1" })
        {
            Assert.Throws<UsageException>(() => Commands.ClusterCommand.ParseMembers(bad, "cluster", "usage"));
        }
    }

    [Theory]
    [InlineData("start", "--listen", "127.0.0.1:7001")]
    [InlineData("start", "--id", "1")]
    [InlineData("start", "--id", "1", "--listen", "nowhere")]
    [InlineData("start", "--id", "2", "--listen", "127.0.0.1:7002", "--peers", "2=127.0.0.1:7003")]
    [InlineData("cluster", "status")]
    [InlineData("cluster", "frobnicate")]
    [InlineData("sim", "raft", "--seeds", "5..2")]
    [InlineData("sim", "raft", "--faults", "meteor")]
    [InlineData("sim", "raft", "--seeds", "1..50", "--trace")]
    [InlineData("kv", "scan", "--cluster", "1=127.0.0.1:7001")]
    public void BadUsageExitsWithCodeTwo(params string[] args)
    {
        var (code, _, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains("tusk: error:", err, StringComparison.Ordinal);
    }

    [Fact]
    public void SimulationRunsSeedsAndSummarizes()
    {
        var (code, output, _) = Run("sim", "raft", "--seeds", "3..5", "--verbose");
        Assert.Equal(0, code);
        Assert.Contains("PASS seed=3", output, StringComparison.Ordinal);
        Assert.Contains("PASS seed=5", output, StringComparison.Ordinal);
        Assert.Contains("3 passed, 0 failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ATraceReplaysTheSameRun()
    {
        var first = Run("sim", "raft", "--seeds", "11", "--trace");
        var second = Run("sim", "raft", "--seeds", "11", "--trace");
        Assert.Equal(0, first.Code);
        Assert.True(first.Out.Split('\n').Length > 1000);
        Assert.Equal(first.Out, second.Out);
    }

    [Fact]
    public void StatusOfAnUnreachableClusterSaysSo()
    {
        var (code, output, _) = Run("cluster", "status", "--cluster", "1=127.0.0.1:9,2=127.0.0.1:10");
        Assert.Equal(1, code);
        Assert.Contains("unreachable", output, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpIsPrinted()
    {
        Assert.Contains("--seeds A..B", Run("sim", "--help").Out, StringComparison.Ordinal);
        Assert.Contains("tusk cluster status", Run("cluster", "--help").Out, StringComparison.Ordinal);
        Assert.Contains("--peers ID=HOST:PORT", Run("start", "--help").Out, StringComparison.Ordinal);
    }
}
