using Tusk.Sql.Types;

namespace Tusk.Sql;

/// <summary>A row of pg_type for a built-in type (PostgreSQL's OIDs, names, lengths and categories).</summary>
internal sealed record BuiltinType(long Oid, string Name, short Length, string Category, long Array, string Kind = "b", long Element = 0, bool Preferred = false)
{
    public bool IsArray => Element != 0;

    /// <summary>PostgreSQL stores fixed-size values of at most 8 bytes by value.</summary>
    public bool ByValue => Length is > 0 and <= 8;

    public string Align => Length switch { 1 => "c", 2 => "s", 8 => "d", 4 => "i", _ => IsArray || Length == -1 ? "i" : "c" };

    public string Storage => Length == -1 ? "x" : "p";

    /// <summary>Text-like types carry the default collation.</summary>
    public long Collation => Name is "text" or "varchar" or "bpchar" or "name" ? CatalogOids.DefaultCollation : 0;
}

/// <summary>
/// The built-in types Tusk reports in pg_type, their I/O functions in pg_proc, and format_type. Arrays are listed
/// (typcategory 'A', typreceive = array_recv) because Npgsql expects them, though Tusk stores no array values.
/// </summary>
internal static class CatalogTypes
{
    public const long ArrayIn = 750;
    public const long ArrayOut = 751;
    public const long ArrayRecv = 2400;
    public const long ArraySend = 2401;
    public const long TriggerType = 2279;
    private const long FunctionOidBase = 9000;

    public static readonly BuiltinType[] Base =
    [
        new(16, "bool", 1, "B", 1000, Preferred: true),
        new(17, "bytea", -1, "U", 1001),
        new(18, "char", 1, "Z", 1002),
        new(19, "name", 64, "S", 1003),
        new(20, "int8", 8, "N", 1016),
        new(21, "int2", 2, "N", 1005),
        new(23, "int4", 4, "N", 1007),
        new(24, "regproc", 4, "N", 1008),
        new(25, "text", -1, "S", 1009, Preferred: true),
        new(26, "oid", 4, "N", 1028, Preferred: true),
        new(28, "xid", 4, "U", 1011),
        new(114, "json", -1, "U", 199),
        new(700, "float4", 4, "N", 1021),
        new(701, "float8", 8, "N", 1022, Preferred: true),
        new(705, "unknown", -2, "X", 0, Kind: "p"),
        new(1042, "bpchar", -1, "S", 1014),
        new(1043, "varchar", -1, "S", 1015),
        new(1082, "date", 4, "D", 1182),
        new(1083, "time", 8, "D", 1183),
        new(1114, "timestamp", 8, "D", 1115),
        new(1184, "timestamptz", 8, "D", 1185, Preferred: true),
        new(1186, "interval", 16, "T", 1187, Preferred: true),
        new(1700, "numeric", -1, "N", 1231),
        new(2205, "regclass", 4, "N", 2210),
        new(2206, "regtype", 4, "N", 2211),
        new(2249, "record", -1, "P", 2287, Kind: "p"),
        new(2275, "cstring", -2, "P", 1263, Kind: "p"),
        new(2278, "void", 4, "P", 0, Kind: "p"),
        new(TriggerType, "trigger", 4, "P", 0, Kind: "p"),
        new(2950, "uuid", 16, "U", 2951),
        new(3802, "jsonb", -1, "U", 3807),
        new(4089, "regnamespace", 4, "N", 4090),
        new(4096, "regrole", 4, "N", 4097),
    ];

    /// <summary>Every pg_type row: the base types, then an array type for each that has one.</summary>
    public static readonly BuiltinType[] All =
    [
        .. Base,
        .. Base.Where(t => t.Array != 0).Select(t => new BuiltinType(t.Array, "_" + t.Name, -1, "A", 0, Element: t.Oid)),
    ];

    private static readonly Dictionary<long, BuiltinType> ByOid = All.ToDictionary(t => t.Oid);

    public static BuiltinType? Find(long oid) => ByOid.GetValueOrDefault(oid);

    /// <summary>pg_proc rows: (oid, name, argument type, result type) for each type's in/out/recv/send and array_*.</summary>
    public static readonly (long Oid, string Name, long ArgumentType, long ResultType)[] Functions =
    [
        (ArrayIn, "array_in", 2275, 2277),
        (ArrayOut, "array_out", 2277, 2275),
        (ArrayRecv, "array_recv", 2281, 2277),
        (ArraySend, "array_send", 2277, 17),
        .. Base.SelectMany((t, i) => new[]
        {
            (FunctionOidBase + 4 * i, FunctionStem(t) + "in", 2275L, t.Oid),
            (FunctionOidBase + 4 * i + 1, FunctionStem(t) + "out", t.Oid, 2275L),
            (FunctionOidBase + 4 * i + 2, FunctionStem(t) + "recv", 2281L, t.Oid),
            (FunctionOidBase + 4 * i + 3, FunctionStem(t) + "send", t.Oid, 17L),
        }),
    ];

    private static string FunctionStem(BuiltinType t) => t.Name switch
    {
        "bool" => "bool",
        "bytea" => "bytea",
        "char" => "char",
        "timestamp" => "timestamp_",
        "timestamptz" => "timestamptz_",
        "time" => "time_",
        "date" => "date_",
        "numeric" => "numeric_",
        "record" => "record_",
        "void" => "void_",
        "uuid" => "uuid_",
        "jsonb" => "jsonb_",
        "json" => "json_",
        "interval" => "interval_",
        _ => t.Name,
    };

    /// <summary>The I/O functions of a type: (typinput, typoutput, typreceive, typsend).</summary>
    public static (long Input, long Output, long Receive, long Send) IoFunctions(BuiltinType t)
    {
        if (t.IsArray) return (ArrayIn, ArrayOut, ArrayRecv, ArraySend);
        var i = Array.IndexOf(Base, t);
        var first = FunctionOidBase + 4 * i;
        return (first, first + 1, first + 2, first + 3);
    }

    /// <summary>format_type(oid, typmod): the SQL name with modifiers, as psql shows column types.</summary>
    public static string? Format(long oid, int typmod)
    {
        if (oid == 0) return "-";
        var type = Find(oid);
        if (type is null) return "???";
        if (type.IsArray) return Format(type.Element, typmod) + "[]";
        var sql = ToSqlType(oid, typmod);
        if (sql is not null) return sql.Name;
        return type.Name switch
        {
            "char" => "\"char\"",
            "json" => "json",
            _ => type.Name,
        };
    }

    /// <summary>The Tusk type for a type OID and modifier (varchar(n) = n + 4, numeric(p,s) = ((p &lt;&lt; 16) | s) + 4), or null.</summary>
    public static SqlType? ToSqlType(long oid, int typmod) => oid switch
    {
        16 => SqlType.Bool,
        17 => SqlType.Bytea,
        20 => SqlType.Int8,
        21 => SqlType.Int2,
        23 => SqlType.Int4,
        25 => SqlType.Text,
        700 => SqlType.Float4,
        701 => SqlType.Float8,
        1042 => new SqlType(SqlTypeId.Char, Length: typmod >= 4 ? typmod - 4 : 1),
        1043 => new SqlType(SqlTypeId.Varchar, Length: typmod >= 4 ? typmod - 4 : -1),
        1082 => SqlType.Date,
        1083 => SqlType.Time,
        1114 => SqlType.Timestamp,
        1184 => SqlType.TimestampTz,
        1186 => SqlType.Interval,
        1700 => typmod >= 4 ? new SqlType(SqlTypeId.Numeric, Precision: (typmod - 4) >> 16, Scale: (typmod - 4) & 0xFFFF) : SqlType.Numeric,
        2950 => SqlType.Uuid,
        3802 => SqlType.Jsonb,
        _ => null,
    };

    /// <summary>A type name as regtype input accepts it ("integer", "pg_catalog.int4", "character varying", "text[]"), or null.</summary>
    public static long? Resolve(string name)
    {
        name = name.Trim();
        if (name.StartsWith("pg_catalog.", StringComparison.Ordinal)) name = name["pg_catalog.".Length..];
        name = name.Trim('"');
        if (name.EndsWith("[]", StringComparison.Ordinal)) return Resolve(name[..^2]) is { } element ? Find(element)?.Array : null;
        var exact = All.FirstOrDefault(t => t.Name == name);
        if (exact is not null) return exact.Oid;
        var paren = name.IndexOf('(', StringComparison.Ordinal);
        var stem = paren > 0 ? name[..paren].Trim() : name;
        var sql = SqlType.FromName(stem switch
        {
            "timestamp without time zone" => "timestamp",
            "timestamp with time zone" => "timestamptz",
            "time without time zone" => "time",
            _ => stem,
        }, []);
        return sql is null ? null : sql.Oid;
    }
}
