using Tusk.Sql.Execution;
using Tusk.Sql.Planning;

namespace Tusk.Sql;

/// <summary>pg_catalog and information_schema relations computed from the catalog (filled in by VirtualCatalog.Tables.cs).</summary>
internal sealed partial class VirtualCatalog(Catalog.Catalog catalog, SqlSession session) : IVirtualCatalog
{
    public (PlanColumn[] Columns, Func<ExecContext, IEnumerable<object?[]>> Rows)? Find(string? schema, string name) => FindTable(schema, name);

    private partial (PlanColumn[] Columns, Func<ExecContext, IEnumerable<object?[]>> Rows)? FindTable(string? schema, string name);
}
