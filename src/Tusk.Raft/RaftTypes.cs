using System.Buffers.Binary;

namespace Tusk.Raft;

/// <summary>What an entry carries: a command for the state machine, or a change of the voter set.</summary>
public enum EntryType : byte
{
    /// <summary>An application command (possibly empty: the no-op a new leader appends).</summary>
    Normal = 0,

    /// <summary>A <see cref="ConfChange"/>; takes effect on a node when the entry is handed out as committed.</summary>
    ConfChange = 1,
}

/// <summary>
/// One Raft log entry. <see cref="Data"/> is owned by whoever created the entry and must not be mutated after
/// it was proposed: the same memory travels to the host for persistence and to followers in messages.
/// </summary>
public readonly record struct RaftEntry(ulong Term, ulong Index, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Fixed per-entry overhead counted by the byte limits (term, index, type and framing).</summary>
    public const int OverheadBytes = 24;

    /// <summary>Bytes this entry counts against <see cref="RaftConfig.MaxSizePerMessageBytes"/> and the in-flight limits.</summary>
    public int SizeBytes => Data.Length + OverheadBytes;

    public override string ToString() => Type == EntryType.Normal
        ? $"{Term}/{Index}" + (Data.IsEmpty ? " EntryNormal" : " EntryNormal \"" + RaftText.Printable(Data.Span) + "\"")
        : $"{Term}/{Index} EntryConfChange {DescribeConfChange(Data.Span)}";

    private static string DescribeConfChange(ReadOnlySpan<byte> data)
    {
        try
        {
            return ConfChange.Decode(data).ToString();
        }
        catch (FormatException)
        {
            return $"(malformed, {data.Length} bytes)";
        }
    }
}

/// <summary>The state a node must have on stable storage before it answers votes or appends (Raft figure 2).</summary>
/// <param name="Term">The latest term the node has seen.</param>
/// <param name="Vote">The candidate it voted for in <paramref name="Term"/>, 0 if none.</param>
/// <param name="Commit">The commit index it knew of; persisted so a restart re-applies no less than it had.</param>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    public bool IsEmpty => Term == 0 && Vote == 0 && Commit == 0;

    public override string ToString() => $"Term:{Term} Vote:{Vote} Commit:{Commit}";
}

/// <summary>The configuration of a group: who votes and who only learns. Immutable.</summary>
public sealed class ConfState : IEquatable<ConfState>
{
    public static readonly ConfState Empty = new([], []);

    public ConfState(IEnumerable<ulong> voters, IEnumerable<ulong> learners)
    {
        Voters = [.. voters.Distinct().Order()];
        Learners = [.. learners.Distinct().Order()];
        foreach (var l in Learners)
        {
            if (Array.IndexOf(Voters, l) >= 0) throw new ArgumentException($"node {l} is both a voter and a learner");
        }
    }

    /// <summary>Voting members, ascending.</summary>
    public ulong[] Voters { get; }

    /// <summary>Non-voting members that receive the log, ascending.</summary>
    public ulong[] Learners { get; }

    public bool IsVoter(ulong id) => Array.BinarySearch(Voters, id) >= 0;

    public bool IsLearner(ulong id) => Array.BinarySearch(Learners, id) >= 0;

    public bool Contains(ulong id) => IsVoter(id) || IsLearner(id);

    /// <summary>Returns the configuration after <paramref name="change"/>; throws <see cref="ArgumentException"/> if it is not allowed.</summary>
    public ConfState Apply(ConfChange change) => change.Kind switch
    {
        ConfChangeKind.AddVoter => new ConfState(Voters.Append(change.NodeId), Learners.Where(l => l != change.NodeId)),
        ConfChangeKind.AddLearner when IsVoter(change.NodeId) => throw new ArgumentException($"node {change.NodeId} is a voter; demoting a voter is not supported"),
        ConfChangeKind.AddLearner => new ConfState(Voters, Learners.Append(change.NodeId)),
        ConfChangeKind.RemoveNode when Voters.Length == 1 && Voters[0] == change.NodeId => throw new ArgumentException("cannot remove the last voter"),
        ConfChangeKind.RemoveNode => new ConfState(Voters.Where(v => v != change.NodeId), Learners.Where(l => l != change.NodeId)),
        ConfChangeKind.SetVoters => new ConfState(change.Voters, []),
        _ => throw new ArgumentException($"unknown conf change kind {change.Kind}"),
    };

    public bool Equals(ConfState? other) => other is not null && Voters.AsSpan().SequenceEqual(other.Voters) && Learners.AsSpan().SequenceEqual(other.Learners);

    public override bool Equals(object? obj) => obj is ConfState c && Equals(c);

    public override int GetHashCode() => HashCode.Combine(Voters.Length, Learners.Length, Voters.Length > 0 ? Voters[0] : 0);

    public override string ToString() => $"voters=({string.Join(" ", Voters)})" + (Learners.Length > 0 ? $" learners=({string.Join(" ", Learners)})" : "");

    internal void Encode(Span<byte> destination, out int written)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, Voters.Length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Learners.Length);
        var at = 8;
        foreach (var v in Voters) { BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], v); at += 8; }
        foreach (var l in Learners) { BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], l); at += 8; }
        written = at;
    }

    internal int EncodedLength => 8 + 8 * (Voters.Length + Learners.Length);

    internal static ConfState Decode(ReadOnlySpan<byte> source, out int read)
    {
        var voters = BinaryPrimitives.ReadInt32LittleEndian(source);
        var learners = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        if (voters < 0 || learners < 0 || voters + learners > 1 << 16) throw new FormatException("conf state: bad member counts");
        var v = new ulong[voters];
        var l = new ulong[learners];
        var at = 8;
        for (var i = 0; i < voters; i++) { v[i] = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]); at += 8; }
        for (var i = 0; i < learners; i++) { l[i] = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]); at += 8; }
        read = at;
        return new ConfState(v, l);
    }
}

public enum ConfChangeKind : byte
{
    AddVoter = 1,
    AddLearner = 2,
    RemoveNode = 3,

    /// <summary>Only in the bootstrap entry at index 1: sets the initial voters.</summary>
    SetVoters = 4,
}

/// <summary>
/// A single-server membership change (Raft dissertation §4.1): one voter added or removed at a time, so any
/// majority of the old configuration overlaps any majority of the new one. At most one change is pending.
/// </summary>
public readonly record struct ConfChange(ConfChangeKind Kind, ulong NodeId, ulong[] Voters)
{
    public static ConfChange AddVoter(ulong id) => new(ConfChangeKind.AddVoter, id, []);

    public static ConfChange AddLearner(ulong id) => new(ConfChangeKind.AddLearner, id, []);

    public static ConfChange Remove(ulong id) => new(ConfChangeKind.RemoveNode, id, []);

    public byte[] Encode()
    {
        var buffer = new byte[1 + 8 + 4 + 8 * Voters.Length];
        buffer[0] = (byte)Kind;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(1), NodeId);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(9), Voters.Length);
        for (var i = 0; i < Voters.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(13 + 8 * i), Voters[i]);
        return buffer;
    }

    public static ConfChange Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 13) throw new FormatException("conf change: too short");
        var count = BinaryPrimitives.ReadInt32LittleEndian(data[9..]);
        if (count < 0 || data.Length != 13 + 8 * count) throw new FormatException("conf change: bad voter count");
        var voters = new ulong[count];
        for (var i = 0; i < count; i++) voters[i] = BinaryPrimitives.ReadUInt64LittleEndian(data[(13 + 8 * i)..]);
        return new ConfChange((ConfChangeKind)data[0], BinaryPrimitives.ReadUInt64LittleEndian(data[1..]), voters);
    }

    public override string ToString() => Kind == ConfChangeKind.SetVoters ? $"set-voters({string.Join(" ", Voters)})" : $"{Kind}({NodeId})";
}

/// <summary>What a snapshot covers: the log up to <see cref="Index"/> (whose term is <see cref="Term"/>) and the configuration then.</summary>
public sealed record SnapshotMetadata(ulong Index, ulong Term, ConfState Conf)
{
    public static readonly SnapshotMetadata Empty = new(0, 0, ConfState.Empty);

    public override string ToString() => $"Index:{Index} Term:{Term} {Conf}";
}

/// <summary>A state-machine snapshot and its metadata. <see cref="Data"/> is opaque to Raft.</summary>
public sealed record RaftSnapshot(SnapshotMetadata Metadata, ReadOnlyMemory<byte> Data)
{
    public override string ToString() => $"{Metadata} ({Data.Length} bytes)";
}

/// <summary>A linearizable read that may be served once the state machine has applied <see cref="Index"/>.</summary>
public readonly record struct ReadState(ulong Index, ulong RequestId);

internal static class RaftText
{
    public static string Printable(ReadOnlySpan<byte> data)
    {
        var chars = new char[Math.Min(data.Length, 64)];
        for (var i = 0; i < chars.Length; i++) chars[i] = data[i] is >= 0x20 and < 0x7f ? (char)data[i] : '.';
        return new string(chars) + (data.Length > 64 ? "…" : "");
    }
}
