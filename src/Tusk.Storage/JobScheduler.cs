namespace Tusk.Storage;

/// <summary>
/// Runs the engine's background work (flushes, compactions). The seam that lets tests run compaction
/// deterministically: <see cref="ManualJobScheduler"/> queues jobs and runs them only when told to.
/// </summary>
public interface IJobScheduler
{
    /// <summary>Queues <paramref name="job"/> to run later, on some thread.</summary>
    void Schedule(Action job);

    /// <summary>
    /// Runs one queued job on the calling thread if this scheduler keeps a queue (used by a writer that must
    /// wait for background work); returns false if there is nothing to run here.
    /// </summary>
    bool TryRunPendingJob();
}

/// <summary>Background work on the .NET thread pool.</summary>
public sealed class ThreadPoolJobScheduler : IJobScheduler
{
    /// <summary>The shared instance.</summary>
    public static readonly ThreadPoolJobScheduler Instance = new();

    /// <inheritdoc />
    public void Schedule(Action job) =>
        _ = Task.Factory.StartNew(job, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <inheritdoc />
    public bool TryRunPendingJob() => false;
}

/// <summary>
/// Queues jobs and runs them only through <see cref="RunNext"/>, <see cref="RunAll"/> or a stalled writer.
/// Deterministic: tests decide exactly when flushes and compactions happen. Thread-safe.
/// </summary>
public sealed class ManualJobScheduler : IJobScheduler
{
    private readonly Queue<Action> _queue = new();

    /// <summary>Jobs waiting.</summary>
    public int Pending
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    /// <inheritdoc />
    public void Schedule(Action job)
    {
        lock (_queue)
        {
            _queue.Enqueue(job);
        }
    }

    /// <summary>Runs the oldest queued job; false when none.</summary>
    public bool RunNext()
    {
        Action? job;
        lock (_queue)
        {
            if (!_queue.TryDequeue(out job))
            {
                return false;
            }
        }
        job();
        return true;
    }

    /// <summary>Runs jobs until the queue is empty (including jobs those jobs schedule); returns how many ran.</summary>
    public int RunAll()
    {
        int n = 0;
        while (RunNext())
        {
            n++;
        }
        return n;
    }

    /// <inheritdoc />
    public bool TryRunPendingJob() => RunNext();
}
