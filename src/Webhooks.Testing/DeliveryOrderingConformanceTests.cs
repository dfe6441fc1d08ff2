using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryOrdering"/> as tests, for a delivery store that also
/// implements it: deliveries that share a subscription and an ordering key are leased one at a
/// time in enqueue order, whatever state the earlier one is in (due, retrying later, leased); the
/// next becomes leasable once it succeeded or failed; other keys, no key and other subscriptions
/// are not held back; the key is kept as given.
/// </summary>
public abstract class DeliveryOrderingConformanceTests : DeliveryStoreConformanceTestBase
{
    /// <summary>Checks that the store declares the capability.</summary>
    /// <returns>A task.</returns>
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync().ConfigureAwait(false);
        Assert.True(Store is IWebhookDeliveryOrdering, $"{Store.GetType().Name} does not implement IWebhookDeliveryOrdering; derive only from the suites of the capabilities it implements.");
    }

    /// <summary>Rule (kept as given): a delivery's ordering key comes back unchanged in its lease.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_OrderingKey_KeptAsGiven()
    {
        var first = await EnqueueKeyedAsync("sub_a", "order 42/ä-ok");

        var lease = await LeaseOnlyAsync(first.Id);

        Assert.True(lease.Delivery.OrderingKey == "order 42/ä-ok", $"The ordering key must come back as given, got '{lease.Delivery.OrderingKey}'.");
    }

    /// <summary>
    /// Rule (one at a time per key): of three deliveries of one subscription and key, only the first
    /// is leasable; while it is leased the second is not; once it succeeded the second is, and so on.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_SameKey_OneAtATimeInEnqueueOrder()
    {
        var first = await EnqueueKeyedAsync("sub_a", "order-1");
        var second = await EnqueueKeyedAsync("sub_a", "order-1");
        var third = await EnqueueKeyedAsync("sub_a", "order-1");

        var lease = await LeaseOnlyAsync(first.Id);
        var during = await LeaseAsync();
        Assert.True(during.Count == 0, $"While the first delivery of a key is leased, no later one of the key may be leased; got [{Ids(during)}].");

        Assert.True(await Store.CompleteAttemptAsync(lease, Ok(1, T0), Finished(succeeded: true), Cancellation), "Completing under a lease just taken must succeed.");
        var next = await LeaseOnlyAsync(second.Id);
        Assert.True(await Store.CompleteAttemptAsync(next, Ok(1, T0), Finished(succeeded: true), Cancellation), "Completing under a lease just taken must succeed.");
        await LeaseOnlyAsync(third.Id);
    }

    /// <summary>
    /// Rule (one at a time per key): an earlier delivery waiting for a retry holds the later one back,
    /// even though the later one is due; once the earlier one is given up (failed) the later one is leasable.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_EarlierRetrying_HoldsLaterBackUntilGivenUp()
    {
        var first = await EnqueueKeyedAsync("sub_a", "order-1");
        var second = await EnqueueKeyedAsync("sub_a", "order-1");
        var lease = await LeaseOnlyAsync(first.Id);
        long since = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.True(await Store.CompleteAttemptAsync(lease, Failed(1, T0), RetryAfter(ShortLease), Cancellation), "Completing under a lease just taken must succeed.");

        var waiting = await LeaseAsync();
        Assert.True(waiting.Count == 0, $"A later delivery of a key must wait while the earlier one waits for its retry; got [{Ids(waiting)}].");

        var again = await LeaseWhenDueAsync(first.Id, since, ShortLease, "the earlier delivery comes back after its retry delay, alone");
        Assert.True(await Store.CompleteAttemptAsync(again, Failed(2, T0), Finished(succeeded: false), Cancellation), "Completing under a lease just taken must succeed.");
        await LeaseOnlyAsync(second.Id);
    }

    /// <summary>
    /// Rule (keys do not block others): a held-back key leaves deliveries without a key, with another
    /// key, and to another subscription with the same key leasable.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_OtherKeysNoKeyOtherSubscriptions_NotHeldBack()
    {
        var first = await EnqueueKeyedAsync("sub_a", "order-1");
        await EnqueueKeyedAsync("sub_a", "order-1");
        var otherKey = await EnqueueKeyedAsync("sub_a", "order-2");
        var noKey = await EnqueueOneAsync("sub_a");
        var otherSubscription = await EnqueueKeyedAsync("sub_b", "order-1");

        var leases = await LeaseAsync();

        var expected = new[] { first.Id, otherKey.Id, noKey.Id, otherSubscription.Id }.Order(StringComparer.Ordinal).ToArray();
        Assert.True(
            leases.Select(l => l.Delivery.Id).Order(StringComparer.Ordinal).SequenceEqual(expected),
            $"Expected the first of the key, the other key, the unkeyed and the other subscription's delivery [{string.Join(", ", expected)}], got [{Ids(leases)}].");
    }

    /// <summary>Rule (enqueue order): the delivery enqueued first goes first, even when a later one's id sorts before it.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_FirstEnqueuedFirst_EvenWhenLaterIdSortsFirst()
    {
        var m1 = NewMessage();
        var m2 = NewMessage();
        var smallerId = NewDelivery(m2, "sub_a") with { OrderingKey = "k" };
        var largerId = NewDelivery(m1, "sub_a") with { OrderingKey = "k" };
        await EnqueueAsync(m1, largerId);
        await EnqueueAsync(m2, smallerId);

        await LeaseOnlyAsync(largerId.Id);
    }

    /// <summary>Enqueues a message with one delivery carrying <paramref name="key"/>.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="key">The ordering key.</param>
    /// <returns>The delivery as enqueued.</returns>
    protected async Task<WebhookDelivery> EnqueueKeyedAsync(string subscriptionId, string key)
    {
        var message = NewMessage();
        var delivery = NewDelivery(message, subscriptionId) with { OrderingKey = key };
        await EnqueueAsync(message, delivery).ConfigureAwait(false);
        return delivery;
    }

    private static string Ids(IReadOnlyList<WebhookLease> leases) => string.Join(", ", leases.Select(l => l.Delivery.Id));
}
