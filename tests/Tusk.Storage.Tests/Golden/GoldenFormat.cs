using System.Globalization;
using System.Text;
using Tusk.Storage.Iterators;
using Tusk.Testing;

namespace Tusk.Storage.Tests.Golden;

/// <summary>
/// Text forms shared by the golden handlers (STYLE.md C4). Internal keys are written <c>key#seq,KIND</c> with KIND one
/// of PUT, DEL, RANGEDEL, SEEK and seq a number or <c>max</c> (<see cref="InternalKey.MaxSequence"/>); an entry line is
/// <c>key#seq,KIND value</c> (the value may be empty). User keys and values are written as ASCII with other bytes as \xNN.
/// </summary>
internal static class GoldenFormat
{
    /// <summary>Parses <c>key#seq,KIND</c>.</summary>
    public static byte[] ParseInternalKey(string text, TestCase testCase)
    {
        int hash = text.LastIndexOf('#');
        int comma = text.LastIndexOf(',');
        if (hash < 0 || comma < hash)
        {
            throw testCase.Error($"`{text}` is not an internal key (key#seq,KIND)");
        }
        string seqText = text[(hash + 1)..comma];
        ulong seq = seqText == "max"
            ? InternalKey.MaxSequence
            : ulong.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s)
                ? s
                : throw testCase.Error($"bad sequence `{seqText}` in `{text}`");
        return InternalKey.Make(ParseBytes(text[..hash], testCase), seq, ParseKind(text[(comma + 1)..], testCase));
    }

    /// <summary>ASCII text where <c>\xNN</c> stands for the byte NN (the inverse of <see cref="Bytes"/>).</summary>
    public static byte[] ParseBytes(string text, TestCase testCase)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                bytes.Add((byte)text[i]);
                continue;
            }
            if (i + 4 > text.Length || text[i + 1] != 'x'
                || !byte.TryParse(text.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                throw testCase.Error($"bad escape in `{text}` (use \\xNN)");
            }
            bytes.Add(b);
            i += 3;
        }
        return [.. bytes];
    }

    /// <summary>A seek target: <c>key#seq,KIND</c>, or a bare user key meaning (key, MaxSequence, SEEK).</summary>
    public static byte[] ParseSeekTarget(string text, TestCase testCase) =>
        text.Contains('#', StringComparison.Ordinal)
            ? ParseInternalKey(text, testCase)
            : InternalKey.Make(ParseBytes(text, testCase), InternalKey.MaxSequence, EntryKind.Seek);

    /// <summary>Parses <c>key#seq,KIND value</c>.</summary>
    public static (byte[] Key, byte[] Value) ParseEntry(string line, TestCase testCase)
    {
        string trimmed = line.Trim();
        int space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        string keyText = space < 0 ? trimmed : trimmed[..space];
        string valueText = space < 0 ? "" : trimmed[(space + 1)..];
        return (ParseInternalKey(keyText, testCase), ParseBytes(valueText, testCase));
    }

    public static EntryKind ParseKind(string text, TestCase testCase) => text switch
    {
        "PUT" => EntryKind.Put,
        "DEL" => EntryKind.Delete,
        "RANGEDEL" => EntryKind.RangeDelete,
        "SEEK" => EntryKind.Seek,
        _ => throw testCase.Error($"unknown kind `{text}` (PUT, DEL, RANGEDEL, SEEK)"),
    };

    public static string KindName(EntryKind kind) => kind switch
    {
        EntryKind.Put => "PUT",
        EntryKind.Delete => "DEL",
        EntryKind.RangeDelete => "RANGEDEL",
        EntryKind.Seek => "SEEK",
        _ => $"KIND{(byte)kind}",
    };

    /// <summary><c>key#seq,KIND</c>.</summary>
    public static string Key(ReadOnlySpan<byte> internalKey)
    {
        if (internalKey.Length < InternalKey.TrailerLength)
        {
            return "<bad internal key " + Bytes(internalKey) + ">";
        }
        ulong seq = InternalKey.SequenceOf(internalKey);
        string seqText = seq == InternalKey.MaxSequence ? "max" : seq.ToString(CultureInfo.InvariantCulture);
        return $"{Bytes(InternalKey.UserKey(internalKey))}#{seqText},{KindName(InternalKey.KindOf(internalKey))}";
    }

    /// <summary>Printable ASCII as is, other bytes as \xNN.</summary>
    public static string Bytes(ReadOnlySpan<byte> bytes) => InternalKey.FormatUserKey(bytes);

    /// <summary>"2MB", "512KB" or "1234B": the largest unit that divides the size exactly.</summary>
    public static string Size(long bytes) =>
        bytes != 0 && bytes % (1 << 20) == 0 ? $"{bytes >> 20}MB"
        : bytes != 0 && bytes % (1 << 10) == 0 ? $"{bytes >> 10}KB"
        : $"{bytes}B";

    /// <summary>Parses "2MB", "512KB", "100B" or "100".</summary>
    public static long ParseSize(string text, TestCase testCase)
    {
        long unit = 1;
        string digits = text;
        if (text.EndsWith("MB", StringComparison.Ordinal))
        {
            unit = 1 << 20;
            digits = text[..^2];
        }
        else if (text.EndsWith("KB", StringComparison.Ordinal))
        {
            unit = 1 << 10;
            digits = text[..^2];
        }
        else if (text.EndsWith('B'))
        {
            digits = text[..^1];
        }
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n)
            ? n * unit
            : throw testCase.Error($"bad size `{text}`");
    }

    /// <summary>The non-empty, trimmed lines of the case's input.</summary>
    public static IEnumerable<string> InputLines(TestCase testCase)
    {
        foreach (string line in testCase.Input.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.Length > 0)
            {
                yield return trimmed;
            }
        }
    }

    /// <summary>
    /// Runs the input's ops (<c>first</c>, <c>last</c>, <c>seek T</c>, <c>seek-for-prev T</c>, <c>next</c>, <c>prev</c>)
    /// on an internal iterator and prints <c>op: key#seq,KIND:value</c> after each, or <c>op: .</c> when the iterator is not
    /// valid. next and prev need a valid iterator (the iterator contract): on an invalid one they are not called and the
    /// step prints <c>op: skipped (not valid)</c>.
    /// </summary>
    public static string RunInternalOps(InternalIterator it, TestCase testCase)
    {
        var output = new StringBuilder();
        foreach (string line in InputLines(testCase))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words[0])
            {
                case "first":
                    it.SeekToFirst();
                    break;
                case "last":
                    it.SeekToLast();
                    break;
                case "seek" when words.Length == 2:
                    it.Seek(ParseSeekTarget(words[1], testCase));
                    break;
                case "seek-for-prev" when words.Length == 2:
                    it.SeekForPrev(ParseSeekTarget(words[1], testCase));
                    break;
                case "next" or "prev" when !it.Valid:
                    // The iterator contract requires a valid position: record the step as skipped rather than call it.
                    output.Append(line).Append(": skipped (not valid)\n");
                    continue;
                case "next":
                    it.Next();
                    break;
                case "prev":
                    it.Prev();
                    break;
                default:
                    throw testCase.Error($"unknown iterator op `{line}`");
            }
            output.Append(line).Append(": ")
                .Append(it.Valid ? $"{Key(it.Key)}:{Bytes(it.Value)}" : ".")
                .Append('\n');
        }
        return output.ToString();
    }
}
