using System.Text.Json.Nodes;
using Tusk.Cli.Kafka;
using Tusk.Protocols.Kafka;
using static Tusk.Cli.TextTable;

namespace Tusk.Cli.Commands;

/// <summary>
/// <c>tusk group list|describe</c>: consumer groups of a running broker over the Kafka protocol (like
/// kafka-consumer-groups.sh): ListGroups; DescribeGroups for the state and members, joined with the group's
/// committed offsets (OffsetFetch for all topics) and the partitions' log end offsets (ListOffsets) to show lag.
/// </summary>
internal static class GroupCommand
{
    /// <summary>Runs <c>tusk group ARGS</c>; returns the exit code (failures are thrown to <see cref="TuskCommand"/>).</summary>
    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length == 0)
        {
            throw new UsageException("missing group command", HelpText.Group);
        }
        if (args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(HelpText.Group.TrimEnd());
            return ExitCodes.Ok;
        }
        string sub = args[0];
        string usage = HelpText.ForGroup(sub) ?? throw new UsageException($"unknown group command '{sub}'", HelpText.Group);
        Arguments a = Arguments.Parse(args[1..], usage, KafkaAdminOptions.ValueOptions, ["json"]);
        if (a.HelpRequested)
        {
            stdout.WriteLine(usage.TrimEnd());
            return ExitCodes.Ok;
        }
        return sub switch
        {
            "list" => List(a, usage, stdout),
            "describe" => Describe(a, usage, stdout),
            _ => throw new UsageException($"unknown group command '{sub}'", HelpText.Group),
        };
    }

    private static int List(Arguments a, string usage, TextWriter stdout)
    {
        a.RequirePositionals(0, "no arguments");
        var options = KafkaAdminOptions.Parse(a, usage);
        using KafkaAdminClient client = KafkaAdminOptions.Connect(options);
        ListGroupsResponse response = client.ListGroups();
        if (response.ErrorCode != ErrorCode.None)
        {
            throw new CliException($"cannot list groups: {KafkaErrors.Describe(response.ErrorCode)}");
        }
        List<ListedGroup> groups = [.. response.Groups.OrderBy(g => g.GroupId, StringComparer.Ordinal)];
        if (a.Flag("json"))
        {
            var array = new JsonArray();
            foreach (ListedGroup g in groups)
            {
                array.Add(new JsonObject { ["group"] = g.GroupId, ["protocol_type"] = g.ProtocolType });
            }
            Json.Write(stdout, array);
            return ExitCodes.Ok;
        }
        if (groups.Count == 0)
        {
            stdout.WriteLine("no groups");
            return ExitCodes.Ok;
        }
        var table = new TextTable().Left("GROUP").Left("PROTOCOL-TYPE");
        foreach (ListedGroup g in groups)
        {
            table.Add(g.GroupId, g.ProtocolType.Length == 0 ? "-" : g.ProtocolType);
        }
        table.WriteTo(stdout);
        return ExitCodes.Ok;
    }

    private static int Describe(Arguments a, string usage, TextWriter stdout)
    {
        a.RequirePositionals(1, "GROUP");
        string groupId = a.Positionals[0];
        var options = KafkaAdminOptions.Parse(a, usage);
        using KafkaAdminClient client = KafkaAdminOptions.Connect(options);

        DescribedGroup group = client.DescribeGroup(groupId);
        if (group.ErrorCode != ErrorCode.None)
        {
            throw new CliException($"cannot describe group '{groupId}': {KafkaErrors.Describe(group.ErrorCode)}");
        }
        OffsetFetchResponse committed = client.FetchAllCommittedOffsets(groupId);
        if (committed.ErrorCode != ErrorCode.None)
        {
            throw new CliException($"cannot fetch the committed offsets of group '{groupId}': {KafkaErrors.Describe(committed.ErrorCode)}");
        }
        var offsets = new SortedDictionary<(string Topic, int Partition), long?>(PartitionOrder.Instance);
        foreach (OffsetFetchResponseTopic topic in committed.Topics)
        {
            foreach (OffsetFetchResponsePartition p in topic.Partitions)
            {
                if (p.ErrorCode == ErrorCode.None && p.CommittedOffset >= 0)
                {
                    offsets[(topic.Name, p.PartitionIndex)] = p.CommittedOffset;
                }
            }
        }
        if (group.GroupState == "Dead" && group.Members.Count == 0 && offsets.Count == 0)
        {
            throw new CliException($"group '{groupId}' does not exist");
        }

        // Partitions assigned to members but never committed are shown too (committed "-"), as Kafka's tool does.
        var assignments = new List<List<(string Topic, int Partition)>?>();
        foreach (DescribedGroupMember member in group.Members)
        {
            List<(string Topic, int Partition)>? assigned = group.ProtocolType == ConsumerProtocol.ProtocolType
                ? ConsumerProtocol.TryReadAssignment(member.MemberAssignment)
                : null;
            assignments.Add(assigned);
            foreach (var key in assigned ?? [])
            {
                offsets.TryAdd(key, null);
            }
        }
        var logEnds = client.ListOffsets(offsets.Keys, ListOffsetsRequest.LatestTimestamp);
        var rows = new List<(string Topic, int Partition, long? Committed, long? LogEnd, long? Lag)>();
        long? totalLag = 0;
        foreach (var ((topic, partition), offset) in offsets)
        {
            long? logEnd = logEnds.GetValueOrDefault((topic, partition));
            long? lag = offset is { } c && logEnd is { } e ? e - c : null;
            totalLag = lag is { } l && totalLag is { } t ? t + l : totalLag;
            rows.Add((topic, partition, offset, logEnd, lag));
        }

        if (a.Flag("json"))
        {
            var members = new JsonArray();
            for (int i = 0; i < group.Members.Count; i++)
            {
                DescribedGroupMember m = group.Members[i];
                var assignment = new JsonArray();
                foreach (var (topic, partition) in assignments[i] ?? [])
                {
                    assignment.Add(new JsonObject { ["topic"] = topic, ["partition"] = partition });
                }
                members.Add(new JsonObject
                {
                    ["member_id"] = m.MemberId,
                    ["group_instance_id"] = m.GroupInstanceId,
                    ["client_id"] = m.ClientId,
                    ["host"] = m.ClientHost,
                    ["assignment"] = assignment,
                });
            }
            var offsetArray = new JsonArray();
            foreach (var (topic, partition, offset, logEnd, lag) in rows)
            {
                offsetArray.Add(new JsonObject
                {
                    ["topic"] = topic,
                    ["partition"] = partition,
                    ["committed"] = offset,
                    ["log_end"] = logEnd,
                    ["lag"] = lag,
                });
            }
            Json.Write(stdout, new JsonObject
            {
                ["group"] = groupId,
                ["state"] = group.GroupState,
                ["protocol_type"] = group.ProtocolType,
                ["protocol"] = group.ProtocolData,
                ["members"] = members,
                ["offsets"] = offsetArray,
                ["total_lag"] = totalLag,
            });
            return ExitCodes.Ok;
        }

        stdout.WriteLine($"Group: {groupId}");
        stdout.WriteLine($"State: {group.GroupState}   Protocol type: {Dash(group.ProtocolType)}   Protocol: {Dash(group.ProtocolData)}   " +
            $"Members: {Number(group.Members.Count)}   Total lag: {OrDash(totalLag)}");
        stdout.WriteLine();
        if (group.Members.Count == 0)
        {
            stdout.WriteLine("no active members");
        }
        else
        {
            var memberTable = new TextTable().Left("MEMBER-ID").Left("CLIENT-ID").Left("HOST").Left("ASSIGNMENT");
            for (int i = 0; i < group.Members.Count; i++)
            {
                DescribedGroupMember m = group.Members[i];
                string assignment = assignments[i] is { Count: > 0 } assigned
                    ? string.Join(',', assigned.OrderBy(x => x, PartitionOrder.Instance).Select(x => $"{x.Topic}-{Number(x.Partition)}"))
                    : "-";
                memberTable.Add(m.MemberId, Dash(m.ClientId), Dash(m.ClientHost), assignment);
            }
            memberTable.WriteTo(stdout);
        }
        stdout.WriteLine();
        if (rows.Count == 0)
        {
            stdout.WriteLine("no committed offsets");
            return ExitCodes.Ok;
        }
        var table = new TextTable().Left("TOPIC").Right("PARTITION").Right("COMMITTED").Right("LOG-END").Right("LAG");
        foreach (var (topic, partition, offset, logEnd, lag) in rows)
        {
            table.Add(topic, Number(partition), OrDash(offset), OrDash(logEnd), OrDash(lag));
        }
        table.WriteTo(stdout);
        return ExitCodes.Ok;
    }

    private static string Dash(string text) => text.Length == 0 ? "-" : text;

    /// <summary>Orders (topic, partition) by topic name (ordinal), then partition.</summary>
    private sealed class PartitionOrder : IComparer<(string Topic, int Partition)>
    {
        public static readonly PartitionOrder Instance = new();

        public int Compare((string Topic, int Partition) x, (string Topic, int Partition) y)
        {
            int byTopic = string.CompareOrdinal(x.Topic, y.Topic);
            return byTopic != 0 ? byTopic : x.Partition.CompareTo(y.Partition);
        }
    }
}
