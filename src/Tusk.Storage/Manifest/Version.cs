using Tusk.Core;
using Tusk.Storage.Cache;
using Tusk.Storage.Memtable;
using Tusk.Storage.Sstable;

namespace Tusk.Storage.Manifest;

/// <summary>
/// An immutable snapshot of the live tables per level. L0 is ordered newest first and its files may
/// overlap; in L1 and below files are ordered by key and never overlap. Readers pin a version with a
/// reference so its tables are not deleted under them. Also carries the compaction score computed when
/// the version was built (LevelDB's "size compaction" trigger).
/// </summary>
internal sealed class Version
{
    public const int MaxLevels = 7;

    private readonly VersionSet? _owner;
    private int _refs = 1; // the creator's reference (the version set's, once installed)
    private FragmentedTombstones? _tombstones; // built lazily

    public Version(VersionSet? owner, List<FileMetadata>[] files)
    {
        _owner = owner;
        Files = files;
    }

    /// <summary>Files per level. Never modified after construction.</summary>
    public List<FileMetadata>[] Files { get; }

    /// <summary>Level whose compaction is most needed, and how much (≥ 1 means needed).</summary>
    public int CompactionLevel { get; set; } = -1;

    public double CompactionScore { get; set; }

    /// <summary>Takes another reference; the caller must already hold one (or the version set's lock).</summary>
    public void Ref()
    {
        int n = Interlocked.Increment(ref _refs);
        Invariant.Check(n > 1, "Version.Ref on a released version");
    }

    public void Unref()
    {
        int n = Interlocked.Decrement(ref _refs);
        Invariant.Check(n >= 0, "Version unref below zero");
        if (n == 0)
        {
            _owner?.OnVersionReleased(this);
        }
    }

    public long LevelBytes(int level)
    {
        long sum = 0;
        foreach (var f in Files[level])
        {
            sum += f.Size;
        }
        return sum;
    }

    public int FileCount
    {
        get
        {
            int n = 0;
            foreach (var l in Files)
            {
                n += l.Count;
            }
            return n;
        }
    }

    /// <summary>All range tombstones of this version's tables, fragmented (empty when none).</summary>
    public FragmentedTombstones RangeTombstones(TableCache tables)
    {
        var t = Volatile.Read(ref _tombstones);
        if (t != null)
        {
            return t;
        }
        var all = new List<RangeTombstone>();
        foreach (var level in Files)
        {
            foreach (var f in level)
            {
                if (!f.HasRangeTombstones)
                {
                    continue;
                }
                var reader = tables.Acquire(f);
                try
                {
                    all.AddRange(reader.RangeTombstones);
                }
                finally
                {
                    reader.Release();
                }
            }
        }
        t = FragmentedTombstones.Build(all);
        Volatile.Write(ref _tombstones, t);
        return t;
    }

    public bool HasRangeTombstones
    {
        get
        {
            foreach (var level in Files)
            {
                foreach (var f in level)
                {
                    if (f.HasRangeTombstones)
                    {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /// <summary>
    /// Point lookup across the levels: L0 newest first, then one candidate file per deeper level. Returns the
    /// newest entry for the key visible at the sequence in <paramref name="seekKey"/>; range tombstones are
    /// the caller's job.
    /// </summary>
    public LookupResult Get(TableCache tables, scoped ReadOnlySpan<byte> seekKey, scoped ReadOnlySpan<byte> userKey, ulong hash,
        out byte[]? value, out ulong sequence)
    {
        foreach (var f in Files[0])
        {
            if (!f.ContainsUserKey(userKey))
            {
                continue;
            }
            var r = GetFromFile(tables, f, seekKey, userKey, hash, out value, out sequence);
            if (r != LookupResult.NotFound)
            {
                return r;
            }
        }
        for (int level = 1; level < MaxLevels; level++)
        {
            var files = Files[level];
            if (files.Count == 0)
            {
                continue;
            }
            int i = FindFile(files, seekKey);
            if (i >= files.Count || !files[i].ContainsUserKey(userKey))
            {
                continue;
            }
            var r = GetFromFile(tables, files[i], seekKey, userKey, hash, out value, out sequence);
            if (r != LookupResult.NotFound)
            {
                return r;
            }
        }
        value = null;
        sequence = 0;
        return LookupResult.NotFound;
    }

    private static LookupResult GetFromFile(TableCache tables, FileMetadata f, scoped ReadOnlySpan<byte> seekKey,
        scoped ReadOnlySpan<byte> userKey, ulong hash, out byte[]? value, out ulong sequence)
    {
        var reader = tables.Acquire(f);
        try
        {
            return reader.Get(seekKey, userKey, hash, out value, out sequence);
        }
        finally
        {
            reader.Release();
        }
    }

    /// <summary>Index of the first file in a sorted level whose largest key is ≥ <paramref name="internalKey"/>.</summary>
    public static int FindFile(List<FileMetadata> files, ReadOnlySpan<byte> internalKey)
    {
        int lo = 0, hi = files.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (InternalKey.Compare(files[mid].Largest, internalKey) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Files of <paramref name="level"/> overlapping the user-key range (inclusive; unbounded sides allowed).</summary>
    public List<FileMetadata> Overlapping(int level, byte[]? begin, byte[]? end)
    {
        var result = new List<FileMetadata>();
        foreach (var f in Files[level])
        {
            if (f.Overlaps(begin, begin != null, end, end != null))
            {
                result.Add(f);
            }
        }
        return result;
    }

    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        for (int level = 0; level < MaxLevels; level++)
        {
            if (Files[level].Count == 0)
            {
                continue;
            }
            sb.Append("L").Append(level).Append(':');
            foreach (var f in Files[level])
            {
                sb.Append(' ').Append(f);
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
