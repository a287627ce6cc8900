using System.Buffers;
using System.Buffers.Binary;
using System.Text.Unicode;

namespace Tusk.Core.Encoding;

/// <summary>
/// Reads a tuple key token by token, in the format specified on <see cref="TupleEncoding"/>, like
/// <see cref="System.Text.Json.Utf8JsonReader"/>: call <see cref="Read"/> until it returns false, and take each
/// value with the Get method that matches <see cref="TokenType"/>. <see cref="Read"/> checks every token fully
/// (bounds, canonical form, UTF-8), so skipping a value never skips a check. Does not allocate except in
/// <see cref="GetString"/> and <see cref="GetBytes"/>. Not thread-safe; the key must not change while read.
/// </summary>
public ref struct TupleReader
{
    private readonly ReadOnlySpan<byte> _source;

    // Invariant: 0 <= _position <= _source.Length; bytes before _position have been read and checked.
    private int _position;

    // Invariant: 0 <= _depth <= TupleEncoding.NestingDepthMax; nested tuples begun and not yet ended.
    private int _depth;

    private TupleTokenType _tokenType;
    private int _tokenOffset;

    // The current token's value. For Bytes and String: the escaped payload is _source[_payloadStart.._payloadEnd)
    // (terminator excluded) and holds _escapeCount escaped zeros (0x00 0xFF pairs).
    private long _int64;
    private double _double;
    private int _payloadStart;
    private int _payloadEnd;
    private int _escapeCount;

    /// <summary>Creates a reader positioned before the first element of <paramref name="source"/>.</summary>
    public TupleReader(ReadOnlySpan<byte> source)
    {
        _source = source;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Number of nested tuples begun and not yet ended.</summary>
    public readonly int Depth => _depth;

    /// <summary>The token the last <see cref="Read"/> found.</summary>
    public readonly TupleTokenType TokenType => _tokenType;

    /// <summary>Byte offset of the current token's type code.</summary>
    public readonly int TokenOffset => _tokenOffset;

    /// <summary>
    /// Advances to the next token. Returns false at the end of the key (at the top level).
    /// </summary>
    /// <exception cref="FormatException">The bytes are not a canonical tuple encoding; the message names the offset.</exception>
    public bool Read()
    {
        if (_position == _source.Length)
        {
            if (_depth > 0)
            {
                TupleEncoding.ThrowMalformed(_position, $"the key ends inside {_depth} unterminated nested tuple(s)");
            }
            _tokenType = TupleTokenType.None;
            _tokenOffset = _position;
            return false;
        }
        _tokenOffset = _position;
        byte code = _source[_position];
        switch (code)
        {
            case TupleEncoding.CodeNull:
                ReadNullOrEnd();
                break;
            case TupleEncoding.CodeBytes:
                ReadEscaped(TupleTokenType.Bytes);
                break;
            case TupleEncoding.CodeString:
                ReadEscaped(TupleTokenType.String);
                ValidateUtf8();
                break;
            case TupleEncoding.CodeNested:
                if (_depth >= TupleEncoding.NestingDepthMax)
                {
                    TupleEncoding.ThrowMalformed(_position, $"nested tuples deeper than {TupleEncoding.NestingDepthMax}");
                }
                _depth++;
                _position++;
                _tokenType = TupleTokenType.BeginTuple;
                break;
            case >= TupleEncoding.CodeIntegerMin and <= TupleEncoding.CodeIntegerMax:
                ReadInt64(code);
                break;
            case TupleEncoding.CodeDouble:
                ReadDouble();
                break;
            case TupleEncoding.CodeFalse:
            case TupleEncoding.CodeTrue:
                _position++;
                _tokenType = TupleTokenType.Boolean;
                break;
            default:
                TupleEncoding.ThrowMalformed(_position, $"unknown type code 0x{code:X2}");
                break;
        }
        return true;
    }

    /// <summary>The value of a <see cref="TupleTokenType.Boolean"/> token.</summary>
    public readonly bool GetBoolean()
    {
        Expect(TupleTokenType.Boolean);
        return _source[_tokenOffset] == TupleEncoding.CodeTrue;
    }

    /// <summary>The value of an <see cref="TupleTokenType.Int64"/> token.</summary>
    public readonly long GetInt64()
    {
        Expect(TupleTokenType.Int64);
        return _int64;
    }

    /// <summary>The value of a <see cref="TupleTokenType.Double"/> token (NaN is the canonical quiet NaN).</summary>
    public readonly double GetDouble()
    {
        Expect(TupleTokenType.Double);
        return _double;
    }

    /// <summary>The value of a <see cref="TupleTokenType.String"/> token (allocates the string).</summary>
    public readonly string GetString()
    {
        Expect(TupleTokenType.String);
        ReadOnlySpan<byte> payload = _source[_payloadStart.._payloadEnd];
        if (_escapeCount == 0)
        {
            return TupleEncoding.StrictUtf8.GetString(payload);
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent(payload.Length);
        try
        {
            int length = Unescape(payload, rented);
            return TupleEncoding.StrictUtf8.GetString(rented, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The value of a <see cref="TupleTokenType.Bytes"/> token (allocates the array).</summary>
    public readonly byte[] GetBytes()
    {
        Expect(TupleTokenType.Bytes);
        ReadOnlySpan<byte> payload = _source[_payloadStart.._payloadEnd];
        byte[] result = new byte[payload.Length - _escapeCount];
        int length = Unescape(payload, result);
        Invariant.Check(length == result.Length, "GetBytes: escape count did not match the payload");
        return result;
    }

    private void ReadNullOrEnd()
    {
        // At the top level 0x00 is always null. Inside a nested tuple null is 0x00 0xFF and a lone 0x00 ends
        // the tuple; no type code is 0xFF, so the byte after a terminator is never 0xFF.
        if (_depth == 0)
        {
            _position++;
            _tokenType = TupleTokenType.Null;
        }
        else if (_position + 1 < _source.Length && _source[_position + 1] == TupleEncoding.EscapeByte)
        {
            _position += 2;
            _tokenType = TupleTokenType.Null;
        }
        else
        {
            _depth--;
            _position++;
            _tokenType = TupleTokenType.EndTuple;
        }
    }

    private void ReadEscaped(TupleTokenType tokenType)
    {
        int start = _position + 1;
        int index = start;
        int escapeCount = 0;
        while (true)
        {
            int zero = _source[index..].IndexOf(TupleEncoding.Terminator);
            if (zero < 0)
            {
                TupleEncoding.ThrowMalformed(_tokenOffset, $"{tokenType} element has no terminating 0x00");
            }
            index += zero;
            if (index + 1 < _source.Length && _source[index + 1] == TupleEncoding.EscapeByte)
            {
                escapeCount++;
                index += 2;
                continue;
            }
            break;
        }
        _payloadStart = start;
        _payloadEnd = index;
        _escapeCount = escapeCount;
        _position = index + 1;
        _tokenType = tokenType;
    }

    private readonly void ValidateUtf8()
    {
        // UTF-8 has 0x00 only as U+0000, a whole character, so the pieces between escapes validate separately;
        // a 0xFF that is not an escape stays inside a piece and fails there.
        ReadOnlySpan<byte> rest = _source[_payloadStart.._payloadEnd];
        int zero;
        while ((zero = rest.IndexOf(TupleEncoding.Terminator)) >= 0)
        {
            if (!Utf8.IsValid(rest[..zero]))
            {
                break;
            }
            rest = rest[(zero + 2)..];
        }
        if (zero >= 0 || !Utf8.IsValid(rest))
        {
            TupleEncoding.ThrowMalformed(_tokenOffset, "string element is not valid UTF-8");
        }
    }

    private void ReadInt64(byte code)
    {
        bool negative = code < TupleEncoding.CodeIntegerZero;
        int byteCount = negative ? TupleEncoding.CodeIntegerZero - code : code - TupleEncoding.CodeIntegerZero;
        int start = _position + 1;
        if (_source.Length - start < byteCount)
        {
            TupleEncoding.ThrowMalformed(_tokenOffset, $"integer needs {byteCount} bytes, {_source.Length - start} left");
        }
        ulong payload = 0;
        foreach (byte b in _source.Slice(start, byteCount))
        {
            payload = (payload << 8) | b;
        }
        if (byteCount > 0 && _source[start] == (negative ? 0xFF : 0x00))
        {
            TupleEncoding.ThrowMalformed(_tokenOffset, "integer is not in its shortest form");
        }
        if (negative)
        {
            ulong mask = byteCount == 8 ? ulong.MaxValue : (1UL << (8 * byteCount)) - 1;
            ulong magnitude = ~payload & mask;
            if (magnitude > 1UL << 63)
            {
                TupleEncoding.ThrowMalformed(_tokenOffset, "negative integer is below long.MinValue");
            }
            _int64 = (long)(0UL - magnitude);
        }
        else
        {
            if (payload > long.MaxValue)
            {
                TupleEncoding.ThrowMalformed(_tokenOffset, "integer is above long.MaxValue");
            }
            _int64 = (long)payload;
        }
        _position = start + byteCount;
        _tokenType = TupleTokenType.Int64;
    }

    private void ReadDouble()
    {
        int start = _position + 1;
        if (_source.Length - start < 8)
        {
            TupleEncoding.ThrowMalformed(_tokenOffset, $"double needs 8 bytes, {_source.Length - start} left");
        }
        ulong stored = BinaryPrimitives.ReadUInt64BigEndian(_source.Slice(start, 8));
        // A set top bit means the sign bit was flipped from clear (positive); otherwise every bit was flipped.
        ulong bits = (stored & TupleEncoding.DoubleSignBit) != 0 ? stored ^ TupleEncoding.DoubleSignBit : ~stored;
        double value = BitConverter.UInt64BitsToDouble(bits);
        if (double.IsNaN(value) && bits != TupleEncoding.CanonicalNaNBits)
        {
            TupleEncoding.ThrowMalformed(_tokenOffset, $"NaN 0x{bits:X16} is not the canonical NaN");
        }
        _double = value;
        _position = start + 8;
        _tokenType = TupleTokenType.Double;
    }

    private readonly void Expect(TupleTokenType tokenType)
    {
        if (_tokenType != tokenType)
        {
            throw new InvalidOperationException($"TupleReader: the current token is {_tokenType}, not {tokenType}");
        }
    }

    /// <summary>Copies <paramref name="escaped"/> to <paramref name="destination"/> with each 0x00 0xFF made 0x00.</summary>
    private static int Unescape(ReadOnlySpan<byte> escaped, Span<byte> destination)
    {
        int written = 0;
        ReadOnlySpan<byte> rest = escaped;
        int zero;
        while ((zero = rest.IndexOf(TupleEncoding.Terminator)) >= 0)
        {
            rest[..(zero + 1)].CopyTo(destination[written..]);
            written += zero + 1;
            rest = rest[(zero + 2)..];
        }
        rest.CopyTo(destination[written..]);
        return written + rest.Length;
    }
}
