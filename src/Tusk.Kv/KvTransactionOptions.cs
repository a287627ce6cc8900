namespace Tusk.Kv;

/// <summary>Options of one transaction.</summary>
public sealed record KvTransactionOptions
{
    /// <summary>SERIALIZABLE with the store's default durability.</summary>
    public static readonly KvTransactionOptions Serializable = new();

    /// <summary>Isolation level; <see cref="IsolationLevel.Serializable"/> by default.</summary>
    public IsolationLevel Isolation { get; init; } = IsolationLevel.Serializable;

    /// <summary>When <see cref="IKvTransaction.Commit"/> returns relative to the disk.</summary>
    public CommitDurability Durability { get; init; } = CommitDurability.Default;
}
