using Webhooks.Core.Catalog;

namespace Webhooks.Core.Publishing;

/// <summary>
/// Publishes events: finds the matching active subscriptions of the event's owner, serializes the
/// Standard Webhooks envelope <c>{"type","timestamp","data"}</c> once, and enqueues one delivery
/// per subscription. Returns as soon as the deliveries are stored; the dispatcher sends them.
/// </summary>
public interface IWebhookPublisher
{
    /// <summary>Publishes an event whose payload type is checked at compile time.</summary>
    /// <typeparam name="TPayload">The payload type the event was declared with.</typeparam>
    /// <param name="eventType">The typed event handle, registered with <c>AddEventType(handle)</c>.</param>
    /// <param name="data">The envelope's <c>data</c>.</param>
    /// <param name="options">Owner, idempotency key, timestamp.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    /// <returns>The message id and how many deliveries were enqueued.</returns>
    /// <exception cref="WebhookUnknownEventTypeException">The event type is not registered.</exception>
    /// <exception cref="WebhookPayloadTooLargeException">The serialized message exceeds <see cref="WebhookOptions.MaxPayloadBytes"/>.</exception>
    Task<WebhookPublishResult> PublishAsync<TPayload>(WebhookEvent<TPayload> eventType, TPayload data, WebhookPublishOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Publishes an event by name; <paramref name="data"/> is serialized with its runtime type.</summary>
    /// <param name="eventType">A registered event type name.</param>
    /// <param name="data">The envelope's <c>data</c>: any JSON-serializable value (a <c>JsonElement</c> or <c>JsonNode</c> is written as is).</param>
    /// <param name="options">Owner, idempotency key, timestamp.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    /// <returns>The message id and how many deliveries were enqueued.</returns>
    /// <exception cref="WebhookUnknownEventTypeException">The event type is not registered.</exception>
    /// <exception cref="WebhookValidationException">The data's type does not match a typed registration.</exception>
    /// <exception cref="WebhookPayloadTooLargeException">The serialized message exceeds <see cref="WebhookOptions.MaxPayloadBytes"/>.</exception>
    Task<WebhookPublishResult> PublishAsync(string eventType, object? data, WebhookPublishOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>Per-publish settings.</summary>
public sealed record WebhookPublishOptions
{
    /// <summary>The owner (user or tenant) whose subscriptions receive the event; <see langword="null"/> reaches only ownerless subscriptions.</summary>
    public string? Owner { get; init; }

    /// <summary>A key that makes the publish happen once: a second publish with the same owner and key within <see cref="WebhookOptions.IdempotencyWindow"/> enqueues nothing and returns the first result.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Attributes subscriptions can filter on (<see cref="Subscriptions.WebhookSubscription.Filter"/>), such as <c>severity</c> or <c>region</c>. Not sent to receivers.</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }

    /// <summary>The envelope's <c>timestamp</c>; now by default.</summary>
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary>What a publish did.</summary>
/// <param name="MessageId">The message id (<c>msg_…</c>), sent as <c>webhook-id</c>.</param>
/// <param name="DeliveryCount">Deliveries enqueued (one per matching active subscription).</param>
/// <param name="IsDuplicate">The idempotency key was already used; nothing new was enqueued.</param>
public sealed record WebhookPublishResult(string MessageId, int DeliveryCount, bool IsDuplicate);
