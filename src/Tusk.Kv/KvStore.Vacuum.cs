using Tusk.Core;
using Tusk.Storage;

namespace Tusk.Kv;

/// <summary>Garbage collection of versions no snapshot can see.</summary>
public sealed partial class KvStore
{
    private readonly object _vacuumLock = new();
    private byte[]? _vacuumCursor; // Where the next pass starts (a key prefix); null: the start. Protected by _vacuumLock.

    /// <summary>
    /// Removes versions that no live or future transaction can read, examining at most about
    /// <paramref name="versionsToExamineMax"/> versions (it always finishes the user key it is on), and continues
    /// where the previous call stopped; call it until <see cref="VacuumResult.PassCompleted"/> for a full pass.
    ///
    /// <para>Rule: let h be the horizon, the oldest read timestamp of a live transaction (the visible timestamp when
    /// there is none); no transaction reads below it now or later. For each user key, the newest version at or
    /// below h is what every reader at or after h sees when it has no newer version; versions older than it are
    /// invisible to all of them and are removed. That newest version is kept, unless it is a tombstone: then it
    /// goes too, since with everything older gone, a reader finds no version, which means "absent" just as the
    /// tombstone did. Versions above h are never touched, and commits in flight have timestamps above h.</para>
    ///
    /// <para>The removals are one engine write without fsync: losing it in a crash only means doing it again.
    /// Thread-safe; passes are serialized.</para>
    /// </summary>
    public VacuumResult Vacuum(int versionsToExamineMax = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(versionsToExamineMax, 1);
        lock (_vacuumLock)
        {
            ulong horizon;
            lock (_mutex)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                horizon = HorizonLocked();
            }
            // The iterator is created after the horizon was read: it holds every version at or below the horizon.
            using var it = _engine.NewIterator();
            it.Seek(_vacuumCursor ?? [MvccEncoding.DataPrefix]);
            var batch = new WriteBatch();
            byte[] current = new byte[64];
            int currentLength = -1;
            bool keptNewestAtHorizon = false;
            int examined = 0;
            int removed = 0;
            bool completed = true;
            for (; it.Valid; it.Next())
            {
                var key = it.Key;
                if (key[0] >= MvccEncoding.DataEnd)
                {
                    break;
                }
                if (!MvccEncoding.IsVersionKey(key))
                {
                    throw new FormatException($"engine key of {key.Length} bytes in the MVCC data space is not a version key");
                }
                var prefix = MvccEncoding.PrefixOf(key);
                if (currentLength < 0 || !prefix.SequenceEqual(current.AsSpan(0, currentLength)))
                {
                    if (examined >= versionsToExamineMax)
                    {
                        _vacuumCursor = prefix.ToArray();
                        completed = false;
                        break;
                    }
                    if (current.Length < prefix.Length)
                    {
                        current = new byte[prefix.Length * 2];
                    }
                    prefix.CopyTo(current);
                    currentLength = prefix.Length;
                    keptNewestAtHorizon = false;
                }
                examined++;
                if (MvccEncoding.TimestampOf(key).Value > horizon)
                {
                    continue; // some reader may see it
                }
                if (!keptNewestAtHorizon)
                {
                    keptNewestAtHorizon = true;
                    if (MvccEncoding.TryDecodeValue(it.Value, out _))
                    {
                        continue; // the newest version at or below the horizon: what readers at the horizon see
                    }
                }
                batch.Delete(key);
                removed++;
            }
            if (completed)
            {
                _vacuumCursor = null;
            }
            if (batch.Count > 0)
            {
                _engine.Write(batch, WriteOptions.Default);
            }
            return new VacuumResult(examined, removed, new HlcTimestamp(horizon), completed);
        }
    }

    /// <summary>Every version of <paramref name="userKey"/> in the engine, newest first (tests and tools).</summary>
    internal List<(HlcTimestamp Timestamp, byte[]? Value)> Versions(ReadOnlySpan<byte> userKey)
    {
        var result = new List<(HlcTimestamp, byte[]?)>();
        byte[] prefix = MvccEncoding.EncodePrefix(userKey);
        using var it = _engine.NewIterator();
        for (it.Seek(prefix); it.Valid && it.Key.StartsWith(prefix); it.Next())
        {
            result.Add((MvccEncoding.TimestampOf(it.Key), MvccEncoding.TryDecodeValue(it.Value, out var v) ? v.ToArray() : null));
        }
        return result;
    }

    /// <summary>Number of version keys in the engine (tests and tools).</summary>
    internal long CountVersions()
    {
        long n = 0;
        using var it = _engine.NewIterator();
        for (it.Seek([MvccEncoding.DataPrefix]); it.Valid && it.Key[0] < MvccEncoding.DataEnd; it.Next())
        {
            n++;
        }
        return n;
    }
}
