using Tusk.Core;
using Tusk.Core.IO;

namespace Tusk.Streams.Log;

/// <summary>
/// One segment file of a partition and what the log knows about it: the batches in
/// [<see cref="BaseOffset"/>, <see cref="NextOffset"/>) occupy its first <see cref="SizeBytes"/> bytes.
///
/// Threading: the mutable fields are protected by the owning <see cref="PartitionLog"/>'s lock and change only
/// while the segment is active (or when recovery builds it). The file handle is reference counted: the log's
/// segment list holds one reference, and a reader or syncer takes one (under the log's lock) for the time it uses
/// the handle outside the lock, so retention and compaction can drop a segment while a read is still copying
/// from it. The last <see cref="Release"/> closes the file.
/// </summary>
internal sealed class LogSegment
{
    private int _references = 1;

    public LogSegment(long baseOffset, string path, IFileHandle file, SegmentIndex index)
    {
        BaseOffset = baseOffset;
        Path = path;
        Handle = file;
        Index = index;
        NextOffset = baseOffset;
    }

    /// <summary>Offset of the segment's first possible record; its file name.</summary>
    public long BaseOffset { get; }

    public string Path { get; }

    public IFileHandle Handle { get; }

    /// <summary>Sparse offset and time indexes. Protected by the log's lock.</summary>
    public SegmentIndex Index { get; }

    /// <summary>Bytes of whole batches. Invariant: ≤ File.Length, and a batch boundary.</summary>
    public long SizeBytes { get; set; }

    /// <summary>The offset after the segment's last batch (for a closed segment: the next segment's base).</summary>
    public long NextOffset { get; set; }

    /// <summary>Largest batch max timestamp (-1 while empty): what time retention compares.</summary>
    public long MaxTimestampMs { get; set; } = -1;

    /// <summary>Host time of the last append (-1 unknown): where the tombstone horizon starts.</summary>
    public long LastAppendMs { get; set; } = -1;

    /// <summary>Host time of the first append since the segment became active (-1: none yet): where segment.ms counts from.</summary>
    public long FirstAppendMs { get; set; } = -1;

    /// <summary>True once the segment's directory entry is known durable (a directory fsync ran after it was created).</summary>
    public bool EntryDurable { get; set; }

    /// <summary>The facts the <c>.index</c> footer records.</summary>
    public SegmentFooter Footer => new(BaseOffset, NextOffset, SizeBytes, MaxTimestampMs, LastAppendMs);

    /// <summary>Records a batch written at <paramref name="position"/> (in file order).</summary>
    public void OnBatch(in BatchHeader header, long position, int indexIntervalBytes)
    {
        Invariant.Check(position == SizeBytes && header.BaseOffset >= NextOffset, "batches must be added in order");
        Index.Add(checked((int)(header.BaseOffset - BaseOffset)), checked((int)position), header.TotalBytes, header.MaxTimestamp, indexIntervalBytes);
        SizeBytes = position + header.TotalBytes;
        NextOffset = header.NextOffset;
        MaxTimestampMs = Math.Max(MaxTimestampMs, header.MaxTimestamp);
    }

    /// <summary>Takes a reference for use outside the log's lock; false when the segment was already dropped.</summary>
    public bool TryAcquire() => RefCount.TryIncrement(ref _references);

    /// <summary>Gives back a reference; the last one closes the file.</summary>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        Invariant.Check(left >= 0, "segment released more often than acquired");
        if (left == 0)
        {
            Handle.Dispose();
        }
    }
}
