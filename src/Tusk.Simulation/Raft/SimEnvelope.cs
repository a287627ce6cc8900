using Tusk.Raft;
using Tusk.Raft.Kv;

namespace Tusk.Simulation.Raft;

/// <summary>What travels on the simulated network of a Raft KV run: Raft traffic between nodes, or client traffic.</summary>
public sealed class SimEnvelope
{
    public RaftMessage? Raft { get; init; }

    public ClientRequest? Request { get; init; }

    public ClientReply? Reply { get; init; }

    public override string ToString() => Raft?.ToString() ?? Request?.ToString() ?? Reply?.ToString() ?? "empty";
}

/// <summary>A client's request; <see cref="Attempt"/> tells apart retries of the same command.</summary>
public sealed record ClientRequest(int Client, ulong Attempt, KvCommand Command)
{
    public override string ToString() => $"request a{Attempt} {Command}";
}

public sealed record ClientReply(ulong Attempt, KvAnswer Status, KvResult Result, ulong LeaderHint)
{
    public override string ToString() => $"reply a{Attempt} {Status} {Result}";
}
