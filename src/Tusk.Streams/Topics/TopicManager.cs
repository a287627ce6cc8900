
using System.Text.Json;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Protocols.Kafka;
using Tusk.Streams.Log;

namespace Tusk.Streams.Topics;

/// <summary>One topic: its name, configuration and partition logs (index = partition number).</summary>
public sealed class Topic(string name, TopicConfig config, IReadOnlyList<PartitionLog> partitions)
{
    /// <summary>The topic name.</summary>
    public string Name { get; } = name;

    /// <summary>The configuration.</summary>
    public TopicConfig Config { get; } = config;

    /// <summary>Partition logs; index = partition number.</summary>
    public IReadOnlyList<PartitionLog> Partitions { get; } = partitions;
}

/// <summary>
/// The broker's topics: creates, lists, grows and deletes them, and opens their partition logs. The list of
/// topics and their configurations lives in one file, <c>topics.meta</c> (JSON, replaced atomically); partition
/// <c>p</c> of topic <c>t</c> is the directory <c>t-p</c>. A deletion is first recorded in the metadata as
/// pending, then its files are removed, then the record is dropped, so a crash in between is finished at the
/// next start and no unexplained directory is ever deleted. Thread-safe (one lock; partition I/O happens
/// outside it except when topics are created or deleted).
/// </summary>
public sealed class TopicManager : IDisposable
{
    /// <summary>Most partitions one topic may have.</summary>
    public const int PartitionsPerTopicMax = 1024;

    /// <summary>Most topics a broker holds.</summary>
    public const int TopicsMax = 10_000;

    /// <summary>Longest topic name (Kafka's limit).</summary>
    public const int NameLengthMax = 249;

    private const string MetaFileName = "topics.meta";

    private readonly IFileSystem _fs;
    private readonly string _directory;
    private readonly Func<TopicConfig, PartitionLogOptions> _logOptions;
    private readonly Action<string> _log;
    private readonly object _lock = new();
    private Dictionary<string, Topic> _topics = new(StringComparer.Ordinal); // replaced on change; Protected by _lock for writers

    /// <summary>Opens the topics in <paramref name="directory"/> (creating it), finishing any interrupted deletion.</summary>
    public TopicManager(IFileSystem fs, string directory, Func<TopicConfig, PartitionLogOptions> logOptions, Action<string>? log = null)
    {
        _fs = fs;
        _directory = directory;
        _logOptions = logOptions;
        _log = log ?? (_ => { });
        fs.CreateDirectory(directory);
        Load();
    }

    /// <summary>A snapshot of the topics.</summary>
    public IReadOnlyCollection<Topic> Topics => Volatile.Read(ref _topics).Values;

    /// <summary>The topic, or null.</summary>
    public Topic? Get(string name) => Volatile.Read(ref _topics).GetValueOrDefault(name);

    /// <summary>The partition log, or null when the topic or partition does not exist.</summary>
    public PartitionLog? GetPartition(string topic, int partition)
    {
        var t = Get(topic);
        return t != null && partition >= 0 && partition < t.Partitions.Count ? t.Partitions[partition] : null;
    }

    /// <summary>Why a topic name is invalid, or null when it is valid (Kafka's rules).</summary>
    public static string? ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "the topic name is empty";
        }
        if (name.Length > NameLengthMax)
        {
            return $"the topic name is longer than {NameLengthMax} characters";
        }
        if (name is "." or "..")
        {
            return "the topic name cannot be '.' or '..'";
        }
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"the topic name contains '{c}'; allowed are ASCII letters, digits, '.', '_' and '-'";
            }
        }
        return null;
    }

    /// <summary>Creates a topic; returns an error code and message (TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION, ...).</summary>
    public (ErrorCode Error, string? Message) Create(string name, int partitions, IEnumerable<KeyValuePair<string, string?>> configs, bool validateOnly = false)
    {
        if (ValidateName(name) is { } bad)
        {
            return (ErrorCode.InvalidTopicException, bad);
        }
        if (partitions < 1 || partitions > PartitionsPerTopicMax)
        {
            return (ErrorCode.InvalidPartitions, $"partitions must be between 1 and {PartitionsPerTopicMax}, got {partitions}");
        }
        var config = TopicConfig.TryParse(configs, out string? configError);
        if (config == null)
        {
            return (ErrorCode.InvalidConfig, configError);
        }
        lock (_lock)
        {
            if (_topics.ContainsKey(name))
            {
                return (ErrorCode.TopicAlreadyExists, $"topic '{name}' already exists");
            }
            if (_topics.Count >= TopicsMax)
            {
                return (ErrorCode.InvalidRequest, $"the broker holds the maximum of {TopicsMax} topics");
            }
            if (validateOnly)
            {
                return (ErrorCode.None, null);
            }
            var logs = new List<PartitionLog>();
            try
            {
                for (int p = 0; p < partitions; p++)
                {
                    logs.Add(OpenPartition(name, p, config));
                }
                var next = new Dictionary<string, Topic>(_topics, StringComparer.Ordinal) { [name] = new Topic(name, config, logs) };
                Save(next, []);
                Volatile.Write(ref _topics, next);
            }
            catch (IOException e)
            {
                // Not recorded in topics.meta: close what was opened; the directories are reused if created again.
                foreach (var log in logs)
                {
                    log.Dispose();
                }
                _log($"creating topic {name} failed: {e.Message}");
                return (ErrorCode.KafkaStorageError, $"the broker could not create topic '{name}': {e.Message}");
            }
            _log($"created topic {name} with {partitions} partition(s)");
            return (ErrorCode.None, null);
        }
    }

    /// <summary>Adds partitions to a topic (the count only grows).</summary>
    public (ErrorCode Error, string? Message) AddPartitions(string name, int newCount, bool validateOnly = false)
    {
        lock (_lock)
        {
            if (!_topics.TryGetValue(name, out var topic))
            {
                return (ErrorCode.UnknownTopicOrPartition, $"topic '{name}' does not exist");
            }
            if (newCount <= topic.Partitions.Count || newCount > PartitionsPerTopicMax)
            {
                return (ErrorCode.InvalidPartitions,
                    $"topic '{name}' has {topic.Partitions.Count} partitions; the new count must be larger and at most {PartitionsPerTopicMax}, got {newCount}");
            }
            if (validateOnly)
            {
                return (ErrorCode.None, null);
            }
            var logs = new List<PartitionLog>(topic.Partitions);
            try
            {
                for (int p = topic.Partitions.Count; p < newCount; p++)
                {
                    logs.Add(OpenPartition(name, p, topic.Config));
                }
                var next = new Dictionary<string, Topic>(_topics, StringComparer.Ordinal) { [name] = new Topic(name, topic.Config, logs) };
                Save(next, []);
                Volatile.Write(ref _topics, next);
            }
            catch (IOException e)
            {
                foreach (var log in logs.Skip(topic.Partitions.Count))
                {
                    log.Dispose();
                }
                _log($"adding partitions to {name} failed: {e.Message}");
                return (ErrorCode.KafkaStorageError, $"the broker could not add partitions to '{name}': {e.Message}");
            }
            return (ErrorCode.None, null);
        }
    }

    /// <summary>Deletes a topic and its data.</summary>
    public (ErrorCode Error, string? Message) Delete(string name)
    {
        Topic? topic;
        lock (_lock)
        {
            if (!_topics.TryGetValue(name, out topic))
            {
                return (ErrorCode.UnknownTopicOrPartition, $"topic '{name}' does not exist");
            }
            var next = new Dictionary<string, Topic>(_topics, StringComparer.Ordinal);
            next.Remove(name);
            Save(next, [(name, topic.Partitions.Count)]);
            Volatile.Write(ref _topics, next);
            foreach (var p in topic.Partitions)
            {
                p.Dispose();
            }
            RemovePartitionDirectories(name, topic.Partitions.Count);
            Save(next, []);
        }
        _log($"deleted topic {name}");
        return (ErrorCode.None, null);
    }

    private string PartitionDirectory(string topic, int partition) =>
        FileSystemExtensions.Join(_directory, $"{topic}-{partition}");

    private PartitionLog OpenPartition(string topic, int partition, TopicConfig config) =>
        PartitionLog.Open(_fs, PartitionDirectory(topic, partition), _logOptions(config));

    private void RemovePartitionDirectories(string topic, int partitions)
    {
        for (int p = 0; p < partitions; p++)
        {
            string dir = PartitionDirectory(topic, p);
            foreach (string file in _fs.List(dir))
            {
                _fs.Delete(FileSystemExtensions.Join(dir, file));
            }
            _fs.DeleteDirectory(dir);
        }
        _fs.SyncDirectory(_directory);
    }

    private sealed class MetaTopic
    {
        public string Name { get; set; } = "";
        public int Partitions { get; set; }
        public Dictionary<string, string> Configs { get; set; } = [];
    }

    private sealed class MetaDeletion
    {
        public string Name { get; set; } = "";
        public int Partitions { get; set; }
    }

    private sealed class MetaFile
    {
        public int Version { get; set; } = 1;
        public List<MetaTopic> Topics { get; set; } = [];
        public List<MetaDeletion> Deleting { get; set; } = [];
    }

    private void Save(Dictionary<string, Topic> topics, List<(string Name, int Partitions)> deleting)
    {
        var meta = new MetaFile();
        foreach (var t in topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            meta.Topics.Add(new MetaTopic { Name = t.Name, Partitions = t.Partitions.Count, Configs = t.Config.Overrides });
        }
        foreach (var (n, p) in deleting)
        {
            meta.Deleting.Add(new MetaDeletion { Name = n, Partitions = p });
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(meta, new JsonSerializerOptions { WriteIndented = true });
        byte[] framed = new byte[json.Length + 8];
        json.CopyTo(framed, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(framed, json.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(framed.AsSpan(4), Crc32C.Mask(Crc32C.Compute(json)));
        _fs.WriteAtomically(FileSystemExtensions.Join(_directory, MetaFileName), framed);
    }

    private void Load()
    {
        string path = FileSystemExtensions.Join(_directory, MetaFileName);
        if (!_fs.FileExists(path))
        {
            return;
        }
        byte[] framed = _fs.ReadAll(path);
        if (framed.Length < 8)
        {
            throw new CorruptionException(path, 0, "topic metadata file is too short");
        }
        int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(framed);
        if (length != framed.Length - 8
            || Crc32C.Unmask(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(framed.AsSpan(4))) != Crc32C.Compute(framed.AsSpan(8)))
        {
            throw new CorruptionException(path, 0, "topic metadata checksum mismatch");
        }
        MetaFile meta;
        try
        {
            meta = JsonSerializer.Deserialize<MetaFile>(framed.AsSpan(8)) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new CorruptionException(path, 8, "topic metadata does not parse: " + e.Message);
        }
        foreach (var d in meta.Deleting)
        {
            _log($"finishing the interrupted deletion of topic {d.Name}");
            RemovePartitionDirectories(d.Name, d.Partitions);
        }
        var topics = new Dictionary<string, Topic>(StringComparer.Ordinal);
        foreach (var t in meta.Topics)
        {
            var config = TopicConfig.TryParse(t.Configs.Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value)), out string? error)
                ?? throw new CorruptionException(path, 8, $"topic {t.Name} has an invalid stored config: {error}");
            var logs = new List<PartitionLog>();
            for (int p = 0; p < t.Partitions; p++)
            {
                logs.Add(OpenPartition(t.Name, p, config));
            }
            topics[t.Name] = new Topic(t.Name, config, logs);
        }
        _topics = topics;
        if (meta.Deleting.Count > 0)
        {
            Save(topics, []);
        }
    }

    /// <summary>Closes every partition log.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var t in _topics.Values)
            {
                foreach (var p in t.Partitions)
                {
                    p.Dispose();
                }
            }
        }
    }

}
