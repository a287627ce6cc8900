using Tusk.Sql.Functions;
using Xunit;
using static Tusk.Sql.Tests.Functions.SqlCall;

namespace Tusk.Sql.Tests.Functions;

/// <summary>String functions against PostgreSQL 16's documented results (psql text output and result type).</summary>
public sealed class StringFunctionTests
{
    [Theory]
    [InlineData("3", "integer", "length", "abc")]
    [InlineData("5", "integer", "length", "héllo")]
    [InlineData("3", "integer", "char_length", "a😀b")]
    [InlineData("6", "integer", "octet_length", "héllo")]
    [InlineData("3", "integer", "length", "\\x010203::bytea")]
    [InlineData("abc", "text", "lower", "ABC")]
    [InlineData("ÉCOLE", "text", "upper", "école")]
    [InlineData("Hi Thomas", "text", "initcap", "hi THOMAS")]
    [InlineData("Foo-Bar 2nd", "text", "initcap", "foo-bar 2ND")]
    [InlineData("bcd", "text", "substr", "abcdef", 2, 3)]
    [InlineData("a", "text", "substr", "abcdef", -1, 3)]
    [InlineData("cdef", "text", "substring", "abcdef", 3)]
    [InlineData("", "text", "substring", "abcdef", 10, 2)]
    [InlineData("😀b", "text", "substr", "a😀bc", 2, 2)]
    [InlineData("2", "integer", "position", "b", "abc")]
    [InlineData("0", "integer", "position", "z", "abc")]
    [InlineData("2", "integer", "strpos", "high", "ig")]
    [InlineData("x", "text", "btrim", "  x  ")]
    [InlineData("trim", "text", "btrim", "xyxtrimyyx", "xyz")]
    [InlineData("test", "text", "ltrim", "zzzytest", "xyz")]
    [InlineData("test", "text", "rtrim", "testxxzx", "xyz")]
    [InlineData("x  ", "text", "ltrim", "  x  ")]
    [InlineData("abXXefabXXef", "text", "replace", "abcdefabcdef", "cd", "XX")]
    [InlineData("abc", "text", "replace", "abc", "", "X")]
    [InlineData("abcde", "text", "left", "abcde", 5)]
    [InlineData("ab", "text", "left", "abcde", 2)]
    [InlineData("abc", "text", "left", "abcde", -2)]
    [InlineData("de", "text", "right", "abcde", 2)]
    [InlineData("cde", "text", "right", "abcde", -2)]
    [InlineData("PgPgPgPg", "text", "repeat", "Pg", 4)]
    [InlineData("", "text", "repeat", "Pg", -1)]
    [InlineData("edcba", "text", "reverse", "abcde")]
    [InlineData("def", "text", "split_part", "abc~@~def~@~ghi", "~@~", 2)]
    [InlineData("ghi", "text", "split_part", "abc,def,ghi", ",", -1)]
    [InlineData("", "text", "split_part", "abc,def", ",", 5)]
    [InlineData("t", "boolean", "starts_with", "alphabet", "alph")]
    [InlineData("f", "boolean", "starts_with", "alphabet", "beta")]
    [InlineData("xyxhi", "text", "lpad", "hi", 5, "xy")]
    [InlineData("hixyx", "text", "rpad", "hi", 5, "xy")]
    [InlineData("hi   ", "text", "rpad", "hi", 5)]
    [InlineData("he", "text", "lpad", "hello", 2)]
    [InlineData("A", "text", "chr", 65)]
    [InlineData("😀", "text", "chr", 128512)]
    [InlineData("120", "integer", "ascii", "x")]
    [InlineData("0", "integer", "ascii", "")]
    [InlineData("900150983cd24fb0d6963f7d28e17f72", "text", "md5", "abc")]
    [InlineData("ff", "text", "to_hex", 255)]
    [InlineData("ffffffff", "text", "to_hex", -1)]
    [InlineData("ffffffffffffffff", "text", "to_hex", -1L)]
    [InlineData("a2x5", "text", "translate", "12345", "143", "ax")]
    [InlineData("foo", "text", "quote_ident", "foo")]
    [InlineData("\"Foo bar\"", "text", "quote_ident", "Foo bar")]
    [InlineData("\"select\"", "text", "quote_ident", "select")]
    [InlineData("'O''Reilly'", "text", "quote_literal", "O'Reilly")]
    [InlineData("E'C:\\\\Windows'", "text", "quote_literal", "C:\\Windows")]
    [InlineData("'42.5'", "text", "quote_literal", "42.5::numeric")]
    [InlineData("ThM", "text", "regexp_replace", "Thomas", ".[mN]a.", "M")]
    [InlineData("fooXarYXazY", "text", "regexp_replace", "foobarbaz", "b(..)", "X\\1Y", "g")]
    [InlineData("fooXarYbaz", "text", "regexp_replace", "foobarbaz", "b(..)", "X\\1Y")]
    [InlineData("X PXstgrXSQL fXnctXXn", "text", "regexp_replace", "A PostgreSQL function", "a|e|i|o|u", "X", "ig")]
    [InlineData("$1 [abc]", "text", "regexp_replace", "abc", "a(b)c", "$1 [\\&]", "")]
    [InlineData("t", "boolean", "regexp_like", "Hello World", "world$", "i")]
    [InlineData("t", "boolean", "regexp_like", "abc123", "^[[:alpha:]]+[[:digit:]]+$")]
    [InlineData("0102ff", "text", "encode", "\\x0102ff::bytea", "hex")]
    [InlineData("YWJj", "text", "encode", "abc::bytea", "base64")]
    [InlineData("\\000\\377A\\\\", "text", "encode", "\\x00ff415c::bytea", "escape")]
    [InlineData("\\x616263", "bytea", "decode", "YWJj", "base64")]
    [InlineData("\\x0aff", "bytea", "decode", "0AfF", "hex")]
    [InlineData("\\x615c00", "bytea", "decode", "a\\\\\\000", "escape")]
    [InlineData("\\x6263", "bytea", "substr", "\\x61626364::bytea", 2, 2)]
    public void ComputesAsPostgres(string expected, string expectedType, string name, params object?[] args)
    {
        var (text, type) = Call(name, args);
        Assert.Equal(expected, text);
        Assert.Equal(expectedType, type.Name);
    }

    [Fact]
    public void ConcatSkipsNullsAndFormatsEachTypeAsItsTextOutput()
    {
        Assert.Equal("abcde222t2024-01-02", Call("concat", "abcde", 2, null, 22, true, "2024-01-02::date").Text);
        Assert.Equal("1.50x", Call("concat", "1.50::numeric", "x").Text);
        Assert.Equal("abcde,2,22", Call("concat_ws", ",", "abcde", 2, null, 22).Text);
        Assert.Null(Call("concat_ws", null, "a", "b").Text);
        Assert.Equal("", Call("concat", null, null).Text);
    }

    [Fact]
    public void StrictFunctionsGiveNullForNullArguments()
    {
        Assert.Null(Call("length", (object?)null).Text);
        Assert.Equal("NULL", Call("quote_nullable", (object?)null).Text);
        Assert.Null(Call("substr", "abc", null, 1).Text);
        Assert.Null(Call("replace", "abc", null, "x").Text);
        Assert.Null(Call("lpad", null, 3, "x").Text);
        Assert.True(Builtins.Resolve("length", [Types.SqlType.Text])!.Strict);
        Assert.False(Builtins.Resolve("concat", [Types.SqlType.Text])!.Strict);
    }

    [Fact]
    public void ErrorsCarryPostgresSqlStates()
    {
        Assert.Equal("22011", Fails(() => Call("substr", "abc", 1, -1)).SqlState);
        Assert.Equal("22023", Fails(() => Call("split_part", "a,b", ",", 0)).SqlState);
        Assert.Equal("54000", Fails(() => Call("chr", 0)).SqlState);
        Assert.Equal("2201B", Fails(() => Call("regexp_replace", "a", "(", "b")).SqlState);
        Assert.Equal("22023", Fails(() => Call("regexp_replace", "a", "a", "b", "q")).SqlState);
        Assert.Equal("22023", Fails(() => Call("encode", "a::bytea", "rot13")).SqlState);
    }

    [Fact]
    public void Base64OutputWrapsAtSeventySixCharacters()
    {
        var text = Call("encode", new string('a', 100) + "::bytea", "base64").Text!;
        var lines = text.Split('\n');
        Assert.Equal(76, lines[0].Length);
        Assert.Equal(new string('a', 100), System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(string.Concat(lines))));
        Assert.Equal("\\x" + Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(new string('a', 100))), Call("decode", text, "base64").Text);
    }
}
