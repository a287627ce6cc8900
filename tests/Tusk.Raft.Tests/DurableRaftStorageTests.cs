using System.Text;
using Tusk.Core;
using Tusk.Core.IO;
using Tusk.Simulation;
using Xunit;

namespace Tusk.Raft.Tests;

/// <summary>
/// The durable Raft log on the fault-injecting file system: round trips through reopen, suffix replacement,
/// snapshot install and compaction, segment rolling, damage reported as <see cref="CorruptionException"/> with
/// the file, crashes at random points and in the middle of a compaction, and a <see cref="RaftNode"/> restarted
/// from it. <see cref="MemoryRaftStorage"/> driven with the same operations is the model.
/// </summary>
public sealed class DurableRaftStorageTests
{
    private const string Dir = "/raft/group-1";
    private const string LogDir = Dir + "/" + DurableRaftStorage.LogDirectoryName;
    private const string SnapshotPath = Dir + "/" + DurableRaftStorage.SnapshotFileName;

    private static readonly ConfState Voters123 = new([1, 2, 3], []);

    private static RaftEntry E(ulong term, ulong index, string data = "") => new(term, index, EntryType.Normal, Encoding.UTF8.GetBytes(data));

    private static List<RaftEntry> Run(ulong term, ulong from, ulong to) =>
        [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => E(term, (ulong)i, $"cmd-{i}-t{term}"))];

    private static RaftReady Ready(IReadOnlyList<RaftEntry>? entries = null, HardState? hardState = null, RaftSnapshot? snapshot = null) =>
        new() { Entries = entries ?? [], HardState = hardState, Snapshot = snapshot };

    private static RaftSnapshot Snap(ulong index, ulong term, string data) =>
        new(new SnapshotMetadata(index, term, Voters123), Encoding.UTF8.GetBytes(data));

    /// <summary>Applies a ready to the model the way <see cref="DurableRaftStorage.Save"/> applies it.</summary>
    private static void SaveTo(MemoryRaftStorage model, RaftReady ready)
    {
        if (ready.Snapshot is { } s) model.ApplySnapshot(s);
        model.Append(ready.Entries);
        if (ready.HardState is { } hs) model.SetHardState(hs);
    }

    private static string Describe(IRaftStorage s)
    {
        var text = new StringBuilder();
        text.Append($"snapshot [{s.SnapshotMetadata}] \"{Encoding.UTF8.GetString(s.GetSnapshot().Data.Span)}\" hs [{s.HardState}] entries [{s.FirstIndex}, {s.LastIndex}]:");
        if (s.LastIndex >= s.FirstIndex)
        {
            var entries = new List<RaftEntry>();
            s.GetEntries(s.FirstIndex, s.LastIndex + 1, long.MaxValue, entries);
            foreach (var e in entries) text.Append(' ').Append(e.Term).Append('/').Append(e.Index).Append('=').Append(Encoding.UTF8.GetString(e.Data.Span));
        }
        return text.ToString();
    }

    private static void AssertSameState(IRaftStorage expected, IRaftStorage actual)
    {
        Assert.Equal(expected.FirstIndex, actual.FirstIndex);
        Assert.Equal(expected.LastIndex, actual.LastIndex);
        Assert.Equal(expected.HardState, actual.HardState);
        Assert.Equal(expected.SnapshotMetadata, actual.SnapshotMetadata);
        for (var i = expected.SnapshotMetadata.Index; i <= expected.LastIndex; i++)
        {
            Assert.True(actual.TryGetTerm(i, out var term));
            expected.TryGetTerm(i, out var want);
            Assert.Equal(want, term);
        }
        Assert.Equal(Describe(expected), Describe(actual)); // entry data and snapshot data too
    }

    private static long FsyncCount(SimFileSystem fs) => fs.Stats.Syncs + fs.Stats.DirectorySyncs;

    [Fact]
    public void SavedReadiesSurviveReopenWithGroupCommit()
    {
        var fs = new SimFileSystem(1);
        fs.ResetStats();
        var model = new MemoryRaftStorage();
        int readies = 0;
        using (var storage = DurableRaftStorage.Open(fs, Dir))
        {
            ulong next = 1;
            for (ulong term = 1; term <= 5; term++)
            {
                for (var k = 0; k < 40; k++)
                {
                    var count = (ulong)(k % 3);
                    var entries = count == 0 ? [] : Run(term, next, next + count - 1);
                    next += count;
                    var ready = Ready(entries, new HardState(term, term % 3, next - 1 - count / 2));
                    storage.Save(ready);
                    SaveTo(model, ready);
                    readies++;
                    if (k % 8 == 7) storage.Sync(); // several readies per fsync
                }
            }
            storage.Sync();
            storage.Sync(); // nothing pending: no fsync
            AssertSameState(model, storage);
            Assert.Equal(FsyncCount(fs), storage.Syncs);
            Assert.Equal(fs.Stats.BytesWritten, storage.BytesWritten);
            Assert.True(storage.Syncs < readies / 4, $"{storage.Syncs} fsyncs for {readies} readies: saves are not grouped");
        }
        using var reopened = DurableRaftStorage.Open(fs, Dir);
        AssertSameState(model, reopened);
        Assert.Equal(195UL, reopened.LastIndex);
    }

    [Fact]
    public void UnsyncedSavesAreLostInACrashAndSyncedOnesKept()
    {
        var fs = new SimFileSystem(2);
        var model = new MemoryRaftStorage();
        var storage = DurableRaftStorage.Open(fs, Dir);
        var synced = Ready(Run(1, 1, 10), new HardState(1, 1, 5));
        storage.Save(synced);
        SaveTo(model, synced);
        storage.Sync();
        storage.Save(Ready(Run(1, 11, 20), new HardState(1, 1, 15)));
        fs.Crash();
        storage.Dispose();
        using var reopened = DurableRaftStorage.Open(fs, Dir);
        AssertSameState(model, reopened);
    }

    [Fact]
    public void AConflictingSuffixIsReplacedAndStaysReplacedAfterReopen()
    {
        var fs = new SimFileSystem(3);
        var model = new MemoryRaftStorage();
        using (var storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: 256))
        {
            foreach (var ready in new[]
            {
                Ready(Run(1, 1, 10), new HardState(1, 1, 4)),
                Ready(Run(2, 6, 8), new HardState(2, 2, 4)),   // a new leader overwrote 6..10 with 6..8
                Ready(Run(3, 8, 12), new HardState(3, 3, 7)),  // and another one 8..
                Ready(Run(3, 13, 13)),
            })
            {
                storage.Save(ready);
                SaveTo(model, ready);
            }
            storage.Sync();
            Assert.True(storage.Segments.Count > 1, "the replacement should span segments");
            AssertSameState(model, storage);
        }
        using var reopened = DurableRaftStorage.Open(fs, Dir);
        AssertSameState(model, reopened);
        Assert.True(reopened.TryGetTerm(7, out var t7) && t7 == 2);
        Assert.True(reopened.TryGetTerm(8, out var t8) && t8 == 3);
        Assert.Equal(13UL, reopened.LastIndex);
    }

    [Fact]
    public void AnInstalledSnapshotSurvivesReopenAndDropsTheOldLog()
    {
        var fs = new SimFileSystem(4);
        var model = new MemoryRaftStorage();
        using (var storage = DurableRaftStorage.Open(fs, Dir))
        {
            foreach (var ready in new[]
            {
                Ready(Run(1, 1, 20), new HardState(1, 1, 10)),
                // A leader of term 3 sends its snapshot at 15: our entry 15 has term 1, so the whole log goes.
                Ready(Run(3, 16, 18), new HardState(3, 0, 15), Snap(15, 3, "state@15")),
            })
            {
                storage.Save(ready);
                SaveTo(model, ready);
            }
            storage.Sync();
            AssertSameState(model, storage);
        }
        using (var reopened = DurableRaftStorage.Open(fs, Dir))
        {
            AssertSameState(model, reopened);
            Assert.Equal(16UL, reopened.FirstIndex);
            Assert.Equal("state@15", Encoding.UTF8.GetString(reopened.GetSnapshot().Data.Span));
            Assert.Equal(Voters123, reopened.SnapshotMetadata.Conf);
            // A second install past the end of the log.
            var ready = Ready(hardState: new HardState(4, 0, 40), snapshot: Snap(40, 4, "state@40"));
            reopened.Save(ready);
            SaveTo(model, ready);
            reopened.Sync();
        }
        using var again = DurableRaftStorage.Open(fs, Dir);
        AssertSameState(model, again);
        Assert.Equal(40UL, again.LastIndex);
    }

    [Fact]
    public void CompactionKeepsLaterEntriesDeletesOldSegmentsAndSurvivesReopen()
    {
        var fs = new SimFileSystem(5);
        var model = new MemoryRaftStorage();
        using (var storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: 512))
        {
            for (ulong i = 1; i <= 100; i += 5)
            {
                var ready = Ready(Run(2, i, i + 4), new HardState(2, 1, i + 4));
                storage.Save(ready);
                SaveTo(model, ready);
            }
            storage.Sync();
            Assert.True(storage.Segments.Count > 3);
            storage.CreateSnapshotAndCompact(60, Voters123, Encoding.UTF8.GetBytes("state@60"));
            model.CreateSnapshotAndCompact(60, Voters123, Encoding.UTF8.GetBytes("state@60"));
            Assert.Single(storage.Segments);
            Assert.Equal(new[] { storage.Segments[0].ToString("D6", null) + DurableRaftStorage.SegmentSuffix }, fs.List(LogDir));
            Assert.Equal(61UL, storage.FirstIndex);
            Assert.Equal(100UL, storage.LastIndex);
            AssertSameState(model, storage);
            var more = Ready(Run(2, 101, 110), new HardState(2, 1, 105));
            storage.Save(more);
            SaveTo(model, more);
            // Not synced by the host, but a compaction makes everything saved before it durable.
            storage.CreateSnapshotAndCompact(70, Voters123, Encoding.UTF8.GetBytes("state@70"));
            model.CreateSnapshotAndCompact(70, Voters123, Encoding.UTF8.GetBytes("state@70"));
            fs.Crash();
        }
        using (var reopened = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: 512))
        {
            AssertSameState(model, reopened);
            reopened.CreateSnapshotAndCompact(105, Voters123, Encoding.UTF8.GetBytes("state@105"));
            model.CreateSnapshotAndCompact(105, Voters123, Encoding.UTF8.GetBytes("state@105"));
            reopened.CreateSnapshotAndCompact(90, Voters123, Encoding.UTF8.GetBytes("older")); // behind the snapshot: ignored
        }
        using var again = DurableRaftStorage.Open(fs, Dir);
        AssertSameState(model, again);
        Assert.Equal(106UL, again.FirstIndex);
        Assert.Equal(110UL, again.LastIndex);
    }

    [Fact]
    public void SegmentsRollAtTheSizeLimit()
    {
        var fs = new SimFileSystem(6);
        var model = new MemoryRaftStorage();
        const long max = 200;
        using (var storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: max))
        {
            for (ulong i = 1; i <= 60; i++)
            {
                var ready = Ready([E(1, i, $"command number {i}")], new HardState(1, 1, i - 1));
                storage.Save(ready);
                SaveTo(model, ready);
            }
            storage.Sync();
            Assert.True(storage.Segments.Count >= 10, $"only {storage.Segments.Count} segments");
            foreach (var name in fs.List(LogDir))
            {
                using var f = fs.Open(LogDir + "/" + name, FileOpenMode.ReadOnly);
                Assert.True(f.Length <= max, $"{name} has {f.Length} bytes");
            }
            // An entry bigger than the limit still goes in (alone in its segment).
            var big = Ready([E(1, 61, new string('x', 1000))]);
            storage.Save(big);
            SaveTo(model, big);
            storage.Sync();
        }
        using var reopened = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: max);
        AssertSameState(model, reopened);
    }

    [Fact]
    public void ABatchLargerThanOneRecordIsSplitAndReadBack()
    {
        var fs = new SimFileSystem(7);
        var model = new MemoryRaftStorage();
        var data = new string('d', 200_000);
        using (var storage = DurableRaftStorage.Open(fs, Dir))
        {
            var ready = Ready([.. Enumerable.Range(1, 12).Select(i => E(1, (ulong)i, data + i))], new HardState(1, 1, 12));
            storage.Save(ready);
            SaveTo(model, ready);
            storage.Sync();
        }
        using var reopened = DurableRaftStorage.Open(fs, Dir);
        AssertSameState(model, reopened);
    }

    [Fact]
    public void ABitFlipInAClosedSegmentIsCorruptionNamingTheSegment()
    {
        var fs = new SimFileSystem(8);
        using (var storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: 300))
        {
            for (ulong i = 1; i <= 30; i++) storage.Save(Ready([E(1, i, $"entry {i}")], new HardState(1, 1, i)));
            storage.Sync();
            Assert.True(storage.Segments.Count > 2);
        }
        var first = fs.List(LogDir)[0];
        fs.FlipBit(LogDir + "/" + first, 30, 2);
        var e = Assert.Throws<CorruptionException>(() => DurableRaftStorage.Open(fs, Dir));
        Assert.EndsWith(first, e.FilePath);
        Assert.Contains(first, e.Message);
    }

    [Fact]
    public void ABitFlipInTheSnapshotFileIsCorruptionNamingTheFile()
    {
        foreach (var offset in new long[] { 3, 10, 13, 20, 40, 70 })
        {
            var fs = new SimFileSystem(9);
            using (var storage = DurableRaftStorage.Open(fs, Dir))
            {
                storage.Save(Ready(Run(1, 1, 10), new HardState(1, 1, 10)));
                storage.Sync();
                storage.CreateSnapshotAndCompact(8, Voters123, Encoding.UTF8.GetBytes("the state machine at index 8"));
            }
            fs.FlipBit(SnapshotPath, offset, 5);
            var e = Assert.Throws<CorruptionException>(() => DurableRaftStorage.Open(fs, Dir));
            Assert.Equal(SnapshotPath, e.FilePath);
            Assert.Contains(DurableRaftStorage.SnapshotFileName, e.Message);
        }
    }

    [Fact]
    public void AMissingSnapshotFileIsCorruption()
    {
        var fs = new SimFileSystem(10);
        using (var storage = DurableRaftStorage.Open(fs, Dir))
        {
            storage.Save(Ready(Run(1, 1, 10), new HardState(1, 1, 10)));
            storage.Sync();
            storage.CreateSnapshotAndCompact(8, Voters123, Encoding.UTF8.GetBytes("s"));
        }
        fs.Delete(SnapshotPath);
        var e = Assert.Throws<CorruptionException>(() => DurableRaftStorage.Open(fs, Dir));
        Assert.Contains("snapshot file missing or older than its marker", e.Message);
    }

    [Fact]
    public void AMissingMiddleSegmentIsCorruption()
    {
        var fs = new SimFileSystem(11);
        using (var storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: 300))
        {
            for (ulong i = 1; i <= 30; i++) storage.Save(Ready([E(1, i, $"entry {i}")]));
            storage.Sync();
        }
        var names = fs.List(LogDir);
        fs.Delete(LogDir + "/" + names[2]);
        var e = Assert.Throws<CorruptionException>(() => DurableRaftStorage.Open(fs, Dir));
        Assert.Contains("segment is missing", e.Message);
        Assert.Equal(LogDir + "/" + names[3], e.FilePath);
    }

    /// <summary>
    /// On a real file system the deletions after a compaction may reach the disk in any order, leaving an older
    /// segment behind a deleted one. The complete compaction segment after them restates everything, so the
    /// gap is harmless.
    /// </summary>
    [Fact]
    public void SegmentsLeftByAPartialDeletionAfterACompactionAreHarmless()
    {
        var fs = new SimFileSystem(12);
        var model = new MemoryRaftStorage();
        string survivor;
        byte[] survivorBytes;
        using (var storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: 300))
        {
            for (ulong i = 1; i <= 40; i++)
            {
                var ready = Ready([E(1, i, $"entry {i}")], new HardState(1, 1, i));
                storage.Save(ready);
                SaveTo(model, ready);
            }
            storage.Sync();
            survivor = fs.List(LogDir)[3];
            survivorBytes = fs.ReadAll(LogDir + "/" + survivor);
            storage.CreateSnapshotAndCompact(30, Voters123, Encoding.UTF8.GetBytes("s30"));
            model.CreateSnapshotAndCompact(30, Voters123, Encoding.UTF8.GetBytes("s30"));
            var more = Ready([E(2, 41, "after")], new HardState(2, 2, 41));
            storage.Save(more);
            SaveTo(model, more);
            storage.Sync();
        }
        fs.WriteAtomically(LogDir + "/" + survivor, survivorBytes);
        using var reopened = DurableRaftStorage.Open(fs, Dir);
        AssertSameState(model, reopened);
    }

    /// <summary>
    /// The snapshot file is durable before its marker is written. A crash between the two leaves a file newer than
    /// the log; the log's entries give way to it (their term at the snapshot's index differs), and that decision
    /// is written down so later entries do not look like a gap at the next open.
    /// </summary>
    [Fact]
    public void ASnapshotFileWhoseMarkerWasLostWinsAndStaysWon()
    {
        var fs = new SimFileSystem(13);
        var storage = DurableRaftStorage.Open(fs, Dir);
        storage.Save(Ready(Run(1, 1, 10), new HardState(1, 1, 5)));
        storage.Sync();
        fs.FaultPredicate = op => op.Kind == SimOperationKind.Append; // the marker write fails after the file is in place
        Assert.Throws<SimulatedFaultException>(() => storage.Save(Ready(hardState: new HardState(2, 0, 20), snapshot: Snap(20, 2, "state@20"))));
        Assert.Throws<IOException>(() => storage.Save(Ready(Run(2, 21, 21)))); // failed: refuses further writes
        fs.ClearFaults();
        fs.Crash(CrashOptions.TearWrites);
        storage.Dispose();

        var model = new MemoryRaftStorage();
        model.ApplySnapshot(Snap(20, 2, "state@20"));
        model.SetHardState(new HardState(1, 1, 5));
        using (var reopened = DurableRaftStorage.Open(fs, Dir))
        {
            AssertSameState(model, reopened);
            var ready = Ready(Run(2, 21, 25), new HardState(2, 0, 25));
            reopened.Save(ready);
            SaveTo(model, ready);
            reopened.Sync();
        }
        using var again = DurableRaftStorage.Open(fs, Dir);
        AssertSameState(model, again);
    }

    /// <summary>
    /// Crash during a compaction after each of its file-system mutations in turn (the k-th fails, so does every
    /// later one, then the power goes with torn writes). The compaction never changes the entries, so the
    /// recovered log is the same whichever side of it the crash fell on; the snapshot is the old or the new one.
    /// </summary>
    [Fact]
    public void ACrashAnywhereInACompactionRecoversTheSameLog()
    {
        for (var k = 0; ; k++)
        {
            var fs = new SimFileSystem((ulong)(100 + k));
            var model = new MemoryRaftStorage();
            var storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: 400);
            for (ulong i = 1; i <= 50; i += 5)
            {
                var ready = Ready(Run(3, i, i + 4), new HardState(3, 2, i + 4));
                storage.Save(ready);
                SaveTo(model, ready);
            }
            storage.Save(Ready(Run(3, 51, 52), new HardState(3, 2, 50)));
            SaveTo(model, Ready(Run(3, 51, 52), new HardState(3, 2, 50)));
            storage.Sync();
            var before = new MemoryRaftStorage();
            SaveTo(before, Ready(model.GetEntriesList(), model.HardState));
            fs.FailAfter(k, SimOperationKind.Mutations);
            bool completed = true;
            try
            {
                storage.CreateSnapshotAndCompact(40, Voters123, Encoding.UTF8.GetBytes("state@40"));
            }
            catch (IOException)
            {
                completed = false;
            }
            fs.ClearFaults();
            fs.Crash(k % 2 == 0 ? CrashOptions.TearWrites : CrashOptions.TearAndCorruptWrites);
            storage.Dispose();
            model.CreateSnapshotAndCompact(40, Voters123, Encoding.UTF8.GetBytes("state@40"));
            using (var reopened = DurableRaftStorage.Open(fs, Dir))
            {
                if (reopened.SnapshotMetadata.Index == 0) AssertSameState(before, reopened);
                else AssertSameState(model, reopened);
                if (completed) AssertSameState(model, reopened);
                // The recovered storage works: compact again and reopen.
                reopened.CreateSnapshotAndCompact(45, Voters123, Encoding.UTF8.GetBytes("state@45"));
            }
            using (var again = DurableRaftStorage.Open(fs, Dir))
            {
                Assert.Equal(46UL, again.FirstIndex);
                Assert.Equal(52UL, again.LastIndex);
            }
            if (completed) break;
            Assert.True(k < 100, "the compaction never completed");
        }
    }

    /// <summary>Seeds 1..40 by default; TUSK_RAFT_CRASH_SEEDS=N sweeps 1..N. A run is a pure function of its seed.</summary>
    public static IEnumerable<object[]> Seeds() =>
        Enumerable.Range(1, int.TryParse(Environment.GetEnvironmentVariable("TUSK_RAFT_CRASH_SEEDS"), out var n) ? n : 40).Select(i => new object[] { (ulong)i });

    /// <summary>
    /// Random saves, syncs, compactions and snapshot installs; the disk dies after a random number of mutations
    /// and the power goes (unsynced writes dropped or torn), three times per seed. The recovered state must be
    /// the model's state after some prefix of the attempted steps that includes the last synced one, with the
    /// snapshot file (which is durable before the log mentions it) applied by the documented rule: the log's
    /// entries after the snapshot stay if the log holds the snapshot's own entry, else they go.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void ACrashAtARandomPointRecoversEverySyncedStateAndNothingUnwritten(ulong seed)
    {
        var rng = new SeededRandom(seed);
        var fs = new SimFileSystem(seed);
        long segmentBytesMax = rng.Next(2) == 0 ? 300 : 1 << 20;
        var history = new List<State> { State.Of(new MemoryRaftStorage()) };
        var files = new List<State>(); // every snapshot file attempted (its snapshot fields)
        int lastSynced = 0;
        int deaths = 0;
        for (int cycle = 0; cycle < 3; cycle++)
        {
            DurableRaftStorage storage;
            try
            {
                storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"seed {seed} cycle {cycle}: open failed", e);
            }
            var recovered = State.Of(storage);
            Assert.True(Explains(history, lastSynced, files, recovered),
                $"seed {seed} cycle {cycle}: recovered {recovered} is not the state after any of steps {lastSynced}..{history.Count - 1}; "
                + $"last synced: {history[lastSynced]}, last attempted: {history[^1]}");

            var model = recovered.ToStorage();
            history = [recovered];
            files = recovered.SnapshotIndex > 0 ? [recovered] : [];
            lastSynced = 0;
            var gen = new Generator(rng, model);
            bool dead = false;
            for (int step = 0; step < 250 && !dead; step++)
            {
                if (step == 10) fs.FailAfter(rng.Next(0, 120), SimOperationKind.Mutations);
                try
                {
                    gen.Step(storage, model, history, files, ref lastSynced);
                }
                catch (IOException)
                {
                    dead = true;
                }
            }
            deaths += dead ? 1 : 0;
            int crash = rng.Next(3);
            fs.Crash(crash == 0 ? CrashOptions.DropUnsynced : crash == 1 ? CrashOptions.TearWrites : CrashOptions.TearAndCorruptWrites);
            fs.ClearFaults();
            storage.Dispose();
        }
        using var last = DurableRaftStorage.Open(fs, Dir, segmentBytesMax);
        Assert.True(Explains(history, lastSynced, files, State.Of(last)), $"seed {seed}: final recovery");
        Assert.True(deaths > 0, $"seed {seed}: the injected failure never fired");
    }

    /// <summary>True if <paramref name="recovered"/> is some step's state from <paramref name="from"/> on, reconciled with a snapshot file.</summary>
    private static bool Explains(List<State> history, int from, List<State> files, State recovered)
    {
        if (recovered.SnapshotIndex > 0
            && !files.Any(f => f.SnapshotIndex == recovered.SnapshotIndex && f.SnapshotTerm == recovered.SnapshotTerm && f.SnapshotData == recovered.SnapshotData))
        {
            return false;
        }
        for (int p = from; p < history.Count; p++)
        {
            var h = history[p];
            if (h.HardState != recovered.HardState) continue;
            if (h.SnapshotIndex == recovered.SnapshotIndex)
            {
                if (h.SnapshotTerm == recovered.SnapshotTerm && h.Entries.SequenceEqual(recovered.Entries)) return true;
                continue;
            }
            if (h.SnapshotIndex > recovered.SnapshotIndex) continue;
            // The snapshot file is newer than this step's log: entries after it stay iff the log holds its entry.
            bool holds = h.Entries.Any(e => e.Index == recovered.SnapshotIndex && e.Term == recovered.SnapshotTerm);
            var expected = holds ? h.Entries.Where(e => e.Index > recovered.SnapshotIndex) : [];
            if (expected.SequenceEqual(recovered.Entries)) return true;
        }
        return false;
    }

    /// <summary>An immutable copy of a storage's state.</summary>
    private sealed record State(ulong SnapshotIndex, ulong SnapshotTerm, string SnapshotData, HardState HardState, List<(ulong Term, ulong Index, string Data)> Entries)
    {
        public static State Of(IRaftStorage s)
        {
            var entries = new List<RaftEntry>();
            if (s.LastIndex >= s.FirstIndex) s.GetEntries(s.FirstIndex, s.LastIndex + 1, long.MaxValue, entries);
            return new State(s.SnapshotMetadata.Index, s.SnapshotMetadata.Term, Encoding.UTF8.GetString(s.GetSnapshot().Data.Span), s.HardState,
                [.. entries.Select(e => (e.Term, e.Index, Encoding.UTF8.GetString(e.Data.Span)))]);
        }

        public MemoryRaftStorage ToStorage()
        {
            var m = new MemoryRaftStorage();
            if (SnapshotIndex > 0) m.ApplySnapshot(new RaftSnapshot(new SnapshotMetadata(SnapshotIndex, SnapshotTerm, Voters123), Encoding.UTF8.GetBytes(SnapshotData)));
            m.Append([.. Entries.Select(e => E(e.Term, e.Index, e.Data))]);
            m.SetHardState(HardState);
            return m;
        }

        public override string ToString() =>
            $"snap {SnapshotIndex}/{SnapshotTerm} hs [{HardState}] entries {(Entries.Count == 0 ? "none" : $"{Entries[0].Index}..{Entries[^1].Index}")}";
    }

    /// <summary>Random operations that respect what a Raft host would do (commit only grows; conflicts only above it).</summary>
    private sealed class Generator
    {
        private readonly IRandom _rng;
        private ulong _term;
        private ulong _commit;
        private ulong _syncedCommit; // entries up to here are durable and never replaced: compaction may go that far

        public Generator(IRandom rng, MemoryRaftStorage model)
        {
            _rng = rng;
            _term = Math.Max(Math.Max(model.HardState.Term, model.SnapshotMetadata.Term), model.TryGetTerm(model.LastIndex, out var t) ? t : 0);
            _term = Math.Max(_term, 1);
            _commit = Math.Max(model.HardState.Commit, model.SnapshotMetadata.Index);
            _syncedCommit = _commit;
        }

        /// <summary>One random operation, recorded in the model and the history before the storage attempts it.</summary>
        public void Step(DurableRaftStorage storage, MemoryRaftStorage model, List<State> history, List<State> files, ref int lastSynced)
        {
            int r = _rng.Next(100);
            if (r < 50) SaveEntries(storage, model, history);
            else if (r < 67)
            {
                storage.Sync();
                lastSynced = history.Count - 1;
                _syncedCommit = Math.Max(_syncedCommit, Math.Min(_commit, model.HardState.Commit));
            }
            else if (r < 79) Compact(storage, model, history, files, ref lastSynced);
            else if (r < 85) Install(storage, model, history, files);
            else
            {
                var hs = new HardState(_term, (ulong)_rng.Next(4), _commit);
                Record(model, history, m => m.SetHardState(hs));
                storage.Save(Ready(hardState: hs));
            }
        }

        private static void Record(MemoryRaftStorage model, List<State> history, Action<MemoryRaftStorage> step)
        {
            step(model);
            history.Add(State.Of(model));
        }

        private void SaveEntries(DurableRaftStorage storage, MemoryRaftStorage model, List<State> history)
        {
            ulong first = model.LastIndex + 1;
            ulong low = Math.Max(_commit, model.SnapshotMetadata.Index) + 1;
            if (low <= model.LastIndex && _rng.Next(6) == 0)
            {
                first = low + (ulong)_rng.Next((int)(model.LastIndex - low + 1)); // a new leader replaces an uncommitted suffix
                _term++;
            }
            var entries = Run(_term, first, first + (ulong)_rng.Next(4));
            HardState? hs = null;
            if (_rng.Next(10) < 7)
            {
                var last = entries[^1].Index;
                _commit += (ulong)_rng.Next((int)(last - _commit + 1));
                hs = new HardState(_term, (ulong)_rng.Next(4), _commit);
            }
            // Each mutator writes its own records, so a crash can fall between them.
            Record(model, history, m => m.Append(entries));
            if (hs is { } h) Record(model, history, m => m.SetHardState(h));
            storage.Save(Ready(entries, hs));
        }

        private void Compact(DurableRaftStorage storage, MemoryRaftStorage model, List<State> history, List<State> files, ref int lastSynced)
        {
            ulong low = model.SnapshotMetadata.Index + 1;
            ulong high = Math.Min(_syncedCommit, model.LastIndex);
            if (low > high) return;
            ulong index = low + (ulong)_rng.Next((int)(high - low + 1));
            var data = Encoding.UTF8.GetBytes($"state@{index}");
            model.TryGetTerm(index, out var term);
            files.Add(new State(index, term, $"state@{index}", default, []));
            Record(model, history, m => m.CreateSnapshotAndCompact(index, Voters123, data));
            storage.CreateSnapshotAndCompact(index, Voters123, data);
            lastSynced = history.Count - 1; // a completed compaction leaves everything durable
        }

        private void Install(DurableRaftStorage storage, MemoryRaftStorage model, List<State> history, List<State> files)
        {
            // A leader's snapshot beyond our commit index; sometimes it agrees with our entry at that index.
            ulong low = Math.Max(_commit, model.SnapshotMetadata.Index) + 1;
            ulong index = low + (ulong)_rng.Next((int)(model.LastIndex + 4 - low));
            ulong term;
            if (index <= model.LastIndex && _rng.Next(2) == 0) model.TryGetTerm(index, out term);
            else term = ++_term;
            var snapshot = new RaftSnapshot(new SnapshotMetadata(index, term, Voters123), Encoding.UTF8.GetBytes($"installed@{index}"));
            var entries = _rng.Next(2) == 0 ? Run(_term, index + 1, index + 2) : [];
            _commit = index;
            var hs = new HardState(_term, 0, _commit);
            files.Add(new State(index, term, $"installed@{index}", default, []));
            Record(model, history, m => m.ApplySnapshot(snapshot));
            if (entries.Count > 0) Record(model, history, m => m.Append(entries));
            Record(model, history, m => m.SetHardState(hs));
            storage.Save(Ready(entries, hs, snapshot));
        }
    }

    // ---- a RaftNode over durable storage ----

    private static readonly RaftConfig SingleVoter = new() { Id = 1, InitialVoters = [1] };

    /// <summary>
    /// Handles readies until there are none, the way a host with group commit does: save every ready taken, one
    /// fsync, then report them persisted in order. Returns the committed entries handed out.
    /// </summary>
    private static List<RaftEntry> Drive(RaftNode node, DurableRaftStorage storage)
    {
        var committed = new List<RaftEntry>();
        while (node.HasReady)
        {
            var batch = new List<RaftReady>();
            while (node.HasReady && batch.Count < 4)
            {
                var ready = node.TakeReady();
                Assert.Empty(ready.Messages); // a single voter talks to nobody
                storage.Save(ready);
                batch.Add(ready);
                committed.AddRange(ready.CommittedEntries);
            }
            storage.Sync();
            foreach (var ready in batch) node.OnPersisted(ready);
        }
        return committed;
    }

    [Fact]
    public void ARaftNodeRestartedOnDurableStorageGetsItsCommittedEntriesBack()
    {
        var fs = new SimFileSystem(20);
        var commands = Enumerable.Range(1, 50).Select(i => $"set k{i} = {i}").ToList();
        ulong commitIndex;
        using (var storage = DurableRaftStorage.Open(fs, Dir))
        {
            var node = new RaftNode(SingleVoter, storage, new SeededRandom(1));
            Drive(node, storage);
            node.Campaign();
            Drive(node, storage);
            Assert.Equal(RaftRole.Leader, node.Role);
            var applied = new List<RaftEntry>();
            for (var i = 0; i < commands.Count; i++)
            {
                Assert.True(node.Propose(Encoding.UTF8.GetBytes(commands[i])).IsOk);
                if (i % 3 == 2 || i == commands.Count - 1) applied.AddRange(Drive(node, storage));
            }
            Assert.Equal(commands, Commands(applied));
            commitIndex = node.CommitIndex;
            Assert.Equal(node.LastIndex, commitIndex);
        }
        fs.Crash(CrashOptions.TearWrites); // everything was synced: nothing to lose

        using var reopened = DurableRaftStorage.Open(fs, Dir);
        var restarted = new RaftNode(SingleVoter, reopened, new SeededRandom(2));
        Assert.Equal(commitIndex, restarted.CommitIndex);
        Assert.Equal(commitIndex, reopened.HardState.Commit);
        Assert.Equal(commands, Commands(Drive(restarted, reopened)));
    }

    [Fact]
    public void ARaftNodeRestartsFromACompactedDurableLog()
    {
        var fs = new SimFileSystem(21);
        var applied = new List<string>();
        using (var storage = DurableRaftStorage.Open(fs, Dir, segmentBytesMax: 1024))
        {
            var node = new RaftNode(SingleVoter, storage, new SeededRandom(1));
            Drive(node, storage);
            node.Campaign();
            Drive(node, storage);
            ulong appliedIndex = 0;
            for (var i = 1; i <= 50; i++)
            {
                node.Propose(Encoding.UTF8.GetBytes($"cmd {i}"));
                var done = Drive(node, storage);
                applied.AddRange(Commands(done));
                if (done.Count > 0) appliedIndex = done[^1].Index;
                if (i == 30) storage.CreateSnapshotAndCompact(appliedIndex, node.Conf, Encoding.UTF8.GetBytes(string.Join("\n", applied)));
            }
        }
        using var reopened = DurableRaftStorage.Open(fs, Dir);
        var restarted = new RaftNode(SingleVoter, reopened, new SeededRandom(2));
        var state = Encoding.UTF8.GetString(reopened.GetSnapshot().Data.Span).Split('\n').ToList();
        state.AddRange(Commands(Drive(restarted, reopened)));
        Assert.Equal(applied, state);
        Assert.Equal(50, state.Count);
        Assert.Equal(new ConfState([1], []), reopened.SnapshotMetadata.Conf);
    }

    private static List<string> Commands(IEnumerable<RaftEntry> entries) =>
        [.. entries.Where(e => e.Type == EntryType.Normal && !e.Data.IsEmpty).Select(e => Encoding.UTF8.GetString(e.Data.Span))];
}

internal static class MemoryRaftStorageTestExtensions
{
    public static List<RaftEntry> GetEntriesList(this MemoryRaftStorage s)
    {
        var entries = new List<RaftEntry>();
        if (s.LastIndex >= s.FirstIndex) s.GetEntries(s.FirstIndex, s.LastIndex + 1, long.MaxValue, entries);
        return entries;
    }
}
