namespace Tusk.Kv;

/// <summary>Why a transaction failed validation at commit.</summary>
public enum KvConflictKind
{
    /// <summary>A key it writes was written by a transaction that committed after its snapshot (first committer wins).</summary>
    WriteWrite = 1,

    /// <summary>SERIALIZABLE: a key it read, or a key in a range it scanned, was written after its snapshot.</summary>
    ReadWrite = 2,

    /// <summary>
    /// Its snapshot is older than the history of commits the store still remembers (the bounded commit tracker
    /// forgot what happened since): it cannot be validated, so it aborts conservatively.
    /// </summary>
    SnapshotTooOld = 3,
}
