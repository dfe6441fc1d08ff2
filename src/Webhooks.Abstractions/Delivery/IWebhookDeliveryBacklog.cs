namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// Optional capability of a delivery store: how many deliveries are pending and how late the most
/// overdue one is, read in one cheap call. The health check (<c>AddHealthChecks().AddWebhooks()</c>)
/// reports Degraded when the oldest due delivery has waited too long (the dispatcher is not keeping
/// up, or not running), and the <c>webhooks.deliveries.pending</c> gauge reads the count. Without it
/// the health check reports whether the store can be reached, nothing more, and the gauge is absent.
/// Run <c>Webhooks.Testing.DeliveryBacklogConformanceTests</c>.
/// </summary>
/// <remarks>
/// The rules, each pinned by a conformance test of the same wording:
/// <list type="bullet">
/// <item><b>Pending counts every pending delivery</b>: due now, due later (a retry), or leased.
/// Succeeded and failed deliveries are not counted.</item>
/// <item><b>Due means leasable.</b> A pending delivery is due at its due time (at once after an enqueue,
/// a redelivery or a release without delay; after the delay of a retry or a release) and, while
/// leased, at its lease's expiry: exactly the time <see cref="IWebhookDeliveryStore.LeaseAsync"/> orders by.
/// A held lease that has not expired is not due; one that expired is due since its expiry.</item>
/// <item><b>Oldest due</b> is the earliest due time among the pending deliveries due at
/// <see cref="WebhookBacklog.MeasuredAt"/>, or <see langword="null"/> when none is due.</item>
/// <item><b>One clock.</b> <see cref="WebhookBacklog.MeasuredAt"/> is now on the store's clock, the one
/// due times are judged on (a database's, for a store shared by several processes), so
/// <c>MeasuredAt - OldestDueAt</c> is how long that delivery has waited, whatever the caller's clock says.</item>
/// <item><b>Cheap and read-only.</b> It leases nothing and changes nothing; it is called every few
/// seconds by probes and metric readers, so it reads an index of the pending deliveries by due time,
/// never the finished history.</item>
/// </list>
/// </remarks>
public interface IWebhookDeliveryBacklog
{
    /// <summary>Counts the pending deliveries and finds the earliest due time among those due now, on the store's clock (see remarks).</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The backlog as of now on the store's clock.</returns>
    Task<WebhookBacklog> GetBacklogAsync(CancellationToken cancellationToken);
}
