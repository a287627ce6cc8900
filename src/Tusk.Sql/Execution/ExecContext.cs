using Tusk.Kv;
using Tusk.Sql.Functions;

namespace Tusk.Sql.Execution;

/// <summary>What a running statement needs: its transaction, parameters, clock values, and the rows of enclosing queries.</summary>
internal sealed class ExecContext
{
    private readonly List<object?[]> _outer = [];
    private int _tick;

    public ExecContext(IKvTransaction tx, IReadOnlyList<object?> parameters, FunctionContext functions, SqlSession? session, CancellationToken cancellation)
    {
        Tx = tx;
        Parameters = parameters;
        Functions = functions;
        Session = session;
        Cancellation = cancellation;
    }

    public IKvTransaction Tx { get; }

    public IReadOnlyList<object?> Parameters { get; }

    public FunctionContext Functions { get; }

    public SqlSession? Session { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>How long a row-lock wait of this execution may last: the session's lock_timeout, read once.</summary>
    public TimeSpan LockTimeout => _lockTimeout ??= Session?.LockTimeout() ?? SqlSession.LockWaitUnlimited;

    private TimeSpan? _lockTimeout;

    /// <summary>Materialized CTEs and cached uncorrelated subquery results of this execution, by node.</summary>
    public Dictionary<object, object> Cache { get; } = new(ReferenceEqualityComparer.Instance);

    public void PushOuter(object?[] row) => _outer.Add(row);

    public void PopOuter() => _outer.RemoveAt(_outer.Count - 1);

    /// <summary>The row of the query <paramref name="depth"/> levels out (1 = the immediately enclosing one).</summary>
    public object?[] Outer(int depth) => _outer[_outer.Count - depth];

    /// <summary>Called per produced row by scans: honours cancellation (57014) without a syscall per row.</summary>
    public void Check()
    {
        if ((++_tick & 1023) == 0 && Cancellation.IsCancellationRequested)
        {
            throw new SqlException("57014", "canceling statement due to user request");
        }
    }
}
