using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>
/// The hosted dispatcher leases ahead in batches (up to twice MaxConcurrentDeliveries buffered) and
/// the deliveries of one lease call share their subscription reads; neither may cost a behaviour:
/// edits made before a lease are seen, a buffered delivery whose lease ran short is handed back
/// unsent, and shutdown hands back whatever is still buffered.
/// </summary>
public sealed class LeaseBatchTests
{
    [Fact]
    public async Task LeasesAheadInBatches_AndShutdownHandsBackWhatIsBuffered()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Responder = async (ctx, _) => { await release.Task.WaitAsync(TimeSpan.FromSeconds(30)); ctx.Response.StatusCode = 200; };
        CountingDeliveryStore? store = null;
        var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o => { o.MaxConcurrentDeliveries = 2; o.MaxConnectionsPerEndpoint = 2; },
            s => s.AddSingleton<IWebhookDeliveryStore>(sp => store = new CountingDeliveryStore(new InMemoryWebhookDeliveryStore(sp.GetRequiredService<IOptions<WebhookOptions>>(), TimeProvider.System))),
            start: false);
        await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        for (int i = 0; i < 10; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        await host.Host.StartAsync();
        await receiver.WaitForAsync(2);
        await Eventually.TrueAsync(() => Task.FromResult(store!.Leased == 6), "two sending and four buffered (twice MaxConcurrentDeliveries)");
        store!.LeaseCalls.First().Should().Be(4, "the first lease call fills the whole buffer, not just the free workers");

        var stopping = host.Host.StopAsync(TimeSpan.FromSeconds(20).ToCancellationToken());
        release.TrySetResult(); // the two in flight finish within the shutdown timeout
        await stopping;

        receiver.Requests.Should().HaveCount(2, "nothing buffered is started once shutdown began");
        store.ReleasedUnattempted.Should().Be(4, "every buffered lease is handed back");
        var again = await store.Inner.LeaseAsync(20, TimeSpan.FromSeconds(30), default);
        again.Should().HaveCount(8, "the four handed back are due again at once, with the four never leased");
        again.Should().OnlyContain(l => l.Delivery.AttemptCount == 0);
        host.Host.Dispose();
    }

    [Fact]
    public async Task BufferedDeliveryWhoseLeaseRanShort_IsHandedBackUnsent_ThenSentUnderAFreshLease()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, n) =>
        {
            if (n == 1)
            {
                // The first attempt hangs until AttemptTimeout cuts it off: the deliveries buffered behind it lose a second of lease.
                await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted).ContinueWith(_ => { });
            }

            ctx.Response.StatusCode = 200;
        };
        CountingDeliveryStore? store = null;
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o =>
            {
                o.MaxConcurrentDeliveries = 1;
                o.LeaseDuration = TimeSpan.FromSeconds(3);
                o.AttemptTimeout = TimeSpan.FromSeconds(1); // an attempt may start only with 2 s (timeout + 1 s margin) of lease left
            },
            s => s.AddSingleton<IWebhookDeliveryStore>(sp => store = new CountingDeliveryStore(new InMemoryWebhookDeliveryStore(sp.GetRequiredService<IOptions<WebhookOptions>>(), TimeProvider.System))),
            start: false);
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        for (int i = 0; i < 3; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        await host.Host.StartAsync();

        await Eventually.TrueAsync(
            async () => (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.All(d => d.Status == WebhookDeliveryStatus.Succeeded),
            "every delivery to succeed");
        store!.ReleasedUnattempted.Should().BeGreaterThan(0, "a buffered delivery with less lease left than an attempt may take was handed back, not sent");
        var deliveries = (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items;
        deliveries.Sum(d => d.AttemptCount).Should().Be(4, "the timed-out first attempt, then one attempt each: handing back counts no attempt");
        receiver.Requests.Should().HaveCount(4);
        receiver.Requests.Select(r => r.Header("webhook-id")).Distinct().Should().HaveCount(3);
    }

    [Fact]
    public async Task DeliveriesOfOneLeaseShareTheSubscriptionRead_AndEditsMadeBeforeTheLeaseAreHonoured()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var reads = new CountingSubscriptionStore(new Webhooks.Core.Subscriptions.InMemoryWebhookSubscriptionStore());
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o => { o.MaxConcurrentDeliveries = 4; o.MaxConnectionsPerEndpoint = 4; },
            s => s.AddSingleton<IWebhookSubscriptionStore>(reads),
            start: false);
        var sub = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "edited",
            Url = receiver.Url("/before"),
            Events = ["order.created"],
            Headers = new Dictionary<string, string> { ["x-version"] = "1" },
        });
        for (int i = 0; i < 24; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        // Edited after publishing, before any lease: every delivery goes out with the edit.
        await host.Subscriptions.UpdateAsync(null, sub.Subscription.Id, new WebhookSubscriptionPatch { Url = receiver.Url("/after"), Headers = new Dictionary<string, string> { ["x-version"] = "2" } });
        reads.Reset();
        await host.Host.StartAsync();

        var received = await receiver.WaitForAsync(24);
        received.Should().OnlyContain(r => r.Path == "/after" && r.Header("x-version") == "2");
        reads.Reads.Should().BeLessThan(24, "deliveries leased together read their subscription once");

        // Edited again once those are done: the next publishes (new leases) see it.
        await Eventually.TrueAsync(
            async () => (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id, limit: 100))!.Items.All(d => d.Status == WebhookDeliveryStatus.Succeeded),
            "the first 24 to be recorded");
        await host.Subscriptions.UpdateAsync(null, sub.Subscription.Id, new WebhookSubscriptionPatch { Headers = new Dictionary<string, string> { ["x-version"] = "3" } });
        for (int i = 0; i < 8; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = 100 + i });
        }

        var all = await receiver.WaitForAsync(32);
        all.Skip(24).Should().OnlyContain(r => r.Header("x-version") == "3");
    }

    /// <summary>Counts lease calls and rows, and leases handed back without an attempt.</summary>
    private sealed class CountingDeliveryStore(InMemoryWebhookDeliveryStore inner) : IWebhookDeliveryStore, IWebhookDeliveryLog
    {
        private int _leased;
        private int _released;

        public InMemoryWebhookDeliveryStore Inner => inner;

        public int Leased => Volatile.Read(ref _leased);

        public int ReleasedUnattempted => Volatile.Read(ref _released);

        public ConcurrentQueue<int> LeaseCalls { get; } = new();

        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken)
            => inner.EnqueueAsync(message, deliveries, context, cancellationToken);

        public async Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
        {
            var leases = await inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);
            if (leases.Count > 0)
            {
                LeaseCalls.Enqueue(leases.Count);
                Interlocked.Add(ref _leased, leases.Count);
            }

            return leases;
        }

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
            => inner.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _released);
            return inner.ReleaseAsync(lease, delay, cancellationToken);
        }

        public Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);

        public Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken) => inner.GetAsync(deliveryId, cancellationToken);
    }

    private sealed class CountingSubscriptionStore(IWebhookSubscriptionStore inner) : IWebhookSubscriptionStore
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public void Reset() => Volatile.Write(ref _reads, 0);

        public Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            return inner.GetAsync(id, cancellationToken);
        }

        public Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => inner.CreateAsync(subscription, cancellationToken);

        public Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

        public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken) => inner.FindForEventAsync(owner, patterns, context, cancellationToken);

        public Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => inner.UpdateAsync(subscription, cancellationToken);

        public Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken) => inner.DeleteAsync(id, expectedVersion, cancellationToken);
    }
}
