using Tusk.Core;
using Tusk.Storage.Cache;
using Tusk.Storage.Manifest;

namespace Tusk.Storage;

/// <summary>
/// What a read needs, pinned together: the active memtable, the immutable ones waiting for flush (newest
/// first) and the current version. Replaced (never modified) when any of them changes; readers take a
/// reference so nothing they read is freed or deleted under them.
/// </summary>
internal sealed class SuperVersion
{
    private int _refs = 1; // the engine's own reference
    private CachedTombstones? _tombstones;

    /// <summary>Takes references to the memtables; takes over the caller's reference to <paramref name="version"/>.</summary>
    public SuperVersion(Memtable.Memtable mem, Memtable.Memtable[] immutables, Version version)
    {
        Mem = mem;
        Immutables = immutables;
        Version = version;
        mem.Ref();
        foreach (var m in immutables)
        {
            m.Ref();
        }
    }

    public Memtable.Memtable Mem { get; }

    /// <summary>Newest first.</summary>
    public Memtable.Memtable[] Immutables { get; }

    public Version Version { get; }

    public bool TryRef() => RefCount.TryIncrement(ref _refs);

    public void Unref()
    {
        int n = Interlocked.Decrement(ref _refs);
        Invariant.Check(n >= 0, "SuperVersion unref below zero");
        if (n == 0)
        {
            Mem.Unref();
            foreach (var m in Immutables)
            {
                m.Unref();
            }
            Version.Unref();
        }
    }

    /// <summary>
    /// Every range tombstone visible through this super version, fragmented. Rebuilt only when the active
    /// memtable received a new range deletion (its tombstone array is replaced on each one).
    /// </summary>
    public FragmentedTombstones RangeTombstones(TableCache tables)
    {
        object memVersion = Mem.RangeTombstoneVersion;
        var memTombstones = Mem.RangeTombstones;
        var cached = Volatile.Read(ref _tombstones);
        if (cached != null && ReferenceEquals(cached.MemVersion, memVersion))
        {
            return cached.Set;
        }
        FragmentedTombstones set;
        bool any = memTombstones.Count > 0 || Version.HasRangeTombstones;
        foreach (var m in Immutables)
        {
            any |= m.RangeTombstones.Count > 0;
        }
        if (!any)
        {
            set = FragmentedTombstones.Empty;
        }
        else
        {
            var all = new List<RangeTombstone>(memTombstones);
            foreach (var m in Immutables)
            {
                all.AddRange(m.RangeTombstones);
            }
            all.AddRange(Version.RangeTombstones(tables).Fragments());
            set = FragmentedTombstones.Build(all);
        }
        Volatile.Write(ref _tombstones, new CachedTombstones(memVersion, set));
        return set;
    }

    private sealed record CachedTombstones(object MemVersion, FragmentedTombstones Set);
}
