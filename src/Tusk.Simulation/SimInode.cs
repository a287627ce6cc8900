using Tusk.Core;

namespace Tusk.Simulation;

/// <summary>
/// The contents of one simulated file, independent of its names (a rename moves the same inode). Holds what a
/// reader sees now (<see cref="Current"/>, the page cache) and what is on the platter (<see cref="Durable"/>),
/// plus the unsynced mutations in issue order so a crash can replay a prefix of them (a torn write).
/// Not thread-safe: <see cref="SimFileSystem"/> calls it under its lock.
/// Cost: a write copies its bytes twice (contents and pending log); a sync copies the dirty bytes once.
/// </summary>
internal sealed class SimInode
{
    // Unsynced mutations since the last sync, oldest first. Invariant: empty => Current and Durable hold the same
    // bytes (test helpers that corrupt bytes change both the same way).
    private readonly List<PendingMutation> _pending = [];

    public SimInode(long id)
    {
        Id = id;
    }

    /// <summary>Unique within one file system (and kept by <see cref="SimFileSystem.Clone(ulong)"/>).</summary>
    public long Id { get; }

    /// <summary>The contents readers see, including unsynced writes.</summary>
    public SimBuffer Current { get; private set; } = new();

    /// <summary>The contents as of the last successful sync (what survives a crash).</summary>
    public SimBuffer Durable { get; private set; } = new();

    public bool HasUnsyncedMutations => _pending.Count > 0;

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        Current.Write(offset, data);
        _pending.Add(new PendingMutation(offset, data.ToArray(), LengthBefore: 0, NewLength: 0));
    }

    public void SetLength(long length)
    {
        long before = Current.Length;
        Current.SetLength(length);
        _pending.Add(new PendingMutation(0, Data: null, before, length));
    }

    /// <summary>Makes <see cref="Current"/> durable, copying only the bytes the pending mutations touched.</summary>
    public void Sync()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        long length = Current.Length;
        // Bytes at or past the lowest truncation point may differ from Durable anywhere up to the end.
        long dirtyFrom = length;
        foreach (var m in _pending)
        {
            if (m.Data is null)
            {
                dirtyFrom = Math.Min(dirtyFrom, Math.Min(m.LengthBefore, m.NewLength));
            }
        }
        Durable.SetLength(length);
        Durable.CopyRange(Current, dirtyFrom, length - dirtyFrom);
        foreach (var m in _pending)
        {
            if (m.Data is not null && m.Offset < dirtyFrom)
            {
                long end = Math.Min(Math.Min(m.Offset + m.Data.Length, dirtyFrom), length);
                Durable.CopyRange(Current, m.Offset, end - m.Offset);
            }
        }
        _pending.Clear();
        Invariant.Check(Durable.Length == Current.Length, "SimInode.Sync: durable length differs from current");
    }

    /// <summary>Power loss without tearing: every unsynced byte is lost.</summary>
    public void DropUnsynced()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        Current = Durable.Clone();
        _pending.Clear();
    }

    /// <summary>
    /// Power loss interrupting the unsynced mutations at a random point (see <see cref="CrashOptions"/>): the
    /// mutations before it survive, the write at it survives as a strict prefix (randomized when
    /// <paramref name="corrupt"/>), the rest are lost. The result becomes durable: it is what is on disk now.
    /// </summary>
    public void Tear(IRandom random, bool corrupt)
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var result = Durable.Clone();
        int cut = random.Next(_pending.Count);
        for (int i = 0; i < cut; i++)
        {
            Apply(result, _pending[i]);
        }
        var torn = _pending[cut];
        if (torn.Data is not null)
        {
            int keep = random.Next(torn.Data.Length); // 0 .. length-1: the write did not complete.
            var prefix = torn.Data.AsSpan(0, keep).ToArray();
            if (corrupt)
            {
                random.NextBytes(prefix);
            }
            if (keep > 0)
            {
                result.Write(torn.Offset, prefix);
            }
        }
        Current = result;
        Durable = result.Clone();
        _pending.Clear();
    }

    /// <summary>XORs the byte at <paramref name="offset"/> with <paramref name="mask"/> in both copies where present.</summary>
    public bool XorByte(long offset, byte mask)
    {
        bool changed = Current.XorByte(offset, mask);
        changed |= Durable.XorByte(offset, mask);
        return changed;
    }

    public SimInode Clone() => CloneInto(new SimInode(Id));

    private SimInode CloneInto(SimInode copy)
    {
        copy.Current = Current.Clone();
        copy.Durable = Durable.Clone();
        copy._pending.AddRange(_pending); // PendingMutation.Data is never mutated after creation: sharing is safe.
        return copy;
    }

    private static void Apply(SimBuffer target, PendingMutation m)
    {
        if (m.Data is null)
        {
            target.SetLength(m.NewLength);
        }
        else
        {
            target.Write(m.Offset, m.Data);
        }
    }

    /// <summary>A write (<see cref="Data"/> set) or a length change (<see cref="Data"/> null).</summary>
    private readonly record struct PendingMutation(long Offset, byte[]? Data, long LengthBefore, long NewLength);
}

/// <summary>
/// A growable byte array holding file contents. Invariant: bytes at indexes >= <see cref="Length"/> are zero, so
/// growing the file exposes zeros (a gap written past the end reads as zeros, as on a real file system).
/// </summary>
internal sealed class SimBuffer
{
    private byte[] _bytes = [];

    public long Length { get; private set; }

    public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, (int)Length);

    public int Read(long offset, Span<byte> buffer)
    {
        if (offset >= Length)
        {
            return 0;
        }
        int n = (int)Math.Min(buffer.Length, Length - offset);
        _bytes.AsSpan((int)offset, n).CopyTo(buffer);
        return n;
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        long end = offset + data.Length;
        EnsureCapacity(end);
        data.CopyTo(_bytes.AsSpan((int)offset));
        if (end > Length)
        {
            Length = end;
        }
    }

    public void SetLength(long length)
    {
        if (length < Length)
        {
            Array.Clear(_bytes, (int)length, (int)(Length - length));
        }
        else
        {
            EnsureCapacity(length);
        }
        Length = length;
    }

    /// <summary>Copies <paramref name="count"/> bytes at <paramref name="offset"/> from <paramref name="source"/>; both must hold them.</summary>
    public void CopyRange(SimBuffer source, long offset, long count)
    {
        if (count <= 0)
        {
            return;
        }
        Invariant.Check(offset + count <= Length && offset + count <= source.Length, "SimBuffer.CopyRange: range past the end");
        source._bytes.AsSpan((int)offset, (int)count).CopyTo(_bytes.AsSpan((int)offset));
    }

    public bool XorByte(long offset, byte mask)
    {
        if (offset >= Length)
        {
            return false;
        }
        _bytes[offset] ^= mask;
        return true;
    }

    public SimBuffer Clone()
    {
        var copy = new SimBuffer();
        copy._bytes = Span.ToArray();
        copy.Length = Length;
        return copy;
    }

    private void EnsureCapacity(long length)
    {
        Invariant.Check(length <= SimFileSystem.FileSizeBytesMax, "SimBuffer: caller must check FileSizeBytesMax");
        if (length <= _bytes.Length)
        {
            return;
        }
        long capacity = Math.Max(length, Math.Min(Math.Max(4096L, (long)_bytes.Length * 2), SimFileSystem.FileSizeBytesMax));
        Array.Resize(ref _bytes, (int)capacity);
    }
}
