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
