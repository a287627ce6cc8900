namespace Tusk.Protocols.Kafka;

/// <summary>
/// A request frame that does not parse as the message its header announces (truncated, a negative length
/// where none is allowed, an array longer than the frame). The host answers with the protocol's error when it
/// can and otherwise closes only that connection.
/// </summary>
public sealed class KafkaProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KafkaProtocolException(string message) : base(message) { }
}
