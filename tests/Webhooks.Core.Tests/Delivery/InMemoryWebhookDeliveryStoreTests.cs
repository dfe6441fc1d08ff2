using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Delivery;

namespace Webhooks.Core.Tests.Delivery;

public sealed class InMemoryWebhookDeliveryStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Retention_DropsOldestFinishedDeliveries_NeverPendingOnes()
    {
        var store = new InMemoryWebhookDeliveryStore(Options.Create(new WebhookOptions { InMemoryRetainedDeliveries = 3 }), new FakeTimeProvider(T0));
        var message = Message("msg_1");
        var deliveries = Enumerable.Range(0, 10).Select(i => Delivery($"dlv_{i:D2}", "msg_1")).ToArray();
        await store.EnqueueAsync(message, deliveries, null, default);

        var leases = await store.LeaseAsync(6, TimeSpan.FromMinutes(1), default);
        foreach (var lease in leases)
        {
            await store.CompleteAttemptAsync(lease, new WebhookAttempt { Number = 1, StartedAt = T0, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded), default);
        }

        var page = await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Limit: 100), default);
        page.Items.Count(d => d.Status == WebhookDeliveryStatus.Succeeded).Should().Be(3);
        page.Items.Count(d => d.Status == WebhookDeliveryStatus.Pending).Should().Be(4);
        page.Items.Where(d => d.Status == WebhookDeliveryStatus.Succeeded).Select(d => d.Id).Should().BeEquivalentTo(["dlv_03", "dlv_04", "dlv_05"]);
    }

    [Fact]
    public async Task ExpiredLease_IsTakenOverAndStaleHolderCannotRecord()
    {
        var time = new FakeTimeProvider(T0);
        var store = new InMemoryWebhookDeliveryStore(Options.Create(new WebhookOptions()), time);
        await store.EnqueueAsync(Message("msg_1"), [Delivery("dlv_1", "msg_1")], null, default);

        var first = (await store.LeaseAsync(10, TimeSpan.FromSeconds(30), default)).Single();
        time.Advance(TimeSpan.FromSeconds(10));
        (await store.LeaseAsync(10, TimeSpan.FromSeconds(30), default)).Should().BeEmpty("the lease is held");
        time.Advance(TimeSpan.FromSeconds(21));
        var second = (await store.LeaseAsync(10, TimeSpan.FromSeconds(30), default)).Single();

        var stale = await store.CompleteAttemptAsync(first, new WebhookAttempt { Number = 1, StartedAt = T0, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded), default);
        var current = await store.CompleteAttemptAsync(second, new WebhookAttempt { Number = 1, StartedAt = T0, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded), default);

        stale.Should().BeFalse();
        current.Should().BeTrue();
        (await store.GetAsync("dlv_1", default))!.Attempts.Should().ContainSingle();
    }

    [Fact]
    public async Task Query_NewestFirstWithCursorAndStatusFilter()
    {
        var time = new FakeTimeProvider(T0);
        var store = new InMemoryWebhookDeliveryStore(Options.Create(new WebhookOptions()), time);
        await store.EnqueueAsync(Message("msg_1"), Enumerable.Range(0, 5).Select(i => Delivery($"dlv_{i}", "msg_1")).ToArray(), null, default);

        var first = await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Limit: 2), default);
        var second = await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Limit: 2, Cursor: first.NextCursor), default);
        var third = await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Limit: 2, Cursor: second.NextCursor), default);

        first.Items.Select(d => d.Id).Should().Equal("dlv_4", "dlv_3");
        second.Items.Select(d => d.Id).Should().Equal("dlv_2", "dlv_1");
        third.Items.Select(d => d.Id).Should().Equal("dlv_0");
        third.NextCursor.Should().BeNull();
        (await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", WebhookDeliveryStatus.Failed), default)).Items.Should().BeEmpty();
        (await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Cursor: "aaa"), default)).Items.Should().BeEmpty();
    }

    private static WebhookMessage Message(string id) => new() { Id = id, EventType = "e", Timestamp = T0, Payload = "{}"u8.ToArray() };

    private static WebhookDelivery Delivery(string id, string messageId) => new()
    {
        Id = id, MessageId = messageId, SubscriptionId = "sub_1", EventType = "e", CreatedAt = T0, NextAttemptAt = T0,
    };
}
