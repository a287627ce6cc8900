namespace Tusk.Protocols.Kafka;

/// <summary>Kind of resource a config belongs to (the protocol's INT8 values).</summary>
public enum ConfigResourceType : sbyte
{
    /// <summary>Unknown.</summary>
    Unknown = 0,

    /// <summary>A topic.</summary>
    Topic = 2,

    /// <summary>A broker (name = broker id, or empty for the cluster default).</summary>
    Broker = 4,

    /// <summary>A broker's loggers.</summary>
    BrokerLogger = 8,
}

/// <summary>Where a config value comes from (DescribeConfigs v1+; the protocol's INT8 values).</summary>
public enum ConfigSource : sbyte
{
    /// <summary>Not reported (the v0 placeholder).</summary>
    NotReported = -1,

    /// <summary>Unknown.</summary>
    Unknown = 0,

    /// <summary>Set on the topic.</summary>
    DynamicTopicConfig = 1,

    /// <summary>Set dynamically for one broker.</summary>
    DynamicBrokerConfig = 2,

    /// <summary>Set dynamically as the default for all brokers.</summary>
    DynamicDefaultBrokerConfig = 3,

    /// <summary>From the broker's startup configuration.</summary>
    StaticBrokerConfig = 4,

    /// <summary>The built-in default.</summary>
    DefaultConfig = 5,

    /// <summary>Set dynamically on a broker logger.</summary>
    DynamicBrokerLoggerConfig = 6,
}

/// <summary>A config's value type (DescribeConfigs v3+; the protocol's INT8 values).</summary>
public enum ConfigType : sbyte
{
    /// <summary>Unknown.</summary>
    Unknown = 0,

    /// <summary>Boolean.</summary>
    Boolean = 1,

    /// <summary>String.</summary>
    String = 2,

    /// <summary>32-bit integer.</summary>
    Int = 3,

    /// <summary>16-bit integer.</summary>
    Short = 4,

    /// <summary>64-bit integer.</summary>
    Long = 5,

    /// <summary>Double.</summary>
    Double = 6,

    /// <summary>Comma-separated list.</summary>
    List = 7,

    /// <summary>Class name.</summary>
    Class = 8,

    /// <summary>Password (sensitive).</summary>
    Password = 9,
}

/// <summary>DescribeConfigs request (key 32), v0-v3.</summary>
public sealed class DescribeConfigsRequest
{
    /// <summary>Resources to describe.</summary>
    public List<DescribeConfigsResource> Resources { get; set; } = [];

    /// <summary>Whether to return each config's synonyms (v1+).</summary>
    public bool IncludeSynonyms { get; set; }

    /// <summary>Whether to return each config's documentation (v3+).</summary>
    public bool IncludeDocumentation { get; set; }

    /// <summary>Reads the body.</summary>
    public static DescribeConfigsRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.DescribeConfigs, version);
        var request = new DescribeConfigsRequest();
        int count = MessageCodec.ReadCount(ref r, 7, "resources");
        request.Resources = new List<DescribeConfigsResource>(count);
        for (int i = 0; i < count; i++)
        {
            request.Resources.Add(new DescribeConfigsResource
            {
                ResourceType = (ConfigResourceType)r.ReadInt8(),
                ResourceName = r.ReadString(),
                ConfigurationKeys = MessageCodec.ReadNullableStringList(ref r),
            });
        }
        if (version >= 1)
        {
            request.IncludeSynonyms = r.ReadBoolean();
        }
        if (version >= 3)
        {
            request.IncludeDocumentation = r.ReadBoolean();
        }
        return request;
    }

    /// <summary>Writes the body (the client side; used by tests and tools).</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.DescribeConfigs, version);
        w.WriteArrayLength(Resources.Count);
        foreach (var resource in Resources)
        {
            w.WriteInt8((sbyte)resource.ResourceType);
            w.WriteString(resource.ResourceName);
            MessageCodec.WriteNullableStringList(w, resource.ConfigurationKeys);
        }
        if (version >= 1)
        {
            w.WriteBoolean(IncludeSynonyms);
        }
        if (version >= 3)
        {
            w.WriteBoolean(IncludeDocumentation);
        }
    }
}

/// <summary>A resource in a <see cref="DescribeConfigsRequest"/>.</summary>
public sealed class DescribeConfigsResource
{
    /// <summary>Resource type.</summary>
    public ConfigResourceType ResourceType { get; set; }

    /// <summary>Resource name (topic name, broker id).</summary>
    public string ResourceName { get; set; } = "";

    /// <summary>Config names to return, or null for all.</summary>
    public List<string>? ConfigurationKeys { get; set; }
}

/// <summary>DescribeConfigs response (key 32), v0-v3.</summary>
public sealed class DescribeConfigsResponse
{
    /// <summary>Quota throttle.</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>One result per requested resource.</summary>
    public List<DescribeConfigsResult> Results { get; set; } = [];

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.DescribeConfigs, version);
        w.WriteInt32(ThrottleTimeMs);
        w.WriteArrayLength(Results.Count);
        foreach (var result in Results)
        {
            w.WriteInt16((short)result.ErrorCode);
            w.WriteNullableString(result.ErrorMessage);
            w.WriteInt8((sbyte)result.ResourceType);
            w.WriteString(result.ResourceName);
            w.WriteArrayLength(result.Configs.Count);
            foreach (var config in result.Configs)
            {
                WriteConfig(w, version, config);
            }
        }
    }

    private static void WriteConfig(KafkaWriter w, short version, DescribeConfigsEntry config)
    {
        w.WriteString(config.Name);
        w.WriteNullableString(config.Value);
        w.WriteBoolean(config.ReadOnly);
        if (version == 0)
        {
            w.WriteBoolean(config.IsDefault);
        }
        else
        {
            w.WriteInt8((sbyte)config.ConfigSource);
        }
        w.WriteBoolean(config.IsSensitive);
        if (version >= 1)
        {
            w.WriteArrayLength(config.Synonyms.Count);
            foreach (var synonym in config.Synonyms)
            {
                w.WriteString(synonym.Name);
                w.WriteNullableString(synonym.Value);
                w.WriteInt8((sbyte)synonym.Source);
            }
        }
        if (version >= 3)
        {
            w.WriteInt8((sbyte)config.ConfigType);
            w.WriteNullableString(config.Documentation);
        }
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static DescribeConfigsResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.DescribeConfigs, version);
        var response = new DescribeConfigsResponse { ThrottleTimeMs = r.ReadInt32() };
        int count = MessageCodec.ReadCount(ref r, 11, "results");
        response.Results = new List<DescribeConfigsResult>(count);
        for (int i = 0; i < count; i++)
        {
            var result = new DescribeConfigsResult
            {
                ErrorCode = (ErrorCode)r.ReadInt16(),
                ErrorMessage = r.ReadNullableString(),
                ResourceType = (ConfigResourceType)r.ReadInt8(),
                ResourceName = r.ReadString(),
            };
            int configCount = MessageCodec.ReadCount(ref r, 7, "configs");
            result.Configs = new List<DescribeConfigsEntry>(configCount);
            for (int c = 0; c < configCount; c++)
            {
                result.Configs.Add(ReadConfig(ref r, version));
            }
            response.Results.Add(result);
        }
        return response;
    }

    private static DescribeConfigsEntry ReadConfig(ref KafkaReader r, short version)
    {
        var config = new DescribeConfigsEntry { Name = r.ReadString(), Value = r.ReadNullableString(), ReadOnly = r.ReadBoolean() };
        if (version == 0)
        {
            config.IsDefault = r.ReadBoolean();
        }
        else
        {
            config.ConfigSource = (ConfigSource)r.ReadInt8();
        }
        config.IsSensitive = r.ReadBoolean();
        if (version >= 1)
        {
            int synonymCount = MessageCodec.ReadCount(ref r, 5, "synonyms");
            config.Synonyms = new List<DescribeConfigsSynonym>(synonymCount);
            for (int s = 0; s < synonymCount; s++)
            {
                config.Synonyms.Add(new DescribeConfigsSynonym(r.ReadString(), r.ReadNullableString(), (ConfigSource)r.ReadInt8()));
            }
        }
        if (version >= 3)
        {
            config.ConfigType = (ConfigType)r.ReadInt8();
            config.Documentation = r.ReadNullableString();
        }
        return config;
    }
}

/// <summary>A resource's configs in a <see cref="DescribeConfigsResponse"/>.</summary>
public sealed class DescribeConfigsResult
{
    /// <summary>Error for this resource.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>Error message, or null.</summary>
    public string? ErrorMessage { get; set; }

    /// <summary>Resource type.</summary>
    public ConfigResourceType ResourceType { get; set; }

    /// <summary>Resource name.</summary>
    public string ResourceName { get; set; } = "";

    /// <summary>The configs.</summary>
    public List<DescribeConfigsEntry> Configs { get; set; } = [];
}

/// <summary>
/// One config in a <see cref="DescribeConfigsResult"/>. v0 carries <see cref="IsDefault"/>, v1+ carries
/// <see cref="ConfigSource"/> instead; a writer fills the one its version needs (or both).
/// </summary>
public sealed class DescribeConfigsEntry
{
    /// <summary>Config name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Value, or null (also for sensitive configs).</summary>
    public string? Value { get; set; }

    /// <summary>Whether the config cannot be changed.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Whether the value is the default (v0 only).</summary>
    public bool IsDefault { get; set; }

    /// <summary>Where the value comes from (v1+).</summary>
    public ConfigSource ConfigSource { get; set; } = ConfigSource.NotReported;

    /// <summary>Whether the value is sensitive (then <see cref="Value"/> is null).</summary>
    public bool IsSensitive { get; set; }

    /// <summary>Other sources of this config, by precedence (v1+).</summary>
    public List<DescribeConfigsSynonym> Synonyms { get; set; } = [];

    /// <summary>Value type (v3+).</summary>
    public ConfigType ConfigType { get; set; }

    /// <summary>Documentation (v3+, nullable).</summary>
    public string? Documentation { get; set; }
}

/// <summary>A synonym of a config: a name, value and source it could also come from (DescribeConfigs v1+).</summary>
public readonly record struct DescribeConfigsSynonym(string Name, string? Value, ConfigSource Source);
