using Xunit;

namespace Tusk.Protocols.Kafka.Tests;

/// <summary>The advertised API table: sorted, unique, and every range below the API's first flexible version.</summary>
public sealed class KafkaApisTests
{
    /// <summary>First flexible version of each API, from the "flexibleVersions" of Apache Kafka's request schemas.</summary>
    private static readonly Dictionary<ApiKey, short> _firstFlexibleVersion = new()
    {
        [ApiKey.Produce] = 9,
        [ApiKey.Fetch] = 12,
        [ApiKey.ListOffsets] = 6,
        [ApiKey.Metadata] = 9,
        [ApiKey.OffsetCommit] = 8,
        [ApiKey.OffsetFetch] = 6,
        [ApiKey.FindCoordinator] = 3,
        [ApiKey.JoinGroup] = 6,
        [ApiKey.Heartbeat] = 4,
        [ApiKey.LeaveGroup] = 4,
        [ApiKey.SyncGroup] = 4,
        [ApiKey.DescribeGroups] = 5,
        [ApiKey.ListGroups] = 3,
        [ApiKey.ApiVersions] = 3,
        [ApiKey.CreateTopics] = 5,
        [ApiKey.DeleteTopics] = 4,
        [ApiKey.InitProducerId] = 2,
        [ApiKey.DescribeConfigs] = 4,
        [ApiKey.CreatePartitions] = 2,
    };

    [Fact]
    public void SupportedApisAreSortedUniqueAndAllClassic()
    {
        var supported = KafkaApis.Supported;
        Assert.Equal(_firstFlexibleVersion.Count, supported.Count);
        for (int i = 0; i < supported.Count; i++)
        {
            var range = supported[i];
            if (i > 0)
            {
                Assert.True(supported[i - 1].ApiKey < range.ApiKey, $"{range.ApiKey} is out of order");
            }
            Assert.True(range.MinVersion >= 0 && range.MinVersion <= range.MaxVersion, range.ToString());
            Assert.Equal(_firstFlexibleVersion[range.ApiKey] - 1, range.MaxVersion);
        }
    }

    [Fact]
    public void LookupsAnswerFromTheTable()
    {
        Assert.True(KafkaApis.TryGetRange(ApiKey.Produce, out var produce));
        Assert.Equal(new ApiVersionRange(ApiKey.Produce, 3, 8), produce);
        Assert.False(KafkaApis.TryGetRange(ApiKey.SaslHandshake, out _));
        Assert.True(KafkaApis.IsSupported(ApiKey.Fetch, 4));
        Assert.True(KafkaApis.IsSupported(ApiKey.Fetch, 11));
        Assert.False(KafkaApis.IsSupported(ApiKey.Fetch, 3));
        Assert.False(KafkaApis.IsSupported(ApiKey.Fetch, 12));
        Assert.False(KafkaApis.IsSupported(ApiKey.EndTxn, 0));
        Assert.Equal(KafkaApis.Supported, ApiVersionsResponse.ForSupportedApis().ApiKeys);
    }

    [Fact]
    public void UnsupportedVersionFallbackReadsAsV0WithTheApiVersionsRange()
    {
        byte[] body = Wire.Body(ApiVersionsResponse.WriteUnsupportedVersion);
        var response = Wire.ReadAll(body, 0, ApiVersionsResponse.Read);
        Assert.Equal(ErrorCode.UnsupportedVersion, response.ErrorCode);
        Assert.Contains(new ApiVersionRange(ApiKey.ApiVersions, 0, 2), response.ApiKeys);
        Assert.Equal(KafkaApis.Supported, response.ApiKeys);
    }
}
