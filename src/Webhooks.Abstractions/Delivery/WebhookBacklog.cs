namespace Webhooks.Abstractions.Delivery;

/// <summary>The delivery queue at one moment (<see cref="IWebhookDeliveryBacklog"/>).</summary>
/// <param name="Pending">Pending deliveries: due, due later or leased.</param>
/// <param name="OldestDueAt">The earliest due time among the deliveries due at <paramref name="MeasuredAt"/>; <see langword="null"/> when none is due.</param>
/// <param name="MeasuredAt">When it was measured, on the store's clock.</param>
public sealed record WebhookBacklog(long Pending, DateTimeOffset? OldestDueAt, DateTimeOffset MeasuredAt)
{
    /// <summary>How long the oldest due delivery has waited to be leased: zero when none is due.</summary>
    public TimeSpan OldestDueWait => OldestDueAt is { } due && MeasuredAt > due ? MeasuredAt - due : TimeSpan.Zero;
}
