namespace Tusk.Protocols.Kafka;

/// <summary>
/// One record inside an uncompressed v2 batch, as views into the batch's bytes. Encoding (all lengths and deltas
/// are zig-zag varints):
/// <code>
/// length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
/// | keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
/// | headerCount varint | headers: [keyLength varint | key (UTF-8, never null) | valueLength varint (-1 = null) | value]
/// </code>
/// Valid while the batch's memory is.
/// </summary>
public readonly ref struct Record
{
    internal Record(sbyte attributes, long timestampDelta, int offsetDelta, long offset, long timestamp,
        ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull,
        int headerCount, ReadOnlySpan<byte> headersBytes)
    {
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
        HeaderCount = headerCount;
        HeadersBytes = headersBytes;
    }

    /// <summary>Record attributes (unused by the protocol so far; 0).</summary>
    public sbyte Attributes { get; }

    /// <summary>Timestamp minus the batch's BaseTimestamp.</summary>
    public long TimestampDelta { get; }

    /// <summary>Offset minus the batch's BaseOffset.</summary>
    public int OffsetDelta { get; }

    /// <summary>The record's offset (BaseOffset + OffsetDelta).</summary>
    public long Offset { get; }

    /// <summary>The record's timestamp: BaseTimestamp + delta, or the batch's MaxTimestamp for LogAppendTime.</summary>
    public long Timestamp { get; }

    /// <summary>Key bytes (empty when null; see <see cref="KeyIsNull"/>).</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>Whether the key is null.</summary>
    public bool KeyIsNull { get; }

    /// <summary>Value bytes (empty when null; see <see cref="ValueIsNull"/>). A null value is a tombstone.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Whether the value is null.</summary>
    public bool ValueIsNull { get; }

    /// <summary>Number of headers.</summary>
    public int HeaderCount { get; }

    /// <summary>The encoded headers (after the count), for copying a record without decoding them.</summary>
    public ReadOnlySpan<byte> HeadersBytes { get; }

    /// <summary>The headers.</summary>
    public RecordHeaderEnumerator Headers => new(HeadersBytes, HeaderCount);
}

/// <summary>A record header: a UTF-8 key and a nullable value, as views into the batch.</summary>
public readonly ref struct RecordHeader
{
    internal RecordHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        Key = key;
        Value = value;
        ValueIsNull = valueIsNull;
    }

    /// <summary>Header key, UTF-8.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>Header value (empty when null).</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Whether the value is null.</summary>
    public bool ValueIsNull { get; }
}

/// <summary>Enumerates a record's headers (already validated when the record was read). Use with <c>foreach</c>.</summary>
public ref struct RecordHeaderEnumerator
{
    private KafkaReader _reader;
    private int _left;

    internal RecordHeaderEnumerator(ReadOnlySpan<byte> headersBytes, int count)
    {
        _reader = new KafkaReader(headersBytes);
        _left = count;
        Current = default;
    }

    /// <summary>The current header.</summary>
    public RecordHeader Current { get; private set; }

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly RecordHeaderEnumerator GetEnumerator() => this;

    /// <summary>Steps to the next header.</summary>
    public bool MoveNext()
    {
        if (_left == 0)
        {
            return false;
        }
        _left--;
        var key = _reader.ReadRaw(_reader.ReadVarint());
        int valueLength = _reader.ReadVarint();
        Current = valueLength < 0 ? new RecordHeader(key, default, true) : new RecordHeader(key, _reader.ReadRaw(valueLength), false);
        return true;
    }
}

/// <summary>
/// Enumerates the records of an uncompressed batch (<see cref="RecordBatch.GetRecords"/>). Every length is
/// bounds-checked: a record that runs past its length prefix or the batch, a null header key, a count that
/// disagrees with the bytes, or bytes left after the last record raise <see cref="KafkaProtocolException"/>.
/// Use with <c>foreach</c>.
/// </summary>
public ref struct RecordEnumerator
{
    private KafkaReader _reader;
    private int _left;
    private readonly long _baseOffset;
    private readonly long _baseTimestamp;
    private readonly long _logAppendTime;
    private readonly bool _isLogAppendTime;

    internal RecordEnumerator(ReadOnlySpan<byte> recordsBytes, int count, long baseOffset, long baseTimestamp,
        long logAppendTime, bool isLogAppendTime)
    {
        _reader = new KafkaReader(recordsBytes);
        _left = count;
        _baseOffset = baseOffset;
        _baseTimestamp = baseTimestamp;
        _logAppendTime = logAppendTime;
        _isLogAppendTime = isLogAppendTime;
        Current = default;
    }

    /// <summary>The current record.</summary>
    public Record Current { get; private set; }

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly RecordEnumerator GetEnumerator() => this;

    /// <summary>Steps to the next record; false after the batch's last one.</summary>
    public bool MoveNext()
    {
        if (_left == 0)
        {
            if (_reader.Remaining != 0)
            {
                throw new KafkaProtocolException($"{_reader.Remaining} bytes after the batch's last record");
            }
            return false;
        }
        _left--;
        int length = _reader.ReadVarint();
        if (length < 0)
        {
            throw new KafkaProtocolException($"negative record length {length}");
        }
        Current = ReadBody(_reader.ReadRaw(length));
        return true;
    }

    private readonly Record ReadBody(ReadOnlySpan<byte> body)
    {
        var r = new KafkaReader(body);
        sbyte attributes = r.ReadInt8();
        long timestampDelta = r.ReadVarlong();
        int offsetDelta = r.ReadVarint();
        int keyLength = r.ReadVarint();
        var key = keyLength < 0 ? default : r.ReadRaw(keyLength);
        int valueLength = r.ReadVarint();
        var value = valueLength < 0 ? default : r.ReadRaw(valueLength);
        int headerCount = r.ReadVarint();
        if (headerCount < 0)
        {
            throw new KafkaProtocolException($"negative record header count {headerCount}");
        }
        int headersStart = r.Position;
        for (int i = 0; i < headerCount; i++)
        {
            int headerKeyLength = r.ReadVarint();
            if (headerKeyLength < 0)
            {
                throw new KafkaProtocolException("null record header key");
            }
            r.Skip(headerKeyLength);
            int headerValueLength = r.ReadVarint();
            if (headerValueLength > 0)
            {
                r.Skip(headerValueLength);
            }
        }
        int headersEnd = r.Position;
        if (r.Remaining != 0)
        {
            throw new KafkaProtocolException($"record has {r.Remaining} bytes after its headers");
        }
        long timestamp = _isLogAppendTime ? _logAppendTime : _baseTimestamp + timestampDelta;
        return new Record(attributes, timestampDelta, offsetDelta, _baseOffset + offsetDelta, timestamp,
            key, keyLength < 0, value, valueLength < 0, headerCount, body[headersStart..headersEnd]);
    }
}
