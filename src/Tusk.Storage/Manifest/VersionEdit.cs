using Tusk.Core;

namespace Tusk.Storage.Manifest;

/// <summary>
/// A change to the set of live files, recorded in the manifest. Encoding: a sequence of fields, each a varint
/// tag followed by its data (varints and length-prefixed byte strings):
/// <code>
///   1 log number | 2 next file number | 3 last sequence | 4 deleted file (level, number)
///   5 new file (level, number, size, smallest, largest, smallest seq, largest seq, flags)
/// </code>
/// An unknown tag is corruption: a newer format must bump the manifest version, not be skipped silently.
/// </summary>
internal sealed class VersionEdit
{
    private const int TagLogNumber = 1;
    private const int TagNextFileNumber = 2;
    private const int TagLastSequence = 3;
    private const int TagDeletedFile = 4;
    private const int TagNewFile = 5;

    public ulong? LogNumber { get; set; }
    public ulong? NextFileNumber { get; set; }
    public ulong? LastSequence { get; set; }
    public List<(int Level, ulong Number)> DeletedFiles { get; } = [];
    public List<(int Level, FileMetadata File)> NewFiles { get; } = [];

    public void AddFile(int level, FileMetadata file) => NewFiles.Add((level, file));

    public void DeleteFile(int level, ulong number) => DeletedFiles.Add((level, number));

    public byte[] Encode()
    {
        var w = new List<byte>(256);
        void V(ulong v)
        {
            Span<byte> b = stackalloc byte[Varint.MaxLength64];
            int n = Varint.Write(b, v);
            for (int i = 0; i < n; i++)
            {
                w.Add(b[i]);
            }
        }
        void B(byte[] bytes)
        {
            V((ulong)bytes.Length);
            w.AddRange(bytes);
        }
        if (LogNumber is { } log)
        {
            V(TagLogNumber);
            V(log);
        }
        if (NextFileNumber is { } next)
        {
            V(TagNextFileNumber);
            V(next);
        }
        if (LastSequence is { } last)
        {
            V(TagLastSequence);
            V(last);
        }
        foreach (var (level, number) in DeletedFiles)
        {
            V(TagDeletedFile);
            V((ulong)level);
            V(number);
        }
        foreach (var (level, f) in NewFiles)
        {
            V(TagNewFile);
            V((ulong)level);
            V(f.Number);
            V((ulong)f.Size);
            B(f.Smallest);
            B(f.Largest);
            V(f.SmallestSequence);
            V(f.LargestSequence);
            V(f.HasRangeTombstones ? 1UL : 0UL);
        }
        return [.. w];
    }

    public static VersionEdit Decode(ReadOnlySpan<byte> s, string path, long offset)
    {
        var edit = new VersionEdit();
        int pos = 0;
        while (pos < s.Length)
        {
            ulong tag = ReadVarint(s, ref pos, path, offset);
            switch (tag)
            {
                case TagLogNumber:
                    edit.LogNumber = ReadVarint(s, ref pos, path, offset);
                    break;
                case TagNextFileNumber:
                    edit.NextFileNumber = ReadVarint(s, ref pos, path, offset);
                    break;
                case TagLastSequence:
                    edit.LastSequence = ReadVarint(s, ref pos, path, offset);
                    break;
                case TagDeletedFile:
                    int deletedLevel = CheckLevel(ReadVarint(s, ref pos, path, offset), path, offset);
                    edit.DeletedFiles.Add((deletedLevel, ReadVarint(s, ref pos, path, offset)));
                    break;
                case TagNewFile:
                    int level = CheckLevel(ReadVarint(s, ref pos, path, offset), path, offset);
                    var f = new FileMetadata
                    {
                        Number = ReadVarint(s, ref pos, path, offset),
                        Size = (long)ReadVarint(s, ref pos, path, offset),
                        Smallest = ReadKey(s, ref pos, path, offset),
                        Largest = ReadKey(s, ref pos, path, offset),
                        SmallestSequence = ReadVarint(s, ref pos, path, offset),
                        LargestSequence = ReadVarint(s, ref pos, path, offset),
                        HasRangeTombstones = ReadVarint(s, ref pos, path, offset) != 0,
                    };
                    edit.NewFiles.Add((level, f));
                    break;
                default:
                    CorruptionException.Throw(path, offset, $"unknown version edit tag {tag}");
                    break;
            }
        }
        return edit;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> s, ref int pos, string path, long offset)
    {
        int n = Varint.TryRead(s[pos..], out ulong v);
        if (n == 0)
        {
            CorruptionException.Throw(path, offset, "malformed varint in version edit");
        }
        pos += n;
        return v;
    }

    private static byte[] ReadKey(ReadOnlySpan<byte> s, ref int pos, string path, long offset)
    {
        ulong length = ReadVarint(s, ref pos, path, offset);
        if (length > (ulong)(s.Length - pos) || length < InternalKey.TrailerLength)
        {
            CorruptionException.Throw(path, offset, "malformed key in version edit");
        }
        var bytes = s.Slice(pos, (int)length).ToArray();
        pos += (int)length;
        return bytes;
    }

    private static int CheckLevel(ulong level, string path, long offset)
    {
        if (level >= Version.MaxLevels)
        {
            CorruptionException.Throw(path, offset, $"level {level} out of range in version edit");
        }
        return (int)level;
    }
}
