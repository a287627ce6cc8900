using System.Buffers.Binary;
using System.Text;
using Tusk.Core;
using Tusk.Storage.Sstable;
using Tusk.Testing;

namespace Tusk.Storage.Tests.Golden;

/// <summary>
/// Golden commands for one block (testdata/block):
/// <list type="bullet">
/// <item><c>build restart-interval=N</c> with entry lines <c>key#seq,KIND value</c>: builds a block with
/// <see cref="BlockBuilder"/> and dumps its bytes, decoded here independently of <see cref="BlockIterator"/>: per entry its
/// offset, shared/unshared key bytes, value length, the key delta as stored and the key and value it rebuilds to; then the
/// restart array and the sizes.</item>
/// <item><c>iter</c> with op lines (see <see cref="GoldenFormat.RunInternalOps"/>) over a <see cref="BlockIterator"/> of the
/// last built block.</item>
/// </list>
/// One instance per test file.
/// </summary>
internal sealed class BlockCommands
{
    private byte[]? _block;

    public string Handle(TestCase testCase) => testCase.Command switch
    {
        "build" => Build(testCase),
        "iter" => Iter(testCase),
        _ => throw testCase.Error($"unknown command {testCase.Command}"),
    };

    private string Build(TestCase testCase)
    {
        var builder = new BlockBuilder(testCase.GetInt("restart-interval"));
        foreach (string line in GoldenFormat.InputLines(testCase))
        {
            var (key, value) = GoldenFormat.ParseEntry(line, testCase);
            builder.Add(key, value);
        }
        _block = builder.Finish().ToArray();
        return Dump(_block);
    }

    private string Iter(TestCase testCase)
    {
        var block = _block ?? throw testCase.Error("iter before build");
        var it = new Block(block, block.Length, "golden-block", 0).NewIterator();
        return GoldenFormat.RunInternalOps(it, testCase);
    }

    /// <summary>Decodes the block format of <see cref="BlockBuilder"/> byte by byte.</summary>
    internal static string Dump(byte[] block)
    {
        var output = new StringBuilder();
        int restartCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(block.Length - 4));
        int restartsOffset = block.Length - 4 - 4 * restartCount;
        var restarts = new int[restartCount];
        for (int i = 0; i < restartCount; i++)
        {
            restarts[i] = (int)BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(restartsOffset + 4 * i));
        }
        byte[] key = [];
        int offset = 0;
        int entries = 0;
        while (offset < restartsOffset)
        {
            var s = block.AsSpan(offset, restartsOffset - offset);
            int a = Varint.TryRead32(s, out uint shared);
            int b = Varint.TryRead32(s[a..], out uint unshared);
            int c = Varint.TryRead32(s[(a + b)..], out uint valueLength);
            int header = a + b + c;
            var delta = s.Slice(header, (int)unshared);
            var value = s.Slice(header + (int)unshared, (int)valueLength);
            key = [.. key.AsSpan(0, (int)shared), .. delta];
            string restart = Array.IndexOf(restarts, offset) is int r and >= 0 ? $" [restart {r}]" : "";
            output.Append($"{offset,4}: shared={shared} unshared={unshared} value={valueLength} delta={GoldenFormat.Bytes(delta)}{restart}\n");
            output.Append($"      -> {GoldenFormat.Key(key)}:{GoldenFormat.Bytes(value)}\n");
            offset += header + (int)unshared + (int)valueLength;
            entries++;
        }
        output.Append($"restarts: [{string.Join(" ", restarts)}]\n");
        output.Append($"entries: {entries} in {restartsOffset} bytes\n");
        output.Append($"size: {block.Length} = {restartsOffset} + {restartCount} restart offsets x 4 + 4 (restart count)\n");
        return output.ToString();
    }
}
