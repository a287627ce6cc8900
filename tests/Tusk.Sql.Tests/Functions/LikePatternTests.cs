using Tusk.Sql.Functions;
using Xunit;
using static Tusk.Sql.Tests.Functions.SqlCall;

namespace Tusk.Sql.Tests.Functions;

/// <summary>LIKE / ILIKE: wildcards, escapes (default backslash, custom, none), code points, case folding.</summary>
public sealed class LikePatternTests
{
    [Theory]
    [InlineData("abc", "abc", true)]
    [InlineData("abc", "a%", true)]
    [InlineData("abc", "_b_", true)]
    [InlineData("abc", "%c", true)]
    [InlineData("abc", "c", false)]
    [InlineData("abc", "b%", false)]
    [InlineData("abc", "ab", false)]
    [InlineData("", "%", true)]
    [InlineData("", "_", false)]
    [InlineData("", "", true)]
    [InlineData("a%c", "a\\%c", true)]
    [InlineData("abc", "a\\%c", false)]
    [InlineData("a_c", "a\\_c", true)]
    [InlineData("abc", "a\\_c", false)]
    [InlineData("a\\c", "a\\\\c", true)]
    [InlineData("abc", "a\\bc", true)]
    [InlineData("a😀b", "a_b", true)]
    [InlineData("a😀b", "a__b", false)]
    [InlineData("mississippi", "%iss%ipp%", true)]
    [InlineData("mississippi", "m%ss%ss%", true)]
    [InlineData("aaa", "%a%a%a%a", false)]
    [InlineData("aaa", "%%a%%", true)]
    [InlineData("ABC", "abc", false)]
    [InlineData("line\nbreak", "line_break", true)]
    public void MatchesAsPostgresLike(string input, string pattern, bool expected)
    {
        Assert.Equal(expected, LikePattern.Matches(input, pattern, null, caseInsensitive: false));
    }

    [Theory]
    [InlineData("ABC", "abc", true)]
    [InlineData("Straße", "STRASSE", false)]
    [InlineData("ÉCOLE", "é%", true)]
    [InlineData("abc", "A_C", true)]
    public void IlikeFoldsCase(string input, string pattern, bool expected)
    {
        Assert.Equal(expected, LikePattern.Matches(input, pattern, null, caseInsensitive: true));
    }

    [Fact]
    public void CustomAndEmptyEscapes()
    {
        Assert.True(LikePattern.Matches("10%", "10#%", "#", false));
        Assert.False(LikePattern.Matches("100", "10#%", "#", false));
        Assert.True(LikePattern.Matches("a##b", "a####b", "#", false));
        Assert.True(LikePattern.Matches("a\\b", "a\\b", "", false));       // no escape: backslash is literal
        Assert.True(LikePattern.Matches("a\\xyz", "a\\%", "", false));
        Assert.True(LikePattern.Matches("x%", "x%%", "%", false));        // the escape may be a wildcard character
        Assert.False(LikePattern.Matches("xy", "x%%", "%", false));
    }

    [Fact]
    public void TrailingEscapeAndLongEscapeAreErrors()
    {
        var trailing = Fails(() => LikePattern.Matches("abc", "abc\\", null, false));
        Assert.Equal("22025", trailing.SqlState);
        Assert.Equal("LIKE pattern must not end with escape character", trailing.Message);
        Assert.Equal("22025", Fails(() => LikePattern.Matches("abc", "ab#", "#", false)).SqlState);
        Assert.Equal("22019", Fails(() => LikePattern.Matches("abc", "abc", "ab", false)).SqlState);
    }

    [Fact]
    public void LikeOperatorsAreAvailableByName()
    {
        Assert.Equal("t", Operator("~~", "abc", "a%").Text);
        Assert.Equal("t", Operator("~~*", "ABC", "a%").Text);
        Assert.Equal("f", Operator("!~~", "abc", "a%").Text);
    }

    [Theory]
    [InlineData("~", "thomas", ".*thom.*", "t")]
    [InlineData("~", "thomas", ".*Thom.*", "f")]
    [InlineData("~*", "thomas", ".*Thom.*", "t")]
    [InlineData("!~", "thomas", ".*thom.*", "f")]
    [InlineData("!~*", "thomas", ".*vadim.*", "t")]
    [InlineData("~", "a\nb", "a.b", "t")]
    [InlineData("~", "foo bar", "\\mbar", "t")]
    public void RegexOperators(string op, string input, string pattern, string expected)
    {
        Assert.Equal(expected, Operator(op, input, pattern).Text);
    }
}
