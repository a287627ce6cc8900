namespace Tusk.Protocols.Kafka;

/// <summary>
/// ApiVersions request (key 18), v0-v2: the body is empty. v3+ adds client software name and version in the
/// flexible encoding; the host does not parse that body and answers with
/// <see cref="ApiVersionsResponse.WriteUnsupportedVersion"/> instead.
/// </summary>
public sealed class ApiVersionsRequest
{
    /// <summary>Reads the (empty) body.</summary>
    public static ApiVersionsRequest Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.ApiVersions, version);
        return new ApiVersionsRequest();
    }

    /// <summary>Writes the (empty) body.</summary>
    public void Write(KafkaWriter w, short version) => KafkaApis.CheckWrite(ApiKey.ApiVersions, version);
}

/// <summary>
/// ApiVersions response (key 18), v0-v2: error code, the [key, min, max] list, throttle time from v1.
/// Its response header is always header v0 (correlation id only), even for the flexible versions, so a client
/// can read the answer to a version it guessed too high.
/// </summary>
public sealed class ApiVersionsResponse
{
    /// <summary>Top-level error.</summary>
    public ErrorCode ErrorCode { get; set; }

    /// <summary>The APIs the broker serves.</summary>
    public List<ApiVersionRange> ApiKeys { get; set; } = [];

    /// <summary>Quota throttle (v1+).</summary>
    public int ThrottleTimeMs { get; set; }

    /// <summary>A successful response listing <see cref="KafkaApis.Supported"/>.</summary>
    public static ApiVersionsResponse ForSupportedApis() => new() { ApiKeys = [.. KafkaApis.Supported] };

    /// <summary>
    /// Writes the body that answers an ApiVersions request at a version Tusk does not serve (v3+, whose request is
    /// flexible; the host reads only its api key, version and correlation id): the v0 layout, which every client
    /// can read, with UNSUPPORTED_VERSION (35) and every supported range. The client then retries at the highest
    /// ApiVersions version listed (librdkafka and kafka-python look only at the ApiVersions entry; Apache Kafka
    /// sends only that entry, and sending all of them is equally valid).
    /// </summary>
    public static void WriteUnsupportedVersion(KafkaWriter w)
    {
        var response = new ApiVersionsResponse
        {
            ErrorCode = ErrorCode.UnsupportedVersion,
            ApiKeys = [.. KafkaApis.Supported],
        };
        response.Write(w, 0);
    }

    /// <summary>Writes the body.</summary>
    public void Write(KafkaWriter w, short version)
    {
        KafkaApis.CheckWrite(ApiKey.ApiVersions, version);
        w.WriteInt16((short)ErrorCode);
        w.WriteArrayLength(ApiKeys.Count);
        foreach (var range in ApiKeys)
        {
            w.WriteInt16((short)range.ApiKey);
            w.WriteInt16(range.MinVersion);
            w.WriteInt16(range.MaxVersion);
        }
        if (version >= 1)
        {
            w.WriteInt32(ThrottleTimeMs);
        }
    }

    /// <summary>Reads the body (the client side; used by tests and tools).</summary>
    public static ApiVersionsResponse Read(ref KafkaReader r, short version)
    {
        KafkaApis.CheckRead(ApiKey.ApiVersions, version);
        var response = new ApiVersionsResponse { ErrorCode = (ErrorCode)r.ReadInt16() };
        int count = MessageCodec.ReadCount(ref r, 6, "api_keys");
        response.ApiKeys = new List<ApiVersionRange>(count);
        for (int i = 0; i < count; i++)
        {
            response.ApiKeys.Add(new ApiVersionRange((ApiKey)r.ReadInt16(), r.ReadInt16(), r.ReadInt16()));
        }
        if (version >= 1)
        {
            response.ThrottleTimeMs = r.ReadInt32();
        }
        return response;
    }
}
