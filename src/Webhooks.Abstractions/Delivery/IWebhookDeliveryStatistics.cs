namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// Optional capability of a delivery store: attempt counts over time (seed 001's success/failure
/// widget and graph). Without it the stats routes are not mapped.
/// Run <c>Webhooks.Testing.DeliveryStatisticsConformanceTests</c>.
/// </summary>
public interface IWebhookDeliveryStatistics
{
    /// <summary>
    /// Counts the attempts recorded through <see cref="IWebhookDeliveryStore.CompleteAttemptAsync"/>
    /// per bucket: bucket <c>i</c> holds those with <c>Start + i·BucketWidth ≤ StartedAt &lt; Start + (i+1)·BucketWidth</c>;
    /// <see cref="WebhookStatsBucket.Succeeded"/> counts those that succeeded, <see cref="WebhookStatsBucket.Failed"/> the rest.
    /// Every bucket is returned, oldest first, empty ones with zeros. Attempts removed by retention are not counted.
    /// </summary>
    /// <param name="query">Owner, optional subscription, and the buckets (aligned by the engine).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see cref="WebhookStatsQuery.BucketCount"/> buckets.</returns>
    Task<IReadOnlyList<WebhookStatsBucket>> GetStatsAsync(WebhookStatsQuery query, CancellationToken cancellationToken);
}
