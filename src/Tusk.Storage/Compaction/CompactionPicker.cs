using Tusk.Storage.Manifest;

namespace Tusk.Storage.Compaction;

/// <summary>
/// A chosen compaction: merge <see cref="Inputs"/> (at <see cref="Level"/>) with the overlapping
/// <see cref="OutputLevelInputs"/> into new tables at <see cref="OutputLevel"/>. A trivial move re-links a
/// single table one level down without rewriting it.
/// </summary>
internal sealed class CompactionPlan
{
    public required int Level { get; init; }
    public int OutputLevel => Level + 1;
    public required List<FileMetadata> Inputs { get; init; }
    public required List<FileMetadata> OutputLevelInputs { get; init; }
    public bool IsTrivialMove { get; init; }
    public string Reason { get; init; } = "";

    public IEnumerable<FileMetadata> AllInputs => Inputs.Concat(OutputLevelInputs);

    public long InputBytes => AllInputs.Sum(f => f.Size);

    public override string ToString()
    {
        string kind = IsTrivialMove ? "move" : "compact";
        return $"{kind} L{Level}->L{OutputLevel} ({Reason}): inputs [{string.Join(" ", Inputs.Select(f => f.Number))}]"
            + $" + L{OutputLevel} [{string.Join(" ", OutputLevelInputs.Select(f => f.Number))}]";
    }
}

/// <summary>
/// Leveled compaction picking (LevelDB/RocksDB style), a pure function of a version and options so it can be
/// tested with golden files. L0 is scored by file count against the trigger, Ln by bytes against its limit
/// (base × multiplier^(n-1)); the level with the highest score ≥ 1 is compacted. Within Ln, files are taken
/// round-robin by key (the compaction pointer), so every key range is compacted in turn.
/// </summary>
internal static class CompactionPicker
{
    /// <summary>Computes <see cref="Version.CompactionLevel"/> and <see cref="Version.CompactionScore"/>.</summary>
    public static void ComputeScore(Version v, StorageOptions options)
    {
        int bestLevel = -1;
        double bestScore = 0;
        for (int level = 0; level < Version.MaxLevels - 1; level++)
        {
            double score;
            if (level == 0)
            {
                int count = v.Files[0].Count(f => !f.BeingCompacted);
                score = count / (double)options.Level0FileNumCompactionTrigger;
            }
            else
            {
                long bytes = v.Files[level].Where(f => !f.BeingCompacted).Sum(f => f.Size);
                score = bytes / MaxBytesForLevel(level, options);
            }
            if (score > bestScore)
            {
                bestScore = score;
                bestLevel = level;
            }
        }
        v.CompactionLevel = bestLevel;
        v.CompactionScore = bestScore;
    }

    /// <summary>Size limit of <paramref name="level"/> (≥ 1).</summary>
    public static double MaxBytesForLevel(int level, StorageOptions options)
    {
        double result = options.MaxBytesForLevelBase;
        for (int i = 1; i < level; i++)
        {
            result *= options.LevelSizeMultiplier;
        }
        return result;
    }

    /// <summary>The compaction the version most needs, or null when none is needed or possible now.</summary>
    public static CompactionPlan? Pick(Version v, StorageOptions options, byte[]?[] compactPointers)
    {
        if (v.CompactionScore < 1 || v.CompactionLevel < 0)
        {
            return null;
        }
        int level = v.CompactionLevel;
        List<FileMetadata> inputs;
        string reason;
        if (level == 0)
        {
            if (v.Files[0].Any(f => f.BeingCompacted))
            {
                return null;
            }
            inputs = [.. v.Files[0]];
            reason = $"{inputs.Count} L0 files >= trigger {options.Level0FileNumCompactionTrigger}";
        }
        else
        {
            var files = v.Files[level];
            FileMetadata? chosen = null;
            var pointer = compactPointers[level];
            if (pointer != null)
            {
                chosen = files.FirstOrDefault(f => !f.BeingCompacted && InternalKey.Compare(f.Largest, pointer) > 0);
            }
            chosen ??= files.FirstOrDefault(f => !f.BeingCompacted);
            if (chosen == null)
            {
                return null;
            }
            inputs = [chosen];
            reason = $"L{level} {v.LevelBytes(level)} bytes >= {MaxBytesForLevel(level, options):0}";
        }
        return Complete(v, options, level, inputs, reason);
    }

    /// <summary>
    /// A manual compaction of <paramref name="level"/>'s files overlapping the user-key range (null = unbounded),
    /// or null when nothing there overlaps. For L0 the set is closed under overlap, so an older L0 table is
    /// never left behind a newer one.
    /// </summary>
    public static CompactionPlan? PickManual(Version v, StorageOptions options, int level, byte[]? begin, byte[]? end)
    {
        var inputs = v.Overlapping(level, begin, end);
        if (inputs.Count == 0)
        {
            return null;
        }
        if (level == 0)
        {
            // Expand until no other L0 file overlaps the inputs' range.
            while (true)
            {
                var (lo, hi) = UserRange(inputs);
                var expanded = v.Overlapping(0, lo, hi);
                if (expanded.Count == inputs.Count)
                {
                    break;
                }
                inputs = expanded;
            }
        }
        if (inputs.Any(f => f.BeingCompacted))
        {
            return null;
        }
        return Complete(v, options, level, inputs, "manual");
    }

    private static CompactionPlan? Complete(Version v, StorageOptions options, int level, List<FileMetadata> inputs, string reason)
    {
        var (smallest, largest) = UserRange(inputs);
        var outputs = v.Overlapping(level + 1, smallest, largest);
        if (outputs.Any(f => f.BeingCompacted))
        {
            return null;
        }
        bool trivial = inputs.Count == 1 && outputs.Count == 0 && !inputs[0].HasRangeTombstones
            && GrandparentOverlapBytes(v, level + 2, smallest, largest) <= 10 * options.TargetFileSizeBytes;
        return new CompactionPlan
        {
            Level = level,
            Inputs = inputs,
            OutputLevelInputs = outputs,
            IsTrivialMove = trivial,
            Reason = reason,
        };
    }

    private static long GrandparentOverlapBytes(Version v, int level, byte[] smallest, byte[] largest) =>
        level < Version.MaxLevels ? v.Overlapping(level, smallest, largest).Sum(f => f.Size) : 0;

    /// <summary>Smallest and largest user keys of a set of files (largest treated as inclusive).</summary>
    public static (byte[] Smallest, byte[] Largest) UserRange(IEnumerable<FileMetadata> files)
    {
        byte[]? lo = null, hi = null;
        foreach (var f in files)
        {
            if (lo == null || f.SmallestUserKey.SequenceCompareTo(lo) < 0)
            {
                lo = f.SmallestUserKey.ToArray();
            }
            if (hi == null || f.LargestUserKey.SequenceCompareTo(hi) > 0)
            {
                hi = f.LargestUserKey.ToArray();
            }
        }
        return (lo ?? [], hi ?? []);
    }
}
