using System.Buffers.Binary;
using Tusk.Core.Encoding;
using Tusk.Storage;

namespace Tusk.Server.Kafka;

/// <summary>
/// Hands out idempotent-producer ids that are never reused across restarts: ids are reserved in blocks, and
/// the end of the reserved block is stored durably (fsynced) in the node's key-value store before any id of
/// the block is handed out. Thread-safe.
/// </summary>
internal sealed class ProducerIdAllocator
{
    private const int BlockSize = 1000;
    private static readonly byte[] s_key = TupleEncoding.Pack("kafka", "producer-id-block-end");
    private readonly LsmEngine _kv;
    private readonly object _lock = new();
    private long _next;
    private long _blockEnd; // ids below this are reserved durably

    public ProducerIdAllocator(LsmEngine kv)
    {
        _kv = kv;
        var stored = kv.Get(s_key);
        _next = _blockEnd = stored == null ? 1000 : BinaryPrimitives.ReadInt64BigEndian(stored);
    }

    public long Next()
    {
        lock (_lock)
        {
            if (_next >= _blockEnd)
            {
                long end = _blockEnd + BlockSize;
                var value = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(value, end);
                _kv.Put(s_key, value, WriteOptions.Durable);
                _blockEnd = end;
            }
            return _next++;
        }
    }
}
