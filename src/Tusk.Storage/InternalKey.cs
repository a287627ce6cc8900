using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tusk.Storage;

/// <summary>What an internal entry records about its user key.</summary>
public enum EntryKind : byte
{
    /// <summary>A point deletion (tombstone).</summary>
    Delete = 0,

    /// <summary>A value.</summary>
    Put = 1,

    /// <summary>A range deletion [key, value) — stored apart from point entries.</summary>
    RangeDelete = 2,

    /// <summary>
    /// Only in search keys and file bounds: sorts before every real entry with the same user key and sequence,
    /// so a seek for (key, seq, <see cref="Seek"/>) lands on the newest entry visible at seq.
    /// </summary>
    Seek = 0xFF,
}

/// <summary>
/// Internal keys: the user key followed by an 8-byte little-endian trailer <c>(sequence &lt;&lt; 8) | kind</c>.
/// Order: user key ascending (bytewise), then trailer descending, so for one user key the newest version
/// comes first and a seek to (key, snapshot) finds the newest version visible in that snapshot.
/// Sequence numbers are 56 bits; <see cref="MaxSequence"/> is reserved for search keys and bound sentinels.
/// </summary>
public static class InternalKey
{
    /// <summary>Length of the trailer.</summary>
    public const int TrailerLength = 8;

    /// <summary>Largest sequence number (56 bits).</summary>
    public const ulong MaxSequence = (1UL << 56) - 1;

    /// <summary>Packs a trailer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Trailer(ulong sequence, EntryKind kind) => (sequence << 8) | (byte)kind;

    /// <summary>The user key part of an internal key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> UserKey(ReadOnlySpan<byte> internalKey) => internalKey[..^TrailerLength];

    /// <summary>The trailer of an internal key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong TrailerOf(ReadOnlySpan<byte> internalKey) =>
        BinaryPrimitives.ReadUInt64LittleEndian(internalKey[^TrailerLength..]);

    /// <summary>The sequence number of an internal key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SequenceOf(ReadOnlySpan<byte> internalKey) => TrailerOf(internalKey) >> 8;

    /// <summary>The kind of an internal key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static EntryKind KindOf(ReadOnlySpan<byte> internalKey) => (EntryKind)internalKey[^TrailerLength];

    /// <summary>Writes userKey + trailer into <paramref name="destination"/>; returns the length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> userKey, ulong sequence, EntryKind kind)
    {
        userKey.CopyTo(destination);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[userKey.Length..], Trailer(sequence, kind));
        return userKey.Length + TrailerLength;
    }

    /// <summary>A new array holding the internal key.</summary>
    public static byte[] Make(ReadOnlySpan<byte> userKey, ulong sequence, EntryKind kind)
    {
        var b = new byte[userKey.Length + TrailerLength];
        Write(b, userKey, sequence, kind);
        return b;
    }

    /// <summary>Compares two internal keys: user key ascending, then trailer descending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int c = a[..^TrailerLength].SequenceCompareTo(b[..^TrailerLength]);
        if (c != 0)
        {
            return c;
        }
        ulong ta = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(a), a.Length - TrailerLength));
        ulong tb = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(b), b.Length - TrailerLength));
        return tb.CompareTo(ta);
    }

    /// <summary>Human-readable form for tests and errors: <c>key#seq,KIND</c>.</summary>
    public static string Format(ReadOnlySpan<byte> internalKey)
    {
        if (internalKey.Length < TrailerLength)
        {
            return "<bad internal key>";
        }
        return $"{FormatUserKey(UserKey(internalKey))}#{SequenceOf(internalKey)},{KindOf(internalKey)}";
    }

    /// <summary>Printable ASCII shown as is, other bytes as \xNN.</summary>
    public static string FormatUserKey(ReadOnlySpan<byte> key)
    {
        var sb = new System.Text.StringBuilder(key.Length);
        foreach (byte b in key)
        {
            if (b is >= 0x20 and < 0x7f && b != (byte)'\\')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }
}
