using System.Globalization;
using System.Text;

namespace Tusk.Cli;

/// <summary>
/// Converts keys and values between command-line text and bytes. Input is UTF-8 text, or hex with a
/// <c>0x</c> prefix for binary. Output is either 0x-prefixed lowercase hex, or text in which every byte
/// that is not part of a printable UTF-8 character is escaped as <c>\xNN</c> and backslash, tab, newline and
/// carriage return are escaped as <c>\\ \t \n \r</c>, so a key or value never spans lines or tab fields.
/// Stateless and thread-safe.
/// </summary>
internal static class ByteText
{
    /// <summary>Bytes of <paramref name="text"/>: hex after a <c>0x</c> prefix, else UTF-8.</summary>
    /// <exception cref="UsageException">The text starts with 0x but the rest is not an even number of hex digits.</exception>
    public static byte[] Parse(string text, string what, string usage)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            string hex = text[2..];
            if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
            {
                throw new UsageException(
                    $"{what} '{text}' starts with 0x but is not an even number of hex digits (write 0x{Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text))} for the literal text)",
                    usage);
            }
            return Convert.FromHexString(hex);
        }
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Formats <paramref name="bytes"/> as 0x-hex (<paramref name="hex"/>) or escaped text.</summary>
    public static string Format(ReadOnlySpan<byte> bytes, bool hex)
    {
        if (hex)
        {
            return "0x" + Convert.ToHexStringLower(bytes);
        }
        var sb = new StringBuilder(bytes.Length);
        AppendEscaped(sb, bytes);
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="bytes"/> to <paramref name="sb"/> as escaped text.</summary>
    public static void AppendEscaped(StringBuilder sb, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out Rune rune, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                AppendByteEscape(sb, bytes[0]);
                bytes = bytes[1..];
                continue;
            }
            switch (rune.Value)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\t': sb.Append(@"\t"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                default:
                    if (IsPrintable(rune))
                    {
                        sb.Append(rune.ToString());
                    }
                    else
                    {
                        foreach (byte b in bytes[..consumed])
                        {
                            AppendByteEscape(sb, b);
                        }
                    }
                    break;
            }
            bytes = bytes[consumed..];
        }
    }

    private static void AppendByteEscape(StringBuilder sb, byte b) =>
        sb.Append(@"\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));

    private static bool IsPrintable(Rune rune)
    {
        UnicodeCategory category = Rune.GetUnicodeCategory(rune);
        return category is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator);
    }
}
