using Tusk.Storage.Cache;
using Tusk.Storage.Manifest;

namespace Tusk.Storage.Iterators;

/// <summary>
/// Iterates a sorted, non-overlapping level (L1 and below) as one sequence, opening one table at a time.
/// Single-threaded; the version holding the file list must stay pinned while this iterator lives.
/// </summary>
internal sealed class LevelIterator(TableCache tables, List<FileMetadata> files, bool fillCache) : InternalIterator
{
    private int _fileIndex = -1;
    private InternalIterator? _current;

    public override ReadOnlySpan<byte> Value => _current!.Value;

    public override void SeekToFirst()
    {
        Open(0);
        _current?.SeekToFirst();
        SkipForward();
    }

    public override void SeekToLast()
    {
        Open(files.Count - 1);
        _current?.SeekToLast();
        SkipBackward();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        Open(Version.FindFile(files, target));
        _current?.Seek(target);
        SkipForward();
    }

    public override void Next()
    {
        _current!.Next();
        SkipForward();
    }

    public override void Prev()
    {
        _current!.Prev();
        SkipBackward();
    }

    private void SkipForward()
    {
        while (_current != null && !_current.Valid)
        {
            Open(_fileIndex + 1);
            _current?.SeekToFirst();
        }
        PublishFrom(_current);
    }

    private void SkipBackward()
    {
        while (_current != null && !_current.Valid)
        {
            Open(_fileIndex - 1);
            _current?.SeekToLast();
        }
        PublishFrom(_current);
    }

    private void Open(int index)
    {
        if (index == _fileIndex && _current != null)
        {
            return;
        }
        _current?.Dispose();
        _current = null;
        _fileIndex = index;
        if (index < 0 || index >= files.Count)
        {
            return;
        }
        var reader = tables.Acquire(files[index]);
        try
        {
            _current = reader.NewIterator(fillCache);
        }
        finally
        {
            reader.Release();
        }
    }

    public override void Dispose()
    {
        _current?.Dispose();
        _current = null;
    }
}
