using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Tusk.Storage;

namespace Tusk.Cli.Commands;

/// <summary>
/// <c>tusk kv ...</c>: direct reads and writes of the storage engine. Each invocation opens the engine on
/// <c>--data</c> (recovering it), does one thing and closes it, so it cannot run while <c>tusk start</c> holds
/// the data directory.
/// </summary>
internal static class KvCommand
{
    private const string DataOption = "data";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0)
        {
            throw new UsageException("missing kv command", HelpText.Kv);
        }
        if (args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(HelpText.Kv.TrimEnd());
            return ExitCodes.Ok;
        }
        string sub = args[0];
        string usage = HelpText.ForKv(sub) ?? (sub == "cas" ? HelpText.KvCas : null) ?? throw new UsageException($"unknown kv command '{sub}'", HelpText.Kv);
        string[] rest = args[1..];
        if (rest.Any(r => r == "--cluster" || r.StartsWith("--cluster=", StringComparison.Ordinal)))
        {
            Arguments c = Arguments.Parse(rest, usage, ["cluster", "timeout"], ["absent"]);
            if (c.HelpRequested)
            {
                stdout.WriteLine(usage.TrimEnd());
                return ExitCodes.Ok;
            }
            return ClusterCommand.RunKv(sub, c, usage, stdout);
        }
        Arguments a = sub switch
        {
            "put" or "delete" or "delete-range" => Arguments.Parse(rest, usage, [DataOption], ["sync"]),
            "get" => Arguments.Parse(rest, usage, [DataOption], ["hex"]),
            "scan" => Arguments.Parse(rest, usage, [DataOption, "from", "to", "limit"], ["reverse", "hex"]),
            "fill" => Arguments.Parse(rest, usage, [DataOption, "count", "value-size", "start"], ["sync"]),
            _ => Arguments.Parse(rest, usage, [DataOption]),
        };
        if (a.HelpRequested)
        {
            stdout.WriteLine(usage.TrimEnd());
            return ExitCodes.Ok;
        }
        string data = a.Value(DataOption, EngineHost.DefaultDataDirectory);
        return sub switch
        {
            "put" => Put(a, data, usage),
            "get" => Get(a, data, usage, stdout, stderr),
            "delete" => Delete(a, data, usage),
            "delete-range" => DeleteRange(a, data, usage),
            "scan" => Scan(a, data, usage, stdout),
            "stats" => Stats(a, data, stdout),
            "compact" => Compact(a, data, stdout),
            "fill" => Fill(a, data, usage, stdout),
            _ => throw new UsageException($"unknown kv command '{sub}'", HelpText.Kv),
        };
    }

    private static WriteOptions WriteOptionsOf(Arguments a) => a.Flag("sync") ? WriteOptions.Durable : WriteOptions.Default;

    private static int Put(Arguments a, string data, string usage)
    {
        a.RequirePositionals(2, "KEY VALUE");
        byte[] key = ByteText.Parse(a.Positionals[0], "key", usage);
        byte[] value = ByteText.Parse(a.Positionals[1], "value", usage);
        using LsmEngine engine = EngineHost.Open(data, mustExist: false);
        engine.Put(key, value, WriteOptionsOf(a));
        return ExitCodes.Ok;
    }

    private static int Get(Arguments a, string data, string usage, TextWriter stdout, TextWriter stderr)
    {
        a.RequirePositionals(1, "KEY");
        byte[] key = ByteText.Parse(a.Positionals[0], "key", usage);
        using LsmEngine engine = EngineHost.Open(data, mustExist: true);
        byte[]? value = engine.Get(key);
        if (value is null)
        {
            stderr.WriteLine($"tusk: not found: {ByteText.Format(key, a.Flag("hex"))}");
            return ExitCodes.Failure;
        }
        stdout.WriteLine(ByteText.Format(value, a.Flag("hex")));
        return ExitCodes.Ok;
    }

    private static int Delete(Arguments a, string data, string usage)
    {
        a.RequirePositionals(1, "KEY");
        byte[] key = ByteText.Parse(a.Positionals[0], "key", usage);
        using LsmEngine engine = EngineHost.Open(data, mustExist: false);
        engine.Delete(key, WriteOptionsOf(a));
        return ExitCodes.Ok;
    }

    private static int DeleteRange(Arguments a, string data, string usage)
    {
        a.RequirePositionals(2, "BEGIN END");
        byte[] begin = ByteText.Parse(a.Positionals[0], "begin key", usage);
        byte[] end = ByteText.Parse(a.Positionals[1], "end key", usage);
        if (begin.AsSpan().SequenceCompareTo(end) >= 0)
        {
            throw new UsageException($"BEGIN '{a.Positionals[0]}' must sort before END '{a.Positionals[1]}' (the range is [BEGIN, END))", usage);
        }
        using LsmEngine engine = EngineHost.Open(data, mustExist: false);
        engine.DeleteRange(begin, end, WriteOptionsOf(a));
        return ExitCodes.Ok;
    }

    private static int Scan(Arguments a, string data, string usage, TextWriter stdout)
    {
        a.RequirePositionals(0, "no arguments");
        byte[]? from = a.Value("from") is { } f ? ByteText.Parse(f, "--from key", usage) : null;
        byte[]? to = a.Value("to") is { } t ? ByteText.Parse(t, "--to key", usage) : null;
        long limit = a.Integer("limit", long.MaxValue, 0, long.MaxValue);
        bool hex = a.Flag("hex");
        using LsmEngine engine = EngineHost.Open(data, mustExist: true);
        using LsmIterator it = engine.NewIterator();
        var line = new StringBuilder();
        long printed = 0;
        if (!a.Flag("reverse"))
        {
            if (from is null)
            {
                it.SeekToFirst();
            }
            else
            {
                it.Seek(from);
            }
            for (; it.Valid && printed < limit; it.Next(), printed++)
            {
                if (to is not null && it.Key.SequenceCompareTo(to) >= 0)
                {
                    break;
                }
                WriteEntry(stdout, line, it.Key, it.Value, hex);
            }
        }
        else
        {
            if (to is null)
            {
                it.SeekToLast();
            }
            else
            {
                it.SeekForPrev(to);
                if (it.Valid && it.Key.SequenceEqual(to))
                {
                    it.Prev(); // to is exclusive
                }
            }
            for (; it.Valid && printed < limit; it.Prev(), printed++)
            {
                if (from is not null && it.Key.SequenceCompareTo(from) < 0)
                {
                    break;
                }
                WriteEntry(stdout, line, it.Key, it.Value, hex);
            }
        }
        return ExitCodes.Ok;
    }

    private static void WriteEntry(TextWriter stdout, StringBuilder line, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool hex)
    {
        line.Clear();
        if (hex)
        {
            line.Append("0x").Append(Convert.ToHexStringLower(key)).Append('\t').Append("0x").Append(Convert.ToHexStringLower(value));
        }
        else
        {
            ByteText.AppendEscaped(line, key);
            line.Append('\t');
            ByteText.AppendEscaped(line, value);
        }
        stdout.WriteLine(line);
    }

    private static int Stats(Arguments a, string data, TextWriter stdout)
    {
        a.RequirePositionals(0, "no arguments");
        using LsmEngine engine = EngineHost.Open(data, mustExist: true);
        stdout.WriteLine($"data directory: {Path.GetFullPath(data)}");
        stdout.WriteLine($"last sequence: {engine.LastSequence}");
        stdout.WriteLine(engine.GetStatistics().ToString()?.TrimEnd());
        return ExitCodes.Ok;
    }

    private static int Compact(Arguments a, string data, TextWriter stdout)
    {
        a.RequirePositionals(0, "no arguments");
        using LsmEngine engine = EngineHost.Open(data, mustExist: true);
        stdout.WriteLine($"before: {EngineHost.DescribeLevels(engine.GetStatistics())}");
        engine.CompactRange(null, null);
        engine.WaitForBackgroundWork();
        stdout.WriteLine($"after:  {EngineHost.DescribeLevels(engine.GetStatistics())}");
        return ExitCodes.Ok;
    }

    /// <summary>Values printed in full in an ack line up to this size; longer ones as their SHA-256.</summary>
    internal const int AckValueBytesMax = 64;

    private static int Fill(Arguments a, string data, string usage, TextWriter stdout)
    {
        a.RequirePositionals(0, "no arguments");
        if (a.Value("count") is null)
        {
            throw new UsageException("missing --count N", usage);
        }
        long count = a.Integer("count", 0, 1, long.MaxValue);
        int valueSize = (int)a.Integer("value-size", 32, 0, 64 << 20);
        long start = a.Integer("start", 1, 0, 999_999_999);
        if (start + count - 1 > 999_999_999)
        {
            throw new UsageException("--start + --count must stay below 1000000000 (keys have 9 digits)", usage);
        }
        WriteOptions options = WriteOptionsOf(a);
        using LsmEngine engine = EngineHost.Open(data, mustExist: false);
        byte[] key = new byte[FillKeyLength];
        byte[] value = new byte[valueSize];
        for (long n = start; n < start + count; n++)
        {
            FillKey(key, n);
            FillValue(value, n);
            engine.Put(key, value, options);
            stdout.Write("ack ");
            stdout.Write(Encoding.ASCII.GetString(key));
            stdout.Write(' ');
            stdout.WriteLine(AckValue(value));
            stdout.Flush();
        }
        return ExitCodes.Ok;
    }

    /// <summary>Length of a fill key: "key-" and 9 digits.</summary>
    internal const int FillKeyLength = 13;

    /// <summary>Writes "key-" and <paramref name="n"/> as 9 digits into <paramref name="key"/>.</summary>
    internal static void FillKey(Span<byte> key, long n)
    {
        "key-"u8.CopyTo(key);
        bool ok = n.TryFormat(key[4..], out int written, "D9", CultureInfo.InvariantCulture);
        if (!ok || written != 9)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "fill key numbers have at most 9 digits");
        }
    }

    /// <summary>The printable value stored under fill key <paramref name="n"/>: "v&lt;n&gt;-" then letters derived from n.</summary>
    internal static void FillValue(Span<byte> value, long n)
    {
        Span<byte> prefix = stackalloc byte[11];
        prefix[0] = (byte)'v';
        n.TryFormat(prefix[1..], out _, "D9", CultureInfo.InvariantCulture);
        prefix[10] = (byte)'-';
        int p = Math.Min(prefix.Length, value.Length);
        prefix[..p].CopyTo(value);
        for (int j = p; j < value.Length; j++)
        {
            value[j] = (byte)('a' + (int)((n * 7 + j) % 26));
        }
    }

    /// <summary>What an ack line shows for <paramref name="value"/>: the value, or "sha256:" and its hash.</summary>
    internal static string AckValue(ReadOnlySpan<byte> value) => value.Length <= AckValueBytesMax
        ? Encoding.ASCII.GetString(value)
        : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(value));
}
