using Tusk.Sql.Execution;
using Tusk.Sql.Types;

namespace Tusk.Sql.Planning;

/// <summary>A column visible to name resolution: which relation (alias) it belongs to and its position in the row.</summary>
internal sealed class ScopeColumn
{
    public required string? Table { get; init; }
    public required string Name { get; init; }
    public required SqlType Type { get; init; }
    public required int Index { get; init; }

    /// <summary>Not expanded by * and not resolvable by name (the hidden rowid, the right side of USING).</summary>
    public bool Hidden { get; init; }

    /// <summary>Resolvable when qualified but not unqualified (the right-hand copy of a USING column).</summary>
    public bool QualifiedOnly { get; init; }

    public int TableOid { get; init; }
    public short AttNum { get; init; }
}

/// <summary>
/// The names in effect while binding one query level: its FROM columns, and the enclosing query's scope for
/// correlated references. <see cref="Correlated"/> records that something below reached out of this level.
/// </summary>
internal sealed class Scope
{
    public Scope(Scope? parent, List<ScopeColumn> columns)
    {
        Parent = parent;
        Columns = columns;
        Level = parent is null ? 0 : parent.Level + 1;
    }

    /// <summary>The query nesting level (0 = the statement's outermost query).</summary>
    public int Level { get; }

    public Scope? Parent { get; }

    public List<ScopeColumn> Columns { get; }

    /// <summary>
    /// Replaces column resolution (used after aggregation, where only group keys and aggregates exist): returns the
    /// bound expression, or null to fall back to <see cref="Columns"/>.
    /// </summary>
    public Func<Parser.Expr, BExpr?>? Hook { get; set; }

    public int Width => Columns.Count;

    /// <summary>Set when a query below resolved one of these columns (a LATERAL item reading the FROM items before it).</summary>
    public bool Referenced { get; set; }

    /// <summary>Finds a column: (table?, name). Throws 42702 on ambiguity; null when absent.</summary>
    public ScopeColumn? Find(string? table, string name, int position)
    {
        ScopeColumn? found = null;
        foreach (var c in Columns)
        {
            if (c.Hidden || c.Name != name) continue;
            if (table is null ? c.QualifiedOnly : c.Table != table) continue;
            if (found is not null)
            {
                throw new SqlException("42702", $"column reference \"{name}\" is ambiguous", position);
            }
            found = c;
        }
        return found;
    }

    public bool HasTable(string table) => Columns.Exists(c => c.Table == table);
}
