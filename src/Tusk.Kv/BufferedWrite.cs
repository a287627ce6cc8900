namespace Tusk.Kv;

/// <summary>
/// One write a transaction holds until commit: the key's new value, or a deletion. Owned by the transaction;
/// after a commit the key array is shared with the commit tracker and never changed again.
/// </summary>
internal sealed class BufferedWrite(byte[] key, byte[]? value)
{
    /// <summary>Orders by key.</summary>
    public static readonly IComparer<BufferedWrite> Comparer =
        Comparer<BufferedWrite>.Create((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));

    public byte[] Key { get; set; } = key;

    /// <summary>The new value; null for a deletion.</summary>
    public byte[]? Value { get; set; } = value;
}
