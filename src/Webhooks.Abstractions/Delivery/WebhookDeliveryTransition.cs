namespace Webhooks.Abstractions.Delivery;

/// <summary>Where the engine moves a delivery after an attempt (the engine decides; the store applies).</summary>
/// <param name="Status">Pending (retry later), Succeeded or Failed.</param>
/// <param name="RetryDelay">Pending only: how long from now (the store's clock) until the next attempt is due.</param>
/// <param name="Reason">Why the delivery finished without an attempt (the attempt is <see langword="null"/>); stored as <see cref="WebhookDelivery.LastError"/>.</param>
public readonly record struct WebhookDeliveryTransition(WebhookDeliveryStatus Status, TimeSpan RetryDelay = default, string? Reason = null);
