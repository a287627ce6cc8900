namespace Tusk.Kv;

/// <summary>When a commit is acknowledged relative to the disk.</summary>
public enum CommitDurability
{
    /// <summary>As configured for the store (<see cref="KvStoreOptions.SyncCommit"/>, synchronous by default).</summary>
    Default = 0,

    /// <summary>Commit returns after the write-ahead log is fsynced: survives power loss.</summary>
    Sync = 1,

    /// <summary>
    /// Commit returns once the write is in the operating system (PostgreSQL's <c>synchronous_commit = off</c>):
    /// survives a process crash, and a power failure may lose the most recent such commits. Each is still
    /// all-or-nothing, and a lost commit takes every later commit with it (recovery keeps a prefix).
    /// </summary>
    Async = 2,
}
