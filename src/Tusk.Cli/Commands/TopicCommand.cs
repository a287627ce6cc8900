using System.Text.Json.Nodes;
using Tusk.Cli.Kafka;
using Tusk.Protocols.Kafka;
using static Tusk.Cli.TextTable;

namespace Tusk.Cli.Commands;

/// <summary>
/// <c>tusk topic create|list|describe|delete</c>: topic administration against a running broker over the Kafka
/// protocol (like kafka-topics.sh), through <see cref="KafkaAdminClient"/>. Usage is checked before connecting,
/// so a bad command line exits 2 without a broker; a broker's refusal is printed with its error and message
/// and exits 1.
/// </summary>
internal static class TopicCommand
{
    /// <summary>Runs <c>tusk topic ARGS</c>; returns the exit code (failures are thrown to <see cref="TuskCommand"/>).</summary>
    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length == 0)
        {
            throw new UsageException("missing topic command", HelpText.Topic);
        }
        if (args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(HelpText.Topic.TrimEnd());
            return ExitCodes.Ok;
        }
        string sub = args[0];
        string usage = HelpText.ForTopic(sub) ?? throw new UsageException($"unknown topic command '{sub}'", HelpText.Topic);
        string[] rest = args[1..];
        Arguments a = sub switch
        {
            "create" => Arguments.Parse(rest, usage, [.. KafkaAdminOptions.ValueOptions, "partitions"], repeatableOptions: ["config"]),
            "list" or "describe" => Arguments.Parse(rest, usage, KafkaAdminOptions.ValueOptions, ["json"]),
            _ => Arguments.Parse(rest, usage, KafkaAdminOptions.ValueOptions),
        };
        if (a.HelpRequested)
        {
            stdout.WriteLine(usage.TrimEnd());
            return ExitCodes.Ok;
        }
        return sub switch
        {
            "create" => Create(a, usage, stdout),
            "list" => List(a, usage, stdout),
            "describe" => Describe(a, usage, stdout),
            "delete" => Delete(a, usage, stdout),
            _ => throw new UsageException($"unknown topic command '{sub}'", HelpText.Topic),
        };
    }

    private static int Create(Arguments a, string usage, TextWriter stdout)
    {
        a.RequirePositionals(1, "NAME");
        string name = a.Positionals[0];
        int? partitions = a.Value("partitions") is null ? null : (int)a.Integer("partitions", 1, 1, int.MaxValue);
        var configs = new List<CreateTopicsConfig>();
        foreach (string entry in a.Values("config"))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UsageException($"--config {entry} is not NAME=VALUE (e.g. --config retention.ms=86400000)", usage);
            }
            string key = entry[..eq];
            if (configs.Any(c => c.Name == key))
            {
                throw new UsageException($"--config {key} given more than once", usage);
            }
            configs.Add(new CreateTopicsConfig(key, entry[(eq + 1)..]));
        }
        var options = KafkaAdminOptions.Parse(a, usage);

        using KafkaAdminClient client = KafkaAdminOptions.Connect(options);
        int requested = partitions ?? (client.BrokerChoosesPartitions ? -1 : 1);
        CreateTopicsResponseTopic result = client.CreateTopic(name, requested, configs);
        if (result.ErrorCode != ErrorCode.None)
        {
            throw new CliException($"cannot create topic '{name}': {KafkaErrors.Describe(result.ErrorCode, result.ErrorMessage)}");
        }
        MetadataResponseTopic? created = client.Metadata([name]).Topics.FirstOrDefault(t => t.Name == name && t.ErrorCode == ErrorCode.None);
        int count = created?.Partitions.Count ?? requested;
        string partitionText = count < 0 ? "the broker's default number of partitions" : Plural(count, "partition");
        string configText = configs.Count == 0 ? "" : " and " + string.Join(", ", configs.Select(c => $"{c.Name}={c.Value}"));
        stdout.WriteLine($"created topic '{name}' with {partitionText}{configText}");
        return ExitCodes.Ok;
    }

    private static int List(Arguments a, string usage, TextWriter stdout)
    {
        a.RequirePositionals(0, "no arguments");
        var options = KafkaAdminOptions.Parse(a, usage);
        using KafkaAdminClient client = KafkaAdminOptions.Connect(options);
        List<MetadataResponseTopic> topics = [.. client.Metadata(null).Topics.OrderBy(t => t.Name, StringComparer.Ordinal)];
        if (a.Flag("json"))
        {
            var array = new JsonArray();
            foreach (MetadataResponseTopic t in topics)
            {
                array.Add(new JsonObject { ["name"] = t.Name, ["partitions"] = t.Partitions.Count });
            }
            Json.Write(stdout, array);
            return ExitCodes.Ok;
        }
        if (topics.Count == 0)
        {
            stdout.WriteLine("no topics");
            return ExitCodes.Ok;
        }
        var table = new TextTable().Left("NAME").Right("PARTITIONS");
        foreach (MetadataResponseTopic t in topics)
        {
            table.Add(t.Name, Number(t.Partitions.Count));
        }
        table.WriteTo(stdout);
        return ExitCodes.Ok;
    }

    private static int Describe(Arguments a, string usage, TextWriter stdout)
    {
        a.RequirePositionals(1, "NAME");
        string name = a.Positionals[0];
        var options = KafkaAdminOptions.Parse(a, usage);
        using KafkaAdminClient client = KafkaAdminOptions.Connect(options);

        MetadataResponse metadata = client.Metadata([name]);
        MetadataResponseTopic topic = metadata.Topics.FirstOrDefault(t => t.Name == name)
            ?? throw new CliException($"the broker at {client.Address} did not answer for topic '{name}' in its Metadata response");
        ThrowOnTopicError(name, topic.ErrorCode, "describe");
        List<MetadataResponsePartition> partitions = [.. topic.Partitions.OrderBy(p => p.PartitionIndex)];
        var keys = partitions.Select(p => (name, p.PartitionIndex)).ToList();
        var starts = client.ListOffsets(keys, ListOffsetsRequest.EarliestTimestamp);
        var ends = client.ListOffsets(keys, ListOffsetsRequest.LatestTimestamp);
        DescribeConfigsResult configs = client.DescribeTopicConfigs(name);
        ThrowOnTopicError(name, configs.ErrorCode, "describe the configs of", configs.ErrorMessage);
        short configsVersion = client.VersionOf(ApiKey.DescribeConfigs);
        List<DescribeConfigsEntry> entries = [.. configs.Configs.OrderBy(c => c.Name, StringComparer.Ordinal)];

        long? total = 0;
        var rows = new List<(MetadataResponsePartition Partition, long? Start, long? End, long? Messages)>();
        foreach (MetadataResponsePartition p in partitions)
        {
            long? start = starts.GetValueOrDefault((name, p.PartitionIndex));
            long? end = ends.GetValueOrDefault((name, p.PartitionIndex));
            long? messages = start is { } s && end is { } e ? Math.Max(0, e - s) : null;
            total = total is { } t && messages is { } m ? t + m : null;
            rows.Add((p, start, end, messages));
        }
        int replicationFactor = partitions.Count == 0 ? 0 : partitions[0].ReplicaNodes.Count;

        if (a.Flag("json"))
        {
            var partitionArray = new JsonArray();
            foreach (var (p, start, end, messages) in rows)
            {
                partitionArray.Add(new JsonObject
                {
                    ["partition"] = p.PartitionIndex,
                    ["leader"] = p.LeaderId,
                    ["replicas"] = Json.Array(p.ReplicaNodes),
                    ["isr"] = Json.Array(p.IsrNodes),
                    ["error"] = p.ErrorCode == ErrorCode.None ? null : KafkaErrors.Name(p.ErrorCode),
                    ["log_start"] = start,
                    ["log_end"] = end,
                    ["messages"] = messages,
                });
            }
            var configArray = new JsonArray();
            foreach (DescribeConfigsEntry c in entries)
            {
                configArray.Add(new JsonObject
                {
                    ["name"] = c.Name,
                    ["value"] = c.Value,
                    ["source"] = SourceName(c, configsVersion),
                    ["default"] = IsDefault(c, configsVersion),
                    ["read_only"] = c.ReadOnly,
                    ["sensitive"] = c.IsSensitive,
                });
            }
            Json.Write(stdout, new JsonObject
            {
                ["name"] = name,
                ["partitions"] = partitionArray,
                ["replication_factor"] = replicationFactor,
                ["messages"] = total,
                ["configs"] = configArray,
            });
            return ExitCodes.Ok;
        }

        stdout.WriteLine($"Topic: {name}");
        stdout.WriteLine($"Partitions: {Number(partitions.Count)}   Replication factor: {Number(replicationFactor)}   Messages: {OrDash(total)}");
        stdout.WriteLine();
        var table = new TextTable().Right("PARTITION").Right("LEADER").Left("REPLICAS").Left("ISR")
            .Right("LOG-START").Right("LOG-END").Right("MESSAGES");
        foreach (var (p, start, end, messages) in rows)
        {
            string leader = p.LeaderId < 0 ? "none" : Number(p.LeaderId);
            if (p.ErrorCode != ErrorCode.None)
            {
                leader += $" ({KafkaErrors.Name(p.ErrorCode)})";
            }
            table.Add(Number(p.PartitionIndex), leader, NodeList(p.ReplicaNodes), NodeList(p.IsrNodes), OrDash(start), OrDash(end), OrDash(messages));
        }
        table.WriteTo(stdout);
        stdout.WriteLine();
        if (entries.Count == 0)
        {
            stdout.WriteLine("no configs reported");
            return ExitCodes.Ok;
        }
        var configTable = new TextTable().Left("CONFIG").Left("VALUE").Left("SOURCE");
        foreach (DescribeConfigsEntry c in entries)
        {
            string value = c.Value ?? (c.IsSensitive ? "(sensitive)" : "(null)");
            configTable.Add(c.Name, value, SourceName(c, configsVersion));
        }
        configTable.WriteTo(stdout);
        return ExitCodes.Ok;
    }

    private static int Delete(Arguments a, string usage, TextWriter stdout)
    {
        a.RequirePositionals(1, "NAME");
        string name = a.Positionals[0];
        var options = KafkaAdminOptions.Parse(a, usage);
        using KafkaAdminClient client = KafkaAdminOptions.Connect(options);
        ThrowOnTopicError(name, client.DeleteTopic(name), "delete");
        stdout.WriteLine($"deleted topic '{name}'");
        return ExitCodes.Ok;
    }

    private static void ThrowOnTopicError(string name, ErrorCode error, string verb, string? message = null)
    {
        switch (error)
        {
            case ErrorCode.None:
                return;
            case ErrorCode.UnknownTopicOrPartition:
                throw new CliException($"topic '{name}' does not exist");
            case ErrorCode.InvalidTopicException:
                throw new CliException($"'{name}' is not a valid topic name ({KafkaErrors.Describe(error, message)})");
            default:
                throw new CliException($"cannot {verb} topic '{name}': {KafkaErrors.Describe(error, message)}");
        }
    }

    /// <summary>Whether a config has its built-in default value (as Kafka's AdminClient decides it).</summary>
    private static bool IsDefault(DescribeConfigsEntry c, short version) =>
        version == 0 ? c.IsDefault : c.ConfigSource == ConfigSource.DefaultConfig;

    /// <summary>Where a config's value comes from, in one word: default, topic, broker, cluster or unknown.</summary>
    private static string SourceName(DescribeConfigsEntry c, short version)
    {
        if (version == 0)
        {
            return c.IsDefault ? "default" : "topic";
        }
        return c.ConfigSource switch
        {
            ConfigSource.DefaultConfig => "default",
            ConfigSource.DynamicTopicConfig => "topic",
            ConfigSource.DynamicBrokerConfig or ConfigSource.StaticBrokerConfig => "broker",
            ConfigSource.DynamicDefaultBrokerConfig => "cluster",
            _ => "unknown",
        };
    }

    private static string NodeList(List<int> nodes) =>
        nodes.Count == 0 ? "-" : string.Join(',', nodes.Select(n => Number(n)));

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{Number(n)} {noun}s";
}
