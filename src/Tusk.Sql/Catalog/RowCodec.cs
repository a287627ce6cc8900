using System.Buffers;
using Tusk.Core.Encoding;
using Tusk.Sql.Types;

namespace Tusk.Sql.Catalog;

/// <summary>
/// Row and index keys and row values in the key space (RFC 20261121_sql_on_kv §1):
/// row key ("t", table, 1, pk...) → value (column id, value, column id, value, ...) for non-key, non-null columns;
/// index entry ("t", table, index, values... [, pk... when not unique]) → pk values (unique) or empty.
/// Values are mapped to tuple elements so that the byte order of keys is the SQL order of the values.
/// </summary>
internal static class RowCodec
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    private static ArrayBufferWriter<byte> Buffer()
    {
        var b = t_buffer ??= new ArrayBufferWriter<byte>(256);
        b.ResetWrittenCount();
        return b;
    }

    /// <summary>The prefix of every key of an index of a table: ("t", table, index).</summary>
    public static byte[] IndexPrefix(int tableId, int indexId) => TupleEncoding.Pack("t", (long)tableId, (long)indexId);

    /// <summary>The prefix of all of a table's keys: ("t", table).</summary>
    public static byte[] TablePrefix(int tableId) => TupleEncoding.Pack("t", (long)tableId);

    /// <summary>A key: the index prefix, then <paramref name="values"/> of <paramref name="types"/>.</summary>
    public static byte[] Key(int tableId, int indexId, ReadOnlySpan<object?> values, ReadOnlySpan<SqlType> types)
    {
        var buffer = Buffer();
        var w = new TupleWriter(buffer);
        w.AppendString("t");
        w.AppendInt64(tableId);
        w.AppendInt64(indexId);
        for (var i = 0; i < values.Length; i++) AppendKeyValue(ref w, values[i], types[i]);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Writes the key <see cref="Key"/> would return into <paramref name="output"/> (after what it holds), so a caller
    /// that builds many keys can reuse one buffer.
    /// </summary>
    public static void WriteKey(IBufferWriter<byte> output, int tableId, int indexId, ReadOnlySpan<object?> values, ReadOnlySpan<SqlType> types)
    {
        var w = new TupleWriter(output);
        w.AppendString("t");
        w.AppendInt64(tableId);
        w.AppendInt64(indexId);
        for (var i = 0; i < values.Length; i++) AppendKeyValue(ref w, values[i], types[i]);
    }

    /// <summary>Appends a value to a key being built (order preserving).</summary>
    public static void AppendKeyValue(ref TupleWriter w, object? value, SqlType type)
    {
        if (type.Id == SqlTypeId.Numeric && value is short or int or long or float or double) value = Execution.Values.ToNumeric(value);
        switch (value)
        {
            case null: w.AppendNull(); break;
            case bool b: w.AppendBool(b); break;
            case short s: w.AppendInt64(s); break;
            case int i: w.AppendInt64(i); break;
            case long l: w.AppendInt64(l); break;
            case float f: w.AppendDouble(f); break;
            case double d: w.AppendDouble(d); break;
            case string s: w.AppendString(s); break;
            case byte[] b: w.AppendBytes(b); break;
            case DateOnly d: w.AppendInt64(d.DayNumber); break;
            case TimeOnly t: w.AppendInt64(t.Ticks); break;
            case DateTime dt: w.AppendInt64(dt.Ticks); break;
            case Guid g:
            {
                Span<byte> bytes = stackalloc byte[16];
                g.TryWriteBytes(bytes, bigEndian: true, out _);
                w.AppendBytes(bytes);
                break;
            }
            case Interval iv:
                // Ordered by its total length, then exactly.
                w.BeginTuple();
                w.AppendDouble((double)iv.TotalMicroseconds);
                w.AppendInt64(iv.Months);
                w.AppendInt64(iv.Days);
                w.AppendInt64(iv.Microseconds);
                w.EndTuple();
                break;
            case SqlNumeric m:
                w.AppendBytes(NumericKey.Encode(m));
                break;
            default:
                throw new ArgumentException($"cannot encode {value.GetType().Name} for {type}");
        }
    }

    /// <summary>Reads the value <see cref="AppendKeyValue"/> wrote; the reader is positioned on its first token.</summary>
    public static object? ReadKeyValue(ref TupleReader r, SqlType type)
    {
        switch (r.TokenType)
        {
            case TupleTokenType.Null: return null;
            case TupleTokenType.Boolean: return r.GetBoolean();
            case TupleTokenType.String:
                return type.Id == SqlTypeId.Numeric ? SqlNumeric.Parse(r.GetString()) : r.GetString();
            case TupleTokenType.Bytes:
            {
                var bytes = r.GetBytes();
                if (type.Id == SqlTypeId.Numeric)
                {
                    var m = NumericKey.Decode(bytes);
                    return type.Precision >= 0 ? TextFormat.ApplyNumericModifier(m, type) : m;
                }
                return type.Id == SqlTypeId.Uuid ? new Guid(bytes, bigEndian: true) : bytes;
            }
            case TupleTokenType.Double:
                return type.Id == SqlTypeId.Float4 ? (object)(float)r.GetDouble() : (object)r.GetDouble();
            case TupleTokenType.Int64:
            {
                var l = r.GetInt64();
                return type.Id switch
                {
                    SqlTypeId.Int2 => (short)l,
                    SqlTypeId.Int4 => (int)l,
                    SqlTypeId.Date => DateOnly.FromDayNumber((int)l),
                    SqlTypeId.Time => new TimeOnly(l),
                    SqlTypeId.Timestamp => new DateTime(l, DateTimeKind.Unspecified),
                    SqlTypeId.TimestampTz => new DateTime(l, DateTimeKind.Utc),
                    _ => l,
                };
            }
            case TupleTokenType.BeginTuple:
            {
                if (type.Id == SqlTypeId.Interval)
                {
                    r.Read(); // total
                    r.Read(); var months = (int)r.GetInt64();
                    r.Read(); var days = (int)r.GetInt64();
                    r.Read(); var micros = r.GetInt64();
                    r.Read(); // end
                    return new Interval(months, days, micros);
                }
                // Keys written before numeric keys were order-preserving bytes: (double, canonical text).
                r.Read(); // double
                r.Read();
                var text = r.GetString();
                r.Read(); // end
                var legacy = SqlNumeric.Parse(text);
                return type.Precision >= 0 ? TextFormat.ApplyNumericModifier(legacy, type) : legacy;
            }
            default:
                throw new InvalidDataException($"unexpected {r.TokenType} in a row key");
        }
    }

    /// <summary>
    /// Decodes the values after the 3-element index prefix of <paramref name="key"/> into <paramref name="row"/>
    /// at <paramref name="ordinals"/>.
    /// </summary>
    public static void DecodeKey(ReadOnlySpan<byte> key, ReadOnlySpan<int> ordinals, ReadOnlySpan<SqlType> types, object?[] row)
    {
        var r = new TupleReader(key);
        r.Read();
        r.Read();
        r.Read();
        for (var i = 0; i < ordinals.Length; i++)
        {
            if (!r.Read()) throw new InvalidDataException("row key is shorter than its primary key");
            row[ordinals[i]] = ReadKeyValue(ref r, types[i]);
        }
    }

    /// <summary>
    /// Reads the values after the 3-element prefix of <paramref name="key"/>: the first <paramref name="skipTypes"/>.Length
    /// are passed over, the next <paramref name="types"/>.Length go to <paramref name="into"/> from index 0.
    /// </summary>
    public static void DecodeKeyValues(ReadOnlySpan<byte> key, ReadOnlySpan<SqlType> skipTypes, ReadOnlySpan<SqlType> types, object?[] into)
    {
        var r = new TupleReader(key);
        r.Read();
        r.Read();
        r.Read();
        for (var i = 0; i < skipTypes.Length + types.Length; i++)
        {
            if (!r.Read()) throw new InvalidDataException("key is shorter than its columns");
            var value = ReadKeyValue(ref r, i < skipTypes.Length ? skipTypes[i] : types[i - skipTypes.Length]);
            if (i >= skipTypes.Length) into[i - skipTypes.Length] = value;
        }
    }

    /// <summary>Encodes the non-key columns of <paramref name="row"/> (laid out as the table's columns).</summary>
    public static byte[] EncodeValue(TableDescriptor table, object?[] row, bool[] isKey)
    {
        var buffer = Buffer();
        var w = new TupleWriter(buffer);
        for (var i = 0; i < table.Columns.Count; i++)
        {
            if (isKey[i] || row[i] is null) continue;
            var c = table.Columns[i];
            w.AppendInt64(c.Id);
            if (row[i] is SqlNumeric m)
            {
                // Values keep their exact scale (1.50 stays 1.50); only keys need the canonical, ordered form.
                w.AppendString(m.ToString());
                continue;
            }
            AppendKeyValue(ref w, row[i], c.Type);
        }
        // An all-null row still needs a value that is not "absent": a single empty marker.
        if (buffer.WrittenCount == 0) w.AppendNull();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Fills the non-key columns of <paramref name="row"/> from a row value (columns dropped since are skipped).</summary>
    public static void DecodeValue(TableDescriptor table, ReadOnlySpan<byte> value, object?[] row, Dictionary<int, int> ordinalById)
    {
        var r = new TupleReader(value);
        while (r.Read())
        {
            if (r.TokenType == TupleTokenType.Null) continue;
            var id = (int)r.GetInt64();
            if (!r.Read()) throw new InvalidDataException("row value ends after a column id");
            if (ordinalById.TryGetValue(id, out var ordinal))
            {
                row[ordinal] = ReadKeyValue(ref r, table.Columns[ordinal].Type);
            }
            else
            {
                SkipValue(ref r);
            }
        }
    }

    private static void SkipValue(ref TupleReader r)
    {
        if (r.TokenType != TupleTokenType.BeginTuple) return;
        var depth = 1;
        while (depth > 0 && r.Read())
        {
            if (r.TokenType == TupleTokenType.BeginTuple) depth++;
            else if (r.TokenType == TupleTokenType.EndTuple) depth--;
        }
    }

    /// <summary>The smallest key greater than every key that starts with <paramref name="prefixKey"/> as a tuple.</summary>
    public static byte[] TupleEnd(byte[] prefixKey) => TupleEncoding.TupleRange(prefixKey).End;
}
