using System.Buffers;
using System.Buffers.Binary;
using Tusk.Raft;
using Tusk.Raft.Kv;
using Tusk.Server.Raft;
using Xunit;

namespace Tusk.Server.Tests;

public sealed class RaftFramesTests
{
    [Fact]
    public void FramesRoundTripWholeOrPooledAndWaitForTheirLastByte()
    {
        var messages = new List<RaftMessage> { new() { Type = MessageType.Heartbeat, From = 1, To = 2, Term = 3, Commit = 4 } };
        var frame = RaftFrames.RaftMessages(messages);
        var partial = new ReadOnlySequence<byte>(frame.AsMemory(0, frame.Length - 1));
        Assert.False(RaftFrames.TryRead(ref partial, out _));
        Assert.False(RaftFrames.TryReadPooled(ref partial, out _, out _));

        var whole = new ReadOnlySequence<byte>([.. frame, .. RaftFrames.Request(new KvRequest(9, new KvCommand(KvOp.Get, 1, 1, "k")))]);
        Assert.True(RaftFrames.TryReadPooled(ref whole, out var rented, out var length));
        Assert.Equal(3UL, Assert.Single(RaftFrames.ReadRaftMessages(rented, length)).Term);
        ArrayPool<byte>.Shared.Return(rented);
        Assert.True(RaftFrames.TryRead(ref whole, out var payload));
        Assert.Equal("k", RaftFrames.ReadRequest(payload).Command.Key);
        Assert.True(whole.IsEmpty);
    }

    [Fact]
    public void DamagedOrOversizedFramesAreRejected()
    {
        var frame = RaftFrames.Hello(7);
        frame[^1] ^= 1;
        var damaged = new ReadOnlySequence<byte>(frame);
        Assert.Contains("checksum", Assert.Throws<FormatException>(() => RaftFrames.TryRead(ref damaged, out _)).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => RaftFrames.TryReadPooled(ref damaged, out _, out _));
        var huge = new byte[RaftFrames.HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(huge, RaftFrames.FrameBytesMax + 1);
        var oversized = new ReadOnlySequence<byte>(huge);
        Assert.Contains("limit", Assert.Throws<FormatException>(() => RaftFrames.TryRead(ref oversized, out _)).Message, StringComparison.Ordinal);
    }
}
