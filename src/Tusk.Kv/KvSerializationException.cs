namespace Tusk.Kv;

/// <summary>
/// The transaction could not be serialized with concurrent ones and was rolled back; running it again from the
/// start may succeed. SQLSTATE 40001 (serialization_failure).
/// </summary>
public sealed class KvSerializationException : KvException
{
    /// <summary>Creates the exception.</summary>
    public KvSerializationException(KvConflictKind kind, byte[]? key, string message) : base(message)
    {
        Kind = kind;
        Key = key;
    }

    /// <inheritdoc />
    public override string SqlState => "40001";

    /// <summary>What conflicted.</summary>
    public KvConflictKind Kind { get; }

    /// <summary>A conflicting key, when there is one to name (its bytes belong to the caller).</summary>
    public byte[]? Key { get; }
}
