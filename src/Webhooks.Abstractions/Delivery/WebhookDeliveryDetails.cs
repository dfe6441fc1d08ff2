namespace Webhooks.Abstractions.Delivery;

/// <summary>A delivery with every attempt made.</summary>
/// <param name="Delivery">The delivery.</param>
/// <param name="Attempts">Its attempts, first to last.</param>
public sealed record WebhookDeliveryDetails(WebhookDelivery Delivery, IReadOnlyList<WebhookAttempt> Attempts);
