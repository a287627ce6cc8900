using Tusk.Cli.Bench;
using Xunit;

namespace Tusk.Cli.Tests;

/// <summary>db_bench report formatting and the latency histogram, in-process.</summary>
public sealed class BenchFormatTests
{
    [Fact]
    public void ReportLine_MatchesDbBenchWriteFormat()
    {
        // 1,000,000 writes of 116 bytes in 5.706 s: db_bench prints exactly this (RocksDB 7.8 Stats::Report).
        string line = StorageBenchmark.FormatReportLine("fillrandom", 1_000_000, 5.706, 5.706, 116_000_000, "");
        Assert.Equal("fillrandom   :       5.706 micros/op 175254 ops/sec 5.706 seconds 1000000 operations;   19.4 MB/s", line);
    }

    [Fact]
    public void ReportLine_MatchesDbBenchReadFormat()
    {
        string line = StorageBenchmark.FormatReportLine("readrandom", 1_000_000, 7.32, 7.32, 73_000_000, "(632000 of 1000000 found)");
        Assert.Equal("readrandom   :       7.320 micros/op 136612 ops/sec 7.320 seconds 1000000 operations;    9.5 MB/s (632000 of 1000000 found)", line);
        string seek = StorageBenchmark.FormatReportLine("seekrandom", 20000, 0.046, 0.046, 0, "(12624 of 20000 found)");
        Assert.Equal("seekrandom   :       2.300 micros/op 434782 ops/sec 0.046 seconds 20000 operations; (12624 of 20000 found)", seek);
    }

    [Fact]
    public void ReportLine_MultiThreaded_MicrosPerOpUsesSummedThreadTime()
    {
        // 2 threads x 1000 ops, each busy 1 s, wall time 1 s: 2000 ops/s, 1000 micros/op.
        string line = StorageBenchmark.FormatReportLine("fillseq", 2000, 1.0, 2.0, 0, "");
        Assert.StartsWith("fillseq      :    1000.000 micros/op 2000 ops/sec 1.000 seconds 2000 operations;", line);
    }

    [Fact]
    public void Histogram_PercentilesAreWithinBucketPrecision()
    {
        var h = new LatencyHistogram();
        for (int i = 1; i <= 10_000; i++)
        {
            h.Record(i * 1000L); // 1 µs .. 10 ms, uniform
        }
        Assert.Equal(10_000, h.Count);
        Assert.InRange(h.Percentile(50), 5_000_000 * 0.97, 5_000_000 * 1.03);
        Assert.InRange(h.Percentile(99), 9_900_000 * 0.97, 9_900_000 * 1.03);
        Assert.Equal(1000, h.Min);
        Assert.Equal(10_000_000, h.Max);
        Assert.InRange(h.Average, 5_000_499, 5_000_501);
    }

    [Fact]
    public void Histogram_MergeAddsCountsAndRenderHasDbBenchPercentilesLine()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        for (int i = 0; i < 100; i++)
        {
            a.Record(2_000);
            b.Record(4_000);
        }
        a.Merge(b);
        Assert.Equal(200, a.Count);
        Assert.Equal(4000, a.Max);
        Assert.Equal(2000, a.Min);
        Assert.InRange(a.Percentile(25), 2000, 2064);
        Assert.InRange(a.Percentile(75), 4000, 4128);
        string[] lines = a.Render().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^Percentiles: P50: \d+\.\d\d P75: 4\.\d\d P99: 4\.\d\d P99\.9: 4\.\d\d P99\.99: 4\.\d\d$", lines[2]);
    }
}
