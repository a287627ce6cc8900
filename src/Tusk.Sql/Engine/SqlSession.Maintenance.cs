using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Planning;

namespace Tusk.Sql;

public sealed partial class SqlSession
{
    /// <summary>
    /// VACUUM and ANALYZE when prepared: the tables must exist. VACUUM itself runs outside any transaction
    /// (<see cref="RunVacuum"/>); ANALYZE keeps no statistics, so it only checks its tables.
    /// </summary>
    private (IReadOnlyList<ResultColumn>? Columns, Func<ExecContext, QueryResult> Run, PlanNode? Plan, bool WritesCatalog) BindMaintenance(MaintenanceStmt statement, Planner planner)
    {
        foreach (var name in statement.Tables) planner.ResolveTable(name, statement.Position, allowView: false);
        return (null, _ => new QueryResult(statement.Vacuum ? "VACUUM" : "ANALYZE"), null, false);
    }

    /// <summary>
    /// VACUUM: one full garbage-collection pass over the database (versions are not kept per table, so naming
    /// tables only checks they exist). Like PostgreSQL's, it cannot run inside a transaction block: the pass must
    /// not be held back by this session's own snapshot.
    /// </summary>
    private QueryResult RunVacuum(PreparedQuery query, MaintenanceStmt statement, CancellationToken cancellation)
    {
        // A pipeline that already ran a statement is a transaction block too (PostgreSQL: "cannot run inside a pipeline").
        if (_explicit || _implicitBatch || (_pipeline && _tx is not null)) throw new SqlException("25001", "VACUUM cannot run inside a transaction block");
        WithCatalog(catalog => query.Bound = Bind(query, catalog));
        var totals = Engine.Vacuum(cancellation);
        if (statement.Verbose)
        {
            Notice($"vacuuming the database: found {totals.VersionsExamined} row versions, removed {totals.VersionsRemoved} that no transaction can see", severity: "INFO");
        }
        return new QueryResult("VACUUM");
    }
}
