using Tusk.Sql.Execution;
using Tusk.Sql.Planning;

namespace Tusk.Sql;

internal sealed partial class VirtualCatalog
{
    private partial (PlanColumn[] Columns, Func<ExecContext, IEnumerable<object?[]>> Rows)? FindTable(string? schema, string name)
    {
        _ = catalog;
        _ = session;
        return null;
    }

    private partial BExpr? BindCatalogFunction(string name, BExpr[] args, Planner planner) => null;

    private partial BExpr? BindCatalogCast(BExpr operand, Parser.TypeName type, Planner planner) => null;
}
