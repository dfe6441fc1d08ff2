using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Security;
using Webhooks.Core.Subscriptions;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

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
    public async Task Secrets_AreStoredProtected_AndReadBackInPlaintext()
    {
        var cs = await cluster.CreateDatabaseAsync("secret_protection");
        await using var services = Pg.Services(cs, webhooks: b => b.AddEventType("order.created").Services.AddSingleton<IWebhookSecretProtector, PrefixProtector>());
        await Pg.ResetAsync(services);
        var manager = services.GetRequiredService<WebhookSubscriptionManager>();

        var created = await manager.CreateAsync("o", new WebhookSubscriptionDefinition
        {
            Name = "n", Url = "https://example.com/h", Events = ["order.created"], Auth = WebhookAuth.Bearer("bearer-token-value-123"),
        });

        var raw = await Pg.ScalarAsync<string>(cs, "SELECT secrets::text || auth::text FROM webhooks.subscriptions");
        raw.Should().NotContain(created.Secret).And.NotContain(created.Secret["whsec_".Length..]).And.NotContain("bearer-token-value-123").And.Contain("prot:");
        var stored = await services.GetRequiredService<IWebhookSubscriptionStore>().GetAsync(created.Subscription.Id, default);
        stored!.CurrentSecret.Should().Be(created.Secret);
        stored.Auth.Secret.Should().Be("bearer-token-value-123");
    }
}
