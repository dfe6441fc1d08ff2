namespace Webhooks.Abstractions.Delivery;

/// <summary>What <see cref="IWebhookDeliveryStore.EnqueueAsync"/> did.</summary>
/// <param name="MessageId">The message id: the new one, or the earlier one with the same idempotency key.</param>
/// <param name="DeliveryCount">The deliveries of that message.</param>
/// <param name="IsDuplicate">The idempotency key was seen within its window; nothing new was enqueued.</param>
public sealed record WebhookEnqueueResult(string MessageId, int DeliveryCount, bool IsDuplicate);
