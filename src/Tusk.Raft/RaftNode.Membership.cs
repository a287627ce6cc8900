namespace Tusk.Raft;

public sealed partial class RaftNode
{
    /// <summary>
    /// Proposes a single-server membership change. Only one may be pending; a learner is promoted only once it is
    /// within <see cref="RaftConfig.LearnerCatchUpEntries"/> of the leader's log, so adding it does not stall commits.
    /// The change takes effect on each node when its entry is handed out as committed.
    /// </summary>
    public ProposeResult ProposeConfChange(ConfChange change)
    {
        if (Role != RaftRole.Leader) return new ProposeResult(ProposeStatus.NotLeader, 0, 0, Leader);
        if (_leadTransferee != 0) return new ProposeResult(ProposeStatus.Dropped, 0, 0, Leader, "leadership transfer in progress");
        if (_pendingConfIndex > _log.Applying)
            return new ProposeResult(ProposeStatus.ConfChangePending, 0, 0, Id, $"a membership change at index {_pendingConfIndex} is not applied yet");
        if (change.Kind == ConfChangeKind.SetVoters) return new ProposeResult(ProposeStatus.Rejected, 0, 0, Id, "set-voters is only for bootstrap");
        try
        {
            _conf.Apply(change);
        }
        catch (ArgumentException e)
        {
            return new ProposeResult(ProposeStatus.Rejected, 0, 0, Id, e.Message);
        }
        if (change.Kind == ConfChangeKind.AddVoter && _conf.IsLearner(change.NodeId)
            && _progress.TryGetValue(change.NodeId, out var learner) && learner.Match + _config.LearnerCatchUpEntries < _log.LastIndex)
        {
            return new ProposeResult(ProposeStatus.Rejected, 0, 0, Id,
                $"learner {change.NodeId} is at {learner.Match}, more than {_config.LearnerCatchUpEntries} entries behind {_log.LastIndex}");
        }
        var entry = new RaftEntry(Term, _log.LastIndex + 1, EntryType.ConfChange, change.Encode());
        AppendAsLeader([entry]);
        _pendingConfIndex = entry.Index;
        return new ProposeResult(ProposeStatus.Ok, entry.Index, entry.Term, Id);
    }

    private void ApplyConfChange(RaftEntry entry)
    {
        var change = ConfChange.Decode(entry.Data.Span);
        _conf = _conf.Apply(change);
        SyncProgressWithConf();
        if (Role != RaftRole.Leader) return;
        if (!_conf.IsVoter(Id))
        {
            // Removed (or never a voter): a leader that is not in the configuration steps down.
            BecomeFollower(Term, 0);
            return;
        }
        if (_leadTransferee != 0 && !_conf.IsVoter(_leadTransferee)) _leadTransferee = 0;
        MaybeCommitAsLeader();
        _broadcastPending = true;  // new members need their first (probing) Append; everyone learns the commit index
    }

    private void ReplayConfChanges(ulong from, ulong through)
    {
        if (from > through) return;
        var entries = new List<RaftEntry>();
        for (var next = from; next <= through;)
        {
            entries.Clear();
            _log.TryEntries(next, through + 1, 16L << 20, entries);
            foreach (var e in entries)
            {
                if (e.Type == EntryType.ConfChange) _conf = _conf.Apply(ConfChange.Decode(e.Data.Span));
            }
            next = entries[^1].Index + 1;
        }
    }

    /// <summary>Adds progress for new members, drops it for removed ones, and marks learners.</summary>
    private void SyncProgressWithConf()
    {
        foreach (var id in _progress.Keys.ToArray())
        {
            if (!_conf.Contains(id)) _progress.Remove(id);
        }
        foreach (var id in _conf.Voters.Concat(_conf.Learners))
        {
            if (!_progress.TryGetValue(id, out var pr))
            {
                pr = new Progress(_log.LastIndex + 1, _config.MaxInflightMessages, _config.MaxInflightBytes, _conf.IsLearner(id))
                {
                    RecentActive = true,  // give a new member an election timeout before check-quorum counts it absent
                };
                if (id == Id) pr.Match = _log.PersistedIndex;
                _progress[id] = pr;
            }
            pr.IsLearner = _conf.IsLearner(id);
        }
    }
}
