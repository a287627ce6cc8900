using System.Text;
using Tusk.Core;
using Tusk.Core.IO;
using Xunit;

namespace Tusk.Simulation.Tests;

public sealed class SimFileSystemTests
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string Text(IFileSystem fs, string path) => Encoding.UTF8.GetString(fs.ReadAll(path));

    /// <summary>A file "db/f" with <paramref name="synced"/> durable (file and directory synced).</summary>
    private static SimFileSystem WithSyncedFile(ulong seed, string synced)
    {
        var fs = new SimFileSystem(seed);
        fs.CreateDirectory("db");
        using (var f = fs.Open("db/f", FileOpenMode.CreateNew))
        {
            f.Append(Bytes(synced));
            f.Sync();
        }
        fs.SyncDirectory("db");
        return fs;
    }

    [Fact]
    public void UnsyncedWritesVanishAtCrashSyncedOnesSurvive()
    {
        var fs = WithSyncedFile(1, "hello");
        using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
        {
            f.Append(Bytes(" world"));
            f.WriteAt(0, Bytes("J"));
            Assert.Equal("Jello world", Text(fs, "db/f"));
        }
        Assert.True(fs.HasUnsyncedData("db/f"));
        fs.Crash();
        Assert.Equal("hello", Text(fs, "db/f"));
        Assert.False(fs.HasUnsyncedData("db/f"));
    }

    [Fact]
    public void SyncMakesOverwritesTruncationsAndGapsDurable()
    {
        var fs = WithSyncedFile(1, "0123456789");
        using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
        {
            f.Truncate(3);
            f.WriteAt(5, Bytes("ab"));
            f.WriteAt(1, Bytes("X"));
            f.Sync();
        }
        fs.Crash();
        Assert.Equal(new byte[] { (byte)'0', (byte)'X', (byte)'2', 0, 0, (byte)'a', (byte)'b' }, fs.ReadAll("db/f"));
        Assert.Equal(7, fs.GetDurableLength("db/f"));
    }

    [Fact]
    public void UnsyncedTruncateIsUndoneAtCrash()
    {
        var fs = WithSyncedFile(1, "0123456789");
        using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
        {
            f.Truncate(2);
            Assert.Equal(2, f.Length);
        }
        fs.Crash();
        Assert.Equal("0123456789", Text(fs, "db/f"));
    }

    [Fact]
    public void CreatedFileWithoutDirectorySyncVanishesAtCrash()
    {
        var fs = new SimFileSystem(1);
        fs.CreateDirectory("db");
        using (var f = fs.Open("db/new", FileOpenMode.CreateNew))
        {
            f.Append(Bytes("data"));
            f.Sync(); // The contents are durable, but the name is not.
        }
        Assert.True(fs.FileExists("db/new"));
        fs.Crash();
        Assert.False(fs.FileExists("db/new"));
        Assert.Empty(fs.List("db"));
    }

    [Fact]
    public void CreatedFileWithDirectorySyncSurvivesWithItsSyncedContents()
    {
        var fs = new SimFileSystem(1);
        fs.CreateDirectory("db");
        using (var f = fs.Open("db/new", FileOpenMode.CreateNew))
        {
            f.Append(Bytes("data"));
            f.Sync();
            f.Append(Bytes("-lost"));
        }
        fs.SyncDirectory("db");
        fs.Crash();
        Assert.Equal("data", Text(fs, "db/new"));
    }

    [Fact]
    public void RenameWithoutDirectorySyncIsUndoneAtCrash()
    {
        var fs = WithSyncedFile(1, "v1");
        fs.Rename("db/f", "db/g");
        Assert.False(fs.FileExists("db/f"));
        Assert.True(fs.FileExists("db/g"));
        fs.Crash();
        Assert.True(fs.FileExists("db/f"));
        Assert.False(fs.FileExists("db/g"));
        Assert.Equal("v1", Text(fs, "db/f"));
    }

    [Fact]
    public void RenameWithDirectorySyncSurvivesCrash()
    {
        var fs = WithSyncedFile(1, "v1");
        fs.Rename("db/f", "db/g");
        fs.SyncDirectory("db");
        fs.Crash();
        Assert.False(fs.FileExists("db/f"));
        Assert.Equal("v1", Text(fs, "db/g"));
    }

    [Fact]
    public void DeleteWithoutDirectorySyncIsUndoneAtCrash()
    {
        var fs = WithSyncedFile(1, "keep");
        fs.Delete("db/f");
        Assert.False(fs.FileExists("db/f"));
        fs.Crash();
        Assert.Equal("keep", Text(fs, "db/f"));

        fs.Delete("db/f");
        fs.SyncDirectory("db");
        fs.Crash();
        Assert.False(fs.FileExists("db/f"));
    }

    [Fact]
    public void WriteAtomicallyLeavesOldOrNewContentsNeverAMix()
    {
        var fs = new SimFileSystem(1);
        fs.CreateDirectory("db");
        fs.WriteAtomically("db/CURRENT", Bytes("v1"));
        fs.Crash();
        Assert.Equal("v1", Text(fs, "db/CURRENT"));

        // The directory sync of the second update fails: the rename is not durable, the old contents come back.
        fs.FailAfter(0, SimOperationKind.SyncDirectory);
        Assert.Throws<SimulatedFaultException>(() => fs.WriteAtomically("db/CURRENT", Bytes("v2")));
        Assert.Equal("v2", Text(fs, "db/CURRENT"));
        fs.Crash();
        Assert.Equal("v1", Text(fs, "db/CURRENT"));

        fs.ClearFaults();
        fs.WriteAtomically("db/CURRENT", Bytes("v3"));
        fs.Crash();
        Assert.Equal("v3", Text(fs, "db/CURRENT"));
    }

    [Fact]
    public void HandleFollowsTheInodeAcrossRenameAndDelete()
    {
        var fs = WithSyncedFile(1, "a");
        using var f = fs.Open("db/f", FileOpenMode.OpenExisting);
        fs.Rename("db/f", "db/g");
        f.Append(Bytes("b"));
        Assert.Equal("ab", Text(fs, "db/g"));
        fs.Delete("db/g");
        f.Append(Bytes("c")); // Writing to an unlinked file works, as on POSIX.
        Assert.Equal(3, f.Length);
        Assert.False(fs.FileExists("db/g"));
    }

    [Fact]
    public void TornWriteKeepsAStrictPrefixOfTheLastWrite()
    {
        var lengths = new HashSet<int>();
        for (ulong seed = 0; seed < 40; seed++)
        {
            var fs = WithSyncedFile(seed, "AAAA");
            using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
            {
                f.Append(Bytes(new string('B', 100)));
            }
            fs.Crash(CrashOptions.TearWrites);
            string text = Text(fs, "db/f");
            Assert.StartsWith("AAAA", text);
            int kept = text.Length - 4;
            Assert.InRange(kept, 0, 99); // Never the whole write: it was torn.
            Assert.Equal(new string('B', kept), text[4..]);
            Assert.Equal(text.Length, fs.GetDurableLength("db/f")); // What survived is on disk now.
            lengths.Add(kept);
        }
        Assert.Contains(lengths, k => k > 0); // Some seeds keep part of the write...
        Assert.True(lengths.Count > 5, "torn lengths should vary with the seed");
    }

    [Fact]
    public void TornWritesSurviveInIssueOrder()
    {
        string full = "SYNCED" + "first-" + "second-" + "third";
        var seenCuts = new HashSet<int>();
        for (ulong seed = 0; seed < 60; seed++)
        {
            var fs = WithSyncedFile(seed, "SYNCED");
            using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
            {
                f.Append(Bytes("first-"));
                f.Append(Bytes("second-"));
                f.Append(Bytes("third"));
            }
            fs.Crash(CrashOptions.TearWrites);
            string text = Text(fs, "db/f");
            Assert.StartsWith(text, full, StringComparison.Ordinal); // Always a prefix of what was written...
            Assert.True(text.Length >= 6 && text.Length < full.Length, $"seed {seed}: {text}"); // ...never all of it.
            seenCuts.Add(text.Length);
        }
        Assert.Contains(seenCuts, n => n > 12); // Sometimes the first write survives whole.
    }

    [Fact]
    public void TornAndCorruptedWriteHasRandomBytesInTheTornPrefix()
    {
        bool sawGarbage = false;
        for (ulong seed = 0; seed < 20; seed++)
        {
            var fs = WithSyncedFile(seed, "AAAA");
            using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
            {
                f.Append(new byte[64]);
            }
            fs.Crash(CrashOptions.TearAndCorruptWrites);
            byte[] bytes = fs.ReadAll("db/f");
            Assert.Equal("AAAA", Encoding.UTF8.GetString(bytes, 0, 4)); // Synced bytes are never touched.
            Assert.True(bytes.Length < 4 + 64);
            sawGarbage |= bytes.Skip(4).Any(b => b != 0);
        }
        Assert.True(sawGarbage);
    }

    [Fact]
    public void TearProbabilityZeroDropsEverything()
    {
        var fs = WithSyncedFile(3, "AAAA");
        using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
        {
            f.Append(Bytes("BBBB"));
        }
        fs.Crash(new CrashOptions { TearProbability = 0 });
        Assert.Equal("AAAA", Text(fs, "db/f"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrashOptions { TearProbability = 1.5 });
    }

    private static byte[] TornOutcome(ulong seed)
    {
        var fs = WithSyncedFile(seed, "header");
        using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
        {
            for (int i = 0; i < 10; i++)
            {
                f.Append(Bytes($"record-{i};"));
            }
        }
        fs.Crash(CrashOptions.TearAndCorruptWrites);
        return fs.ReadAll("db/f");
    }

    [Fact]
    public void SameSeedGivesTheSameTornResult()
    {
        Assert.Equal(TornOutcome(42), TornOutcome(42));
        var outcomes = new HashSet<string>();
        for (ulong seed = 0; seed < 10; seed++)
        {
            outcomes.Add(Convert.ToHexString(TornOutcome(seed)));
        }
        Assert.True(outcomes.Count > 1, "different seeds should tear differently");
    }

    [Fact]
    public void FailAfterFailsTheChosenOperationWithIOExceptionAndNothingElse()
    {
        var fs = WithSyncedFile(1, "base");
        using var f = fs.Open("db/f", FileOpenMode.OpenExisting);
        fs.FailAfter(1, SimOperationKind.Write);
        f.WriteAt(0, Bytes("B")); // The one allowed write.
        var e = Assert.Throws<SimulatedFaultException>(() => f.WriteAt(1, Bytes("X")));
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Equal(SimOperationKind.Write, e.Operation.Kind);
        Assert.Equal("db/f", e.Operation.Path);
        Assert.Equal("Base", Text(fs, "db/f")); // The failed write had no effect.
        // Other operations keep working, appends included (a different kind).
        f.Append(Bytes("!"));
        f.Sync();
        fs.Rename("db/f", "db/g");
        Assert.Equal("Base!", Text(fs, "db/g"));
        Assert.Throws<SimulatedFaultException>(() => f.WriteAt(0, Bytes("Y"))); // Still failing: the disk is dead.
        Assert.Equal(2, fs.Stats.FaultsInjected);
        fs.ClearFaults();
        f.WriteAt(0, Bytes("Y"));
        Assert.Equal("Yase!", Text(fs, "db/g"));
    }

    [Fact]
    public void FaultPredicateSelectsOperationAndPath()
    {
        var fs = new SimFileSystem(1);
        fs.CreateDirectory("db");
        fs.Open("db/a", FileOpenMode.CreateNew).Dispose();
        fs.Open("db/b", FileOpenMode.CreateNew).Dispose();
        fs.FaultPredicate = op => op.Kind == SimOperationKind.Rename && op.Path == "db/a";
        Assert.Throws<SimulatedFaultException>(() => fs.Rename("db//a", "db/c"));
        Assert.True(fs.FileExists("db/a"));
        fs.Rename("db/b", "db/c");
        Assert.Equal(["a", "c"], fs.List("db"));
        fs.Delete("db/a");
        Assert.Equal(["c"], fs.List("db"));
    }

    [Fact]
    public void FaultProbabilityIsDeterministicPerSeed()
    {
        static string Run(ulong seed)
        {
            var fs = new SimFileSystem(seed);
            fs.SetFaultProbability(SimOperationKind.Append, 0.3);
            using var f = fs.Open("f", FileOpenMode.CreateNew);
            var pattern = new StringBuilder();
            for (int i = 0; i < 64; i++)
            {
                try
                {
                    f.Append([1]);
                    pattern.Append('.');
                }
                catch (SimulatedFaultException)
                {
                    pattern.Append('x');
                }
            }
            return pattern.ToString();
        }
        string first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.Contains('x', first);
        Assert.Contains('.', first);
    }

    [Fact]
    public void FailSyncLeavesDataNotDurable()
    {
        var fs = WithSyncedFile(1, "old");
        fs.FailSync = true;
        using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
        {
            f.Append(Bytes("-new"));
            Assert.Throws<SimulatedFaultException>(f.Sync);
            Assert.Equal(3, fs.GetDurableLength("db/f"));
        }
        Assert.Throws<SimulatedFaultException>(() => fs.SyncDirectory("db"));
        fs.Crash();
        Assert.Equal("old", Text(fs, "db/f"));

        fs.FailSync = false;
        using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
        {
            f.Append(Bytes("-new"));
            f.Sync();
        }
        fs.Crash();
        Assert.Equal("old-new", Text(fs, "db/f"));
    }

    [Fact]
    public void LockIsExclusiveUntilDisposed()
    {
        var fs = new SimFileSystem(1);
        fs.CreateDirectory("db");
        var held = fs.Lock("db/LOCK");
        Assert.True(fs.FileExists("db/LOCK"));
        Assert.Throws<IOException>(() => fs.Lock("db/LOCK"));
        Assert.Throws<IOException>(() => fs.Lock("db//LOCK/")); // Same path after normalization.
        using (fs.Lock("db/OTHER"))
        {
        }
        held.Dispose();
        using var again = fs.Lock("db/LOCK");
        held.Dispose(); // Disposing the old holder twice must not release the new one.
        Assert.Throws<IOException>(() => fs.Lock("db/LOCK"));
    }

    [Fact]
    public void CrashReleasesLocks()
    {
        var fs = new SimFileSystem(1);
        var before = fs.Lock("LOCK");
        fs.Crash();
        using var after = fs.Lock("LOCK");
        before.Dispose(); // A lock from before the crash releases nothing.
        Assert.Throws<IOException>(() => fs.Lock("LOCK"));
    }

    [Fact]
    public void HandlesAreInvalidAfterCrash()
    {
        var fs = WithSyncedFile(1, "data");
        var f = fs.Open("db/f", FileOpenMode.OpenExisting);
        fs.Crash();
        Assert.Throws<SimulatedCrashException>(() => f.Append(Bytes("x")));
        Assert.Throws<SimulatedCrashException>(() => f.WriteAt(0, Bytes("x")));
        Assert.Throws<SimulatedCrashException>(() => f.ReadAt(0, new byte[4]));
        Assert.Throws<SimulatedCrashException>(f.Sync);
        Assert.Throws<SimulatedCrashException>(() => f.Truncate(0));
        Assert.Throws<SimulatedCrashException>(() => f.Length);
        f.Dispose(); // Allowed, does nothing.
        Assert.Equal("data", Text(fs, "db/f"));

        var g = fs.Open("db/f", FileOpenMode.ReadOnly);
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => g.ReadAt(0, new byte[1]));
    }

    [Fact]
    public void OpenModesBehaveLikeTheContract()
    {
        var fs = new SimFileSystem(1);
        Assert.Throws<FileNotFoundException>(() => fs.Open("missing", FileOpenMode.OpenExisting));
        Assert.Throws<FileNotFoundException>(() => fs.Open("missing", FileOpenMode.ReadOnly));
        Assert.Throws<DirectoryNotFoundException>(() => fs.Open("nodir/f", FileOpenMode.CreateNew));
        fs.Open("f", FileOpenMode.CreateNew).Dispose();
        Assert.Throws<IOException>(() => fs.Open("f", FileOpenMode.CreateNew));
        using var ro = fs.Open("f", FileOpenMode.ReadOnly);
        Assert.Throws<NotSupportedException>(() => ro.Append(Bytes("x")));
        using var rw = fs.Open("./f", FileOpenMode.OpenOrCreate);
        Assert.Equal(0, rw.Append(Bytes("ab")));
        Assert.Equal(2, rw.Append(Bytes("cd")));
        var buffer = new byte[10];
        Assert.Equal(4, ro.ReadAt(0, buffer)); // Short only at end of file.
        Assert.Equal(0, ro.ReadAt(100, buffer));
    }

    [Fact]
    public void PathsAreNormalizedAndListingIsSortedFilesOnly()
    {
        var fs = new SimFileSystem(1);
        fs.CreateDirectory("a/b/c/"); // Creates the parents.
        fs.Open("a//b/zeta", FileOpenMode.CreateNew).Dispose();
        fs.Open("a/b/Alpha", FileOpenMode.CreateNew).Dispose();
        fs.Open("a/b/alpha", FileOpenMode.CreateNew).Dispose();
        fs.Open("/abs", FileOpenMode.CreateNew).Dispose();
        Assert.Equal(["Alpha", "alpha", "zeta"], fs.List("a/b/")); // Ordinal order, no "c" (a directory).
        Assert.Equal(["Alpha", "alpha", "zeta"], fs.List("./a/x/../b"));
        Assert.Empty(fs.List("a/b/c"));
        Assert.Empty(fs.List("nope"));
        Assert.Equal(["abs"], fs.List("/"));
        Assert.True(fs.FileExists("a/b/zeta/"));
        Assert.False(fs.FileExists("a/b")); // A directory is not a file.
        Assert.Equal("a/b", SimFileSystem.NormalizePath("a//b/"));
        Assert.Equal("/x", SimFileSystem.NormalizePath("//x/."));
        Assert.Equal(".", SimFileSystem.NormalizePath("./"));
        Assert.Throws<ArgumentException>(() => SimFileSystem.NormalizePath("../x"));
    }

    [Fact]
    public void CountersTrackOperationsAndBytes()
    {
        var fs = new SimFileSystem(1);
        using (var f = fs.Open("f", FileOpenMode.CreateNew))
        {
            f.Append(new byte[100]);
            f.WriteAt(10, new byte[20]);
            f.Sync();
            f.ReadAt(0, new byte[50]);
        }
        fs.SyncDirectory(".");
        var stats = fs.Stats;
        Assert.Equal(2, stats.Writes);
        Assert.Equal(120, stats.BytesWritten);
        Assert.Equal(1, stats.Syncs);
        Assert.Equal(1, stats.DirectorySyncs);
        Assert.Equal(1, stats.Reads);
        Assert.Equal(50, stats.BytesRead);
        Assert.Equal(1, stats.Opens);
        fs.ResetStats();
        Assert.Equal(0, fs.Stats.BytesWritten);
    }

    [Fact]
    public void CorruptByteAndFlipBitChangeCurrentAndDurableContents()
    {
        var fs = WithSyncedFile(1, "abcd");
        fs.FlipBit("db/f", 0, 5); // 'a' ^ 0x20 == 'A'
        Assert.Equal("Abcd", Text(fs, "db/f"));
        Assert.Equal("Abcd", Encoding.UTF8.GetString(fs.ReadDurable("db/f")));
        fs.CorruptByte("db/f", 2);
        byte corrupted = fs.ReadAll("db/f")[2];
        Assert.NotEqual((byte)'c', corrupted);
        fs.Crash();
        Assert.Equal(corrupted, fs.ReadAll("db/f")[2]); // The damage is on the media: it survives a crash.
        Assert.Throws<ArgumentOutOfRangeException>(() => fs.CorruptByte("db/f", 4));
        Assert.Throws<FileNotFoundException>(() => fs.FlipBit("db/none", 0, 0));
    }

    [Fact]
    public void CloneIsIndependentAndKeepsDurabilityState()
    {
        var fs = WithSyncedFile(1, "synced");
        using (var f = fs.Open("db/f", FileOpenMode.OpenExisting))
        {
            f.Append(Bytes("+unsynced"));
        }
        fs.Open("db/new", FileOpenMode.CreateNew).Dispose();
        var copy = fs.Clone(99);
        copy.Crash();
        Assert.Equal("synced", Text(copy, "db/f"));
        Assert.False(copy.FileExists("db/new"));
        Assert.Equal("synced+unsynced", Text(fs, "db/f")); // The original is untouched.
        Assert.True(fs.FileExists("db/new"));
    }

    [Fact]
    public void ConcurrentReadAtFromSeveralThreadsSeesConsistentBytes()
    {
        var fs = new SimFileSystem(1);
        var data = new byte[64 * 1024];
        new SeededRandom(5).NextBytes(data);
        using var f = fs.Open("f", FileOpenMode.CreateNew);
        f.WriteAt(0, data);
        int mismatches = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var random = new SeededRandom((ulong)worker);
            var buffer = new byte[512];
            for (int i = 0; i < 2000; i++)
            {
                int offset = random.Next(data.Length - buffer.Length);
                int n = f.ReadAt(offset, buffer);
                if (n != buffer.Length || !buffer.AsSpan().SequenceEqual(data.AsSpan(offset, buffer.Length)))
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        });
        Assert.Equal(0, mismatches);
        Assert.Equal(8 * 2000, fs.Stats.Reads);
    }

    /// <summary>
    /// Random writes, truncations, syncs and crashes against a simple model: current bytes, and the bytes as of the
    /// last sync. Checks the incremental sync (only dirty ranges are copied) against a full copy.
    /// </summary>
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void MatchesASimpleModelUnderRandomOperations(ulong seed)
    {
        var random = new SeededRandom(seed);
        var fs = new SimFileSystem(seed);
        fs.Open("f", FileOpenMode.CreateNew).Dispose();
        fs.SyncDirectory(".");
        var current = new List<byte>();
        byte[] durable = [];
        var f = fs.Open("f", FileOpenMode.OpenExisting);
        for (int step = 0; step < 2000; step++)
        {
            int choice = random.Next(100);
            if (choice < 40)
            {
                int offset = random.Next(current.Count + 50);
                var bytes = new byte[random.Next(1, 40)];
                random.NextBytes(bytes);
                f.WriteAt(offset, bytes);
                while (current.Count < offset + bytes.Length)
                {
                    current.Add(0);
                }
                for (int i = 0; i < bytes.Length; i++)
                {
                    current[offset + i] = bytes[i];
                }
            }
            else if (choice < 55)
            {
                int length = random.Next(current.Count + 30);
                f.Truncate(length);
                if (length < current.Count)
                {
                    current.RemoveRange(length, current.Count - length);
                }
                while (current.Count < length)
                {
                    current.Add(0);
                }
            }
            else if (choice < 75)
            {
                f.Sync();
                durable = [.. current];
            }
            else if (choice < 80)
            {
                fs.Crash();
                current = [.. durable];
                f = fs.Open("f", FileOpenMode.OpenExisting);
            }
            else
            {
                Assert.Equal(current.Count, f.Length);
            }
            Assert.Equal(durable, fs.ReadDurable("f"));
        }
        Assert.Equal(current.ToArray(), fs.ReadAll("f"));
        f.Dispose();
    }
}
