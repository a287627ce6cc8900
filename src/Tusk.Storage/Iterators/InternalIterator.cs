namespace Tusk.Storage.Iterators;

/// <summary>
/// A cursor over internal keys (user key + trailer, see <see cref="InternalKey"/>) in internal-key order.
/// <see cref="Key"/> and <see cref="Value"/> stay valid until the iterator moves. Single-threaded.
/// An abstract class rather than an interface: virtual calls are cheaper than interface dispatch here.
/// </summary>
internal abstract class InternalIterator : IDisposable
{
    /// <summary>True when positioned at an entry.</summary>
    public abstract bool Valid { get; }

    /// <summary>The current internal key. Requires <see cref="Valid"/>.</summary>
    public abstract ReadOnlySpan<byte> Key { get; }

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

    public override bool Valid => false;

    public override ReadOnlySpan<byte> Key => throw new InvalidOperationException("iterator is not valid");

    public override ReadOnlySpan<byte> Value => throw new InvalidOperationException("iterator is not valid");

    public override void SeekToFirst() { }

    public override void SeekToLast() { }

    public override void Seek(ReadOnlySpan<byte> target) { }

    public override void Next() { }

    public override void Prev() { }
}
