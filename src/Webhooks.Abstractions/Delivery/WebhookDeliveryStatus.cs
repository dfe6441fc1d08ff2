namespace Webhooks.Abstractions.Delivery;

/// <summary>Where a delivery stands.</summary>
public enum WebhookDeliveryStatus
{
    /// <summary>Waiting for its next attempt (or being attempted).</summary>
    Pending,

    /// <summary>A receiver answered 2xx.</summary>
    Succeeded,

    /// <summary>Given up: attempts exhausted, 410 Gone, or the subscription was disabled or deleted. Can be redelivered.</summary>
    Failed,
}
