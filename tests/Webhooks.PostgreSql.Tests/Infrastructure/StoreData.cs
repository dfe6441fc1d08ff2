using Webhooks.PostgreSql.Delivery;

namespace Webhooks.PostgreSql.Tests.Infrastructure;

/// <summary>Messages, deliveries and attempts as the engine builds them, for the store tests.</summary>
internal static class StoreData
{
    public static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    internal static WebhookMessage NewMessage(string id, DateTimeOffset? createdAt = null)
    {
        // PostgreSQL keeps microseconds: whole ones round-trip exactly.
        var at = createdAt ?? DateTimeOffset.UtcNow;
        at = at.AddTicks(-(at.Ticks % 10));
        return new()
        {
            Id = id,
            EventType = "order.created",
            Owner = "tenant",
            Timestamp = at,
            CreatedAt = at,
            Payload = "{}"u8.ToArray(),
        };
    }

    internal static WebhookDelivery NewDelivery(WebhookMessage message, string id, string subscriptionId) => new()
    {
        Id = id,
        MessageId = message.Id,
        SubscriptionId = subscriptionId,
        EventType = message.EventType,
        Owner = message.Owner,
        CreatedAt = message.CreatedAt,
    };

    internal static WebhookAttempt Attempt(int number, bool failed = false, DateTimeOffset? at = null) => new()
    {
        Number = number,
        StartedAt = at ?? DateTimeOffset.UtcNow,
        StatusCode = failed ? 500 : 200,
        ErrorKind = failed ? WebhookErrorKind.HttpStatus : WebhookErrorKind.None,
        Error = failed ? "HTTP 500" : null,
    };

    internal static async Task EnqueueAsync(PostgreSqlWebhookDeliveryStore store, string messageId, string deliveryId)
    {
        var m = NewMessage(messageId);
        await store.EnqueueAsync(m, [NewDelivery(m, deliveryId, "sub_1")], null, default);
    }

    internal static async Task FinishAsync(PostgreSqlWebhookDeliveryStore store, string messageId, string deliveryId, DateTimeOffset createdAt, WebhookDeliveryStatus status)
    {
        var m = NewMessage(messageId, createdAt);
        await store.EnqueueAsync(m, [NewDelivery(m, deliveryId, "sub_1")], null, default);
        var lease = (await store.LeaseAsync(100, Hour, default)).Single(l => l.Delivery.Id == deliveryId);
        (await store.CompleteAttemptAsync(lease, Attempt(1, failed: status != WebhookDeliveryStatus.Succeeded), new(status), default)).Should().BeTrue();
    }
}
