namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// Optional capability of a delivery store: reading deliveries and their attempts back (seed
/// 003's "View Logs"). Without it the engine still delivers; the log routes are not mapped.
/// Run <c>Webhooks.Testing.DeliveryLogConformanceTests</c> against an implementation.
/// </summary>
public interface IWebhookDeliveryLog
{
    /// <summary>One owner's deliveries (or one subscription's), newest first (descending id), a page at a time.</summary>
    /// <param name="query">Owner, filters and paging (limit and cursor already checked by the engine).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page; its cursor is the last item's id.</returns>
    Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken);

    /// <summary>One delivery with its attempts, whoever owns it (the engine checks ownership).</summary>
    /// <param name="deliveryId">The delivery id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The delivery, or <see langword="null"/>.</returns>
    Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken);
}
