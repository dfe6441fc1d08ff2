using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Delivery;

/// <summary>
/// What a user may do with their deliveries: read the log (owner-wide or per subscription), send
/// one again, requeue a subscription's failures, and count attempts over time. Each needs a
/// capability of the registered delivery store (<see cref="SupportsLog"/>, <see cref="SupportsRedelivery"/>,
/// <see cref="SupportsStatistics"/>); calling one the store lacks throws <see cref="NotSupportedException"/>.
/// Every call is scoped to an owner; <see langword="null"/> means "not found, or another owner's";
/// every refusal is a <see cref="WebhookException"/> subclass.
/// </summary>
public sealed class WebhookDeliveryManager
{
    private const int MaxBuckets = 1000;

    private readonly ProtectedSubscriptionStore _subscriptions;
    private readonly IWebhookDeliveryStore _store;
    private readonly WebhookDispatchSignal _signal;
    private readonly TimeProvider _time;
    private readonly WebhookCircuitBreaker _circuits;

    internal WebhookDeliveryManager(ProtectedSubscriptionStore subscriptions, IWebhookDeliveryStore store, WebhookDispatchSignal signal, TimeProvider time, WebhookCircuitBreaker circuits)
    {
        _circuits = circuits;
        _subscriptions = subscriptions;
        _store = store;
        _signal = signal;
        _time = time;
    }

    /// <summary>Whether the delivery store keeps a readable log (<see cref="IWebhookDeliveryLog"/>).</summary>
    public bool SupportsLog => _store is IWebhookDeliveryLog;

    /// <summary>Whether the delivery store can send finished deliveries again (<see cref="IWebhookDeliveryAdministration"/>); redelivery also needs the log.</summary>
    public bool SupportsRedelivery => _store is IWebhookDeliveryAdministration && SupportsLog;

    /// <summary>Whether the delivery store counts attempts over time (<see cref="IWebhookDeliveryStatistics"/>).</summary>
    public bool SupportsStatistics => _store is IWebhookDeliveryStatistics;

    /// <summary>
    /// The circuit of the endpoint (scheme, host and port) that <paramref name="subscription"/>'s
    /// URL points at, as this process sees it: whether deliveries to it are being held back after a
    /// run of failures, and until when. Circuits are kept per process, not stored.
    /// </summary>
    /// <param name="subscription">A subscription, as read from this manager.</param>
    /// <returns>The endpoint and its circuit's state.</returns>
    public WebhookEndpointCircuit GetEndpointCircuit(WebhookSubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return _circuits.StateOf(subscription.Url);
    }

    /// <summary>The owner's deliveries, newest first, a page at a time.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="subscriptionId">Only this subscription's deliveries.</param>
    /// <param name="status">Only deliveries in this status.</param>
    /// <param name="eventType">Only deliveries of this event type.</param>
    /// <param name="limit">Most per page (1 to <see cref="WebhookPaging.MaxLimit"/>).</param>
    /// <param name="cursor">The previous page's cursor.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page, or <see langword="null"/> when <paramref name="subscriptionId"/> is given and is not the owner's.</returns>
    /// <exception cref="WebhookValidationException">The limit or cursor is invalid.</exception>
    public async Task<WebhookPage<WebhookDelivery>?> GetDeliveriesAsync(string? owner, string? subscriptionId = null, WebhookDeliveryStatus? status = null, string? eventType = null, int limit = WebhookPaging.DefaultLimit, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var log = Require<IWebhookDeliveryLog>("a delivery log");
        WebhookQueryRules.CheckPage(limit, cursor, WebhookIds.DeliveryPrefix);
        if (subscriptionId is not null && await GetOwnedAsync(owner, subscriptionId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        return await log.QueryAsync(new WebhookDeliveryQuery(owner, subscriptionId, status, eventType, limit, cursor), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One of the owner's deliveries with its attempts.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="deliveryId">The delivery id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The delivery, or <see langword="null"/> when it does not exist or is another owner's.</returns>
    public async Task<WebhookDeliveryDetails?> GetDeliveryAsync(string? owner, string deliveryId, CancellationToken cancellationToken = default)
    {
        var log = Require<IWebhookDeliveryLog>("a delivery log");
        if (!WebhookIds.IsValid(deliveryId))
        {
            return null;
        }

        var details = await log.GetAsync(deliveryId, cancellationToken).ConfigureAwait(false);
        return details is not null && details.Delivery.Owner == owner ? details : null;
    }

    /// <summary>Sends one of the owner's finished deliveries again (its attempts are kept).</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="deliveryId">The delivery id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The delivery, pending again; <see langword="null"/> when it does not exist or is another owner's.</returns>
    /// <exception cref="WebhookConflictException">It is still pending (it will be attempted anyway).</exception>
    public async Task<WebhookDelivery?> RedeliverAsync(string? owner, string deliveryId, CancellationToken cancellationToken = default)
    {
        var admin = Require<IWebhookDeliveryAdministration>("redelivery");
        var details = await GetDeliveryAsync(owner, deliveryId, cancellationToken).ConfigureAwait(false);
        if (details is null)
        {
            return null;
        }

        if (!await admin.RedeliverAsync(deliveryId, cancellationToken).ConfigureAwait(false))
        {
            throw new WebhookConflictException($"Delivery '{deliveryId}' is still pending; it will be attempted without a redelivery.");
        }

        _signal.Notify();
        return details.Delivery with { Status = WebhookDeliveryStatus.Pending, NextAttemptAt = _time.GetUtcNow() };
    }

    /// <summary>Requeues every failed delivery of one of the owner's subscriptions created since <paramref name="since"/>.</summary>
    /// <param name="owner">The owner.</param>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="since">Only deliveries created at or after this time.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many were requeued, or <see langword="null"/> when the subscription is not the owner's.</returns>
    public async Task<int?> RecoverAsync(string? owner, string subscriptionId, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var admin = Require<IWebhookDeliveryAdministration>("recovery");
        if (await GetOwnedAsync(owner, subscriptionId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var count = await admin.RequeueFailedAsync(subscriptionId, since, cancellationToken).ConfigureAwait(false);
        if (count > 0)
        {
            _signal.Notify();
        }

        return count;
    }

    /// <summary>
    /// Succeeded and failed attempt counts per bucket over a window ending now: owner-wide, or for one
    /// subscription. Buckets are whole minutes aligned to the Unix epoch, so two calls agree on them.
    /// </summary>
    /// <param name="owner">The owner.</param>
    /// <param name="subscriptionId">Only this subscription's attempts, or all of the owner's.</param>
    /// <param name="window">How far back (1 minute to 31 days).</param>
    /// <param name="bucket">Bucket width (whole minutes, at most the window, at most 1000 buckets).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The buckets, oldest first, or <see langword="null"/> when the subscription is not the owner's.</returns>
    /// <exception cref="WebhookValidationException">The window or bucket is out of range.</exception>
    public async Task<IReadOnlyList<WebhookStatsBucket>?> GetStatsAsync(string? owner, string? subscriptionId, TimeSpan window, TimeSpan bucket, CancellationToken cancellationToken = default)
    {
        var stats = Require<IWebhookDeliveryStatistics>("statistics");
        if (window < TimeSpan.FromMinutes(1) || window > TimeSpan.FromDays(31))
        {
            throw new WebhookValidationException("window", "The window must be between 1 minute and 31 days.");
        }

        if (bucket < TimeSpan.FromMinutes(1) || bucket > window || bucket.Ticks % TimeSpan.TicksPerMinute != 0 || window / bucket > MaxBuckets)
        {
            throw new WebhookValidationException("bucket", $"The bucket must be a whole number of minutes, at least 1 minute, at most the window, and give at most {MaxBuckets} buckets.");
        }

        if (subscriptionId is not null && await GetOwnedAsync(owner, subscriptionId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var query = Buckets(owner, subscriptionId, _time.GetUtcNow(), window, bucket);
        return await stats.GetStatsAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The bucket arithmetic, once for every store: epoch-aligned whole minutes covering the window up to the minute holding <paramref name="now"/>.</summary>
    internal static WebhookStatsQuery Buckets(string? owner, string? subscriptionId, DateTimeOffset now, TimeSpan window, TimeSpan bucket)
    {
        long width = (long)bucket.TotalMinutes;
        long first = (now - window).ToUnixTimeSeconds() / 60 / width * width;
        long last = now.ToUnixTimeSeconds() / 60;
        int count = (int)(((last - first) / width) + 1);
        return new WebhookStatsQuery(owner, subscriptionId, DateTimeOffset.FromUnixTimeSeconds(first * 60), bucket, count);
    }

    private async Task<WebhookSubscription?> GetOwnedAsync(string? owner, string id, CancellationToken cancellationToken)
    {
        if (!WebhookIds.IsValid(id))
        {
            return null;
        }

        var s = await _subscriptions.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return s is not null && s.Owner == owner ? s : null;
    }

    private T Require<T>(string what) where T : class =>
        _store as T ?? throw new NotSupportedException($"The registered delivery store ({_store.GetType().Name}) does not support {what}: it does not implement {typeof(T).Name}.");
}
