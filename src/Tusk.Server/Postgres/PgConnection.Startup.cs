using System.Buffers.Binary;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text;
using Tusk.Protocols.Postgres;
using Tusk.Sql;
using WireStatus = Tusk.Protocols.Postgres.TransactionStatus;

namespace Tusk.Server.Postgres;

/// <summary>The startup phase: SSLRequest/GSSENCRequest, CancelRequest, the StartupMessage, authentication, the session.</summary>
internal sealed partial class PgConnection
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Runs the startup phase; true when the session is open and ReadyForQuery is queued.</summary>
    private async Task<bool> StartupAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        timeout.CancelAfter(_server.Options.StartupTimeout);
        _readCancellation = timeout.Token;
        try
        {
            var tls = false;
            while (true)
            {
                var message = await ReadMessageAsync().ConfigureAwait(false);
                switch (message)
                {
                    case null:
                        return false;
                    case SslRequest when tls:
                        throw new PgProtocolException("SSLRequest on a connection already using TLS");
                    case SslRequest:
                        tls = await NegotiateTlsAsync(timeout.Token).ConfigureAwait(false);
                        continue;
                    case GssEncRequest:
                        _writer.SslResponse(accept: false);
                        continue;
                    case CancelRequest cancel:
                        _server.Cancel(cancel.ProcessId, cancel.SecretKey);
                        return false;
                    case StartupMessage startup:
                        return await AuthenticateAsync(startup).ConfigureAwait(false) && OpenSession(startup);
                    default:
                        throw new PgProtocolException($"unexpected message {message.GetType().Name} during startup");
                }
            }
        }
        finally
        {
            _readCancellation = _stop;
        }
    }

    /// <summary>Answers an SSLRequest: 'N' without a certificate, else 'S' and the TLS handshake; true when TLS is on.</summary>
    private async Task<bool> NegotiateTlsAsync(CancellationToken cancellation)
    {
        var certificate = _server.Options.Certificate;
        if (certificate is null)
        {
            _writer.SslResponse(accept: false);
            return false;
        }
        // The client waits for the answer before its ClientHello; anything already here was sent in the clear.
        if (HasBufferedInput) throw new PgProtocolException("received unencrypted data after SSL request");
        if (_haveBuffer)
        {
            _reader.AdvanceTo(_buffer.End);
            _haveBuffer = false;
        }
        await _reader.CompleteAsync().ConfigureAwait(false);
        _writer.SslResponse(accept: true);
        await FlushAsync().ConfigureAwait(false);
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        _stream = ssl;
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ClientCertificateRequired = false,
        }, cancellation).ConfigureAwait(false);
        _reader = CreateReader(ssl);
        return true;
    }

    /// <summary>Trust, or SCRAM-SHA-256 (AuthenticationSASL, SASLContinue, SASLFinal); false after a FATAL error was queued.</summary>
    private async Task<bool> AuthenticateAsync(StartupMessage startup)
    {
        if (!startup.Parameters.TryGetValue("user", out var user) || user.Length == 0)
        {
            QueueFatal(SqlStates.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet");
            return false;
        }
        if (_server.Options.Authentication == PgAuthentication.ScramSha256)
        {
            _server.Options.Users.TryGetValue(user, out var credentials);
            var scram = new ScramSha256Server(credentials);
            _writer.AuthenticationSasl(ScramSha256Server.Mechanism);
            var initial = await ReadPasswordMessageAsync().ConfigureAwait(false);
            var clientFirst = ReadSaslInitialResponse(initial.Body);
            _writer.AuthenticationSaslContinue(Encoding.UTF8.GetBytes(scram.ClientFirst(clientFirst)));
            var response = await ReadPasswordMessageAsync().ConfigureAwait(false);
            string serverFinal;
            try
            {
                serverFinal = scram.ClientFinal(Utf8(response.Body));
            }
            catch (PgProtocolException e) when (e.SqlState == SqlStates.InvalidPassword)
            {
                _server.Log($"postgres: password authentication failed for user \"{user}\" from {_remote}");
                QueueFatal(SqlStates.InvalidPassword, $"password authentication failed for user \"{user}\"");
                return false;
            }
            _writer.AuthenticationSaslFinal(Encoding.UTF8.GetBytes(serverFinal));
        }
        _writer.AuthenticationOk();
        return true;
    }

    private async Task<PasswordOrSasl> ReadPasswordMessageAsync()
    {
        var message = await ReadMessageAsync().ConfigureAwait(false);
        return message switch
        {
            PasswordOrSasl password => password,
            null => throw new EndOfStreamException("the client closed the connection during authentication"),
            _ => throw new PgProtocolException($"expected SASL response, got message {message.GetType().Name}"),
        };
    }

    /// <summary>SASLInitialResponse: mechanism name (C string), Int32 length of the data (-1: none), the data.</summary>
    private static string ReadSaslInitialResponse(byte[] body)
    {
        var end = Array.IndexOf(body, (byte)0);
        if (end < 0 || body.Length < end + 5) throw new PgProtocolException("malformed SASLInitialResponse message");
        var mechanism = Utf8(body.AsSpan(0, end));
        if (mechanism != ScramSha256Server.Mechanism) throw new PgProtocolException("client selected an invalid SASL authentication mechanism");
        var length = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(end + 1));
        if (length == -1) return "";
        if (length < 0 || length != body.Length - end - 5) throw new PgProtocolException("malformed SASLInitialResponse message");
        return Utf8(body.AsSpan(end + 5));
    }

    private static string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new PgProtocolException("invalid byte sequence for encoding \"UTF8\" in a SASL message", "22021");
        }
    }

    /// <summary>Opens the session and queues ParameterStatus, BackendKeyData and ReadyForQuery; false after a FATAL error.</summary>
    private bool OpenSession(StartupMessage startup)
    {
        var user = startup.Parameters["user"];
        var database = startup.Parameters.TryGetValue("database", out var d) && d.Length > 0 ? d : user;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in startup.Parameters)
        {
            if (name is not ("user" or "database" or "replication")) settings[name] = value;
        }
        try
        {
            _session = _server.Engine.OpenSession(user, database, settings);
        }
        catch (SqlException e)
        {
            _writer.ErrorResponse(e.SqlState, e.Message, "FATAL", e.Detail, e.Hint);  // sent as the connection closes
            return false;
        }
        foreach (var (name, value) in _session.ReportedParameters)
        {
            _writer.ParameterStatus(name, value);
        }
        SecretKey = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        _processId = _server.Register(this);
        _writer.BackendKeyData(_processId, SecretKey);
        _session.TakeChangedParameters();  // already reported above
        SendNotices();
        _writer.ReadyForQuery((WireStatus)(byte)_session.Status);
        return true;
    }
}
