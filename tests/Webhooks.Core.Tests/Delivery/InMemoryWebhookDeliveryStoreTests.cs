using Microsoft.Extensions.Options;
using Webhooks.Core.Delivery;

namespace Webhooks.Core.Tests.Delivery;

public sealed class InMemoryWebhookDeliveryStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Retention_DropsOldestFinishedDeliveries_NeverPendingOnes()
    {
        var store = new InMemoryWebhookDeliveryStore(Options.Create(new WebhookOptions { InMemoryRetainedDeliveries = 3 }));
        var message = Message("msg_1");
        var deliveries = Enumerable.Range(0, 10).Select(i => Delivery($"dlv_{i:D2}", "msg_1")).ToArray();
        await store.EnqueueAsync(message, deliveries, default);

        var leases = await store.LeaseAsync(6, T0, TimeSpan.FromMinutes(1), default);
        foreach (var lease in leases)
        {
            await store.RecordAttemptAsync(lease, new WebhookAttempt { Number = 1, StartedAt = T0, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded, null), default);
        }

        var page = await store.QueryAsync(new WebhookDeliveryQuery("sub_1", Limit: 100), default);
        page.Items.Count(d => d.Status == WebhookDeliveryStatus.Succeeded).Should().Be(3);
        page.Items.Count(d => d.Status == WebhookDeliveryStatus.Pending).Should().Be(4);
        page.Items.Where(d => d.Status == WebhookDeliveryStatus.Succeeded).Select(d => d.Id).Should().BeEquivalentTo(["dlv_03", "dlv_04", "dlv_05"]);
    }

    [Fact]
    public async Task ExpiredLease_IsTakenOverAndStaleHolderCannotRecord()
    {
        var store = new InMemoryWebhookDeliveryStore(Options.Create(new WebhookOptions()));
        await store.EnqueueAsync(Message("msg_1"), [Delivery("dlv_1", "msg_1")], default);

        var first = (await store.LeaseAsync(10, T0, TimeSpan.FromSeconds(30), default)).Single();
        (await store.LeaseAsync(10, T0.AddSeconds(10), TimeSpan.FromSeconds(30), default)).Should().BeEmpty("the lease is held");
        var second = (await store.LeaseAsync(10, T0.AddSeconds(31), TimeSpan.FromSeconds(30), default)).Single();

        var stale = await store.RecordAttemptAsync(first, new WebhookAttempt { Number = 1, StartedAt = T0, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded, null), default);
        var current = await store.RecordAttemptAsync(second, new WebhookAttempt { Number = 1, StartedAt = T0, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded, null), default);

        stale.LeaseHeld.Should().BeFalse();
        current.LeaseHeld.Should().BeTrue();
        (await store.GetAsync("dlv_1", default))!.Attempts.Should().ContainSingle();
    }

    [Fact]
    public async Task Query_NewestFirstWithCursorAndStatusFilter()
    {
        var store = new InMemoryWebhookDeliveryStore(Options.Create(new WebhookOptions()));
        await store.EnqueueAsync(Message("msg_1"), Enumerable.Range(0, 5).Select(i => Delivery($"dlv_{i}", "msg_1")).ToArray(), default);

        var first = await store.QueryAsync(new WebhookDeliveryQuery("sub_1", Limit: 2), default);
        var second = await store.QueryAsync(new WebhookDeliveryQuery("sub_1", Limit: 2, Cursor: first.NextCursor), default);
        var third = await store.QueryAsync(new WebhookDeliveryQuery("sub_1", Limit: 2, Cursor: second.NextCursor), default);

        first.Items.Select(d => d.Id).Should().Equal("dlv_4", "dlv_3");
        second.Items.Select(d => d.Id).Should().Equal("dlv_2", "dlv_1");
        third.Items.Select(d => d.Id).Should().Equal("dlv_0");
        third.NextCursor.Should().BeNull();
        (await store.QueryAsync(new WebhookDeliveryQuery("sub_1", WebhookDeliveryStatus.Failed), default)).Items.Should().BeEmpty();
        (await store.QueryAsync(new WebhookDeliveryQuery("sub_1", Cursor: "aaa"), default)).Items.Should().BeEmpty();
    }

    private static WebhookMessage Message(string id) => new() { Id = id, EventType = "e", Timestamp = T0, Payload = "{}"u8.ToArray() };

    private static WebhookDelivery Delivery(string id, string messageId) => new()
    {
        Id = id, MessageId = messageId, SubscriptionId = "sub_1", EventType = "e", CreatedAt = T0, NextAttemptAt = T0,
    };
}
