using Tusk.Core;

namespace Tusk.Raft;

/// <summary>
/// One member of one Raft group as a deterministic state machine (ARCHITECTURE.md principle 1): no threads,
/// clocks, sockets or files. Inputs: <see cref="Tick"/>, <see cref="Step"/>, <see cref="Propose"/> and friends,
/// and the host's completions (<see cref="OnPersisted"/>). Outputs pile up until the host takes them with
/// <see cref="TakeReady"/>; <see cref="RaftReady"/> states the order in which the host must act on them.
/// Not thread-safe: the host serializes every call.
/// </summary>
/// <remarks>
/// Persistence is asynchronous and pipelined: a leader's Appends to followers leave in <see cref="RaftReady.Messages"/>
/// while its own write is in flight, and the leader counts itself towards a quorum only through an acknowledgement
/// that <see cref="OnPersisted"/> delivers once the write is durable. Nothing is reported committed before it is
/// durable on a quorum, and nothing is handed out for applying before it is durable locally.
/// </remarks>
public sealed partial class RaftNode
{
    private readonly RaftConfig _config;
    private readonly IRandom _random;
    private readonly RaftLog _log;

    // Progress of every member (voters and learners), this node included while it is a member. Sorted, so every
    // iteration is in id order and runs are deterministic.
    private readonly SortedDictionary<ulong, Progress> _progress = [];
    private ConfState _conf;

    private List<RaftMessage> _messages = [];
    private List<RaftMessage> _messagesAfterPersist = [];
    private readonly List<RaftMessage> _selfAfterPersist = [];
    private List<ReadState> _readStates = [];
    private HardState _lastHardState;
    private ulong _readySequence;
    private ulong _persistedSequence;

    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;

    // Total ticks since the node was built: the leader's clock for leases.
    private ulong _tick;

    // Lease reads (ReadOnlyOption.LeaseBased): a restarted node refuses votes for one election timeout, since it
    // has forgotten which leader it promised not to undermine.
    private int _voteLockoutTicks;

    public RaftNode(RaftConfig config, IRaftStorage storage, IRandom random)
    {
        config.Validate();
        _config = config;
        _random = random;
        var hardState = storage.HardState;
        var fresh = storage.LastIndex == 0 && hardState.IsEmpty && storage.SnapshotMetadata.Index == 0;
        _log = new RaftLog(storage);
        _conf = storage.SnapshotMetadata.Conf;
        Term = hardState.Term;
        Vote = hardState.Vote;
        _lastHardState = hardState;
        if (fresh && config.InitialVoters.Length > 0)
        {
            // Bootstrap: every initial member writes the same entry 1 (term 1, set-voters) and treats it as committed.
            var bootstrap = new ConfChange(ConfChangeKind.SetVoters, 0, [.. config.InitialVoters.Distinct().Order()]);
            Term = 1;
            _log.Append([new RaftEntry(1, 1, EntryType.ConfChange, bootstrap.Encode())]);
            _log.CommitTo(1);
        }
        var applied = Math.Max(config.Applied, storage.SnapshotMetadata.Index);
        if (applied > _log.Committed)
            throw new ArgumentException($"raft: applied index {applied} is beyond the commit index {_log.Committed}");
        ReplayConfChanges(storage.SnapshotMetadata.Index + 1, applied);
        _log.Applying = applied;
        SyncProgressWithConf();
        if (config.ReadOnly == ReadOnlyOption.LeaseBased && !fresh) _voteLockoutTicks = config.ElectionTicks;
        BecomeFollower(Term, 0);
    }

    public ulong Id => _config.Id;

    /// <summary>The group this node belongs to (stamped on its messages).</summary>
    public ulong Group => _config.Group;

    public RaftRole Role { get; private set; }

    /// <summary>The current term. Invariant: never decreases.</summary>
    public ulong Term { get; private set; }

    /// <summary>The node voted for in <see cref="Term"/>, 0 if none.</summary>
    public ulong Vote { get; private set; }

    /// <summary>The leader of <see cref="Term"/> as far as this node knows, 0 if unknown.</summary>
    public ulong Leader { get; private set; }

    public ulong CommitIndex => _log.Committed;

    public ulong LastIndex => _log.LastIndex;

    public ConfState Conf => _conf;

    /// <summary>The term of this node's entry at <paramref name="index"/> (durable or not); false if compacted or absent. For checkers and status.</summary>
    public bool TryGetTerm(ulong index, out ulong term) => _log.TryTerm(index, out term);

    /// <summary>The first index whose entry this node still holds (after its snapshot).</summary>
    public ulong FirstIndex => _log.FirstIndex;

    private bool IsPromotable => _conf.IsVoter(Id);

    private int Quorum => _conf.Voters.Length / 2 + 1;

    /// <summary>Advances logical time by one tick: election timeouts for followers, heartbeats and check-quorum for leaders.</summary>
    public void Tick()
    {
        _tick++;
        if (_voteLockoutTicks > 0) _voteLockoutTicks--;
        if (Role == RaftRole.Leader) TickLeader();
        else TickElection();
    }

    /// <summary>Feeds a message from another node of this group (or this node's own, via <see cref="OnPersisted"/>).</summary>
    public void Step(RaftMessage message)
    {
        if (message.To != Id) return;
        if (message.Term > Term)
        {
            if (message.Type is MessageType.Vote or MessageType.PreVote && IgnoresVotesForLeaderLease(message))
                return;
            if (message.Type == MessageType.PreVote || (message.Type == MessageType.PreVoteResponse && !message.Reject))
            {
                // A pre-vote changes no term: neither asking nor being granted one.
            }
            else if (message.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot)
            {
                BecomeFollower(message.Term, message.From);
            }
            else
            {
                BecomeFollower(message.Term, 0);
            }
        }
        else if (message.Term < Term)
        {
            StepStaleTerm(message);
            return;
        }

        switch (message.Type)
        {
            case MessageType.PreVote or MessageType.Vote:
                HandleVoteRequest(message);
                return;
        }
        switch (Role)
        {
            case RaftRole.Leader:
                StepLeader(message);
                break;
            case RaftRole.Candidate or RaftRole.PreCandidate:
                StepCandidate(message);
                break;
            default:
                StepFollower(message);
                break;
        }
    }

    private void StepStaleTerm(RaftMessage message)
    {
        if ((_config.CheckQuorum || _config.PreVote) && message.Type is MessageType.Append or MessageType.Heartbeat)
        {
            // A leader of an older term (or one we outran while cut off): tell it our term so it steps down.
            Send(new RaftMessage { Type = MessageType.AppendResponse, To = message.From, Term = Term });
        }
        else if (message.Type == MessageType.PreVote)
        {
            Send(new RaftMessage { Type = MessageType.PreVoteResponse, To = message.From, Term = Term, Reject = true });
        }
    }

    private bool IgnoresVotesForLeaderLease(RaftMessage message)
    {
        if (message.Context == 1) return false;  // leadership transfer: the leader itself asked for this election
        if (_voteLockoutTicks > 0) return true;
        return _config.CheckQuorum && Leader != 0 && _electionElapsed < _config.ElectionTicks;
    }

    /// <summary>True if <see cref="TakeReady"/> would return something to do.</summary>
    public bool HasReady =>
        _messages.Count > 0 || _messagesAfterPersist.Count > 0 || _selfAfterPersist.Count > 0 || _readStates.Count > 0
        || _appendPending || _broadcastPending || _readsForNextRound.Count > 0 || _log.HasUnstableEntriesToTake || _log.HasPendingSnapshotToTake || _log.HasCommittedEntriesToTake
        || CurrentHardState != _lastHardState;

    private HardState CurrentHardState => new(Term, Vote, _log.Committed);

    /// <summary>Takes everything the host must act on now; see <see cref="RaftReady"/> for the contract.</summary>
    public RaftReady TakeReady()
    {
        FlushPendingAppends();
        var ready = new RaftReady { Sequence = ++_readySequence };
        if (_log.TakePendingSnapshot() is { } snapshot)
        {
            ready.Snapshot = snapshot;
            _log.Applying = Math.Max(_log.Applying, snapshot.Metadata.Index);
        }
        if (_log.HasUnstableEntriesToTake)
        {
            var entries = new List<RaftEntry>();
            _log.TakeUnstableEntries(entries);
            ready.Entries = entries;
            if (Role == RaftRole.Leader)
            {
                // The leader counts itself once its own write is durable.
                ready.SelfMessages.Add(new RaftMessage
                {
                    Type = MessageType.AppendResponse, Group = _config.Group, From = Id, To = Id, Term = Term, Index = entries[^1].Index,
                });
            }
        }
        var hardState = CurrentHardState;
        if (hardState != _lastHardState)
        {
            ready.HardState = hardState;
            _lastHardState = hardState;
        }
        if (_log.HasCommittedEntriesToTake)
        {
            var committed = new List<RaftEntry>();
            _log.TakeCommittedEntries(_config.MaxCommittedBytesPerReady, committed);
            ready.CommittedEntries = committed;
            foreach (var e in committed)
            {
                if (e.Type == EntryType.ConfChange) ApplyConfChange(e);
            }
        }
        ready.Messages = _messages;
        _messages = [];
        ready.MessagesAfterPersist = _messagesAfterPersist;
        _messagesAfterPersist = [];
        ready.SelfMessages.AddRange(_selfAfterPersist);
        _selfAfterPersist.Clear();
        ready.ReadStates = _readStates;
        _readStates = [];
        ready.Conf = _conf;
        ready.Role = Role;
        ready.Leader = Leader;
        return ready;
    }

    /// <summary>
    /// The host has made <paramref name="ready"/>'s snapshot, entries and hard state durable and updated the
    /// <see cref="IRaftStorage"/>. Must be called once per ready, in the order the readies were taken. Afterwards the
    /// host sends <see cref="RaftReady.MessagesAfterPersist"/>.
    /// </summary>
    public void OnPersisted(RaftReady ready)
    {
        Invariant.Check(ready.Sequence == _persistedSequence + 1,
            $"raft: ready {ready.Sequence} reported persisted out of order (expected {_persistedSequence + 1})");
        _persistedSequence = ready.Sequence;
        if (ready.Snapshot is { } snapshot) _log.StableSnapshotTo(snapshot.Metadata.Index);
        if (ready.Entries.Count > 0) _log.StableTo(ready.Entries[^1].Index, ready.Entries[^1].Term);
        foreach (var m in ready.SelfMessages) Step(m);
    }

    public RaftStatus Status()
    {
        var progress = new SortedDictionary<ulong, (ulong, ulong, string)>();
        if (Role == RaftRole.Leader)
        {
            foreach (var (id, pr) in _progress) progress[id] = (pr.Match, pr.Next, pr.ToString());
        }
        return new RaftStatus(Id, Role, Term, Vote, Leader, _log.Committed, _log.Applying, _log.LastIndex, _log.PersistedIndex, _conf, progress);
    }

    private void Send(RaftMessage message) => _messages.Add(Stamp(message));

    private void SendAfterPersist(RaftMessage message) => _messagesAfterPersist.Add(Stamp(message));

    private RaftMessage Stamp(RaftMessage m)
    {
        Invariant.Check(m.To != Id, "raft: a node does not send network messages to itself");
        m.From = Id;
        m.Group = _config.Group;
        return m;
    }

    private void ResetRandomizedElectionTimeout() =>
        _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);

    public override string ToString() => $"node {Id} {Role} term={Term} vote={Vote} leader={Leader} {_log} {_conf}";
}
