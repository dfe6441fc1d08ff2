using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary>
/// MapWebhooks() maps a delivery route only when the registered delivery store has the capability
/// it needs (as MapIdentityApi relies on UserManager.SupportsUserEmail): the log routes need
/// IWebhookDeliveryLog, redeliver and recover IWebhookDeliveryAdministration, the stats routes
/// IWebhookDeliveryStatistics. A route left out answers 404 and is not in the OpenAPI document.
/// </summary>
public sealed class CapabilityTests
{
    private const string UnknownDelivery = "dlv_01M890Z336Q15K300VKFWQQ6XE";

    // method, path (after /webhooks; {id} is a subscription of the caller), capability it needs
    public static TheoryData<string, string, string> DeliveryRoutes => new()
    {
        { "get", "/deliveries", "log" },
        { "get", "/deliveries/{deliveryId}", "log" },
        { "get", "/{id}/deliveries", "log" },
        { "get", "/{id}/deliveries/{deliveryId}", "log" },
        { "post", "/{id}/deliveries/{deliveryId}/redeliver", "redelivery" },
        { "post", "/{id}/recover", "redelivery" },
        { "get", "/stats", "statistics" },
        { "get", "/{id}/stats", "statistics" },
    };

    [Fact]
    public async Task QueueOnlyStore_NoDeliveryRoutes_404AndNotInOpenApi_ButDeliveriesStillArrive()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await ApiHost.StartAsync(webhooks: w => ReplaceDeliveryStore(w, inner => new QueueOnlyStore(inner)));
        var owner = ApiFixture.NewOwner();
        using var client = host.Client(owner);
        var id = (string)(await client.CreateSubscriptionAsync("queue-only", receiver.Url("/q")))["id"]!;

        await AssertRoutesAsync(host, client, id, mapped: []);

        var published = await host.Publisher.PublishAsync("order.created", new { n = 1 }, new WebhookPublishOptions { Owner = owner });
        published.DeliveryCount.Should().Be(1);
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Requests.Any(r => r.Path == "/q")), "the delivery through the queue-only store");
    }

    [Fact]
    public async Task LogOnlyStore_LogRoutesMapped_RedeliveryAndStatsNot()
    {
        await using var host = await ApiHost.StartAsync(webhooks: w => ReplaceDeliveryStore(w, inner => new LogOnlyStore(inner)));
        using var client = host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("log-only", "https://example.com/l"))["id"]!;

        await AssertRoutesAsync(host, client, id, mapped: ["log"]);

        var page = await (await client.GetAsync("/webhooks/deliveries")).JsonAsync(HttpStatusCode.OK);
        page["items"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task InMemoryStore_EveryCapability_EveryDeliveryRouteMapped()
    {
        await using var host = await ApiHost.StartAsync();
        using var client = host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("all", "https://example.com/a"))["id"]!;

        await AssertRoutesAsync(host, client, id, mapped: ["log", "redelivery", "statistics"]);
    }

    private static async Task AssertRoutesAsync(ApiHost host, HttpClient client, string id, string[] mapped)
    {
        using var anonymous = host.Client(null);
        var document = await (await anonymous.GetAsync("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);
        var paths = document["paths"]!.AsObject();
        paths["/webhooks/{id}"]!["get"].Should().NotBeNull("the subscription routes never depend on the delivery store");

        foreach (var row in DeliveryRoutes)
        {
            var (method, path, capability) = ((string)row[0], (string)row[1], (string)row[2]);
            var url = "/webhooks" + path.Replace("{id}", id, StringComparison.Ordinal).Replace("{deliveryId}", UnknownDelivery, StringComparison.Ordinal);
            var body = path.EndsWith("/recover", StringComparison.Ordinal) ? """{"since":"2020-01-01T00:00:00Z"}""" : null;
            var response = await client.SendJsonAsync(new HttpMethod(method.ToUpperInvariant()), url, body);
            var text = await response.Content.ReadAsStringAsync();
            var documented = paths["/webhooks" + path]?[method];

            if (!mapped.Contains(capability))
            {
                documented.Should().BeNull($"{method} {path} needs {capability}, which the store lacks");
                response.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{method} {path} is not mapped without {capability}");
                text.Should().NotContain("No delivery").And.NotContain("No subscription", "no handler of the route ran");
            }
            else if (path.Contains("{deliveryId}", StringComparison.Ordinal))
            {
                documented.Should().NotBeNull($"{method} {path} needs only {capability}, which the store has");
                (await response.ProblemAsync(HttpStatusCode.NotFound))["detail"]!.GetValue<string>().Should().Contain($"No delivery '{UnknownDelivery}'");
            }
            else
            {
                documented.Should().NotBeNull($"{method} {path} needs only {capability}, which the store has");
                ((int)response.StatusCode).Should().BeInRange(200, 299, $"{method} {path} is mapped; it answered: {text}");
            }
        }
    }

    private static void ReplaceDeliveryStore(IWebhooksBuilder webhooks, Func<IWebhookDeliveryStore, IWebhookDeliveryStore> wrap)
    {
        var registered = webhooks.Services.Single(d => d.ServiceType == typeof(IWebhookDeliveryStore));
        webhooks.Services.Remove(registered);
        webhooks.Services.AddSingleton(sp => wrap((IWebhookDeliveryStore)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!)));
    }

    /// <summary>The required queue and nothing else: it implements none of the capability interfaces.</summary>
    private sealed class QueueOnlyStore(IWebhookDeliveryStore inner) : IWebhookDeliveryStore
    {
        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
            inner.EnqueueAsync(message, deliveries, context, cancellationToken);

        public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
            inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) =>
            inner.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) =>
            inner.ReleaseAsync(lease, delay, cancellationToken);
    }

    /// <summary>The queue plus the log: no administration, no statistics.</summary>
    private sealed class LogOnlyStore(IWebhookDeliveryStore inner) : IWebhookDeliveryStore, IWebhookDeliveryLog
    {
        private readonly QueueOnlyStore _queue = new(inner);

        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
            _queue.EnqueueAsync(message, deliveries, context, cancellationToken);

        public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
            _queue.LeaseAsync(maxCount, leaseDuration, cancellationToken);

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) =>
            _queue.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) =>
            _queue.ReleaseAsync(lease, delay, cancellationToken);

        public Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken) =>
            ((IWebhookDeliveryLog)inner).QueryAsync(query, cancellationToken);

        public Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken) =>
            ((IWebhookDeliveryLog)inner).GetAsync(deliveryId, cancellationToken);
    }
}
