namespace Tusk.Kv;

/// <summary>
/// An error of the key space that the layer above reports to its client. Carries the SQLSTATE the SQL layer
/// puts on the wire, so Tusk.Kv needs no reference to any protocol.
/// </summary>
public abstract class KvException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected KvException(string message) : base(message) { }

    /// <summary>The SQLSTATE code of this error class (PostgreSQL's appendix A).</summary>
    public abstract string SqlState { get; }
}
