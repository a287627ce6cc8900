using Xunit;

namespace Tusk.Core.Tests;

/// <summary>
/// Lint as tests (STYLE.md C3, C9, like Pebble's lint_test.go): core projects call no API that hides time,
/// randomness, threads or the disk, and project references point down the layers. The scanner and the
/// reference check also run on in-memory inputs here, so each rule is seen to fail.
/// </summary>
public sealed class LintTests
{
    /// <summary>Project, and the projects it may reference. Add a line when a layer arrives (STYLE.md C1).</summary>
    private static readonly (string Project, string[] MayReference)[] _layerRules =
    [
        ("Tusk.Core", []),
        ("Tusk.Storage", ["Tusk.Core"]),
        ("Tusk.Raft", ["Tusk.Core", "Tusk.Storage"]),
        ("Tusk.Kv", ["Tusk.Core", "Tusk.Storage"]),
        ("Tusk.Simulation", ["Tusk.Core", "Tusk.Storage", "Tusk.Raft"]),
        ("Tusk.Protocols.Kafka", ["Tusk.Core"]),
        ("Tusk.Protocols.Postgres", ["Tusk.Core"]),
        ("Tusk.Sql", ["Tusk.Core", "Tusk.Kv"]),
        ("Tusk.Streams", ["Tusk.Core", "Tusk.Storage", "Tusk.Protocols.Kafka"]),
        ("Tusk.Server", ["Tusk.Core", "Tusk.Storage", "Tusk.Protocols.Kafka", "Tusk.Streams", "Tusk.Raft", "Tusk.Protocols.Postgres", "Tusk.Sql"]),
    ];

    private static readonly string _root = SourceLint.FindRepositoryRoot(AppContext.BaseDirectory);

    [Fact]
    public void CoreProjectsUseNoBannedApis()
    {
        var violations = new List<LintViolation>();
        var scanned = new List<string>();
        foreach (string project in SourceLint.CoreProjectDirectories(_root))
        {
            foreach (string file in SourceLint.SourceFiles(_root, project))
            {
                scanned.Add(file);
                violations.AddRange(SourceLint.ScanBannedApis(file, File.ReadAllText(Path.Combine(_root, file))));
            }
        }
        // Guard against a scan that silently finds nothing (a moved root or a broken file walk).
        Assert.Contains("src/Tusk.Core/Crc32C.cs", scanned);
        Assert.Contains("src/Tusk.Core/IO/OsFileSystem.cs", scanned);
        Assert.DoesNotContain(scanned, file => file.StartsWith("src/Tusk.Cli/", StringComparison.Ordinal));
        Assert.True(violations.Count == 0,
            "banned APIs in core projects (go through IClock/IRandom/IFileSystem, or add `// lint: allow <API> — <reason>`):\n"
            + string.Join("\n", violations));
    }

    [Fact]
    public void ProjectReferencesPointDownTheLayers()
    {
        var failures = new List<string>();
        foreach (var (project, mayReference) in _layerRules)
        {
            string csproj = Path.Combine(_root, "src", project, project + ".csproj");
            if (!File.Exists(csproj))
            {
                failures.Add($"src/{project}/{project}.csproj: missing (rename the rule with the project)");
                continue;
            }
            IReadOnlyList<string> references = SourceLint.ReadProjectReferences(File.ReadAllText(csproj));
            foreach (string forbidden in SourceLint.ForbiddenReferences(references, mayReference))
            {
                failures.Add($"src/{project}/{project}.csproj: references {forbidden}; it may reference only [{string.Join(", ", mayReference)}]");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("var now = DateTime.UtcNow;", "DateTime.UtcNow")]
    [InlineData("var now = DateTime.Now;", "DateTime.Now")]
    [InlineData("var now = DateTimeOffset.UtcNow;", "DateTimeOffset.UtcNow")]
    [InlineData("int n = Random.Shared.Next();", "Random.Shared")]
    [InlineData("var r = new Random(42);", "new Random")]
    [InlineData("var r = new System.Random();", "new Random")]
    [InlineData("var t = new Thread(Run);", "new Thread")]
    [InlineData("Thread.Sleep(10);", "Thread.Sleep")]
    [InlineData("ThreadPool.QueueUserWorkItem(Run);", "ThreadPool")]
    [InlineData("await Task.Delay(5);", "Task.Delay")]
    [InlineData("var watch = Stopwatch.StartNew();", "Stopwatch")]
    [InlineData("long t = Environment.TickCount64;", "Environment.TickCount")]
    [InlineData("var id = Guid.NewGuid();", "Guid.NewGuid")]
    [InlineData("byte[] data = File.ReadAllBytes(path);", "File")]
    [InlineData("bool ok = System.IO.File.Exists(path);", "File")]
    [InlineData("using var s = new FileStream(path, FileMode.Open);", "FileStream")]
    [InlineData("Directory.CreateDirectory(path);", "Directory")]
    [InlineData("x = Foo(\"text\", '\"', DateTime.Now);", "DateTime.Now")]
    public void ScannerReportsEachBannedApiWithItsLine(string statement, string api)
    {
        string source = "namespace X;\n\nclass C\n{\n    void M()\n    {\n        " + statement + "\n    }\n}\n";
        IReadOnlyList<LintViolation> violations = SourceLint.ScanBannedApis("src/Tusk.Core/C.cs", source);
        LintViolation violation = Assert.Single(violations);
        Assert.Equal(7, violation.Line);
        Assert.StartsWith(api + " is banned", violation.Rule, StringComparison.Ordinal);
        Assert.StartsWith("src/Tusk.Core/C.cs:7: ", violation.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("// Never call DateTime.Now here.")]
    [InlineData("/// <summary>Unlike <see cref=\"Stopwatch\"/>, this is simulated.</summary>")]
    [InlineData("/* Thread.Sleep(1) */ int x = 1;")]
    [InlineData("int x = 1; // File.Delete would be wrong")]
    [InlineData("string s = \"Guid.NewGuid and File.Exists\";")]
    [InlineData("string s = @\"Task.Delay \"\"quoted\"\" \";")]
    [InlineData("string s = \"\"\"Random.Shared\"\"\";")]
    [InlineData("using var handle = fileSystem.Open(path, FileOpenMode.ReadOnly);")]
    [InlineData("IFileHandle file = OsFile.Open(path); fs.SyncDirectory(dir);")]
    [InlineData("var name = options.File.Name; var d = config.Directory.Path;")]
    [InlineData("var random = new SeededRandom(seed); var clock = new SimClock();")]
    [InlineData("long ticks = clock.MonotonicTicks; var t = new DateTime(2020, 1, 1);")]
    public void ScannerIgnoresCommentsLiteralsAndLookalikes(string line)
    {
        IReadOnlyList<LintViolation> violations = SourceLint.ScanBannedApis("src/Tusk.Core/C.cs", "class C\n{\n" + line + "\n}\n");
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void ScannerTracksBlockCommentsAcrossLines()
    {
        string source = "/*\n Stopwatch.StartNew();\n*/ var watch = Stopwatch.StartNew();\n";
        LintViolation violation = Assert.Single(SourceLint.ScanBannedApis("src/Tusk.Core/C.cs", source));
        Assert.Equal(3, violation.Line);
    }

    [Fact]
    public void AllowCommentWithAReasonAllowsOnlyTheNamedApi()
    {
        string source =
            "// lint: allow Stopwatch — host-side latency histogram, never read by the core\n" +
            "var watch = Stopwatch.StartNew();\n" +
            "Thread.Sleep(1);\n";
        LintViolation violation = Assert.Single(SourceLint.ScanBannedApis("src/Tusk.Core/C.cs", source));
        Assert.Equal(3, violation.Line);
        Assert.StartsWith("Thread.Sleep", violation.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("// lint: allow File. — the OS seam for tools")]
    [InlineData("// lint: allow new Random( - seeded from the test's seed")]
    public void AllowCommentAcceptsTheApiAsWrittenInTheRule(string directive)
    {
        string source = directive + "\nvar a = File.ReadAllText(p); var r = new Random(1);\n";
        IReadOnlyList<LintViolation> violations = SourceLint.ScanBannedApis("src/Tusk.Core/C.cs", source);
        Assert.Single(violations);
    }

    [Theory]
    [InlineData("// lint: allow Stopwatch")]
    [InlineData("// lint: allow Stopwatch —")]
    [InlineData("// lint: allow Stopwach — typo in the API name")]
    [InlineData("// lint: permit Stopwatch — wrong verb")]
    public void MalformedAllowCommentIsReportedAndAllowsNothing(string directive)
    {
        string source = directive + "\nvar watch = Stopwatch.StartNew();\n";
        IReadOnlyList<LintViolation> violations = SourceLint.ScanBannedApis("src/Tusk.Core/C.cs", source);
        Assert.Equal(2, violations.Count);
        Assert.StartsWith("malformed lint directive", violations[0].Rule, StringComparison.Ordinal);
        Assert.Equal(2, violations[1].Line);
    }

    [Fact]
    public void AllowListedSeamFileMayUseOnlyItsListedApis()
    {
        string source = "var h = File.OpenHandle(p); var s = new FileStream(p, FileMode.Open); Directory.Exists(d);\nThread.Sleep(1);\n";
        LintViolation violation = Assert.Single(SourceLint.ScanBannedApis("src/Tusk.Core/IO/OsFileSystem.cs", source));
        Assert.Equal(2, violation.Line);
        Assert.Equal(4, SourceLint.ScanBannedApis("src/Tusk.Core/IO/Other.cs", source).Count);
    }

    [Fact]
    public void ReferenceCheckReportsAnUpwardReference()
    {
        const string csproj = """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <ProjectReference Include="..\Tusk.Core\Tusk.Core.csproj" />
                <ProjectReference Include="../Tusk.Storage/Tusk.Storage.csproj" />
              </ItemGroup>
            </Project>
            """;
        IReadOnlyList<string> references = SourceLint.ReadProjectReferences(csproj);
        Assert.Equal(["Tusk.Core", "Tusk.Storage"], references);
        Assert.Equal(["Tusk.Storage"], SourceLint.ForbiddenReferences(references, ["Tusk.Core"]));
        Assert.Equal(["Tusk.Core", "Tusk.Storage"], SourceLint.ForbiddenReferences(references, []));
        Assert.Empty(SourceLint.ForbiddenReferences(references, ["Tusk.Core", "Tusk.Storage"]));
    }

    [Fact]
    public void RepositoryRootIsFoundFromTheTestOutputDirectory()
    {
        Assert.True(File.Exists(Path.Combine(_root, "Tusk.sln")));
        Assert.Throws<InvalidOperationException>(() => SourceLint.FindRepositoryRoot(Path.GetPathRoot(_root)!));
    }
}
