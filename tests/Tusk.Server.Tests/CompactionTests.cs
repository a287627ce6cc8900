using System.Text;
using Tusk.Cli.Tests;
using Xunit;

namespace Tusk.Server.Tests;

/// <summary>
/// Log compaction through a real broker: a compacted topic receives several values per key and tombstones;
/// once its segments are closed and the broker's maintenance has run, only the newest value of each key
/// remains, and tombstoned keys disappear once delete.retention.ms has passed.
/// </summary>
public sealed class CompactionTests
{
    [Fact]
    public void OnlyTheLatestValuePerKeyRemainsAndTombstonesExpire()
    {
        using var dir = new TempDirectory();
        using var broker = BrokerProcess.Start(dir.Sub("data"));
        var create = Client.Python("create_topic.py",
            [broker.Bootstrap, "profiles", "1", "cleanup.policy=compact", "segment.bytes=4096", "delete.retention.ms=100"]);
        Assert.True(create.ExitCode == 0, create.Stderr);

        var updates = new StringBuilder();
        for (int version = 0; version < 10; version++)
        {
            for (int k = 0; k < 20; k++)
            {
                updates.Append($"user{k:D2}:v{version}-{new string('x', 40)}\n");
            }
        }
        Produce(broker, updates.ToString(), nullForEmpty: false);
        Produce(broker, string.Concat(Enumerable.Range(0, 5).Select(k => $"user{k:D2}:\n")), nullForEmpty: true); // tombstones
        // Filler with fresh keys, so every record above lands in closed (compactable) segments.
        Produce(broker, string.Concat(Enumerable.Range(0, 150).Select(i => $"filler{i:D3}:{new string('f', 40)}\n")), nullForEmpty: false);

        Dictionary<string, List<string>> byKey = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var r = Client.Kcat(broker.Bootstrap, "-C -t profiles -p 0 -o beginning -e -q -Z -f %k=%s\\n");
            Assert.True(r.ExitCode == 0, r.Stderr);
            byKey = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('=', 2))
                .GroupBy(p => p[0])
                .ToDictionary(g => g.Key, g => g.Select(p => p[1]).ToList());
            bool compacted = Enumerable.Range(5, 15).All(k => byKey.TryGetValue($"user{k:D2}", out var v) && v.Count == 1)
                && Enumerable.Range(0, 5).All(k => !byKey.ContainsKey($"user{k:D2}"));
            if (compacted || DateTime.UtcNow > deadline)
            {
                break;
            }
            Thread.Sleep(1000); // the broker compacts in its maintenance pass (every few seconds)
        }
        for (int k = 5; k < 20; k++)
        {
            Assert.True(byKey.TryGetValue($"user{k:D2}", out var values), $"user{k:D2} lost");
            Assert.Equal([$"v9-{new string('x', 40)}"], values); // only the newest value
        }
        for (int k = 0; k < 5; k++)
        {
            Assert.False(byKey.ContainsKey($"user{k:D2}"), $"tombstoned user{k:D2} still present: {string.Join(",", byKey.GetValueOrDefault($"user{k:D2}") ?? [])}");
        }
        Assert.Equal(150, Enumerable.Range(0, 150).Count(i => byKey.ContainsKey($"filler{i:D3}")));
    }

    private static void Produce(BrokerProcess broker, string lines, bool nullForEmpty)
    {
        // Small producer batches: a batch must fit in one 4 KiB segment (Kafka rejects larger ones too).
        var r = Client.Kcat(broker.Bootstrap, "-P -t profiles -p 0 -K : -X batch.size=1500" + (nullForEmpty ? " -Z" : ""), lines);
        Assert.True(r.ExitCode == 0, r.Stderr);
    }
}
