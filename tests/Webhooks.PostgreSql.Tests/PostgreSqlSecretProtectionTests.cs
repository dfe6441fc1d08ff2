using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Security;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

/// <summary>
/// The engine protects secrets around whatever subscription store is registered: on PostgreSQL the
/// rows hold only protected values, and deliveries are still signed and authenticated with the plaintext.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSecretProtectionTests(PostgresCluster cluster)
{
    /// <summary>A reversible stand-in for Data Protection: enough to see what reaches the database.</summary>
    private sealed class PrefixProtector : IWebhookSecretProtector
    {
        public string Protect(string plaintext) => "prot:" + Convert.ToBase64String(Encoding.UTF8.GetBytes(plaintext).Reverse().ToArray());

        public string Unprotect(string protectedValue) => protectedValue.StartsWith("prot:", StringComparison.Ordinal)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(protectedValue[5..]).Reverse().ToArray())
            : throw new System.Security.Cryptography.CryptographicException("not protected by this protector");
    }

    [Fact]
    public async Task Secrets_AreStoredProtected_AndDeliveriesUseThePlaintext()
    {
        const string schema = "secret_protection";
        var cs = await cluster.CreateDatabaseAsync("secret_protection");
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await PgHosts.StartAsync(cs, schema, configure: services => services.AddSingleton<IWebhookSecretProtector, PrefixProtector>());

        var created = await host.Subscriptions.CreateAsync("o", new WebhookSubscriptionDefinition
        {
            Name = "n", Url = receiver.Url(), Events = ["order.created"], Auth = WebhookAuth.Bearer("bearer-token-value-123"),
        });
        await host.Publisher.PublishAsync("order.created", new { id = 1 }, new() { Owner = "o" });

        var raw = await Pg.ScalarAsync<string>(cs, $"SELECT secrets::text || auth::text FROM {schema}.subscriptions");
        raw.Should().NotContain(created.Secret).And.NotContain(created.Secret["whsec_".Length..]).And.NotContain("bearer-token-value-123").And.Contain("prot:");
        var stored = await host.Services.GetRequiredService<IWebhookSubscriptionStore>().GetAsync(created.Subscription.Id, default);
        stored!.Secrets[0].Value.Should().StartWith("prot:", "the store keeps what the engine gave it");
        new PrefixProtector().Unprotect(stored.Secrets[0].Value).Should().Be(created.Secret);
        new PrefixProtector().Unprotect(stored.Auth.Secret!).Should().Be("bearer-token-value-123");
        (await host.Subscriptions.GetAsync("o", created.Subscription.Id))!.Secrets.Should().NotContain(s => s.Value.StartsWith("prot:"), "the engine reads them back unprotected");

        var request = (await receiver.WaitForAsync(1))[0];
        request.Header("authorization").Should().Be("Bearer bearer-token-value-123");
        new WebhookVerifier(created.Secret).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body)
            .IsValid.Should().BeTrue("the delivery is signed with the plaintext secret");
    }
}
