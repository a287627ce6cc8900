using Tusk.Core;
using System.Buffers.Binary;

namespace Tusk.Kv;

// ---------------------------------------------------------------------------------------------------------------
// MVCC format on Tusk.Storage, version 1 (also in docs/kv.md).
//
// The store owns the whole engine key space and splits it by the first byte:
//
//   0x01 name                                  metadata (ASCII name); "format" -> [1], "hlc-ceiling" -> u64 BE
//   0x02 escape(user key) 0x00 0x01 ~ts        one version of a user key, committed at HLC timestamp ts
//
// escape() writes each 0x00 byte of the user key as 0x00 0xFF and copies every other byte; the two bytes
// 0x00 0x01 end the user key; ~ts is the one's complement of the packed HlcTimestamp, 8 bytes big-endian.
//
// Order (engine keys compare as unsigned bytes):
// - User keys in byte order, whatever follows them: at the first difference the escaped forms differ the same
//   way (a 0x00 in one key meets 0x00 0xFF in the escape, above the terminator's 0x01 and below any other byte
//   in the other key), and a key that is a proper prefix of another meets 0x00 0x01 against 0x00 0xFF or a
//   non-zero byte: shorter first, as with raw bytes. So user-key order = byte order, and the versions of one
//   user key are contiguous: all start with prefix(k) = 0x02 escape(k) 0x00 0x01 and are followed by exactly
//   8 bytes, and nothing else starts with that prefix.
// - Versions of one key newest first: ~ts makes a larger timestamp sort earlier.
// - Hence a snapshot read of k at ts is ONE seek to prefix(k) ~ts: the engine lands on the first key >= it,
//   which is the newest version with commit timestamp <= ts, if its first (length - 8) bytes are prefix(k);
//   otherwise k has no version visible at ts.
// - A scan of user keys [b, e) is the engine range [prefix(b), prefix(e)); unbounded above is [.., 0x03).
//   The engine keys right after every version of k start at prefix(k) with its last byte 0x01 -> 0x02.
//
// Value of a version: [kind : u8] payload
//   0x01  value      payload = the user value
//   0x02  tombstone  no payload (the key was deleted at ts)
//   other kinds are reserved (write intents for distributed transactions); reading one is corruption.
//
// Why not the tuple encoding (Tusk.Core.Encoding): user keys here are opaque bytes that are usually tuples
// already; a second layer of type codes would cost a byte and hide nothing. The escape is the tuple layer's
// byte-string escape with a two-byte terminator, so that the 8 timestamp bytes after it (which may start with
// 0xFF) can never be mistaken for an escaped 0x00 of a longer key.
// ---------------------------------------------------------------------------------------------------------------

/// <summary>
/// Encoding of MVCC versions into Tusk.Storage keys and values; the format is specified in the comment above
/// this type. Stateless and thread-safe.
/// </summary>
public static class MvccEncoding
{
    /// <summary>First byte of the store's metadata keys.</summary>
    public const byte MetaPrefix = 0x01;

    /// <summary>First byte of every version key.</summary>
    public const byte DataPrefix = 0x02;

    /// <summary>First byte after the version keys (the exclusive end of the data space).</summary>
    public const byte DataEnd = 0x03;

    /// <summary>Bytes of the inverted timestamp at the end of a version key.</summary>
    public const int TimestampLength = 8;

    /// <summary>Value kind: a live value follows.</summary>
    public const byte KindValue = 0x01;

    /// <summary>Value kind: the key was deleted.</summary>
    public const byte KindTombstone = 0x02;

    private const byte Escape = 0xFF;
    private const byte TerminatorFirst = 0x00;
    private const byte TerminatorSecond = 0x01;

    /// <summary>Length of prefix(<paramref name="userKey"/>): data prefix, escaped key, terminator.</summary>
    public static int PrefixLength(ReadOnlySpan<byte> userKey) => 1 + userKey.Length + userKey.Count((byte)0) + 2;

    /// <summary>Length of a version key of <paramref name="userKey"/>.</summary>
    public static int VersionKeyLength(ReadOnlySpan<byte> userKey) => PrefixLength(userKey) + TimestampLength;

    /// <summary>Writes prefix(<paramref name="userKey"/>) to <paramref name="destination"/>; returns its length.</summary>
    public static int WritePrefix(Span<byte> destination, ReadOnlySpan<byte> userKey)
    {
        destination[0] = DataPrefix;
        int n = 1;
        while (true)
        {
            int zero = userKey.IndexOf((byte)0);
            if (zero < 0)
            {
                userKey.CopyTo(destination[n..]);
                n += userKey.Length;
                break;
            }
            userKey[..zero].CopyTo(destination[n..]);
            n += zero;
            destination[n++] = 0;
            destination[n++] = Escape;
            userKey = userKey[(zero + 1)..];
        }
        destination[n++] = TerminatorFirst;
        destination[n++] = TerminatorSecond;
        return n;
    }

    /// <summary>prefix(<paramref name="userKey"/>): every version of the key starts with it.</summary>
    public static byte[] EncodePrefix(ReadOnlySpan<byte> userKey)
    {
        var result = new byte[PrefixLength(userKey)];
        WritePrefix(result, userKey);
        return result;
    }

    /// <summary>Writes the inverted timestamp after a prefix of <paramref name="prefixLength"/> bytes.</summary>
    public static void WriteTimestamp(Span<byte> destination, int prefixLength, HlcTimestamp timestamp) =>
        BinaryPrimitives.WriteUInt64BigEndian(destination[prefixLength..], ~timestamp.Value);

    /// <summary>Writes the key of <paramref name="userKey"/>'s version at <paramref name="timestamp"/>; returns its length.</summary>
    public static int WriteVersionKey(Span<byte> destination, ReadOnlySpan<byte> userKey, HlcTimestamp timestamp)
    {
        int n = WritePrefix(destination, userKey);
        WriteTimestamp(destination, n, timestamp);
        return n + TimestampLength;
    }

    /// <summary>The key of <paramref name="userKey"/>'s version at <paramref name="timestamp"/>.</summary>
    public static byte[] EncodeVersionKey(ReadOnlySpan<byte> userKey, HlcTimestamp timestamp)
    {
        var result = new byte[VersionKeyLength(userKey)];
        WriteVersionKey(result, userKey, timestamp);
        return result;
    }

    /// <summary>True when <paramref name="engineKey"/> is a well-formed version key.</summary>
    public static bool IsVersionKey(ReadOnlySpan<byte> engineKey) =>
        engineKey.Length >= 1 + 2 + TimestampLength && engineKey[0] == DataPrefix
        && engineKey[^(TimestampLength + 2)] == TerminatorFirst && engineKey[^(TimestampLength + 1)] == TerminatorSecond;

    /// <summary>The commit timestamp of a version key.</summary>
    public static HlcTimestamp TimestampOf(ReadOnlySpan<byte> versionKey) =>
        new(~BinaryPrimitives.ReadUInt64BigEndian(versionKey[^TimestampLength..]));

    /// <summary>prefix(k) of a version key of k.</summary>
    public static ReadOnlySpan<byte> PrefixOf(ReadOnlySpan<byte> versionKey) => versionKey[..^TimestampLength];

    /// <summary>The user key of a prefix (or of a version key, whose timestamp is ignored).</summary>
    public static byte[] DecodeUserKey(ReadOnlySpan<byte> prefixOrVersionKey)
    {
        var p = IsVersionKey(prefixOrVersionKey) ? PrefixOf(prefixOrVersionKey) : prefixOrVersionKey;
        if (p.Length < 3 || p[0] != DataPrefix || p[^2] != TerminatorFirst || p[^1] != TerminatorSecond)
        {
            throw new FormatException("not an MVCC key prefix");
        }
        var escaped = p[1..^2];
        var result = new byte[escaped.Length - escaped.Count((byte)0)];
        int n = 0;
        for (int i = 0; i < escaped.Length; i++)
        {
            result[n++] = escaped[i];
            if (escaped[i] == 0)
            {
                if (i + 1 >= escaped.Length || escaped[i + 1] != Escape)
                {
                    throw new FormatException("MVCC key has an unescaped 0x00 byte");
                }
                i++;
            }
        }
        return result;
    }

    /// <summary>
    /// Turns a prefix into the first engine key after every version of its user key, in place (the
    /// terminator's 0x01 becomes 0x02).
    /// </summary>
    public static void ToPrefixSuccessor(Span<byte> prefix)
    {
        if (prefix[^1] != TerminatorSecond)
        {
            throw new ArgumentException("not an MVCC key prefix", nameof(prefix));
        }
        prefix[^1] = TerminatorSecond + 1;
    }

    /// <summary>The encoded value of a live version.</summary>
    public static byte[] EncodeValue(ReadOnlySpan<byte> value)
    {
        var result = new byte[1 + value.Length];
        result[0] = KindValue;
        value.CopyTo(result.AsSpan(1));
        return result;
    }

    /// <summary>The encoded value of a tombstone.</summary>
    public static ReadOnlySpan<byte> TombstoneValue => [KindTombstone];

    /// <summary>
    /// Decodes a version's value: false for a tombstone, true with <paramref name="value"/> for a live value.
    /// Throws <see cref="FormatException"/> for an empty value or an unknown kind.
    /// </summary>
    public static bool TryDecodeValue(ReadOnlySpan<byte> encoded, out ReadOnlySpan<byte> value)
    {
        if (encoded.Length == 0)
        {
            throw new FormatException("empty MVCC value");
        }
        switch (encoded[0])
        {
            case KindValue:
                value = encoded[1..];
                return true;
            case KindTombstone when encoded.Length == 1:
                value = default;
                return false;
            default:
                throw new FormatException($"MVCC value of unknown kind 0x{encoded[0]:X2} (length {encoded.Length})");
        }
    }

    /// <summary>Metadata key <paramref name="name"/>.</summary>
    internal static byte[] MetaKey(string name)
    {
        var result = new byte[1 + name.Length];
        result[0] = MetaPrefix;
        for (int i = 0; i < name.Length; i++)
        {
            result[1 + i] = checked((byte)name[i]);
        }
        return result;
    }
}
