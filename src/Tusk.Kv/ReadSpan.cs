namespace Tusk.Kv;

/// <summary>
/// What a SERIALIZABLE transaction read: one key (<see cref="End"/> null, <see cref="IsPoint"/>), or the keys in
/// [<see cref="Begin"/>, <see cref="End"/>) (End null: no upper bound).
/// </summary>
internal readonly record struct ReadSpan(byte[] Begin, byte[]? End, bool IsPoint)
{
    /// <summary>The exclusive end of the keys this span covers, null when unbounded.</summary>
    public byte[]? ExclusiveEnd => IsPoint ? Successor(Begin) : End;

    /// <summary>The smallest key after <paramref name="key"/>: key + 0x00.</summary>
    public static byte[] Successor(byte[] key)
    {
        var result = new byte[key.Length + 1];
        key.CopyTo(result, 0);
        return result;
    }
}
