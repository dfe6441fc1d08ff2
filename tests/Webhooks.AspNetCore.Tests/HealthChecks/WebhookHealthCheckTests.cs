using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.HealthChecks;

/// <summary>AddHealthChecks().AddWebhooks() on a real Kestrel app: /healthz answers Healthy, Degraded or Unhealthy, with the numbers.</summary>
public sealed class WebhookHealthCheckTests
{
    [Fact]
    public async Task Healthy_DispatcherKeepsUp_200WithNothingPending()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await StartAsync();
        var owner = ApiFixture.NewOwner();
        using var client = host.Client(owner);
        await client.CreateSubscriptionAsync("orders", receiver.Url("/hook"), "order.*");

        await host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { Owner = owner });
        await receiver.WaitForAsync(1);
        var report = await Eventually.GetAsync(async () =>
        {
            var r = await HealthAsync(host, HttpStatusCode.OK);
            return r["data"]!["pendingDeliveries"]!.GetValue<long>() == 0 ? r : null;
        }, "the delivered message to leave the backlog");

        report["status"]!.GetValue<string>().Should().Be("Healthy");
        report["data"]!["oldestDueWaitSeconds"]!.GetValue<double>().Should().Be(0);
        report["data"]!["degradedAfterSeconds"]!.GetValue<double>().Should().Be(300, "the default threshold is 5 minutes");
        report["data"]!["deliveryStore"]!.GetValue<string>().Should().Be("InMemoryWebhookDeliveryStore");
    }

    [Fact]
    public async Task Degraded_DueDeliveryWaitsPastTheThreshold_WithNoDispatcherRunning()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(
            health => health.AddWebhooks(o => o.DegradedAfter = TimeSpan.FromMinutes(2), tags: ["ready"]),
            services =>
            {
                services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time));
                WithoutWebhookBackgroundServices(services);
            });
        var owner = ApiFixture.NewOwner();
        using var client = host.Client(owner);
        await client.CreateSubscriptionAsync("orders", "https://example.com/hook", "order.*");
        await host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { Owner = owner });

        var fresh = await HealthAsync(host, HttpStatusCode.OK);
        time.Advance(TimeSpan.FromMinutes(1));
        var waiting = await HealthAsync(host, HttpStatusCode.OK);
        time.Advance(TimeSpan.FromMinutes(2));
        var late = await HealthAsync(host, HttpStatusCode.OK);

        fresh["status"]!.GetValue<string>().Should().Be("Healthy");
        fresh["data"]!["pendingDeliveries"]!.GetValue<long>().Should().Be(1);
        fresh["data"]!["oldestDueWaitSeconds"]!.GetValue<double>().Should().Be(0);
        waiting["status"]!.GetValue<string>().Should().Be("Healthy", "one minute is within the two-minute threshold");
        waiting["data"]!["oldestDueWaitSeconds"]!.GetValue<double>().Should().Be(60);
        late["status"]!.GetValue<string>().Should().Be("Degraded");
        late["description"]!.GetValue<string>().Should().Contain("3 min").And.Contain("not keeping up, or not running");
        late["data"]!["pendingDeliveries"]!.GetValue<long>().Should().Be(1);
        late["data"]!["oldestDueWaitSeconds"]!.GetValue<double>().Should().Be(180);
        late["data"]!["degradedAfterSeconds"]!.GetValue<double>().Should().Be(120);
        late["data"]!["oldestDueAt"]!.GetValue<string>().Should().Be("2026-03-01T12:00:00.0000000+00:00");
    }

    [Fact]
    public async Task Unhealthy_StoreThrows_503WithTheReason()
    {
        await using var host = await StartAsync(services: services =>
            services.Replace(ServiceDescriptor.Singleton<IWebhookDeliveryStore>(new UnreachableStore())));

        var report = await HealthAsync(host, HttpStatusCode.ServiceUnavailable);

        report["status"]!.GetValue<string>().Should().Be("Unhealthy");
        report["description"]!.GetValue<string>().Should().Contain("could not be reached").And.Contain("connection refused (test)");
        report["data"]!["deliveryStore"]!.GetValue<string>().Should().Be(nameof(UnreachableStore));
    }

    [Fact]
    public async Task FailureStatus_IsWhatAnUnreachableStoreReports()
    {
        await using var host = await StartAsync(
            health => health.AddWebhooks(failureStatus: HealthStatus.Degraded),
            services => services.Replace(ServiceDescriptor.Singleton<IWebhookDeliveryStore>(new UnreachableStore())));

        var report = await HealthAsync(host, HttpStatusCode.OK);

        report["status"]!.GetValue<string>().Should().Be("Degraded");
    }

    [Fact]
    public async Task StoreWithoutBacklog_ReportsReachabilityOnly_AndSaysSo()
    {
        await using var host = await StartAsync(services: services =>
            services.Replace(ServiceDescriptor.Singleton<IWebhookDeliveryStore>(new QueueOnlyStore())));

        var report = await HealthAsync(host, HttpStatusCode.OK);

        report["status"]!.GetValue<string>().Should().Be("Healthy");
        report["data"]!["backlog"]!.GetValue<string>().Should().Contain("does not implement IWebhookDeliveryBacklog").And.Contain("only whether the stores can be reached");
        report["data"]!["pendingDeliveries"].Should().BeNull();
    }

    [Fact]
    public void AddWebhooks_NonPositiveThreshold_IsRefusedWithTheFix()
    {
        var act = () => new ServiceCollection().AddHealthChecks().AddWebhooks(o => o.DegradedAfter = TimeSpan.Zero);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*DegradedAfter must be positive*TimeSpan.FromMinutes(5)*");
    }

    private static Task<ApiHost> StartAsync(Action<IHealthChecksBuilder>? health = null, Action<IServiceCollection>? services = null) =>
        ApiHost.StartAsync(
            webhooks: w =>
            {
                var checks = w.Services.AddHealthChecks();
                (health ?? (h => h.AddWebhooks())).Invoke(checks);
                services?.Invoke(w.Services);
            },
            map: app =>
            {
                app.MapWebhooks();
                app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteReportAsync });
            });

    private static async Task<JsonNode> HealthAsync(ApiHost host, HttpStatusCode expected)
    {
        using var client = host.Client(null);
        var report = await (await client.GetAsync("/healthz")).JsonAsync(expected);
        return report["entries"]![WebhooksHealthChecksBuilderExtensions.DefaultName]!;
    }

    /// <summary>No dispatcher or retention service: nothing takes deliveries off the queue.</summary>
    private static void WithoutWebhookBackgroundServices(IServiceCollection services)
    {
        foreach (var d in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Assembly == typeof(WebhookOptions).Assembly).ToList())
        {
            services.Remove(d);
        }
    }

    private static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        var json = new JsonObject
        {
            ["status"] = report.Status.ToString(),
            ["entries"] = new JsonObject(report.Entries.Select(e => KeyValuePair.Create<string, JsonNode?>(e.Key, new JsonObject
            {
                ["status"] = e.Value.Status.ToString(),
                ["description"] = e.Value.Description,
                ["data"] = new JsonObject(e.Value.Data.Select(d => KeyValuePair.Create(d.Key, JsonSerializer.SerializeToNode(d.Value, d.Value.GetType())))),
            }))),
        };
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json.ToJsonString());
    }

    /// <summary>A delivery store whose database is down: every call throws, as a driver does.</summary>
    private sealed class UnreachableStore : IWebhookDeliveryStore, IWebhookDeliveryBacklog
    {
        private static InvalidOperationException Down() => new("connection refused (test)");

        public Task<WebhookBacklog> GetBacklogAsync(CancellationToken cancellationToken) => throw Down();

        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) => throw Down();

        public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) => throw Down();

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) => throw Down();

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) => throw Down();
    }

    /// <summary>A custom store with the queue alone: no optional capability.</summary>
    private sealed class QueueOnlyStore : IWebhookDeliveryStore
    {
        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
            Task.FromResult(new WebhookEnqueueResult(message.Id, deliveries.Count, false));

        public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<WebhookLease>>([]);

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) => Task.FromResult(false);
    }
}
