using System.Diagnostics.CodeAnalysis;

namespace Webhooks.Abstractions.Delivery;

/// <summary>
/// Optional capability of a delivery store: it keeps <see cref="WebhookDelivery.OrderingKey"/> and
/// leases deliveries that share a key one at a time, in enqueue order, so the engine can offer
/// ordered subscriptions (<see cref="Subscriptions.WebhookSubscription.Ordered"/>). It has no members:
/// implementing it declares that <see cref="IWebhookDeliveryStore.LeaseAsync"/> keeps the rule
/// below. Without it the engine refuses <c>Ordered</c> subscriptions with a validation error, rather
/// than deliver out of order silently. Run <c>Webhooks.Testing.DeliveryOrderingConformanceTests</c>.
/// </summary>
/// <remarks>
/// The rules, each pinned by a conformance test of the same wording:
/// <list type="bullet">
/// <item><b>One at a time per key.</b> A pending delivery with an ordering key is leasable only when
/// no pending delivery with the same <see cref="WebhookDelivery.SubscriptionId"/> and the same key
/// was enqueued before it (whatever that earlier one's state: due, due later after a retry delay,
/// or leased). Once the earlier one has succeeded or failed, the next becomes leasable at its own due time.</item>
/// <item><b>Enqueue order.</b> "Before" is the order in which the store accepted the enqueues (a
/// sequence, or the order of a single writer); within one enqueue call the deliveries' list order.</item>
/// <item><b>Keys do not block others.</b> Deliveries without a key, with another key, or to another
/// subscription are leased as if the key did not exist.</item>
/// <item><b>Kept as given.</b> The key is stored with the delivery and returned unchanged by every read
/// (leases, the log).</item>
/// </list>
/// A redelivery or requeue makes an old delivery pending again: it then precedes the later pending
/// ones of its key that are not yet leased.
/// </remarks>
[SuppressMessage("Design", "CA1040:Avoid empty interfaces", Justification = "A capability flag discovered with a type check, as the other optional capabilities are.")]
public interface IWebhookDeliveryOrdering
{
}
