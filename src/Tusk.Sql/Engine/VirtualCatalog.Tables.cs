using Tusk.Sql.Execution;

namespace Tusk.Sql;

internal sealed partial class VirtualCatalog
{
    private partial (PlanColumn[] Columns, Func<ExecContext, IEnumerable<object?[]>> Rows)? FindTable(string? schema, string name)
    {
        _ = catalog;
        _ = session;
        return null;
    }
}
