using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;

namespace Webhooks.Testing.Tests.Broken;

/// <summary>Passes every call to a correct store; a broken store overrides the one call it breaks.</summary>
internal abstract class DelegatingDeliveryStore(IWebhookDeliveryStore inner) :
    IWebhookDeliveryStore, IWebhookDeliveryLog, IWebhookDeliveryAdministration, IWebhookDeliveryStatistics, IWebhookDeliveryRetention
{
    protected IWebhookDeliveryStore Inner { get; } = inner;

    public virtual Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
        Inner.EnqueueAsync(message, deliveries, context, cancellationToken);

    public virtual Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken) =>
        Inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);

    public virtual Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) =>
        Inner.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);

    public virtual Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) =>
        Inner.ReleaseAsync(lease, delay, cancellationToken);

    public Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken) =>
        ((IWebhookDeliveryLog)Inner).QueryAsync(query, cancellationToken);

    public Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken) =>
        ((IWebhookDeliveryLog)Inner).GetAsync(deliveryId, cancellationToken);

    public Task<bool> RedeliverAsync(string deliveryId, CancellationToken cancellationToken) =>
        ((IWebhookDeliveryAdministration)Inner).RedeliverAsync(deliveryId, cancellationToken);

    public Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, CancellationToken cancellationToken) =>
        ((IWebhookDeliveryAdministration)Inner).RequeueFailedAsync(subscriptionId, since, cancellationToken);

    public Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(WebhookStatsQuery query, CancellationToken cancellationToken) =>
        ((IWebhookDeliveryStatistics)Inner).GetStatsAsync(query, cancellationToken);

    public Task<int> PurgeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken) =>
        ((IWebhookDeliveryRetention)Inner).PurgeAsync(cutoff, batchSize, cancellationToken);
}

/// <summary>Passes every call to a correct store; a broken store overrides the one call it breaks.</summary>
internal abstract class DelegatingSubscriptionStore(IWebhookSubscriptionStore inner) : IWebhookSubscriptionStore
{
    protected IWebhookSubscriptionStore Inner { get; } = inner;

    public virtual Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) =>
        Inner.CreateAsync(subscription, cancellationToken);

    public virtual Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken) =>
        Inner.GetAsync(id, cancellationToken);

    public virtual Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken) =>
        Inner.ListAsync(query, cancellationToken);

    public virtual Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken) =>
        Inner.FindForEventAsync(owner, patterns, context, cancellationToken);

    public virtual Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) =>
        Inner.UpdateAsync(subscription, cancellationToken);

    public virtual Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken) =>
        Inner.DeleteAsync(id, expectedVersion, cancellationToken);
}
