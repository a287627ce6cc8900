using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using Tusk.Sql.Types;

namespace Tusk.Sql.Catalog;

/// <summary>
/// The order-preserving key form of a numeric (carried as one bytes element of a key tuple): byte-wise order of two
/// encodings is the numeric order of their values, and equal values (1.0, 1.00) have the same encoding, so the scale
/// is not kept (a key column reads back with its fewest decimals, or its typmod's).
/// <list type="bullet">
/// <item>byte 0, the class: 1 −Infinity, 2 negative, 3 zero, 4 positive, 5 +Infinity, 6 NaN (PostgreSQL sorts NaN last).</item>
/// <item>positive: the exponent E = floor(log10 x) as a big-endian int32 with its sign bit flipped, then the significant
/// digits without trailing zeros in pairs, each pair as 1 + its value (1..100, an odd last digit padded with 0), then 0.
/// Value = 0.d1d2… · 10^(E+1); a larger exponent is a larger value, then the digits compare left to right, and the
/// 0 terminator sorts a prefix first.</item>
/// <item>negative: the positive encoding of |x| with every byte after the class inverted, reversing the order.</item>
/// </list>
/// </summary>
internal static class NumericKey
{
    private const byte NegativeInfinity = 1;
    private const byte Negative = 2;
    private const byte Zero = 3;
    private const byte Positive = 4;
    private const byte PositiveInfinity = 5;
    private const byte NaN = 6;

    public static byte[] Encode(SqlNumeric value)
    {
        if (value.IsNaN) return [NaN];
        if (value.IsPositiveInfinity) return [PositiveInfinity];
        if (value.IsNegativeInfinity) return [NegativeInfinity];
        if (value.IsZero) return [Zero];
        var negative = value.Sign < 0;
        var digits = BigInteger.Abs(value.Unscaled).ToString(CultureInfo.InvariantCulture).TrimEnd('0');
        var pairs = (digits.Length + 1) / 2;
        var bytes = new byte[1 + 4 + pairs + 1];
        bytes[0] = negative ? Negative : Positive;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), (uint)value.DecimalExponent ^ 0x8000_0000u);
        for (var p = 0; p < pairs; p++)
        {
            var high = digits[2 * p] - '0';
            var low = 2 * p + 1 < digits.Length ? digits[2 * p + 1] - '0' : 0;
            bytes[5 + p] = (byte)(1 + high * 10 + low);
        }
        bytes[^1] = 0;
        if (negative)
        {
            for (var i = 1; i < bytes.Length; i++) bytes[i] = (byte)~bytes[i];
        }
        return bytes;
    }

    public static SqlNumeric Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) throw new InvalidDataException("empty numeric key");
        switch (bytes[0])
        {
            case NaN: return SqlNumeric.NaN;
            case PositiveInfinity: return SqlNumeric.PositiveInfinity;
            case NegativeInfinity: return SqlNumeric.NegativeInfinity;
            case Zero: return SqlNumeric.Zero;
            case Positive or Negative: break;
            default: throw new InvalidDataException($"invalid numeric key class {bytes[0]}");
        }
        var negative = bytes[0] == Negative;
        var body = bytes[1..].ToArray();
        if (negative)
        {
            for (var i = 0; i < body.Length; i++) body[i] = (byte)~body[i];
        }
        var exponent = (int)(BinaryPrimitives.ReadUInt32BigEndian(body) ^ 0x8000_0000u);
        var digits = new System.Text.StringBuilder(2 * body.Length);
        for (var i = 4; i < body.Length && body[i] != 0; i++)
        {
            var pair = body[i] - 1;
            digits.Append((char)('0' + pair / 10)).Append((char)('0' + pair % 10));
        }
        var unscaled = BigInteger.Parse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
        var scale = digits.Length - (exponent + 1);
        var magnitude = scale >= 0 ? new SqlNumeric(unscaled, scale) : new SqlNumeric(unscaled * SqlNumeric.Pow10(-scale), 0);
        magnitude = magnitude.TrimScale();
        return negative ? -magnitude : magnitude;
    }
}
