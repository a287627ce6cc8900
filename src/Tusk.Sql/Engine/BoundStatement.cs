using Tusk.Sql.Execution;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>A statement bound against one catalog version: its result shape, parameter types and how to run it.</summary>
internal sealed class BoundStatement
{
    public required IReadOnlyList<ResultColumn>? Columns { get; init; }
    public required IReadOnlyList<SqlType> ParameterTypes { get; init; }
    public required long CatalogVersion { get; init; }
    public required Func<ExecContext, QueryResult> Run { get; init; }

    /// <summary>DDL: the catalog the transaction sees changes when it runs.</summary>
    public bool WritesCatalog { get; init; }

    /// <summary>Bound against a catalog with uncommitted changes of this transaction: rebind before each run.</summary>
    public bool CatalogIsPrivate { get; init; }

    /// <summary>
    /// <see cref="Settings.Version"/> when bound: the plan may depend on settings (enable_nestloop, join_collapse_limit,
    /// ...), so a statement is bound again after a SET.
    /// </summary>
    public int SettingsVersion { get; init; }

    /// <summary>The plan, for EXPLAIN.</summary>
    public PlanNode? Plan { get; init; }
}
