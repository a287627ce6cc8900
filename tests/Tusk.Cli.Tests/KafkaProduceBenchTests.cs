using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Tusk.Cli.Tests;

/// <summary>
/// <c>tusk bench kafka-produce</c> against a real broker process: every message it reports is in the log (the
/// topic's message count, read back through ListOffsets by <c>tusk topic describe</c>), including a last,
/// partial batch; a failed produce fails the run.
/// </summary>
public sealed class KafkaProduceBenchTests
{
    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Fact]
    public void KafkaProduceBench_WritesExactlyTheMessagesItReports_AndFailsOnAProduceError()
    {
        using var temp = new TempDirectory();
        int port = FreePort();
        string bootstrap = $"127.0.0.1:{port}";
        using Process broker = TuskProcess.Start("start", "--data", temp.Sub("data"), "--kafka", bootstrap, "--pg", "off", "--stats-interval", "3600");
        var output = new StringBuilder();
        using var ready = new ManualResetEventSlim();
        broker.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            if (e.Data?.StartsWith("ready", StringComparison.Ordinal) == true)
            {
                ready.Set();
            }
        };
        broker.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine("stderr: " + e.Data);
            }
        };
        broker.BeginOutputReadLine();
        broker.BeginErrorReadLine();
        try
        {
            Assert.True(ready.Wait(TimeSpan.FromSeconds(60)), $"the broker did not start:\n{output}");

            // 3 partitions over 2 connections, 100 B messages in batches of ~10 KB: 25,001 messages = 277 requests,
            // the last one partial.
            TuskResult r = TuskProcess.Run("bench", "kafka-produce", "--bootstrap", bootstrap, "--topic", "lean", "--partitions", "3",
                "--connections", "2", "--message-bytes", "100", "--batch-bytes", "10000", "--messages", "25001");
            Assert.True(r.ExitCode == 0, $"{r}\nbroker:\n{output}");
            Assert.Contains("KAFKABENCH messages=25001 ", r.Stdout);
            Assert.Contains("errors=0", r.Stdout);
            Assert.Contains("log end offsets +25001", r.Stdout);

            // A second run appends to the existing topic; the broker's count is the sum.
            r = TuskProcess.Run("bench", "kafka-produce", "--bootstrap", bootstrap, "--topic", "lean", "--partitions", "3",
                "--connections", "1", "--in-flight", "2", "--message-bytes", "1024", "--total-bytes", "1m");
            Assert.True(r.ExitCode == 0, $"{r}\nbroker:\n{output}");
            Assert.Contains("KAFKABENCH messages=1024 ", r.Stdout);

            TuskResult described = TuskProcess.Run("topic", "describe", "lean", "--bootstrap", bootstrap);
            Assert.True(described.ExitCode == 0, described.ToString());
            Assert.Contains("Messages: 26025", described.Stdout);

            // A batch larger than the topic's max.message.bytes is refused: the run fails with the broker's error.
            r = TuskProcess.Run("bench", "kafka-produce", "--bootstrap", bootstrap, "--topic", "lean", "--partitions", "1",
                "--message-bytes", "1024", "--batch-bytes", "3000000", "--messages", "2500");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("MESSAGE_TOO_LARGE", r.Stderr);
        }
        finally
        {
            if (!broker.HasExited)
            {
                broker.Kill(entireProcessTree: true);
                broker.WaitForExit(10_000);
            }
        }
    }
}
