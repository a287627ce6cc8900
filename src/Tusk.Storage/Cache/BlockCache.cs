using Tusk.Storage.Sstable;

namespace Tusk.Storage.Cache;

/// <summary>
/// A sharded LRU cache of verified data blocks with a byte budget: memory for cached blocks never exceeds
/// <see cref="CapacityBytes"/> (plus the blocks readers are still using). Keys are (file number, offset);
/// file numbers are never reused, so entries of deleted tables simply age out. Thread-safe: one lock per
/// shard, never held across I/O.
/// </summary>
internal sealed class BlockCache
{
    private const int ShardCount = 16;
    private readonly Shard[] _shards = new Shard[ShardCount];
    private long _hits;
    private long _misses;

    public BlockCache(long capacityBytes)
    {
        CapacityBytes = capacityBytes;
        for (int i = 0; i < ShardCount; i++)
        {
            _shards[i] = new Shard(capacityBytes / ShardCount);
        }
    }

    public long CapacityBytes { get; }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public long UsageBytes
    {
        get
        {
            long sum = 0;
            foreach (var s in _shards)
            {
                sum += s.Usage;
            }
            return sum;
        }
    }

    /// <summary>The cached block with a reference for the caller (who must <see cref="Block.Release"/> it), or null.</summary>
    public Block? Lookup(ulong fileNumber, long offset)
    {
        if (CapacityBytes == 0)
        {
            return null;
        }
        var block = ShardOf(fileNumber, offset).Lookup(new CacheKey(fileNumber, offset));
        if (block == null)
        {
            Interlocked.Increment(ref _misses);
        }
        else
        {
            Interlocked.Increment(ref _hits);
        }
        return block;
    }

    /// <summary>Caches <paramref name="block"/> (taking its own reference); the caller keeps its reference.</summary>
    public void Insert(ulong fileNumber, long offset, Block block)
    {
        if (CapacityBytes > 0)
        {
            ShardOf(fileNumber, offset).Insert(new CacheKey(fileNumber, offset), block);
        }
    }

    private Shard ShardOf(ulong fileNumber, long offset)
    {
        ulong h = (fileNumber * 0x9E3779B97F4A7C15UL) ^ ((ulong)offset >> 12) * 0xC2B2AE3D27D4EB4FUL;
        return _shards[(int)(h >> 60) & (ShardCount - 1)];
    }

    private readonly record struct CacheKey(ulong File, long Offset);

    private sealed class Entry(CacheKey key, Block block)
    {
        public readonly CacheKey Key = key;
        public readonly Block Block = block;
        public Entry? Prev;
        public Entry? Next;
    }

    private sealed class Shard(long capacity)
    {
        private readonly Dictionary<CacheKey, Entry> _map = new();
        private Entry? _head; // most recently used
        private Entry? _tail; // least recently used
        private long _usage;  // Protected by this.

        public long Usage => Volatile.Read(ref _usage);

        public Block? Lookup(CacheKey key)
        {
            lock (this)
            {
                if (!_map.TryGetValue(key, out var e))
                {
                    return null;
                }
                MoveToFront(e);
                e.Block.Ref();
                return e.Block;
            }
        }

        public void Insert(CacheKey key, Block block)
        {
            long charge = block.Charge;
            if (charge > capacity)
            {
                return;
            }
            lock (this)
            {
                if (_map.ContainsKey(key))
                {
                    return;
                }
                var e = new Entry(key, block);
                block.Ref();
                _map[key] = e;
                e.Next = _head;
                if (_head != null)
                {
                    _head.Prev = e;
                }
                _head = e;
                _tail ??= e;
                _usage += charge;
                while (_usage > capacity && _tail != null)
                {
                    var victim = _tail;
                    Unlink(victim);
                    _map.Remove(victim.Key);
                    _usage -= victim.Block.Charge;
                    victim.Block.Release();
                }
            }
        }

        private void MoveToFront(Entry e)
        {
            if (_head == e)
            {
                return;
            }
            Unlink(e);
            e.Next = _head;
            if (_head != null)
            {
                _head.Prev = e;
            }
            _head = e;
            _tail ??= e;
        }

        private void Unlink(Entry e)
        {
            if (e.Prev != null)
            {
                e.Prev.Next = e.Next;
            }
            else
            {
                _head = e.Next;
            }
            if (e.Next != null)
            {
                e.Next.Prev = e.Prev;
            }
            else
            {
                _tail = e.Prev;
            }
            e.Prev = null;
            e.Next = null;
        }
    }
}
