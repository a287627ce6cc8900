namespace Tusk.Raft;

internal enum ProgressState : byte
{
    /// <summary>Where the follower's log matches is unknown: one Append at a time until it answers.</summary>
    Probe,

    /// <summary>The follower is in sync: Appends are pipelined, bounded by <see cref="Inflights"/>.</summary>
    Replicate,

    /// <summary>The follower needs a snapshot; chunks are streamed one at a time.</summary>
    Snapshot,
}

/// <summary>The leader's view of one follower (Raft's nextIndex/matchIndex plus flow control). Single-threaded.</summary>
internal sealed class Progress
{
    public Progress(ulong next, int maxInflight, long maxInflightBytes, bool isLearner)
    {
        Next = next;
        Inflights = new Inflights(maxInflight, maxInflightBytes);
        IsLearner = isLearner;
    }

    // Invariant: Match < Next.
    public ulong Match { get; set; }

    public ulong Next { get; set; }

    public ProgressState State { get; private set; }

    /// <summary>Probe: an Append was sent and neither an answer nor a heartbeat response has arrived since.</summary>
    public bool ProbeSent { get; set; }

    public bool IsLearner { get; set; }

    /// <summary>Heard from since the last check-quorum round.</summary>
    public bool RecentActive { get; set; }

    /// <summary>The leader tick at which the latest heartbeat this follower acknowledged was sent (lease reads).</summary>
    public ulong AckedHeartbeatTick { get; set; }

    public Inflights Inflights { get; }

    // Snapshot streaming state. Valid in the Snapshot state.
    public SnapshotMetadata? SendingSnapshot { get; set; }

    public long SnapshotOffset { get; set; }

    public int SnapshotTicksSinceSend { get; set; }

    public void BecomeProbe()
    {
        if (State == ProgressState.Snapshot && SendingSnapshot is { } snap)
        {
            // The follower installed the snapshot (or gave up on it): continue after it.
            Next = Math.Max(Match + 1, snap.Index + 1);
        }
        else
        {
            Next = Match + 1;
        }
        State = ProgressState.Probe;
        ProbeSent = false;
        SendingSnapshot = null;
        Inflights.Reset();
    }

    public void BecomeReplicate()
    {
        State = ProgressState.Replicate;
        Next = Match + 1;
        ProbeSent = false;
        Inflights.Reset();
    }

    public void BecomeSnapshot(SnapshotMetadata snapshot)
    {
        State = ProgressState.Snapshot;
        SendingSnapshot = snapshot;
        SnapshotOffset = 0;
        SnapshotTicksSinceSend = 0;
        ProbeSent = false;
        Inflights.Reset();
    }

    /// <summary>Records an acknowledged index; returns true if it advanced <see cref="Match"/>.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (index > Match)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }
        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>A rejected Append for <paramref name="rejected"/>; moves Next back to just after <paramref name="matchHint"/>.
    /// False if the rejection is stale.</summary>
    public bool MaybeDecrease(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match) return false;  // stale
            Next = Match + 1;
            return true;
        }
        if (Next - 1 != rejected) return false;  // not the probe we are waiting for
        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>Whether sending more Appends must wait.</summary>
    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.IsFull,
        _ => true,
    };

    /// <summary>Account for an Append sent with entries up to <paramref name="lastIndex"/> carrying <paramref name="bytes"/>.</summary>
    public void SentEntries(int count, ulong lastIndex, long bytes)
    {
        if (State == ProgressState.Replicate && count > 0)
        {
            Next = lastIndex + 1;
            Inflights.Add(lastIndex, bytes);
        }
        else if (State == ProgressState.Probe)
        {
            ProbeSent = true;
        }
    }

    public override string ToString() => $"{State} match={Match} next={Next}" + (IsLearner ? " learner" : "") + (IsPaused ? " paused" : "")
        + (State == ProgressState.Snapshot ? $" snapshot@{SendingSnapshot?.Index}+{SnapshotOffset}" : "")
        + (Inflights.Count > 0 ? $" inflight={Inflights.Count}" : "");
}

/// <summary>A bounded window of Append messages sent to one follower and not yet acknowledged: a ring of (last index, bytes).</summary>
internal sealed class Inflights
{
    private readonly ulong[] _index;
    private readonly long[] _bytes;
    private readonly long _maxBytes;
    private int _start;
    private long _totalBytes;

    public Inflights(int capacity, long maxBytes)
    {
        _index = new ulong[capacity];
        _bytes = new long[capacity];
        _maxBytes = maxBytes;
    }

    public int Count { get; private set; }

    public long Bytes => _totalBytes;

    public bool IsFull => Count == _index.Length || (_maxBytes > 0 && _totalBytes >= _maxBytes);

    public void Add(ulong lastIndex, long bytes)
    {
        if (Count == _index.Length) throw new InvalidOperationException("inflights: window is full");
        var at = (_start + Count) % _index.Length;
        _index[at] = lastIndex;
        _bytes[at] = bytes;
        _totalBytes += bytes;
        Count++;
    }

    /// <summary>Frees every message whose last index is ≤ <paramref name="index"/>.</summary>
    public void FreeLe(ulong index)
    {
        while (Count > 0 && _index[_start] <= index)
        {
            _totalBytes -= _bytes[_start];
            _start = (_start + 1) % _index.Length;
            Count--;
        }
    }

    /// <summary>Frees the oldest message: used when a heartbeat shows the follower is alive while the window is full
    /// (its Appends may have been lost), so one more Append can go out and expose the gap.</summary>
    public void FreeFirstOne()
    {
        if (Count == 0) return;
        FreeLe(_index[_start]);
    }

    public void Reset()
    {
        Count = 0;
        _start = 0;
        _totalBytes = 0;
    }
}
