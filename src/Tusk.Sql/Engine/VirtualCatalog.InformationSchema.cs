using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>information_schema's views over user relations (sql_identifier, yes_or_no and character_data are text).</summary>
internal sealed partial class VirtualCatalog
{
    private static readonly CatalogShape TablesShape = new("""
        table_catalog:name table_schema:name table_name:name table_type:text self_referencing_column_name:text
        reference_generation:text user_defined_type_catalog:text user_defined_type_schema:text user_defined_type_name:text
        is_insertable_into:text is_typed:text commit_action:text
        """);

    private static readonly CatalogShape ColumnsShape = new("""
        table_catalog:name table_schema:name table_name:name column_name:name ordinal_position:int4 column_default:text
        is_nullable:text data_type:text character_maximum_length:int4 character_octet_length:int4 numeric_precision:int4
        numeric_precision_radix:int4 numeric_scale:int4 datetime_precision:int4 interval_type:text interval_precision:int4
        character_set_catalog:text character_set_schema:text character_set_name:text collation_catalog:text collation_schema:text
        collation_name:text domain_catalog:text domain_schema:text domain_name:text udt_catalog:name udt_schema:name udt_name:name
        scope_catalog:text scope_schema:text scope_name:text maximum_cardinality:int4 dtd_identifier:text is_self_referencing:text
        is_identity:text identity_generation:text identity_start:text identity_increment:text identity_maximum:text
        identity_minimum:text identity_cycle:text is_generated:text generation_expression:text is_updatable:text
        """);

    private static readonly CatalogShape SchemataShape = new("""
        catalog_name:name schema_name:name schema_owner:name default_character_set_catalog:text default_character_set_schema:text
        default_character_set_name:text sql_path:text
        """);

    private static readonly CatalogShape TableConstraintsShape = new("""
        constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name table_schema:name table_name:name
        constraint_type:text is_deferrable:text initially_deferred:text enforced:text nulls_distinct:text
        """);

    private static readonly CatalogShape KeyColumnUsageShape = new("""
        constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name table_schema:name table_name:name
        column_name:name ordinal_position:int4 position_in_unique_constraint:int4
        """);

    private static readonly CatalogShape ViewsShape = new("""
        table_catalog:name table_schema:name table_name:name view_definition:text check_option:text is_updatable:text
        is_insertable_into:text is_trigger_updatable:text is_trigger_deletable:text is_trigger_insertable_into:text
        """);

    private static readonly CatalogShape SequencesShape = new("""
        sequence_catalog:name sequence_schema:name sequence_name:name data_type:text numeric_precision:int4
        numeric_precision_radix:int4 numeric_scale:int4 start_value:text minimum_value:text maximum_value:text increment:text
        cycle_option:text
        """);

    private static readonly Dictionary<string, CatalogTable> InformationSchema = new(StringComparer.Ordinal)
    {
        ["tables"] = new(TablesShape, (v, ctx) => v.InfoTables(ctx), IsView: true),
        ["columns"] = new(ColumnsShape, (v, ctx) => v.InfoColumns(ctx), IsView: true),
        ["schemata"] = new(SchemataShape, (v, ctx) => v.InfoSchemata(ctx), IsView: true),
        ["table_constraints"] = new(TableConstraintsShape, (v, ctx) => v.InfoTableConstraints(ctx), IsView: true),
        ["key_column_usage"] = new(KeyColumnUsageShape, (v, ctx) => v.InfoKeyColumnUsage(ctx), IsView: true),
        ["views"] = new(ViewsShape, (v, ctx) => v.InfoViews(ctx), IsView: true),
        ["sequences"] = new(SequencesShape, (v, ctx) => v.InfoSequences(ctx), IsView: true),
    };

    private static string Database(ExecContext ctx) => ctx.Session?.Database ?? "tusk";

    private IEnumerable<TableDescriptor> UserRelations(params RelationKind[] kinds) =>
        catalog.Relations.Where(t => kinds.Contains(t.Kind)).OrderBy(t => t.Schema, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal);

    private IEnumerable<object?[]> InfoTables(ExecContext ctx)
    {
        foreach (var t in UserRelations(RelationKind.Table, RelationKind.View))
        {
            yield return TablesShape.Row(("table_catalog", Database(ctx)), ("table_schema", t.Schema), ("table_name", t.Name),
                ("table_type", t.Kind == RelationKind.View ? "VIEW" : "BASE TABLE"), ("is_insertable_into", t.Kind == RelationKind.View ? "NO" : "YES"), ("is_typed", "NO"));
        }
    }

    private IEnumerable<object?[]> InfoColumns(ExecContext ctx)
    {
        foreach (var t in UserRelations(RelationKind.Table, RelationKind.View))
        {
            var position = 0;
            foreach (var c in t.VisibleColumns)
            {
                position++;
                var type = c.Type;
                var builtin = CatalogTypes.Find(type.Oid);
                yield return ColumnsShape.Row(
                    ("table_catalog", Database(ctx)), ("table_schema", t.Schema), ("table_name", t.Name), ("column_name", c.Name),
                    ("ordinal_position", position), ("column_default", IsIdentity(c) ? null : c.Default), ("is_nullable", c.NotNull ? "NO" : "YES"),
                    ("data_type", DataType(type)), ("character_maximum_length", type.IsText && type.Id != SqlTypeId.Text && type.Length >= 0 ? type.Length : null),
                    ("character_octet_length", type.IsText ? (type.Id != SqlTypeId.Text && type.Length >= 0 ? type.Length * 4 : 1073741824) : null),
                    ("numeric_precision", NumericPrecision(type)), ("numeric_precision_radix", type.IsNumeric ? (type.Id == SqlTypeId.Numeric ? 10 : 2) : null),
                    ("numeric_scale", type.Id is SqlTypeId.Int2 or SqlTypeId.Int4 or SqlTypeId.Int8 ? 0 : type.Id == SqlTypeId.Numeric && type.Scale >= 0 ? type.Scale : null),
                    ("datetime_precision", type.Id is SqlTypeId.Date ? 0 : type.Id is SqlTypeId.Time or SqlTypeId.Timestamp or SqlTypeId.TimestampTz or SqlTypeId.Interval ? 6 : null),
                    ("udt_catalog", Database(ctx)), ("udt_schema", "pg_catalog"), ("udt_name", builtin?.Name ?? type.Name),
                    ("dtd_identifier", position.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("is_self_referencing", "NO"),
                    ("is_identity", IsIdentity(c) ? "YES" : "NO"), ("identity_generation", IsIdentity(c) ? "ALWAYS" : null),
                    ("identity_cycle", "NO"), ("is_generated", "NEVER"), ("is_updatable", t.Kind == RelationKind.Table ? "YES" : "NO"));
            }
        }
    }

    /// <summary>information_schema's data_type: the SQL standard's spelling of the type without modifiers.</summary>
    private static string DataType(SqlType type) => type.Id switch
    {
        SqlTypeId.Varchar => "character varying",
        SqlTypeId.Char => "character",
        SqlTypeId.Numeric => "numeric",
        _ => type.Name,
    };

    private static int? NumericPrecision(SqlType type) => type.Id switch
    {
        SqlTypeId.Int2 => 16,
        SqlTypeId.Int4 => 32,
        SqlTypeId.Int8 => 64,
        SqlTypeId.Float4 => 24,
        SqlTypeId.Float8 => 53,
        SqlTypeId.Numeric when type.Precision >= 0 => type.Precision,
        _ => null,
    };

    private IEnumerable<object?[]> InfoSchemata(ExecContext ctx)
    {
        foreach (var name in new[] { "information_schema", "pg_catalog", "pg_toast" }.Concat(catalog.Schemas.Keys).Order(StringComparer.Ordinal))
        {
            yield return SchemataShape.Row(("catalog_name", Database(ctx)), ("schema_name", name), ("schema_owner", User(ctx)));
        }
    }

    private IEnumerable<object?[]> InfoTableConstraints(ExecContext ctx)
    {
        foreach (var c in Constraints())
        {
            yield return TableConstraintsShape.Row(("constraint_catalog", Database(ctx)), ("constraint_schema", c.Table.Schema), ("constraint_name", c.Name),
                ("table_catalog", Database(ctx)), ("table_schema", c.Table.Schema), ("table_name", c.Table.Name),
                ("constraint_type", c.Kind switch { "p" => "PRIMARY KEY", "u" => "UNIQUE", "f" => "FOREIGN KEY", _ => "CHECK" }),
                ("is_deferrable", "NO"), ("initially_deferred", "NO"), ("enforced", "YES"), ("nulls_distinct", c.Kind == "u" ? "YES" : null));
        }
    }

    private IEnumerable<object?[]> InfoKeyColumnUsage(ExecContext ctx)
    {
        foreach (var c in Constraints())
        {
            var ids = c.Index?.ColumnIds ?? c.ForeignKey?.ColumnIds;
            if (ids is null) continue;
            // A foreign key column's position within the referenced primary key or unique constraint.
            var referencedKey = c.ForeignKey is { } fk && catalog.FindById(fk.ReferencedTableId) is { } parent
                ? (fk.ReferencedColumnIds.All(parent.PrimaryKey.Contains) ? parent.PrimaryKey
                    : parent.Indexes.Find(x => x.Unique && x.ColumnIds.Length == fk.ReferencedColumnIds.Length && fk.ReferencedColumnIds.All(x.ColumnIds.Contains))?.ColumnIds)
                : null;
            for (var i = 0; i < ids.Length; i++)
            {
                var column = c.Table.Columns[c.Table.ColumnIndex(ids[i])];
                yield return KeyColumnUsageShape.Row(("constraint_catalog", Database(ctx)), ("constraint_schema", c.Table.Schema), ("constraint_name", c.Name),
                    ("table_catalog", Database(ctx)), ("table_schema", c.Table.Schema), ("table_name", c.Table.Name), ("column_name", column.Name),
                    ("ordinal_position", i + 1), ("position_in_unique_constraint", referencedKey is null ? null : Array.IndexOf(referencedKey, c.ForeignKey!.ReferencedColumnIds[i]) + 1));
            }
        }
    }

    private IEnumerable<object?[]> InfoViews(ExecContext ctx)
    {
        foreach (var t in UserRelations(RelationKind.View))
        {
            yield return ViewsShape.Row(("table_catalog", Database(ctx)), ("table_schema", t.Schema), ("table_name", t.Name), ("view_definition", t.ViewQuery),
                ("check_option", "NONE"), ("is_updatable", "NO"), ("is_insertable_into", "NO"), ("is_trigger_updatable", "NO"),
                ("is_trigger_deletable", "NO"), ("is_trigger_insertable_into", "NO"));
        }
    }

    private IEnumerable<object?[]> InfoSequences(ExecContext ctx)
    {
        foreach (var r in Relations.Where(r => r.SequenceColumn is not null))
        {
            var type = r.SequenceColumn!.Type;
            yield return SequencesShape.Row(("sequence_catalog", Database(ctx)), ("sequence_schema", r.Schema), ("sequence_name", r.Name),
                ("data_type", type.Name), ("numeric_precision", NumericPrecision(type)), ("numeric_precision_radix", 2), ("numeric_scale", 0),
                ("start_value", "1"), ("minimum_value", "1"), ("maximum_value", long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("increment", "1"), ("cycle_option", "NO"));
        }
    }
}
