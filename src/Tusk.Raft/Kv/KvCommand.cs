using System.Buffers.Binary;
using System.Text;

namespace Tusk.Raft.Kv;

public enum KvOp : byte
{
    Get = 1,
    Put = 2,
    Cas = 3,
    Delete = 4,
}

/// <summary>
/// A client command of the replicated key-value store, as carried in a Raft entry. (<see cref="ClientId"/>,
/// <see cref="Sequence"/>) identify the request: a client retries with the same pair, and the state machine applies
/// it once (a session). A client has at most one request outstanding, so sequences grow by one per new request.
/// Encoding: op (1), client id (8), sequence (8), then key, value and expected as (length 4 or -1 for null, UTF-8).
/// </summary>
public sealed record KvCommand(KvOp Op, ulong ClientId, ulong Sequence, string Key, string? Value = null, string? Expected = null)
{
    public byte[] Encode()
    {
        var length = 17 + FieldLength(Key) + FieldLength(Value) + FieldLength(Expected);
        var buffer = new byte[length];
        buffer[0] = (byte)Op;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(1), ClientId);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(9), Sequence);
        var at = 17;
        at = WriteField(buffer, at, Key);
        at = WriteField(buffer, at, Value);
        WriteField(buffer, at, Expected);
        return buffer;
    }

    /// <summary>Decodes a command; throws <see cref="FormatException"/> on malformed input.</summary>
    public static KvCommand Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 17 || data[0] is < (byte)KvOp.Get or > (byte)KvOp.Delete) throw new FormatException("kv command: bad header");
        var op = (KvOp)data[0];
        var client = BinaryPrimitives.ReadUInt64LittleEndian(data[1..]);
        var sequence = BinaryPrimitives.ReadUInt64LittleEndian(data[9..]);
        var at = 17;
        var key = ReadField(data, ref at) ?? throw new FormatException("kv command: null key");
        var value = ReadField(data, ref at);
        var expected = ReadField(data, ref at);
        if (at != data.Length) throw new FormatException("kv command: trailing bytes");
        return new KvCommand(op, client, sequence, key, value, expected);
    }

    private static int FieldLength(string? s) => 4 + (s is null ? 0 : Encoding.UTF8.GetByteCount(s));

    private static int WriteField(byte[] buffer, int at, string? s)
    {
        if (s is null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), -1);
            return at + 4;
        }
        var n = Encoding.UTF8.GetBytes(s, buffer.AsSpan(at + 4));
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), n);
        return at + 4 + n;
    }

    private static string? ReadField(ReadOnlySpan<byte> data, ref int at)
    {
        if (at + 4 > data.Length) throw new FormatException("kv command: truncated");
        var n = BinaryPrimitives.ReadInt32LittleEndian(data[at..]);
        at += 4;
        if (n == -1) return null;
        if (n < 0 || at + n > data.Length) throw new FormatException("kv command: bad field length");
        var s = Encoding.UTF8.GetString(data.Slice(at, n));
        at += n;
        return s;
    }

    public override string ToString() => Op switch
    {
        KvOp.Put => $"c{ClientId}#{Sequence} put {Key}={Value}",
        KvOp.Cas => $"c{ClientId}#{Sequence} cas {Key} {Expected ?? "∅"}->{Value}",
        _ => $"c{ClientId}#{Sequence} {Op.ToString().ToLowerInvariant()} {Key}",
    };
}

/// <summary>The outcome of applying a command: for cas whether it swapped, and the value read (get) or found (put, cas, delete).</summary>
public readonly record struct KvResult(bool Succeeded, string? Value);
