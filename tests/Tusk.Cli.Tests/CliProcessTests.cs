using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Tusk.Cli.Tests;

/// <summary>The `tusk` command as a user runs it: real child processes, exit codes, stdout and stderr.</summary>
[Collection(ProcessCollection.Name)]
public sealed partial class CliProcessTests
{
    [Fact]
    public void PutGetDeleteScan_RoundTrip()
    {
        using var temp = new TempDirectory();
        string data = temp.Sub("data");
        Ok(TuskProcess.Run("kv", "put", "apple", "red", "--data", data));
        Ok(TuskProcess.Run("kv", "put", "banana", "yellow", "--data", data, "--sync"));
        Ok(TuskProcess.Run("kv", "put", "cherry", "dark\tred", "--data", data));
        Ok(TuskProcess.Run("kv", "put", "0x00ff", "0x0102", "--data", data));

        TuskResult get = Ok(TuskProcess.Run("kv", "get", "banana", "--data", data));
        Assert.Equal("yellow\n", get.Stdout);
        Assert.Equal("0x0102\n", Ok(TuskProcess.Run("kv", "get", "0x00ff", "--hex", "--data", data)).Stdout);

        // Scan escapes tabs and non-printable bytes so each entry is exactly one key<TAB>value line.
        Assert.Equal(["\\x00\\xff\t\\x01\\x02", "apple\tred", "banana\tyellow", "cherry\tdark\\tred"],
            Ok(TuskProcess.Run("kv", "scan", "--data", data)).Lines);
        Assert.Equal(["apple\tred", "banana\tyellow"], Ok(TuskProcess.Run("kv", "scan", "--from", "a", "--to", "cherry", "--data", data)).Lines);
        Assert.Equal(["cherry\tdark\\tred", "banana\tyellow"], Ok(TuskProcess.Run("kv", "scan", "--reverse", "--limit", "2", "--data", data)).Lines);
        Assert.Equal(["banana\tyellow", "apple\tred"], Ok(TuskProcess.Run("kv", "scan", "--reverse", "--from", "a", "--to", "cherry", "--data", data)).Lines);

        Ok(TuskProcess.Run("kv", "delete", "apple", "--data", data));
        TuskResult missing = TuskProcess.Run("kv", "get", "apple", "--data", data);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("not found", missing.Stderr);

        Ok(TuskProcess.Run("kv", "delete-range", "b", "d", "--data", data));
        Assert.Equal(["\\x00\\xff\t\\x01\\x02"], Ok(TuskProcess.Run("kv", "scan", "--data", data)).Lines);
    }

    [Fact]
    public void GetMissingKey_ExitsOneWithNotFound()
    {
        using var temp = new TempDirectory();
        string data = temp.Sub("data");
        Ok(TuskProcess.Run("kv", "put", "present", "1", "--data", data));
        TuskResult r = TuskProcess.Run("kv", "get", "absent", "--data", data);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("not found", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void GetOnMissingDataDirectory_ExitsOneAndCreatesNothing()
    {
        using var temp = new TempDirectory();
        string data = temp.Sub("nothing-here");
        TuskResult r = TuskProcess.Run("kv", "get", "k", "--data", data);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("does not exist", r.Stderr);
        Assert.False(Directory.Exists(data));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("kv")]
    [InlineData("kv", "frobnicate")]
    [InlineData("kv", "put", "only-a-key")]
    [InlineData("kv", "get", "k", "--no-such-option")]
    [InlineData("kv", "scan", "--limit", "many")]
    [InlineData("kv", "put", "0xZZ", "v")]
    [InlineData("bench", "storage", "--num=abc")]
    [InlineData("bench", "storage", "--benchmarks=fillseq,nosuchbench")]
    [InlineData("bench", "storage", "--compression_type=snappy")]
    [InlineData("start", "extra-argument")]
    public void BadUsage_ExitsTwoWithUsage(params string[] args)
    {
        TuskResult r = TuskProcess.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("tusk: error:", r.Stderr);
        Assert.Contains("Usage:", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("kv", "--help")]
    [InlineData("kv", "scan", "--help")]
    [InlineData("start", "--help")]
    [InlineData("bench", "storage", "--help")]
    public void Help_ExitsZeroWithUsageOnStdout(params string[] args)
    {
        TuskResult r = TuskProcess.Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Usage:", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void StartHelp_DescribesThePostgresListener()
    {
        string help = Ok(TuskProcess.Run("start", "--help")).Stdout;
        Assert.Contains("--pg HOST:PORT|off", help);
        Assert.Contains("--pg-users FILE", help);
    }

    [Fact]
    public void Stats_PrintsLevelInformation()
    {
        using var temp = new TempDirectory();
        string data = temp.Sub("data");
        Ok(TuskProcess.Run("kv", "fill", "--count", "200", "--data", data));
        TuskResult compact = Ok(TuskProcess.Run("kv", "compact", "--data", data));
        Assert.Matches(LevelFilesRegex(), compact.Stdout); // "after:  L<n>: <k> file(s) ..." once tables exist
        TuskResult stats = Ok(TuskProcess.Run("kv", "stats", "--data", data));
        Assert.Contains("last sequence: 200", stats.Stdout);
        Assert.Matches(new Regex(@"(?m)^\s*L?0\b"), stats.Stdout);   // a row for level 0
        Assert.Matches(new Regex(@"(?i)write amp"), stats.Stdout);
    }

    [Fact]
    public void LockedDataDirectory_SecondProcessGetsClearError_AndStartStopsCleanlyOnSigterm()
    {
        using var temp = new TempDirectory();
        string data = temp.Sub("data");
        Ok(TuskProcess.Run("kv", "put", "k", "before-start", "--data", data));

        using Process node = TuskProcess.Start("start", "--data", data, "--kafka", "off", "--pg", "off");
        node.StandardInput.Close();
        var output = new StringBuilder();
        using var ready = new ManualResetEventSlim();
        node.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            if (e.Data?.StartsWith("ready", StringComparison.Ordinal) == true)
            {
                ready.Set();
            }
        };
        var stderr = new StringBuilder();
        node.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        try
        {
            Assert.True(ready.Wait(TimeSpan.FromSeconds(60)), $"tusk start did not become ready:\n{output}\n{Locked(stderr)}");
            string startOutput;
            lock (output)
            {
                startOutput = output.ToString();
            }
            Assert.Contains("recovered", startOutput);
            Assert.Contains("last sequence 1", startOutput);
            Assert.Contains("files per level: L0=", startOutput);
            Assert.Contains("postgres: off", startOutput);

            TuskResult second = TuskProcess.Run("kv", "get", "k", "--data", data);
            Assert.True(second.ExitCode == 1, second.ToString());
            Assert.Contains("cannot open data directory", second.Stderr);
            Assert.Contains("locked", second.Stderr);
        }
        finally
        {
            if (!node.HasExited)
            {
                TuskProcess.Signal(node.Id, TuskProcess.SigTerm);
            }
            if (!node.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                node.Kill();
            }
            node.WaitForExit();
        }
        Assert.True(node.ExitCode == 0, $"exit {node.ExitCode}\n{output}\n{Locked(stderr)}");
        Assert.Contains("received SIGTERM", output.ToString());
        Assert.Contains("closed cleanly", output.ToString());

        // The lock is released: the data directory works again and kept its data.
        Assert.Equal("before-start\n", Ok(TuskProcess.Run("kv", "get", "k", "--data", data)).Stdout);
    }

    [Fact]
    public void CorruptTableFile_ReportsFileAndOffset_AndExitsOne()
    {
        using var temp = new TempDirectory();
        string data = temp.Sub("data");
        Ok(TuskProcess.Run("kv", "fill", "--count", "3000", "--value-size", "40", "--data", data));
        Ok(TuskProcess.Run("kv", "compact", "--data", data)); // the data now lives in a table file
        // The largest file is the table; damage 16 bytes in its middle (inside some data block).
        FileInfo table = new DirectoryInfo(data).GetFiles().OrderByDescending(f => f.Length).First();
        Assert.True(table.Length > 50_000, $"expected a table file, largest is {table.Name} ({table.Length} bytes)");
        using (FileStream f = File.OpenWrite(table.FullName))
        {
            f.Position = table.Length / 2;
            f.Write(Enumerable.Repeat((byte)0xA5, 16).ToArray());
        }
        TuskResult r = TuskProcess.Run("kv", "scan", "--data", data);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Matches(@"corruption detected in file .+ at offset \d+", r.Stderr);
        Assert.Contains(table.Name, r.Stderr);
    }

    [Fact]
    public void Fill_AcknowledgesEachKeyWithItsValue()
    {
        using var temp = new TempDirectory();
        string data = temp.Sub("data");
        TuskResult fill = Ok(TuskProcess.Run("kv", "fill", "--count", "3", "--start", "7", "--value-size", "20", "--data", data));
        Assert.Equal(["ack key-000000007 v000000007-ijklmnopq", "ack key-000000008 v000000008-pqrstuvwx", "ack key-000000009 v000000009-wxyzabcde"],
            fill.Lines);
        Assert.Equal("v000000008-pqrstuvwx\n", Ok(TuskProcess.Run("kv", "get", "key-000000008", "--data", data)).Stdout);
    }

    [Fact]
    public void BenchStorage_PrintsDbBenchFormat()
    {
        using var temp = new TempDirectory();
        string db = temp.Sub("bench");
        TuskResult r = Ok(TuskProcess.Run("bench", "storage", "--benchmarks=fillseq,readrandom,readseq", "--num=2000", "--db=" + db,
            "--seed=42", "--histogram=1", "--compression_type=none"));
        string[] lines = r.Lines;
        Assert.Single(lines, l => WriteLineRegex("fillseq").IsMatch(l));
        string read = Assert.Single(lines, l => l.StartsWith("readrandom   : ", StringComparison.Ordinal));
        Assert.Matches(@"^readrandom   : +\d+\.\d{3} micros/op \d+ ops/sec \d+\.\d{3} seconds 2000 operations; +\d+\.\d MB/s \(2000 of 2000 found\)$", read);
        string seq = Assert.Single(lines, l => l.StartsWith("readseq      : ", StringComparison.Ordinal));
        Assert.Matches(@"^readseq      : +\d+\.\d{3} micros/op \d+ ops/sec \d+\.\d{3} seconds 2000 operations; +\d+\.\d MB/s$", seq);
        Assert.Equal(3, lines.Count(l => PercentilesRegex().IsMatch(l)));
        Assert.Equal(3, lines.Count(l => l.StartsWith("Peak memory: ", StringComparison.Ordinal) && l.Contains("Write amplification: ")));

        // A second run on the existing database skips the fresh fill and still finds every key.
        TuskResult again = Ok(TuskProcess.Run("bench", "storage", "--benchmarks=fillseq,seekrandom", "--num=2000", "--db=" + db,
            "--use_existing_db=1", "--seed=43"));
        Assert.Contains("fillseq      : skipped (--use_existing_db is true)", again.Lines);
        Assert.Single(again.Lines, l => Regex.IsMatch(l, @"^seekrandom   : +\d+\.\d{3} micros/op \d+ ops/sec \d+\.\d{3} seconds 2000 operations; \(2000 of 2000 found\)$"));
    }

    [Fact]
    public void BenchStorage_RefusesToDeleteForeignDirectory()
    {
        using var temp = new TempDirectory();
        string db = temp.Sub("precious");
        Directory.CreateDirectory(db);
        File.WriteAllText(Path.Combine(db, "keep-me.txt"), "important");
        TuskResult r = TuskProcess.Run("bench", "storage", "--benchmarks=fillseq", "--num=10", "--db=" + db);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("refusing to delete", r.Stderr);
        Assert.True(File.Exists(Path.Combine(db, "keep-me.txt")));
    }

    private static Regex WriteLineRegex(string name) =>
        new($@"^{name,-12} : +\d+\.\d{{3}} micros/op \d+ ops/sec \d+\.\d{{3}} seconds 2000 operations; +\d+\.\d MB/s$");

    [GeneratedRegex(@"^Percentiles: P50: \d+\.\d\d P75: \d+\.\d\d P99: \d+\.\d\d P99\.9: \d+\.\d\d P99\.99: \d+\.\d\d$")]
    private static partial Regex PercentilesRegex();

    [GeneratedRegex(@"L\d+: \d+ files? ")]
    private static partial Regex LevelFilesRegex();

    private static string Locked(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }

    private static TuskResult Ok(TuskResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }
}
