using System.Globalization;
using System.Text;

namespace Tusk.Storage;

/// <summary>Counters the engine updates as it works. Thread-safe (Interlocked).</summary>
internal sealed class Statistics
{
    private long _userBytes, _walBytes, _writes, _writeGroups, _syncs;
    private long _flushBytes, _flushes;
    private long _compactionRead, _compactionWritten, _compactions, _trivialMoves;
    private long _stalls, _stallMicros, _slowdowns, _slowdownMicros;

    public void AddWrite(long userBytes, long walBytes, int count, bool synced)
    {
        Interlocked.Add(ref _userBytes, userBytes);
        Interlocked.Add(ref _walBytes, walBytes);
        Interlocked.Add(ref _writes, count);
        Interlocked.Increment(ref _writeGroups);
        if (synced)
        {
            Interlocked.Increment(ref _syncs);
        }
    }

    public void AddFlush(long bytes)
    {
        Interlocked.Add(ref _flushBytes, bytes);
        Interlocked.Increment(ref _flushes);
    }

    public void AddCompaction(long read, long written)
    {
        Interlocked.Add(ref _compactionRead, read);
        Interlocked.Add(ref _compactionWritten, written);
        Interlocked.Increment(ref _compactions);
    }

    public void AddTrivialMove() => Interlocked.Increment(ref _trivialMoves);

    public void AddStall(long micros)
    {
        Interlocked.Increment(ref _stalls);
        Interlocked.Add(ref _stallMicros, micros);
    }

    public void AddSlowdown(long micros)
    {
        Interlocked.Increment(ref _slowdowns);
        Interlocked.Add(ref _slowdownMicros, micros);
    }

    public void Fill(StorageStatistics s)
    {
        s.UserBytesWritten = Interlocked.Read(ref _userBytes);
        s.WalBytesWritten = Interlocked.Read(ref _walBytes);
        s.Writes = Interlocked.Read(ref _writes);
        s.WriteGroups = Interlocked.Read(ref _writeGroups);
        s.WalSyncs = Interlocked.Read(ref _syncs);
        s.FlushBytesWritten = Interlocked.Read(ref _flushBytes);
        s.Flushes = Interlocked.Read(ref _flushes);
        s.CompactionBytesRead = Interlocked.Read(ref _compactionRead);
        s.CompactionBytesWritten = Interlocked.Read(ref _compactionWritten);
        s.Compactions = Interlocked.Read(ref _compactions);
        s.TrivialMoves = Interlocked.Read(ref _trivialMoves);
        s.StallCount = Interlocked.Read(ref _stalls);
        s.StallMicros = Interlocked.Read(ref _stallMicros);
        s.SlowdownCount = Interlocked.Read(ref _slowdowns);
        s.SlowdownMicros = Interlocked.Read(ref _slowdownMicros);
    }
}

/// <summary>Shape of one level.</summary>
public sealed record LevelStatistics(int Level, int FileCount, long Bytes);

/// <summary>
/// A snapshot of the engine's statistics: level shape, bytes written at each stage, amplification, stalls and
/// memory. Counters cover the engine's life since it was opened.
/// </summary>
public sealed class StorageStatistics
{
    /// <summary>Files and bytes per level (all levels, including empty ones).</summary>
    public IReadOnlyList<LevelStatistics> Levels { get; internal set; } = [];

    /// <summary>Bytes of keys and values written by users.</summary>
    public long UserBytesWritten { get; internal set; }

    /// <summary>Bytes appended to the WAL.</summary>
    public long WalBytesWritten { get; internal set; }

    /// <summary>Write operations (batch entries).</summary>
    public long Writes { get; internal set; }

    /// <summary>Commit groups (one WAL write each).</summary>
    public long WriteGroups { get; internal set; }

    /// <summary>WAL fsyncs.</summary>
    public long WalSyncs { get; internal set; }

    /// <summary>Bytes of L0 tables written by flushes.</summary>
    public long FlushBytesWritten { get; internal set; }

    /// <summary>Flushes completed.</summary>
    public long Flushes { get; internal set; }

    /// <summary>Bytes read by compactions.</summary>
    public long CompactionBytesRead { get; internal set; }

    /// <summary>Bytes written by compactions.</summary>
    public long CompactionBytesWritten { get; internal set; }

    /// <summary>Compactions that rewrote data.</summary>
    public long Compactions { get; internal set; }

    /// <summary>Compactions that only moved a table down a level.</summary>
    public long TrivialMoves { get; internal set; }

    /// <summary>Times writers stopped for flush or compaction.</summary>
    public long StallCount { get; internal set; }

    /// <summary>Time writers spent stopped.</summary>
    public long StallMicros { get; internal set; }

    /// <summary>Write groups delayed because L0 reached the slowdown trigger.</summary>
    public long SlowdownCount { get; internal set; }

    /// <summary>Time spent in those delays.</summary>
    public long SlowdownMicros { get; internal set; }

    /// <summary>Bytes held by memtables (active and waiting for flush).</summary>
    public long MemtableBytes { get; internal set; }

    /// <summary>Bytes held by the block cache.</summary>
    public long BlockCacheBytes { get; internal set; }

    /// <summary>Block cache hits.</summary>
    public long BlockCacheHits { get; internal set; }

    /// <summary>Block cache misses.</summary>
    public long BlockCacheMisses { get; internal set; }

    /// <summary>Table files open.</summary>
    public int OpenTables { get; internal set; }

    /// <summary>Total bytes of live tables.</summary>
    public long TableBytes => Levels.Sum(l => l.Bytes);

    /// <summary>(WAL + flush + compaction bytes written) / user bytes written; 0 before any write.</summary>
    public double WriteAmplification =>
        UserBytesWritten == 0 ? 0 : (WalBytesWritten + FlushBytesWritten + CompactionBytesWritten) / (double)UserBytesWritten;

    /// <summary>Total table bytes / bytes in the deepest non-empty level (1.0 when everything is in one level).</summary>
    public double SpaceAmplification
    {
        get
        {
            var deepest = Levels.LastOrDefault(l => l.Bytes > 0);
            return deepest == null ? 0 : TableBytes / (double)deepest.Bytes;
        }
    }

    /// <summary>A readable table of the statistics.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("Level  Files        Size");
        foreach (var l in Levels)
        {
            sb.AppendLine(c, $"L{l.Level,-5} {l.FileCount,5} {FormatBytes(l.Bytes),11}");
        }
        sb.AppendLine(c, $"Total  {Levels.Sum(l => l.FileCount),5} {FormatBytes(TableBytes),11}");
        sb.AppendLine(c, $"writes: {Writes} in {WriteGroups} groups, {WalSyncs} WAL syncs; user {FormatBytes(UserBytesWritten)}, WAL {FormatBytes(WalBytesWritten)}");
        sb.AppendLine(c, $"flushes: {Flushes} ({FormatBytes(FlushBytesWritten)}); compactions: {Compactions} (read {FormatBytes(CompactionBytesRead)}, wrote {FormatBytes(CompactionBytesWritten)}), trivial moves: {TrivialMoves}");
        sb.AppendLine(c, $"write amplification: {WriteAmplification:0.00}; space amplification: {SpaceAmplification:0.00}");
        sb.AppendLine(c, $"stalls: {StallCount} ({StallMicros / 1000.0:0.0} ms); slowdowns: {SlowdownCount} ({SlowdownMicros / 1000.0:0.0} ms)");
        sb.Append(c, $"memory: memtables {FormatBytes(MemtableBytes)}, block cache {FormatBytes(BlockCacheBytes)} (hits {BlockCacheHits}, misses {BlockCacheMisses}), open tables {OpenTables}");
        return sb.ToString();
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00 'GiB'", CultureInfo.InvariantCulture),
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.00 'MiB'", CultureInfo.InvariantCulture),
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.00 'KiB'", CultureInfo.InvariantCulture),
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}

public sealed partial class LsmEngine
{
    /// <summary>Current statistics (see <see cref="StorageStatistics"/>).</summary>
    public StorageStatistics GetStatistics()
    {
        var s = new StorageStatistics();
        _stats.Fill(s);
        var v = _versions.AcquireCurrent();
        try
        {
            var levels = new List<LevelStatistics>();
            for (int level = 0; level < Manifest.Version.MaxLevels; level++)
            {
                levels.Add(new LevelStatistics(level, v.Files[level].Count, v.LevelBytes(level)));
            }
            s.Levels = levels;
        }
        finally
        {
            v.Unref();
        }
        var sv = AcquireSuperVersion();
        try
        {
            s.MemtableBytes = sv.Mem.ApproximateBytes + sv.Immutables.Sum(m => m.ApproximateBytes);
        }
        finally
        {
            sv.Unref();
        }
        s.BlockCacheBytes = _blockCache.UsageBytes;
        s.BlockCacheHits = _blockCache.Hits;
        s.BlockCacheMisses = _blockCache.Misses;
        s.OpenTables = _tables.OpenCount;
        return s;
    }
}
