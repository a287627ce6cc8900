using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tusk.Protocols.Postgres;

/// <summary>
/// What a server stores for a SCRAM-SHA-256 user (RFC 5802, RFC 7677; PostgreSQL's <c>SCRAM-SHA-256$iter:salt$StoredKey:ServerKey</c>):
/// never the password itself.
/// </summary>
public sealed record ScramCredentials(byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey)
{
    public const int DefaultIterations = 4096;

    /// <summary>Derives the stored form from a password (SASLprep is not applied: ASCII passwords are unaffected).</summary>
    public static ScramCredentials FromPassword(string password, byte[]? salt = null, int iterations = DefaultIterations)
    {
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        return new ScramCredentials(salt, iterations, SHA256.HashData(clientKey), HMACSHA256.HashData(salted, "Server Key"u8));
    }

    /// <summary>PostgreSQL's text form, as in <c>pg_authid.rolpassword</c>.</summary>
    public override string ToString() =>
        $"SCRAM-SHA-256${Iterations}:{Convert.ToBase64String(Salt)}${Convert.ToBase64String(StoredKey)}:{Convert.ToBase64String(ServerKey)}";
}

/// <summary>
/// The server side of one SCRAM-SHA-256 exchange (sans-I/O): <see cref="ClientFirst"/> takes the client-first message
/// (from SASLInitialResponse) and returns server-first (for AuthenticationSASLContinue); <see cref="ClientFinal"/>
/// takes client-final (from SASLResponse), verifies the proof and returns server-final (for AuthenticationSASLFinal).
/// Failures throw <see cref="PgProtocolException"/> with SQLSTATE 28P01 (wrong password) or 08P01 (malformed).
/// Channel binding is not offered ("n,," or "y,," accepted; "p=" refused).
/// </summary>
public sealed class ScramSha256Server
{
    public const string Mechanism = "SCRAM-SHA-256";

    private readonly ScramCredentials? _credentials;
    private readonly string _serverNonceSuffix;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _nonce;

    /// <param name="credentials">The user's stored credentials; null for an unknown user (the exchange then runs with
    /// made-up values and fails at the proof, so the client cannot tell unknown users from wrong passwords).</param>
    /// <param name="serverNonce">For tests; a random nonce by default.</param>
    public ScramSha256Server(ScramCredentials? credentials, string? serverNonce = null)
    {
        _credentials = credentials;
        _serverNonceSuffix = serverNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    }

    public bool Authenticated { get; private set; }

    public string ClientFirst(string message)
    {
        // gs2-header "n,," or "y,,": no channel binding; then client-first-bare "n=user,r=nonce".
        if (message.StartsWith("p=", StringComparison.Ordinal)) throw Malformed("channel binding is not supported");
        var comma = message.IndexOf(',', StringComparison.Ordinal);
        var second = comma < 0 ? -1 : message.IndexOf(',', comma + 1);
        if (!(message.StartsWith("n,", StringComparison.Ordinal) || message.StartsWith("y,", StringComparison.Ordinal)) || second < 0)
            throw Malformed("invalid GS2 header");
        _clientFirstBare = message[(second + 1)..];
        var clientNonce = Attribute(_clientFirstBare, 'r');
        if (string.IsNullOrEmpty(clientNonce)) throw Malformed("missing client nonce");
        _nonce = clientNonce + _serverNonceSuffix;
        var credentials = _credentials ?? ScramCredentials.FromPassword(_serverNonceSuffix, SHA256.HashData(Encoding.UTF8.GetBytes(_serverNonceSuffix))[..16]);
        _serverFirst = string.Create(CultureInfo.InvariantCulture, $"r={_nonce},s={Convert.ToBase64String(credentials.Salt)},i={credentials.Iterations}");
        return _serverFirst;
    }

    public string ClientFinal(string message)
    {
        if (_serverFirst is null || _clientFirstBare is null) throw Malformed("client-final before client-first");
        var proofAt = message.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0) throw Malformed("missing proof");
        var withoutProof = message[..proofAt];
        if (Attribute(withoutProof, 'r') != _nonce) throw Malformed("nonce mismatch");
        if (Attribute(withoutProof, 'c') is not ("biws" or "eSws")) throw Malformed("unexpected channel binding");
        byte[] proof;
        try
        {
            proof = Convert.FromBase64String(message[(proofAt + 3)..]);
        }
        catch (FormatException)
        {
            throw Malformed("proof is not base64");
        }
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
        if (_credentials is null || proof.Length != 32) throw WrongPassword();
        var clientSignature = HMACSHA256.HashData(_credentials.StoredKey, authMessage);
        var clientKey = new byte[32];
        for (var i = 0; i < 32; i++) clientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(clientKey), _credentials.StoredKey)) throw WrongPassword();
        Authenticated = true;
        return "v=" + Convert.ToBase64String(HMACSHA256.HashData(_credentials.ServerKey, authMessage));
    }

    private static string? Attribute(string message, char name)
    {
        foreach (var part in message.Split(','))
        {
            if (part.Length >= 2 && part[0] == name && part[1] == '=') return part[2..];
        }
        return null;
    }

    private static PgProtocolException Malformed(string why) => new($"malformed SCRAM message: {why}");

    private static PgProtocolException WrongPassword() => new("password authentication failed", SqlStates.InvalidPassword);
}
