namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// Optional capability of a delivery store: removing old history. The engine calls it on one
/// schedule for every store that has it (<c>WebhookOptions.Retention</c>), in batches, until a
/// batch comes back short. Run <c>Webhooks.Testing.DeliveryRetentionConformanceTests</c>.
/// </summary>
public interface IWebhookDeliveryRetention
{
    /// <summary>
    /// Removes up to <paramref name="batchSize"/> finished (succeeded or failed) deliveries created
    /// before <paramref name="cutoff"/>, with their attempts, and the messages left without deliveries
    /// whose idempotency window (if any) has also ended before <paramref name="cutoff"/>. Never removes
    /// a pending delivery, even one made pending (redelivered) while this runs: the status check and the
    /// removal are one atomic step.
    /// </summary>
    /// <param name="cutoff">Remove only what was created before this time.</param>
    /// <param name="batchSize">Most deliveries to remove in this call (at least 1).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many deliveries were removed.</returns>
    Task<int> PurgeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken);
}
