using System.Text;
using Tusk.Core;
using Tusk.Raft.Kv;
using Xunit;

namespace Tusk.Raft.Tests;

public sealed class CodecAndTypesTests
{
    private static RaftMessage RandomMessage(SeededRandom rng)
    {
        var entries = new RaftEntry[rng.Next(4)];
        for (var i = 0; i < entries.Length; i++)
        {
            var data = new byte[rng.Next(50)];
            rng.NextBytes(data);
            entries[i] = new RaftEntry(rng.NextUInt64(), rng.NextUInt64(), (EntryType)rng.Next(2), data);
        }
        var chunk = new byte[rng.Next(3) == 0 ? rng.Next(100) : 0];
        rng.NextBytes(chunk);
        return new RaftMessage
        {
            Type = (MessageType)(1 + rng.Next(13)), Group = rng.NextUInt64(), From = rng.NextUInt64(), To = rng.NextUInt64(),
            Term = rng.NextUInt64(), LogTerm = rng.NextUInt64(), Index = rng.NextUInt64(), Commit = rng.NextUInt64(),
            Reject = rng.Next(2) == 0, RejectHint = rng.NextUInt64(), Context = rng.NextUInt64(), SentTick = rng.NextUInt64(),
            Entries = entries, ChunkData = chunk, ChunkDone = rng.Next(2) == 0, ChunkOffset = rng.Next(1000), SnapshotLength = rng.Next(5000),
            SnapshotCrc = (uint)rng.NextUInt64(),
            Snapshot = rng.Next(3) == 0 ? new SnapshotMetadata(rng.NextUInt64(), rng.NextUInt64(), new ConfState([1, 2, 3], [7])) : null,
        };
    }

    [Fact]
    public void MessagesRoundTrip()
    {
        for (ulong seed = 1; seed <= 300; seed++)
        {
            var rng = new SeededRandom(seed);
            var m = RandomMessage(rng);
            var buffer = new byte[RaftMessageCodec.EncodedLength(m)];
            var n = RaftMessageCodec.Encode(m, buffer);
            Assert.Equal(buffer.Length, n);
            var d = RaftMessageCodec.Decode(buffer);
            Assert.Equal(m.ToString(), d.ToString());
            Assert.Equal((m.Type, m.Group, m.From, m.To, m.Term, m.LogTerm, m.Index, m.Commit, m.Reject, m.RejectHint, m.Context, m.SentTick),
                (d.Type, d.Group, d.From, d.To, d.Term, d.LogTerm, d.Index, d.Commit, d.Reject, d.RejectHint, d.Context, d.SentTick));
            Assert.Equal(m.Entries.Length, d.Entries.Length);
            for (var i = 0; i < m.Entries.Length; i++)
            {
                Assert.Equal((m.Entries[i].Term, m.Entries[i].Index, m.Entries[i].Type), (d.Entries[i].Term, d.Entries[i].Index, d.Entries[i].Type));
                Assert.True(m.Entries[i].Data.Span.SequenceEqual(d.Entries[i].Data.Span));
            }
            Assert.True(m.ChunkData.Span.SequenceEqual(d.ChunkData.Span));
            Assert.Equal((m.ChunkDone, m.ChunkOffset, m.SnapshotLength, m.SnapshotCrc), (d.ChunkDone, d.ChunkOffset, d.SnapshotLength, d.SnapshotCrc));
            Assert.Equal(m.Snapshot, d.Snapshot);
        }
    }

    [Fact]
    public void DamagedMessagesFailWithFormatExceptionOnly()
    {
        var rng = new SeededRandom(99);
        var failures = 0;
        for (var i = 0; i < 3000; i++)
        {
            var m = RandomMessage(rng);
            var buffer = new byte[RaftMessageCodec.EncodedLength(m)];
            RaftMessageCodec.Encode(m, buffer);
            var damaged = (i % 3) switch
            {
                0 => buffer.AsSpan(0, rng.Next(buffer.Length)).ToArray(),         // truncated
                1 => Flip(buffer, rng),                                            // a flipped byte
                _ => [.. buffer, (byte)rng.Next(256)],                             // trailing garbage
            };
            try
            {
                RaftMessageCodec.Decode(damaged);
            }
            catch (FormatException)
            {
                failures++;
            }
        }
        Assert.True(failures > 2000, $"only {failures} of 3000 damaged messages were rejected");
    }

    private static byte[] Flip(byte[] buffer, SeededRandom rng)
    {
        var copy = buffer.ToArray();
        copy[rng.Next(copy.Length)] ^= (byte)(1 + rng.Next(255));
        return copy;
    }

    [Fact]
    public void ConfChangesApplyOneServerAtATime()
    {
        var conf = new ConfState([1, 2, 3], []);
        conf = conf.Apply(ConfChange.AddLearner(4));
        Assert.True(conf.IsLearner(4));
        conf = conf.Apply(ConfChange.AddVoter(4));
        Assert.Equal([1UL, 2, 3, 4], conf.Voters);
        Assert.Empty(conf.Learners);
        conf = conf.Apply(ConfChange.Remove(1));
        Assert.Equal([2UL, 3, 4], conf.Voters);
        Assert.Throws<ArgumentException>(() => conf.Apply(ConfChange.AddLearner(2)));
        Assert.Throws<ArgumentException>(() => new ConfState([5], []).Apply(ConfChange.Remove(5)));
        Assert.Equal(ConfChange.AddVoter(9).ToString(), ConfChange.Decode(ConfChange.AddVoter(9).Encode()).ToString());
        Assert.Throws<FormatException>(() => ConfChange.Decode([1, 2, 3]));
    }

    [Fact]
    public void KvStateMachineAppliesOnceAndSnapshots()
    {
        var sm = new KvStateMachine();
        RaftEntry E(ulong index, KvCommand c) => new(1, index, EntryType.Normal, c.Encode());
        Assert.Equal(new KvResult(true, null), sm.Apply(E(1, new KvCommand(KvOp.Put, 7, 1, "a", "x"))));
        Assert.Equal(new KvResult(false, "x"), sm.Apply(E(2, new KvCommand(KvOp.Cas, 7, 2, "a", "z", "y"))));
        Assert.Equal(new KvResult(true, "x"), sm.Apply(E(3, new KvCommand(KvOp.Cas, 8, 1, "a", "z", "x"))));
        // Client 7 retries request 2 (a cas that failed): answered as the first time, not applied again.
        Assert.Equal(new KvResult(false, "x"), sm.Apply(E(4, new KvCommand(KvOp.Cas, 7, 2, "a", "w", "z"))));
        Assert.Equal("z", sm.Read("a"));
        Assert.Null(sm.Apply(new RaftEntry(2, 5, EntryType.Normal, ReadOnlyMemory<byte>.Empty)));
        Assert.Null(sm.Apply(E(3, new KvCommand(KvOp.Put, 9, 1, "a", "old"))));  // already applied index
        var copy = new KvStateMachine();
        copy.Restore(sm.Snapshot());
        Assert.Equal(5UL, copy.AppliedIndex);
        Assert.Equal("z", copy.Read("a"));
        Assert.Equal(new KvResult(false, "x"), copy.Apply(E(6, new KvCommand(KvOp.Cas, 7, 2, "a", "w", "z"))));
        Assert.Throws<FormatException>(() => copy.Restore(sm.Snapshot().AsSpan(0, 20)));
        var command = new KvCommand(KvOp.Cas, 3, 4, "ключ", null, "é");
        Assert.Equal(command, KvCommand.Decode(command.Encode()));
        Assert.Throws<FormatException>(() => KvCommand.Decode(Encoding.UTF8.GetBytes("garbage-garbage-garbage")));
    }

    [Fact]
    public void InflightsBoundCountAndBytes()
    {
        var inflights = new Inflights(3, 100);
        inflights.Add(5, 40);
        inflights.Add(7, 40);
        Assert.False(inflights.IsFull);
        inflights.Add(9, 40);
        Assert.True(inflights.IsFull);
        inflights.FreeLe(7);
        Assert.Equal(1, inflights.Count);
        Assert.Equal(40, inflights.Bytes);
        inflights.Add(10, 70);
        Assert.True(inflights.IsFull);  // 110 bytes >= 100
        inflights.FreeFirstOne();
        Assert.Equal(1, inflights.Count);
        Assert.Throws<InvalidOperationException>(() => { var f = new Inflights(1, 0); f.Add(1, 1); f.Add(2, 1); });
    }

    [Fact]
    public void ConfigIsValidated()
    {
        Assert.Throws<ArgumentException>(() => new RaftConfig { Id = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftConfig { Id = 1, ElectionTicks = 1, HeartbeatTicks = 1 }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftConfig { Id = 1, ReadOnly = ReadOnlyOption.LeaseBased, CheckQuorum = false }.Validate());
        new RaftConfig { Id = 1 }.Validate();
    }
}
