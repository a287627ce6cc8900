using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Tusk.Core.Tests;

/// <summary>One finding of <see cref="SourceLint"/>, printed as <c>path:line: rule: source text</c>.</summary>
internal sealed record LintViolation(string Path, int Line, string Rule, string Text)
{
    public override string ToString() => $"{Path}:{Line}: {Rule}: {Text.Trim()}";
}

/// <summary>
/// The checks behind <see cref="LintTests"/>, written as pure functions over text so that tests can feed them
/// in-memory sources and project files and see them fail (STYLE.md C3, C9).
/// </summary>
internal static class SourceLint
{
    /// <summary>An API that core projects must not call, because it hides time, randomness, threads or disk.</summary>
    internal sealed record BannedApi(string Name, Regex Pattern, string Why);

    private static BannedApi Ban(string name, string pattern, string why) =>
        new(name, new Regex(pattern, RegexOptions.CultureInvariant), why);

    /// <summary>
    /// Banned in core projects. Names are what a <c>// lint: allow &lt;Name&gt; — &lt;reason&gt;</c> comment
    /// names. Member patterns skip member access on another object (<c>options.File.Name</c>) but catch fully
    /// qualified calls (<c>System.IO.File.Exists</c>).
    /// </summary>
    public static readonly IReadOnlyList<BannedApi> BannedApis =
    [
        Ban("DateTime.Now", @"\bDateTime\.Now\b", "wall clock: take time from IClock or as data"),
        Ban("DateTime.UtcNow", @"\bDateTime\.UtcNow\b", "wall clock: take time from IClock or as data"),
        Ban("DateTimeOffset.Now", @"\bDateTimeOffset\.Now\b", "wall clock: take time from IClock or as data"),
        Ban("DateTimeOffset.UtcNow", @"\bDateTimeOffset\.UtcNow\b", "wall clock: take time from IClock or as data"),
        Ban("Random.Shared", @"\bRandom\.Shared\b", "unseeded randomness: pass an IRandom"),
        Ban("new Random", @"\bnew\s+(?:System\.)?Random\s*\(", "unseeded randomness: pass an IRandom"),
        Ban("new Thread", @"\bnew\s+(?:System\.Threading\.)?Thread\s*\(", "threads belong to hosts"),
        Ban("Thread.Sleep", @"\bThread\.Sleep\b", "real time: cores count ticks"),
        Ban("ThreadPool", @"\bThreadPool\b", "threads belong to hosts"),
        Ban("Task.Delay", @"\bTask\.Delay\b", "real time: cores count ticks"),
        Ban("Stopwatch", @"\bStopwatch\b", "real time: use IClock.MonotonicTicks"),
        Ban("Environment.TickCount", @"\bEnvironment\.TickCount", "real time: use IClock.MonotonicTicks"),
        Ban("Guid.NewGuid", @"\bGuid\.NewGuid\b", "unseeded randomness: derive ids from an IRandom"),
        // Only the static I/O methods: a property or field named File (an IFileHandle, say) is not System.IO.File.
        Ban("File", @"(?<![\w.])File\.(?:Open|Create|Exists|Delete|Move|Copy|Read|Write|Append|Replace|SetAttributes|GetAttributes|SetLastWrite)|\bSystem\.IO\.File\.", "disk access: go through IFileSystem"),
        Ban("FileStream", @"\bFileStream\b", "disk access: go through IFileSystem"),
        Ban("Directory", @"(?<![\w.])Directory\.(?:Create|Delete|Exists|Enumerate|Get|Move|SetCurrent)|\bSystem\.IO\.Directory\.", "disk access: go through IFileSystem"),
    ];

    /// <summary>
    /// Files (paths relative to the repository root, '/' separated) that implement a seam on the OS and may
    /// use the listed APIs without a comment.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> AllowedByPath = new Dictionary<string, string[]>
    {
        ["src/Tusk.Core/IO/OsFileSystem.cs"] = ["File", "FileStream", "Directory"],
    };

    // "// lint: allow <API> — <reason>"; an en dash or "-"/"--" is accepted for the dash, the reason is required.
    private static readonly Regex _allowDirective =
        new(@"^\s*//\s*lint:\s*allow\s+(?<api>.+?)\s+(?:—|–|--?)\s+(?<reason>\S.*)$", RegexOptions.CultureInvariant);

    private static readonly Regex _anyDirective = new(@"^\s*//\s*lint:", RegexOptions.CultureInvariant);

    /// <summary>
    /// Banned API uses in <paramref name="source"/>, skipping comments (including <c>///</c> docs) and string
    /// and character literals. APIs named in a well-formed allow comment anywhere in the file, or in
    /// <see cref="AllowedByPath"/> for <paramref name="path"/>, are not reported; a malformed allow comment is.
    /// </summary>
    public static IReadOnlyList<LintViolation> ScanBannedApis(string path, string source)
    {
        string[] lines = source.Split('\n');
        var violations = new List<LintViolation>();
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        if (AllowedByPath.TryGetValue(path, out string[]? pathAllowed))
        {
            allowed.UnionWith(pathAllowed);
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (!_anyDirective.IsMatch(line))
            {
                continue;
            }
            Match match = _allowDirective.Match(line);
            string? api = match.Success ? NormalizeApiName(match.Groups["api"].Value) : null;
            if (api is null || !IsBannedName(api))
            {
                violations.Add(new LintViolation(path, i + 1,
                    "malformed lint directive (write `// lint: allow <API> — <reason>` with an API from SourceLint.BannedApis)", line));
                continue;
            }
            allowed.Add(api);
        }

        bool inBlockComment = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string code = CodeOnly(lines[i].TrimEnd('\r'), ref inBlockComment);
            if (code.Length == 0)
            {
                continue;
            }
            foreach (BannedApi banned in BannedApis)
            {
                if (!allowed.Contains(banned.Name) && banned.Pattern.IsMatch(code))
                {
                    violations.Add(new LintViolation(path, i + 1, $"{banned.Name} is banned in core projects ({banned.Why})", lines[i]));
                }
            }
        }
        return violations;
    }

    private static string NormalizeApiName(string api) => api.Trim().TrimEnd('(', '.').Trim();

    private static bool IsBannedName(string api)
    {
        foreach (BannedApi banned in BannedApis)
        {
            if (banned.Name == api)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The code on one line with comments removed and literals emptied. Tracks <c>/* */</c> across lines. Strings
    /// spanning lines (verbatim or raw) and interpolation holes are not modelled: their text counts as code or
    /// as literal respectively, which errs towards reporting or missing a use inside them.
    /// </summary>
    internal static string CodeOnly(string line, ref bool inBlockComment)
    {
        var code = new StringBuilder(line.Length);
        int i = 0;
        while (i < line.Length)
        {
            if (inBlockComment)
            {
                int end = line.IndexOf("*/", i, StringComparison.Ordinal);
                if (end < 0)
                {
                    break;
                }
                inBlockComment = false;
                i = end + 2;
                continue;
            }
            char c = line[i];
            char next = i + 1 < line.Length ? line[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                break;
            }
            if (c == '/' && next == '*')
            {
                inBlockComment = true;
                i += 2;
                continue;
            }
            if (c == '"')
            {
                bool verbatim = i > 0 && (line[i - 1] == '@' || (i > 1 && line[i - 1] == '$' && line[i - 2] == '@'));
                i = SkipString(line, i, verbatim);
                code.Append("\"\"");
                continue;
            }
            if (c == '\'')
            {
                i = SkipCharLiteral(line, i);
                code.Append("''");
                continue;
            }
            code.Append(c);
            i++;
        }
        return code.ToString().Trim();
    }

    /// <summary>Index just past the string literal opening at <paramref name="start"/> (or the line's end).</summary>
    private static int SkipString(string line, int start, bool verbatim)
    {
        if (string.CompareOrdinal(line, start, "\"\"\"", 0, 3) == 0)
        {
            int close = line.IndexOf("\"\"\"", start + 3, StringComparison.Ordinal);
            return close < 0 ? line.Length : close + 3;
        }
        int i = start + 1;
        while (i < line.Length)
        {
            char c = line[i];
            if (!verbatim && c == '\\')
            {
                i += 2;
                continue;
            }
            if (c == '"')
            {
                if (verbatim && i + 1 < line.Length && line[i + 1] == '"')
                {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return line.Length;
    }

    private static int SkipCharLiteral(string line, int start)
    {
        int i = start + 1;
        if (i < line.Length && line[i] == '\\')
        {
            i++;
        }
        int close = line.IndexOf('\'', Math.Min(i + 1, line.Length));
        return close < 0 ? line.Length : close + 1;
    }

    /// <summary>The directory holding <c>Tusk.sln</c>, walking up from <paramref name="start"/>.</summary>
    public static string FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Tusk.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no Tusk.sln above {start}");
    }

    /// <summary>Project directories under <c>src/</c> that hold core code: every <c>Tusk.*</c> except the CLI.</summary>
    public static IReadOnlyList<string> CoreProjectDirectories(string root)
    {
        var result = new List<string>();
        foreach (string directory in Directory.GetDirectories(Path.Combine(root, "src"), "Tusk.*"))
        {
            if (Path.GetFileName(directory) != "Tusk.Cli")
            {
                result.Add(directory);
            }
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>C# files of a project, without build output (bin/, obj/), as root-relative '/' paths.</summary>
    public static IReadOnlyList<string> SourceFiles(string root, string projectDirectory)
    {
        var result = new List<string>();
        foreach (string file in Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            string inProject = Path.GetRelativePath(projectDirectory, file).Replace('\\', '/');
            if (!inProject.StartsWith("bin/", StringComparison.Ordinal) && !inProject.StartsWith("obj/", StringComparison.Ordinal))
            {
                result.Add(relative);
            }
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>Project names (file names without extension) of the ProjectReference items in a csproj.</summary>
    public static IReadOnlyList<string> ReadProjectReferences(string csprojXml)
    {
        var references = new List<string>();
        foreach (XElement element in XDocument.Parse(csprojXml).Descendants())
        {
            if (element.Name.LocalName == "ProjectReference" && element.Attribute("Include") is { } include)
            {
                references.Add(Path.GetFileNameWithoutExtension(include.Value.Replace('\\', '/')));
            }
        }
        return references;
    }

    /// <summary>The entries of <paramref name="references"/> that <paramref name="mayReference"/> does not permit.</summary>
    public static IReadOnlyList<string> ForbiddenReferences(IReadOnlyList<string> references, IReadOnlyCollection<string> mayReference)
    {
        var forbidden = new List<string>();
        foreach (string reference in references)
        {
            if (!mayReference.Contains(reference))
            {
                forbidden.Add(reference);
            }
        }
        return forbidden;
    }
}
