using System.Globalization;
using System.Text;
using Tusk.Core.IO;
using Tusk.Simulation;
using Tusk.Storage.Cache;
using Tusk.Storage.Iterators;
using Tusk.Storage.Manifest;
using Tusk.Storage.Sstable;
using Tusk.Testing;
using LsmVersion = Tusk.Storage.Manifest.Version;

namespace Tusk.Storage.Tests.Golden;

/// <summary>
/// Golden commands for MVCC iteration (testdata/iterator): the user-facing <see cref="LsmIterator"/> over the same
/// stack <see cref="LsmEngine.NewIterator"/> builds (a <see cref="MergingIterator"/> over memtable iterators, one table
/// iterator per L0 file and a <see cref="LevelIterator"/> per deeper level, plus the fragmented range tombstones of
/// a <see cref="SuperVersion"/>).
/// <list type="bullet">
/// <item><c>define</c> (optional <c>block-size=N restart-interval=N</c> for the tables) with source headers and their
/// lines. Headers: <c>mem</c> (the first is the active memtable, later ones immutables, newest first), <c>L0</c> (one
/// L0 table; L0 is ordered newest first by largest sequence, as the version set does), <c>L1</c>..<c>L6</c> (one table
/// appended to that level; a level's tables are ordered by smallest key and must not overlap). Lines under a header
/// are entries <c>key#seq,KIND value</c> or <c>rangedel start end seq</c>.</item>
/// <item><c>iter seq=N</c> with op lines (<c>first</c>, <c>last</c>, <c>seek k</c>, <c>seek-for-prev k</c>, <c>next</c>,
/// <c>prev</c>): prints <c>op: key:value</c> after each, or <c>op: .</c> when not valid (next and prev on an invalid
/// iterator would throw: they are not called and print <c>op: skipped (not valid)</c>).</item>
/// </list>
/// One instance per test file.
/// </summary>
internal sealed class IteratorCommands
{
    private const string Directory = "/golden";

    private readonly SimFileSystem _fs = new(seed: 1);
    private readonly TableCache _tables;
    private ulong _nextFileNumber = 1;
    private SuperVersion? _super;

    public IteratorCommands()
    {
        _fs.CreateDirectory(Directory);
        _tables = new TableCache(_fs, Directory, 100, new BlockCache(1 << 20));
    }

    public string Handle(TestCase testCase) => testCase.Command switch
    {
        "define" => Define(testCase),
        "iter" => Iter(testCase),
        _ => throw testCase.Error($"unknown command {testCase.Command}"),
    };

    private sealed class Source(string header)
    {
        public string Header { get; } = header;
        public List<(byte[] Key, byte[] Value)> Points { get; } = [];
        public List<RangeTombstone> Tombstones { get; } = [];
    }

    private string Define(TestCase testCase)
    {
        _super?.Unref();
        _super = null;
        var sources = new List<Source>();
        foreach (string line in GoldenFormat.InputLines(testCase))
        {
            if (line == "mem" || (line.Length == 2 && line[0] == 'L' && line[1] is >= '0' and <= '6'))
            {
                sources.Add(new Source(line));
            }
            else if (sources.Count == 0)
            {
                throw testCase.Error($"`{line}` before the first source header (mem, L0..L6)");
            }
            else if (line.StartsWith("rangedel ", StringComparison.Ordinal))
            {
                sources[^1].Tombstones.Add(TableCommands.ParseRangeDel(line, testCase));
            }
            else
            {
                sources[^1].Points.Add(GoldenFormat.ParseEntry(line, testCase));
            }
        }

        var memtables = new List<Memtable.Memtable>();
        var levels = new List<FileMetadata>[LsmVersion.MaxLevels];
        for (int i = 0; i < levels.Length; i++)
        {
            levels[i] = [];
        }
        foreach (var source in sources)
        {
            if (source.Header == "mem")
            {
                memtables.Add(BuildMemtable(source, testCase));
            }
            else
            {
                levels[source.Header[1] - '0'].Add(BuildTable(source, testCase));
            }
        }
        if (memtables.Count == 0)
        {
            memtables.Add(new Memtable.Memtable(null, 1 << 16, logNumber: 1, seed: 1));
        }
        levels[0].Sort((a, b) => b.LargestSequence.CompareTo(a.LargestSequence));
        for (int level = 1; level < levels.Length; level++)
        {
            levels[level].Sort((a, b) => InternalKey.Compare(a.Smallest, b.Smallest));
            for (int i = 1; i < levels[level].Count; i++)
            {
                if (InternalKey.Compare(levels[level][i - 1].Largest, levels[level][i].Smallest) >= 0)
                {
                    throw testCase.Error($"L{level} tables {levels[level][i - 1].Number} and {levels[level][i].Number} overlap");
                }
            }
        }
        var version = new LsmVersion(null, levels);
        _super = new SuperVersion(memtables[0], [.. memtables.Skip(1)], version);
        foreach (var m in memtables)
        {
            m.Unref(); // the super version holds them now
        }
        return Describe(memtables, version);
    }

    private static Memtable.Memtable BuildMemtable(Source source, TestCase testCase)
    {
        var mem = new Memtable.Memtable(null, 1 << 16, logNumber: 1, seed: 1);
        foreach (var (key, value) in source.Points)
        {
            if (!mem.TryAdd(InternalKey.SequenceOf(key), InternalKey.KindOf(key), InternalKey.UserKey(key), value))
            {
                throw testCase.Error("memtable full");
            }
        }
        foreach (var t in source.Tombstones)
        {
            mem.TryAdd(t.Sequence, EntryKind.RangeDelete, t.Start, t.End);
        }
        return mem;
    }

    private FileMetadata BuildTable(Source source, TestCase testCase)
    {
        ulong number = _nextFileNumber++;
        source.Points.Sort((a, b) => InternalKey.Compare(a.Key, b.Key));
        using var builder = new TableBuilder(_fs.Open(_tables.TablePath(number), FileOpenMode.CreateNew),
            testCase.GetInt("block-size", 64), testCase.GetInt("restart-interval", 2), bloomBitsPerKey: 10);
        foreach (var (key, value) in source.Points)
        {
            builder.Add(key, value);
        }
        foreach (var t in source.Tombstones)
        {
            builder.AddRangeTombstone(t);
        }
        long size = builder.Finish();
        var props = builder.Properties;
        return new FileMetadata
        {
            Number = number,
            Size = size,
            Smallest = builder.Smallest ?? throw testCase.Error("empty table"),
            Largest = builder.Largest!,
            SmallestSequence = props.SmallestSequence,
            LargestSequence = props.LargestSequence,
            HasRangeTombstones = props.RangeDeletionCount > 0,
        };
    }

    private string Describe(List<Memtable.Memtable> memtables, LsmVersion version)
    {
        var output = new StringBuilder();
        for (int i = 0; i < memtables.Count; i++)
        {
            output.Append(i == 0 ? "mem:" : "imm:");
            using (var it = memtables[i].NewIterator())
            {
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    output.Append(' ').Append(GoldenFormat.Key(it.Key));
                }
            }
            AppendTombstones(output, [.. memtables[i].RangeTombstones]);
            output.Append('\n');
        }
        for (int level = 0; level < LsmVersion.MaxLevels; level++)
        {
            foreach (var f in version.Files[level])
            {
                output.Append($"L{level} {f.Number:D6} [{GoldenFormat.Key(f.Smallest)} .. {GoldenFormat.Key(f.Largest)}]:");
                var reader = _tables.Acquire(f);
                try
                {
                    using var it = reader.NewIterator();
                    for (it.SeekToFirst(); it.Valid; it.Next())
                    {
                        output.Append(' ').Append(GoldenFormat.Key(it.Key));
                    }
                    AppendTombstones(output, reader.RangeTombstones);
                }
                finally
                {
                    reader.Release();
                }
                output.Append('\n');
            }
        }
        return output.ToString();
    }

    private static void AppendTombstones(StringBuilder output, RangeTombstone[] tombstones)
    {
        foreach (var t in tombstones)
        {
            output.Append($" rangedel [{GoldenFormat.Bytes(t.Start)}, {GoldenFormat.Bytes(t.End)})#{t.Sequence}");
        }
    }

    /// <summary>Builds the iterator the way <see cref="LsmEngine.NewIterator"/> does.</summary>
    private LsmIterator NewIterator(ulong sequence)
    {
        var sv = _super!;
        if (!sv.TryRef())
        {
            throw new InvalidOperationException("super version released");
        }
        var children = new List<InternalIterator> { sv.Mem.NewIterator() };
        foreach (var m in sv.Immutables)
        {
            children.Add(m.NewIterator());
        }
        foreach (var f in sv.Version.Files[0])
        {
            var reader = _tables.Acquire(f);
            try
            {
                children.Add(reader.NewIterator());
            }
            finally
            {
                reader.Release();
            }
        }
        for (int level = 1; level < LsmVersion.MaxLevels; level++)
        {
            if (sv.Version.Files[level].Count > 0)
            {
                children.Add(new LevelIterator(_tables, sv.Version.Files[level], fillCache: true));
            }
        }
        return new LsmIterator(new MergingIterator([.. children]), sequence, sv.RangeTombstones(_tables), sv.Unref);
    }

    private string Iter(TestCase testCase)
    {
        if (_super == null)
        {
            throw testCase.Error("iter before define");
        }
        ulong sequence = ulong.Parse(testCase.GetArg("seq"), NumberStyles.None, CultureInfo.InvariantCulture);
        using var it = NewIterator(sequence);
        var output = new StringBuilder();
        foreach (string line in GoldenFormat.InputLines(testCase))
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
                    it.Seek(GoldenFormat.ParseBytes(words[1], testCase));
                    break;
                case "seek-for-prev" when words.Length == 2:
                    it.SeekForPrev(GoldenFormat.ParseBytes(words[1], testCase));
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
                .Append(it.Valid ? $"{GoldenFormat.Bytes(it.Key)}:{GoldenFormat.Bytes(it.Value)}" : ".")
                .Append('\n');
        }
        return output.ToString();
    }
}
