using Tusk.Storage.Tests.Golden;
using Tusk.Testing;
using Xunit;

namespace Tusk.Storage.Tests;

/// <summary>
/// Golden data-driven tests of the storage engine's cores (STYLE.md C4): one theory per topic over
/// <c>testdata/&lt;topic&gt;/*.txt</c>, each file run with a fresh handler (handlers live in <c>Golden/</c>).
/// <c>TUSK_REWRITE=1 dotnet test tests/Tusk.Storage.Tests --filter Golden</c> rewrites the expectations; review the diff.
/// </summary>
public sealed class GoldenTests
{
    public static IEnumerable<object[]> BlockFiles() => DataDriven.FilesIn("testdata/block");

    public static IEnumerable<object[]> TableFiles() => DataDriven.FilesIn("testdata/table");

    public static IEnumerable<object[]> IteratorFiles() => DataDriven.FilesIn("testdata/iterator");

    public static IEnumerable<object[]> CompactionFiles() => DataDriven.FilesIn("testdata/compaction");

    /// <summary>Block encoding and <c>BlockIterator</c>.</summary>
    [Theory]
    [MemberData(nameof(BlockFiles))]
    public void Block(string path) => DataDriven.RunFile(path, new BlockCommands().Handle);

    /// <summary>SSTable layout, point lookups, the two-level iterator and the bloom filter.</summary>
    [Theory]
    [MemberData(nameof(TableFiles))]
    public void Table(string path) => DataDriven.RunFile(path, new TableCommands().Handle);

    /// <summary>MVCC iteration through <c>LsmIterator</c> over memtables and tables.</summary>
    [Theory]
    [MemberData(nameof(IteratorFiles))]
    public void Iterator(string path) => DataDriven.RunFile(path, new IteratorCommands().Handle);

    /// <summary>Compaction scoring and picking.</summary>
    [Theory]
    [MemberData(nameof(CompactionFiles))]
    public void Compaction(string path) => DataDriven.RunFile(path, new CompactionCommands().Handle);
}
