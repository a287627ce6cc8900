using Tusk.Testing;
using Xunit;

namespace Tusk.Protocols.Kafka.Tests;

/// <summary>
/// testdata/messages.txt: the exact bytes of every message sample (<see cref="MessageCatalog"/>) at its lowest
/// and highest supported version, so any change to an encoding shows up as a reviewed diff.
/// <c>encode message=&lt;Name&gt; version=&lt;n&gt;</c> writes the sample, checks that it reads back equal,
/// and prints a hex dump of the body. Rewrite with <c>TUSK_REWRITE=1</c>.
/// </summary>
public sealed class GoldenTests
{
    [Fact]
    public void Messages() => DataDriven.RunFile("testdata/messages.txt", Handle);

    private static string Handle(TestCase test)
    {
        if (test.Command != "encode")
        {
            throw test.Error("unknown command");
        }
        var c = MessageCatalog.Get(test.GetArg("message"));
        short version = (short)test.GetInt("version");
        object sample = c.Sample(version);
        byte[] body = Wire.Body(w => c.Write(sample, w, version));
        var (read, remaining) = c.Read(body, version);
        Assert.Equal(0, remaining);
        Wire.AssertDeepEqual(sample, read, MessageCatalog.ReadBookkeeping);
        return $"{body.Length} bytes\n{Wire.Dump(body)}";
    }
}
