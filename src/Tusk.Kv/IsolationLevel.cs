namespace Tusk.Kv;

/// <summary>
/// Transaction isolation levels, named as in SQL and with PostgreSQL's meanings (docs/kv.md has the table of
/// anomalies each one allows).
/// </summary>
public enum IsolationLevel
{
    /// <summary>
    /// Every read sees the latest committed data as of that read; no dirty reads or dirty writes (writes are
    /// buffered and a commit applies atomically). Commits are not validated: of two concurrent writers of a key
    /// the later committer's value wins, so a read-modify-write across two operations can lose an update, as
    /// in PostgreSQL's READ COMMITTED when the read and the write are separate statements.
    /// </summary>
    ReadCommitted = 1,

    /// <summary>
    /// Snapshot isolation: all reads see one snapshot taken at begin; at commit, if a key this transaction
    /// writes has a version committed after that snapshot, it aborts with a serialization failure (first
    /// committer wins). Prevents lost updates and read skew; allows write skew and phantom-caused write skew.
    /// </summary>
    RepeatableRead = 2,

    /// <summary>
    /// Snapshot isolation plus read-set validation (optimistic concurrency control): at commit, if a key this
    /// transaction read, or any key in a range it scanned, has a version committed after its snapshot, it
    /// aborts with a serialization failure. Committed transactions are equivalent to running one at a time in
    /// commit-timestamp order. The default.
    /// </summary>
    Serializable = 3,
}
