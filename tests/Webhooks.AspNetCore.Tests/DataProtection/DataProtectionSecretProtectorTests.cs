using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.DataProtection;
using Webhooks.AspNetCore.Receiving;
using Webhooks.AspNetCore.Tests.Receiving;
using Webhooks.Core;
using Webhooks.Core.Security;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.DataProtection;

public sealed class DataProtectionSecretProtectorTests : IDisposable
{
    private const string Secret = "whsec_ZGF0YS1wcm90ZWN0aW9uLXNlY3JldC0wMTIzNDU2Nzg5YWI=";
    private const string SecretKey = "ZGF0YS1wcm90ZWN0aW9uLXNlY3JldC0wMTIzNDU2Nzg5YWI=";
    private const string BearerToken = "bearer-token-dp-5e1c9a7f";

    private readonly string _keys = Directory.CreateTempSubdirectory("webhooks-dp-").FullName;
    private readonly string _otherKeys = Directory.CreateTempSubdirectory("webhooks-dp-").FullName;

    public void Dispose()
    {
        Directory.Delete(_keys, recursive: true);
        Directory.Delete(_otherKeys, recursive: true);
    }

    [Fact]
    public async Task ProtectSecretsWithDataProtection_Registered_ReplacesThePassThroughProtector()
    {
        await using var host = await StartHostAsync(_keys, start: false);

        host.Services.GetRequiredService<IWebhookSecretProtector>().Should().BeOfType<DataProtectionWebhookSecretProtector>();
    }

    [Fact]
    public async Task Protect_ThenUnprotect_RoundTripsAndHidesThePlaintext()
    {
        await using var host = await StartHostAsync(_keys, start: false);
        var protector = host.Services.GetRequiredService<IWebhookSecretProtector>();

        var protectedValue = protector.Protect(Secret);

        protectedValue.Should().NotBe(Secret).And.NotContain(SecretKey).And.NotContain("whsec_");
        protector.Protect(Secret).Should().NotBe(protectedValue, "each protection is freshly encrypted");
        protector.Unprotect(protectedValue).Should().Be(Secret);
    }

    [Fact]
    public async Task Unprotect_ValueFromAnotherKeyRing_ThrowsWebhookExceptionNamingNoSecret()
    {
        await using var mine = await StartHostAsync(_keys, start: false);
        await using var other = await StartHostAsync(_otherKeys, start: false);
        var protectedElsewhere = other.Services.GetRequiredService<IWebhookSecretProtector>().Protect(Secret);
        var protector = mine.Services.GetRequiredService<IWebhookSecretProtector>();

        var direct = () => protector.Unprotect(protectedElsewhere);

        // A stored subscription holding it, read through the engine (which unprotects what the store returns).
        await mine.Services.GetRequiredService<IWebhookSubscriptionStore>().CreateAsync(Subscription("sub_dp1", protectedElsewhere), default);
        var viaStore = () => mine.Subscriptions.GetAsync(null, "sub_dp1");

        direct.Should().Throw<WebhookException>().Which.Should().Match<WebhookException>(e =>
            e.Message.Contains("key ring", StringComparison.Ordinal) && e.InnerException is CryptographicException
            && !e.Message.Contains(SecretKey, StringComparison.Ordinal) && !e.Message.Contains(protectedElsewhere, StringComparison.Ordinal));
        var fromStore = (await viaStore.Should().ThrowAsync<WebhookException>()).Which;
        fromStore.Message.Should().Contain("sub_dp1").And.Contain("key ring").And.NotContain(protectedElsewhere).And.NotContain(SecretKey);
    }

    [Fact]
    public async Task Unprotect_AlteredValue_ThrowsWebhookException()
    {
        await using var host = await StartHostAsync(_keys, start: false);
        var protector = host.Services.GetRequiredService<IWebhookSecretProtector>();
        var value = protector.Protect(Secret);
        var altered = value[..^4] + (value[^4] == 'A' ? "BBBB" : "AAAA");

        var act = () => protector.Unprotect(altered);

        act.Should().Throw<WebhookException>().WithInnerException<CryptographicException>();
    }

    [Fact]
    public async Task RegisteredStore_SubscriptionLifecycle_NeverHoldsPlainSecretsAndDeliveriesStillVerify()
    {
        await using var receiver = await SignedReceiverApp.StartAsync((app, r) =>
            app.MapPost("/hooks", (VerifiedWebhook w, HttpRequest request) =>
            {
                r.Handled.Enqueue(request.Headers.Authorization.ToString());
                return Results.NoContent();
            }).RequireWebhookSignature(Secret));
        await using var host = await StartHostAsync(_keys, start: true);
        var store = host.Services.GetRequiredService<RecordingStore>();

        var created = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "dp", Url = receiver.Url("/hooks"), Events = ["order.created"], Secret = Secret, Auth = WebhookAuth.Bearer(BearerToken),
        });
        var rotated = await host.Subscriptions.RotateSecretAsync(null, created.Subscription.Id); // the old secret keeps signing during the overlap
        await host.Publisher.PublishAsync("order.created", new { id = 7 });
        await Eventually.TrueAsync(async () =>
        {
            var page = await host.Deliveries.GetDeliveriesAsync(null, created.Subscription.Id);
            return page!.Items.Any(d => d.Status == WebhookDeliveryStatus.Succeeded);
        }, "a succeeded delivery");

        rotated.Should().NotBeNull();
        var raw = await store.Inner.GetAsync(created.Subscription.Id, default);
        raw!.Secrets.Should().HaveCount(2).And.OnlyContain(s => !s.Value.Contains("whsec_") && !s.Value.Contains(SecretKey));
        raw.Auth.Secret.Should().NotBeNull().And.NotContain(BearerToken);
        store.Written.Should().NotBeEmpty().And.OnlyContain(w => !w.Contains(SecretKey) && !w.Contains(BearerToken));
        receiver.Handled.Should().ContainSingle().Which.Should().Be("Bearer " + BearerToken);
        var read = await EngineView(host).GetAsync(created.Subscription.Id, default);
        read!.Auth.Secret.Should().Be(BearerToken);
        read.Secrets.Select(x => x.Value).Should().Equal(rotated!.Secret, Secret);
    }

    private static WebhookSubscription Subscription(string id, string secret) => new()
    {
        Id = id, Name = "n", Url = "https://example.com/h", Events = ["order.created"], Secrets = [new WebhookSecret(secret)],
    };

    private static Task<WebhookHost> StartHostAsync(string keys, bool start) => WebhookHost.StartAsync(
        b => b.AddEventType("order.created").ProtectSecretsWithDataProtection(),
        services: s =>
        {
            s.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys)).SetApplicationName("webhooks-dp-tests");
            var inner = s.Single(d => d.ServiceType == typeof(IWebhookSubscriptionStore));
            s.Remove(inner);
            s.AddSingleton(sp => new RecordingStore((IWebhookSubscriptionStore)ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!)));
            s.AddSingleton<IWebhookSubscriptionStore>(sp => sp.GetRequiredService<RecordingStore>());
        },
        start: start);

    /// <summary>
    /// The engine's view of the registered store (Webhooks.Core's internal protecting decorator, which
    /// implements the public store contract): what the dispatcher reads, secrets unprotected.
    /// </summary>
    private static IWebhookSubscriptionStore EngineView(WebhookHost host) =>
        (IWebhookSubscriptionStore)host.Services.GetRequiredService(
            typeof(WebhookSubscriptionManager).Assembly.GetType("Webhooks.Core.Subscriptions.ProtectedSubscriptionStore", throwOnError: true)!);

    /// <summary>
    /// The registered store, as a persistent one would be: it gets what the engine hands it (secrets
    /// already protected) and records every secret value written. The inner store plays the database.
    /// </summary>
    internal sealed class RecordingStore(IWebhookSubscriptionStore inner) : IWebhookSubscriptionStore
    {
        public IWebhookSubscriptionStore Inner => inner;

        /// <summary>Every secret value handed to the store, as written.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<string> Written { get; } = new();

        public Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) =>
            inner.CreateAsync(Record(subscription), cancellationToken);

        public Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken) => inner.GetAsync(id, cancellationToken);

        public Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken) =>
            inner.ListAsync(query, cancellationToken);

        public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
            inner.FindForEventAsync(owner, patterns, context, cancellationToken);

        public Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) =>
            inner.UpdateAsync(Record(subscription), cancellationToken);

        public Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken) =>
            inner.DeleteAsync(id, expectedVersion, cancellationToken);

        private WebhookSubscription Record(WebhookSubscription subscription)
        {
            foreach (var value in subscription.Secrets.Select(s => s.Value).Append(subscription.Auth.Secret ?? ""))
            {
                Written.Enqueue(value);
            }

            return subscription;
        }
    }
}
