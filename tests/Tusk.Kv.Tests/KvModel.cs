using Tusk.Core;

namespace Tusk.Kv.Tests;

/// <summary>One operation of a transaction in a generated workload, run against the store or against the model.</summary>
internal sealed record TxnOp(TxnOpKind Kind, byte[] Key, byte[] End, byte[]? Value, int Limit, bool Reverse)
{
    public override string ToString() => Kind switch
    {
        TxnOpKind.Get => $"get {Kv.Hex(Key)}",
        TxnOpKind.Put => $"put {Kv.Hex(Key)}={Kv.Hex(Value!)}",
        TxnOpKind.Delete => $"delete {Kv.Hex(Key)}",
        _ => $"scan [{Kv.Hex(Key)}, {(End.Length == 0 ? "∞" : Kv.Hex(End))}) limit {Limit}{(Reverse ? " reverse" : "")}",
    };
}

internal enum TxnOpKind { Get, Put, Delete, Scan }

/// <summary>
/// The reference for the tests: committed state in a sorted dictionary, plus a transaction's own writes as an
/// overlay (null = deleted). Reads are computed by brute force. Results are rendered as strings so the store's
/// and the model's answers compare exactly and print readably.
/// </summary>
internal static class KvModel
{
    /// <summary>Keys over a small alphabet with the bytes that matter for escaping (0x00, 0xFF) and shared prefixes.</summary>
    public static byte[] RandomKey(SeededRandom rng, int maxLength = 3)
    {
        ReadOnlySpan<byte> alphabet = [0x00, 0x01, (byte)'a', (byte)'b', 0xFF];
        var key = new byte[rng.Next(maxLength + 1)];
        for (int i = 0; i < key.Length; i++)
        {
            key[i] = alphabet[rng.Next(alphabet.Length)];
        }
        return key;
    }

    public static TxnOp RandomOp(SeededRandom rng, Func<byte[]> key, int valueCounter)
    {
        int r = rng.Next(100);
        if (r < 30)
        {
            return new TxnOp(TxnOpKind.Put, key(), [], Kv.B("v" + valueCounter), 0, false);
        }
        if (r < 42)
        {
            return new TxnOp(TxnOpKind.Delete, key(), [], null, 0, false);
        }
        if (r < 70)
        {
            return new TxnOp(TxnOpKind.Get, key(), [], null, 0, false);
        }
        byte[] begin = key();
        byte[] end = rng.Next(4) == 0 ? [] : key();
        int limit = rng.Next(3) == 0 ? int.MaxValue : 1 + rng.Next(6);
        return new TxnOp(TxnOpKind.Scan, begin, end, null, limit, rng.Next(2) == 0);
    }

    /// <summary>Runs <paramref name="op"/> on the store; returns the rendered read result ("" for writes).</summary>
    public static string Execute(TxnOp op, IKvTransaction txn)
    {
        switch (op.Kind)
        {
            case TxnOpKind.Get:
                return Render(txn.Get(op.Key));
            case TxnOpKind.Put:
                txn.Put(op.Key, op.Value);
                return "";
            case TxnOpKind.Delete:
                txn.Delete(op.Key);
                return "";
            default:
                return Render(txn.Scan(op.Key, op.End, op.Limit, op.Reverse));
        }
    }

    /// <summary>Runs <paramref name="op"/> on the model; writes go to <paramref name="overlay"/>.</summary>
    public static string Execute(TxnOp op, SortedDictionary<byte[], byte[]> state, SortedDictionary<byte[], byte[]?> overlay)
    {
        switch (op.Kind)
        {
            case TxnOpKind.Get:
                return Render(Get(state, overlay, op.Key));
            case TxnOpKind.Put:
                overlay[op.Key] = op.Value;
                return "";
            case TxnOpKind.Delete:
                overlay[op.Key] = null;
                return "";
            default:
                return Render(Scan(state, overlay, op.Key, op.End, op.Limit, op.Reverse));
        }
    }

    public static byte[]? Get(SortedDictionary<byte[], byte[]> state, SortedDictionary<byte[], byte[]?> overlay, byte[] key) =>
        overlay.TryGetValue(key, out var v) ? v : state.GetValueOrDefault(key);

    public static List<KvPair> Scan(SortedDictionary<byte[], byte[]> state, SortedDictionary<byte[], byte[]?> overlay,
        byte[] begin, byte[] end, int limit, bool reverse)
    {
        var merged = new SortedDictionary<byte[], byte[]>(state, ByteComparer.Instance);
        Apply(merged, overlay);
        IEnumerable<KeyValuePair<byte[], byte[]>> inRange = merged.Where(kv =>
            kv.Key.AsSpan().SequenceCompareTo(begin) >= 0 && (end.Length == 0 || kv.Key.AsSpan().SequenceCompareTo(end) < 0));
        if (reverse)
        {
            inRange = inRange.Reverse();
        }
        return inRange.Take(limit).Select(kv => new KvPair(kv.Key, kv.Value)).ToList();
    }

    public static void Apply(SortedDictionary<byte[], byte[]> state, SortedDictionary<byte[], byte[]?> overlay)
    {
        foreach (var (key, value) in overlay)
        {
            if (value == null)
            {
                state.Remove(key);
            }
            else
            {
                state[key] = value;
            }
        }
    }

    public static SortedDictionary<byte[], byte[]?> NewOverlay() => new(ByteComparer.Instance);

    public static string Render(byte[]? value) => value == null ? "null" : Kv.Hex(value);

    public static string Render(IReadOnlyList<KvPair> pairs) =>
        "[" + string.Join(" ", pairs.Select(p => Kv.Hex(p.Key) + "=" + Kv.Hex(p.Value))) + "]";
}
