using System.Security.Cryptography;
using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

public static partial class Builtins
{
    private static void RegisterStrings()
    {
        foreach (var name in new[] { "length", "char_length", "character_length" })
            Add(name, Int4, [Text], a => TextOps.Length((string)a[0]!));
        Add("length", Int4, [Bytea], a => ((byte[])a[0]!).Length);
        Add("octet_length", Int4, [Text], a => Encoding.UTF8.GetByteCount((string)a[0]!));
        Add("octet_length", Int4, [Bytea], a => ((byte[])a[0]!).Length);
        Add("bit_length", Int4, [Text], a => Encoding.UTF8.GetByteCount((string)a[0]!) * 8);
        Add("lower", Text, [Text], a => ((string)a[0]!).ToLowerInvariant());
        Add("upper", Text, [Text], a => ((string)a[0]!).ToUpperInvariant());
        Add("initcap", Text, [Text], a => TextOps.InitCap((string)a[0]!));
        foreach (var name in new[] { "substr", "substring" })
        {
            Add(name, Text, [Text, Int4], a => TextOps.Substring((string)a[0]!, (int)a[1]!, null));
            Add(name, Text, [Text, Int4, Int4], a => TextOps.Substring((string)a[0]!, (int)a[1]!, (int)a[2]!));
            Add(name, Bytea, [Bytea, Int4], a => ByteaSubstring((byte[])a[0]!, (int)a[1]!, null));
            Add(name, Bytea, [Bytea, Int4, Int4], a => ByteaSubstring((byte[])a[0]!, (int)a[1]!, (int)a[2]!));
        }
        // position(sub IN s) reaches us as position(sub, s); strpos keeps PostgreSQL's (s, sub) order.
        Add("position", Int4, [Text, Text], a => TextOps.Position((string)a[1]!, (string)a[0]!));
        Add("strpos", Int4, [Text, Text], a => TextOps.Position((string)a[0]!, (string)a[1]!));
        foreach (var (name, leading, trailing) in new[] { ("btrim", true, true), ("trim", true, true), ("ltrim", true, false), ("rtrim", false, true) })
        {
            Add(name, Text, [Text], a => TextOps.Trim((string)a[0]!, " ", leading, trailing));
            Add(name, Text, [Text, Text], a => TextOps.Trim((string)a[0]!, (string)a[1]!, leading, trailing));
        }
        Add("replace", Text, [Text, Text, Text], a => ((string)a[1]!).Length == 0 ? a[0] : ((string)a[0]!).Replace((string)a[1]!, (string)a[2]!, StringComparison.Ordinal));
        Add("concat", Text, [Any], a => Concat(a, separator: null), strict: false, variadic: true);
        Add("concat_ws", Text, [Text, Any], a => a[0] is string separator ? Concat(a[1..], separator) : null, strict: false, variadic: true);
        Add("left", Text, [Text, Int4], a => Left((string)a[0]!, (int)a[1]!));
        Add("right", Text, [Text, Int4], a => Right((string)a[0]!, (int)a[1]!));
        Add("repeat", Text, [Text, Int4], a => Repeat((string)a[0]!, (int)a[1]!));
        Add("reverse", Text, [Text], a => TextOps.Reverse((string)a[0]!));
        Add("split_part", Text, [Text, Text, Int4], a => TextOps.SplitPart((string)a[0]!, (string)a[1]!, (int)a[2]!));
        Add("starts_with", Bool, [Text, Text], a => ((string)a[0]!).StartsWith((string)a[1]!, StringComparison.Ordinal));
        Add("lpad", Text, [Text, Int4], a => TextOps.Pad((string)a[0]!, (int)a[1]!, " ", left: true));
        Add("lpad", Text, [Text, Int4, Text], a => TextOps.Pad((string)a[0]!, (int)a[1]!, (string)a[2]!, left: true));
        Add("rpad", Text, [Text, Int4], a => TextOps.Pad((string)a[0]!, (int)a[1]!, " ", left: false));
        Add("rpad", Text, [Text, Int4, Text], a => TextOps.Pad((string)a[0]!, (int)a[1]!, (string)a[2]!, left: false));
        Add("chr", Text, [Int4], a => TextOps.Chr((int)a[0]!));
        Add("ascii", Int4, [Text], a => TextOps.Ascii((string)a[0]!));
        Add("md5", Text, [Text], a => Md5Hex(Encoding.UTF8.GetBytes((string)a[0]!)));
        Add("md5", Text, [Bytea], a => Md5Hex((byte[])a[0]!));
        Add("sha256", Bytea, [Bytea], a => SHA256.HashData((byte[])a[0]!));
        Add("sha512", Bytea, [Bytea], a => SHA512.HashData((byte[])a[0]!));
        Add("to_hex", Text, [Int4], a => TextOps.ToHex((int)a[0]!, isInt4: true));
        Add("to_hex", Text, [Int8], a => TextOps.ToHex((long)a[0]!, isInt4: false));
        Add("translate", Text, [Text, Text, Text], a => TextOps.Translate((string)a[0]!, (string)a[1]!, (string)a[2]!));
        Add("quote_ident", Text, [Text], a => TextOps.QuoteIdent((string)a[0]!));
        Add("quote_literal", Text, [Text], a => TextOps.QuoteLiteral((string)a[0]!));
        Add("quote_literal", Text, [Any], a => QuoteAny(a));
        Add("quote_nullable", Text, [Text], a => a[0] is string s ? TextOps.QuoteLiteral(s) : "NULL", strict: false);
        Add("quote_nullable", Text, [Any], a => a[0] is null ? "NULL" : QuoteAny(a), strict: false);
        Add("regexp_replace", Text, [Text, Text, Text], a => RegexSupport.Replace((string)a[0]!, (string)a[1]!, (string)a[2]!, ""));
        Add("regexp_replace", Text, [Text, Text, Text, Text], a => RegexSupport.Replace((string)a[0]!, (string)a[1]!, (string)a[2]!, (string)a[3]!));
        Add("regexp_like", Bool, [Text, Text], a => RegexSupport.IsMatch((string)a[0]!, (string)a[1]!, caseInsensitive: false));
        Add("regexp_like", Bool, [Text, Text, Text], a => RegexLike((string)a[0]!, (string)a[1]!, (string)a[2]!));
        Add("encode", Text, [Bytea, Text], a => ByteaEncoding.Encode((byte[])a[0]!, (string)a[1]!));
        Add("decode", Bytea, [Text, Text], a => ByteaEncoding.Decode((string)a[0]!, (string)a[1]!));
    }

    private static byte[] ByteaSubstring(byte[] data, long start, long? length)
    {
        if (length < 0) throw Error("22011", "negative substring length not allowed");
        var first = Math.Max(start, 1);
        var end = length is null ? data.Length + 1L : Math.Min(start + length.Value, data.Length + 1L);
        return end <= first ? [] : data[(int)(first - 1)..(int)(end - 1)];
    }

    private static string Concat(object?[] args, string? separator)
    {
        var (values, types) = SplitTypes(args);
        var offset = separator is null ? 0 : 1;  // concat_ws: types include the separator's
        var builder = new StringBuilder();
        var first = true;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is not { } value) continue;
            if (!first && separator is not null) builder.Append(separator);
            builder.Append(TextOps.Output(value, types[Math.Min(i + offset, types.Length - 1)]));
            first = false;
        }
        return builder.ToString();
    }

    private static string QuoteAny(object?[] args)
    {
        var (values, types) = SplitTypes(args);
        return TextOps.QuoteLiteral(TextOps.Output(values[0]!, types[0]));
    }

    private static string Left(string s, int n)
    {
        var length = TextOps.Length(s);
        return TextOps.Slice(s, 0, n >= 0 ? n : length + n);
    }

    private static string Right(string s, int n)
    {
        var length = TextOps.Length(s);
        var count = n >= 0 ? Math.Min(n, length) : Math.Max(length + n, 0);
        return TextOps.Slice(s, length - count, count);
    }

    /// <summary>Limit on repeat()'s output, as PostgreSQL's 1 GB field limit ("requested length too large").</summary>
    private const long RepeatLengthMax = 1L << 28;

    private static string Repeat(string s, int count)
    {
        if (count <= 0 || s.Length == 0) return "";
        if ((long)s.Length * count > RepeatLengthMax) throw Error("54000", "requested length too large");
        return new StringBuilder(s.Length * count).Insert(0, s, count).ToString();
    }

    private static bool RegexLike(string input, string pattern, string flags)
    {
        var (options, global, newlineSensitive) = RegexSupport.ParseFlags(flags);
        if (global) throw Error("22023", "regexp_like() does not support the \"global\" option");
        return RegexSupport.Build(pattern, options, newlineSensitive).IsMatch(input);
    }

#pragma warning disable CA5351 // md5() is PostgreSQL's checksum function, not used for security here
    private static string Md5Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));
#pragma warning restore CA5351
}
