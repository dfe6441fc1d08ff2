using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The delivery queue and attempt log. Implement it to keep deliveries in your own database; run
/// the conformance suite in Webhooks.Testing against it. Several dispatchers (one per app
/// instance) may share one store: leasing must hand each due delivery to one of them only.
/// </summary>
public interface IWebhookDeliveryStore
{
    /// <summary>
    /// Stores a message and its deliveries atomically. When the message carries an idempotency key
    /// already stored for the same owner and still within its window, stores nothing and returns
    /// the earlier message.
    /// </summary>
    /// <param name="message">The message, payload included.</param>
    /// <param name="deliveries">One pending delivery per subscription, due now.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>What was stored.</returns>
    Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, CancellationToken cancellationToken);

    /// <summary>Takes up to <paramref name="maxCount"/> pending deliveries due at <paramref name="now"/> (oldest due first), including those whose lease expired.</summary>
    /// <param name="maxCount">Most deliveries to take.</param>
    /// <param name="now">The current time.</param>
    /// <param name="leaseDuration">How long the caller holds them.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The leases, possibly none.</returns>
    Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>Records an attempt and moves the delivery on, if the lease is still held; updates the subscription's failing-since time.</summary>
    /// <param name="lease">The lease the attempt was made under.</param>
    /// <param name="attempt">The attempt.</param>
    /// <param name="transition">Where the delivery goes next.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the lease was held and the subscription's health.</returns>
    Task<WebhookAttemptRecorded> RecordAttemptAsync(WebhookLease lease, WebhookAttempt attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken);

    /// <summary>
    /// Gives a lease back without an attempt (nothing recorded, attempt count unchanged): the
    /// delivery is due again at <paramref name="dueAt"/>: now on shutdown, a little later when its
    /// receiver already has as many attempts in flight as allowed. Ignored when the lease is no longer held.
    /// </summary>
    /// <param name="lease">The lease.</param>
    /// <param name="dueAt">When the delivery is due again.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the lease is released.</returns>
    Task ReleaseAsync(WebhookLease lease, DateTimeOffset dueAt, CancellationToken cancellationToken);

    /// <summary>One subscription's deliveries, newest first, a page at a time.</summary>
    /// <param name="query">Subscription, status filter and paging.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page.</returns>
    Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken);

    /// <summary>One delivery with its attempts.</summary>
    /// <param name="deliveryId">The delivery id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The delivery, or <see langword="null"/>.</returns>
    Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken);

    /// <summary>Makes a finished delivery pending and due at <paramref name="now"/> again; its attempts are kept.</summary>
    /// <param name="deliveryId">The delivery id.</param>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="false"/> when it does not exist or is still pending.</returns>
    Task<bool> RedeliverAsync(string deliveryId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Makes every failed delivery of a subscription created since <paramref name="since"/> pending again.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="since">Only deliveries created at or after this time.</param>
    /// <param name="now">The current time (when they become due).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many were requeued.</returns>
    Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Succeeded and failed attempt counts per bucket, oldest first, every bucket in the window present.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="windowStart">Window start.</param>
    /// <param name="windowEnd">Window end.</param>
    /// <param name="bucket">Bucket width (at least one minute).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The buckets.</returns>
    Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(string subscriptionId, DateTimeOffset windowStart, DateTimeOffset windowEnd, TimeSpan bucket, CancellationToken cancellationToken);
}
