namespace Tusk.Storage.Iterators;

/// <summary>
/// A cursor over internal keys (user key + trailer, see <see cref="InternalKey"/>) in internal-key order.
/// <see cref="Key"/> and <see cref="Value"/> stay valid until the iterator moves. Single-threaded.
/// An abstract class rather than an interface: virtual calls are cheaper than interface dispatch here.
/// </summary>
internal abstract class InternalIterator : IDisposable
{
    // The current key is published in fields rather than through virtual properties: merging iterators read
    // keys of every child on every step, and a field read is much cheaper than a virtual call.
    // Invariant: when IsValid, KeyArray[KeyOffset .. KeyOffset+KeyLength) is the current internal key.
    protected byte[] KeyArray = [];
    protected int KeyOffset;
    protected int KeyLength;
    protected bool IsValid;

    /// <summary>True when positioned at an entry.</summary>
    public bool Valid => IsValid;

    /// <summary>The current internal key. Requires <see cref="Valid"/>.</summary>
    public ReadOnlySpan<byte> Key => new(KeyArray, KeyOffset, KeyLength);

    /// <summary>Copies another iterator's position fields (for iterators that wrap one child at a time).</summary>
    protected void PublishFrom(InternalIterator? inner)
    {
        if (inner == null || !inner.IsValid)
        {
            IsValid = false;
            return;
        }
        KeyArray = inner.KeyArray;
        KeyOffset = inner.KeyOffset;
        KeyLength = inner.KeyLength;
        IsValid = true;
    }

    /// <summary>The current value. Requires <see cref="Valid"/>.</summary>
    public abstract ReadOnlySpan<byte> Value { get; }

    /// <summary>Positions at the first entry.</summary>
    public abstract void SeekToFirst();

    /// <summary>Positions at the last entry.</summary>
    public abstract void SeekToLast();

    /// <summary>Positions at the first entry ≥ <paramref name="target"/>.</summary>
    public abstract void Seek(ReadOnlySpan<byte> target);

    /// <summary>Moves to the next entry. Requires <see cref="Valid"/>.</summary>
    public abstract void Next();

    /// <summary>Moves to the previous entry. Requires <see cref="Valid"/>.</summary>
    public abstract void Prev();

    /// <summary>Positions at the last entry ≤ <paramref name="target"/>.</summary>
    public virtual void SeekForPrev(ReadOnlySpan<byte> target)
    {
        Seek(target);
        if (!Valid)
        {
            SeekToLast();
        }
        else if (InternalKey.Compare(Key, target) > 0)
        {
            Prev();
        }
    }

    /// <summary>Releases what the iterator pins (blocks, tables).</summary>
    public virtual void Dispose() { }
}

/// <summary>An iterator over nothing.</summary>
internal sealed class EmptyIterator : InternalIterator
{
    public static readonly EmptyIterator Instance = new();

    public override ReadOnlySpan<byte> Value => throw new InvalidOperationException("iterator is not valid");

    public override void SeekToFirst() { }

    public override void SeekToLast() { }

    public override void Seek(ReadOnlySpan<byte> target) { }

    public override void Next() { }

    public override void Prev() { }
}
