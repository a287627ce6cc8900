using System.Globalization;
using System.Text;
using Tusk.Sql.Catalog;
using Tusk.Sql.Execution;
using Tusk.Sql.Planning;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>
/// Catalog functions (format_type, pg_get_indexdef, pg_table_is_visible, ...) and casts to the catalog's types
/// (regclass, regtype, oid, name, "char", arrays). OIDs are int8 values.
/// </summary>
/// <remarks>
/// reg* types are both a number and a name in PostgreSQL. Tusk has no such type, so a cast picks by direction: text
/// (a name) to regclass gives the OID (for comparisons, <c>attrelid = 't'::regclass</c>), an integer to regclass
/// gives the name (for display, <c>conrelid::regclass</c>). Arrays are text in their literal form ('{a,b}').
/// </remarks>
internal sealed partial class VirtualCatalog
{
    private partial BExpr? BindCatalogFunction(string name, BExpr[] args, Planner planner)
    {
        BExpr Oid(int i) => AsOid(args[i], planner);
        BExpr Text(int i) => planner.Coerce(args[i], SqlType.Text, false, 0);
        BExpr Int(int i) => planner.Coerce(args[i], SqlType.Int4, false, 0);
        DelegateExpr Make(SqlType type, BExpr[] bound, Func<ExecContext, object?[], object?> eval) => new(name, type, bound, eval, false);
        var n = args.Length;
        return name switch
        {
            "format_type" when n == 2 => Make(SqlType.Text, [Oid(0), Int(1)], (_, a) => a[0] is long oid ? CatalogTypes.Format(oid, ToInt(a[1]) ?? -1) : null),
            "pg_get_indexdef" when n is 1 or 3 => Make(SqlType.Text, n == 1 ? [Oid(0)] : [Oid(0), Int(1), args[2]],
                (_, a) => a[0] is long oid && RelationByOid(oid) is { Index: not null } r ? IndexDefinition(r, n == 1 ? 0 : ToInt(a[1]) ?? 0) : null),
            "pg_get_constraintdef" when n is 1 or 2 => Make(SqlType.Text, [Oid(0)], (_, a) => a[0] is long oid ? ConstraintDefinition(oid) : null),
            "pg_get_expr" when n is 2 or 3 => Make(SqlType.Text, [Text(0)], (_, a) => a[0]),
            "pg_get_viewdef" when n is 1 or 2 => Make(SqlType.Text, [args[0].Type.IsText || args[0].Type.Id == SqlTypeId.Unknown && args[0] is not ConstExpr { Value: string s } || IsNumericText(args[0]) ? Oid(0) : Oid(0)],
                (_, a) => a[0] is long oid && RelationByOid(oid) is { Table.Kind: RelationKind.View } r ? " " + r.Table!.ViewQuery + ";" : null),
            "pg_table_is_visible" when n == 1 => Make(SqlType.Bool, [Oid(0)], (_, a) => a[0] is long oid ? RelationByOid(oid) is { } r && r.Schema is "public" or "pg_catalog" : null),
            "pg_type_is_visible" or "pg_function_is_visible" or "pg_opclass_is_visible" or "pg_collation_is_visible" when n == 1 => Make(SqlType.Bool, [Oid(0)], (_, a) => a[0] is null ? null : true),
            "pg_get_userbyid" when n == 1 => Make(SqlType.Text, [Oid(0)], (ctx, a) => a[0] is long oid ? (oid == CatalogOids.BootstrapSuperuser ? User(ctx) : $"unknown (OID={oid})") : null),
            "obj_description" or "col_description" or "shobj_description" when n is 1 or 2 => Make(SqlType.Text, [], (_, _) => null),
            "pg_encoding_to_char" when n == 1 => Make(SqlType.Text, [Int(0)], (_, a) => ToInt(a[0]) switch { 6 => "UTF8", 0 => "SQL_ASCII", null => null, _ => "" }),
            "pg_char_to_encoding" when n == 1 => Make(SqlType.Int4, [Text(0)], (_, a) => a[0] is "UTF8" or "utf8" ? 6 : a[0] is null ? null : -1),
            "has_table_privilege" or "has_schema_privilege" or "has_database_privilege" or "has_column_privilege" or "has_sequence_privilege"
                or "has_function_privilege" or "has_any_column_privilege" or "pg_has_role" when n is >= 2 and <= 4 => Make(SqlType.Bool, [], (_, _) => true),
            "pg_backend_pid" when n == 0 => Make(SqlType.Int4, [], (ctx, _) => ctx.Session?.Id ?? session.Id),
            "pg_relation_size" or "pg_total_relation_size" or "pg_table_size" or "pg_indexes_size" or "pg_database_size" when n is 1 or 2 => Make(SqlType.Int8, [], (_, _) => 0L),
            "pg_size_pretty" when n == 1 => Make(SqlType.Text, [planner.Coerce(args[0], SqlType.Int8, false, 0)], (_, a) => a[0] is long bytes ? bytes.ToString(CultureInfo.InvariantCulture) + " bytes" : null),
            "pg_is_in_recovery" when n == 0 => Make(SqlType.Bool, [], (_, _) => false),
            "txid_current" or "pg_current_xact_id" when n == 0 => Make(SqlType.Int8, [], (ctx, _) => ctx.Functions.TransactionTimestamp.Ticks / 10),
            "pg_get_serial_sequence" when n == 2 => Make(SqlType.Text, [Text(0), Text(1)], (_, a) => a[0] is string table && a[1] is string column ? SerialSequence(table, column) : null),
            "pg_postmaster_start_time" or "pg_conf_load_time" when n == 0 => Make(SqlType.TimestampTz, [], (ctx, _) => ctx.Functions.TransactionTimestamp),
            "inet_server_addr" or "inet_client_addr" when n == 0 => Make(SqlType.Text, [], (_, _) => null),
            "inet_server_port" or "inet_client_port" when n == 0 => Make(SqlType.Int4, [], (_, _) => null),
            "current_schemas" when n == 1 => Make(SqlType.Text, [planner.Coerce(args[0], SqlType.Bool, false, 0)], (_, a) => a[0] is true ? "{pg_catalog,public}" : "{public}"),
            "pg_my_temp_schema" when n == 0 => Make(SqlType.Int8, [], (_, _) => 0L),
            "pg_is_other_temp_schema" when n == 1 => Make(SqlType.Bool, [], (_, _) => false),
            "pg_partition_ancestors" when n == 1 => Make(SqlType.Int8, [Oid(0)], (_, a) => a[0]),  // unpartitioned: the relation itself
            "pg_get_statisticsobjdef_columns" or "pg_get_partkeydef" or "pg_get_triggerdef" or "pg_get_function_result"
                or "pg_get_function_arguments" or "pg_get_partition_constraintdef" or "pg_get_ruledef" when n is 1 or 2 => Make(SqlType.Text, [], (_, _) => null),
            "pg_relation_is_publishable" when n == 1 => Make(SqlType.Bool, [], (_, _) => false),
            "pg_tablespace_location" when n == 1 => Make(SqlType.Text, [], (_, _) => ""),
            "to_regclass" when n == 1 => Make(SqlType.Int8, [Text(0)], (_, a) => a[0] is string s ? ResolveRelation(s)?.Oid : null),
            "to_regtype" when n == 1 => Make(SqlType.Int8, [Text(0)], (_, a) => a[0] is string s ? CatalogTypes.Resolve(s) : null),
            "to_regnamespace" when n == 1 => Make(SqlType.Int8, [Text(0)], (_, a) => a[0] is string s ? NamespaceOid(s) : null),
            "array_to_string" when n is 2 or 3 => Make(SqlType.Text, [Text(0), Text(1), .. n == 3 ? [Text(2)] : Array.Empty<BExpr>()],
                (_, a) => a[0] is string array && a[1] is string separator ? ArrayText.Join(array, separator, n == 3 ? a[2] as string : null) : null),
            "array_upper" or "array_length" when n == 2 => Make(SqlType.Int4, [Text(0), Int(1)], (_, a) => a[0] is string array && ToInt(a[1]) is 1 && ArrayText.Parse(array).Count is > 0 and var count ? count : null),
            "array_lower" when n == 2 => Make(SqlType.Int4, [Text(0), Int(1)], (_, a) => a[0] is string array && ToInt(a[1]) is 1 && ArrayText.Parse(array).Count > 0 ? 1 : null),
            "cardinality" when n == 1 => Make(SqlType.Int4, [Text(0)], (_, a) => a[0] is string array ? ArrayText.Parse(array).Count : null),
            "array" when n == 1 && args[0] is SubqueryExpr { Kind: SubqueryKind.Scalar } sub => new ArraySubqueryExpr(sub.Plan, sub.Correlated),
            // Elements of an array's text form have no type of their own: unknown, so context types them like a literal.
            Parser.SqlParser.SubscriptFunction when n == 2 => Make(SqlType.Unknown, [Text(0), planner.Coerce(args[1], SqlType.Int4, false, 0)],
                (_, a) => a[0] is string array && ToInt(a[1]) is int i && i >= 1 && ArrayText.Parse(array) is var items && i <= items.Count ? items[i - 1] : null),
            Parser.SqlParser.QuantifiedArrayFunction when n == 4 => BindQuantified(args, planner),
            _ => null,
        };
    }

    /// <summary>An integer argument as int, whatever width the binder left it (casts between integer widths may keep the value's CLR type).</summary>
    private static int? ToInt(object? value) => value switch
    {
        int i => i,
        short s => s,
        long l => (int)l,
        _ => null,
    };

    private static bool IsNumericText(BExpr e) => e is ConstExpr { Value: string s } && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    /// <summary>An OID argument: integers widen to int8; untyped literals and text parse as numbers.</summary>
    private static BExpr AsOid(BExpr e, Planner planner) => e.Type.IsNumeric || e.Type.Id == SqlTypeId.Unknown
        ? planner.Coerce(e, SqlType.Int8, false, 0)
        : planner.Coerce(e, SqlType.Int8, true, 0);

    /// <summary><c>x op ANY|ALL (array)</c> over an array's text form; elements compare as x's type.</summary>
    private static BExpr? BindQuantified(BExpr[] args, Planner planner)
    {
        if (args[0] is not ConstExpr { Value: string op } || args[1] is not ConstExpr { Value: string quantifier }) return null;
        var operand = args[2].Type.Id == SqlTypeId.Unknown ? planner.Coerce(args[2], SqlType.Text, false, 0) : args[2];
        var array = planner.Coerce(args[3], SqlType.Text, false, 0);
        var all = quantifier == "all";
        var elementType = operand.Type;
        return new DelegateExpr(all ? "ALL" : "ANY", SqlType.Bool, [operand, array], (_, a) =>
        {
            if (a[0] is not { } value || a[1] is not string text) return null;
            var sawNull = false;
            foreach (var item in ArrayText.Parse(text))
            {
                if (item is null)
                {
                    sawNull = true;
                    continue;
                }
                var element = Values.Cast(item, SqlType.Text, elementType);
                var test = element is not null && CompareExpr.Test(op == "!=" ? "<>" : op, Values.Compare(value, element));
                if (all && !test) return false;
                if (!all && test) return true;
            }
            return sawNull ? null : all;
        }, false);
    }

    private partial BExpr? BindCatalogCast(BExpr operand, Parser.TypeName type, Planner planner)
    {
        if (type.IsArray) return planner.Coerce(operand, SqlType.Text, true, 0);
        var fromNumber = operand.Type.IsNumeric && !IsNumericText(operand);
        BExpr Text() => planner.Coerce(operand, SqlType.Text, true, 0);
        BExpr Number() => operand.Type.IsNumeric ? planner.Coerce(operand, SqlType.Int8, true, 0) : planner.Coerce(operand, SqlType.Int8, true, 0);
        DelegateExpr Make(SqlType result, BExpr argument, Func<object, object?> eval) => new(type.Name, result, [argument], (_, a) => a[0] is null ? null : eval(a[0]!), false);
        switch (type.Name)
        {
            case "oid" or "xid" or "cid" or "regoper" or "regoperator" or "regconfig" or "regdictionary":
                return Number();
            case "name" or "text" or "aclitem" or "int2vector" or "oidvector" or "pg_node_tree":
                return Text();
            case "\"char\"":
                return Make(SqlType.Text, Text(), v => ((string)v).Length > 0 ? ((string)v)[..1] : "");
            case "regclass":
                return fromNumber
                    ? Make(SqlType.Text, Number(), v => RelationByOid((long)v) is { } r ? (r.Schema is "public" or "pg_catalog" ? Quote(r.Name) : Quote(r.Schema) + "." + Quote(r.Name)) : ((long)v).ToString(CultureInfo.InvariantCulture))
                    : Make(SqlType.Int8, Text(), v => ParseOid((string)v) ?? ResolveRelation((string)v)?.Oid ?? throw new SqlException("42P01", $"relation \"{v}\" does not exist"));
            case "regtype":
                return fromNumber
                    ? Make(SqlType.Text, Number(), v => CatalogTypes.Format((long)v, -1))
                    : Make(SqlType.Int8, Text(), v => ParseOid((string)v) ?? CatalogTypes.Resolve((string)v) ?? throw new SqlException("42704", $"type \"{v}\" does not exist"));
            case "regproc" or "regprocedure":
                return fromNumber
                    ? Make(SqlType.Text, Number(), v => Array.Find(CatalogTypes.Functions, f => f.Oid == (long)v) is { Name: not null } f ? f.Name : ((long)v).ToString(CultureInfo.InvariantCulture))
                    : Make(SqlType.Int8, Text(), v => ParseOid((string)v) ?? FunctionOid((string)v) ?? throw new SqlException("42883", $"function \"{v}\" does not exist"));
            case "regnamespace":
                return fromNumber
                    ? Make(SqlType.Text, Number(), v => NamespaceName((long)v) ?? ((long)v).ToString(CultureInfo.InvariantCulture))
                    : Make(SqlType.Int8, Text(), v => ParseOid((string)v) ?? NamespaceOid((string)v) ?? throw new SqlException("3F000", $"schema \"{v}\" does not exist"));
            case "regrole":
                return fromNumber
                    ? new DelegateExpr(type.Name, SqlType.Text, [Number()], (ctx, a) => a[0] is long oid ? (oid == CatalogOids.BootstrapSuperuser ? User(ctx) : oid.ToString(CultureInfo.InvariantCulture)) : null, false)
                    : Make(SqlType.Int8, Text(), v => ParseOid((string)v) ?? CatalogOids.BootstrapSuperuser);
            default:
                return null;
        }
    }

    private static long? ParseOid(string text) => long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var oid) ? oid : null;

    private static string Quote(string identifier) => Functions.TextOps.QuoteIdent(identifier);

    private static long? FunctionOid(string text)
    {
        var name = SplitQualifiedName(text.Split('(')[0]) is { Count: > 0 } parts ? parts[^1] : text;
        return Array.Find(CatalogTypes.Functions, f => f.Name == name) is { Name: not null } f ? f.Oid : null;
    }

    private long? NamespaceOid(string text)
    {
        var parts = SplitQualifiedName(text);
        if (parts.Count != 1) return null;
        var oid = CatalogOids.Namespace(catalog, parts[0]);
        return oid == 0 ? null : oid;
    }

    private string? NamespaceName(long oid) => oid switch
    {
        CatalogOids.PgCatalogNamespace => "pg_catalog",
        CatalogOids.PublicNamespace => "public",
        CatalogOids.InformationSchemaNamespace => "information_schema",
        CatalogOids.PgToastNamespace => "pg_toast",
        _ => catalog.Schemas.FirstOrDefault(s => Catalog.Catalog.SchemaOidBase + s.Value == oid).Key,
    };

    /// <summary>pg_get_indexdef: the CREATE INDEX statement, or (column &gt; 0) that key column's name.</summary>
    private static string IndexDefinition(CatalogRelation r, int column)
    {
        var t = r.Table!;
        var index = r.Index!;
        var keys = index.ColumnIds.Select((id, i) => Quote(t.Columns[t.ColumnIndex(id)].Name) + (index.Descending.Length > i && index.Descending[i] ? " DESC" : "")).ToArray();
        if (column > 0) return column <= keys.Length ? keys[column - 1] : "";
        return $"CREATE {(index.Unique ? "UNIQUE " : "")}INDEX {Quote(index.Name)} ON {Quote(t.Schema)}.{Quote(t.Name)} USING btree ({string.Join(", ", keys)})";
    }

    /// <summary>pg_get_constraintdef: PRIMARY KEY (a, b), UNIQUE (a), CHECK ((expr)), FOREIGN KEY (a) REFERENCES t(b) ON DELETE CASCADE.</summary>
    private string? ConstraintDefinition(long oid)
    {
        foreach (var c in Constraints())
        {
            if (c.Oid != oid) continue;
            if (c.Check is { } check) return "CHECK (" + check.Expression + ")";
            if (c.ForeignKey is { } fk)
            {
                var parent = catalog.FindById(fk.ReferencedTableId)!;
                string Names(TableDescriptor t, int[] ids) => string.Join(", ", ids.Select(id => Quote(t.Columns[t.ColumnIndex(id)].Name)));
                var target = parent.Schema is "public" ? Quote(parent.Name) : Quote(parent.Schema) + "." + Quote(parent.Name);
                return $"FOREIGN KEY ({Names(c.Table, fk.ColumnIds)}) REFERENCES {target}({Names(parent, fk.ReferencedColumnIds)})"
                    + (fk.OnUpdate == "no action" ? "" : " ON UPDATE " + fk.OnUpdate.ToUpperInvariant())
                    + (fk.OnDelete == "no action" ? "" : " ON DELETE " + fk.OnDelete.ToUpperInvariant());
            }
            var columns = string.Join(", ", c.Index!.ColumnIds.Select(id => Quote(c.Table.Columns[c.Table.ColumnIndex(id)].Name)));
            return (c.Kind == "p" ? "PRIMARY KEY (" : "UNIQUE (") + columns + ")";
        }
        return null;
    }

    /// <summary>pg_get_serial_sequence('t', 'c'): the qualified name of the sequence behind a serial or identity column.</summary>
    private string? SerialSequence(string table, string column)
    {
        var relation = ResolveRelation(table);
        if (relation?.Table is not { } t || relation.Index is not null) throw new SqlException("42P01", $"relation \"{table}\" does not exist");
        var c = t.FindColumn(column) ?? throw new SqlException("42703", $"column \"{column}\" of relation \"{t.Name}\" does not exist");
        return c.Sequence is null ? null : Quote(t.Schema) + "." + Quote(c.Sequence);
    }
}

/// <summary>ARRAY(subquery): the subquery's first column as an array literal ('{a,b}'); correlated ones run per row.</summary>
internal sealed class ArraySubqueryExpr : BExpr
{
    public ArraySubqueryExpr(PlanNode plan, bool correlated)
    {
        Plan = plan;
        Correlated = correlated;
        Type = SqlType.Text;
    }

    public PlanNode Plan { get; }

    public bool Correlated { get; }

    public override object? Eval(ExecContext ctx, object?[] row)
    {
        var type = Plan.Columns[0].Type;
        return ArrayText.Format(SubqueryExpr.RunRows(ctx, this, Plan, Correlated, row).Select(r => r[0] is null ? null : Values.ToText(r[0]!, type)));
    }

    public override bool IsRowIndependent => false;

    public override void Explain(StringBuilder sb) => sb.Append("ARRAY(SubPlan)");
}

/// <summary>PostgreSQL's one-dimensional array literal: {a,"b c",NULL}. Tusk passes arrays around as this text.</summary>
internal static class ArrayText
{
    public static string Format(IEnumerable<string?> items)
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var item in items)
        {
            if (!first) sb.Append(',');
            first = false;
            if (item is null) sb.Append("NULL");
            else if (item.Length == 0 || item.Any(c => c is ',' or '{' or '}' or '"' or '\\' or ' ') || item.Equals("NULL", StringComparison.OrdinalIgnoreCase))
                sb.Append('"').Append(item.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            else sb.Append(item);
        }
        return sb.Append('}').ToString();
    }

    /// <summary>The elements of '{a,b}' (or of an int2vector/oidvector's '1 2'); NULL elements are null.</summary>
    public static List<string?> Parse(string text)
    {
        var items = new List<string?>();
        text = text.Trim();
        if (!text.StartsWith('{'))
        {
            items.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            return items;
        }
        var i = 1;
        while (i < text.Length && text[i] != '}')
        {
            var sb = new StringBuilder();
            var quoted = false;
            if (text[i] == '"')
            {
                quoted = true;
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    sb.Append(text[i++]);
                }
                i++;
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '}')) sb.Append(text[i++]);
            }
            var item = quoted ? sb.ToString() : sb.ToString().Trim();
            items.Add(!quoted && item.Equals("NULL", StringComparison.OrdinalIgnoreCase) ? null : item);
            if (i < text.Length && text[i] == ',') i++;
        }
        return items;
    }

    public static string Join(string array, string separator, string? nullText) =>
        string.Join(separator, Parse(array).Where(x => x is not null || nullText is not null).Select(x => x ?? nullText));
}
