using System.Globalization;
using System.Text;
using Tusk.Core;
using Tusk.Storage;

namespace Tusk.Cli.Commands;

/// <summary>Opens the storage engine for a command and renders its statistics for people.</summary>
internal static class EngineHost
{
    /// <summary>The default data directory of <c>tusk start</c> and <c>tusk kv</c>.</summary>
    public const string DefaultDataDirectory = "./tusk-data";

    /// <summary>
    /// Opens (and recovers) the engine in <paramref name="directory"/>. A missing directory is an error when
    /// <paramref name="mustExist"/> (reads should not create databases); a directory locked by another process
    /// or an I/O failure becomes a <see cref="CliException"/> naming the directory. Corruption propagates as
    /// <see cref="CorruptionException"/> (the caller reports file and offset).
    /// </summary>
    public static LsmEngine Open(string directory, bool mustExist, StorageOptions? options = null)
    {
        string full = Path.GetFullPath(directory);
        if (mustExist && !Directory.Exists(full))
        {
            throw new CliException($"data directory {full} does not exist");
        }
        if (File.Exists(full))
        {
            throw new CliException($"data directory {full} is a file, not a directory");
        }
        options ??= new StorageOptions { Log = ReportImportant };
        try
        {
            return LsmEngine.Open(full, options);
        }
        catch (CorruptionException)
        {
            throw;
        }
        catch (IOException e)
        {
            throw new CliException($"cannot open data directory {full}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException($"cannot open data directory {full}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Engine messages worth a one-shot command's stderr: recovery actions and background failures. Routine
    /// events (compaction plans) are left out so `tusk kv` prints only what was asked for.
    /// </summary>
    private static void ReportImportant(string message)
    {
        if (message.StartsWith("recovery", StringComparison.Ordinal) || message.Contains("fail", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine("tusk: engine: " + message);
        }
    }

    /// <summary>"L0: 2 files 3.1 MiB, L1: ..." for the non-empty levels, or "no table files".</summary>
    public static string DescribeLevels(StorageStatistics stats)
    {
        var sb = new StringBuilder();
        foreach (var level in stats.Levels)
        {
            if (level.FileCount == 0)
            {
                continue;
            }
            if (sb.Length > 0)
            {
                sb.Append(", ");
            }
            sb.Append(CultureInfo.InvariantCulture, $"L{level.Level}: {level.FileCount} {(level.FileCount == 1 ? "file" : "files")} {FormatBytes(level.Bytes)}");
        }
        return sb.Length == 0 ? "no table files" : sb.ToString();
    }

    /// <summary>One line of the most telling statistics, for the periodic summary of <c>tusk start</c>.</summary>
    public static string SummaryLine(LsmEngine engine)
    {
        StorageStatistics s = engine.GetStatistics();
        var files = new StringBuilder();
        foreach (var level in s.Levels)
        {
            if (level.FileCount > 0)
            {
                files.Append(CultureInfo.InvariantCulture, $"{(files.Length > 0 ? " " : "")}L{level.Level}={level.FileCount}");
            }
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"seq={engine.LastSequence} memtable={FormatBytes(s.MemtableBytes)} files=[{(files.Length > 0 ? files.ToString() : "none")}] " +
            $"flushes={s.Flushes} compactions={s.Compactions} w-amp={s.WriteAmplification:F2} stalls={s.StallCount} block-cache={FormatBytes(s.BlockCacheBytes)}");
    }

    /// <summary>Human-readable byte count (B, KiB, MiB, GiB).</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F2} GiB"),
    };
}
