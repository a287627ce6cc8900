using System.Globalization;
using System.Text;
using Tusk.Storage.Compaction;
using Tusk.Storage.Manifest;
using Tusk.Testing;
using LsmVersion = Tusk.Storage.Manifest.Version;

namespace Tusk.Storage.Tests.Golden;

/// <summary>
/// Golden commands for compaction picking (testdata/compaction), a pure function of a version and options:
/// <list type="bullet">
/// <item><c>define</c> with lines <c>Ln: file file ...</c>, a file being <c>NUMBER:smallest-largest:size=2MB:seq=5-9</c>
/// with an optional <c>:rangedel</c> (the table has range tombstones). Bounds become internal keys (smallest, largest
/// seq, PUT) and (largest, smallest seq, PUT). L0 is ordered newest first (largest sequence descending) and deeper
/// levels by smallest key, as the version set does. Clears compacting marks and pointers.</item>
/// <item><c>options l0-trigger=4 base=10MB multiplier=10 target=2MB</c> (each optional; defaults are the engine's).</item>
/// <item><c>compacting NUMBER ...</c>: marks files <see cref="FileMetadata.BeingCompacted"/>.</item>
/// <item><c>pointer L1=key</c>: sets the round-robin compaction pointer of L1 the way the engine does after compacting a
/// file ending at key; <c>pointer L1</c> clears it.</item>
/// <item><c>score</c>: each scored level's input to the score (recomputed here from the definition in
/// <see cref="CompactionPicker"/>), then the level and score <see cref="CompactionPicker.ComputeScore"/> chose.</item>
/// <item><c>pick</c>: <see cref="CompactionPicker.Pick"/>'s plan, or <c>none</c>.</item>
/// <item><c>pick-manual level=N [begin=x] [end=y]</c>: <see cref="CompactionPicker.PickManual"/>'s plan, or <c>none</c>.</item>
/// </list>
/// One instance per test file.
/// </summary>
internal sealed class CompactionCommands
{
    private LsmVersion? _version;
    private StorageOptions _options = new();
    private readonly byte[]?[] _pointers = new byte[]?[LsmVersion.MaxLevels];

    public string Handle(TestCase testCase) => testCase.Command switch
    {
        "define" => Define(testCase),
        "options" => Options(testCase),
        "compacting" => Compacting(testCase),
        "pointer" => Pointer(testCase),
        "score" => Score(testCase),
        "pick" => Pick(testCase),
        "pick-manual" => PickManual(testCase),
        _ => throw testCase.Error($"unknown command {testCase.Command}"),
    };

    private string Define(TestCase testCase)
    {
        var levels = new List<FileMetadata>[LsmVersion.MaxLevels];
        for (int i = 0; i < levels.Length; i++)
        {
            levels[i] = [];
        }
        foreach (string line in GoldenFormat.InputLines(testCase))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon != 2 || line[0] != 'L' || line[1] is < '0' or > '6')
            {
                throw testCase.Error($"`{line}` is not `Ln: file ...`");
            }
            int level = line[1] - '0';
            foreach (string file in line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                levels[level].Add(ParseFile(file, testCase));
            }
        }
        levels[0].Sort((a, b) => b.LargestSequence.CompareTo(a.LargestSequence));
        for (int level = 1; level < levels.Length; level++)
        {
            levels[level].Sort((a, b) => InternalKey.Compare(a.Smallest, b.Smallest));
            for (int i = 1; i < levels[level].Count; i++)
            {
                // Tables of L1 and below never overlap, and the engine never splits a user key between two of them.
                if (levels[level][i - 1].LargestUserKey.SequenceCompareTo(levels[level][i].SmallestUserKey) >= 0)
                {
                    throw testCase.Error($"L{level} files {levels[level][i - 1].Number} and {levels[level][i].Number} overlap");
                }
            }
        }
        _version = new LsmVersion(null, levels);
        Array.Clear(_pointers);
        return Describe(_version);
    }

    /// <summary><c>000010:a-f:size=2MB:seq=5-9[:rangedel]</c>.</summary>
    private static FileMetadata ParseFile(string text, TestCase testCase)
    {
        string[] parts = text.Split(':');
        string[] range = parts.Length >= 4 ? parts[1].Split('-') : [];
        if (parts.Length is < 4 or > 5 || range.Length != 2 || !parts[2].StartsWith("size=", StringComparison.Ordinal)
            || !parts[3].StartsWith("seq=", StringComparison.Ordinal) || (parts.Length == 5 && parts[4] != "rangedel"))
        {
            throw testCase.Error($"`{text}` is not NUMBER:smallest-largest:size=N:seq=lo-hi[:rangedel]");
        }
        string[] seqs = parts[3]["seq=".Length..].Split('-');
        ulong lo = ulong.Parse(seqs[0], NumberStyles.None, CultureInfo.InvariantCulture);
        ulong hi = ulong.Parse(seqs[^1], NumberStyles.None, CultureInfo.InvariantCulture);
        return new FileMetadata
        {
            Number = ulong.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture),
            Size = GoldenFormat.ParseSize(parts[2]["size=".Length..], testCase),
            Smallest = InternalKey.Make(GoldenFormat.ParseBytes(range[0], testCase), hi, EntryKind.Put),
            Largest = InternalKey.Make(GoldenFormat.ParseBytes(range[1], testCase), lo, EntryKind.Put),
            SmallestSequence = lo,
            LargestSequence = hi,
            HasRangeTombstones = parts.Length == 5,
        };
    }

    private static string Describe(LsmVersion version)
    {
        var output = new StringBuilder();
        for (int level = 0; level < LsmVersion.MaxLevels; level++)
        {
            if (version.Files[level].Count == 0)
            {
                continue;
            }
            output.Append($"L{level}:");
            foreach (var f in version.Files[level])
            {
                output.Append(' ').Append(FileText(f));
            }
            output.Append('\n');
        }
        return output.ToString();
    }

    private static string FileText(FileMetadata f) =>
        $"{f.Number:D6}:{GoldenFormat.Bytes(f.SmallestUserKey)}-{GoldenFormat.Bytes(f.LargestUserKey)}:{GoldenFormat.Size(f.Size)}"
        + $":seq={f.SmallestSequence}-{f.LargestSequence}{(f.HasRangeTombstones ? ":rangedel" : "")}{(f.BeingCompacted ? ":compacting" : "")}";

    private LsmVersion Version(TestCase testCase) => _version ?? throw testCase.Error("define first");

    private string Options(TestCase testCase)
    {
        var defaults = new StorageOptions();
        _options = new StorageOptions
        {
            Level0FileNumCompactionTrigger = testCase.GetInt("l0-trigger", defaults.Level0FileNumCompactionTrigger),
            MaxBytesForLevelBase = testCase.HasArg("base") ? GoldenFormat.ParseSize(testCase.GetArg("base"), testCase) : defaults.MaxBytesForLevelBase,
            LevelSizeMultiplier = testCase.GetInt("multiplier", defaults.LevelSizeMultiplier),
            TargetFileSizeBytes = testCase.HasArg("target") ? GoldenFormat.ParseSize(testCase.GetArg("target"), testCase) : defaults.TargetFileSizeBytes,
        };
        var output = new StringBuilder($"l0-trigger={_options.Level0FileNumCompactionTrigger} target={GoldenFormat.Size(_options.TargetFileSizeBytes)} level limits:");
        for (int level = 1; level < LsmVersion.MaxLevels - 1; level++)
        {
            output.Append($" L{level}={GoldenFormat.Size((long)CompactionPicker.MaxBytesForLevel(level, _options))}");
        }
        return output.Append('\n').ToString();
    }

    private string Compacting(TestCase testCase)
    {
        var version = Version(testCase);
        var marked = new List<string>();
        foreach (var arg in testCase.Args)
        {
            ulong number = ulong.Parse(arg.Key, NumberStyles.None, CultureInfo.InvariantCulture);
            var file = version.Files.SelectMany(l => l).FirstOrDefault(f => f.Number == number)
                ?? throw testCase.Error($"no file {arg.Key}");
            file.BeingCompacted = true;
            marked.Add(FileText(file));
        }
        return string.Join("\n", marked) + "\n";
    }

    private string Pointer(TestCase testCase)
    {
        var output = new StringBuilder();
        foreach (var arg in testCase.Args)
        {
            if (arg.Key.Length != 2 || arg.Key[0] != 'L' || arg.Key[1] is < '1' or > '6')
            {
                throw testCase.Error($"`{arg}`: pointers are per level L1..L6");
            }
            int level = arg.Key[1] - '0';
            // As LsmEngine.Background does after compacting files of the level whose largest user key is the value.
            _pointers[level] = arg.Values.Count == 1 ? InternalKey.Make(GoldenFormat.ParseBytes(arg.Values[0], testCase), 0, EntryKind.Delete) : null;
            output.Append($"L{level} pointer: {(_pointers[level] is { } p ? GoldenFormat.Key(p) : "none")}\n");
        }
        return output.ToString();
    }

    private string Score(TestCase testCase)
    {
        var version = Version(testCase);
        CompactionPicker.ComputeScore(version, _options);
        var output = new StringBuilder();
        for (int level = 0; level < LsmVersion.MaxLevels - 1; level++)
        {
            var files = version.Files[level].Where(f => !f.BeingCompacted).ToList();
            if (level == 0)
            {
                double score = files.Count / (double)_options.Level0FileNumCompactionTrigger;
                output.Append(CultureInfo.InvariantCulture, $"L0: {files.Count} files / trigger {_options.Level0FileNumCompactionTrigger} = {score:0.00###}\n");
            }
            else if (files.Count > 0)
            {
                long bytes = files.Sum(f => f.Size);
                double max = CompactionPicker.MaxBytesForLevel(level, _options);
                output.Append(CultureInfo.InvariantCulture, $"L{level}: {GoldenFormat.Size(bytes)} / {GoldenFormat.Size((long)max)} = {bytes / max:0.00###}\n");
            }
        }
        output.Append(version.CompactionLevel < 0
            ? "chosen: none\n"
            : string.Create(CultureInfo.InvariantCulture, $"chosen: L{version.CompactionLevel} score={version.CompactionScore:0.00###}\n"));
        return output.ToString();
    }

    private string Pick(TestCase testCase)
    {
        var version = Version(testCase);
        CompactionPicker.ComputeScore(version, _options);
        return (CompactionPicker.Pick(version, _options, _pointers)?.ToString() ?? "none") + "\n";
    }

    private string PickManual(TestCase testCase)
    {
        var version = Version(testCase);
        byte[]? begin = testCase.HasArg("begin") ? GoldenFormat.ParseBytes(testCase.GetArg("begin"), testCase) : null;
        byte[]? end = testCase.HasArg("end") ? GoldenFormat.ParseBytes(testCase.GetArg("end"), testCase) : null;
        return (CompactionPicker.PickManual(version, _options, testCase.GetInt("level"), begin, end)?.ToString() ?? "none") + "\n";
    }
}
