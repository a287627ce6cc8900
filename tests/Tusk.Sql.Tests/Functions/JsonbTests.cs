using Tusk.Sql.Functions;
using Tusk.Sql.Types;
using Xunit;
using static Tusk.Sql.Tests.Functions.SqlCall;

namespace Tusk.Sql.Tests.Functions;

/// <summary>jsonb's canonical text (what PostgreSQL prints for '...'::jsonb), its operators and functions.</summary>
public sealed class JsonbTests
{
    [Theory]
    [InlineData("{\"b\":1,\"a\":[1,2,{\"c\":null}]}", "{\"a\": [1, 2, {\"c\": null}], \"b\": 1}")]
    [InlineData("{\"aa\":1,\"b\":2,\"a\":3}", "{\"a\": 3, \"b\": 2, \"aa\": 1}")]
    [InlineData("{\"a\":1,\"a\":2}", "{\"a\": 2}")]
    [InlineData("{\"é\":1,\"z\":2,\"ab\":3}", "{\"z\": 2, \"ab\": 3, \"é\": 1}")]
    [InlineData("[1.0, 1e2, -0, 1.5E-3, 0.10, -12.5e1, 1E+2]", "[1.0, 100, 0, 0.0015, 0.10, -125, 100]")]
    [InlineData(" \"a\\u0041\\n\\u001f\\/\" ", "\"aA\\n\\u001f/\"")]
    [InlineData("\"\\ud83d\\ude00\"", "\"😀\"")]
    [InlineData(" [ ] ", "[]")]
    [InlineData("{ }", "{}")]
    [InlineData("true", "true")]
    [InlineData("null", "null")]
    [InlineData("[[], {}, [[1]]]", "[[], {}, [[1]]]")]
    public void CanonicalizesAsPostgresPrintsJsonb(string input, string expected)
    {
        Assert.Equal(expected, Jsonb.Canonicalize(input));
    }

    [Theory]
    [InlineData("{a:1}")]
    [InlineData("[1,]")]
    [InlineData("01")]
    [InlineData("nul")]
    [InlineData("")]
    [InlineData("[1] 2")]
    [InlineData("'x'")]
    [InlineData("NaN")]
    [InlineData("\"tab\there\"")]
    [InlineData("1.")]
    public void RejectsInvalidJson(string input)
    {
        var error = Fails(() => Jsonb.Canonicalize(input));
        Assert.Equal("22P02", error.SqlState);
        Assert.StartsWith("invalid input syntax for type json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NulEscapeIsUnsupported()
    {
        Assert.Equal("22P05", Fails(() => Jsonb.Canonicalize("\"\\u0000\"")).SqlState);
    }

    [Theory]
    [InlineData("{\"b\": [10, 20]}", "{\"a\":{\"b\":[10,20]}}::jsonb", "->", "a")]
    [InlineData(null, "{\"a\":1}::jsonb", "->", "z")]
    [InlineData("3", "[1,2,3]::jsonb", "->", -1)]
    [InlineData(null, "[1,2,3]::jsonb", "->", 3)]
    [InlineData("x", "{\"a\":\"x\"}::jsonb", "->>", "a")]
    [InlineData(null, "{\"a\":null}::jsonb", "->>", "a")]
    [InlineData("{\"b\": 1}", "{\"a\":{\"b\":1}}::jsonb", "->>", "a")]
    [InlineData("2", "[1,2]::jsonb", "->>", 1)]
    [InlineData("20", "{\"a\":{\"b\":[10,20]}}::jsonb", "#>", "{a,b,1}")]
    [InlineData("20", "{\"a\":{\"b\":[10,20]}}::jsonb", "#>>", "{a,b,-1}")]
    [InlineData(null, "{\"a\":{\"b\":[10,20]}}::jsonb", "#>", "{a,x}")]
    [InlineData("t", "{\"a\":1,\"b\":2}::jsonb", "@>", "{\"a\":1}")]
    [InlineData("f", "{\"a\":1}::jsonb", "@>", "{\"a\":1,\"b\":2}")]
    [InlineData("t", "[1,2,[3,4]]::jsonb", "@>", "[[3]]")]
    [InlineData("t", "[\"foo\",\"bar\"]::jsonb", "@>", "\"foo\"")]
    [InlineData("t", "{\"a\":[1,2,3]}::jsonb", "@>", "{\"a\":[3,1]}")]
    [InlineData("t", "{\"n\":1.0}::jsonb", "@>", "{\"n\":1}")]
    [InlineData("f", "{\"a\":[1,2]}::jsonb", "@>", "{\"a\":1}")]
    [InlineData("t", "{\"a\":1}::jsonb", "<@", "{\"a\":1,\"b\":2}")]
    [InlineData("t", "{\"a\":1}::jsonb", "?", "a")]
    [InlineData("t", "[\"a\",\"b\"]::jsonb", "?", "b")]
    [InlineData("f", "[1,2]::jsonb", "?", "1")]
    [InlineData("t", "{\"a\":1,\"b\":2}::jsonb", "?|", "{b,z}")]
    [InlineData("f", "{\"a\":1,\"b\":2}::jsonb", "?&", "{b,z}")]
    [InlineData("t", "{\"a\":1,\"b\":2}::jsonb", "?&", "{a,b}")]
    [InlineData("{\"a\": 3, \"b\": 2}", "{\"a\":1}::jsonb", "||", "{\"b\":2,\"a\":3}")]
    [InlineData("[1, 2, 3]", "[1]::jsonb", "||", "[2,3]")]
    [InlineData("[1, 2]", "[1]::jsonb", "||", "2")]
    [InlineData("[{\"a\": 1}, 2]", "{\"a\":1}::jsonb", "||", "[2]")]
    [InlineData("{\"b\": 2}", "{\"a\":1,\"b\":2}::jsonb", "-", "a")]
    [InlineData("[\"b\"]", "[\"a\",\"b\",\"a\"]::jsonb", "-", "a")]
    [InlineData("[1, 3]", "[1,2,3]::jsonb", "-", 1)]
    [InlineData("[1, 2]", "[1,2,3]::jsonb", "-", -1)]
    [InlineData("{\"a\": {\"c\": 2}}", "{\"a\":{\"b\":1,\"c\":2}}::jsonb", "#-", "{a,b}")]
    [InlineData("[\"a\", {\"b\": [1]}]", "[\"a\",{\"b\":[1,2]}]::jsonb", "#-", "{1,b,1}")]
    public void OperatorsComputeAsPostgres(string? expected, object left, string op, object right)
    {
        Assert.Equal(expected, Operator(op, left, right).Text);
    }

    [Theory]
    [InlineData("[{\"f1\": [2, 3, 4], \"f2\": null}, 2, null, 3]", "jsonb_set", "[{\"f1\":1,\"f2\":null},2,null,3]::jsonb", "{0,f1}", "[2,3,4]", false)]
    [InlineData("[{\"f1\": 1, \"f2\": null, \"f3\": [2, 3, 4]}, 2]", "jsonb_set", "[{\"f1\":1,\"f2\":null},2]::jsonb", "{0,f3}", "[2,3,4]")]
    [InlineData("[{\"f1\": 1, \"f2\": null}, 2]", "jsonb_set", "[{\"f1\":1,\"f2\":null},2]::jsonb", "{0,f3}", "[2,3,4]", false)]
    [InlineData("[0, 1, 2, 9]", "jsonb_set", "[0,1,2]::jsonb", "{10}", "9")]
    [InlineData("[9, 0, 1, 2]", "jsonb_set", "[0,1,2]::jsonb", "{-10}", "9")]
    [InlineData("{\"a\": {\"b\": 1}}", "jsonb_set", "{\"a\":{\"b\":1}}::jsonb", "{x,y}", "2")]
    [InlineData("[{\"f1\": 1}, 2, null, 3]", "jsonb_strip_nulls", "[{\"f1\":1, \"f2\":null}, 2, null, 3]::jsonb")]
    [InlineData("number", "jsonb_typeof", "-123.4::jsonb")]
    [InlineData("object", "jsonb_typeof", "{}::jsonb")]
    [InlineData("5", "jsonb_array_length", "[1,2,3,{\"f1\":1,\"f2\":[5,6]},4]::jsonb")]
    [InlineData("\"foo\"", "jsonb_extract_path", "{\"f2\":{\"f3\":1},\"f4\":{\"f5\":99,\"f6\":\"foo\"}}::jsonb", "f4", "f6")]
    [InlineData("foo", "jsonb_extract_path_text", "{\"f2\":{\"f3\":1},\"f4\":{\"f5\":99,\"f6\":\"foo\"}}::jsonb", "f4", "f6")]
    [InlineData("t", "jsonb_exists", "{\"a\":1}::jsonb", "a")]
    [InlineData("{\"a\": 1, \"b\": true, \"c\": null}", "jsonb_build_object", "a", 1, "b", true, "c", null)]
    [InlineData("{\"d\": \"2024-01-02\", \"n\": {\"x\": 1}}", "jsonb_build_object", "n", "{\"x\":1}::jsonb", "d", "2024-01-02::date")]
    [InlineData("{\"1\": 1.50}", "jsonb_build_object", 1, "1.50::numeric")]
    [InlineData("[1, \"two\", 1.50, null, [1]]", "jsonb_build_array", 1, "two", "1.50::numeric", null, "[1]::jsonb")]
    [InlineData("{}", "jsonb_build_object")]
    [InlineData("[]", "jsonb_build_array")]
    [InlineData("\"2024-01-02T03:04:05.5\"", "to_jsonb", "2024-01-02 03:04:05.5::timestamp")]
    [InlineData("\"2024-01-02T03:04:05+00:00\"", "to_jsonb", "2024-01-02 03:04:05+00::timestamptz")]
    [InlineData("100000000000000000000", "to_jsonb", 1e20)]
    [InlineData("\"NaN\"", "to_jsonb", double.NaN)]
    [InlineData("\"text\"", "to_jsonb", "text")]
    [InlineData("true", "to_jsonb", true)]
    [InlineData("{\"a\": 1}", "to_jsonb", "{\"a\":1}::jsonb")]
    [InlineData("\"01:02:03\"", "to_jsonb", "1 hour 2 minutes 3 seconds::interval")]
    public void FunctionsComputeAsPostgres(string? expected, string name, params object?[] args)
    {
        Assert.Equal(expected, Call(name, args).Text);
    }

    [Fact]
    public void PrettyPrintsWithFourSpacesAndEmptyContainersOnTheirOwnLines()
    {
        var expected = "{\n    \"a\": [\n        1,\n        {\n            \"b\": 2\n        }\n    ],\n    \"c\": {\n    }\n}";
        Assert.Equal(expected, Call("jsonb_pretty", "{\"c\":{},\"a\":[1,{\"b\":2}]}::jsonb").Text);
        Assert.Equal("[\n]", Call("jsonb_pretty", "[]::jsonb").Text);
        Assert.Equal("\"x\"", Call("jsonb_pretty", "\"x\"::jsonb").Text);
        Assert.Equal("[\n    [\n        1\n    ]\n]", Call("jsonb_pretty", "[[1]]::jsonb").Text);
    }

    [Fact]
    public void ErrorsCarryPostgresSqlStates()
    {
        Assert.Equal("22023", Fails(() => Call("jsonb_array_length", "{}::jsonb")).SqlState);
        Assert.Equal("22023", Fails(() => Call("jsonb_array_length", "1::jsonb")).SqlState);
        Assert.Equal("22023", Fails(() => Operator("-", "1::jsonb", "a")).SqlState);
        Assert.Equal("22023", Fails(() => Operator("-", "{}::jsonb", 1)).SqlState);
        Assert.Equal("22023", Fails(() => Call("jsonb_set", "1::jsonb", "{a}", "2")).SqlState);
        Assert.Equal("22P02", Fails(() => Call("jsonb_set", "[1]::jsonb", "{a}", "2")).SqlState);
        Assert.Equal("22P02", Fails(() => Operator("#>", "{}::jsonb", "a,b")).SqlState);
        Assert.Equal("22004", Fails(() => Call("jsonb_build_object", null, 1)).SqlState);
        Assert.Equal("22023", Fails(() => Call("jsonb_build_object", "a", 1, "b")).SqlState);
    }

    [Fact]
    public void PublicBuildersMatchTheFunctions()
    {
        Assert.Equal("{\"a\": 1, \"bb\": [1, 2]}", Jsonb.BuildObject([("bb", "[1,2]", SqlType.Jsonb), ("a", 1, SqlType.Int4)]));
        Assert.Equal("[\"x\", null, 2.5]", Jsonb.BuildArray([("x", SqlType.Text), (null, SqlType.Int4), (2.5, SqlType.Float8)]));
        Assert.Equal("\"a\\\"b\"", Jsonb.FromValue("a\"b", SqlType.Text));
        Assert.Equal("\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"", Jsonb.FromValue(Guid.Parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), SqlType.Uuid));
        Assert.Equal("\"\\\\x0102\"", Jsonb.FromValue(new byte[] { 1, 2 }, SqlType.Bytea));
        Assert.Equal("null", Jsonb.FromValue(null, SqlType.Int4));
    }
}
