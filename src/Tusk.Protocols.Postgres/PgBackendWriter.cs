using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Tusk.Protocols.Postgres;

/// <summary>The transaction state a ReadyForQuery reports: idle ('I'), in a transaction block ('T'), or in a failed one ('E').</summary>
public enum TransactionStatus : byte
{
    Idle = (byte)'I',
    InTransaction = (byte)'T',
    Failed = (byte)'E',
}

/// <summary>A column of a RowDescription.</summary>
public readonly record struct PgField(string Name, int TableOid, short ColumnNumber, int TypeOid, short TypeSize, int TypeModifier, short Format);

/// <summary>
/// Writes PostgreSQL backend messages (protocol 3.0) into an <see cref="IBufferWriter{T}"/> (sans-I/O): each
/// message is <c>type Byte1 | length Int32 (counting itself) | body</c>, big-endian. The caller flushes the buffer
/// to the socket. Not thread-safe.
/// </summary>
public sealed class PgBackendWriter(IBufferWriter<byte> output)
{
    private readonly ArrayBufferWriter<byte> _body = new(256);

    public void AuthenticationOk() => Message('R', () => Int32(0));

    /// <summary>AuthenticationSASL: the mechanisms offered (SCRAM-SHA-256).</summary>
    public void AuthenticationSasl(params string[] mechanisms) => Message('R', () =>
    {
        Int32(10);
        foreach (var m in mechanisms) CString(m);
        Byte(0);
    });

    public void AuthenticationSaslContinue(ReadOnlySpan<byte> data)
    {
        var copy = data.ToArray();
        Message('R', () => { Int32(11); Bytes(copy); });
    }

    public void AuthenticationSaslFinal(ReadOnlySpan<byte> data)
    {
        var copy = data.ToArray();
        Message('R', () => { Int32(12); Bytes(copy); });
    }

    public void ParameterStatus(string name, string value) => Message('S', () => { CString(name); CString(value); });

    public void BackendKeyData(int processId, int secretKey) => Message('K', () => { Int32(processId); Int32(secretKey); });

    public void ReadyForQuery(TransactionStatus status) => Message('Z', () => Byte((byte)status));

    public void RowDescription(IReadOnlyList<PgField> fields) => Message('T', () =>
    {
        Int16((short)fields.Count);
        foreach (var f in fields)
        {
            CString(f.Name);
            Int32(f.TableOid);
            Int16(f.ColumnNumber);
            Int32(f.TypeOid);
            Int16(f.TypeSize);
            Int32(f.TypeModifier);
            Int16(f.Format);
        }
    });

    /// <summary>DataRow: each value's bytes in its column's format; null is SQL NULL.</summary>
    public void DataRow(IReadOnlyList<byte[]?> values) => Message('D', () =>
    {
        Int16((short)values.Count);
        foreach (var v in values)
        {
            if (v is null)
            {
                Int32(-1);
                continue;
            }
            Int32(v.Length);
            Bytes(v);
        }
    });

    /// <summary>CommandComplete with a tag such as "SELECT 3", "INSERT 0 1", "UPDATE 2", "BEGIN".</summary>
    public void CommandComplete(string tag) => Message('C', () => CString(tag));

    public void EmptyQueryResponse() => Message('I', () => { });

    public void ParseComplete() => Message('1', () => { });

    public void BindComplete() => Message('2', () => { });

    public void CloseComplete() => Message('3', () => { });

    public void NoData() => Message('n', () => { });

    public void PortalSuspended() => Message('s', () => { });

    public void ParameterDescription(IReadOnlyList<int> typeOids) => Message('t', () =>
    {
        Int16((short)typeOids.Count);
        foreach (var oid in typeOids) Int32(oid);
    });

    /// <summary>
    /// ErrorResponse: severity, SQLSTATE and message, and optionally detail, hint and position (1-based character
    /// index into the query, as psql prints it under the statement), and the object a constraint error is about
    /// (schema, table, column, constraint names: the 's', 't', 'c', 'n' fields that clients map to exceptions).
    /// </summary>
    public void ErrorResponse(string sqlState, string message, string severity = "ERROR", string? detail = null, string? hint = null, int position = 0,
        PgErrorObject objectNames = default) =>
        Message('E', () => Notice(severity, sqlState, message, detail, hint, position, objectNames));

    public void NoticeResponse(string sqlState, string message, string severity = "NOTICE", string? detail = null, string? hint = null) =>
        Message('N', () => Notice(severity, sqlState, message, detail, hint, 0, default));

    /// <summary>The one-byte answer to an SSLRequest or GSSENCRequest ('S' accept, 'N' refuse); not a framed message.</summary>
    public void SslResponse(bool accept)
    {
        output.GetSpan(1)[0] = accept ? (byte)'S' : (byte)'N';
        output.Advance(1);
    }

    public void CopyInResponse(bool binary, int columns) => Message('G', () =>
    {
        Byte(binary ? (byte)1 : (byte)0);
        Int16((short)columns);
        for (var i = 0; i < columns; i++) Int16(binary ? (short)1 : (short)0);
    });

    public void CopyOutResponse(bool binary, int columns) => Message('H', () =>
    {
        Byte(binary ? (byte)1 : (byte)0);
        Int16((short)columns);
        for (var i = 0; i < columns; i++) Int16(binary ? (short)1 : (short)0);
    });

    public void CopyData(ReadOnlySpan<byte> data)
    {
        var copy = data.ToArray();
        Message('d', () => Bytes(copy));
    }

    public void CopyDone() => Message('c', () => { });

    private void Notice(string severity, string sqlState, string message, string? detail, string? hint, int position, PgErrorObject objectNames)
    {
        Field('S', severity);
        Field('V', severity);  // the non-localized severity
        Field('C', sqlState);
        Field('M', message);
        if (detail is not null) Field('D', detail);
        if (hint is not null) Field('H', hint);
        if (position > 0) Field('P', position.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (objectNames.Schema is not null) Field('s', objectNames.Schema);
        if (objectNames.Table is not null) Field('t', objectNames.Table);
        if (objectNames.Column is not null) Field('c', objectNames.Column);
        if (objectNames.Constraint is not null) Field('n', objectNames.Constraint);
        Byte(0);
    }

    private void Field(char code, string value)
    {
        Byte((byte)code);
        CString(value);
    }

    private void Message(char type, Action body)
    {
        _body.Clear();
        body();
        var span = output.GetSpan(5 + _body.WrittenCount);
        span[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], 4 + _body.WrittenCount);
        _body.WrittenSpan.CopyTo(span[5..]);
        output.Advance(5 + _body.WrittenCount);
    }

    private void Byte(byte b)
    {
        _body.GetSpan(1)[0] = b;
        _body.Advance(1);
    }

    private void Int16(short v)
    {
        BinaryPrimitives.WriteInt16BigEndian(_body.GetSpan(2), v);
        _body.Advance(2);
    }

    private void Int32(int v)
    {
        BinaryPrimitives.WriteInt32BigEndian(_body.GetSpan(4), v);
        _body.Advance(4);
    }

    private void Bytes(ReadOnlySpan<byte> bytes) => _body.Write(bytes);

    private void CString(string s)
    {
        var n = Encoding.UTF8.GetByteCount(s);
        var span = _body.GetSpan(n + 1);
        Encoding.UTF8.GetBytes(s, span);
        span[n] = 0;
        _body.Advance(n + 1);
    }
}

/// <summary>The names an error is about (ErrorResponse fields 's', 't', 'c', 'n'); each null when not applicable.</summary>
public readonly record struct PgErrorObject(string? Schema = null, string? Table = null, string? Column = null, string? Constraint = null);
