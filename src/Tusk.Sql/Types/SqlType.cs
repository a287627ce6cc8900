namespace Tusk.Sql.Types;

/// <summary>The SQL types Tusk supports (issue #4), with PostgreSQL's type OIDs so clients see familiar types.</summary>
public enum SqlTypeId : byte
{
    Unknown,
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Text,
    Varchar,
    Char,
    Bytea,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Jsonb,
}

/// <summary>
/// A type with its modifier (varchar(n), char(n), numeric(p,s)); immutable. Values travel as CLR objects:
/// bool, short, int, long, float, double, decimal (numeric), string (text, varchar, char, jsonb as its canonical
/// text), byte[] (bytea), DateOnly (date), TimeOnly (time), DateTime (timestamp, Kind Unspecified; timestamptz, Kind
/// Utc), <see cref="Interval"/>, Guid (uuid); null is SQL NULL.
/// </summary>
public sealed record SqlType(SqlTypeId Id, int Length = -1, int Precision = -1, int Scale = -1)
{
    public static readonly SqlType Unknown = new(SqlTypeId.Unknown);
    public static readonly SqlType Bool = new(SqlTypeId.Bool);
    public static readonly SqlType Int2 = new(SqlTypeId.Int2);
    public static readonly SqlType Int4 = new(SqlTypeId.Int4);
    public static readonly SqlType Int8 = new(SqlTypeId.Int8);
    public static readonly SqlType Float4 = new(SqlTypeId.Float4);
    public static readonly SqlType Float8 = new(SqlTypeId.Float8);
    public static readonly SqlType Numeric = new(SqlTypeId.Numeric);
    public static readonly SqlType Text = new(SqlTypeId.Text);
    public static readonly SqlType Bytea = new(SqlTypeId.Bytea);
    public static readonly SqlType Date = new(SqlTypeId.Date);
    public static readonly SqlType Time = new(SqlTypeId.Time);
    public static readonly SqlType Timestamp = new(SqlTypeId.Timestamp);
    public static readonly SqlType TimestampTz = new(SqlTypeId.TimestampTz);
    public static readonly SqlType Interval = new(SqlTypeId.Interval);
    public static readonly SqlType Uuid = new(SqlTypeId.Uuid);
    public static readonly SqlType Jsonb = new(SqlTypeId.Jsonb);

    /// <summary>PostgreSQL's OID of the type (pg_type.oid), sent in RowDescription and ParameterDescription.</summary>
    public int Oid => Id switch
    {
        SqlTypeId.Bool => 16,
        SqlTypeId.Bytea => 17,
        SqlTypeId.Int8 => 20,
        SqlTypeId.Int2 => 21,
        SqlTypeId.Int4 => 23,
        SqlTypeId.Text => 25,
        SqlTypeId.Float4 => 700,
        SqlTypeId.Float8 => 701,
        SqlTypeId.Char => 1042,
        SqlTypeId.Varchar => 1043,
        SqlTypeId.Date => 1082,
        SqlTypeId.Time => 1083,
        SqlTypeId.Timestamp => 1114,
        SqlTypeId.TimestampTz => 1184,
        SqlTypeId.Interval => 1186,
        SqlTypeId.Numeric => 1700,
        SqlTypeId.Uuid => 2950,
        SqlTypeId.Jsonb => 3802,
        _ => 705,  // unknown
    };

    /// <summary>pg_type.typlen: the fixed size in bytes, or -1 for variable length.</summary>
    public short Size => Id switch
    {
        SqlTypeId.Bool => 1,
        SqlTypeId.Int2 => 2,
        SqlTypeId.Int4 or SqlTypeId.Float4 or SqlTypeId.Date => 4,
        SqlTypeId.Int8 or SqlTypeId.Float8 or SqlTypeId.Time or SqlTypeId.Timestamp or SqlTypeId.TimestampTz => 8,
        SqlTypeId.Interval or SqlTypeId.Uuid => 16,
        _ => -1,
    };

    /// <summary>pg_attribute.atttypmod as PostgreSQL encodes it: varchar(n) → n + 4, numeric(p,s) → ((p &lt;&lt; 16) | s) + 4; -1 if none.</summary>
    public int TypeModifier => Id switch
    {
        SqlTypeId.Varchar or SqlTypeId.Char when Length >= 0 => Length + 4,
        SqlTypeId.Numeric when Precision >= 0 => ((Precision << 16) | Math.Max(Scale, 0)) + 4,
        _ => -1,
    };

    /// <summary>The name as PostgreSQL's format_type prints it.</summary>
    public string Name => Id switch
    {
        SqlTypeId.Bool => "boolean",
        SqlTypeId.Int2 => "smallint",
        SqlTypeId.Int4 => "integer",
        SqlTypeId.Int8 => "bigint",
        SqlTypeId.Float4 => "real",
        SqlTypeId.Float8 => "double precision",
        SqlTypeId.Numeric => Precision >= 0 ? $"numeric({Precision},{Math.Max(Scale, 0)})" : "numeric",
        SqlTypeId.Text => "text",
        SqlTypeId.Varchar => Length >= 0 ? $"character varying({Length})" : "character varying",
        SqlTypeId.Char => $"character({Math.Max(Length, 1)})",
        SqlTypeId.Bytea => "bytea",
        SqlTypeId.Date => "date",
        SqlTypeId.Time => "time without time zone",
        SqlTypeId.Timestamp => "timestamp without time zone",
        SqlTypeId.TimestampTz => "timestamp with time zone",
        SqlTypeId.Interval => "interval",
        SqlTypeId.Uuid => "uuid",
        SqlTypeId.Jsonb => "jsonb",
        _ => "unknown",
    };

    public bool IsNumeric => Id is SqlTypeId.Int2 or SqlTypeId.Int4 or SqlTypeId.Int8 or SqlTypeId.Float4 or SqlTypeId.Float8 or SqlTypeId.Numeric;

    public bool IsText => Id is SqlTypeId.Text or SqlTypeId.Varchar or SqlTypeId.Char;

    public override string ToString() => Name;

    /// <summary>Resolves a type name as written in SQL (with its modifiers); null if unknown.</summary>
    public static SqlType? FromName(string name, int[] modifiers) => name switch
    {
        "bool" or "boolean" => Bool,
        "int2" or "smallint" => Int2,
        "int" or "int4" or "integer" or "serial" or "serial4" => Int4,
        "int8" or "bigint" or "bigserial" or "serial8" => Int8,
        "float4" or "real" => Float4,
        "float8" or "double precision" => Float8,
        "float" => modifiers.Length > 0 && modifiers[0] <= 24 ? Float4 : Float8,
        "numeric" or "decimal" => modifiers.Length switch
        {
            0 => Numeric,
            1 => new SqlType(SqlTypeId.Numeric, Precision: modifiers[0], Scale: 0),
            _ => new SqlType(SqlTypeId.Numeric, Precision: modifiers[0], Scale: modifiers[1]),
        },
        "text" => Text,
        "varchar" or "character varying" => new SqlType(SqlTypeId.Varchar, Length: modifiers.Length > 0 ? modifiers[0] : -1),
        "char" or "character" or "bpchar" => new SqlType(SqlTypeId.Char, Length: modifiers.Length > 0 ? modifiers[0] : 1),
        "bytea" => Bytea,
        "date" => Date,
        "time" => Time,
        "timestamp" => Timestamp,
        "timestamptz" => TimestampTz,
        "interval" => Interval,
        "uuid" => Uuid,
        "jsonb" or "json" => Jsonb,
        _ => null,
    };
}

/// <summary>An interval as PostgreSQL keeps it: months, days and microseconds, each signed, not normalized into each other.</summary>
public readonly record struct Interval(int Months, int Days, long Microseconds)
{
    public const long MicrosecondsPerDay = 86_400_000_000L;

    /// <summary>For comparisons: a month counts as 30 days, a day as 24 hours (PostgreSQL's interval_cmp).</summary>
    public decimal TotalMicroseconds => (Months * 30m + Days) * MicrosecondsPerDay + Microseconds;
}
