namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// Optional capability of a delivery store shared by several processes: a send slot per
/// subscription, reserved atomically on the store's clock, so a subscription's
/// <see cref="Subscriptions.WebhookSubscription.RateLimit"/> holds for all the processes together.
/// Without it the engine limits each process on its own (fine for a store used by one process:
/// in-memory, SQLite). Run <c>Webhooks.Testing.DeliveryRateLimitConformanceTests</c>.
/// </summary>
/// <remarks>
/// The rule is the generic cell rate algorithm, kept as one value per subscription, its theoretical
/// arrival time <c>tat</c> (none at first), with <c>T = 1 s / perSecond</c> and a burst of
/// <c>perSecond</c>. At a call, with <c>now</c> on the store's clock: if <c>tat</c> is absent or
/// <c>tat &lt;= now + (perSecond - 1) × T</c>, the slot is reserved: <c>tat</c> becomes
/// <c>max(tat, now) + T</c> and the result is <see cref="TimeSpan.Zero"/>. Otherwise nothing changes
/// and the result is <c>tat - (perSecond - 1) × T - now</c>, how long until the next slot frees.
/// Check and write are one atomic step: concurrent callers never both take the last slot. A
/// PostgreSQL store does this in a single <c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>.
/// </remarks>
public interface IWebhookDeliveryRateLimit
{
    /// <summary>Reserves one send slot for <paramref name="subscriptionId"/> if one is free now (see remarks).</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="perSecond">Its rate limit (1 to 10,000): slots per second, and the burst.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see cref="TimeSpan.Zero"/> when a slot was reserved (send now); otherwise how long until one frees (nothing reserved).</returns>
    Task<TimeSpan> TryReserveSendAsync(string subscriptionId, int perSecond, CancellationToken cancellationToken);
}
