using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Tusk.Storage;
using Xunit;

namespace Tusk.Cli.Tests;

/// <summary>
/// Real-process crash test: a `tusk kv fill --sync` child acknowledges each write on stdout only after the
/// engine's Put (with WAL fsync) returned; the test SIGKILLs it at a seeded random moment, reopens the data
/// directory in-process and checks durability: every acknowledged key is present with its value, and no key
/// the child never started to write appeared.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CrashTests
{
    private const int ValueSize = 100; // > 64, so acks carry "sha256:<hex>" and the test compares hashes

    [Theory]
    [InlineData(20261121)]
    [InlineData(7)]
    [InlineData(424242)]
    public void SigkillDuringSyncedFill_KeepsEveryAcknowledgedWrite(int seed)
    {
        var rng = new Random(seed);
        int delayMs = rng.Next(200, 1501);
        string context = $"seed={seed} (SIGKILL {delayMs} ms after the first ack)";
        using var temp = new TempDirectory();
        string data = temp.Sub("data");

        using Process child = TuskProcess.Start("kv", "fill", "--sync", "--count", "100000000", "--value-size", ValueSize.ToString(),
            "--data", data);
        child.StandardInput.Close();
        var stderr = new StringBuilder();
        child.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        child.BeginErrorReadLine();

        var stdout = new StringBuilder();
        using var firstAck = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = child.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (stdout)
                {
                    stdout.Append(buffer, 0, n);
                    if (!firstAck.IsSet && stdout.ToString().Contains('\n'))
                    {
                        firstAck.Set();
                    }
                }
            }
        })
        { IsBackground = true };
        reader.Start();

        bool acked = firstAck.Wait(TimeSpan.FromSeconds(60));
        if (!acked)
        {
            child.Kill();
            child.WaitForExit();
            Assert.Fail($"{context}: the child acknowledged no write within 60 s. stderr:\n{stderr}");
        }
        Thread.Sleep(delayMs);
        Assert.False(child.HasExited, $"{context}: the child exited by itself (code {(child.HasExited ? child.ExitCode : 0)}) before the kill; stderr:\n{stderr}");
        child.Kill(); // SIGKILL: no chance to flush or close anything
        child.WaitForExit();
        reader.Join();

        // Only complete lines count: the last line may have been cut by the kill.
        string text;
        lock (stdout)
        {
            text = stdout.ToString();
        }
        string[] lines = text.Split('\n');
        var acks = new List<(string Key, string Value)>();
        for (int i = 0; i < lines.Length - 1; i++)
        {
            string[] parts = lines[i].Split(' ');
            Assert.True(parts.Length == 3 && parts[0] == "ack", $"{context}: malformed ack line '{lines[i]}'");
            acks.Add((parts[1], parts[2]));
        }
        Assert.True(acks.Count >= 1, $"{context}: no complete ack line");
        for (int i = 0; i < acks.Count; i++)
        {
            Assert.True(acks[i].Key == FillKey(i + 1), $"{context}: ack #{i + 1} is for {acks[i].Key}, expected {FillKey(i + 1)}");
        }

        using LsmEngine engine = LsmEngine.Open(data);
        foreach ((string key, string expected) in acks)
        {
            byte[]? value = engine.Get(Encoding.ASCII.GetBytes(key));
            Assert.True(value is not null, $"{context}: acknowledged key {key} is missing after the crash ({acks.Count} acks)");
            string actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(value));
            Assert.True(actual == expected, $"{context}: key {key} has value hash {actual}, acknowledged {expected}");
            Assert.True(value.Length == ValueSize, $"{context}: key {key} has {value.Length} bytes, expected {ValueSize}");
        }
        // The write in flight at the kill (key n+1) may or may not have survived; key n+2 was never started.
        string neverWritten = FillKey(acks.Count + 2);
        Assert.True(engine.Get(Encoding.ASCII.GetBytes(neverWritten)) is null, $"{context}: {neverWritten} exists but was never written");
        using LsmIterator it = engine.NewIterator();
        long present = 0;
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            present++;
        }
        Assert.True(present == acks.Count || present == acks.Count + 1,
            $"{context}: {present} keys after recovery, expected {acks.Count} acknowledged (+1 in flight)");
    }

    private static string FillKey(long n) => $"key-{n:D9}";
}
