using Tusk.Sql.Execution;
using Tusk.Sql.Planning;

namespace Tusk.Sql;

/// <summary>pg_catalog and information_schema relations computed from the catalog (filled in by VirtualCatalog.Tables.cs).</summary>
internal sealed partial class VirtualCatalog(Catalog.Catalog catalog, SqlSession session) : IVirtualCatalog
{
    public (PlanColumn[] Columns, Func<ExecContext, IEnumerable<object?[]>> Rows)? Find(string? schema, string name) => FindTable(schema, name);

    public BExpr? BindFunction(string name, BExpr[] args, Planner planner) => BindCatalogFunction(name, args, planner);

    public BExpr? BindCast(BExpr operand, Parser.TypeName type, Planner planner) => BindCatalogCast(operand, type, planner);

    private partial (PlanColumn[] Columns, Func<ExecContext, IEnumerable<object?[]>> Rows)? FindTable(string? schema, string name);

    private partial BExpr? BindCatalogFunction(string name, BExpr[] args, Planner planner);

    private partial BExpr? BindCatalogCast(BExpr operand, Parser.TypeName type, Planner planner);
}
