using Tusk.Testing;
using Xunit;

namespace Tusk.Simulation.Tests;

/// <summary>Tests of the data-driven runner itself (tests/Tusk.Testing).</summary>
public sealed class DataDrivenTests : IDisposable
{
    private const string Sample = """
        # A comment, kept on rewrite.
        echo a=1 flag list=(x, y , z) quoted="two words"
        line one
        line two
        ----
        line one
        line two

        # Output with a blank line needs the double separator.
        blank
        ----
        ----
        before

        after
        ----
        ----

        empty
        ----

        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tusk-datadriven-" + Path.GetRandomFileName());

    public DataDrivenTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteTemp(string text)
    {
        string path = Path.Combine(_directory, "case.txt");
        File.WriteAllText(path, text);
        return path;
    }

    private static string Handle(TestCase c) => c.Command switch
    {
        "echo" => c.Input,
        "blank" => "before\n\nafter",
        "empty" => "",
        "upper" => c.Input.ToUpperInvariant(),
        _ => throw c.Error("unknown command"),
    };

    [Fact]
    public void ParsesCommandsArgumentsInputAndOutputs()
    {
        var cases = DataDriven.Parse(Sample, "sample.txt");
        Assert.Equal(3, cases.Count);

        var echo = cases[0];
        Assert.Equal("echo", echo.Command);
        Assert.Equal("sample.txt:2", echo.Position);
        Assert.Equal(1, echo.GetInt("a"));
        Assert.True(echo.HasArg("flag"));
        Assert.Empty(echo.GetArgValues("flag"));
        Assert.Equal(["x", "y", "z"], echo.GetArgValues("list"));
        Assert.Equal("two words", echo.GetArg("quoted"));
        Assert.False(echo.HasArg("missing"));
        Assert.Equal(7, echo.GetInt("missing", 7));
        Assert.Equal("dflt", echo.GetArg("missing", "dflt"));
        Assert.Equal("line one\nline two", echo.Input);
        Assert.Equal("line one\nline two\n", echo.Expected);
        var error = Assert.Throws<DataDrivenException>(() => echo.GetArg("missing"));
        Assert.Contains("sample.txt:2", error.Message);
        Assert.Throws<DataDrivenException>(() => echo.GetInt("quoted"));

        Assert.Equal("blank", cases[1].Command);
        Assert.Equal("sample.txt:10", cases[1].Position);
        Assert.Equal("before\n\nafter\n", cases[1].Expected);
        Assert.Equal("", cases[1].Input);

        Assert.Equal("empty", cases[2].Command);
        Assert.Equal("", cases[2].Expected);
    }

    [Fact]
    public void MalformedFilesNameTheLine()
    {
        var e = Assert.Throws<DataDrivenException>(() => DataDriven.Parse("# c\n\ncmd\ninput\n", "bad.txt"));
        Assert.Contains("bad.txt:3", e.Message);
        e = Assert.Throws<DataDrivenException>(() => DataDriven.Parse("cmd\n----\n----\nout\n", "bad.txt"));
        Assert.Contains("bad.txt:1", e.Message);
        e = Assert.Throws<DataDrivenException>(() => DataDriven.Parse("cmd a=(1, 2\n----\n", "bad.txt"));
        Assert.Contains("bad.txt:1", e.Message);
        e = Assert.Throws<DataDrivenException>(() => DataDriven.Parse("cmd a=1 a=2\n----\n", "bad.txt"));
        Assert.Contains("given twice", e.Message);
    }

    [Fact]
    public void PassesWhenOutputsMatch()
    {
        string path = WriteTemp(Sample);
        int calls = 0;
        DataDriven.RunFile(path, c =>
        {
            calls++;
            return Handle(c);
        }, rewrite: false);
        Assert.Equal(3, calls);
        Assert.Equal(Sample, File.ReadAllText(path)); // Not rewritten.
    }

    [Fact]
    public void FailsWithADiffNamingFileAndLine()
    {
        string path = WriteTemp("# header\n\nupper\nabc\nkeep\n----\nABC\nKEEP\n\nupper\nxyz\n----\nwrong\n");
        var e = Assert.Throws<DataDrivenException>(() => DataDriven.RunFile(path, Handle, rewrite: false));
        Assert.Contains($"{path}:10", e.Message);
        Assert.Contains("`upper`", e.Message);
        Assert.Contains("- wrong\n", e.Message);
        Assert.Contains("+ XYZ\n", e.Message);
        Assert.Contains("TUSK_REWRITE=1", e.Message);
        Assert.DoesNotContain($"{path}:3", e.Message); // The first case passed.
    }

    [Fact]
    public void DiffShowsCommonLinesAndChangesInPlace()
    {
        string path = WriteTemp("echo\na\nb\nc\n----\na\nB\nc\n");
        var e = Assert.Throws<DataDrivenException>(() => DataDriven.RunFile(path, Handle, rewrite: false));
        Assert.True(e.Message.Contains("  a\n- B\n+ b\n  c\n", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void HandlerExceptionsNameThePosition()
    {
        string path = WriteTemp("nope x=1\n----\n");
        var e = Assert.Throws<DataDrivenException>(() => DataDriven.RunFile(path, Handle, rewrite: false));
        Assert.Contains($"{path}:1", e.Message);
        Assert.Contains("unknown command", e.Message);

        path = WriteTemp("\n\necho\n----\n");
        e = Assert.Throws<DataDrivenException>(() => DataDriven.RunFile(path, _ => throw new InvalidOperationException("boom"), rewrite: false));
        Assert.Contains($"{path}:3", e.Message);
        Assert.Contains("InvalidOperationException: boom", e.Message);
        Assert.IsType<InvalidOperationException>(e.InnerException);
    }

    [Fact]
    public void RewriteReplacesOutputsAndKeepsTheRest()
    {
        string original = """
            # Expectations are stale; comments and inputs stay.
            upper
            abc
            ----
            stale

            blank
            ----
            old

            # trailing comment
            empty
            ----
            ----
            not empty

            really
            ----
            ----
            upper
            q
            ----
            ----
            ----
            Q
            ----
            ----
            """;
        string path = WriteTemp(original);
        DataDriven.RunFile(path, Handle, rewrite: true);
        string expected = """
            # Expectations are stale; comments and inputs stay.
            upper
            abc
            ----
            ABC

            blank
            ----
            ----
            before

            after
            ----
            ----

            # trailing comment
            empty
            ----

            upper
            q
            ----
            Q

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), File.ReadAllText(path));
        DataDriven.RunFile(path, Handle, rewrite: false); // The rewritten file passes.
    }

    [Fact]
    public void RewriteOfAPassingFileChangesNothing()
    {
        string path = WriteTemp(Sample);
        DataDriven.RunFile(path, Handle, rewrite: true);
        Assert.Equal(Sample, File.ReadAllText(path));
    }

    [Fact]
    public void FilesInListsTestdataSortedWithRelativePaths()
    {
        var files = DataDriven.ListFiles("testdata");
        Assert.Contains("testdata/simfs/durability.txt", files);
        Assert.Equal(files.Order(StringComparer.Ordinal), files);
        Assert.All(DataDriven.FilesIn("testdata"), row => Assert.IsType<string>(Assert.Single(row)));
        Assert.Throws<DataDrivenException>(() => DataDriven.ListFiles("no-such-testdata"));
    }

    [Fact]
    public void SourcePathMapsTheBinCopyBackToTheProject()
    {
        string source = DataDriven.SourcePathFor("testdata/simfs/durability.txt");
        Assert.EndsWith(Path.Combine("tests", "Tusk.Simulation.Tests", "testdata", "simfs", "durability.txt"), source);
        Assert.DoesNotContain(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, source);
        Assert.True(File.Exists(source));
        string outside = Path.Combine(_directory, "x.txt");
        Assert.Equal(outside, DataDriven.SourcePathFor(outside));
    }
}
