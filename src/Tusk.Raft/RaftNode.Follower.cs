using Tusk.Core;

namespace Tusk.Raft;

public sealed partial class RaftNode
{
    // A snapshot being received in chunks. The buffer holds SnapshotLength bytes once complete.
    private SnapshotMetadata? _receivingSnapshot;
    private byte[] _receiveBuffer = [];
    private long _receivedBytes;

    private void StepFollower(RaftMessage m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                _electionElapsed = 0;
                Leader = m.From;
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                _electionElapsed = 0;
                Leader = m.From;
                HandleHeartbeat(m);
                break;
            case MessageType.Snapshot:
                _electionElapsed = 0;
                Leader = m.From;
                HandleSnapshotChunk(m);
                break;
            case MessageType.TimeoutNow:
                // The leader hands over: campaign at once, skipping pre-vote; voters ignore their lease for this one.
                Campaign(preVote: false, transfer: true);
                break;
            case MessageType.ReadIndexResponse:
                _readStates.Add(new ReadState(m.Index, m.Context));
                break;
        }
    }

    private void HandleAppend(RaftMessage m)
    {
        if (m.Index < _log.Committed)
        {
            SendAfterPersist(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Term = Term, Index = _log.Committed });
            return;
        }
        if (_log.MaybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries) is { } lastNew)
        {
            SendAfterPersist(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Term = Term, Index = lastNew });
            return;
        }
        // Our log lacks (m.Index, m.LogTerm). Hint the largest index whose term could still match, so the leader
        // skips a whole term of entries per round trip instead of one entry.
        var (hintIndex, hintTerm) = _log.FindConflictByTerm(Math.Min(m.Index, _log.LastIndex), m.LogTerm);
        SendAfterPersist(new RaftMessage
        {
            Type = MessageType.AppendResponse, To = m.From, Term = Term, Index = m.Index, Reject = true, RejectHint = hintIndex, LogTerm = hintTerm,
        });
    }

    private void HandleHeartbeat(RaftMessage m)
    {
        // The leader sends min(our match, its commit), so this never passes our log.
        _log.CommitTo(Math.Min(m.Commit, _log.LastIndex));
        Send(new RaftMessage { Type = MessageType.HeartbeatResponse, To = m.From, Term = Term, Context = m.Context, SentTick = m.SentTick });
    }

    private void HandleSnapshotChunk(RaftMessage m)
    {
        var meta = m.Snapshot!;
        if (meta.Index <= _log.Committed)
        {
            // We already have everything it covers.
            ResetSnapshotReceive();
            SendAfterPersist(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Term = Term, Index = _log.Committed });
            return;
        }
        if (_receivingSnapshot is null || _receivingSnapshot.Index != meta.Index || _receivingSnapshot.Term != meta.Term || m.ChunkOffset == 0)
        {
            if (m.ChunkOffset != 0)
            {
                Send(new RaftMessage { Type = MessageType.SnapshotResponse, To = m.From, Term = Term, Index = meta.Index, Reject = true });
                return;
            }
            if (m.SnapshotLength is < 0 or > int.MaxValue)
            {
                Send(new RaftMessage { Type = MessageType.SnapshotResponse, To = m.From, Term = Term, Index = meta.Index, Reject = true });
                return;
            }
            _receivingSnapshot = meta;
            _receiveBuffer = new byte[m.SnapshotLength];
            _receivedBytes = 0;
        }
        if (m.ChunkOffset != _receivedBytes || m.ChunkOffset + m.ChunkData.Length > _receiveBuffer.Length)
        {
            Send(new RaftMessage { Type = MessageType.SnapshotResponse, To = m.From, Term = Term, Index = meta.Index, ChunkOffset = _receivedBytes });
            return;
        }
        m.ChunkData.Span.CopyTo(_receiveBuffer.AsSpan((int)_receivedBytes));
        _receivedBytes += m.ChunkData.Length;
        if (!m.ChunkDone)
        {
            Send(new RaftMessage { Type = MessageType.SnapshotResponse, To = m.From, Term = Term, Index = meta.Index, ChunkOffset = _receivedBytes });
            return;
        }
        if (_receivedBytes != m.SnapshotLength || Crc32C.Compute(_receiveBuffer) != m.SnapshotCrc)
        {
            // Damaged in transit: start the transfer over.
            ResetSnapshotReceive();
            Send(new RaftMessage { Type = MessageType.SnapshotResponse, To = m.From, Term = Term, Index = meta.Index, Reject = true });
            return;
        }
        var snapshot = new RaftSnapshot(meta, _receiveBuffer);
        ResetSnapshotReceive();
        Send(new RaftMessage { Type = MessageType.SnapshotResponse, To = m.From, Term = Term, Index = meta.Index, ChunkOffset = snapshot.Data.Length });
        RestoreSnapshot(snapshot);
        SendAfterPersist(new RaftMessage { Type = MessageType.AppendResponse, To = m.From, Term = Term, Index = _log.LastIndex });
    }

    private void RestoreSnapshot(RaftSnapshot snapshot)
    {
        var meta = snapshot.Metadata;
        if (_log.MatchTerm(meta.Index, meta.Term))
        {
            // Our log already has the snapshot's last entry, so by log matching the whole prefix: just commit.
            _log.CommitTo(meta.Index);
            return;
        }
        _log.Restore(snapshot);
        _conf = meta.Conf;
        SyncProgressWithConf();
    }

    private void ResetSnapshotReceive()
    {
        _receivingSnapshot = null;
        _receiveBuffer = [];
        _receivedBytes = 0;
    }
}
