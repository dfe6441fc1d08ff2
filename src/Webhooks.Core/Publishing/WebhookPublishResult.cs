namespace Webhooks.Core.Publishing;

/// <summary>What a publish did.</summary>
/// <param name="MessageId">The message id (<c>msg_…</c>), sent as <c>webhook-id</c>.</param>
/// <param name="DeliveryCount">Deliveries enqueued (one per matching active subscription).</param>
/// <param name="IsDuplicate">The idempotency key was already used; nothing new was enqueued.</param>
public sealed record WebhookPublishResult(string MessageId, int DeliveryCount, bool IsDuplicate);
