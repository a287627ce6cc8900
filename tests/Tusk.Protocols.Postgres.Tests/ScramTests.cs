using Xunit;

namespace Tusk.Protocols.Postgres.Tests;

public sealed class ScramTests
{
    private static readonly byte[] Salt = Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ==");
    private const string ServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

    /// <summary>The exchange of RFC 7677 section 3 (user "user", password "pencil"), message by message.</summary>
    [Fact]
    public void TheRfc7677ExampleExchangeVerifies()
    {
        var server = new ScramSha256Server(ScramCredentials.FromPassword("pencil", Salt), ServerNonce);
        Assert.Equal("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            server.ClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        Assert.Equal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
            server.ClientFinal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        Assert.True(server.Authenticated);
    }

    [Fact]
    public void AWrongPasswordOrAnUnknownUserFailsTheSameWay()
    {
        const string clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        foreach (var credentials in new[] { ScramCredentials.FromPassword("not-pencil", Salt), null })
        {
            var server = new ScramSha256Server(credentials, ServerNonce);
            server.ClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
            var e = Assert.Throws<PgProtocolException>(() => server.ClientFinal(clientFinal));
            Assert.Equal(SqlStates.InvalidPassword, e.SqlState);
            Assert.False(server.Authenticated);
        }
    }

    [Theory]
    [InlineData("p=tls-server-end-point,,n=user,r=abc", "channel binding")]
    [InlineData("x,,n=user,r=abc", "GS2 header")]
    [InlineData("n,,n=user", "client nonce")]
    public void MalformedClientFirstMessagesAreRefused(string message, string expected)
    {
        var e = Assert.Throws<PgProtocolException>(() => new ScramSha256Server(ScramCredentials.FromPassword("x")).ClientFirst(message));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(SqlStates.ProtocolViolation, e.SqlState);
    }

    [Fact]
    public void ANonceMismatchIsRefused()
    {
        var server = new ScramSha256Server(ScramCredentials.FromPassword("pencil", Salt), ServerNonce);
        server.ClientFirst("n,,n=user,r=abc");
        var e = Assert.Throws<PgProtocolException>(() => server.ClientFinal("c=biws,r=other,p=AAAA"));
        Assert.Contains("nonce", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialsPrintInPostgresFormat() =>
        Assert.StartsWith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$", ScramCredentials.FromPassword("pencil", Salt).ToString(), StringComparison.Ordinal);
}
