using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using Xunit;

namespace Tusk.Protocols.Kafka.Tests;

/// <summary>Reads a message body at a version (the shape every message's static Read has).</summary>
internal delegate T ReadBody<out T>(ref KafkaReader reader, short version);

/// <summary>Byte helpers for the codec tests: body bytes out of a writer, hex in and out, structural equality.</summary>
internal static class Wire
{
    /// <summary>The body a write produced (the frame without its 4-byte size prefix).</summary>
    public static byte[] Body(Action<KafkaWriter> write)
    {
        var w = new KafkaWriter(16);
        write(w);
        return w.FinishFrame().Span[4..].ToArray();
    }

    /// <summary>Reads <paramref name="body"/> and checks that the message used every byte.</summary>
    public static T ReadAll<T>(byte[] body, short version, ReadBody<T> read)
    {
        var r = new KafkaReader(body);
        T message = read(ref r, version);
        Assert.Equal(0, r.Remaining);
        return message;
    }

    /// <summary>Bytes from hex digits; spaces, '|' and newlines are ignored (they only group fields).</summary>
    public static byte[] Hex(string hex)
    {
        var digits = new StringBuilder();
        foreach (char c in hex)
        {
            if (Uri.IsHexDigit(c))
            {
                digits.Append(c);
            }
            else if (c != ' ' && c != '|' && c != '\n' && c != '\r')
            {
                throw new ArgumentException($"unexpected '{c}' in hex");
            }
        }
        return Convert.FromHexString(digits.ToString());
    }

    /// <summary>Hex dump, 16 bytes a line, as the golden files hold it.</summary>
    public static string Dump(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < bytes.Length; i += 16)
        {
            sb.Append(i.ToString("x4", CultureInfo.InvariantCulture)).Append(' ');
            for (int j = i; j < Math.Min(i + 16, bytes.Length); j++)
            {
                sb.Append(' ').Append(bytes[j].ToString("x2", CultureInfo.InvariantCulture));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// Asserts two messages are equal field by field: public properties recursively, lists element-wise,
    /// memory by content. Properties named in <paramref name="ignored"/> are skipped (read-side bookkeeping).
    /// </summary>
    public static void AssertDeepEqual(object? expected, object? actual, params string[] ignored)
    {
        string? difference = Difference(expected, actual, "message", ignored);
        Assert.True(difference == null, difference);
    }

    private static string? Difference(object? expected, object? actual, string path, string[] ignored)
    {
        if (expected == null || actual == null)
        {
            return expected == null && actual == null ? null : $"{path}: expected {Show(expected)}, got {Show(actual)}";
        }
        if (expected.GetType() != actual.GetType())
        {
            return $"{path}: expected a {expected.GetType().Name}, got a {actual.GetType().Name}";
        }
        if (expected is ReadOnlyMemory<byte> expectedMemory)
        {
            var actualMemory = (ReadOnlyMemory<byte>)actual;
            return expectedMemory.Span.SequenceEqual(actualMemory.Span)
                ? null
                : $"{path}: expected bytes {Convert.ToHexString(expectedMemory.Span)}, got {Convert.ToHexString(actualMemory.Span)}";
        }
        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string || type.IsValueType)
        {
            return Equals(expected, actual) ? null : $"{path}: expected {Show(expected)}, got {Show(actual)}";
        }
        if (expected is IList expectedList)
        {
            var actualList = (IList)actual;
            if (expectedList.Count != actualList.Count)
            {
                return $"{path}: expected {expectedList.Count} elements, got {actualList.Count}";
            }
            for (int i = 0; i < expectedList.Count; i++)
            {
                string? d = Difference(expectedList[i], actualList[i], $"{path}[{i}]", ignored);
                if (d != null)
                {
                    return d;
                }
            }
            return null;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (Array.IndexOf(ignored, property.Name) >= 0 || property.GetIndexParameters().Length > 0)
            {
                continue;
            }
            string? d = Difference(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}", ignored);
            if (d != null)
            {
                return d;
            }
        }
        return null;
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        _ => value.ToString() ?? "?",
    };
}
