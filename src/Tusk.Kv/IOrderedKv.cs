namespace Tusk.Kv;

/// <summary>
/// An ordered, transactional key space: what Tusk.Sql (and every other layer that stores state) talks to
/// (ARCHITECTURE.md principle 3). Keys and values are byte strings; keys are ordered as unsigned bytes (encode
/// typed keys with <c>Tusk.Core.Encoding.TupleEncoding</c>). Nothing in this interface says where the keys
/// live: <see cref="KvStore"/> is one node, and a range-partitioned, replicated implementation keeps the same
/// contract (HLC timestamps, bounded scans that can be resumed from the last key, and retriable
/// <see cref="KvSerializationException"/>s).
///
/// Thread-safe: any number of threads may begin transactions; each transaction is used by one thread at a time.
/// </summary>
public interface IOrderedKv
{
    /// <summary>Starts a transaction at <paramref name="isolation"/> with default durability.</summary>
    IKvTransaction Begin(IsolationLevel isolation = IsolationLevel.Serializable);

    /// <summary>Starts a transaction with <paramref name="options"/>.</summary>
    IKvTransaction Begin(KvTransactionOptions options);
}
