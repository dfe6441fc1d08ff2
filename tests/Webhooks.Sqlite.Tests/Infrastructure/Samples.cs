using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;

namespace Webhooks.Sqlite.Tests.Infrastructure;

/// <summary>Builders for the models the tests store.</summary>
public static class Samples
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static WebhookSubscription Subscription(string? owner = "tenant-1", string? name = null, params string[] events) => new()
    {
        Id = WebhookIds.New(WebhookIds.SubscriptionPrefix, T0),
        Owner = owner,
        Name = name ?? Guid.NewGuid().ToString("N"),
        Url = "https://example.com/hook",
        Events = events.Length == 0 ? ["order.created"] : events,
        Secrets = [new WebhookSecret("protected:abc"), new WebhookSecret("protected:old", T0.AddHours(1))],
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    public static WebhookMessage Message(string? owner = "tenant-1", string? key = null, DateTimeOffset? createdAt = null, string eventType = "order.created") => new()
    {
        Id = WebhookIds.New(WebhookIds.MessagePrefix, T0),
        EventType = eventType,
        Timestamp = T0,
        CreatedAt = createdAt ?? T0,
        Owner = owner,
        IdempotencyKey = key,
        IdempotencyExpiresAt = key is null ? null : (createdAt ?? T0).AddHours(1),
        Payload = "{\"id\":1}"u8.ToArray(),
    };

    public static WebhookDelivery DeliveryOf(WebhookMessage message, string subscriptionId) => new()
    {
        Id = WebhookIds.New(WebhookIds.DeliveryPrefix, T0),
        MessageId = message.Id,
        SubscriptionId = subscriptionId,
        EventType = message.EventType,
        Owner = message.Owner,
        CreatedAt = message.CreatedAt,
    };

    public static WebhookAttempt Attempt(int number, DateTimeOffset startedAt, int status = 200) => new()
    {
        Number = number,
        StartedAt = startedAt,
        Duration = TimeSpan.FromMilliseconds(12),
        StatusCode = status,
        ResponseExcerpt = status == 200 ? "ok" : "nope",
        ErrorKind = status is >= 200 and < 300 ? WebhookErrorKind.None : WebhookErrorKind.HttpStatus,
        Error = status is >= 200 and < 300 ? null : $"HTTP {status}",
    };
}
