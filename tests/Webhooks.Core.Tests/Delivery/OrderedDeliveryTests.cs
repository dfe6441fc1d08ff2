using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>Ordered subscriptions: one key's deliveries go one after another in publish order; other keys and unordered subscriptions keep their concurrency.</summary>
public sealed class OrderedDeliveryTests
{
    [Fact]
    public async Task OrderedSubscription_FirstAttemptsFail_EachKeyArrivesInPublishOrder()
    {
        await using var ordered = await TestReceiver.StartAsync();
        await using var unordered = await TestReceiver.StartAsync();
        var seen = new ConcurrentDictionary<string, int>();
        var arrivals = new ConcurrentQueue<(string Key, int Seq, int Status)>();
        ordered.Responder = async (ctx, _) =>
        {
            var (key, seq) = await ReadAsync(ctx);

            // Every third event fails its first attempt: it is retried before the next of its key goes.
            int n = seen.AddOrUpdate($"{key}/{seq}", 1, (_, c) => c + 1);
            ctx.Response.StatusCode = seq % 3 == 0 && n == 1 ? 500 : 200;
            arrivals.Enqueue((key, seq, ctx.Response.StatusCode));
        };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.updated"));
        var sub = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "ordered", Url = ordered.Url(), Events = ["order.updated"], Ordered = true });
        sub.Subscription.Ordered.Should().BeTrue();
        await DeliveryTests.Subscribe(host, unordered.Url(), ["order.updated"]);

        string[] keys = ["ord_1", "ord_2", "ord_3"];
        const int perKey = 6;
        for (int seq = 0; seq < perKey; seq++)
        {
            foreach (var key in keys)
            {
                await host.Publisher.PublishAsync("order.updated", new { key, seq }, new WebhookPublishOptions { OrderingKey = key });
            }
        }

        await Eventually.TrueAsync(() => Task.FromResult(arrivals.Count(a => a.Status == 200) == keys.Length * perKey), "every ordered delivery to succeed", TimeSpan.FromSeconds(30));
        await unordered.WaitForAsync(keys.Length * perKey);
        foreach (var key in keys)
        {
            var sequence = arrivals.Where(a => a.Key == key).Select(a => a.Seq).ToList();
            sequence.Should().BeInAscendingOrder($"key {key}'s deliveries must arrive in publish order, a retried one before the next");
            sequence.Distinct().Should().Equal(Enumerable.Range(0, perKey));
        }

        var log = (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id, limit: 100))!.Items;
        log.Should().OnlyContain(d => keys.Contains(d.OrderingKey), "the delivery log shows each delivery's ordering key");
    }

    [Fact]
    public async Task OrderedSubscription_GivenUpDelivery_TheNextProceeds()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var arrivals = new ConcurrentQueue<(int Seq, int Status)>();
        receiver.Responder = async (ctx, _) =>
        {
            var (_, seq) = await ReadAsync(ctx);
            ctx.Response.StatusCode = seq == 1 ? 500 : 200; // event 1 never succeeds
            arrivals.Enqueue((seq, ctx.Response.StatusCode));
        };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.updated"));
        var sub = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "ordered", Url = receiver.Url(), Events = ["order.updated"], Ordered = true });

        for (int seq = 0; seq < 3; seq++)
        {
            await host.Publisher.PublishAsync("order.updated", new { key = "k", seq }, new WebhookPublishOptions { OrderingKey = "k" });
        }

        await Eventually.TrueAsync(() => Task.FromResult(arrivals.Any(a => a.Seq == 2)), "the delivery after the given-up one", TimeSpan.FromSeconds(20));
        var sequence = arrivals.Select(a => a.Seq).ToList();
        sequence.Should().BeInAscendingOrder("event 2 waits until event 1 is given up");
        sequence.Count(s => s == 1).Should().Be(4, "event 1 used its whole retry schedule (1 + 3 retries) before event 2 went");
        var log = (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id, WebhookDeliveryStatus.Failed))!.Items;
        log.Should().ContainSingle().Which.OrderingKey.Should().Be("k");
    }

    [Fact]
    public async Task UnorderedSubscription_IgnoresTheKey_AndOrderedWithoutKeyIsNotHeldBack()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.updated"));
        var unordered = await DeliveryTests.Subscribe(host, receiver.Url("/u"), ["order.updated"]);
        var ordered = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "o", Url = receiver.Url("/o"), Events = ["order.updated"], Ordered = true });

        await host.Publisher.PublishAsync("order.updated", new { key = "k", seq = 0 }, new WebhookPublishOptions { OrderingKey = "k" });
        await host.Publisher.PublishAsync("order.updated", new { key = "", seq = 1 });
        await receiver.WaitForAsync(4);

        (await host.Deliveries.GetDeliveriesAsync(null, unordered.Subscription.Id))!.Items.Should().OnlyContain(d => d.OrderingKey == null, "only an ordered subscription's deliveries carry the key");
        (await host.Deliveries.GetDeliveriesAsync(null, ordered.Subscription.Id))!.Items.Select(d => d.OrderingKey).Should().BeEquivalentTo(["k", null]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\there")]
    [InlineData("ünïcode")]
    public async Task Publish_BadOrderingKey_IsAFieldError(string key)
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.updated"), start: false);

        var act = () => host.Publisher.PublishAsync("order.updated", new { id = 1 }, new WebhookPublishOptions { OrderingKey = key });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors.Should().ContainKey("orderingKey");
    }

    [Fact]
    public async Task Publish_OrderingKeyTooLong_IsAFieldError()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.updated"), start: false);

        var act = () => host.Publisher.PublishAsync("order.updated", new { id = 1 }, new WebhookPublishOptions { OrderingKey = new string('k', 257) });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["orderingKey"].Single().Should().Contain("1 to 256");
    }

    [Fact]
    public async Task Create_Ordered_OnAStoreWithoutOrdering_IsRefusedOnTheField()
    {
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.updated"),
            start: false,
            services: s => s.AddSingleton<IWebhookDeliveryStore, UnorderedStore>());

        var act = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "o", Url = "https://example.com/h", Events = ["order.updated"], Ordered = true });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["ordered"].Single().Should().Contain("IWebhookDeliveryOrdering");
    }

    private static async Task<(string Key, int Seq)> ReadAsync(HttpContext ctx)
    {
        using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
        var data = doc.RootElement.GetProperty("data");
        return (data.GetProperty("key").GetString()!, data.GetProperty("seq").GetInt32());
    }

    private sealed class UnorderedStore : IWebhookDeliveryStore
    {
        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<WebhookLease>>([]);

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) => Task.FromResult(false);
    }
}
