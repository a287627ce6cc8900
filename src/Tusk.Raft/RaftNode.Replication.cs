using Tusk.Core;

namespace Tusk.Raft;

public sealed partial class RaftNode
{
    // Appends are sent when the host takes the next ready, so every proposal made in between travels in one
    // message per follower. _broadcastPending also sends empty Appends (to carry a new commit index).
    private bool _appendPending;
    private bool _broadcastPending;

    // Leadership transfer target, 0 if none. While set, proposals are dropped.
    private ulong _leadTransferee;

    // The highest index of a membership change that may not be applied yet; a new one waits until it is.
    private ulong _pendingConfIndex;

    // Uncommitted proposals (index, bytes) for the MaxUncommittedEntriesBytes back-pressure.
    private readonly Queue<(ulong Index, long Bytes)> _uncommitted = new();
    private long _uncommittedBytes;

    // Reused for gathering an Append's entries (the message gets its own array).
    private readonly List<RaftEntry> _entriesScratch = [];

    // CRC32C of the snapshot being streamed, cached by snapshot index.
    private (ulong Index, uint Crc) _snapshotCrc;

    /// <summary>Proposes a command. Only a leader accepts; see <see cref="ProposeResult"/>.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> command)
    {
        if (Role != RaftRole.Leader) return new ProposeResult(ProposeStatus.NotLeader, 0, 0, Leader);
        if (_leadTransferee != 0) return new ProposeResult(ProposeStatus.Dropped, 0, 0, Leader, "leadership transfer in progress");
        var size = command.Length + RaftEntry.OverheadBytes;
        if (_config.MaxUncommittedEntriesBytes > 0 && _uncommittedBytes > 0 && _uncommittedBytes + size > _config.MaxUncommittedEntriesBytes)
            return new ProposeResult(ProposeStatus.Dropped, 0, 0, Leader, "too many uncommitted bytes");
        var entry = new RaftEntry(Term, _log.LastIndex + 1, EntryType.Normal, command);
        AppendAsLeader([entry]);
        return new ProposeResult(ProposeStatus.Ok, entry.Index, entry.Term, Id);
    }

    private void AppendAsLeader(ReadOnlySpan<RaftEntry> entries)
    {
        _log.Append(entries);
        foreach (var e in entries)
        {
            _uncommitted.Enqueue((e.Index, e.SizeBytes));
            _uncommittedBytes += e.SizeBytes;
        }
        _appendPending = true;
    }

    private void FlushPendingAppends()
    {
        if (Role != RaftRole.Leader) return;
        StartPendingReadRound();
        if (_broadcastPending || _appendPending) BroadcastAppend(sendIfEmpty: _broadcastPending);
        _appendPending = false;
        _broadcastPending = false;
    }

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _config.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum)
            {
                if (!QuorumRecentlyActive())
                {
                    BecomeFollower(Term, 0);
                    return;
                }
                foreach (var (id, pr) in _progress) pr.RecentActive = id == Id;
            }
            if (_leadTransferee != 0) _leadTransferee = 0;  // the transfer did not finish within an election timeout
        }
        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat(0);
        }
        foreach (var (id, pr) in _progress)
        {
            if (id == Id || pr.State != ProgressState.Snapshot) continue;
            if (++pr.SnapshotTicksSinceSend >= _config.ElectionTicks) SendSnapshotChunk(id, pr);  // the chunk or its answer was lost
        }
    }

    private bool QuorumRecentlyActive()
    {
        var active = 0;
        foreach (var voter in _conf.Voters)
        {
            if (voter == Id || (_progress.TryGetValue(voter, out var pr) && pr.RecentActive)) active++;
        }
        return active >= Quorum;
    }

    private void BroadcastAppend(bool sendIfEmpty)
    {
        foreach (var (id, pr) in _progress)
        {
            if (id == Id) continue;
            if (SendAppend(id, pr, sendIfEmpty))
            {
                while (pr.State == ProgressState.Replicate && SendAppend(id, pr, sendIfEmpty: false)) { }
            }
        }
    }

    private void BroadcastHeartbeat(ulong context)
    {
        foreach (var (id, pr) in _progress)
        {
            if (id == Id) continue;
            Send(new RaftMessage
            {
                Type = MessageType.Heartbeat, To = id, Term = Term, Commit = Math.Min(pr.Match, _log.Committed), Context = context, SentTick = _tick,
            });
        }
    }

    /// <summary>Sends the entries <paramref name="to"/> lacks, or a snapshot if they are compacted. False if nothing was sent.</summary>
    private bool SendAppend(ulong to, Progress pr, bool sendIfEmpty)
    {
        if (pr.IsPaused) return false;
        var prevIndex = pr.Next - 1;
        if (!_log.TryTerm(prevIndex, out var prevTerm))
        {
            StartSnapshot(to, pr);
            return false;
        }
        var entries = _entriesScratch;
        entries.Clear();
        if (pr.Next <= _log.LastIndex && !_log.TryEntries(pr.Next, _log.LastIndex + 1, _config.MaxSizePerMessageBytes, entries))
        {
            StartSnapshot(to, pr);
            return false;
        }
        if (entries.Count == 0 && !sendIfEmpty) return false;
        long bytes = 0;
        foreach (var e in entries) bytes += e.SizeBytes;
        Send(new RaftMessage
        {
            Type = MessageType.Append, To = to, Term = Term, Index = prevIndex, LogTerm = prevTerm, Entries = [.. entries], Commit = _log.Committed,
        });
        pr.SentEntries(entries.Count, entries.Count > 0 ? entries[^1].Index : prevIndex, bytes);
        return true;
    }

    private void StepLeader(RaftMessage m)
    {
        switch (m.Type)
        {
            case MessageType.ReadIndex:
                LeaderReadIndex(m.Context, m.From);
                return;
            case MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot:
                Invariant.Check(false, $"raft: two leaders in term {Term} ({Id} and {m.From})");
                return;
        }
        if (!_progress.TryGetValue(m.From, out var pr)) return;  // not (or no longer) a member
        pr.RecentActive = true;
        switch (m.Type)
        {
            case MessageType.AppendResponse:
                HandleAppendResponse(m, pr);
                break;
            case MessageType.HeartbeatResponse:
                pr.AckedHeartbeatTick = Math.Max(pr.AckedHeartbeatTick, m.SentTick);
                if (m.Context != 0)
                {
                    // A read round's heartbeat: it confirms leadership but must not resend the catch-up Append, or a
                    // read-heavy load would send a lagging follower its whole backlog once per read.
                    AckReadRound(m.Context, m.From);
                    break;
                }
                pr.ProbeSent = false;
                if (pr.State == ProgressState.Replicate && pr.Inflights.IsFull) pr.Inflights.FreeFirstOne();
                if (pr.Match < _log.LastIndex) SendAppend(m.From, pr, sendIfEmpty: false);
                break;
            case MessageType.SnapshotResponse:
                HandleSnapshotResponse(m, pr);
                break;
        }
    }

    private void HandleAppendResponse(RaftMessage m, Progress pr)
    {
        if (m.Reject)
        {
            // Skip back past every entry of a term the follower cannot have (the follower's hint and its term there).
            var hint = m.RejectHint;
            if (m.LogTerm > 0) hint = _log.FindConflictByTerm(m.RejectHint, m.LogTerm).Index;
            if (pr.MaybeDecrease(m.Index, hint))
            {
                if (pr.State == ProgressState.Replicate) pr.BecomeProbe();
                SendAppend(m.From, pr, sendIfEmpty: true);
            }
            return;
        }
        if (!pr.MaybeUpdate(m.Index) && !(pr.State == ProgressState.Probe && pr.Match == m.Index)) return;
        if (m.From == Id)
        {
            if (MaybeCommitAsLeader()) _broadcastPending = true;
            return;
        }
        switch (pr.State)
        {
            case ProgressState.Probe:
                pr.BecomeReplicate();
                break;
            case ProgressState.Snapshot when pr.SendingSnapshot is { } snap && pr.Match >= snap.Index:
                pr.BecomeProbe();
                pr.BecomeReplicate();
                break;
            case ProgressState.Replicate:
                pr.Inflights.FreeLe(m.Index);
                break;
        }
        if (MaybeCommitAsLeader()) _broadcastPending = true;
        else if (!pr.IsPaused && pr.Next <= _log.LastIndex) _appendPending = true;
        if (m.From == _leadTransferee && pr.Match == _log.LastIndex) SendTimeoutNow(m.From);
    }

    /// <summary>Commits the highest index durable on a quorum of voters, if its entry is from this term.</summary>
    private bool MaybeCommitAsLeader()
    {
        Span<ulong> matches = stackalloc ulong[_conf.Voters.Length];
        var n = 0;
        foreach (var voter in _conf.Voters)
        {
            matches[n++] = _progress.TryGetValue(voter, out var pr) ? pr.Match : 0;
        }
        if (n == 0) return false;
        matches.Sort();
        var quorumIndex = matches[n - Quorum];  // the largest index at least Quorum voters have
        if (!_log.MaybeCommit(quorumIndex, Term)) return false;
        while (_uncommitted.Count > 0 && _uncommitted.Peek().Index <= _log.Committed) _uncommittedBytes -= _uncommitted.Dequeue().Bytes;
        OnLeaderCommitAdvanced();
        return true;
    }

    private void StartSnapshot(ulong to, Progress pr)
    {
        if (pr.State == ProgressState.Snapshot) return;
        if (!pr.RecentActive) return;  // do not stream a snapshot to a node we have not heard from
        var snapshot = _log.Storage.GetSnapshot();
        Invariant.Check(snapshot.Metadata.Index > 0, "raft: entries are compacted but there is no snapshot");
        pr.BecomeSnapshot(snapshot.Metadata);
        SendSnapshotChunk(to, pr);
    }

    private void SendSnapshotChunk(ulong to, Progress pr)
    {
        var snapshot = _log.Storage.GetSnapshot();
        if (pr.SendingSnapshot is not { } sending || sending.Index != snapshot.Metadata.Index)
        {
            pr.BecomeSnapshot(snapshot.Metadata);  // a newer snapshot replaced the one being sent: start over
        }
        if (_snapshotCrc.Index != snapshot.Metadata.Index) _snapshotCrc = (snapshot.Metadata.Index, Crc32C.Compute(snapshot.Data.Span));
        var offset = (int)Math.Min(pr.SnapshotOffset, snapshot.Data.Length);
        var length = Math.Min(_config.SnapshotChunkBytes, snapshot.Data.Length - offset);
        Send(new RaftMessage
        {
            Type = MessageType.Snapshot, To = to, Term = Term, Snapshot = snapshot.Metadata, ChunkOffset = offset,
            ChunkData = snapshot.Data.Slice(offset, length), ChunkDone = offset + length == snapshot.Data.Length,
            SnapshotLength = snapshot.Data.Length, SnapshotCrc = _snapshotCrc.Crc,
        });
        pr.SnapshotTicksSinceSend = 0;
    }

    private void HandleSnapshotResponse(RaftMessage m, Progress pr)
    {
        if (pr.State != ProgressState.Snapshot || pr.SendingSnapshot?.Index != m.Index) return;
        if (m.Reject)
        {
            pr.SnapshotOffset = 0;
            SendSnapshotChunk(m.From, pr);
            return;
        }
        // The follower names the offset it expects next: ahead of ours acknowledges a chunk, behind ours means it lost
        // one (or restarted). Equal is a duplicate or an out-of-order chunk; the resend timer covers a loss.
        if (m.ChunkOffset == pr.SnapshotOffset) return;
        pr.SnapshotOffset = m.ChunkOffset;
        if (m.ChunkOffset < _log.Storage.GetSnapshot().Data.Length) SendSnapshotChunk(m.From, pr);
        // Otherwise the follower installs it and acknowledges with an AppendResponse once it is durable.
    }

    /// <summary>Hands leadership to <paramref name="target"/> (a voter): once it has our whole log it is told to campaign now.</summary>
    public ProposeResult TransferLeadership(ulong target)
    {
        if (Role != RaftRole.Leader) return new ProposeResult(ProposeStatus.NotLeader, 0, 0, Leader);
        if (target == Id) return new ProposeResult(ProposeStatus.Ok, 0, Term, Id);
        if (!_conf.IsVoter(target) || !_progress.TryGetValue(target, out var pr))
            return new ProposeResult(ProposeStatus.Rejected, 0, 0, Id, $"node {target} is not a voter");
        _leadTransferee = target;
        _electionElapsed = 0;
        if (pr.Match == _log.LastIndex) SendTimeoutNow(target);
        else SendAppend(target, pr, sendIfEmpty: true);
        return new ProposeResult(ProposeStatus.Ok, 0, Term, Id);
    }

    private void SendTimeoutNow(ulong to)
    {
        _leaseDisabled = true;  // the target's forced election ignores leases: ours is void from now on
        Send(new RaftMessage { Type = MessageType.TimeoutNow, To = to, Term = Term });
    }
}
