using Xunit;

namespace Tusk.Protocols.Kafka.Tests;

/// <summary>
/// Every message at every supported version: construct, write, read back an equal object, write it again to
/// the same bytes. Truncating the body anywhere raises <see cref="KafkaProtocolException"/>, never reads past
/// the end, and never succeeds.
/// </summary>
public sealed class RoundTripTests
{
    public static IEnumerable<object[]> EveryVersion() => MessageCatalog.EveryVersion();

    [Theory]
    [MemberData(nameof(EveryVersion))]
    public void WriteThenReadGivesAnEqualMessageAndTheSameBytes(string message, short version)
    {
        var c = MessageCatalog.Get(message);
        object sample = c.Sample(version);
        byte[] body = Wire.Body(w => c.Write(sample, w, version));

        var (read, remaining) = c.Read(body, version);

        Assert.Equal(0, remaining);
        Wire.AssertDeepEqual(sample, read, MessageCatalog.ReadBookkeeping);
        Assert.Equal(body, Wire.Body(w => c.Write(read, w, version)));
    }

    [Theory]
    [MemberData(nameof(EveryVersion))]
    public void EveryTruncationIsAProtocolError(string message, short version)
    {
        var c = MessageCatalog.Get(message);
        byte[] body = Wire.Body(w => c.Write(c.Sample(version), w, version));
        for (int length = 0; length < body.Length; length++)
        {
            byte[] truncated = body[..length];
            Assert.Throws<KafkaProtocolException>(() => c.Read(truncated, version));
        }
    }

    [Theory]
    [MemberData(nameof(EveryVersion))]
    public void RandomCorruptionIsReadOrRejectedButNeverCrashes(string message, short version)
    {
        var c = MessageCatalog.Get(message);
        byte[] body = Wire.Body(w => c.Write(c.Sample(version), w, version));
        if (body.Length == 0)
        {
            return;
        }
        var random = new Random(version * 7919 + message.Sum(ch => ch)); // seeded: failures replay
        for (int round = 0; round < 300; round++)
        {
            byte[] corrupt = (byte[])body.Clone();
            int flips = 1 + random.Next(4);
            for (int i = 0; i < flips; i++)
            {
                corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
            }
            try
            {
                c.Read(corrupt, version);
            }
            catch (KafkaProtocolException)
            {
                // Rejected: fine. Any other exception fails the test.
            }
        }
    }

    [Fact]
    public void UnsupportedVersionsAreRejectedOnReadAndWrite()
    {
        foreach (var c in MessageCatalog.All)
        {
            KafkaApis.TryGetRange(c.ApiKey, out var range);
            foreach (short version in new[] { (short)(range.MinVersion - 1), (short)(range.MaxVersion + 1) })
            {
                byte[] body = new byte[64];
                Assert.Throws<KafkaProtocolException>(() => c.Read(body, version));
                Assert.Throws<ArgumentOutOfRangeException>(() => Wire.Body(w => c.Write(c.Sample(range.MaxVersion), w, version)));
            }
        }
    }
}
