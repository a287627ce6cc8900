namespace Tusk.Raft;

public enum MessageType : byte
{
    /// <summary>Would you vote for me in <c>Term</c>? Changes no state on the receiver (pre-vote, dissertation §9.6).</summary>
    PreVote = 1,
    PreVoteResponse = 2,
    Vote = 3,
    VoteResponse = 4,

    /// <summary>Entries after (<c>Index</c>, <c>LogTerm</c>), and the leader's commit index.</summary>
    Append = 5,

    /// <summary><c>Index</c> = the follower's last index that matches the leader, or on <c>Reject</c> a hint (<c>RejectHint</c>, <c>LogTerm</c>).</summary>
    AppendResponse = 6,
    Heartbeat = 7,
    HeartbeatResponse = 8,

    /// <summary>One chunk of a snapshot: <c>Snapshot</c> metadata, <c>ChunkOffset</c>, <c>ChunkData</c>, <c>ChunkDone</c>.</summary>
    Snapshot = 9,

    /// <summary>The next chunk offset the follower expects (<c>ChunkOffset</c>); <c>Reject</c> restarts the transfer.</summary>
    SnapshotResponse = 10,

    /// <summary>From a leader transferring leadership: campaign now, without pre-vote.</summary>
    TimeoutNow = 11,

    /// <summary>A follower asks the leader for a read index (<c>Context</c> = request id).</summary>
    ReadIndex = 12,
    ReadIndexResponse = 13,
}

/// <summary>
/// A message between two Raft nodes of one group. Instances are not shared between threads while being built;
/// once handed to the host in a <see cref="RaftReady"/> they are read-only. <see cref="Entries"/> and the chunk
/// may share memory with the sender's log.
/// </summary>
public sealed class RaftMessage
{
    public MessageType Type { get; init; }

    /// <summary>The Raft group this message belongs to (multi-Raft); 0 for a single group.</summary>
    public ulong Group { get; set; }

    public ulong From { get; set; }

    public ulong To { get; init; }

    public ulong Term { get; init; }

    /// <summary>Append: the term of the entry at <see cref="Index"/>. Vote: the candidate's last log term. Reject: the term at <see cref="RejectHint"/>.</summary>
    public ulong LogTerm { get; init; }

    /// <summary>Append: the index before the first entry. Vote: the candidate's last index. AppendResponse: see <see cref="MessageType.AppendResponse"/>.</summary>
    public ulong Index { get; init; }

    public RaftEntry[] Entries { get; init; } = [];

    public ulong Commit { get; init; }

    public bool Reject { get; init; }

    public ulong RejectHint { get; init; }

    /// <summary>ReadIndex request id; on Vote, 1 marks a campaign for a leadership transfer (voters ignore their leader lease).</summary>
    public ulong Context { get; init; }

    /// <summary>Heartbeat and its response: the leader's tick when it sent the heartbeat (for lease reads).</summary>
    public ulong SentTick { get; init; }

    public SnapshotMetadata? Snapshot { get; init; }

    public long ChunkOffset { get; init; }

    public ReadOnlyMemory<byte> ChunkData { get; init; }

    public bool ChunkDone { get; init; }

    /// <summary>The whole snapshot's length and CRC32C, checked by the follower before it installs the snapshot.</summary>
    public long SnapshotLength { get; init; }

    public uint SnapshotCrc { get; init; }

    /// <summary>True if this message answers a request (used by tracing and by hosts that prioritize).</summary>
    public bool IsResponse => Type is MessageType.PreVoteResponse or MessageType.VoteResponse or MessageType.AppendResponse
        or MessageType.HeartbeatResponse or MessageType.SnapshotResponse or MessageType.ReadIndexResponse;

    /// <summary>Bytes of payload this message carries (entries and snapshot chunk), for transport limits.</summary>
    public int PayloadBytes
    {
        get
        {
            var n = ChunkData.Length;
            foreach (var e in Entries) n += e.SizeBytes;
            return n;
        }
    }

    public override string ToString()
    {
        var s = $"{From}->{To} {Type} Term:{Term}";
        switch (Type)
        {
            case MessageType.PreVote or MessageType.Vote:
                s += $" Log:{LogTerm}/{Index}" + (Context == 1 ? " transfer" : "");
                break;
            case MessageType.PreVoteResponse or MessageType.VoteResponse:
                s += Reject ? " Rejected" : " Granted";
                break;
            case MessageType.Append:
                s += $" Log:{LogTerm}/{Index} Commit:{Commit}";
                if (Entries.Length > 0) s += " Entries:[" + string.Join(", ", Entries) + "]";
                break;
            case MessageType.AppendResponse:
                s += Reject ? $" Rejected (Hint: {RejectHint}, LogTerm: {LogTerm})" : $" Index:{Index}";
                break;
            case MessageType.Heartbeat:
                s += $" Commit:{Commit}" + (Context != 0 ? $" ctx:{Context}" : "");
                break;
            case MessageType.HeartbeatResponse:
                s += Context != 0 ? $" ctx:{Context}" : "";
                break;
            case MessageType.Snapshot:
                s += $" Snapshot[{Snapshot}] chunk@{ChunkOffset}+{ChunkData.Length}/{SnapshotLength}" + (ChunkDone ? " done" : "");
                break;
            case MessageType.SnapshotResponse:
                s += $" Snapshot:{Index} next@{ChunkOffset}" + (Reject ? " Rejected" : "");
                break;
            case MessageType.ReadIndex or MessageType.ReadIndexResponse:
                s += $" ctx:{Context}" + (Type == MessageType.ReadIndexResponse ? $" Index:{Index}" : "");
                break;
        }
        return s;
    }
}
