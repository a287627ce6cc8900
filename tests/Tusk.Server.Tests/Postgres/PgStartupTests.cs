using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using Tusk.Protocols.Postgres;
using Tusk.Server.Postgres;
using Xunit;

namespace Tusk.Server.Tests.Postgres;

/// <summary>
/// The connection's life outside queries: startup, TLS negotiation, authentication, the connection limit, a
/// malformed frame, cancel, shutdown. Each test runs a real engine and server and speaks the protocol byte by
/// byte (<see cref="PgWireClient"/>) or through Npgsql.
/// </summary>
public sealed class PgStartupTests
{
    [Fact]
    public async Task StartupReportsParametersKeyDataAndReadyForQuery()
    {
        await using var server = PgTestServer.Start();
        var (client, messages) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            Assert.Equal('R', messages[0].Type);
            Assert.Equal(PgWireClient.Int32(0), messages[0].Body);  // AuthenticationOk
            var parameters = messages.Where(m => m.Type == 'S').Select(m => m.Parameter).ToDictionary(p => p.Name, p => p.Value);
            Assert.Equal("16.0", parameters["server_version"]);
            Assert.Equal("UTF8", parameters["client_encoding"]);
            Assert.Equal("UTF8", parameters["server_encoding"]);
            Assert.Equal("on", parameters["integer_datetimes"]);
            Assert.Equal("on", parameters["standard_conforming_strings"]);
            Assert.Equal("wire-test", parameters["application_name"]);
            Assert.Single(messages, m => m.Type == 'K');
            Assert.NotEqual(0, client.Key.ProcessId);
            var ready = messages[^1];
            Assert.Equal('Z', ready.Type);
            Assert.Equal((byte)'I', ready.Body.Single());

            await client.SendAsync(PgWireClient.Terminate());
            Assert.True(await client.IsClosedByServerAsync());
        }
    }

    [Fact]
    public async Task SslRequestWithoutCertificateIsAnsweredNAndStartupContinuesInTheClear()
    {
        await using var server = PgTestServer.Start();
        using var client = await PgWireClient.ConnectAsync(server.Port);
        await client.SendAsync(PgWireClient.SslRequest());
        Assert.Equal((byte)'N', await client.ReadByteAsync());
        var messages = await client.StartupAsync();
        Assert.Equal('Z', messages[^1].Type);
        await client.SendAsync(PgWireClient.Query("SELECT 1"));
        var result = await client.ReadUntilReadyAsync();
        Assert.Equal("1", result.Single(m => m.Type == 'D').Text);
    }

    [Fact]
    public async Task SslRequestWithCertificateSwitchesToTls()
    {
        using var certificate = SelfSignedCertificate();
        await using var server = PgTestServer.Start(new PgServerOptions { Certificate = certificate });
        using var client = await PgWireClient.ConnectAsync(server.Port);
        await client.SendAsync(PgWireClient.SslRequest());
        Assert.Equal((byte)'S', await client.ReadByteAsync());
        await client.StartTlsAsync();
        await client.StartupAsync();
        await client.SendAsync(PgWireClient.Query("SELECT 1"));
        var result = await client.ReadUntilReadyAsync();
        Assert.Equal("1", result.Single(m => m.Type == 'D').Text);

        // Npgsql with sslmode=require gets the same.
        await using var npgsql = await server.OpenAsync(extra: "SSL Mode=Require");
        await using var command = new NpgsqlCommand("SELECT 1", npgsql);
        Assert.Equal(1, Convert.ToInt32(await command.ExecuteScalarAsync()));
    }

    [Fact]
    public async Task GssEncRequestIsAnsweredN()
    {
        await using var server = PgTestServer.Start();
        using var client = await PgWireClient.ConnectAsync(server.Port);
        await client.SendAsync([.. PgWireClient.Int32(8), .. PgWireClient.Int32(80877104)]);
        Assert.Equal((byte)'N', await client.ReadByteAsync());
        Assert.Equal('Z', (await client.StartupAsync())[^1].Type);
    }

    [Fact]
    public async Task ScramAuthenticationAcceptsTheRightPasswordAndRefusesOthersWith28P01()
    {
        var options = new PgServerOptions
        {
            Authentication = PgAuthentication.ScramSha256,
            Users = PgUsersFile.Parse("# users\nalice:correct horse\nbob:b:with:colons\n"),
        };
        await using var server = PgTestServer.Start(options);

        await using (var alice = await server.OpenAsync("alice", "correct horse"))
        {
            await using var command = new NpgsqlCommand("SELECT 1", alice);
            Assert.Equal(1, Convert.ToInt32(await command.ExecuteScalarAsync()));
        }
        await using (var bob = await server.OpenAsync("bob", "b:with:colons"))
        {
            Assert.Equal(System.Data.ConnectionState.Open, bob.State);
        }

        var wrong = await Assert.ThrowsAsync<PostgresException>(() => server.OpenAsync("alice", "wrong"));
        Assert.Equal("28P01", wrong.SqlState);
        Assert.Equal("password authentication failed for user \"alice\"", wrong.MessageText);
        var unknown = await Assert.ThrowsAsync<PostgresException>(() => server.OpenAsync("mallory", "anything"));
        Assert.Equal("28P01", unknown.SqlState);
    }

    [Fact]
    public async Task UsersFileRejectsMalformedLines()
    {
        Assert.Contains("line 2", Assert.Throws<FormatException>(() => PgUsersFile.Parse("a:b\nno-colon\n")).Message);
        Assert.Contains("twice", Assert.Throws<FormatException>(() => PgUsersFile.Parse("a:b\na:c\n")).Message);
        Assert.Throws<ArgumentException>(() => new PgServerOptions { Authentication = PgAuthentication.ScramSha256 }.Validate());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ClientsBeyondTheLimitGet53300AndTheOthersKeepWorking()
    {
        await using var server = PgTestServer.Start(new PgServerOptions { ConnectionsMax = 2 });
        var (first, _) = await PgWireClient.StartAsync(server.Port);
        var (second, _) = await PgWireClient.StartAsync(server.Port);
        using (first)
        using (second)
        {
            // Raw: SSLRequest is still answered, the startup packet gets the FATAL error.
            using (var third = await PgWireClient.ConnectAsync(server.Port))
            {
                await third.SendAsync(PgWireClient.SslRequest());
                Assert.Equal((byte)'N', await third.ReadByteAsync());
                await third.SendAsync(PgWireClient.Startup(("user", "tusk")));
                var error = await third.ReadAsync();
                Assert.Equal('E', error.Type);
                Assert.Equal(SqlStates.TooManyConnections, error.SqlState);
                Assert.Equal("FATAL", error.Field('S'));
                Assert.Equal("sorry, too many clients already", error.Field('M'));
                Assert.True(await third.IsClosedByServerAsync());
            }

            // Npgsql sees a PostgresException with the same SQLSTATE.
            var refused = await Assert.ThrowsAsync<PostgresException>(() => server.OpenAsync());
            Assert.Equal("53300", refused.SqlState);

            await first.SendAsync(PgWireClient.Query("SELECT 1"));
            Assert.Equal("1", (await first.ReadUntilReadyAsync()).Single(m => m.Type == 'D').Text);

            // A slot freed is a slot served.
            await second.SendAsync(PgWireClient.Terminate());
            Assert.True(await second.IsClosedByServerAsync());
        }
        var opened = false;
        for (var attempt = 0; attempt < 50 && !opened; attempt++)
        {
            try
            {
                await using var again = await server.OpenAsync();
                opened = true;
            }
            catch (PostgresException e) when (e.SqlState == "53300")
            {
                await Task.Delay(100);  // the freed slot is released when the server's task ends
            }
        }
        Assert.True(opened, server.Logs);
    }

    [Fact]
    public async Task MalformedFrameClosesOnlyThatConnection()
    {
        await using var server = PgTestServer.Start();
        await using var healthy = await server.OpenAsync();
        var (bad, _) = await PgWireClient.StartAsync(server.Port);
        using (bad)
        {
            // A Query whose length (2) is less than the length field itself.
            await bad.SendAsync([(byte)'Q', .. PgWireClient.Int32(2), 0, 0, 0]);
            var error = await bad.ReadAsync();
            Assert.Equal('E', error.Type);
            Assert.Equal("08P01", error.SqlState);
            Assert.Equal("FATAL", error.Field('S'));
            Assert.True(await bad.IsClosedByServerAsync());
        }

        // A message of an unknown type, and garbage in place of a startup packet, likewise.
        var (unknown, _) = await PgWireClient.StartAsync(server.Port);
        using (unknown)
        {
            await unknown.SendAsync(PgWireClient.Message('!', [1, 2, 3]));
            Assert.Equal("08P01", (await unknown.ReadAsync()).SqlState);
            Assert.True(await unknown.IsClosedByServerAsync());
        }
        using (var garbage = await PgWireClient.ConnectAsync(server.Port))
        {
            await garbage.SendAsync([.. PgWireClient.Int32(8), .. PgWireClient.Int32(12345)]);
            Assert.Equal("08P01", (await garbage.ReadAsync()).SqlState);
            Assert.True(await garbage.IsClosedByServerAsync());
        }

        await using var command = new NpgsqlCommand("SELECT 1", healthy);
        Assert.Equal(1, Convert.ToInt32(await command.ExecuteScalarAsync()));
        Assert.Contains("closing connection", server.Logs);
    }

    [Fact]
    public async Task CancelRequestStopsTheRunningStatementWith57014()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            await client.SendAsync(PgWireClient.Query(
                "CREATE TABLE big (a int primary key); INSERT INTO big VALUES " + string.Join(",", Enumerable.Range(1, 200).Select(i => $"({i})"))));
            Assert.DoesNotContain(await client.ReadUntilReadyAsync(), m => m.Type == 'E');

            // 200^4 = 1.6e9 combinations: runs until cancelled.
            await client.SendAsync(PgWireClient.Query("SELECT count(*) FROM big a, big b, big c, big d"));
            var response = client.ReadUntilReadyAsync();
            // The cancel may arrive before the statement starts (then it is a no-op, as in PostgreSQL): repeat it.
            for (var attempt = 0; attempt < 100 && !response.IsCompleted; attempt++)
            {
                using var canceller = await PgWireClient.ConnectAsync(server.Port);
                await canceller.SendAsync(PgWireClient.CancelRequest(client.Key.ProcessId, client.Key.SecretKey));
                Assert.True(await canceller.IsClosedByServerAsync());  // no answer on the cancel connection
                await Task.WhenAny(response, Task.Delay(200));
            }
            var messages = await response;
            var error = Assert.Single(messages, m => m.Type == 'E');
            Assert.Equal("57014", error.SqlState);
            Assert.Equal((byte)'I', messages[^1].Body.Single());

            // The session goes on.
            await client.SendAsync(PgWireClient.Query("SELECT 1"));
            Assert.Equal("1", (await client.ReadUntilReadyAsync()).Single(m => m.Type == 'D').Text);
        }
    }

    [Fact]
    public async Task CancelRequestWithTheWrongSecretDoesNothing()
    {
        await using var server = PgTestServer.Start();
        var (client, _) = await PgWireClient.StartAsync(server.Port);
        using (client)
        {
            using (var canceller = await PgWireClient.ConnectAsync(server.Port))
            {
                await canceller.SendAsync(PgWireClient.CancelRequest(client.Key.ProcessId, client.Key.SecretKey ^ 1));
                Assert.True(await canceller.IsClosedByServerAsync());
            }
            await client.SendAsync(PgWireClient.Query("SELECT 1"));
            var messages = await client.ReadUntilReadyAsync();
            Assert.DoesNotContain(messages, m => m.Type == 'E');
        }
    }

    [Fact]
    public async Task StoppingTheServerTellsIdleClients57P01()
    {
        var server = PgTestServer.Start();
        PgWireClient client;
        try
        {
            (client, _) = await PgWireClient.StartAsync(server.Port);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        using (client)
        {
            await server.DisposeAsync();
            var error = await client.ReadAsync();
            Assert.Equal("57P01", error.SqlState);
            Assert.True(await client.IsClosedByServerAsync());
        }
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        // Through PKCS#12, as --pg-cert loads it (SslStream on Linux needs a key it can export to OpenSSL).
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
