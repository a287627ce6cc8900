using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Planning;

namespace Tusk.Sql;

/// <summary>
/// One pg_class row: a user table, view, index or sequence (from the catalog snapshot) or a virtual catalog relation.
/// Exactly one of <see cref="Table"/> (with <see cref="Index"/> or <see cref="SequenceColumn"/> for those kinds) and
/// <see cref="Virtual"/> is set.
/// </summary>
internal sealed record CatalogRelation(long Oid, string Name, string Schema, long Namespace, string Kind, TableDescriptor? Table,
    IndexDescriptor? Index = null, ColumnDescriptor? SequenceColumn = null, CatalogShape? Virtual = null);

internal sealed partial class VirtualCatalog
{
    private List<CatalogRelation>? _relations;
    private Dictionary<long, CatalogRelation>? _relationsByOid;

    private partial (PlanColumn[] Columns, Func<ExecContext, IEnumerable<object?[]>> Rows)? FindTable(string? schema, string name)
    {
        if (schema is null or "pg_catalog" && PgCatalog.TryGetValue(name, out var pg)) return (pg.Shape.Columns, ctx => pg.Rows(this, ctx));
        if (schema is "information_schema" && InformationSchema.TryGetValue(name, out var info)) return (info.Shape.Columns, ctx => info.Rows(this, ctx));
        return null;
    }

    /// <summary>Every relation pg_class lists, user relations first (built once per catalog snapshot).</summary>
    private List<CatalogRelation> Relations
    {
        get
        {
            if (_relations is not null) return _relations;
            var list = new List<CatalogRelation>();
            foreach (var t in catalog.Relations.OrderBy(r => r.Id))
            {
                var ns = CatalogOids.Namespace(catalog, t.Schema);
                list.Add(new CatalogRelation(t.Oid, t.Name, t.Schema, ns, t.Kind == RelationKind.View ? "v" : t.Kind == RelationKind.Sequence ? "S" : "r", t));
                if (t.PrimaryKeyName is not null)
                {
                    var pk = new IndexDescriptor { Id = TableDescriptor.PrimaryIndexId, Name = t.PrimaryKeyName, ColumnIds = t.PrimaryKey, Descending = new bool[t.PrimaryKey.Length], Unique = true, IsConstraint = true };
                    list.Add(new CatalogRelation(CatalogOids.Encode(t.Id, pk.Id), pk.Name, t.Schema, ns, "i", t, pk));
                }
                foreach (var i in t.Indexes) list.Add(new CatalogRelation(CatalogOids.Encode(t.Id, i.Id), i.Name, t.Schema, ns, "i", t, i));
                for (var c = 0; c < t.Columns.Count; c++)
                {
                    var column = t.Columns[c];
                    if (column.Sequence is null || column.Hidden) continue;
                    list.Add(new CatalogRelation(CatalogOids.Encode(t.Id, CatalogOids.SequenceKind + c), column.Sequence, t.Schema, ns, "S", t, SequenceColumn: column));
                }
            }
            var virtualOid = 12000L;
            foreach (var (name, table) in PgCatalog)
            {
                var oid = WellKnownRelationOids.TryGetValue(name, out var known) ? known : virtualOid++;
                list.Add(new CatalogRelation(oid, name, "pg_catalog", CatalogOids.PgCatalogNamespace, table.IsView ? "v" : "r", null, Virtual: table.Shape));
            }
            foreach (var (name, table) in InformationSchema)
            {
                list.Add(new CatalogRelation(virtualOid++, name, "information_schema", CatalogOids.InformationSchemaNamespace, "v", null, Virtual: table.Shape));
            }
            _relations = list;
            _relationsByOid = list.ToDictionary(r => r.Oid);
            return list;
        }
    }

    private CatalogRelation? RelationByOid(long oid)
    {
        _ = Relations;
        return _relationsByOid!.GetValueOrDefault(oid);
    }

    /// <summary>The user table an OID belongs to (the relation, or one of its indexes, constraints, defaults or sequences).</summary>
    private TableDescriptor? OwnerTable(long oid) =>
        CatalogOids.Decode(oid) is { } decoded ? catalog.FindById(decoded.RelationId) : null;

    /// <summary>Resolves a relation name as regclass input does: "t", "s.t", quoted parts; search path public, pg_catalog.</summary>
    private CatalogRelation? ResolveRelation(string text)
    {
        var parts = SplitQualifiedName(text);
        if (parts.Count == 0 || parts.Count > 2) return null;
        var schemas = parts.Count == 2 ? [parts[0]] : new[] { "public", "pg_catalog" };
        var name = parts[^1];
        foreach (var schema in schemas)
        {
            var found = Relations.Find(r => r.Schema == schema && r.Name == name);
            if (found is not null) return found;
        }
        return null;
    }

    /// <summary>Splits "a.\"B\".c" into identifiers: unquoted parts fold to lower case, quoted parts keep theirs.</summary>
    internal static List<string> SplitQualifiedName(string text)
    {
        var parts = new List<string>();
        var i = 0;
        text = text.Trim();
        while (i < text.Length)
        {
            var sb = new System.Text.StringBuilder();
            if (text[i] == '"')
            {
                i++;
                while (i < text.Length)
                {
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"') { sb.Append('"'); i += 2; continue; }
                    if (text[i] == '"') { i++; break; }
                    sb.Append(text[i++]);
                }
            }
            else
            {
                while (i < text.Length && text[i] != '.') sb.Append(char.ToLowerInvariant(text[i++]));
            }
            parts.Add(sb.ToString().Trim());
            if (i < text.Length && text[i] == '.') i++;
        }
        return parts;
    }

    /// <summary>PostgreSQL's OIDs of its own catalog relations (clients cast names like 'pg_catalog.pg_class'::regclass).</summary>
    private static readonly Dictionary<string, long> WellKnownRelationOids = new(StringComparer.Ordinal)
    {
        ["pg_type"] = 1247, ["pg_attribute"] = 1249, ["pg_proc"] = 1255, ["pg_class"] = 1259, ["pg_authid"] = 1260,
        ["pg_database"] = 1262, ["pg_am"] = 2601, ["pg_attrdef"] = 2604, ["pg_constraint"] = 2606, ["pg_inherits"] = 2611,
        ["pg_index"] = 2610, ["pg_depend"] = 2608, ["pg_description"] = 2609, ["pg_rewrite"] = 2618, ["pg_trigger"] = 2620,
        ["pg_namespace"] = 2615, ["pg_tablespace"] = 1213, ["pg_collation"] = 3456, ["pg_enum"] = 3501, ["pg_range"] = 3541,
        ["pg_extension"] = 3079, ["pg_policy"] = 3256, ["pg_sequence"] = 2224, ["pg_statistic_ext"] = 3381,
        ["pg_foreign_table"] = 3118, ["pg_partitioned_table"] = 3350, ["pg_publication"] = 6104, ["pg_shdescription"] = 2396,
    };
}
