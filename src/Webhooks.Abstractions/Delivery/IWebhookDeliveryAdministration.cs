namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// Optional capability of a delivery store: sending finished deliveries again. Without it the
/// redeliver and recover routes are not mapped. Run <c>Webhooks.Testing.DeliveryAdministrationConformanceTests</c>.
/// </summary>
public interface IWebhookDeliveryAdministration
{
    /// <summary>
    /// Makes a finished (succeeded or failed) delivery pending and due now again, in one atomic
    /// step; its attempts and attempt count are kept.
    /// </summary>
    /// <param name="deliveryId">The delivery id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="false"/> when it does not exist or is still pending.</returns>
    Task<bool> RedeliverAsync(string deliveryId, CancellationToken cancellationToken);

    /// <summary>Makes every failed delivery of a subscription created at or after <paramref name="since"/> pending and due now.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="since">Only deliveries created at or after this time.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many were requeued.</returns>
    Task<int> RequeueFailedAsync(string subscriptionId, DateTimeOffset since, CancellationToken cancellationToken);
}
