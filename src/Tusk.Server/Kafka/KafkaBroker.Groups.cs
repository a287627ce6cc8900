using Tusk.Protocols.Kafka;

namespace Tusk.Server.Kafka;

public sealed partial class KafkaBroker
{
    private void InitializeGroups()
    {
    }

    private void DisposeGroups()
    {
    }

    private ValueTask<bool> HandleGroupRequestAsync(RequestHeader header, ReadOnlyMemory<byte> body, KafkaWriter response, CancellationToken cancellationToken) =>
        throw new KafkaProtocolException($"{header.ApiKey} is not served yet");
}
