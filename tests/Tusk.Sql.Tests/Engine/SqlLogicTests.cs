using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Tusk.Sql.Types;
using Xunit;

namespace Tusk.Sql.Tests.Engine;

/// <summary>
/// SQLite's sqllogictest files run in-process against the engine (the same semantics as
/// ../shared/conformance/slt_runner.py, which runs them over the wire in the CLI tests): every query must match.
/// </summary>
public sealed class SqlLogicTests
{
    [Theory]
    [InlineData("select1.test")]
    [InlineData("select2.test")]
    public void FilePasses(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "testdata", "sqllogictest", file);
        var failures = Run(path, out var passed);
        Assert.True(failures.Count == 0, $"{failures.Count} failed, {passed} passed; first failures:\n" + string.Join("\n\n", failures.Take(8)));
        Assert.True(passed > 900, $"only {passed} records ran");
    }

    internal static List<string> Run(string path, out int passed)
    {
        using var db = new SqlTestDatabase();
        var lines = File.ReadAllLines(path);
        var failures = new List<string>();
        passed = 0;
        var threshold = 8;
        var i = 0;
        while (i < lines.Length)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                i++;
                continue;
            }
            var conditions = new List<string[]>();
            while (line.StartsWith("skipif", StringComparison.Ordinal) || line.StartsWith("onlyif", StringComparison.Ordinal))
            {
                conditions.Add(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                line = lines[++i].Trim();
            }
            var skip = conditions.Any(c => c[0] == "skipif" && c[1] == "postgresql" || c[0] == "onlyif" && c[1] != "postgresql");
            var head = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var recordLine = i + 1;
            i++;
            if (head[0] == "halt") break;
            if (head[0] == "hash-threshold")
            {
                threshold = int.Parse(head[1], CultureInfo.InvariantCulture);
                continue;
            }
            var sql = new StringBuilder();
            while (i < lines.Length && lines[i].Trim().Length > 0 && lines[i].Trim() != "----") sql.AppendLine(lines[i++]);
            var expected = new List<string>();
            if (i < lines.Length && lines[i].Trim() == "----")
            {
                i++;
                while (i < lines.Length && lines[i].Trim().Length > 0) expected.Add(lines[i++].TrimEnd());
            }
            if (skip) continue;
            if (head[0] == "statement")
            {
                var expectOk = head.Length > 1 && head[1] == "ok";
                try
                {
                    SqlTestDatabase.Run(db.Session, sql.ToString());
                    if (expectOk) passed++;
                    else failures.Add($"line {recordLine}: expected an error\n{sql}");
                }
                catch (SqlException e)
                {
                    if (!expectOk) passed++;
                    else failures.Add($"line {recordLine}: {e.SqlState} {e.Message}\n{sql}");
                }
                continue;
            }
            var types = head[1];
            var sort = head.Length > 2 ? head[2] : "nosort";
            try
            {
                var result = SqlTestDatabase.Run(db.Session, sql.ToString());
                var rows = result.Rows.Select(r => r.Select((v, c) => Format(v, c < types.Length ? types[c] : 'T', result.Columns![c].Type)).ToList()).ToList();
                if (sort == "rowsort") rows.Sort((a, b) => string.CompareOrdinal(string.Join(" ", a), string.Join(" ", b)));
                var values = rows.SelectMany(r => r).ToList();
                if (sort == "valuesort") values.Sort(string.CompareOrdinal);
                List<string> actual;
                if (expected.Count == 1 && expected[0].Contains(" values hashing to ", StringComparison.Ordinal) || values.Count > threshold && threshold > 0)
                {
                    var md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(string.Concat(values.Select(v => v + "\n")))));
                    actual = [$"{values.Count} values hashing to {md5}"];
                }
                else
                {
                    actual = values;
                }
                if (actual.SequenceEqual(expected)) passed++;
                else failures.Add($"line {recordLine}: expected [{string.Join(", ", expected.Take(10))}] got [{string.Join(", ", actual.Take(10))}]\n{sql}");
            }
            catch (Exception e)
            {
                failures.Add($"line {recordLine}: {(e as SqlException)?.SqlState} {e.GetType().Name} {e.Message}\n{sql}");
            }
        }
        return failures;
    }

    private static string Format(object? v, char type, SqlType sqlType)
    {
        if (v is null) return "NULL";
        var s = TextFormat.Format(v, sqlType);
        switch (type)
        {
            case 'I':
                if (s is "t" or "true") return "1";
                if (s is "f" or "false") return "0";
                if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l.ToString(CultureInfo.InvariantCulture);
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return ((long)d).ToString(CultureInfo.InvariantCulture);
                return "0";
            case 'R':
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? r.ToString("F3", CultureInfo.InvariantCulture) : "0.000";
            default:
                if (s.Length == 0) return "(empty)";
                return new string(s.Select(c => c is >= ' ' and <= '~' ? c : '@').ToArray());
        }
    }
}
