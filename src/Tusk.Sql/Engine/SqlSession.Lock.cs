using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Planning;

namespace Tusk.Sql;

public sealed partial class SqlSession
{
    /// <summary>
    /// LOCK TABLE checks its tables exist and that it runs in a transaction block (25P01 otherwise, as PostgreSQL),
    /// then takes no lock: transactions are serializable, so a conflicting concurrent writer (another migrator
    /// appending to the same history table) fails at commit with 40001 instead of waiting.
    /// </summary>
    private (IReadOnlyList<ResultColumn>? Columns, Func<ExecContext, QueryResult> Run, PlanNode? Plan, bool WritesCatalog) BindLock(LockStmt statement, Planner planner)
    {
        foreach (var name in statement.Tables) planner.ResolveTable(name, statement.Position, allowView: true);
        return (null, _ =>
        {
            if (!_explicit) throw new SqlException("25P01", "LOCK TABLE can only be used in transaction blocks");
            return new QueryResult("LOCK TABLE");
        }, null, false);
    }
}
