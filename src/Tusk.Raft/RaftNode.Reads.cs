namespace Tusk.Raft;

public sealed partial class RaftNode
{
    // A read waiting for a quorum to confirm this node is still the leader (ReadIndex, Raft dissertation §6.4).
    private sealed class ReadRound
    {
        public required ulong Round;
        public required ulong Index;
        public required List<(ulong RequestId, ulong From)> Requests;
        public readonly SortedSet<ulong> Acks = [];
    }

    // Reads that arrived since the last ready: they share one heartbeat round, started when the host takes the
    // next ready. Using the commit index of that moment is safe: it is at least the one when each read arrived.
    private List<(ulong RequestId, ulong From)> _readsForNextRound = [];

    // Rounds in the order they started; a quorum confirming one confirms every earlier one.
    private readonly List<ReadRound> _readRounds = [];
    private readonly List<(ulong RequestId, ulong From)> _readsAwaitingTermCommit = [];
    private ulong _readRoundSequence;

    // Set once a TimeoutNow went out: the target's forced election ignores leases, so ours is void for the term.
    private bool _leaseDisabled;

    /// <summary>
    /// Asks for a linearizable read. The answer is a <see cref="ReadState"/> in a later ready (on this node, even when
    /// the leader is elsewhere): serve the read once the state machine has applied its index. Returns false if no
    /// leader is known (retry later). A request may be silently dropped when leadership changes: hosts time out and retry.
    /// </summary>
    public bool ReadIndex(ulong requestId)
    {
        if (Role == RaftRole.Leader)
        {
            LeaderReadIndex(requestId, Id);
            return true;
        }
        if (Leader == 0) return false;
        Send(new RaftMessage { Type = MessageType.ReadIndex, To = Leader, Term = Term, Context = requestId });
        return true;
    }

    /// <summary>True while a lease read may be served here without a heartbeat round (see <see cref="ReadOnlyOption.LeaseBased"/>).</summary>
    public bool HasValidLease => Role == RaftRole.Leader && _config.ReadOnly == ReadOnlyOption.LeaseBased && !_leaseDisabled
        && _leadTransferee == 0 && CommittedInCurrentTerm && _tick < LeaseExpiryTick();

    private bool CommittedInCurrentTerm => _log.Term(_log.Committed) == Term;

    private void LeaderReadIndex(ulong requestId, ulong from)
    {
        if (!CommittedInCurrentTerm)
        {
            // Our commit index may lag the cluster's until an entry of our term commits (dissertation §6.4 step 1).
            _readsAwaitingTermCommit.Add((requestId, from));
            return;
        }
        if (_conf.Voters.Length == 1 && _conf.IsVoter(Id) || HasValidLease)
        {
            AnswerRead(requestId, from, _log.Committed);
            return;
        }
        _readsForNextRound.Add((requestId, from));
    }

    private void StartPendingReadRound()
    {
        if (_readsForNextRound.Count == 0) return;
        var round = new ReadRound { Round = ++_readRoundSequence, Index = _log.Committed, Requests = _readsForNextRound };
        _readsForNextRound = [];
        round.Acks.Add(Id);
        _readRounds.Add(round);
        BroadcastHeartbeat(round.Round);
    }

    private void AckReadRound(ulong roundId, ulong from)
    {
        var at = _readRounds.FindIndex(r => r.Round == roundId);
        if (at < 0) return;
        var round = _readRounds[at];
        if (!_conf.IsVoter(from)) return;
        round.Acks.Add(from);
        var votes = 0;
        foreach (var a in round.Acks)
        {
            if (_conf.IsVoter(a)) votes++;
        }
        if (votes < Quorum) return;
        for (var i = 0; i <= at; i++)
        {
            foreach (var (requestId, reader) in _readRounds[i].Requests) AnswerRead(requestId, reader, _readRounds[i].Index);
        }
        _readRounds.RemoveRange(0, at + 1);
    }

    private void AnswerRead(ulong requestId, ulong from, ulong index)
    {
        if (from == Id) _readStates.Add(new ReadState(index, requestId));
        else Send(new RaftMessage { Type = MessageType.ReadIndexResponse, To = from, Term = Term, Context = requestId, Index = index });
    }

    private void OnLeaderCommitAdvanced()
    {
        if (_readsAwaitingTermCommit.Count == 0 || !CommittedInCurrentTerm) return;
        var waiting = _readsAwaitingTermCommit.ToArray();
        _readsAwaitingTermCommit.Clear();
        foreach (var (requestId, from) in waiting) LeaderReadIndex(requestId, from);
    }

    /// <summary>
    /// The tick until which no other leader can exist: a quorum acknowledged a heartbeat sent at tick t, and each of
    /// those voters refuses votes for an election timeout after receiving it. Shortened by the drift bound.
    /// </summary>
    private ulong LeaseExpiryTick()
    {
        Span<ulong> acked = stackalloc ulong[_conf.Voters.Length];
        var n = 0;
        foreach (var voter in _conf.Voters)
        {
            acked[n++] = voter == Id ? _tick : _progress.TryGetValue(voter, out var pr) ? pr.AckedHeartbeatTick : 0;
        }
        acked.Sort();
        var quorumTick = acked[n - Quorum];
        if (quorumTick == 0) return 0;
        return quorumTick + (ulong)Math.Floor(_config.ElectionTicks * (1 - _config.MaxClockDriftFraction));
    }

    private void ResetReads()
    {
        _readRounds.Clear();
        _readsForNextRound.Clear();
        _readsAwaitingTermCommit.Clear();
    }
}
