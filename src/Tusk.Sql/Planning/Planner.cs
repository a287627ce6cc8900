using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Parser;
using Tusk.Sql.Types;

namespace Tusk.Sql.Planning;

/// <summary>
/// Binds and plans one statement against a catalog snapshot (RFC §2): names to descriptors and columns, types,
/// and the physical plan (key-range scans from predicates, hash joins for equi-joins, hash aggregation, sorts).
/// One planner per statement; not thread-safe.
/// </summary>
internal sealed partial class Planner
{
    private readonly List<SqlType> _parameterTypes;
    private readonly List<(int Level, bool Correlated)> _frames = [];
    private readonly List<Dictionary<string, CteEntry>> _ctes = [];

    public Planner(Catalog.Catalog catalog, IEnumerable<SqlType>? parameterTypes = null, IVirtualCatalog? virtualCatalog = null)
    {
        Catalog = catalog;
        VirtualCatalog = virtualCatalog;
        _parameterTypes = parameterTypes?.ToList() ?? [];
    }

    public Catalog.Catalog Catalog { get; }

    /// <summary>Join planning settings of the session (enable_nestloop, enable_hashjoin, join_collapse_limit).</summary>
    public PlannerOptions Options { get; init; } = PlannerOptions.Default;

    public IVirtualCatalog? VirtualCatalog { get; }

    /// <summary>$1.. types as declared or inferred; Unknown where nothing decided (sent as text).</summary>
    public IReadOnlyList<SqlType> ParameterTypes => _parameterTypes;

    internal sealed record CteEntry(PlanNode Plan, PlanColumn[] Columns);

    private void MarkCorrelated(int resolvedLevel)
    {
        for (var i = 0; i < _frames.Count; i++)
        {
            if (_frames[i].Level > resolvedLevel) _frames[i] = (_frames[i].Level, true);
        }
    }

    /// <summary>Looks a table up by (optional) schema and name; 42P01 when missing.</summary>
    public TableDescriptor ResolveTable(string[] name, int position, bool allowView = true)
    {
        var (schema, table) = SplitName(name, position);
        var t = Catalog.Find(schema ?? "public", table);
        if (t is null || (!allowView && t.Kind == RelationKind.View))
        {
            throw new SqlException("42P01", $"relation \"{string.Join(".", name)}\" does not exist", position);
        }
        return t;
    }

    public static (string? Schema, string Name) SplitName(string[] name, int position) => name.Length switch
    {
        1 => (null, name[0]),
        2 => (name[0], name[1]),
        3 => (name[1], name[2]),
        _ => throw new SqlException("42601", $"improper qualified name (too many dotted names): {string.Join(".", name)}", position),
    };
}

/// <summary>pg_catalog and information_schema: relations computed from the catalog on demand.</summary>
internal interface IVirtualCatalog
{
    /// <summary>The relation's columns and a row source, or null when there is no such virtual relation.</summary>
    (PlanColumn[] Columns, Func<ExecContext, IEnumerable<object?[]>> Rows)? Find(string? schema, string name);

    /// <summary>A catalog function (format_type, pg_get_indexdef, pg_table_is_visible, ...) bound over its arguments, or null.</summary>
    BExpr? BindFunction(string name, BExpr[] args, Planner planner);

    /// <summary>A cast to a catalog type (regclass, regtype, oid, name, ...) of <paramref name="operand"/>, or null when the type is not one.</summary>
    BExpr? BindCast(BExpr operand, TypeName type, Planner planner);
}
