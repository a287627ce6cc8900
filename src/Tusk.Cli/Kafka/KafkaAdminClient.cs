using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tusk.Protocols.Kafka;

namespace Tusk.Cli.Kafka;

/// <summary>Reads one response body at the negotiated <paramref name="version"/> (a message class's <c>Read</c>).</summary>
internal delegate T ResponseReader<out T>(ref KafkaReader reader, short version);

/// <summary>
/// A small synchronous Kafka client for the admin commands (<c>tusk topic</c>, <c>tusk group</c>): one TCP
/// connection to one broker, one request at a time. Requests carry header v1 (api key, api version, correlation
/// id, client id "tusk-cli") in an INT32-size-prefixed frame; responses are read with header v0 (the correlation
/// id, which must match). On connect it sends ApiVersions v0 and then uses, per API, the highest version both
/// sides speak (the broker's ranges intersected with <see cref="KafkaApis.Supported"/>, whose message codecs
/// this client uses). Every failure (unreachable broker, timeout, closed connection, malformed or unexpected
/// response) becomes a <see cref="CliException"/> with a one-line message naming the broker. Not thread-safe.
/// </summary>
internal sealed class KafkaAdminClient : IDisposable
{
    /// <summary>The client id sent in every request header.</summary>
    public const string ClientId = "tusk-cli";

    /// <summary>Largest response frame accepted; a bigger size prefix means the stream is out of step.</summary>
    public const int ResponseBytesMax = 100 << 20;

    private readonly Socket _socket;
    private readonly TimeSpan _timeout;
    private readonly KafkaWriter _writer = new(4096);
    private readonly Dictionary<ApiKey, short> _versions = [];
    private readonly Dictionary<ApiKey, ApiVersionRange> _brokerRanges = [];
    private byte[] _buffer = new byte[64 << 10];
    private int _correlationId;

    private KafkaAdminClient(Socket socket, string address, TimeSpan timeout)
    {
        _socket = socket;
        _timeout = timeout;
        Address = address;
    }

    /// <summary>The broker's HOST:PORT as the user gave it (used in messages).</summary>
    public string Address { get; }

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> within <paramref name="timeout"/> (which also
    /// bounds every later read and write) and negotiates API versions.
    /// </summary>
    public static KafkaAdminClient Connect(string host, int port, TimeSpan timeout)
    {
        string address = FormatAddress(host, port);
        Socket socket = ConnectSocket(host, port, address, timeout);
        var client = new KafkaAdminClient(socket, address, timeout);
        try
        {
            client.NegotiateVersions();
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>HOST:PORT, with brackets around an IPv6 address.</summary>
    public static string FormatAddress(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);

    private static Socket ConnectSocket(string host, int port, string address, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = Dns.GetHostAddressesAsync(host, deadline.Token).GetAwaiter().GetResult();
            }
            catch (SocketException e)
            {
                throw new CliException($"cannot reach the broker at {address}: cannot resolve host '{host}': {e.Message}", e);
            }
            catch (OperationCanceledException e)
            {
                throw new CliException($"cannot reach the broker at {address}: resolving '{host}' took longer than {Seconds(timeout)}", e);
            }
            if (addresses.Length == 0)
            {
                throw new CliException($"cannot reach the broker at {address}: host '{host}' has no addresses");
            }
        }
        Exception? last = null;
        foreach (IPAddress ip in addresses)
        {
            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.ConnectAsync(new IPEndPoint(ip, port), deadline.Token).AsTask().GetAwaiter().GetResult();
                socket.NoDelay = true;
                socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
                socket.SendTimeout = (int)timeout.TotalMilliseconds;
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch (OperationCanceledException e)
            {
                socket.Dispose();
                throw new CliException($"cannot reach the broker at {address}: no connection within {Seconds(timeout)}", e);
            }
        }
        throw new CliException($"cannot reach the broker at {address}: {last!.Message}", last);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private void NegotiateVersions()
    {
        ApiVersionsResponse response = Exchange(ApiKey.ApiVersions, 0, static (_, _) => { }, ApiVersionsResponse.Read);
        if (response.ErrorCode != ErrorCode.None)
        {
            throw new CliException($"the broker at {Address} refused ApiVersions: {KafkaErrors.Describe(response.ErrorCode)}");
        }
        foreach (ApiVersionRange theirs in response.ApiKeys)
        {
            _brokerRanges[theirs.ApiKey] = theirs;
        }
        foreach (ApiVersionRange ours in KafkaApis.Supported)
        {
            if (_brokerRanges.TryGetValue(ours.ApiKey, out ApiVersionRange theirs))
            {
                short low = Math.Max(ours.MinVersion, theirs.MinVersion);
                short high = Math.Min(ours.MaxVersion, theirs.MaxVersion);
                if (high >= low)
                {
                    _versions[ours.ApiKey] = high;
                }
            }
        }
    }

    /// <summary>
    /// The version this client uses for <paramref name="apiKey"/>: the highest both sides speak. Throws
    /// <see cref="CliException"/> when there is none.
    /// </summary>
    public short VersionOf(ApiKey apiKey)
    {
        if (_versions.TryGetValue(apiKey, out short version))
        {
            return version;
        }
        KafkaApis.TryGetRange(apiKey, out ApiVersionRange ours);
        string theirs = _brokerRanges.TryGetValue(apiKey, out ApiVersionRange range)
            ? $"versions {range.MinVersion}-{range.MaxVersion}"
            : "no version";
        throw new CliException($"the broker at {Address} offers {theirs} of {apiKey}; tusk speaks {ours.MinVersion}-{ours.MaxVersion}");
    }

    /// <summary>
    /// Sends one request at the negotiated version of <paramref name="apiKey"/> (its body written by
    /// <paramref name="writeBody"/>) and reads the response with <paramref name="read"/>.
    /// </summary>
    public T Send<T>(ApiKey apiKey, Action<KafkaWriter, short> writeBody, ResponseReader<T> read) =>
        Exchange(apiKey, VersionOf(apiKey), writeBody, read);

    private T Exchange<T>(ApiKey apiKey, short version, Action<KafkaWriter, short> writeBody, ResponseReader<T> read)
    {
        int correlationId = ++_correlationId;
        _writer.Reset();
        _writer.WriteInt16((short)apiKey);
        _writer.WriteInt16(version);
        _writer.WriteInt32(correlationId);
        _writer.WriteNullableString(ClientId);
        writeBody(_writer, version);
        ReadOnlyMemory<byte> frame = _writer.FinishFrame();
        int length;
        try
        {
            for (ReadOnlySpan<byte> unsent = frame.Span; unsent.Length > 0;)
            {
                unsent = unsent[_socket.Send(unsent)..];
            }
            ReadExactly(_buffer.AsSpan(0, 4), apiKey);
            length = BinaryPrimitives.ReadInt32BigEndian(_buffer);
            if (length < 4 || length > ResponseBytesMax)
            {
                throw new CliException($"the broker at {Address} answered {apiKey} with a frame of {length} bytes (expected 4..{ResponseBytesMax}): is it a Kafka broker?");
            }
            if (_buffer.Length < length)
            {
                _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
            }
            ReadExactly(_buffer.AsSpan(0, length), apiKey);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw new CliException($"the broker at {Address} did not answer {apiKey} within {Seconds(_timeout)}", e);
        }
        catch (SocketException e)
        {
            throw new CliException($"lost the connection to the broker at {Address} during {apiKey}: {e.Message}", e);
        }
        var reader = new KafkaReader(_buffer.AsSpan(0, length));
        try
        {
            int answered = reader.ReadInt32();
            if (answered != correlationId)
            {
                throw new CliException($"the broker at {Address} answered correlation id {answered} to {apiKey} request {correlationId}");
            }
            return read(ref reader, version);
        }
        catch (KafkaProtocolException e)
        {
            throw new CliException($"malformed {apiKey} v{version} response from the broker at {Address}: {e.Message}", e);
        }
    }

    private void ReadExactly(Span<byte> destination, ApiKey apiKey)
    {
        while (destination.Length > 0)
        {
            int n = _socket.Receive(destination);
            if (n == 0)
            {
                throw new CliException($"the broker at {Address} closed the connection during {apiKey} (it may not speak this version of the request)");
            }
            destination = destination[n..];
        }
    }

    // --- The requests the admin commands send ---

    /// <summary>
    /// Metadata for <paramref name="topics"/>, or for every topic when null. Never asks the broker to create a
    /// missing topic: below v4 (which cannot say so) a named lookup asks for all topics and filters them.
    /// </summary>
    public MetadataResponse Metadata(List<string>? topics)
    {
        short version = VersionOf(ApiKey.Metadata);
        var request = new MetadataRequest
        {
            Topics = version < 4 ? null : topics,
            AllowAutoTopicCreation = false,
        };
        MetadataResponse response = Send(ApiKey.Metadata, request.Write, MetadataResponse.Read);
        if (version < 4 && topics != null)
        {
            var found = response.Topics.ToDictionary(t => t.Name, StringComparer.Ordinal);
            response.Topics = [.. topics.Select(name => found.TryGetValue(name, out var t)
                ? t
                : new MetadataResponseTopic { Name = name, ErrorCode = ErrorCode.UnknownTopicOrPartition })];
        }
        return response;
    }

    /// <summary>
    /// The offset of every listed partition for <paramref name="timestamp"/>
    /// (<see cref="ListOffsetsRequest.EarliestTimestamp"/> or <see cref="ListOffsetsRequest.LatestTimestamp"/>),
    /// by (topic, partition); a partition the broker answered with an error maps to null.
    /// </summary>
    public Dictionary<(string Topic, int Partition), long?> ListOffsets(IEnumerable<(string Topic, int Partition)> partitions, long timestamp)
    {
        var request = new ListOffsetsRequest();
        foreach (var group in partitions.GroupBy(p => p.Topic, StringComparer.Ordinal))
        {
            request.Topics.Add(new ListOffsetsRequestTopic
            {
                Name = group.Key,
                Partitions = [.. group.Select(p => new ListOffsetsRequestPartition { PartitionIndex = p.Partition, Timestamp = timestamp })],
            });
        }
        var offsets = new Dictionary<(string, int), long?>();
        if (request.Topics.Count == 0)
        {
            return offsets;
        }
        ListOffsetsResponse response = Send(ApiKey.ListOffsets, request.Write, ListOffsetsResponse.Read);
        foreach (ListOffsetsResponseTopic topic in response.Topics)
        {
            foreach (ListOffsetsResponsePartition p in topic.Partitions)
            {
                offsets[(topic.Name, p.PartitionIndex)] = p.ErrorCode == ErrorCode.None && p.Offset >= 0 ? p.Offset : null;
            }
        }
        return offsets;
    }

    /// <summary>Creates one topic; returns the broker's result for it.</summary>
    public CreateTopicsResponseTopic CreateTopic(string name, int partitions, List<CreateTopicsConfig> configs)
    {
        var request = new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequestTopic { Name = name, NumPartitions = partitions, ReplicationFactor = DefaultReplicationFactor(), Configs = configs }],
            TimeoutMs = (int)_timeout.TotalMilliseconds,
        };
        CreateTopicsResponse response = Send(ApiKey.CreateTopics, request.Write, CreateTopicsResponse.Read);
        return response.Topics.FirstOrDefault(t => t.Name == name)
            ?? throw new CliException($"the broker at {Address} did not answer for topic '{name}' in its CreateTopics response");
    }

    /// <summary>The replication factor meaning "the broker's default" (-1, v4+), or 1 before that.</summary>
    private short DefaultReplicationFactor() => VersionOf(ApiKey.CreateTopics) >= 4 ? (short)-1 : (short)1;

    /// <summary>Whether CreateTopics may leave the partition count to the broker (num_partitions -1 needs v4+).</summary>
    public bool BrokerChoosesPartitions => VersionOf(ApiKey.CreateTopics) >= 4;

    /// <summary>Deletes one topic; returns the broker's error code for it.</summary>
    public ErrorCode DeleteTopic(string name)
    {
        var request = new DeleteTopicsRequest { TopicNames = [name], TimeoutMs = (int)_timeout.TotalMilliseconds };
        DeleteTopicsResponse response = Send(ApiKey.DeleteTopics, request.Write, DeleteTopicsResponse.Read);
        foreach (DeleteTopicsResult result in response.Responses)
        {
            if (result.Name == name)
            {
                return result.ErrorCode;
            }
        }
        throw new CliException($"the broker at {Address} did not answer for topic '{name}' in its DeleteTopics response");
    }

    /// <summary>Every config of topic <paramref name="name"/>.</summary>
    public DescribeConfigsResult DescribeTopicConfigs(string name)
    {
        var request = new DescribeConfigsRequest
        {
            Resources = [new DescribeConfigsResource { ResourceType = ConfigResourceType.Topic, ResourceName = name }],
        };
        DescribeConfigsResponse response = Send(ApiKey.DescribeConfigs, request.Write, DescribeConfigsResponse.Read);
        return response.Results.FirstOrDefault(r => r.ResourceName == name)
            ?? throw new CliException($"the broker at {Address} did not answer for topic '{name}' in its DescribeConfigs response");
    }

    /// <summary>Every group the broker coordinates.</summary>
    public ListGroupsResponse ListGroups() =>
        Send(ApiKey.ListGroups, new ListGroupsRequest().Write, ListGroupsResponse.Read);

    /// <summary>One group's state and members.</summary>
    public DescribedGroup DescribeGroup(string groupId)
    {
        var request = new DescribeGroupsRequest { Groups = [groupId] };
        DescribeGroupsResponse response = Send(ApiKey.DescribeGroups, request.Write, DescribeGroupsResponse.Read);
        return response.Groups.FirstOrDefault(g => g.GroupId == groupId)
            ?? throw new CliException($"the broker at {Address} did not answer for group '{groupId}' in its DescribeGroups response");
    }

    /// <summary>Every offset the group has committed (OffsetFetch with null topics, v2+).</summary>
    public OffsetFetchResponse FetchAllCommittedOffsets(string groupId)
    {
        if (VersionOf(ApiKey.OffsetFetch) < 2)
        {
            throw new CliException($"the broker at {Address} speaks OffsetFetch below v2, which cannot list a group's committed offsets");
        }
        var request = new OffsetFetchRequest { GroupId = groupId, Topics = null };
        return Send(ApiKey.OffsetFetch, request.Write, OffsetFetchResponse.Read);
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose() => _socket.Dispose();
}
