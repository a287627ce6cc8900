using System.Globalization;
using System.Text;
using Tusk.Core.IO;
using Tusk.Simulation;
using Tusk.Storage.Cache;
using Tusk.Storage.Memtable;
using Tusk.Storage.Sstable;
using Tusk.Testing;

namespace Tusk.Storage.Tests.Golden;

/// <summary>
/// Golden commands for one SSTable (testdata/table), written to a <see cref="SimFileSystem"/> and read back with
/// <see cref="TableReader.Open"/> through a <see cref="BlockCache"/>:
/// <list type="bullet">
/// <item><c>build block-size=N restart-interval=N bloom-bits=N</c> with entry lines <c>key#seq,KIND value</c> (in
/// order) and <c>rangedel start end seq</c> lines (added after the points, as a flush does): prints the properties
/// as read back, the builder's bounds, the index entries (decoded into a <see cref="TableIndex"/> as the reader does:
/// the last key of each data block, its handle and the 8-byte key prefix the index searches first), the range deletions
/// read back, the footer handles and the file size.</item>
/// <item><c>get</c> with lines <c>key seq</c>: <see cref="TableReader.Get"/> at that snapshot.</item>
/// <item><c>iter</c> with op lines over the table iterator.</item>
/// <item><c>may-contain</c> with one user key per line: the bloom filter's answer.</item>
/// <item><c>find-block</c> with one seek target per line (<c>key#seq,KIND</c> or a user key): <see cref="TableIndex.Find"/>,
/// the first data block whose last key is at or after the target.</item>
/// </list>
/// Keys and values may hold any byte, written <c>\xNN</c>. One instance per test file.
/// </summary>
internal sealed class TableCommands
{
    private const string Directory = "/golden";

    private readonly SimFileSystem _fs = new(seed: 1);
    private readonly BlockCache _blockCache = new(1 << 20);
    private ulong _nextFileNumber = 1;
    private TableReader? _reader;
    private TableIndex? _index; // the last table's index, decoded from its bytes as TableReader.Open does

    public TableCommands()
    {
        _fs.CreateDirectory(Directory);
    }

    public string Handle(TestCase testCase) => testCase.Command switch
    {
        "build" => Build(testCase),
        "get" => Get(testCase),
        "iter" => Iter(testCase),
        "may-contain" => MayContain(testCase),
        "find-block" => FindBlock(testCase),
        _ => throw testCase.Error($"unknown command {testCase.Command}"),
    };

    private string Build(TestCase testCase)
    {
        ulong number = _nextFileNumber++;
        string path = $"{Directory}/{TableCache.TableName(number)}";
        var points = new List<(byte[] Key, byte[] Value)>();
        var tombstones = new List<RangeTombstone>();
        foreach (string line in GoldenFormat.InputLines(testCase))
        {
            if (line.StartsWith("rangedel ", StringComparison.Ordinal))
            {
                tombstones.Add(ParseRangeDel(line, testCase));
            }
            else
            {
                points.Add(GoldenFormat.ParseEntry(line, testCase));
            }
        }
        long size;
        byte[]? smallest, largest;
        using (var builder = new TableBuilder(_fs.Open(path, FileOpenMode.CreateNew), testCase.GetInt("block-size"),
                   testCase.GetInt("restart-interval"), testCase.GetInt("bloom-bits")))
        {
            foreach (var (key, value) in points)
            {
                builder.Add(key, value);
            }
            foreach (var t in tombstones)
            {
                builder.AddRangeTombstone(t);
            }
            size = builder.Finish();
            smallest = builder.Smallest;
            largest = builder.Largest;
        }
        _reader?.Release();
        _reader = TableReader.Open(_fs, path, number, _blockCache);
        return Describe(path, size, smallest, largest);
    }

    /// <summary><c>rangedel start end seq</c>.</summary>
    internal static RangeTombstone ParseRangeDel(string line, TestCase testCase)
    {
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 4 || !ulong.TryParse(words[3], NumberStyles.None, CultureInfo.InvariantCulture, out ulong seq))
        {
            throw testCase.Error($"`{line}` is not `rangedel start end seq`");
        }
        return new RangeTombstone(GoldenFormat.ParseBytes(words[1], testCase), GoldenFormat.ParseBytes(words[2], testCase), seq);
    }

    private string Describe(string path, long size, byte[]? smallest, byte[]? largest)
    {
        var reader = _reader!;
        var output = new StringBuilder();
        var p = reader.Properties;
        output.Append($"properties: entries={p.EntryCount} deletions={p.DeletionCount} range-deletions={p.RangeDeletionCount}"
            + $" data-blocks={p.DataBlockCount} data-bytes={p.DataBytes} raw-key-bytes={p.RawKeyBytes} raw-value-bytes={p.RawValueBytes}"
            + $" seqs={p.SmallestSequence}-{p.LargestSequence}\n");
        output.Append($"bounds: {(smallest == null ? "none" : GoldenFormat.Key(smallest))} .. {(largest == null ? "none" : GoldenFormat.Key(largest))}\n");

        // The footer and index, decoded from the file bytes.
        using var file = _fs.Open(path, FileOpenMode.ReadOnly);
        long length = file.Length;
        var footer = new byte[TableFormat.FooterLength];
        file.ReadExactly(length - TableFormat.FooterLength, footer);
        TableFormat.ReadFooter(footer, path, length - TableFormat.FooterLength, out var index, out var filter, out var rangeDel, out var properties);
        var indexBytes = new byte[index.Size + TableFormat.BlockTrailerLength];
        file.ReadExactly(index.Offset, indexBytes);
        _index = TableIndex.Build(new Block(indexBytes, (int)index.Size, path, index.Offset));
        output.Append("index:\n");
        for (int i = 0; i < _index.Count; i++)
        {
            var h = _index.Handle(i);
            var key = _index.KeyAt(i);
            output.Append(CultureInfo.InvariantCulture,
                $"  {i}: {GoldenFormat.Key(key)} -> data block (offset {h.Offset}, size {h.Size}) prefix={TableIndex.Prefix(InternalKey.UserKey(key)):x16}\n");
        }
        foreach (var t in reader.RangeTombstones)
        {
            output.Append($"rangedel: [{GoldenFormat.Bytes(t.Start)}, {GoldenFormat.Bytes(t.End)})#{t.Sequence}\n");
        }
        output.Append($"footer: filter={FormatHandle(filter)} range-del={FormatHandle(rangeDel)} properties={FormatHandle(properties)} index={FormatHandle(index)}\n");
        output.Append($"file size: {length}");
        if (length != size)
        {
            output.Append($" (but TableBuilder.Finish returned {size})");
        }
        output.Append('\n');
        return output.ToString();
    }

    private static string FormatHandle(BlockHandle h) => $"({h.Offset}, {h.Size})";

    private TableReader Reader(TestCase testCase) => _reader ?? throw testCase.Error("no table: build first");

    private string Get(TestCase testCase)
    {
        var reader = Reader(testCase);
        var output = new StringBuilder();
        foreach (string line in GoldenFormat.InputLines(testCase))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length != 2 || !ulong.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong seq))
            {
                throw testCase.Error($"`{line}` is not `key seq`");
            }
            var userKey = GoldenFormat.ParseBytes(words[0], testCase);
            var seekKey = InternalKey.Make(userKey, seq, EntryKind.Seek);
            var result = reader.Get(seekKey, userKey, KeyHash.Hash64(userKey), out var value, out ulong found);
            output.Append($"{line}: ").Append(result switch
            {
                LookupResult.Found => $"Found #{found} {GoldenFormat.Bytes(value ?? throw testCase.Error("Found without a value"))}",
                LookupResult.Deleted => $"Deleted #{found}",
                _ => "NotFound",
            }).Append('\n');
        }
        return output.ToString();
    }

    private string Iter(TestCase testCase)
    {
        using var it = Reader(testCase).NewIterator();
        return GoldenFormat.RunInternalOps(it, testCase);
    }

    private string MayContain(TestCase testCase)
    {
        var reader = Reader(testCase);
        var output = new StringBuilder();
        foreach (string key in GoldenFormat.InputLines(testCase))
        {
            output.Append($"{key}: {reader.MayContain(KeyHash.Hash64(GoldenFormat.ParseBytes(key, testCase)))}\n");
        }
        return output.ToString();
    }

    /// <summary>For each target line: the first data block whose last key is at or after it (TableIndex.Find).</summary>
    private string FindBlock(TestCase testCase)
    {
        var index = _index ?? throw testCase.Error("no table: build first");
        var output = new StringBuilder();
        foreach (string line in GoldenFormat.InputLines(testCase))
        {
            int i = index.Find(GoldenFormat.ParseSeekTarget(line, testCase));
            output.Append(i < index.Count ? $"{line}: block {i} (last key {GoldenFormat.Key(index.KeyAt(i))})\n" : $"{line}: past the last block\n");
        }
        return output.ToString();
    }
}
