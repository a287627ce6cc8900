using Tusk.Protocols.Kafka;

namespace Tusk.Streams.Groups;

/// <summary>
/// A response the coordinator released for a request the host handed it with a request id: a
/// <see cref="JoinGroupResponse"/>, <see cref="SyncGroupResponse"/> or <see cref="OffsetCommitResponse"/>.
/// Exactly one reply is released per such request id; the host sends it on the request's connection.
/// </summary>
/// <param name="RequestId">The id the host passed with the request.</param>
/// <param name="Response">The response message.</param>
public readonly record struct GroupReply(long RequestId, object Response)
{
    /// <summary>The API the response answers.</summary>
    public ApiKey ApiKey => Response switch
    {
        JoinGroupResponse => ApiKey.JoinGroup,
        SyncGroupResponse => ApiKey.SyncGroup,
        OffsetCommitResponse => ApiKey.OffsetCommit,
        _ => throw new InvalidOperationException($"unexpected reply type {Response.GetType().Name}"),
    };

    /// <summary>Writes the response body at the request's version (the host writes the header first).</summary>
    public void WriteBody(KafkaWriter writer, short version)
    {
        switch (Response)
        {
            case JoinGroupResponse join:
                join.Write(writer, version);
                break;
            case SyncGroupResponse sync:
                sync.Write(writer, version);
                break;
            case OffsetCommitResponse commit:
                commit.Write(writer, version);
                break;
            default:
                throw new InvalidOperationException($"unexpected reply type {Response.GetType().Name}");
        }
    }
}
