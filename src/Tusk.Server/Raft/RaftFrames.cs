using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Tusk.Core;
using Tusk.Raft;
using Tusk.Raft.Kv;

namespace Tusk.Server.Raft;

public enum FrameKind : byte
{
    /// <summary>First frame on a connection: the sender's node id (0 for a client).</summary>
    Hello = 1,

    /// <summary>A batch of Raft messages from one node to another.</summary>
    RaftMessages = 2,
    KvRequest = 3,
    KvResponse = 4,
    StatusRequest = 5,
    StatusResponse = 6,
}

public enum KvStatus : byte
{
    Ok = 0,

    /// <summary>This node does not lead; <see cref="KvResponse.LeaderHint"/> and <see cref="KvResponse.LeaderAddress"/> name the leader if known.</summary>
    NotLeader = 1,

    /// <summary>The attempt was not applied and will not be (its log entry was replaced): retry the same request.</summary>
    Retry = 2,

    /// <summary>The request is malformed or the node is overloaded; <see cref="KvResponse.Value"/> says why.</summary>
    Error = 3,
}

/// <summary>A client request; <see cref="Raw"/> is the command as encoded on the wire (proposed as is, not re-encoded).</summary>
public sealed record KvRequest(ulong RequestId, KvCommand Command, ReadOnlyMemory<byte> Raw = default);

public sealed record KvResponse(ulong RequestId, KvStatus Status, bool Succeeded, string? Value, ulong LeaderHint, string? LeaderAddress);

/// <summary>
/// Frames of the Raft node port (peers and clients share it). A frame is
/// <c>payload length u32 | CRC32C of the payload u32 | payload</c>, little-endian, and a payload starts with its
/// <see cref="FrameKind"/>. Frames over <see cref="FrameBytesMax"/> or with a bad checksum are a protocol error: the
/// connection is closed (peers reconnect; nothing else is affected). Sans-I/O: parse from buffers, write to
/// <see cref="IBufferWriter{T}"/>.
/// </summary>
public static class RaftFrames
{
    public const int HeaderBytes = 8;

    /// <summary>Largest frame payload accepted: bounds the memory one connection can demand.</summary>
    public const int FrameBytesMax = 16 << 20;

    /// <summary>Tries to cut one frame off the front of <paramref name="buffer"/>; throws <see cref="FormatException"/> on a bad frame.</summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out byte[] payload)
    {
        payload = [];
        if (!TryReadHeader(buffer, out var size, out var crc)) return false;
        payload = buffer.Slice(HeaderBytes, size).ToArray();
        Verify(payload, crc);
        buffer = buffer.Slice(HeaderBytes + size);
        return true;
    }

    /// <summary>The header of the frame at the front of <paramref name="buffer"/>, if the whole frame is there.</summary>
    private static bool TryReadHeader(ReadOnlySequence<byte> buffer, out int size, out uint crc)
    {
        size = 0;
        crc = 0;
        if (buffer.Length < HeaderBytes) return false;
        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length == 0 || length > FrameBytesMax) throw new FormatException($"frame of {length} bytes (limit {FrameBytesMax})");
        size = (int)length;
        return buffer.Length >= HeaderBytes + size;
    }

    private static void Verify(ReadOnlySpan<byte> payload, uint crc)
    {
        if (Crc32C.Compute(payload) != crc) throw new FormatException("frame checksum mismatch");
    }

    /// <summary>
    /// As <see cref="TryRead"/>, into an array rented from <see cref="ArrayPool{T}.Shared"/> (return it when done; the
    /// payload is its first <paramref name="length"/> bytes). For the peers' Raft batches, which can be megabytes:
    /// fresh arrays of that size would each be a large-object allocation and new pages to fault in.
    /// </summary>
    public static bool TryReadPooled(ref ReadOnlySequence<byte> buffer, out byte[] rented, out int length)
    {
        rented = [];
        if (!TryReadHeader(buffer, out length, out var crc)) return false;
        rented = ArrayPool<byte>.Shared.Rent(length);
        buffer.Slice(HeaderBytes, length).CopyTo(rented);
        try
        {
            Verify(rented.AsSpan(0, length), crc);
        }
        catch (FormatException)
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }
        buffer = buffer.Slice(HeaderBytes + length);
        return true;
    }

    /// <summary>Writes a whole frame around the payload built by <paramref name="build"/>.</summary>
    public static byte[] Frame(FrameKind kind, Action<ArrayBufferWriter<byte>> build)
    {
        var body = new ArrayBufferWriter<byte>();
        body.GetSpan(1)[0] = (byte)kind;
        body.Advance(1);
        build(body);
        var frame = new byte[HeaderBytes + body.WrittenCount];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)body.WrittenCount);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32C.Compute(body.WrittenSpan));
        body.WrittenSpan.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    public static byte[] Hello(ulong nodeId) => Frame(FrameKind.Hello, w => U64(w, nodeId));

    /// <summary>
    /// A batch of Raft messages, encoded straight into a frame in an array rented from <see cref="ArrayPool{T}.Shared"/>
    /// (one copy of each entry); the frame is its first <paramref name="length"/> bytes. Return the array after writing.
    /// </summary>
    public static byte[] RentRaftMessages(IReadOnlyList<RaftMessage> messages, out int length)
    {
        var payload = 1 + 4;
        foreach (var m in messages) payload += 4 + RaftMessageCodec.EncodedLength(m);
        var frame = ArrayPool<byte>.Shared.Rent(HeaderBytes + payload);
        var span = frame.AsSpan(HeaderBytes, payload);
        span[0] = (byte)FrameKind.RaftMessages;
        BinaryPrimitives.WriteUInt32LittleEndian(span[1..], (uint)messages.Count);
        var at = 5;
        foreach (var m in messages)
        {
            var n = RaftMessageCodec.Encode(m, span[(at + 4)..]);
            BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)n);
            at += 4 + n;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)at);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32C.Compute(span[..at]));
        length = HeaderBytes + at;
        return frame;
    }

    /// <summary>A batch of Raft messages as a frame of its own (tests and tools; the transport rents).</summary>
    public static byte[] RaftMessages(IReadOnlyList<RaftMessage> messages)
    {
        var rented = RentRaftMessages(messages, out var length);
        var frame = rented.AsSpan(0, length).ToArray();
        ArrayPool<byte>.Shared.Return(rented);
        return frame;
    }

    public static byte[] Request(KvRequest request) => Frame(FrameKind.KvRequest, w =>
    {
        U64(w, request.RequestId);
        var command = request.Command.Encode();
        U32(w, (uint)command.Length);
        w.Write(command);
    });

    public static byte[] Response(KvResponse r) => Frame(FrameKind.KvResponse, w =>
    {
        U64(w, r.RequestId);
        w.Write([(byte)r.Status, r.Succeeded ? (byte)1 : (byte)0]);
        Str(w, r.Value);
        U64(w, r.LeaderHint);
        Str(w, r.LeaderAddress);
    });

    public static byte[] StatusRequest(ulong requestId) => Frame(FrameKind.StatusRequest, w => U64(w, requestId));

    public static byte[] StatusResponse(ulong requestId, string json) => Frame(FrameKind.StatusResponse, w =>
    {
        U64(w, requestId);
        Str(w, json);
    });

    public static FrameKind KindOf(byte[] payload) => (FrameKind)payload[0];

    public static ulong ReadHello(byte[] payload)
    {
        var r = new Reader(payload);
        return r.U64();
    }

    public static List<RaftMessage> ReadRaftMessages(byte[] payload) => ReadRaftMessages(payload, payload.Length);

    /// <summary>Decodes a Raft batch from the first <paramref name="length"/> bytes of <paramref name="payload"/>; the
    /// messages copy what they keep, so the array may be reused afterwards.</summary>
    public static List<RaftMessage> ReadRaftMessages(byte[] payload, int length)
    {
        var r = new Reader(payload, length);
        var count = r.U32();
        if (count > (uint)length) throw new FormatException("raft batch: bad count");
        var list = new List<RaftMessage>((int)count);
        for (var i = 0u; i < count; i++) list.Add(RaftMessageCodec.Decode(r.Bytes((int)r.U32())));
        r.End();
        return list;
    }

    public static KvRequest ReadRequest(byte[] payload)
    {
        var r = new Reader(payload);
        var id = r.U64();
        var length = (int)r.U32();
        var at = r.Position;
        var command = KvCommand.Decode(r.Bytes(length));
        r.End();
        return new KvRequest(id, command, payload.AsMemory(at, length));
    }

    public static KvResponse ReadResponse(byte[] payload)
    {
        var r = new Reader(payload);
        var id = r.U64();
        var status = (KvStatus)r.Byte();
        var ok = r.Byte() == 1;
        var value = r.Str();
        var hint = r.U64();
        var address = r.Str();
        r.End();
        return new KvResponse(id, status, ok, value, hint, address);
    }

    public static ulong ReadStatusRequest(byte[] payload) => new Reader(payload).U64();

    public static (ulong RequestId, string Json) ReadStatusResponse(byte[] payload)
    {
        var r = new Reader(payload);
        var id = r.U64();
        var json = r.Str() ?? "{}";
        r.End();
        return (id, json);
    }

    private static void U64(IBufferWriter<byte> w, ulong v)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(w.GetSpan(8), v);
        w.Advance(8);
    }

    private static void U32(IBufferWriter<byte> w, uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void Str(IBufferWriter<byte> w, string? s)
    {
        if (s is null)
        {
            U32(w, uint.MaxValue);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(s);
        U32(w, (uint)bytes.Length);
        w.Write(bytes);
    }

    /// <summary>Reads a payload after its kind byte, checking every length.</summary>
    private ref struct Reader(byte[] payload, int length)
    {
        private int _at = 1;

        public Reader(byte[] payload) : this(payload, payload.Length)
        {
        }

        public readonly int Position => _at;

        public byte Byte()
        {
            Need(1);
            return payload[_at++];
        }

        public uint U32()
        {
            Need(4);
            var v = BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(_at));
            _at += 4;
            return v;
        }

        public ulong U64()
        {
            Need(8);
            var v = BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(_at));
            _at += 8;
            return v;
        }

        public ReadOnlySpan<byte> Bytes(int length)
        {
            if (length < 0) throw new FormatException("frame: bad length");
            Need(length);
            var span = payload.AsSpan(_at, length);
            _at += length;
            return span;
        }

        public string? Str()
        {
            var n = U32();
            if (n == uint.MaxValue) return null;
            if (n > int.MaxValue) throw new FormatException("frame: bad string length");
            return Encoding.UTF8.GetString(Bytes((int)n));
        }

        public readonly void End()
        {
            if (_at != length) throw new FormatException("frame: trailing bytes");
        }

        private readonly void Need(int n)
        {
            if (n > length - _at) throw new FormatException("frame: truncated");
        }
    }
}
