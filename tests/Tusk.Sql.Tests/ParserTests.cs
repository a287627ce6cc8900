using Tusk.Sql.Parser;
using Tusk.Testing;
using Xunit;

namespace Tusk.Sql.Tests;

/// <summary>
/// Golden files in testdata/parse: <c>parse</c> prints each statement's syntax tree (or the error with its 1-based
/// position, as PostgreSQL reports it); <c>expr</c> prints one expression. TUSK_REWRITE=1 rewrites the expectations.
/// </summary>
public sealed class ParserTests
{
    public static IEnumerable<object[]> Files => DataDriven.FilesIn("testdata/parse");

    [Theory]
    [MemberData(nameof(Files))]
    public void Run(string path) => DataDriven.RunFile(path, c =>
    {
        try
        {
            return c.Command switch
            {
                "parse" => string.Join("\n", SqlParser.Parse(c.Input).Select(AstPrinter.Print)) + "\n",
                "expr" => AstPrinter.Print(SqlParser.ParseExpression(c.Input)) + "\n",
                _ => throw c.Error("unknown command"),
            };
        }
        catch (SqlSyntaxException e)
        {
            return $"error {e.SqlState} at {e.Position}: {e.Message}\n";
        }
    });

    [Fact]
    public void ErrorPositionsPointAtTheOffendingToken()
    {
        var e = Assert.Throws<SqlSyntaxException>(() => SqlParser.Parse("SELECT a FROM t WHERE"));
        Assert.Equal("syntax error at end of input", e.Message);
        Assert.Equal(22, e.Position);
        e = Assert.Throws<SqlSyntaxException>(() => SqlParser.Parse("SELECT a, FROM t"));
        Assert.Equal(11, e.Position);
        Assert.Equal("syntax error at or near \"from\"", e.Message);
    }
}
