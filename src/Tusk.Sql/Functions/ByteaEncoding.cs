using System.Text;
using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>encode(bytea, format) and decode(text, format) for PostgreSQL's hex, base64 and escape formats.</summary>
internal static class ByteaEncoding
{
    /// <summary>PostgreSQL wraps base64 output at 76 characters (MIME).</summary>
    private const int Base64LineLengthMax = 76;

    public static string Encode(byte[] data, string format)
    {
        switch (format.ToLowerInvariant())
        {
            case "hex":
                return Convert.ToHexStringLower(data);
            case "base64":
            {
                var text = Convert.ToBase64String(data);
                if (text.Length <= Base64LineLengthMax) return text;
                var builder = new StringBuilder(text.Length + text.Length / Base64LineLengthMax);
                for (var i = 0; i < text.Length; i += Base64LineLengthMax)
                {
                    if (i > 0) builder.Append('\n');
                    builder.Append(text, i, Math.Min(Base64LineLengthMax, text.Length - i));
                }
                return builder.ToString();
            }
            case "escape":
            {
                var builder = new StringBuilder(data.Length);
                foreach (var b in data)
                {
                    if (b == '\\') builder.Append("\\\\");
                    else if (b == 0 || b >= 0x80) builder.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                    else builder.Append((char)b);
                }
                return builder.ToString();
            }
            default:
                throw new SqlDataException("22023", $"unrecognized encoding: \"{format}\"");
        }
    }

    public static byte[] Decode(string text, string format)
    {
        switch (format.ToLowerInvariant())
        {
            case "hex":
            {
                var digits = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
                try
                {
                    return Convert.FromHexString(digits);
                }
                catch (FormatException)
                {
                    throw new SqlDataException("22023", digits.Length % 2 == 1 ? "invalid hexadecimal data: odd number of digits" : "invalid hexadecimal digit");
                }
            }
            case "base64":
            {
                var digits = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
                try
                {
                    return Convert.FromBase64String(digits);
                }
                catch (FormatException)
                {
                    throw new SqlDataException("22023", "invalid base64 end sequence");
                }
            }
            case "escape":
                return DecodeEscape(text);
            default:
                throw new SqlDataException("22023", $"unrecognized encoding: \"{format}\"");
        }
    }

    private static byte[] DecodeEscape(string text)
    {
        var bytes = new List<byte>(text.Length);
        var utf8 = Encoding.UTF8.GetBytes(text);
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] != '\\') { bytes.Add(utf8[i]); continue; }
            if (i + 1 < utf8.Length && utf8[i + 1] == '\\') { bytes.Add((byte)'\\'); i++; continue; }
            if (i + 3 < utf8.Length && IsOctal(utf8[i + 1]) && IsOctal(utf8[i + 2]) && IsOctal(utf8[i + 3]))
            {
                bytes.Add((byte)(((utf8[i + 1] - '0') << 6) | ((utf8[i + 2] - '0') << 3) | (utf8[i + 3] - '0')));
                i += 3;
                continue;
            }
            throw new SqlDataException("22P02", "invalid input syntax for type bytea");
        }
        return [.. bytes];
    }

    private static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';
}
