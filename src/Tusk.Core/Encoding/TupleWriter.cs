using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace Tusk.Core.Encoding;

/// <summary>
/// Writes one tuple key, element by element, into an <see cref="IBufferWriter{T}"/> in the format specified on
/// <see cref="TupleEncoding"/>. Each append asks the output for one span of the exact encoded size, so a
/// reused <see cref="ArrayBufferWriter{T}"/> makes key building allocation-free. Not thread-safe; pass it by
/// <see langword="ref"/> (it tracks the nesting depth). A key is complete when <see cref="Depth"/> is 0.
/// </summary>
public ref struct TupleWriter
{
    private readonly IBufferWriter<byte> _output;

    // Invariant: 0 <= _depth <= TupleEncoding.NestingDepthMax; it counts BeginTuple calls not yet ended.
    private int _depth;

    /// <summary>Creates a writer that appends to <paramref name="output"/>.</summary>
    public TupleWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _depth = 0;
    }

    /// <summary>Number of nested tuples begun and not yet ended.</summary>
    public readonly int Depth => _depth;

    /// <summary>Appends null (0x00 at the top level, 0x00 0xFF inside a nested tuple).</summary>
    public readonly void AppendNull()
    {
        if (_depth == 0)
        {
            WriteCode(TupleEncoding.CodeNull);
            return;
        }
        Span<byte> span = _output.GetSpan(2);
        span[0] = TupleEncoding.CodeNull;
        span[1] = TupleEncoding.EscapeByte;
        _output.Advance(2);
    }

    /// <summary>Appends a boolean (0x26 false, 0x27 true).</summary>
    public readonly void AppendBool(bool value) => WriteCode(value ? TupleEncoding.CodeTrue : TupleEncoding.CodeFalse);

    /// <summary>Appends an integer: code 0x14 ± byte count, then the fewest big-endian bytes of the magnitude.</summary>
    public readonly void AppendInt64(long value)
    {
        if (value == 0)
        {
            WriteCode(TupleEncoding.CodeIntegerZero);
            return;
        }
        // Two's-complement negation in ulong is exact for every long, including long.MinValue (2^63).
        ulong magnitude = value > 0 ? (ulong)value : 0UL - (ulong)value;
        int byteCount = 8 - (BitOperations.LeadingZeroCount(magnitude) / 8);
        ulong payload = value > 0 ? magnitude : ~magnitude;
        Span<byte> span = _output.GetSpan(1 + 8);
        span[0] = (byte)(value > 0 ? TupleEncoding.CodeIntegerZero + byteCount : TupleEncoding.CodeIntegerZero - byteCount);
        // Shift the low byteCount bytes to the top so that the first byteCount bytes written are the ones we keep.
        BinaryPrimitives.WriteUInt64BigEndian(span.Slice(1, 8), payload << (8 * (8 - byteCount)));
        _output.Advance(1 + byteCount);
    }

    /// <summary>
    /// Appends a double (0x21 and 8 transformed bytes). NaNs are written as the canonical quiet NaN; -0.0 stays
    /// distinct from 0.0. Pass a float here to widen it (exactly).
    /// </summary>
    public readonly void AppendDouble(double value)
    {
        ulong bits = double.IsNaN(value) ? TupleEncoding.CanonicalNaNBits : BitConverter.DoubleToUInt64Bits(value);
        bits = (bits & TupleEncoding.DoubleSignBit) != 0 ? ~bits : bits | TupleEncoding.DoubleSignBit;
        Span<byte> span = _output.GetSpan(1 + 8);
        span[0] = TupleEncoding.CodeDouble;
        BinaryPrimitives.WriteUInt64BigEndian(span.Slice(1, 8), bits);
        _output.Advance(1 + 8);
    }

    /// <summary>Appends a string as escaped UTF-8 (0x02 … 0x00).</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> has a lone surrogate (not valid UTF-16).</exception>
    public readonly void AppendString(ReadOnlySpan<char> value)
    {
        int utf8Length = TupleEncoding.StrictUtf8.GetByteCount(value);
        // UTF-8 writes a 0x00 byte only for U+0000, so the escape count is known before encoding.
        int zeroCount = value.Count('\0');
        int length = 1 + utf8Length + zeroCount + 1;
        Span<byte> span = _output.GetSpan(length);
        span[0] = TupleEncoding.CodeString;
        int written = TupleEncoding.StrictUtf8.GetBytes(value, span.Slice(1, utf8Length));
        Invariant.Check(written == utf8Length, "AppendString: UTF-8 byte count changed between count and encode");
        FinishEscaped(span[..length], utf8Length, zeroCount);
    }

    /// <summary>Appends a byte string, escaped (0x01 … 0x00).</summary>
    public readonly void AppendBytes(ReadOnlySpan<byte> value)
    {
        int zeroCount = value.Count((byte)0);
        int length = 1 + value.Length + zeroCount + 1;
        Span<byte> span = _output.GetSpan(length);
        span[0] = TupleEncoding.CodeBytes;
        value.CopyTo(span[1..]);
        FinishEscaped(span[..length], value.Length, zeroCount);
    }

    /// <summary>Starts a nested tuple (0x05); the following appends go into it until <see cref="EndTuple"/>.</summary>
    /// <exception cref="InvalidOperationException">Nesting would exceed <see cref="TupleEncoding.NestingDepthMax"/>.</exception>
    public void BeginTuple()
    {
        if (_depth >= TupleEncoding.NestingDepthMax)
        {
            throw new InvalidOperationException($"TupleWriter: nesting deeper than {TupleEncoding.NestingDepthMax}");
        }
        WriteCode(TupleEncoding.CodeNested);
        _depth++;
    }

    /// <summary>Ends the innermost nested tuple (terminator 0x00).</summary>
    /// <exception cref="InvalidOperationException">No nested tuple is open.</exception>
    public void EndTuple()
    {
        if (_depth == 0)
        {
            throw new InvalidOperationException("TupleWriter: EndTuple without a matching BeginTuple");
        }
        WriteCode(TupleEncoding.Terminator);
        _depth--;
    }

    private readonly void WriteCode(byte code)
    {
        _output.GetSpan(1)[0] = code;
        _output.Advance(1);
    }

    /// <summary>
    /// <paramref name="element"/> holds the type code, then <paramref name="rawLength"/> unescaped bytes, then
    /// room for the escapes and the terminator. Escapes each 0x00 as 0x00 0xFF in place, back to front so no
    /// unread byte is overwritten, writes the terminator and advances the output.
    /// </summary>
    private readonly void FinishEscaped(Span<byte> element, int rawLength, int zeroCount)
    {
        Invariant.Check(element.Length == 1 + rawLength + zeroCount + 1, "FinishEscaped: wrong element length");
        if (zeroCount > 0)
        {
            Span<byte> payload = element.Slice(1, rawLength + zeroCount);
            int target = payload.Length;
            for (int source = rawLength - 1; source >= 0; source--)
            {
                byte b = payload[source];
                if (b == 0)
                {
                    payload[--target] = TupleEncoding.EscapeByte;
                }
                payload[--target] = b;
            }
            Invariant.Check(target == 0, "FinishEscaped: escape count did not match the zero bytes");
        }
        element[^1] = TupleEncoding.Terminator;
        _output.Advance(element.Length);
    }
}
