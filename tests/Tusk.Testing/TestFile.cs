using System.Text;

namespace Tusk.Testing;

/// <summary>
/// A parsed data-driven test file: its lines and where each case sits in them, so a rewrite can replace only the
/// expected outputs and keep comments, blank lines and inputs verbatim. Format: see <see cref="DataDriven"/>.
/// </summary>
internal sealed class TestFile
{
    private readonly string[] _lines;

    private TestFile(string[] lines, List<ParsedCase> cases)
    {
        _lines = lines;
        Cases = cases;
    }

    public IReadOnlyList<ParsedCase> Cases { get; }

    public static TestFile Parse(string text, string fileName)
    {
        string[] lines = DataDriven.SplitLines(text.Replace("\r\n", "\n", StringComparison.Ordinal));
        var cases = new List<ParsedCase>();
        int i = 0;
        while (i < lines.Length)
        {
            if (IsBlank(lines[i]) || lines[i].StartsWith('#'))
            {
                i++;
                continue;
            }
            int start = i;
            string commandLine = lines[i++];
            while (i < lines.Length && lines[i] != DataDriven.Separator)
            {
                i++;
            }
            if (i == lines.Length)
            {
                throw new DataDrivenException($"{fileName}:{start + 1}: `{commandLine}` has no {DataDriven.Separator} line before the end of the file");
            }
            int separator = i++;
            int outputStart;
            int outputEnd;
            if (i < lines.Length && lines[i] == DataDriven.Separator)
            {
                // Double-separator form: the output ends at the first "----" line followed by another.
                outputStart = ++i;
                while (i + 1 < lines.Length && !(lines[i] == DataDriven.Separator && lines[i + 1] == DataDriven.Separator))
                {
                    i++;
                }
                if (i + 1 >= lines.Length)
                {
                    throw new DataDrivenException($"{fileName}:{start + 1}: output of `{commandLine}` opened with {DataDriven.Separator}/{DataDriven.Separator} is never closed by {DataDriven.Separator}/{DataDriven.Separator}");
                }
                outputEnd = i;
                i += 2;
            }
            else
            {
                outputStart = i;
                while (i < lines.Length && !IsBlank(lines[i]))
                {
                    i++;
                }
                outputEnd = i;
            }
            var (command, args) = CommandLineParser.Parse(commandLine, $"{fileName}:{start + 1}");
            string input = string.Join('\n', lines[(start + 1)..separator]);
            var expected = new StringBuilder();
            for (int k = outputStart; k < outputEnd; k++)
            {
                expected.Append(lines[k]).Append('\n');
            }
            var testCase = new TestCase(fileName, start + 1, commandLine, command, args, input, expected.ToString());
            cases.Add(new ParsedCase(testCase, start, separator, i));
        }
        return new TestFile(lines, cases);
    }

    /// <summary>The file text with each case's expected output replaced by <paramref name="outputs"/> (normalized, one per case).</summary>
    public string Render(IReadOnlyList<string> outputs)
    {
        if (outputs.Count != Cases.Count)
        {
            throw new ArgumentException($"{outputs.Count} outputs for {Cases.Count} cases", nameof(outputs));
        }
        var text = new StringBuilder();
        int next = 0;
        for (int c = 0; c < Cases.Count; c++)
        {
            var parsed = Cases[c];
            AppendLines(text, next, parsed.Separator + 1); // Lines before the case, the command, input and "----".
            string[] output = DataDriven.SplitLines(outputs[c]);
            bool doubleForm = NeedsDoubleSeparator(output, parsed.Case);
            if (doubleForm)
            {
                text.Append(DataDriven.Separator).Append('\n');
            }
            foreach (string line in output)
            {
                text.Append(line).Append('\n');
            }
            if (doubleForm)
            {
                text.Append(DataDriven.Separator).Append('\n').Append(DataDriven.Separator).Append('\n');
            }
            next = parsed.End;
            if (!doubleForm && next < _lines.Length && !IsBlank(_lines[next]))
            {
                text.Append('\n'); // A single-form output ends at a blank line; keep the next case apart.
            }
        }
        AppendLines(text, next, _lines.Length);
        return text.ToString();
    }

    private static bool NeedsDoubleSeparator(string[] output, TestCase testCase)
    {
        bool needed = output.Length > 0 && output[0] == DataDriven.Separator;
        for (int i = 0; i < output.Length; i++)
        {
            needed |= IsBlank(output[i]);
            if (i + 1 < output.Length && output[i] == DataDriven.Separator && output[i + 1] == DataDriven.Separator)
            {
                throw new DataDrivenException($"{testCase.Position}: output of `{testCase.CommandLine}` has two {DataDriven.Separator} lines in a row; it cannot be written to a test file");
            }
        }
        return needed;
    }

    private void AppendLines(StringBuilder text, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            text.Append(_lines[i]).Append('\n');
        }
    }

    private static bool IsBlank(string line) => string.IsNullOrWhiteSpace(line);

    /// <summary>A case and its line span: [Start, End) in the file's lines; Separator is the index of its first "----".</summary>
    internal readonly record struct ParsedCase(TestCase Case, int Start, int Separator, int End);
}

/// <summary>Splits a command line into the command and its arguments (see <see cref="TestArg"/> for the forms).</summary>
internal static class CommandLineParser
{
    public static (string Command, IReadOnlyList<TestArg> Args) Parse(string line, string position)
    {
        int i = 0;
        SkipSpaces(line, ref i);
        string command = ReadWord(line, ref i, stopAtEquals: false);
        var args = new List<TestArg>();
        while (true)
        {
            SkipSpaces(line, ref i);
            if (i == line.Length)
            {
                break;
            }
            string key = ReadWord(line, ref i, stopAtEquals: true);
            if (key.Length == 0)
            {
                throw new DataDrivenException($"{position}: argument with an empty name in `{line}`");
            }
            var values = new List<string>();
            if (i < line.Length && line[i] == '=')
            {
                i++;
                if (i < line.Length && line[i] == '(')
                {
                    int close = line.IndexOf(')', i);
                    if (close < 0)
                    {
                        throw new DataDrivenException($"{position}: argument {key} has an unclosed '(' in `{line}`");
                    }
                    string inner = line[(i + 1)..close];
                    if (inner.Trim().Length > 0)
                    {
                        foreach (string value in inner.Split(','))
                        {
                            values.Add(value.Trim());
                        }
                    }
                    i = close + 1;
                }
                else if (i < line.Length && line[i] == '"')
                {
                    int close = line.IndexOf('"', i + 1);
                    if (close < 0)
                    {
                        throw new DataDrivenException($"{position}: argument {key} has an unclosed '\"' in `{line}`");
                    }
                    values.Add(line[(i + 1)..close]);
                    i = close + 1;
                }
                else
                {
                    values.Add(ReadWord(line, ref i, stopAtEquals: false));
                }
            }
            if (args.Exists(a => a.Key == key))
            {
                throw new DataDrivenException($"{position}: argument {key} given twice in `{line}`");
            }
            args.Add(new TestArg(key, values));
        }
        return (command, args);
    }

    private static void SkipSpaces(string line, ref int i)
    {
        while (i < line.Length && char.IsWhiteSpace(line[i]))
        {
            i++;
        }
    }

    private static string ReadWord(string line, ref int i, bool stopAtEquals)
    {
        int start = i;
        while (i < line.Length && !char.IsWhiteSpace(line[i]) && !(stopAtEquals && line[i] == '='))
        {
            i++;
        }
        return line[start..i];
    }
}
