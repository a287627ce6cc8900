using Tusk.Core.IO;
using Tusk.Storage.Cache;
using Tusk.Storage.Iterators;
using Tusk.Storage.Manifest;
using Tusk.Storage.Sstable;

namespace Tusk.Storage.Compaction;

/// <summary>
/// Carries out a <see cref="CompactionPlan"/>: merges the inputs, drops what no reader can see any more, and
/// writes output tables of about <see cref="StorageOptions.TargetFileSizeBytes"/>. Runs without engine locks.
///
/// What is dropped (S = the oldest live snapshot, or the last sequence when there is none):
/// - an older version of a key whose newer version has sequence ≤ S (no snapshot can see the older one);
/// - a point deletion with sequence ≤ S when no deeper level can hold the key (the bottom for that key);
/// - an entry covered by an input range tombstone with sequence in (entry, S];
/// - a range tombstone with sequence ≤ S when no deeper level overlaps its range.
/// Range tombstones are cut at output-table boundaries so that tables in one level never overlap: a table
/// that ends inside a tombstone gets an exclusive upper bound (see <see cref="FileMetadata.LargestIsExclusive"/>).
/// </summary>
internal sealed class CompactionJob(
    IFileSystem fs,
    TableCache tables,
    StorageOptions options,
    Func<ulong> newFileNumber,
    Version version,
    CompactionPlan plan,
    ulong smallestSnapshot,
    Func<bool>? shouldStop = null)
{
    private readonly List<FileMetadata> _outputs = [];
    private TableBuilder? _builder;
    private ulong _builderNumber;
    private byte[]? _lowerBound; // user key where the current output's range starts (null = unbounded)
    private FragmentedTombstones _tombstones = FragmentedTombstones.Empty;

    public long BytesRead { get; private set; }

    public long BytesWritten { get; private set; }

    /// <summary>Runs the merge; returns the new tables (already synced). On failure deletes what it wrote.</summary>
    public List<FileMetadata> Run()
    {
        try
        {
            return RunCore();
        }
        catch
        {
            _builder?.Dispose();
            _builder = null;
            foreach (var f in _outputs)
            {
                fs.Delete(tables.TablePath(f.Number));
            }
            if (_builderNumber != 0)
            {
                fs.Delete(tables.TablePath(_builderNumber));
            }
            throw;
        }
    }

    private List<FileMetadata> RunCore()
    {
        var children = new List<InternalIterator>();
        var inputTombstones = new List<RangeTombstone>();
        try
        {
            foreach (var f in plan.AllInputs)
            {
                var reader = tables.Acquire(f);
                try
                {
                    children.Add(reader.NewIterator(fillCache: false));
                    inputTombstones.AddRange(reader.RangeTombstones);
                }
                finally
                {
                    reader.Release();
                }
                BytesRead += f.Size;
            }
        }
        catch
        {
            foreach (var c in children)
            {
                c.Dispose();
            }
            throw;
        }
        _tombstones = FragmentedTombstones.Build(inputTombstones);
        using var merged = new MergingIterator([.. children]);
        byte[] currentUserKey = new byte[64];
        int currentUserKeyLength = -1;
        ulong lastSequenceForKey = ulong.MaxValue;
        long entries = 0;
        for (merged.SeekToFirst(); merged.Valid; merged.Next())
        {
            if ((++entries & 0xFFF) == 0 && shouldStop != null && shouldStop())
            {
                throw new OperationCanceledException("compaction stopped: the engine is closing");
            }
            var key = merged.Key;
            var userKey = InternalKey.UserKey(key);
            ulong trailer = InternalKey.TrailerOf(key);
            ulong sequence = trailer >> 8;
            var kind = (EntryKind)(byte)trailer;
            if (currentUserKeyLength < 0 || !userKey.SequenceEqual(currentUserKey.AsSpan(0, currentUserKeyLength)))
            {
                if (_builder != null && _builder.EstimatedSize >= options.TargetFileSizeBytes)
                {
                    FinishOutput(userKey.ToArray());
                }
                if (currentUserKey.Length < userKey.Length)
                {
                    currentUserKey = new byte[userKey.Length * 2];
                }
                userKey.CopyTo(currentUserKey);
                currentUserKeyLength = userKey.Length;
                lastSequenceForKey = ulong.MaxValue;
            }
            bool drop;
            if (lastSequenceForKey <= smallestSnapshot)
            {
                drop = true; // shadowed by a newer version every snapshot sees
            }
            else if (kind == EntryKind.Delete && sequence <= smallestSnapshot && IsBottomFor(userKey, userKey))
            {
                drop = true; // nothing older below to hide
            }
            else
            {
                drop = !_tombstones.IsEmpty && _tombstones.MaxCoveringSequence(userKey, smallestSnapshot) > sequence;
            }
            lastSequenceForKey = sequence;
            if (!drop)
            {
                OpenOutputIfNeeded();
                _builder!.Add(key, merged.Value);
            }
        }
        FinishOutput(null);
        return _outputs;
    }

    private void OpenOutputIfNeeded()
    {
        if (_builder != null)
        {
            return;
        }
        _builderNumber = newFileNumber();
        var file = fs.Open(tables.TablePath(_builderNumber), FileOpenMode.CreateNew);
        _builder = new TableBuilder(file, options.BlockSizeBytes, options.BlockRestartInterval, options.BloomBitsPerKey);
    }

    /// <summary>Adds the tombstones for [lower bound, <paramref name="upperBound"/>) and finishes the current output.</summary>
    private void FinishOutput(byte[]? upperBound)
    {
        EmitTombstones(upperBound);
        if (_builder == null)
        {
            _lowerBound = upperBound;
            return;
        }
        var builder = _builder;
        long size = builder.Finish();
        var props = builder.Properties;
        _outputs.Add(new FileMetadata
        {
            Number = _builderNumber,
            Size = size,
            Smallest = builder.Smallest!,
            Largest = builder.Largest!,
            SmallestSequence = props.SmallestSequence,
            LargestSequence = props.LargestSequence,
            HasRangeTombstones = props.RangeDeletionCount > 0,
        });
        BytesWritten += size;
        builder.Dispose();
        _builder = null;
        _builderNumber = 0;
        _lowerBound = upperBound;
    }

    private void EmitTombstones(byte[]? upperBound)
    {
        if (_tombstones.IsEmpty)
        {
            return;
        }
        // Per fragment keep every sequence above the oldest snapshot, and the newest one at or below it.
        byte[]? lastStart = null;
        bool keptOldVisible = false;
        foreach (var t in _tombstones.Fragments())
        {
            if (lastStart == null || !ReferenceEquals(lastStart, t.Start))
            {
                lastStart = t.Start;
                keptOldVisible = false;
            }
            if (t.Sequence <= smallestSnapshot)
            {
                if (keptOldVisible)
                {
                    continue;
                }
                keptOldVisible = true;
                if (IsBottomFor(t.Start, t.End))
                {
                    continue; // nothing below to delete
                }
            }
            byte[] start = _lowerBound != null && _lowerBound.AsSpan().SequenceCompareTo(t.Start) > 0 ? _lowerBound : t.Start;
            byte[] end = upperBound != null && upperBound.AsSpan().SequenceCompareTo(t.End) < 0 ? upperBound : t.End;
            if (start.AsSpan().SequenceCompareTo(end) >= 0)
            {
                continue;
            }
            OpenOutputIfNeeded();
            _builder!.AddRangeTombstone(new RangeTombstone(start, end, t.Sequence));
        }
    }

    /// <summary>True when no level below the output level has a table overlapping [begin, end] (user keys, inclusive).</summary>
    private bool IsBottomFor(ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end)
    {
        for (int level = plan.OutputLevel + 1; level < Version.MaxLevels; level++)
        {
            foreach (var f in version.Files[level])
            {
                if (f.Overlaps(begin, true, end, true))
                {
                    return false;
                }
            }
        }
        return true;
    }
}
