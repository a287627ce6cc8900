using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Tusk.Sql.Types;

/// <summary>
/// Values to and from PostgreSQL's binary format (the typsend/typrecv functions, what the wire carries for a
/// parameter or a column whose format code is 1). All integers are big-endian. Per type:
/// <list type="bullet">
/// <item>bool: 1 byte, 0 or 1 (any non-zero byte reads as true). int2/int4/int8: two's complement. float4/float8: IEEE 754.</item>
/// <item>numeric: int16 ndigits, int16 weight, int16 sign (0x0000 positive, 0x4000 negative), int16 dscale, then
/// ndigits base-10000 digits (int16 each); value = Σ digit[i]·10000^(weight−i), shown with dscale fraction digits.
/// NaN, +Infinity and −Infinity are the signs 0xC000, 0xD000 and 0xF000 with no digits (PostgreSQL 14+).</item>
/// <item>text, varchar, char: the UTF-8 bytes (char padded to its length, as stored). jsonb: version byte 1, then the text.
/// bytea: the bytes as they are.</item>
/// <item>date: int32 days since 2000-01-01. time: int64 microseconds since midnight. timestamp and timestamptz: int64
/// microseconds since 2000-01-01 00:00:00 (UTC for timestamptz). interval: int64 microseconds, int32 days, int32 months.</item>
/// <item>uuid: the 16 bytes in RFC 4122 order (big-endian fields; .NET's <see cref="Guid"/> keeps the first three
/// fields little-endian in memory, so the bytes are written with <c>bigEndian: true</c>).</item>
/// </list>
/// Bad input raises <see cref="SqlDataException"/> with 22P03 (invalid_binary_representation), or 22003/22008 when
/// the value is well-formed but outside what the CLR type can hold. Stateless and thread-safe.
/// </summary>
public static class BinaryFormat
{
    public const string InvalidBinaryRepresentation = "22P03";

    private const int NumericPositive = 0x0000;
    private const int NumericNegative = 0x4000;
    private const int NumericNaN = 0xC000;
    private const int NumericPositiveInfinity = 0xD000;
    private const int NumericNegativeInfinity = 0xF000;
    private const int NumericBase = 10000;
    private const int NumericDigitsPerGroup = 4;

    /// <summary>Largest numeric digit count accepted on input: every base-10000 group of 131072 integer and 16383 fraction digits.</summary>
    private const int NumericGroupsMax = (SqlNumeric.MaxIntegerDigits + SqlNumeric.MaxScale) / NumericDigitsPerGroup + 2;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Unspecified).Ticks;
    private static readonly int PostgresEpochDayNumber = new DateOnly(2000, 1, 1).DayNumber;

    /// <summary>The binary form of <paramref name="value"/> (not null) as a column of <paramref name="type"/>.</summary>
    public static byte[] Encode(object value, SqlType type)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (type.Id)
        {
            case SqlTypeId.Bool:
                return [Convert.ToBoolean(value, CultureInfo.InvariantCulture) ? (byte)1 : (byte)0];
            case SqlTypeId.Int2:
            {
                var bytes = new byte[2];
                BinaryPrimitives.WriteInt16BigEndian(bytes, Convert.ToInt16(value, CultureInfo.InvariantCulture));
                return bytes;
            }
            case SqlTypeId.Int4:
            {
                var bytes = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(bytes, Convert.ToInt32(value, CultureInfo.InvariantCulture));
                return bytes;
            }
            case SqlTypeId.Int8:
            {
                var bytes = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(bytes, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                return bytes;
            }
            case SqlTypeId.Float4:
            {
                var bytes = new byte[4];
                BinaryPrimitives.WriteSingleBigEndian(bytes, Convert.ToSingle(value, CultureInfo.InvariantCulture));
                return bytes;
            }
            case SqlTypeId.Float8:
            {
                var bytes = new byte[8];
                BinaryPrimitives.WriteDoubleBigEndian(bytes, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                return bytes;
            }
            case SqlTypeId.Numeric:
                return EncodeNumeric(value switch
                {
                    SqlNumeric n => n,
                    decimal d => SqlNumeric.FromDecimal(d),
                    double d => SqlNumeric.FromDouble(d),
                    float f => SqlNumeric.FromDouble(f, 6),
                    _ => SqlNumeric.FromInt64(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
                });
            case SqlTypeId.Bytea:
                return value is byte[] raw ? raw : throw WrongClrType(value, type);
            case SqlTypeId.Date:
            {
                var bytes = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(bytes, As<DateOnly>(value, type).DayNumber - PostgresEpochDayNumber);
                return bytes;
            }
            case SqlTypeId.Time:
            {
                var bytes = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(bytes, As<TimeOnly>(value, type).Ticks / TimeSpan.TicksPerMicrosecond);
                return bytes;
            }
            case SqlTypeId.Timestamp or SqlTypeId.TimestampTz:
            {
                var bytes = new byte[8];
                // Floor division: a sub-microsecond part (which the engine does not produce) is dropped towards the past.
                var ticks = As<DateTime>(value, type).Ticks - PostgresEpochTicks;
                var micros = ticks / TimeSpan.TicksPerMicrosecond;
                if (ticks % TimeSpan.TicksPerMicrosecond < 0) micros--;
                BinaryPrimitives.WriteInt64BigEndian(bytes, micros);
                return bytes;
            }
            case SqlTypeId.Interval:
            {
                var interval = As<Interval>(value, type);
                var bytes = new byte[16];
                BinaryPrimitives.WriteInt64BigEndian(bytes, interval.Microseconds);
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), interval.Days);
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), interval.Months);
                return bytes;
            }
            case SqlTypeId.Uuid:
            {
                var bytes = new byte[16];
                As<Guid>(value, type).TryWriteBytes(bytes, bigEndian: true, out _);
                return bytes;
            }
            case SqlTypeId.Jsonb:
            {
                var text = As<string>(value, type);
                var bytes = new byte[1 + Encoding.UTF8.GetByteCount(text)];
                bytes[0] = 1;
                Encoding.UTF8.GetBytes(text, bytes.AsSpan(1));
                return bytes;
            }
            case SqlTypeId.Char:
            {
                var text = As<string>(value, type);
                return Encoding.UTF8.GetBytes(type.Length > text.Length ? text.PadRight(type.Length) : text);
            }
            default:  // text, varchar, unknown
                return Encoding.UTF8.GetBytes(value as string ?? TextFormat.Format(value, type));
        }
    }

    /// <summary>Reads a binary value of <paramref name="type"/> (a Bind parameter); throws <see cref="SqlDataException"/> on bad input.</summary>
    public static object Decode(ReadOnlySpan<byte> data, SqlType type)
    {
        switch (type.Id)
        {
            case SqlTypeId.Bool:
                return Fixed(data, 1, type)[0] != 0;
            case SqlTypeId.Int2:
                return BinaryPrimitives.ReadInt16BigEndian(Fixed(data, 2, type));
            case SqlTypeId.Int4:
                return BinaryPrimitives.ReadInt32BigEndian(Fixed(data, 4, type));
            case SqlTypeId.Int8:
                return BinaryPrimitives.ReadInt64BigEndian(Fixed(data, 8, type));
            case SqlTypeId.Float4:
                return BinaryPrimitives.ReadSingleBigEndian(Fixed(data, 4, type));
            case SqlTypeId.Float8:
                return BinaryPrimitives.ReadDoubleBigEndian(Fixed(data, 8, type));
            case SqlTypeId.Numeric:
                return DecodeNumeric(data);
            case SqlTypeId.Bytea:
                return data.ToArray();
            case SqlTypeId.Date:
            {
                var days = (long)BinaryPrimitives.ReadInt32BigEndian(Fixed(data, 4, type)) + PostgresEpochDayNumber;
                if (days < DateOnly.MinValue.DayNumber || days > DateOnly.MaxValue.DayNumber) throw OutOfRange("date");
                return DateOnly.FromDayNumber((int)days);
            }
            case SqlTypeId.Time:
            {
                var micros = BinaryPrimitives.ReadInt64BigEndian(Fixed(data, 8, type));
                if (micros < 0 || micros >= TimeOnly.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond + 1) throw OutOfRange("time");
                return new TimeOnly(micros * TimeSpan.TicksPerMicrosecond);
            }
            case SqlTypeId.Timestamp or SqlTypeId.TimestampTz:
            {
                var micros = BinaryPrimitives.ReadInt64BigEndian(Fixed(data, 8, type));
                var minMicros = (DateTime.MinValue.Ticks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond;
                var maxMicros = (DateTime.MaxValue.Ticks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond;
                if (micros < minMicros || micros > maxMicros) throw OutOfRange("timestamp");
                var kind = type.Id == SqlTypeId.TimestampTz ? DateTimeKind.Utc : DateTimeKind.Unspecified;
                return new DateTime(PostgresEpochTicks + micros * TimeSpan.TicksPerMicrosecond, kind);
            }
            case SqlTypeId.Interval:
            {
                var bytes = Fixed(data, 16, type);
                return new Interval(
                    BinaryPrimitives.ReadInt32BigEndian(bytes[12..]),
                    BinaryPrimitives.ReadInt32BigEndian(bytes[8..]),
                    BinaryPrimitives.ReadInt64BigEndian(bytes));
            }
            case SqlTypeId.Uuid:
                return new Guid(Fixed(data, 16, type), bigEndian: true);
            case SqlTypeId.Jsonb:
                if (data.Length == 0 || data[0] != 1)
                    throw new SqlDataException(InvalidBinaryRepresentation, data.Length == 0 ? "incorrect binary data format" : $"unsupported jsonb version number {data[0]}");
                return Functions.Jsonb.Canonicalize(Utf8(data[1..]));
            default:  // text, varchar, char, unknown
                return Utf8(data);
        }
    }

    /// <summary>
    /// Reads a binary one-dimensional array (array_recv: int32 ndim, int32 has-nulls flag, int32 element OID, then per
    /// dimension int32 length and int32 lower bound, then each element as int32 length, -1 for NULL, and its bytes)
    /// into the array's text form ('{1,2}'), which is how Tusk carries arrays.
    /// </summary>
    public static string DecodeArray(ReadOnlySpan<byte> data, SqlType elementType)
    {
        if (data.Length < 12) throw new SqlDataException(InvalidBinaryRepresentation, "incorrect binary data format in array");
        var dimensions = BinaryPrimitives.ReadInt32BigEndian(data);
        var flags = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        if (dimensions < 0 || dimensions > 6) throw new SqlDataException(InvalidBinaryRepresentation, $"invalid number of dimensions: {dimensions}");
        if (flags is not (0 or 1)) throw new SqlDataException(InvalidBinaryRepresentation, "invalid array flags");
        if (dimensions == 0) return "{}";
        if (dimensions > 1) throw new SqlDataException("0A000", "multidimensional arrays are not supported");
        if (data.Length < 20) throw new SqlDataException(InvalidBinaryRepresentation, "incorrect binary data format in array");
        var count = BinaryPrimitives.ReadInt32BigEndian(data[12..]);
        if (count < 0) throw new SqlDataException(InvalidBinaryRepresentation, "invalid array dimensions");
        var at = 20;
        var items = new string?[count];
        for (var i = 0; i < count; i++)
        {
            if (data.Length - at < 4) throw new SqlDataException(InvalidBinaryRepresentation, "insufficient data left in message");
            var length = BinaryPrimitives.ReadInt32BigEndian(data[at..]);
            at += 4;
            if (length == -1) continue;
            if (length < 0 || data.Length - at < length) throw new SqlDataException(InvalidBinaryRepresentation, "insufficient data left in message");
            items[i] = TextFormat.Format(Decode(data.Slice(at, length), elementType), elementType);
            at += length;
        }
        if (at != data.Length) throw new SqlDataException(InvalidBinaryRepresentation, "incorrect binary data format in array");
        return ArrayText.Format(items);
    }

    private static ReadOnlySpan<byte> Fixed(ReadOnlySpan<byte> data, int length, SqlType type) =>
        data.Length == length
            ? data
            : throw new SqlDataException(InvalidBinaryRepresentation, $"incorrect binary data format: {data.Length} bytes for type {type.Name} (expected {length})");

    private static string Utf8(ReadOnlySpan<byte> data)
    {
        try
        {
            return StrictUtf8.GetString(data);
        }
        catch (DecoderFallbackException)
        {
            throw new SqlDataException("22021", "invalid byte sequence for encoding \"UTF8\"");
        }
    }

    private static T As<T>(object value, SqlType type) => value is T t ? t : throw WrongClrType(value, type);

    private static InvalidOperationException WrongClrType(object value, SqlType type) =>
        new($"a {value.GetType().Name} cannot be sent as {type.Name}");

    private static SqlDataException OutOfRange(string typeName) =>
        new(SqlDataException.DatetimeFieldOverflow, $"{typeName} out of range");

    /// <summary>numeric_send: the value's digits (with its scale) cut into base-10000 groups aligned on the decimal point.</summary>
    private static byte[] EncodeNumeric(SqlNumeric value)
    {
        if (!value.IsFinite)
        {
            var special = new byte[8];
            var code = value.IsNaN ? NumericNaN : value.IsPositiveInfinity ? NumericPositiveInfinity : NumericNegativeInfinity;
            BinaryPrimitives.WriteUInt16BigEndian(special.AsSpan(4), (ushort)code);
            return special;
        }
        ReadOnlySpan<char> digits = value.ToString();
        var negative = digits[0] == '-';
        if (negative) digits = digits[1..];
        var point = digits.IndexOf('.');
        ReadOnlySpan<char> integer = point < 0 ? digits : digits[..point];
        ReadOnlySpan<char> fraction = point < 0 ? [] : digits[(point + 1)..];
        integer = integer.TrimStart('0');
        var dscale = fraction.Length;

        var integerGroups = (integer.Length + NumericDigitsPerGroup - 1) / NumericDigitsPerGroup;
        var fractionGroups = (fraction.Length + NumericDigitsPerGroup - 1) / NumericDigitsPerGroup;
        var groupCount = integerGroups + fractionGroups;
        Span<short> groups = groupCount <= 256 ? stackalloc short[groupCount] : new short[groupCount];
        // Integer digits are right-aligned on the point, fraction digits left-aligned.
        var integerPad = integerGroups * NumericDigitsPerGroup - integer.Length;
        for (var g = 0; g < groups.Length; g++)
        {
            var group = 0;
            for (var d = 0; d < NumericDigitsPerGroup; d++)
            {
                var position = g * NumericDigitsPerGroup + d;  // in the padded integer ++ padded fraction
                int digit;
                if (position < integerGroups * NumericDigitsPerGroup)
                    digit = position < integerPad ? 0 : integer[position - integerPad] - '0';
                else
                {
                    var f = position - integerGroups * NumericDigitsPerGroup;
                    digit = f < fraction.Length ? fraction[f] - '0' : 0;
                }
                group = group * 10 + digit;
            }
            groups[g] = (short)group;
        }
        var weight = integerGroups - 1;
        var first = 0;
        while (first < groups.Length && groups[first] == 0)
        {
            first++;
            weight--;
        }
        var end = groups.Length;
        while (end > first && groups[end - 1] == 0) end--;
        var significant = groups[first..end];
        if (significant.IsEmpty)
        {
            weight = 0;
            negative = false;
        }

        var bytes = new byte[8 + 2 * significant.Length];
        BinaryPrimitives.WriteInt16BigEndian(bytes, (short)significant.Length);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(2), (short)weight);
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(4), (short)(negative ? NumericNegative : NumericPositive));
        BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(6), (short)dscale);
        for (var i = 0; i < significant.Length; i++) BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(8 + 2 * i), significant[i]);
        return bytes;
    }

    /// <summary>numeric_recv: digits beyond dscale are cut off, as PostgreSQL does.</summary>
    private static SqlNumeric DecodeNumeric(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8) throw new SqlDataException(InvalidBinaryRepresentation, "insufficient data left in message for numeric");
        int ndigits = BinaryPrimitives.ReadInt16BigEndian(data);
        int weight = BinaryPrimitives.ReadInt16BigEndian(data[2..]);
        var sign = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        int dscale = BinaryPrimitives.ReadInt16BigEndian(data[6..]);
        if (ndigits < 0 || ndigits > NumericGroupsMax || data.Length != 8 + 2 * ndigits)
            throw new SqlDataException(InvalidBinaryRepresentation, "invalid length in external \"numeric\" value");
        switch (sign)
        {
            case NumericNaN: return SqlNumeric.NaN;
            case NumericPositiveInfinity: return SqlNumeric.PositiveInfinity;
            case NumericNegativeInfinity: return SqlNumeric.NegativeInfinity;
            case not (NumericPositive or NumericNegative):
                throw new SqlDataException(InvalidBinaryRepresentation, "invalid sign in external \"numeric\" value");
        }
        if (weight + 1 > SqlNumeric.MaxIntegerDigits / NumericDigitsPerGroup)
            throw new SqlDataException(SqlDataException.NumericValueOutOfRange, "value overflows numeric format");
        if (dscale < 0 || dscale > 0x3FFF) throw new SqlDataException(InvalidBinaryRepresentation, "invalid scale in external \"numeric\" value");

        var text = new StringBuilder(16 + 4 * ndigits + dscale);
        if (sign == NumericNegative) text.Append('-');
        if (weight < 0) text.Append('0');
        for (var g = 0; g <= weight; g++)
        {
            var group = Group(data, g, ndigits);
            text.Append(group.ToString(g == 0 ? "D" : "D4", CultureInfo.InvariantCulture));
        }
        if (dscale > 0)
        {
            text.Append('.');
            var fractionStart = text.Length;
            for (var g = weight + 1; text.Length - fractionStart < dscale; g++)
                text.Append(Group(data, g, ndigits).ToString("D4", CultureInfo.InvariantCulture));
            text.Length = fractionStart + dscale;
        }
        return SqlNumeric.Parse(text.ToString());
    }

    private static int Group(ReadOnlySpan<byte> data, int index, int ndigits)
    {
        if (index < 0 || index >= ndigits) return 0;
        int digit = BinaryPrimitives.ReadInt16BigEndian(data[(8 + 2 * index)..]);
        if (digit is < 0 or >= NumericBase) throw new SqlDataException(InvalidBinaryRepresentation, "invalid digit in external \"numeric\" value");
        return digit;
    }
}
