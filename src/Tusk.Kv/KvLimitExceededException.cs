namespace Tusk.Kv;

/// <summary>
/// A key, a value or a transaction is larger than the store accepts (<see cref="KvStoreOptions"/>). The
/// transaction is still usable for smaller writes. SQLSTATE 54000 (program_limit_exceeded).
/// </summary>
public sealed class KvLimitExceededException : KvException
{
    /// <summary>Creates the exception.</summary>
    public KvLimitExceededException(string message) : base(message) { }

    /// <inheritdoc />
    public override string SqlState => "54000";
}
