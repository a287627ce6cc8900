namespace Tusk.Raft;

public sealed partial class RaftNode
{
    // Votes received in the current (pre-)campaign, by voter. Sorted for deterministic iteration.
    private readonly SortedDictionary<ulong, bool> _votes = [];

    private void TickElection()
    {
        _electionElapsed++;
        if (IsPromotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Campaign(preVote: _config.PreVote, transfer: false);
        }
    }

    /// <summary>Starts an election now, as if the election timeout had passed (tests and operators).</summary>
    public void Campaign() => Campaign(preVote: _config.PreVote, transfer: false);

    private void Campaign(bool preVote, bool transfer)
    {
        if (!IsPromotable || Role == RaftRole.Leader) return;
        if (HasUnappliedConfChange())
        {
            // The configuration we would count votes in is about to change; wait until it is applied.
            return;
        }
        ulong voteTerm;
        if (preVote)
        {
            BecomePreCandidate();
            voteTerm = Term + 1;
            _votes[Id] = true;  // a pre-vote for oneself needs no durable state
        }
        else
        {
            BecomeCandidate();
            voteTerm = Term;
            // Our own vote counts once the term and vote are durable.
            _selfAfterPersist.Add(new RaftMessage
            {
                Type = MessageType.VoteResponse, Group = _config.Group, From = Id, To = Id, Term = Term,
            });
        }
        if (preVote && TallyVotes() == VoteResult.Won)
        {
            Campaign(preVote: false, transfer);
            return;
        }
        var type = preVote ? MessageType.PreVote : MessageType.Vote;
        foreach (var voter in _conf.Voters)
        {
            if (voter == Id) continue;
            Send(new RaftMessage
            {
                Type = type, To = voter, Term = voteTerm, Index = _log.LastIndex, LogTerm = _log.LastTerm, Context = transfer ? 1UL : 0,
            });
        }
    }

    private bool HasUnappliedConfChange()
    {
        if (_log.Committed <= _log.Applying) return false;
        var entries = new List<RaftEntry>();
        if (!_log.TryEntries(_log.Applying + 1, _log.Committed + 1, long.MaxValue, entries)) return false;
        foreach (var e in entries)
        {
            if (e.Type == EntryType.ConfChange) return true;
        }
        return false;
    }

    private void HandleVoteRequest(RaftMessage m)
    {
        var isPreVote = m.Type == MessageType.PreVote;
        var canVote = Vote == m.From || (Vote == 0 && Leader == 0) || (isPreVote && m.Term > Term);
        var responseType = isPreVote ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            // A pre-vote answers with the term asked about, so the pre-candidate recognizes it.
            var response = new RaftMessage { Type = responseType, To = m.From, Term = m.Term };
            if (isPreVote)
            {
                Send(response);
            }
            else
            {
                _electionElapsed = 0;
                Vote = m.From;
                SendAfterPersist(response);  // the vote must be durable before the candidate counts it
            }
        }
        else
        {
            var response = new RaftMessage { Type = responseType, To = m.From, Term = Term, Reject = true };
            if (isPreVote) Send(response);
            else SendAfterPersist(response);
        }
    }

    private void StepCandidate(RaftMessage m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                BecomeFollower(m.Term, m.From);
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                BecomeFollower(m.Term, m.From);
                HandleHeartbeat(m);
                break;
            case MessageType.Snapshot:
                BecomeFollower(m.Term, m.From);
                HandleSnapshotChunk(m);
                break;
            case MessageType.PreVoteResponse when Role == RaftRole.PreCandidate:
            case MessageType.VoteResponse when Role == RaftRole.Candidate:
                if (!_conf.IsVoter(m.From)) return;
                _votes.TryAdd(m.From, !m.Reject);
                switch (TallyVotes())
                {
                    case VoteResult.Won when Role == RaftRole.PreCandidate:
                        Campaign(preVote: false, transfer: false);
                        break;
                    case VoteResult.Won:
                        BecomeLeader();
                        break;
                    case VoteResult.Lost:
                        // A pre-candidate's term never changed; a candidate keeps its term and waits for a leader.
                        BecomeFollower(Term, 0);
                        break;
                }
                break;
        }
    }

    private enum VoteResult { Pending, Won, Lost }

    private VoteResult TallyVotes()
    {
        int granted = 0, rejected = 0;
        foreach (var voter in _conf.Voters)
        {
            if (!_votes.TryGetValue(voter, out var v)) continue;
            if (v) granted++;
            else rejected++;
        }
        if (granted >= Quorum) return VoteResult.Won;
        if (rejected > _conf.Voters.Length - Quorum) return VoteResult.Lost;
        return VoteResult.Pending;
    }

    private void BecomeFollower(ulong term, ulong leader)
    {
        if (term != Term)
        {
            Term = term;
            Vote = 0;
        }
        Role = RaftRole.Follower;
        Leader = leader;
        ResetRoleState();
    }

    private void BecomePreCandidate()
    {
        // Term and vote are unchanged: a pre-campaign must not disrupt anyone.
        Role = RaftRole.PreCandidate;
        Leader = 0;
        ResetRoleState();
    }

    private void BecomeCandidate()
    {
        Term++;
        Vote = Id;
        Role = RaftRole.Candidate;
        Leader = 0;
        ResetRoleState();
    }

    private void BecomeLeader()
    {
        Role = RaftRole.Leader;
        Leader = Id;
        ResetRoleState();
        foreach (var (id, pr) in _progress)
        {
            pr.Match = 0;
            pr.BecomeProbe();
            pr.Next = _log.LastIndex + 1;
            pr.RecentActive = id == Id;
            pr.AckedHeartbeatTick = 0;
        }
        if (_progress.TryGetValue(Id, out var self))
        {
            self.Match = _log.PersistedIndex;
            self.BecomeReplicate();
        }
        // An empty entry of the new term: committing it commits every earlier entry (Raft §5.4.2, §8). Until it is
        // applied, no membership change may be proposed (the single-server change fix of the dissertation's errata).
        AppendAsLeader([new RaftEntry(Term, _log.LastIndex + 1, EntryType.Normal, ReadOnlyMemory<byte>.Empty)]);
        _pendingConfIndex = _log.LastIndex;
        _broadcastPending = true;
    }

    private void ResetRoleState()
    {
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        ResetRandomizedElectionTimeout();
        _votes.Clear();
        _leadTransferee = 0;
        _leaseDisabled = false;
        _appendPending = false;
        _broadcastPending = false;
        _uncommitted.Clear();
        _uncommittedBytes = 0;
        ResetReads();
        if (Role != RaftRole.Follower) ResetSnapshotReceive();
    }
}
