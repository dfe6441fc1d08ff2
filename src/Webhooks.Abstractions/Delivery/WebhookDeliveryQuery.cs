namespace Webhooks.Abstractions.Delivery;

/// <summary>What <see cref="IWebhookDeliveryLog.QueryAsync"/> returns: one owner's deliveries, newest first (descending id).</summary>
/// <param name="Owner">Whose deliveries (the message's owner; <see langword="null"/>: the ownerless ones).</param>
/// <param name="SubscriptionId">Only this subscription's deliveries, or all of the owner's.</param>
/// <param name="Status">Only deliveries in this status.</param>
/// <param name="EventType">Only deliveries of this exact event type.</param>
/// <param name="Limit">Most items per page (1 to <see cref="WebhookPaging.MaxLimit"/>; the engine checks it).</param>
/// <param name="Cursor">The previous page's <see cref="WebhookPage{T}.NextCursor"/> (an id: return only smaller ids), or <see langword="null"/>.</param>
public sealed record WebhookDeliveryQuery(
    string? Owner,
    string? SubscriptionId = null,
    WebhookDeliveryStatus? Status = null,
    string? EventType = null,
    int Limit = WebhookPaging.DefaultLimit,
    string? Cursor = null);
