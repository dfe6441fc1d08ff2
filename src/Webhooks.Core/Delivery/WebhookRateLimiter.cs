using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Webhooks.Core.Delivery;

/// <summary>
/// Keeps each subscription's <see cref="WebhookSubscription.RateLimit"/>: a send slot is taken
/// before each attempt. On a store shared by several processes that offers
/// <see cref="IWebhookDeliveryRateLimit"/>, the slot is reserved in the store (one atomic statement),
/// so the limit holds for all processes together; otherwise a token bucket per subscription in this
/// process (<see cref="System.Threading.RateLimiting"/>). A delivery that gets no slot is released
/// (no attempt counted) to come back when one frees; the excess of one subscription is spread one
/// slot apart, so a large backlog is leased about twice per delivery, not once per poll.
/// </summary>
internal sealed class WebhookRateLimiter : IDisposable
{
    private const int MaxTracked = 10_000;

    private readonly IWebhookDeliveryRateLimit? _shared;
    private readonly TimeProvider _time;
    private readonly PartitionedRateLimiter<(string SubscriptionId, int PerSecond)> _local;

    // Per subscription: the time (this process's timestamp ticks) from which the next excess delivery
    // is due, so the excess comes back one slot apart instead of all at the next free slot.
    private readonly ConcurrentDictionary<string, long> _nextRelease = new(StringComparer.Ordinal);

    public WebhookRateLimiter(IWebhookDeliveryStore deliveries, TimeProvider time)
    {
        _shared = deliveries as IWebhookDeliveryRateLimit;
        _time = time;

        // Partitioned: one bucket per (subscription, limit), replenished by one shared timer and
        // dropped once idle; a changed limit starts a fresh bucket.
        _local = PartitionedRateLimiter.Create<(string SubscriptionId, int PerSecond), (string, int)>(key =>
            RateLimitPartition.GetTokenBucketLimiter(key, static k => new TokenBucketRateLimiterOptions
            {
                TokenLimit = k.Item2,
                TokensPerPeriod = k.Item2,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Whether the limit is kept in the store (for all processes together) rather than in this process.</summary>
    public bool IsShared => _shared is not null;

    /// <summary>Takes a send slot for the subscription, or says how long to hold the delivery back.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="cancellationToken">Cancels the store call.</param>
    /// <returns><see cref="TimeSpan.Zero"/> when the attempt may go now; otherwise the delay to release the delivery with.</returns>
    public async ValueTask<TimeSpan> TryAcquireAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.RateLimit is not { } perSecond)
        {
            return TimeSpan.Zero;
        }

        TimeSpan wait;
        if (_shared is not null)
        {
            wait = await _shared.TryReserveSendAsync(subscription.Id, perSecond, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            using var lease = _local.AttemptAcquire((subscription.Id, perSecond));
            if (lease.IsAcquired)
            {
                return TimeSpan.Zero;
            }

            wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.Zero;
        }

        return wait <= TimeSpan.Zero && _shared is not null ? TimeSpan.Zero : Spread(subscription.Id, perSecond, wait);
    }

    /// <summary>The delay for an excess delivery: no earlier than the next free slot, and one slot after the excess released before it.</summary>
    private TimeSpan Spread(string subscriptionId, int perSecond, TimeSpan wait)
    {
        long now = _time.GetTimestamp();
        long slot = Math.Max(1, _time.TimestampFrequency / perSecond);
        long earliest = now + (long)(Math.Max(wait.TotalSeconds, 1.0 / perSecond) * _time.TimestampFrequency);
        if (_nextRelease.Count > MaxTracked)
        {
            foreach (var (id, next) in _nextRelease)
            {
                if (next < now)
                {
                    _nextRelease.TryRemove(id, out _);
                }
            }
        }

        long due = _nextRelease.AddOrUpdate(subscriptionId, earliest + slot, (_, next) => Math.Max(next, earliest) + slot) - slot;
        return TimeSpan.FromSeconds((double)(due - now) / _time.TimestampFrequency);
    }

    public void Dispose() => _local.Dispose();
}
