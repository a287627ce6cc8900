using System.Text;
using Tusk.Cli.Bench;
using Xunit;

namespace Tusk.Cli.Tests;

/// <summary>In-process tests of the argument parser, key/value text conversion and db_bench flag parsing.</summary>
public sealed class ParsingTests
{
    private const string Usage = "Usage: test";

    [Fact]
    public void Arguments_AcceptsBothOptionSpellings_FlagsAndPositionals()
    {
        Arguments a = Arguments.Parse(["k", "--data", "/d", "--limit=5", "--sync", "v", "--", "--not-an-option"], Usage,
            ["data", "limit"], ["sync", "hex"]);
        Assert.Equal(["k", "v", "--not-an-option"], a.Positionals);
        Assert.Equal("/d", a.Value("data"));
        Assert.Equal(5, a.Integer("limit", 0, 0, 10));
        Assert.True(a.Flag("sync"));
        Assert.False(a.Flag("hex"));
    }

    [Theory]
    [InlineData("--sync=1", true)]
    [InlineData("--sync=true", true)]
    [InlineData("--sync=0", false)]
    [InlineData("--sync=false", false)]
    public void Arguments_FlagsTakeDbBenchBooleans(string arg, bool expected) =>
        Assert.Equal(expected, Arguments.Parse([arg], Usage, [], ["sync"]).Flag("sync"));

    [Theory]
    [InlineData("--unknown")]
    [InlineData("-x")]
    [InlineData("--data")]
    [InlineData("--sync=maybe")]
    [InlineData("--data=a", "--data=b")]
    public void Arguments_RejectsBadOptions(params string[] args)
    {
        var e = Assert.Throws<UsageException>(() => Arguments.Parse(args, Usage, ["data"], ["sync"]));
        Assert.Equal(Usage, e.Usage);
    }

    [Fact]
    public void Arguments_IntegerRangeAndPositionalCountAreChecked()
    {
        Arguments a = Arguments.Parse(["--limit=-1", "x"], Usage, ["limit"]);
        Assert.Throws<UsageException>(() => a.Integer("limit", 0, 0, 10));
        Assert.Throws<UsageException>(() => a.RequirePositionals(2, "A B"));
        Assert.Throws<UsageException>(() => a.RequirePositionals(0, "nothing"));
        a.RequirePositionals(1, "A");
    }

    [Theory]
    [InlineData("hello", new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' })]
    [InlineData("0x00ff10", new byte[] { 0x00, 0xff, 0x10 })]
    [InlineData("0X", new byte[0])]
    [InlineData("ü", new byte[] { 0xc3, 0xbc })]
    public void ByteText_ParsesUtf8AndHex(string text, byte[] expected) => Assert.Equal(expected, ByteText.Parse(text, "key", Usage));

    [Theory]
    [InlineData("0x1")]
    [InlineData("0xzz")]
    public void ByteText_RejectsMalformedHex(string text) => Assert.Throws<UsageException>(() => ByteText.Parse(text, "key", Usage));

    [Theory]
    [InlineData(new byte[] { (byte)'a', (byte)'b' }, "ab")]
    [InlineData(new byte[] { 0x00, 0x7f, 0xff }, @"\x00\x7f\xff")]
    [InlineData(new byte[] { (byte)'\t', (byte)'\n', (byte)'\r', (byte)'\\' }, @"\t\n\r\\")]
    [InlineData(new byte[] { 0xc3, 0xbc, 0xc3 }, @"ü\xc3")]
    public void ByteText_EscapesNonPrintableBytes(byte[] bytes, string expected)
    {
        Assert.Equal(expected, ByteText.Format(bytes, hex: false));
        Assert.Equal("0x" + Convert.ToHexStringLower(bytes), ByteText.Format(bytes, hex: true));
    }

    [Fact]
    public void BenchFlags_ParseDbBenchSpelling()
    {
        Arguments a = Arguments.Parse(
            ["--benchmarks=fillseq,readrandom", "--num=500", "--key_size=20", "--value_size=50", "--sync=1", "--use_existing_db=0",
             "--db=/tmp/x", "--threads=4", "--histogram=1", "--cache_size=1048576", "--write_buffer_size=4194304", "--seed=9",
             "--compression_type=none"],
            Usage, ["benchmarks", "num", "key_size", "value_size", "db", "threads", "cache_size", "write_buffer_size", "seed", "compression_type"],
            ["sync", "use_existing_db", "histogram"]);
        StorageBenchConfig c = StorageBenchCommand.ParseConfig(a, Usage, out string? seedNote);
        Assert.Null(seedNote);
        Assert.Equal(["fillseq", "readrandom"], c.Benchmarks);
        Assert.Equal(500, c.Num);
        Assert.Equal(20, c.KeySize);
        Assert.Equal(50, c.ValueSize);
        Assert.True(c.Sync);
        Assert.False(c.UseExistingDb);
        Assert.Equal(4, c.Threads);
        Assert.True(c.Histogram);
        Assert.Equal(1 << 20, c.CacheSizeBytes);
        Assert.Equal(4 << 20, c.WriteBufferSizeBytes);
        Assert.Equal(9UL, c.Seed);
    }

    [Fact]
    public void BenchFlags_ZeroSeedIsReplacedAndReported()
    {
        Arguments a = Arguments.Parse(["--seed=0"], Usage, ["seed"], ["sync", "use_existing_db", "histogram"]);
        StorageBenchConfig c = StorageBenchCommand.ParseConfig(a, Usage, out string? seedNote);
        Assert.NotEqual(0UL, c.Seed);
        Assert.Equal($"Set seed to {c.Seed} because --seed was 0", seedNote);
        Assert.Equal(8 << 20, c.CacheSizeBytes);
        Assert.Null(c.WriteBufferSizeBytes);
    }

    [Fact]
    public void FillKeysAndValues_AreDeterministic()
    {
        var key = new byte[13];
        Commands.KvCommand.FillKey(key, 42);
        Assert.Equal("key-000000042", Encoding.ASCII.GetString(key));
        var value = new byte[100];
        Commands.KvCommand.FillValue(value, 42);
        Assert.StartsWith("v000000042-", Encoding.ASCII.GetString(value));
        Assert.StartsWith("sha256:", Commands.KvCommand.AckValue(value));
        Assert.Equal("v000000042-", Commands.KvCommand.AckValue(value.AsSpan(0, 11)));
    }
}
