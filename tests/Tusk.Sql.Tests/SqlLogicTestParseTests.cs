using Tusk.Sql.Parser;
using Xunit;

namespace Tusk.Sql.Tests;

/// <summary>
/// Every statement and query of SQLite's public-domain sqllogictest files (select1, select2: the conformance goal of
/// issue #4, copied from ../shared/conformance) must parse; records marked <c>skipif postgresql</c> or
/// <c>onlyif</c> another engine are left out, as the conformance runner does.
/// </summary>
public sealed class SqlLogicTestParseTests
{
    [Theory]
    [InlineData("select1.test")]
    [InlineData("select2.test")]
    public void EveryRecordParses(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "testdata", "sqllogictest", file));
        var parsed = 0;
        var failures = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var skip = false;
            while (i < lines.Length && (lines[i].StartsWith("skipif", StringComparison.Ordinal) || lines[i].StartsWith("onlyif", StringComparison.Ordinal)))
            {
                var engine = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
                skip |= lines[i].StartsWith("skipif", StringComparison.Ordinal) ? engine == "postgresql" : engine != "postgresql";
                i++;
            }
            if (i >= lines.Length || !(lines[i].StartsWith("statement", StringComparison.Ordinal) || lines[i].StartsWith("query", StringComparison.Ordinal))) continue;
            var start = i + 1;
            var sql = new List<string>();
            for (i = start; i < lines.Length && lines[i].Length > 0 && lines[i] != "----"; i++) sql.Add(lines[i]);
            while (i < lines.Length && lines[i].Length > 0) i++;  // the expected results
            if (skip) continue;
            var text = string.Join("\n", sql);
            try
            {
                Assert.Single(SqlParser.Parse(text));
                parsed++;
            }
            catch (SqlSyntaxException e)
            {
                failures.Add($"{file}:{start + 1}: {e.Message} (position {e.Position}) in: {text}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} records do not parse:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(parsed > 1000, $"only {parsed} records parsed");
    }
}
