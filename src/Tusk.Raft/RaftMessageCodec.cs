using System.Buffers;
using System.Buffers.Binary;

namespace Tusk.Raft;

/// <summary>
/// The binary encoding of <see cref="RaftMessage"/> for transports (little-endian; version 1):
/// <code>
/// version u8 | type u8 | flags u8 (1 reject, 2 chunk done, 4 has snapshot) | group, from, to, term, logTerm, index,
/// commit, rejectHint, context, sentTick: u64 each | entries: count u32, then per entry term u64, index u64, type u8,
/// length u32, data | if has snapshot: index u64, term u64, conf (voter count i32, learner count i32, ids u64...) |
/// chunk offset i64 | snapshot length i64 | snapshot crc u32 | chunk length u32, chunk
/// </code>
/// Framing and checksums belong to the transport. <see cref="Decode"/> validates every length against the input and
/// throws <see cref="FormatException"/> on malformed data; decoded entries and chunks copy out of the input.
/// </summary>
public static class RaftMessageCodec
{
    private const byte Version = 1;
    private const int FixedBytes = 3 + 10 * 8 + 4 + 8 + 8 + 4 + 4;

    /// <summary>Upper bound of the encoded size (exact for messages without a snapshot).</summary>
    public static int EncodedLength(RaftMessage m)
    {
        var n = FixedBytes + m.ChunkData.Length;
        foreach (var e in m.Entries) n += 21 + e.Data.Length;
        if (m.Snapshot is { } s) n += 16 + s.Conf.EncodedLength;
        return n;
    }

    public static void Encode(RaftMessage m, IBufferWriter<byte> writer)
    {
        var length = EncodedLength(m);
        var span = writer.GetSpan(length);
        var written = Encode(m, span);
        writer.Advance(written);
    }

    /// <summary>Encodes into <paramref name="destination"/> (at least <see cref="EncodedLength"/> bytes); returns the bytes written.</summary>
    public static int Encode(RaftMessage m, Span<byte> destination)
    {
        destination[0] = Version;
        destination[1] = (byte)m.Type;
        destination[2] = (byte)((m.Reject ? 1 : 0) | (m.ChunkDone ? 2 : 0) | (m.Snapshot is not null ? 4 : 0));
        var at = 3;
        foreach (var v in (ReadOnlySpan<ulong>)[m.Group, m.From, m.To, m.Term, m.LogTerm, m.Index, m.Commit, m.RejectHint, m.Context, m.SentTick])
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], v);
            at += 8;
        }
        BinaryPrimitives.WriteInt32LittleEndian(destination[at..], m.Entries.Length);
        at += 4;
        foreach (var e in m.Entries)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], e.Term);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(at + 8)..], e.Index);
            destination[at + 16] = (byte)e.Type;
            BinaryPrimitives.WriteInt32LittleEndian(destination[(at + 17)..], e.Data.Length);
            at += 21;
            e.Data.Span.CopyTo(destination[at..]);
            at += e.Data.Length;
        }
        if (m.Snapshot is { } s)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], s.Index);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(at + 8)..], s.Term);
            at += 16;
            s.Conf.Encode(destination[at..], out var confBytes);
            at += confBytes;
        }
        BinaryPrimitives.WriteInt64LittleEndian(destination[at..], m.ChunkOffset);
        BinaryPrimitives.WriteInt64LittleEndian(destination[(at + 8)..], m.SnapshotLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(at + 16)..], m.SnapshotCrc);
        BinaryPrimitives.WriteInt32LittleEndian(destination[(at + 20)..], m.ChunkData.Length);
        at += 24;
        m.ChunkData.Span.CopyTo(destination[at..]);
        return at + m.ChunkData.Length;
    }

    public static RaftMessage Decode(ReadOnlySpan<byte> source)
    {
        if (source.Length < FixedBytes) throw new FormatException($"raft message: {source.Length} bytes is too short");
        if (source[0] != Version) throw new FormatException($"raft message: unknown version {source[0]}");
        var type = (MessageType)source[1];
        if (type is < MessageType.PreVote or > MessageType.ReadIndexResponse) throw new FormatException($"raft message: unknown type {source[1]}");
        var flags = source[2];
        if ((flags & ~7) != 0) throw new FormatException("raft message: unknown flags");
        var at = 3;
        Span<ulong> v = stackalloc ulong[10];
        for (var i = 0; i < 10; i++, at += 8) v[i] = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
        at += 4;
        if (count < 0 || count > (source.Length - at) / 21) throw new FormatException("raft message: bad entry count");
        var entries = new RaftEntry[count];
        for (var i = 0; i < count; i++)
        {
            Need(source, at, 21);
            var term = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]);
            var index = BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 8)..]);
            var entryType = source[at + 16];
            if (entryType > (byte)EntryType.ConfChange) throw new FormatException("raft message: unknown entry type");
            var length = BinaryPrimitives.ReadInt32LittleEndian(source[(at + 17)..]);
            at += 21;
            if (length < 0) throw new FormatException("raft message: bad entry length");
            Need(source, at, length);
            entries[i] = new RaftEntry(term, index, (EntryType)entryType, source.Slice(at, length).ToArray());
            at += length;
        }
        SnapshotMetadata? snapshot = null;
        if ((flags & 4) != 0)
        {
            Need(source, at, 24);
            var index = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]);
            var term = BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 8)..]);
            at += 16;
            ConfState conf;
            try
            {
                conf = ConfState.Decode(source[at..], out var read);
                at += read;
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new FormatException("raft message: truncated configuration", e);
            }
            catch (ArgumentException e)
            {
                throw new FormatException("raft message: bad configuration: " + e.Message, e);
            }
            snapshot = new SnapshotMetadata(index, term, conf);
        }
        Need(source, at, 24);
        var chunkOffset = BinaryPrimitives.ReadInt64LittleEndian(source[at..]);
        var snapshotLength = BinaryPrimitives.ReadInt64LittleEndian(source[(at + 8)..]);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(source[(at + 16)..]);
        var chunkLength = BinaryPrimitives.ReadInt32LittleEndian(source[(at + 20)..]);
        at += 24;
        if (chunkLength < 0) throw new FormatException("raft message: bad chunk length");
        Need(source, at, chunkLength);
        var chunk = source.Slice(at, chunkLength).ToArray();
        at += chunkLength;
        if (at != source.Length) throw new FormatException("raft message: trailing bytes");
        return new RaftMessage
        {
            Type = type, Group = v[0], From = v[1], To = v[2], Term = v[3], LogTerm = v[4], Index = v[5], Commit = v[6],
            RejectHint = v[7], Context = v[8], SentTick = v[9], Reject = (flags & 1) != 0, ChunkDone = (flags & 2) != 0,
            Entries = entries, Snapshot = snapshot, ChunkOffset = chunkOffset, SnapshotLength = snapshotLength, SnapshotCrc = crc, ChunkData = chunk,
        };
    }

    private static void Need(ReadOnlySpan<byte> source, int at, int length)
    {
        if (length > source.Length - at) throw new FormatException("raft message: truncated");
    }
}
