namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// The delivery queue: the one delivery contract every store implements. The engine decides
/// everything (when to retry, when to give up, health, what counts); a store keeps the queue and
/// gives the guarantees only a store can give. The log, administration, statistics and retention
/// are optional capabilities (<see cref="IWebhookDeliveryLog"/>, <see cref="IWebhookDeliveryAdministration"/>,
/// <see cref="IWebhookDeliveryStatistics"/>, <see cref="IWebhookDeliveryRetention"/>) the engine
/// and the endpoints discover with a type check. Run <c>Webhooks.Testing.DeliveryQueueConformanceTests</c>
/// against an implementation.
/// </summary>
/// <remarks>
/// The guarantees, each pinned by a conformance test of the same wording:
/// <list type="bullet">
/// <item><b>Atomic enqueue.</b> A message and all its deliveries are stored together or not at all.</item>
/// <item><b>Idempotency.</b> When <see cref="WebhookMessage.IdempotencyKey"/> is set and an earlier
/// message of the same <see cref="WebhookMessage.Owner"/> holds the same key with
/// <see cref="WebhookMessage.IdempotencyExpiresAt"/> later than the new message's
/// <see cref="WebhookMessage.CreatedAt"/>, nothing is stored and the earlier message is returned.
/// Both times are the engine's; compare them, never a clock of the store's. Concurrent enqueues
/// with one key store exactly one message. A key also holds when the message has no deliveries.</item>
/// <item><b>One clock.</b> Due times and lease expiry are judged on the store's clock: a store shared
/// by several processes uses one clock for all of them (the database's), never each caller's.
/// The engine speaks in delays (<see cref="WebhookDeliveryTransition.RetryDelay"/>, the release delay).</item>
/// <item><b>Lease exclusivity.</b> A pending delivery is leased to one caller at a time: never to two
/// concurrent callers, and again only once its lease has expired (a crashed holder's deliveries are
/// taken over). Each lease gets a new <see cref="WebhookLease.LeaseId"/>.</item>
/// <item><b>"The lease is still held"</b> means the delivery is pending and its current lease id is the
/// one given, whether or not the expiry time has passed: a lease that expired but was not taken over
/// is still held. Completing or releasing ends it. Every write guarded by a lease checks and writes in one atomic step.</item>
/// </list>
/// </remarks>
public interface IWebhookDeliveryStore
{
    /// <summary>Stores a message and its deliveries atomically, due at once; deduplicates by idempotency key (see remarks).</summary>
    /// <param name="message">The message, payload included.</param>
    /// <param name="deliveries">One pending delivery per subscription (possibly none).</param>
    /// <param name="context">The app's transaction to write through (a transactional outbox), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>What was stored, or the earlier message when the key was a duplicate.</returns>
    /// <exception cref="WebhookException">The context is of a kind this store cannot write through, or its transaction is finished.</exception>
    Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken);

    /// <summary>
    /// Leases up to <paramref name="maxCount"/> pending deliveries that are due now, or whose lease
    /// expired, on the store's clock: the earliest due first (a delivery with an expired lease is
    /// due at its lease's expiry).
    /// </summary>
    /// <param name="maxCount">Most deliveries to take (at least 1).</param>
    /// <param name="leaseDuration">How long the caller holds each.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The leases, each with its message; possibly none.</returns>
    Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken);

    /// <summary>
    /// If the lease is still held: appends <paramref name="attempt"/> (when given) to the delivery's
    /// log, sets its attempt count to <see cref="WebhookAttempt.Number"/> and its last-attempt fields,
    /// and moves it as <paramref name="transition"/> says (pending: due after
    /// <see cref="WebhookDeliveryTransition.RetryDelay"/>), ending the lease. All in one atomic step.
    /// When <paramref name="attempt"/> is <see langword="null"/> nothing was sent: the delivery moves,
    /// its attempt count stays, and <see cref="WebhookDeliveryTransition.Reason"/> becomes its last error.
    /// </summary>
    /// <param name="lease">The lease the attempt was made under.</param>
    /// <param name="attempt">The attempt, or <see langword="null"/> when nothing was sent.</param>
    /// <param name="transition">Where the delivery goes next.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="false"/> when the lease is no longer held: nothing was written.</returns>
    Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken);

    /// <summary>
    /// If the lease is still held, gives it back without an attempt (nothing recorded, attempt count
    /// unchanged): the delivery is due again after <paramref name="delay"/> on the store's clock.
    /// </summary>
    /// <param name="lease">The lease.</param>
    /// <param name="delay">How long until the delivery is due again (zero: at once).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="false"/> when the lease is no longer held: nothing was written.</returns>
    Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken);
}
