using Tusk.Sql.Execution;
using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>
/// The columns of one virtual catalog relation, declared as PostgreSQL's catalog docs list them ("relname:name
/// relkind:char ..."), and a row builder that fills the columns a caller does not name with the type's default.
/// Immutable after construction; shared by all sessions.
/// </summary>
/// <remarks>
/// Type mapping (Tusk has no oid, name, "char" or array types): oid, regproc and xid → int8 (PostgreSQL's oid is an
/// unsigned 32-bit number, so every value fits and prints the same); name, "char" and text → text; arrays
/// (aclitem[], text[], int2vector, ...) → text in their literal form ('{a,b}', or '1 2' for int2vector), usually NULL.
/// </remarks>
internal sealed class CatalogShape
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly object?[] _defaults;

    public CatalogShape(string spec)
    {
        var parts = spec.Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        Columns = new PlanColumn[parts.Length];
        _defaults = new object?[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var colon = parts[i].IndexOf(':', StringComparison.Ordinal);
            Invariant(colon > 0, $"column spec '{parts[i]}' needs name:type");
            var name = parts[i][..colon];
            var (type, initial) = parts[i][(colon + 1)..] switch
            {
                "oid" or "regproc" or "xid" or "int8" => (SqlType.Int8, (object?)0L),
                "int4" => (SqlType.Int4, 0),
                "int2" => (SqlType.Int2, (short)0),
                "float4" => (SqlType.Float4, 0f),
                "float8" => (SqlType.Float8, 0d),
                "bool" => (SqlType.Bool, false),
                "name" or "char" => (SqlType.Text, ""),
                "text" or "arr" => (SqlType.Text, null),
                "timestamptz" => (SqlType.TimestampTz, null),
                var other => throw new InvalidOperationException($"catalog column type {other} is not mapped"),
            };
            Columns[i] = new PlanColumn(name, type);
            _defaults[i] = initial;
            Invariant(_index.TryAdd(name, i), $"duplicate catalog column {name}");
        }
    }

    public PlanColumn[] Columns { get; }

    /// <summary>A row with the named columns set (values converted to the column's CLR type) and the rest defaulted.</summary>
    public object?[] Row(params (string Column, object? Value)[] values)
    {
        var row = (object?[])_defaults.Clone();
        foreach (var (column, value) in values)
        {
            if (!_index.TryGetValue(column, out var i)) throw new InvalidOperationException($"catalog column {column} does not exist");
            row[i] = Convert(value, Columns[i].Type.Id);
        }
        return row;
    }

    private static object? Convert(object? value, SqlTypeId type) => (value, type) switch
    {
        (null, _) => null,
        (int v, SqlTypeId.Int8) => (long)v,
        (short v, SqlTypeId.Int8) => (long)v,
        (int v, SqlTypeId.Int2) => (short)v,
        (long v, SqlTypeId.Int4) => checked((int)v),
        (short v, SqlTypeId.Int4) => (int)v,
        (int v, SqlTypeId.Float4) => (float)v,
        (long v, SqlTypeId.Float4) => (float)v,
        (char v, SqlTypeId.Text) => v.ToString(),
        _ => value,
    };

    private static void Invariant(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }
}

/// <summary>
/// OIDs of catalog objects. PostgreSQL's fixed OIDs for built-in objects; user objects are derived from their ids so
/// the mapping is a pure function of the catalog snapshot (no OID counter to persist):
/// <code>oid = (kind &lt;&lt; 16) + 16384 + relationId</code>
/// where kind 0 is the relation itself (TableDescriptor.Oid), 1..999 an index (kind = index id), 1000..1999 the
/// constraint backed by index (kind - 1000), 2000..2999 a CHECK constraint (position in Checks), 3000..3999 a
/// column default (pg_attrdef, column position), 4000..4999 a column's sequence. Invariant: relation ids stay below
/// 49152 so the low 16 bits identify the relation; every OID stays below 2^32 as PostgreSQL's do.
/// </summary>
internal static class CatalogOids
{
    public const long PgCatalogNamespace = 11;
    public const long PublicNamespace = 2200;
    public const long PgToastNamespace = 99;
    public const long InformationSchemaNamespace = 13000;
    public const long BootstrapSuperuser = 10;
    public const long Database = 5;
    public const long DefaultTablespace = 1663;
    public const long HeapAccessMethod = 2;
    public const long BtreeAccessMethod = 403;
    public const long DefaultCollation = 100;

    public const int IndexKind = 0;
    public const int ConstraintKind = 1000;
    public const int CheckKind = 2000;
    public const int DefaultKind = 3000;
    public const int SequenceKind = 4000;
    public const int ForeignKeyKind = 5000;
    private const int KindShift = 16;

    public static long Encode(int relationId, int kind) => ((long)kind << KindShift) + Catalog.Catalog.OidBase + relationId;

    /// <summary>The relation id and kind of a user object's OID, or null for a built-in OID.</summary>
    public static (int RelationId, int Kind)? Decode(long oid)
    {
        if (oid < Catalog.Catalog.OidBase || oid >= 1L << 32) return null;
        var low = oid & ((1 << KindShift) - 1);
        if (low < Catalog.Catalog.OidBase) return null;
        return ((int)(low - Catalog.Catalog.OidBase), (int)(oid >> KindShift));
    }

    public static long Namespace(Catalog.Catalog catalog, string schema) => schema switch
    {
        "public" => PublicNamespace,
        "pg_catalog" => PgCatalogNamespace,
        "information_schema" => InformationSchemaNamespace,
        "pg_toast" => PgToastNamespace,
        _ => catalog.Schemas.TryGetValue(schema, out var id) ? Catalog.Catalog.SchemaOidBase + id : 0,
    };
}
