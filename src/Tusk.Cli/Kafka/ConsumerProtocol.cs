using Tusk.Protocols.Kafka;

namespace Tusk.Cli.Kafka;

/// <summary>
/// The embedded consumer protocol (protocol type "consumer"): reads the partitions a member was assigned from
/// the assignment bytes DescribeGroups returns. Layout (every version so far starts the same way):
/// <c>version INT16, assigned_partitions [topic STRING, partitions [INT32]], user_data NULLABLE_BYTES</c>.
/// </summary>
internal static class ConsumerProtocol
{
    /// <summary>The protocol type of consumer groups.</summary>
    public const string ProtocolType = "consumer";

    /// <summary>
    /// The (topic, partition) pairs in <paramref name="assignment"/>, or null when the bytes are empty or do not
    /// parse (a group using another protocol, or a client writing something else).
    /// </summary>
    public static List<(string Topic, int Partition)>? TryReadAssignment(ReadOnlySpan<byte> assignment)
    {
        if (assignment.IsEmpty)
        {
            return null;
        }
        try
        {
            var r = new KafkaReader(assignment);
            short version = r.ReadInt16();
            if (version < 0)
            {
                return null;
            }
            int topicCount = r.ReadArrayLength(6);
            var partitions = new List<(string, int)>();
            for (int t = 0; t < topicCount; t++)
            {
                string topic = r.ReadString();
                int count = r.ReadArrayLength(4);
                for (int p = 0; p < count; p++)
                {
                    partitions.Add((topic, r.ReadInt32()));
                }
            }
            return partitions;
        }
        catch (KafkaProtocolException)
        {
            return null;
        }
    }
}
