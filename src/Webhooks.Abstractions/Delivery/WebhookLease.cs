namespace Webhooks.Abstractions.Delivery;

/// <summary>A delivery a dispatcher has taken for one attempt; nobody else attempts it until the lease expires.</summary>
/// <param name="Delivery">The delivery.</param>
/// <param name="Message">Its message, payload included.</param>
/// <param name="LeaseId">Proves the holder when the attempt is completed or the lease released; unique per lease taken.</param>
/// <param name="ExpiresAt">When another dispatcher may take it over, on the store's clock (for information: the engine measures the time left itself).</param>
public sealed record WebhookLease(WebhookDelivery Delivery, WebhookMessage Message, string LeaseId, DateTimeOffset ExpiresAt);
