using System.Globalization;
using Tusk.Core.IO;
using Tusk.Storage.Log;

namespace Tusk.Streams.Log;

/// <summary>
/// File names of a partition directory, as Kafka names them: <c>{baseOffset:D20}.log</c> (batches),
/// <c>.index</c> and <c>.timeindex</c> (written when the segment closes), <c>{offset:D20}.snapshot</c> (producer state
/// below an offset). <c>.cleaned</c> marks a compaction output not yet swapped in; <c>.tmp</c> a file being written.
/// </summary>
internal static class LogFiles
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    public const string SnapshotSuffix = ".snapshot";
    public const string CleanedSuffix = ".cleaned";
    public const string TempSuffix = ".tmp";

    /// <summary>The name of the file for <paramref name="offset"/> with <paramref name="suffix"/>.</summary>
    public static string Name(long offset, string suffix) => offset.ToString("D20", CultureInfo.InvariantCulture) + suffix;

    /// <summary>The path of that file in <paramref name="directory"/>.</summary>
    public static string PathOf(string directory, long offset, string suffix) => FileSystemExtensions.Join(directory, Name(offset, suffix));

    /// <summary>Parses <c>{digits}{suffix}</c> into an offset.</summary>
    public static bool TryParse(string name, string suffix, out long offset)
    {
        offset = 0;
        if (!SegmentedLog.TryParseSegmentName(name, suffix, out ulong value) || value > long.MaxValue)
        {
            return false;
        }
        offset = (long)value;
        return true;
    }
}
