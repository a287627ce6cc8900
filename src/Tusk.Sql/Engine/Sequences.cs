using Tusk.Core.Encoding;
using Tusk.Kv;

namespace Tusk.Sql;

/// <summary>
/// Sequences (serial, identity, hidden rowids): nextval is not transactional, as in PostgreSQL. Values are handed out
/// from blocks reserved by small transactions of their own, so a crash leaves gaps but never repeats a value.
/// A sequence's block doubles each time one is used up (from 1,024 to 65,536 values), so that a bulk load of a
/// million rows reserves about twenty blocks, each a commit with an fsync, instead of a thousand; a restart leaves
/// at most one block of gaps.
/// </summary>
internal sealed class Sequences(KvStore kv)
{
    private const long BlockSizeMin = 1024;
    private const long BlockSizeMax = 65_536;
    private readonly Dictionary<string, (long Next, long Limit)> _blocks = [];
    private readonly Dictionary<string, long> _blockSizes = [];   // the next block's size, by sequence; guarded by _allocate
    private readonly Lock _lock = new();
    private readonly Lock _allocate = new();

    public static byte[] Key(string name) => TupleEncoding.Pack("q", Normalize(name));

    public static string Normalize(string name) => name.StartsWith("public.", StringComparison.Ordinal) ? name[7..] : name.Trim('"');

    /// <summary>Creates a sequence in <paramref name="tx"/> (part of the DDL that needs it).</summary>
    public static void Create(IKvTransaction tx, string name, long start = 1) => tx.Put(Key(name), TupleEncoding.Pack(start));

    public static void Drop(IKvTransaction tx, string name) => tx.Delete(Key(name));

    /// <summary>The next value; <paramref name="current"/> is the caller's transaction, used when the sequence is not yet committed.</summary>
    public long Next(string name, IKvTransaction? current = null)
    {
        name = Normalize(name);
        lock (_lock)
        {
            if (_blocks.TryGetValue(name, out var block) && block.Next < block.Limit)
            {
                _blocks[name] = (block.Next + 1, block.Limit);
                return block.Next;
            }
        }
        // One allocator at a time: the others wait here and then take values from the block it reserved. (Racing
        // allocators would conflict and spin until the winner's commit became visible.) The lock is held across the
        // reserving commit on purpose; it is only ever taken once per block.
        lock (_allocate)
        {
            lock (_lock)
            {
                if (_blocks.TryGetValue(name, out var block) && block.Next < block.Limit)
                {
                    _blocks[name] = (block.Next + 1, block.Limit);
                    return block.Next;
                }
            }
            return Reserve(name, current);
        }
    }

    private long Reserve(string name, IKvTransaction? current)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var tx = kv.Begin(IsolationLevel.Serializable);
            var value = tx.Get(Key(name));
            if (value is null)
            {
                // Created by the caller's own uncommitted transaction: allocate inside it.
                var mine = current?.Get(Key(name)) ?? throw new SqlException("42P01", $"relation \"{name}\" does not exist");
                var v = (long)TupleEncoding.Unpack(mine)[0]!;
                current.Put(Key(name), TupleEncoding.Pack(v + 1));
                return v;
            }
            var next = (long)TupleEncoding.Unpack(value)[0]!;
            var size = _blockSizes.GetValueOrDefault(name, BlockSizeMin);
            if (next == long.MaxValue) throw new SqlException("2200H", $"nextval: reached maximum value of sequence \"{name}\" ({long.MaxValue})");
            size = Math.Min(size, long.MaxValue - next);   // the last block stops at the maximum instead of wrapping
            tx.Put(Key(name), TupleEncoding.Pack(next + size));
            try
            {
                tx.Commit();
            }
            catch (KvSerializationException) when (attempt < 1000)
            {
                // A concurrent setval: read again.
                Thread.Yield();
                continue;
            }
            _blockSizes[name] = Math.Min(size * 2, BlockSizeMax);
            lock (_lock)
            {
                _blocks[name] = (next + 1, next + size);
            }
            return next;
        }
    }

    /// <summary>setval: the next nextval returns <paramref name="value"/> + 1.</summary>
    public long Set(string name, long value)
    {
        name = Normalize(name);
        using var tx = kv.Begin(IsolationLevel.Serializable);
        if (tx.Get(Key(name)) is null) throw new SqlException("42P01", $"relation \"{name}\" does not exist");
        tx.Put(Key(name), TupleEncoding.Pack(value + 1));
        tx.Commit();
        lock (_lock)
        {
            _blocks.Remove(name);
        }
        return value;
    }

    /// <summary>Forgets cached blocks (after DROP or a rolled-back creation).</summary>
    public void Forget(string name)
    {
        lock (_lock)
        {
            _blocks.Remove(Normalize(name));
        }
    }
}
