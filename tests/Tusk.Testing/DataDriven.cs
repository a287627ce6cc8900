using System.Text;

namespace Tusk.Testing;

/// <summary>
/// Runs data-driven ("golden file") tests (STYLE.md C4), after the idea of cockroachdb/datadriven. A test file is a
/// script of cases, each handed to a handler whose output is compared with the expected text in the file:
/// <code>
/// # Lines starting with '#' between cases are comments, kept verbatim on rewrite.
/// put key=a value="x y" tags=(t1, t2)
/// optional input line
/// ----
/// expected output line
/// expected output line
///
/// scan
/// ----
/// ----
/// output that contains
///
/// a blank line
/// ----
/// ----
/// </code>
/// A case is a command line (<c>name arg key=value key="v w" key=(a, b)</c>), input lines up to a line <c>----</c>,
/// then the expected output up to a blank line or the end of the file. When the output itself has blank lines it
/// goes between <c>----</c>/<c>----</c> and <c>----</c>/<c>----</c> (the rewriter chooses this form by itself).
/// Outputs are compared exactly after adding a final '\n' to a non-empty output that lacks it.
///
/// <para><b>Rewriting.</b> With the environment variable <c>TUSK_REWRITE=1</c>, every case runs and the file is
/// rewritten with the actual outputs instead of failing; review the diff before committing. Tests run from
/// <c>bin/</c>, where the build copied <c>testdata/</c>; so a file under <see cref="AppContext.BaseDirectory"/> is
/// written back to the source tree: the runner walks up from the base directory to the nearest folder holding a
/// <c>*.csproj</c> (the test project; it must sit below the folder holding <c>Tusk.sln</c>) and writes the file at
/// the same relative path there (<c>bin/Debug/net10.0/testdata/x.txt</c> → <c>tests/P/testdata/x.txt</c>), and
/// also updates the copy in <c>bin/</c>. A file outside the base directory (e.g. a temporary file) is rewritten in
/// place. See <see cref="SourcePathFor"/>.</para>
///
/// <para>Relative paths given to <see cref="RunFile(string, Func{TestCase, string})"/> and <see cref="FilesIn"/> are
/// resolved against <see cref="AppContext.BaseDirectory"/>, not the current directory. Messages name the file as
/// given, with the line of the failing command.</para>
/// </summary>
public static class DataDriven
{
    /// <summary>The environment variable that turns on rewriting when set to <c>1</c> (or <c>true</c>).</summary>
    public const string RewriteVariable = "TUSK_REWRITE";

    /// <summary>The line that separates a command (and its input) from its expected output.</summary>
    public const string Separator = "----";

    // Above this many expected x actual lines the diff is skipped and both outputs are printed whole.
    private const long DiffCellsMax = 4_000_000;

    /// <summary>True when <see cref="RewriteVariable"/> asks for expectations to be rewritten.</summary>
    public static bool RewriteRequested
    {
        get
        {
            string? value = Environment.GetEnvironmentVariable(RewriteVariable);
            return value == "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// Runs every case of the file at <paramref name="path"/> through <paramref name="handler"/>, in order. Throws
    /// <see cref="DataDrivenException"/> at the first output that differs from the expected one, with a line diff
    /// naming file:line, unless <see cref="RewriteRequested"/>, in which case the file is rewritten (see the type).
    /// </summary>
    public static void RunFile(string path, Func<TestCase, string> handler) => RunFile(path, handler, RewriteRequested);

    /// <summary>
    /// As <see cref="RunFile(string, Func{TestCase, string})"/>, with rewriting chosen by <paramref name="rewrite"/>
    /// instead of the environment.
    /// </summary>
    public static void RunFile(string path, Func<TestCase, string> handler, bool rewrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(handler);
        string fullPath = Resolve(path);
        if (!File.Exists(fullPath))
        {
            throw new DataDrivenException($"test file {path} not found at {fullPath}");
        }
        var file = TestFile.Parse(File.ReadAllText(fullPath), path);
        if (!rewrite)
        {
            foreach (var parsed in file.Cases)
            {
                string actual = Run(parsed.Case, handler);
                if (actual != parsed.Case.Expected)
                {
                    throw new DataDrivenException(MismatchMessage(parsed.Case, actual));
                }
            }
            return;
        }
        var outputs = new List<string>(file.Cases.Count);
        foreach (var parsed in file.Cases)
        {
            outputs.Add(Run(parsed.Case, handler));
        }
        string text = file.Render(outputs);
        string source = SourcePathFor(fullPath);
        File.WriteAllText(source, text);
        if (!string.Equals(Path.GetFullPath(source), Path.GetFullPath(fullPath), StringComparison.Ordinal))
        {
            File.WriteAllText(fullPath, text);
        }
    }

    /// <summary>
    /// Parses data-driven test text into its cases without running them. <paramref name="fileName"/> is used in
    /// positions and messages. Throws <see cref="DataDrivenException"/> naming file:line for malformed text.
    /// </summary>
    public static IReadOnlyList<TestCase> Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var cases = new List<TestCase>();
        foreach (var parsed in TestFile.Parse(text, fileName).Cases)
        {
            cases.Add(parsed.Case);
        }
        return cases;
    }

    /// <summary>
    /// The files under <paramref name="directory"/> (recursively, skipping names that start with '.'), sorted
    /// ordinally, each as a one-element row for an xunit <c>[Theory]</c> with <c>[MemberData]</c>. A relative
    /// directory is resolved against <see cref="AppContext.BaseDirectory"/> and the paths returned stay relative
    /// (e.g. <c>testdata/wal/basic.txt</c>), so test names and messages are short.
    /// </summary>
    public static IEnumerable<object[]> FilesIn(string directory)
    {
        foreach (string file in ListFiles(directory))
        {
            yield return [file];
        }
    }

    /// <summary>The files <see cref="FilesIn"/> yields, as a list of paths.</summary>
    public static IReadOnlyList<string> ListFiles(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string fullDirectory = Resolve(directory);
        if (!Directory.Exists(fullDirectory))
        {
            throw new DataDrivenException(
                $"testdata directory {directory} not found at {fullDirectory}; is it copied to the output "
                + "(<None Include=\"testdata\\**\\*\" CopyToOutputDirectory=\"PreserveNewest\" />)?");
        }
        var files = new List<string>();
        foreach (string file in Directory.EnumerateFiles(fullDirectory, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(fullDirectory, file).Replace('\\', '/');
            if (relative.Split('/').Any(segment => segment.StartsWith('.')))
            {
                continue;
            }
            files.Add(directory.TrimEnd('/', '\\') + "/" + relative);
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>
    /// Where a rewrite of the test file at <paramref name="path"/> goes. A file under
    /// <see cref="AppContext.BaseDirectory"/> maps to the same relative path under the test project's directory:
    /// the nearest ancestor of the base directory holding a <c>*.csproj</c>, which must lie below the folder
    /// holding <c>Tusk.sln</c>. Any other file maps to itself. Throws <see cref="DataDrivenException"/> when the
    /// project directory cannot be found.
    /// </summary>
    public static string SourcePathFor(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(Resolve(path));
        string baseDirectory = Path.GetFullPath(AppContext.BaseDirectory);
        if (!baseDirectory.EndsWith(Path.DirectorySeparatorChar))
        {
            baseDirectory += Path.DirectorySeparatorChar;
        }
        if (!full.StartsWith(baseDirectory, StringComparison.Ordinal))
        {
            return full;
        }
        string projectDirectory = FindProjectDirectory(baseDirectory);
        return Path.Combine(projectDirectory, Path.GetRelativePath(baseDirectory, full));
    }

    private static string FindProjectDirectory(string baseDirectory)
    {
        string? project = null;
        for (var directory = new DirectoryInfo(baseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Tusk.sln")))
            {
                return project ?? throw new DataDrivenException(
                    $"no *.csproj between {baseDirectory} and the solution folder {directory.FullName}: cannot map testdata back to the source tree");
            }
            if (project is null && directory.EnumerateFiles("*.csproj").Any())
            {
                project = directory.FullName;
            }
        }
        throw new DataDrivenException($"no folder holding Tusk.sln above {baseDirectory}: cannot map testdata back to the source tree");
    }

    private static string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);

    private static string Run(TestCase testCase, Func<TestCase, string> handler)
    {
        string? output;
        try
        {
            output = handler(testCase);
        }
        catch (DataDrivenException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new DataDrivenException($"{testCase.Position}: `{testCase.CommandLine}` threw {e.GetType().Name}: {e.Message}", e);
        }
        return NormalizeOutput(output ?? "");
    }

    /// <summary>Uses '\n' line ends and ends a non-empty output with '\n'.</summary>
    internal static string NormalizeOutput(string output)
    {
        string text = output.Replace("\r\n", "\n", StringComparison.Ordinal);
        return text.Length == 0 || text.EndsWith('\n') ? text : text + "\n";
    }

    private static string MismatchMessage(TestCase testCase, string actual)
    {
        var message = new StringBuilder();
        message.Append(testCase.Position).Append(": output of `").Append(testCase.CommandLine)
            .Append("` differs from the expected output (rerun with ").Append(RewriteVariable)
            .Append("=1 to rewrite the file, then review the diff)\n");
        if (string.Equals(testCase.Expected.TrimEnd(), actual.TrimEnd(), StringComparison.Ordinal))
        {
            message.Append("(they differ only in trailing whitespace or blank lines)\n");
        }
        message.Append("--- expected\n+++ actual\n");
        AppendDiff(message, SplitLines(testCase.Expected), SplitLines(actual));
        return message.ToString();
    }

    internal static string[] SplitLines(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }
        string[] lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    // A line diff from a longest common subsequence: "  " common, "- " only expected, "+ " only actual.
    private static void AppendDiff(StringBuilder message, string[] expected, string[] actual)
    {
        if ((long)(expected.Length + 1) * (actual.Length + 1) > DiffCellsMax)
        {
            foreach (string line in expected)
            {
                message.Append("- ").Append(line).Append('\n');
            }
            foreach (string line in actual)
            {
                message.Append("+ ").Append(line).Append('\n');
            }
            return;
        }
        // common[i, j] = length of the LCS of expected[i..] and actual[j..].
        var common = new int[expected.Length + 1, actual.Length + 1];
        for (int i = expected.Length - 1; i >= 0; i--)
        {
            for (int j = actual.Length - 1; j >= 0; j--)
            {
                common[i, j] = expected[i] == actual[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }
        int e = 0, a = 0;
        while (e < expected.Length || a < actual.Length)
        {
            if (e < expected.Length && a < actual.Length && expected[e] == actual[a])
            {
                message.Append("  ").Append(expected[e++]).Append('\n');
                a++;
            }
            else if (a == actual.Length || (e < expected.Length && common[e + 1, a] >= common[e, a + 1]))
            {
                message.Append("- ").Append(expected[e++]).Append('\n');
            }
            else
            {
                message.Append("+ ").Append(actual[a++]).Append('\n');
            }
        }
    }
}
