using System.Collections.Concurrent;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;

namespace Webhooks.Testing.Tests.Broken;

/// <summary>
/// Hands out deliveries whose lease is still held: every lease call returns what is due plus
/// (up to the count asked for) deliveries it leased before. Against the old suite this made
/// Lease_ConcurrentCallers_NeverShareADelivery loop forever.
/// </summary>
internal sealed class ReLeasesHeldDeliveries(IWebhookDeliveryStore inner) : DelegatingDeliveryStore(inner)
{
    private readonly ConcurrentQueue<WebhookLease> _handedOut = new();

    public override async Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var fresh = await Inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);
        var result = fresh.ToList();
        result.AddRange(_handedOut.Take(maxCount - result.Count));
        foreach (var lease in fresh)
        {
            _handedOut.Enqueue(lease);
        }

        return result;
    }
}

/// <summary>Completes an attempt under whatever lease was taken last on the delivery, whoever holds it (ignores the lease id).</summary>
internal sealed class IgnoresLeaseIdOnComplete(IWebhookDeliveryStore inner) : DelegatingDeliveryStore(inner)
{
    private readonly ConcurrentDictionary<string, WebhookLease> _latest = new(StringComparer.Ordinal);

    public override async Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var leases = await Inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);
        foreach (var lease in leases)
        {
            _latest[lease.Delivery.Id] = lease;
        }

        return leases;
    }

    public override Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) =>
        Inner.CompleteAttemptAsync(_latest.GetValueOrDefault(lease.Delivery.Id, lease), attempt, transition, cancellationToken);
}

/// <summary>Judges the idempotency window on the caller's Timestamp instead of the engine's CreatedAt.</summary>
internal sealed class DeduplicatesOnTimestamp(IWebhookDeliveryStore inner) : DelegatingDeliveryStore(inner)
{
    public override Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
        Inner.EnqueueAsync(message with { CreatedAt = message.Timestamp }, deliveries, context, cancellationToken);
}

/// <summary>Ignores the version on update: reads the current one, copies it, then updates (every writer wins; updates are lost).</summary>
internal sealed class IgnoresVersionOnUpdate(IWebhookSubscriptionStore inner) : DelegatingSubscriptionStore(inner)
{
    public override async Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        var current = await Inner.GetAsync(subscription.Id, cancellationToken);
        return current is null ? null : await Inner.UpdateAsync(subscription with { Version = current.Version }, cancellationToken);
    }
}

/// <summary>
/// Checks the version, then writes in a second step (a round trip later): right for one writer at a
/// time, so it passes every sequential test, but concurrent writers holding one version all pass
/// the check and all win.
/// </summary>
internal sealed class ChecksVersionThenWrites(IWebhookSubscriptionStore inner) : DelegatingSubscriptionStore(inner)
{
    public override async Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        var current = await Inner.GetAsync(subscription.Id, cancellationToken);
        if (current is null)
        {
            return null;
        }

        if (current.Version != subscription.Version)
        {
            throw new WebhookConcurrencyException(subscription.Id, subscription.Version, current.Version);
        }

        await Task.Delay(2, cancellationToken);
        var latest = await Inner.GetAsync(subscription.Id, cancellationToken);
        return latest is null ? null : await Inner.UpdateAsync(subscription with { Version = latest.Version }, cancellationToken);
    }
}

/// <summary>Removes a subscription and adds it back on update: readers in between see it missing (the old in-memory defect).</summary>
internal sealed class RemovesThenAddsOnUpdate(IWebhookSubscriptionStore inner) : DelegatingSubscriptionStore(inner)
{
    private readonly ConcurrentDictionary<string, bool> _hidden = new(StringComparer.Ordinal);

    public override async Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken) =>
        _hidden.ContainsKey(id) ? null : await Inner.GetAsync(id, cancellationToken);

    public override async Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
        [.. (await Inner.FindForEventAsync(owner, patterns, context, cancellationToken)).Where(s => !_hidden.ContainsKey(s.Id))];

    public override async Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        _hidden[subscription.Id] = true;
        try
        {
            await Task.Delay(1, cancellationToken);
            return await Inner.UpdateAsync(subscription, cancellationToken);
        }
        finally
        {
            _hidden.TryRemove(subscription.Id, out _);
        }
    }
}

/// <summary>Leases each delivery once and never again (a retry, a release or an expired lease is never due): every wait for one must give up in bounded time.</summary>
internal sealed class LeasesEachDeliveryOnce(IWebhookDeliveryStore inner) : DelegatingDeliveryStore(inner)
{
    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);

    public override async Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
        [.. (await Inner.LeaseAsync(maxCount, leaseDuration, cancellationToken)).Where(l => _seen.TryAdd(l.Delivery.Id, true))];
}
