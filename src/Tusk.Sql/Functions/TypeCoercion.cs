using Tusk.Sql.Types;

namespace Tusk.Sql.Functions;

/// <summary>
/// PostgreSQL's implicit casts and type categories (pg_cast castcontext 'i', pg_type typcategory/typispreferred),
/// for the types Tusk has. Overload resolution uses them; the binder does the actual casts.
/// </summary>
internal static class TypeCoercion
{
    /// <summary>The polymorphic "any" parameter (concat, jsonb_build_object, to_jsonb); never leaves this folder.</summary>
    public static readonly SqlType Any = new(SqlTypeId.Unknown, Length: -2);

    public static bool IsAny(SqlType type) => ReferenceEquals(type, Any) || type == Any;

    /// <summary>pg_type.typcategory: B boolean, N numeric, S string, D datetime, T timespan, U user-defined/other.</summary>
    public static char Category(SqlType type) => type.Id switch
    {
        SqlTypeId.Bool => 'B',
        SqlTypeId.Int2 or SqlTypeId.Int4 or SqlTypeId.Int8 or SqlTypeId.Float4 or SqlTypeId.Float8 or SqlTypeId.Numeric => 'N',
        SqlTypeId.Text or SqlTypeId.Varchar or SqlTypeId.Char => 'S',
        SqlTypeId.Date or SqlTypeId.Time or SqlTypeId.Timestamp or SqlTypeId.TimestampTz => 'D',
        SqlTypeId.Interval => 'T',
        SqlTypeId.Unknown => IsAny(type) ? 'A' : 'X',
        _ => 'U',
    };

    /// <summary>typispreferred: float8, text, timestamptz, interval (and bool); never "any".</summary>
    public static bool IsPreferred(SqlType type) => !IsAny(type) && type.Id is SqlTypeId.Float8 or SqlTypeId.Text or SqlTypeId.TimestampTz or SqlTypeId.Interval or SqlTypeId.Bool;

    /// <summary>True if a value of <paramref name="from"/> reaches <paramref name="to"/> without an explicit cast.</summary>
    public static bool CanCoerce(SqlTypeId from, SqlType to)
    {
        if (IsAny(to) || from == SqlTypeId.Unknown || from == to.Id) return true;
        return from switch
        {
            SqlTypeId.Int2 => to.Id is SqlTypeId.Int4 or SqlTypeId.Int8 or SqlTypeId.Numeric or SqlTypeId.Float4 or SqlTypeId.Float8,
            SqlTypeId.Int4 => to.Id is SqlTypeId.Int8 or SqlTypeId.Numeric or SqlTypeId.Float4 or SqlTypeId.Float8,
            SqlTypeId.Int8 => to.Id is SqlTypeId.Numeric or SqlTypeId.Float4 or SqlTypeId.Float8,
            SqlTypeId.Numeric => to.Id is SqlTypeId.Float4 or SqlTypeId.Float8,
            SqlTypeId.Float4 => to.Id is SqlTypeId.Float8,
            SqlTypeId.Text or SqlTypeId.Varchar or SqlTypeId.Char => to.Id is SqlTypeId.Text or SqlTypeId.Varchar or SqlTypeId.Char,
            SqlTypeId.Date => to.Id is SqlTypeId.Timestamp or SqlTypeId.TimestampTz,
            SqlTypeId.Timestamp => to.Id is SqlTypeId.TimestampTz,
            SqlTypeId.Time => to.Id is SqlTypeId.Interval,
            _ => false,
        };
    }
}
