namespace Tusk.Kv;

/// <summary>Orders byte arrays as unsigned bytes, a proper prefix first (the key order of the whole key space).</summary>
internal sealed class ByteKeyComparer : IComparer<byte[]>
{
    public static readonly ByteKeyComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
