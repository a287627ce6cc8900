using System.Buffers.Binary;

namespace Tusk.Raft;

/// <summary>A heartbeat (or its response) of one group, as carried in a <see cref="RaftBatch"/>.</summary>
public readonly record struct CoalescedHeartbeat(ulong Group, ulong Term, ulong Commit, ulong Context, ulong SentTick);

/// <summary>
/// Everything one node sends another in one go, across all the Raft groups they share (multi-Raft): ordinary
/// messages as they are, and heartbeats and heartbeat responses reduced to a few fixed-size fields each, so that
/// a thousand idle groups cost one network message per peer per tick rather than a thousand (CockroachDB's
/// coalesced heartbeats). <see cref="Expand"/> restores the individual messages on the receiving side.
/// </summary>
public sealed class RaftBatch
{
    public required ulong From { get; init; }

    public required ulong To { get; init; }

    public List<RaftMessage> Messages { get; } = [];

    public List<CoalescedHeartbeat> Heartbeats { get; } = [];

    public List<CoalescedHeartbeat> HeartbeatResponses { get; } = [];

    public int Count => Messages.Count + Heartbeats.Count + HeartbeatResponses.Count;

    /// <summary>Groups <paramref name="messages"/> (all from <paramref name="from"/>) into one batch per destination node, ascending by node id.</summary>
    public static IReadOnlyList<RaftBatch> Build(ulong from, IEnumerable<RaftMessage> messages)
    {
        var byPeer = new SortedDictionary<ulong, RaftBatch>();
        foreach (var m in messages)
        {
            if (!byPeer.TryGetValue(m.To, out var batch)) byPeer[m.To] = batch = new RaftBatch { From = from, To = m.To };
            switch (m.Type)
            {
                case MessageType.Heartbeat:
                    batch.Heartbeats.Add(new CoalescedHeartbeat(m.Group, m.Term, m.Commit, m.Context, m.SentTick));
                    break;
                case MessageType.HeartbeatResponse:
                    batch.HeartbeatResponses.Add(new CoalescedHeartbeat(m.Group, m.Term, m.Commit, m.Context, m.SentTick));
                    break;
                default:
                    batch.Messages.Add(m);
                    break;
            }
        }
        return [.. byPeer.Values];
    }

    /// <summary>The individual messages of this batch, heartbeats restored.</summary>
    public IEnumerable<RaftMessage> Expand()
    {
        foreach (var m in Messages) yield return m;
        foreach (var h in Heartbeats) yield return Restore(MessageType.Heartbeat, h);
        foreach (var h in HeartbeatResponses) yield return Restore(MessageType.HeartbeatResponse, h);
    }

    private RaftMessage Restore(MessageType type, CoalescedHeartbeat h) => new()
    {
        Type = type, Group = h.Group, From = From, To = To, Term = h.Term, Commit = h.Commit, Context = h.Context, SentTick = h.SentTick,
    };

    private const int HeartbeatBytes = 40;

    /// <summary>Encodes: from, to (u64), counts (3 × u32), heartbeats (5 × u64 each), responses, then each message (length u32 + codec).</summary>
    public byte[] Encode()
    {
        var length = 28 + HeartbeatBytes * (Heartbeats.Count + HeartbeatResponses.Count);
        foreach (var m in Messages) length += 4 + RaftMessageCodec.EncodedLength(m);
        var buffer = new byte[length];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, From);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], To);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], Messages.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], Heartbeats.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], HeartbeatResponses.Count);
        var at = 28;
        foreach (var list in (List<CoalescedHeartbeat>[])[Heartbeats, HeartbeatResponses])
        {
            foreach (var h in list)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(span[at..], h.Group);
                BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 8)..], h.Term);
                BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 16)..], h.Commit);
                BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 24)..], h.Context);
                BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 32)..], h.SentTick);
                at += HeartbeatBytes;
            }
        }
        foreach (var m in Messages)
        {
            var n = RaftMessageCodec.Encode(m, span[(at + 4)..]);
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], n);
            at += 4 + n;
        }
        return buffer.AsSpan(0, at).ToArray();
    }

    /// <summary>Decodes a batch; throws <see cref="FormatException"/> on malformed input.</summary>
    public static RaftBatch Decode(ReadOnlySpan<byte> source)
    {
        if (source.Length < 28) throw new FormatException("raft batch: too short");
        var batch = new RaftBatch { From = BinaryPrimitives.ReadUInt64LittleEndian(source), To = BinaryPrimitives.ReadUInt64LittleEndian(source[8..]) };
        var messages = BinaryPrimitives.ReadInt32LittleEndian(source[16..]);
        var heartbeats = BinaryPrimitives.ReadInt32LittleEndian(source[20..]);
        var responses = BinaryPrimitives.ReadInt32LittleEndian(source[24..]);
        if (messages < 0 || heartbeats < 0 || responses < 0 || (long)(heartbeats + (long)responses) * HeartbeatBytes > source.Length - 28)
            throw new FormatException("raft batch: bad counts");
        var at = 28;
        for (var i = 0; i < heartbeats + responses; i++)
        {
            var h = new CoalescedHeartbeat(
                BinaryPrimitives.ReadUInt64LittleEndian(source[at..]), BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 8)..]),
                BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 16)..]), BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 24)..]),
                BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 32)..]));
            (i < heartbeats ? batch.Heartbeats : batch.HeartbeatResponses).Add(h);
            at += HeartbeatBytes;
        }
        for (var i = 0; i < messages; i++)
        {
            if (source.Length - at < 4) throw new FormatException("raft batch: truncated");
            var n = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
            if (n < 0 || n > source.Length - at - 4) throw new FormatException("raft batch: bad message length");
            batch.Messages.Add(RaftMessageCodec.Decode(source.Slice(at + 4, n)));
            at += 4 + n;
        }
        if (at != source.Length) throw new FormatException("raft batch: trailing bytes");
        return batch;
    }
}

/// <summary>
/// Many Raft groups hosted on one node (multi-Raft): one <see cref="RaftNode"/> per group, ticked together, with
/// incoming batches routed by group and outgoing messages of all groups gathered into one <see cref="RaftBatch"/>
/// per peer. Still sans-I/O: the host persists each group's readies and sends the batches. Single-threaded.
/// </summary>
public sealed class MultiRaft
{
    private readonly SortedDictionary<ulong, RaftNode> _groups = [];

    public MultiRaft(ulong nodeId) => NodeId = nodeId;

    public ulong NodeId { get; }

    public IReadOnlyDictionary<ulong, RaftNode> Groups => _groups;

    public void Add(ulong group, RaftNode node)
    {
        if (node.Id != NodeId) throw new ArgumentException($"group {group}'s node has id {node.Id}, not {NodeId}");
        if (node.Group != group) throw new ArgumentException($"the node added as group {group} is configured for group {node.Group}");
        _groups.Add(group, node);
    }

    public bool Remove(ulong group) => _groups.Remove(group);

    public void Tick()
    {
        foreach (var node in _groups.Values) node.Tick();
    }

    /// <summary>Steps every message of a batch into its group; messages for unknown groups are counted and dropped.</summary>
    public int Step(RaftBatch batch)
    {
        var dropped = 0;
        foreach (var m in batch.Expand())
        {
            if (_groups.TryGetValue(m.Group, out var node)) node.Step(m);
            else dropped++;
        }
        return dropped;
    }

    /// <summary>
    /// Takes the ready of every group that has one. The host handles each as <see cref="RaftReady"/> says, except that
    /// it sends the network messages of all of them together: <see cref="RaftBatch.Build"/> over every ready's
    /// <see cref="RaftReady.Messages"/> (and later over the <see cref="RaftReady.MessagesAfterPersist"/>).
    /// </summary>
    public List<(ulong Group, RaftReady Ready)> TakeReadies()
    {
        var readies = new List<(ulong, RaftReady)>();
        foreach (var (group, node) in _groups)
        {
            if (node.HasReady) readies.Add((group, node.TakeReady()));
        }
        return readies;
    }
}
