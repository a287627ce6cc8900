using System.Diagnostics;
using Tusk.Cli.Tests;
using Tusk.Core;
using Xunit;

namespace Tusk.Server.Tests;

/// <summary>
/// SIGKILL the broker while a producer with acks=all is writing: after a restart every acknowledged message is
/// in the log at the offset it was acknowledged with, and the offsets are dense and monotonic.
/// </summary>
public sealed class DurabilityTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public void AcknowledgedMessagesSurviveSigkill(ulong seed)
    {
        using var dir = new TempDirectory();
        string data = dir.Sub("data");
        var rng = new SeededRandom(seed);
        var acked = new Dictionary<long, string>(); // offset -> value
        int port;
        using (var broker = BrokerProcess.Start(data))
        {
            port = broker.Port;
            var create = Client.Kcat(broker.Bootstrap, "-P -t durable -p 0", "warmup\n");
            Assert.True(create.ExitCode == 0, create.Stderr);
            acked[0] = "warmup";
            var info = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "scripts", "acked_producer.py"), broker.Bootstrap, "durable", "1000000" })
            {
                info.ArgumentList.Add(a);
            }
            using var producer = Process.Start(info)!;
            int killAfter = 200 + rng.Next(1500);
            string? line;
            while ((line = producer.StandardOutput.ReadLine()) != null)
            {
                var parts = line.Split(' ');
                if (parts.Length == 4 && parts[0] == "ack")
                {
                    acked[long.Parse(parts[3])] = parts[1];
                }
                if (acked.Count >= killAfter)
                {
                    broker.Kill(); // SIGKILL mid-stream: later acks cannot happen, earlier ones must survive
                    break;
                }
            }
            // Acks already printed before the kill also count.
            producer.Kill(entireProcessTree: true);
            producer.WaitForExit();
            string rest = producer.StandardOutput.ReadToEnd();
            foreach (var l in rest.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = l.Split(' ');
                if (parts.Length == 4 && parts[0] == "ack")
                {
                    acked[long.Parse(parts[3])] = parts[1];
                }
            }
            Assert.True(acked.Count > 100, $"seed {seed}: only {acked.Count} acks before the kill");
        }
        using (var restarted = BrokerProcess.Start(data, port))
        {
            var r = Client.Kcat(restarted.Bootstrap, "-C -t durable -p 0 -o beginning -e -q -f %o:%s\\n", timeoutSeconds: 60);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var log = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':', 2)).ToList();
            for (int i = 0; i < log.Count; i++)
            {
                Assert.True(long.Parse(log[i][0]) == i, $"seed {seed}: offset {log[i][0]} at position {i}: offsets are not dense");
            }
            var byOffset = log.ToDictionary(p => long.Parse(p[0]), p => p[1]);
            foreach (var (offset, value) in acked)
            {
                Assert.True(byOffset.TryGetValue(offset, out var got) && got == value,
                    $"seed {seed}: acknowledged {value}@{offset} is {(got == null ? "missing" : "now " + got)} after the restart ({log.Count} records)");
            }
        }
    }
}
