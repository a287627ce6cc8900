namespace Tusk.Kv;

/// <summary>Where a transaction is in its life.</summary>
public enum KvTransactionState
{
    /// <summary>Reads and writes are allowed.</summary>
    Active = 0,

    /// <summary>Committed; its writes are durable (per its durability) and visible.</summary>
    Committed = 1,

    /// <summary>Rolled back by the caller, by <see cref="IDisposable.Dispose"/>, or by a failed commit.</summary>
    RolledBack = 2,
}
