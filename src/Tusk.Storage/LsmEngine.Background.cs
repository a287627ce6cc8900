using Tusk.Core;
using Tusk.Storage.Compaction;
using Tusk.Storage.Manifest;

namespace Tusk.Storage;

/// <summary>Background work: flushing memtables to L0 and compacting levels.</summary>
public sealed partial class LsmEngine
{
    private readonly byte[]?[] _compactPointers;
    private bool _flushScheduled;      // Protected by _mutex.
    private bool _flushRunning;        // Protected by _mutex.
    private bool _compactionScheduled; // Protected by _mutex.
    private bool _compactionRunning;   // Protected by _mutex.
    private int _manualCompactions;    // Protected by _mutex; automatic picking pauses while > 0.

    /// <summary>Schedules a flush or compaction when one is needed and none is queued. Caller holds _mutex.</summary>
    private void MaybeScheduleWork()
    {
        if (_closed || _backgroundError != null)
        {
            return;
        }
        if (!_flushScheduled && _imms.Count > 0)
        {
            _flushScheduled = true;
            _scheduler.Schedule(BackgroundFlush);
        }
        if (!_compactionScheduled && _manualCompactions == 0 && _versions.Current.CompactionScore >= 1)
        {
            _compactionScheduled = true;
            _scheduler.Schedule(BackgroundCompaction);
        }
    }

    private void BackgroundFlush()
    {
        Memtable.Memtable imm;
        ulong nextLogNumber;
        lock (_mutex)
        {
            _flushScheduled = false;
            if (_closed || _backgroundError != null || _imms.Count == 0 || _flushRunning)
            {
                Monitor.PulseAll(_mutex);
                return;
            }
            _flushRunning = true;
            imm = _imms[^1];
            // WAL segments before the next-oldest memtable's are no longer needed once imm is in a table.
            nextLogNumber = _imms.Count > 1 ? _imms[^2].LogNumber : _mem.LogNumber;
        }
        try
        {
            var edit = new VersionEdit { LogNumber = nextLogNumber };
            if (!imm.IsEmpty)
            {
                edit.AddFile(0, WriteLevel0Table(imm));
            }
            try
            {
                _versions.LogAndApply(edit, Volatile.Read(ref _lastSequence));
            }
            catch
            {
                foreach (var (_, f) in edit.NewFiles)
                {
                    DeleteUnusedTable(f.Number);
                }
                throw;
            }
            _versions.ReleasePendingOutputs(edit.NewFiles.Select(x => x.File.Number));
            lock (_mutex)
            {
                Invariant.Check(ReferenceEquals(_imms[^1], imm), "flushed memtable is no longer the oldest");
                _imms.RemoveAt(_imms.Count - 1);
                InstallSuperVersion();
                imm.Unref();
                _wal.DeleteSegmentsBefore(nextLogNumber);
            }
        }
        catch (Exception e)
        {
            Fail("flush", e);
        }
        finally
        {
            DeleteObsoleteFiles(); // before clearing the flag: Dispose waits for it, then closes the directory
            lock (_mutex)
            {
                _flushRunning = false;
                MaybeScheduleWork();
                Monitor.PulseAll(_mutex);
            }
        }
    }

    private void BackgroundCompaction()
    {
        CompactionPlan? plan;
        lock (_mutex)
        {
            _compactionScheduled = false;
            if (_closed || _backgroundError != null || _compactionRunning || _manualCompactions > 0)
            {
                Monitor.PulseAll(_mutex);
                return;
            }
            plan = CompactionPicker.Pick(_versions.Current, _options, _compactPointers);
            if (plan == null)
            {
                return;
            }
            _compactionRunning = true;
        }
        try
        {
            RunCompaction(plan);
        }
        catch (Exception e)
        {
            Fail("compaction", e);
        }
        finally
        {
            DeleteObsoleteFiles(); // before clearing the flag: Dispose waits for it, then closes the directory
            lock (_mutex)
            {
                _compactionRunning = false;
                MaybeScheduleWork();
                Monitor.PulseAll(_mutex);
            }
        }
    }

    /// <summary>Executes a plan and installs its result. Caller has set _compactionRunning.</summary>
    private void RunCompaction(CompactionPlan plan)
    {
        ulong smallestSnapshot;
        Version version;
        lock (_mutex)
        {
            foreach (var f in plan.AllInputs)
            {
                Invariant.Check(!f.BeingCompacted, "file picked twice for compaction");
                f.BeingCompacted = true;
            }
            smallestSnapshot = SmallestSnapshot();
            version = _versions.AcquireCurrent();
        }
        try
        {
            var edit = new VersionEdit();
            foreach (var f in plan.Inputs)
            {
                edit.DeleteFile(plan.Level, f.Number);
            }
            foreach (var f in plan.OutputLevelInputs)
            {
                edit.DeleteFile(plan.OutputLevel, f.Number);
            }
            if (plan.IsTrivialMove)
            {
                edit.AddFile(plan.OutputLevel, plan.Inputs[0]);
                _versions.LogAndApply(edit, Volatile.Read(ref _lastSequence));
                _stats.AddTrivialMove();
            }
            else
            {
                var allocated = new List<ulong>();
                var job = new CompactionJob(_fs, _tables, _options, () =>
                {
                    ulong n = _versions.NewTableNumber();
                    allocated.Add(n);
                    return n;
                }, version, plan, smallestSnapshot, () => Volatile.Read(ref _closed));
                try
                {
                    var outputs = job.Run();
                    if (outputs.Count > 0)
                    {
                        _fs.SyncDirectory(Directory);
                    }
                    foreach (var f in outputs)
                    {
                        edit.AddFile(plan.OutputLevel, f);
                    }
                    _versions.LogAndApply(edit, Volatile.Read(ref _lastSequence));
                }
                catch
                {
                    foreach (ulong n in allocated)
                    {
                        DeleteUnusedTable(n); // the job removed its own partial outputs; this also covers a failed edit
                    }
                    throw;
                }
                _versions.ReleasePendingOutputs(allocated);
                _stats.AddCompaction(job.BytesRead, job.BytesWritten);
            }
            if (plan.Level > 0)
            {
                _compactPointers[plan.Level] = CompactionPicker.UserRange(plan.Inputs).Largest is { } largest
                    ? InternalKey.Make(largest, 0, EntryKind.Delete)
                    : null;
            }
            Report(plan.ToString());
        }
        finally
        {
            lock (_mutex)
            {
                foreach (var f in plan.AllInputs)
                {
                    f.BeingCompacted = false;
                }
                _versions.RefreshCompactionScore();
                InstallSuperVersion();
            }
            version.Unref();
        }
    }

    private void Fail(string what, Exception e)
    {
        lock (_mutex)
        {
            if (_closed)
            {
                return;
            }
            _backgroundError ??= e;
            Monitor.PulseAll(_mutex);
        }
        Report($"background {what} failed; writes are stopped: {e}");
    }

    /// <summary>Flushes the active memtable to an L0 table and waits until every memtable is flushed.</summary>
    public void Flush()
    {
        Commit(null, sync: false);
        lock (_mutex)
        {
            while (_imms.Count > 0)
            {
                ThrowIfBackgroundError();
                WaitForBackground(stall: false);
            }
        }
    }

    /// <summary>Waits until no flush or compaction is needed or running.</summary>
    public void WaitForBackgroundWork()
    {
        lock (_mutex)
        {
            while (true)
            {
                ThrowIfBackgroundError();
                bool busy = _flushScheduled || _flushRunning || _compactionScheduled || _compactionRunning || _imms.Count > 0
                    || (_manualCompactions == 0 && _versions.Current.CompactionScore >= 1 && CompactionPicker.Pick(_versions.Current, _options, _compactPointers) != null);
                if (!busy)
                {
                    return;
                }
                WaitForBackground(stall: false);
            }
        }
    }

    /// <summary>
    /// Compacts every table overlapping the user-key range [<paramref name="begin"/>, <paramref name="end"/>]
    /// (null = unbounded) down to the deepest level holding data there, dropping deleted and overwritten
    /// entries no snapshot needs. Runs on the calling thread; automatic compaction pauses meanwhile.
    /// </summary>
    public void CompactRange(byte[]? begin, byte[]? end)
    {
        Flush();
        lock (_mutex)
        {
            ThrowIfClosed();
            _manualCompactions++;
            while (_compactionRunning)
            {
                Monitor.Wait(_mutex);
            }
            _compactionRunning = true;
        }
        try
        {
            var v = _versions.Current;
            int deepest = 0;
            for (int level = 0; level < Version.MaxLevels; level++)
            {
                if (v.Overlapping(level, begin, end).Count > 0)
                {
                    deepest = level;
                }
            }
            for (int level = 0; level < Math.Max(deepest, 1); level++)
            {
                CompactionPlan? plan;
                lock (_mutex)
                {
                    ThrowIfBackgroundError();
                    plan = CompactionPicker.PickManual(_versions.Current, _options, level, begin, end);
                }
                if (plan != null)
                {
                    RunManualCompaction(new CompactionPlan
                    {
                        Level = plan.Level,
                        Inputs = plan.Inputs,
                        OutputLevelInputs = plan.OutputLevelInputs,
                        IsTrivialMove = false, // a manual compaction rewrites, to drop garbage
                        Reason = "manual",
                    });
                }
            }
        }
        finally
        {
            DeleteObsoleteFiles();
            lock (_mutex)
            {
                _compactionRunning = false;
                _manualCompactions--;
                MaybeScheduleWork();
                Monitor.PulseAll(_mutex);
            }
        }
    }

    private void RunManualCompaction(CompactionPlan plan)
    {
        try
        {
            RunCompaction(plan);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail("manual compaction", e);
            throw;
        }
    }

    private void ThrowIfBackgroundError()
    {
        ThrowIfClosed();
        if (_backgroundError != null)
        {
            throw new IOException("background work failed: " + _backgroundError.Message, _backgroundError);
        }
    }
}
