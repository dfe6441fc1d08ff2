using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryAdministration"/> as tests, for a delivery store that
/// also implements it: redelivering one finished delivery, and requeuing a subscription's failed
/// deliveries since a time. Where the store also implements <see cref="IWebhookDeliveryLog"/>, the
/// tests also check the attempts are kept through the log.
/// </summary>
public abstract class DeliveryAdministrationConformanceTests : DeliveryStoreConformanceTestBase
{
    /// <summary>The store under test as administration.</summary>
    protected IWebhookDeliveryAdministration Administration => Store as IWebhookDeliveryAdministration
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IWebhookDeliveryAdministration; derive only from the suites of the capabilities it implements.");

    /// <summary>
    /// Rule: redelivering a finished delivery (succeeded or failed) returns <see langword="true"/> and
    /// makes it pending and leasable at once, its attempts and attempt count kept; the next attempt
    /// is added after them.
    /// </summary>
    /// <param name="succeeded">How the delivery finished.</param>
    /// <returns>A task.</returns>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Redeliver_Finished_IsLeasableAtOnceWithAttemptsKept(bool succeeded)
    {
        var delivery = await FinishAsync("sub_a", T0, succeeded);

        Assert.True(await Administration.RedeliverAsync(delivery.Id, Cancellation));
        var again = await LeaseOnlyAsync(delivery.Id);

        Assert.Equal((WebhookDeliveryStatus.Pending, 1), (again.Delivery.Status, again.Delivery.AttemptCount));
        Assert.True(await Store.CompleteAttemptAsync(again, Ok(2, T0.AddHours(1)), Finished(true), Cancellation));
        if (Store is IWebhookDeliveryLog log)
        {
            var details = await log.GetAsync(delivery.Id, Cancellation);
            Assert.Equal([1, 2], details!.Attempts.Select(a => a.Number));
            Assert.Equal((WebhookDeliveryStatus.Succeeded, 2), (details.Delivery.Status, details.Delivery.AttemptCount));
        }
    }

    /// <summary>
    /// Rule: redelivering a delivery that is still pending (waiting, or leased) or does not exist
    /// returns <see langword="false"/> and changes nothing: a held lease stays held.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Redeliver_PendingOrUnknown_ReturnsFalse()
    {
        var finished = await AttemptAsync("sub_c", null, Ok(1, T0), Finished(true));
        var held = await EnqueueOneAsync("sub_a");
        var lease = await LeaseOnlyAsync(held.Id);
        var waiting = await EnqueueOneAsync("sub_b");

        Assert.False(await Administration.RedeliverAsync(held.Id, Cancellation), "A leased (pending) delivery cannot be redelivered.");
        Assert.False(await Administration.RedeliverAsync(waiting.Id, Cancellation), "A waiting (pending) delivery cannot be redelivered.");
        Assert.False(await Administration.RedeliverAsync(WebhookIds.New(WebhookIds.DeliveryPrefix, T0), Cancellation), "An unknown delivery cannot be redelivered.");
        Assert.True(await Administration.RedeliverAsync(finished.Id, Cancellation));
        Assert.False(await Administration.RedeliverAsync(finished.Id, Cancellation), "A redelivered delivery is pending; redelivering it again must return false.");

        Assert.True(await Store.CompleteAttemptAsync(lease, Ok(1, T0), Finished(true), Cancellation), "A refused redelivery must leave the holder's lease alone.");
        var leased = await LeaseAsync();
        Assert.Equal(new[] { waiting.Id, finished.Id }.Order(StringComparer.Ordinal), leased.Select(l => l.Delivery.Id).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Rule: requeuing makes pending and leasable at once exactly the subscription's failed
    /// deliveries created at or after <c>since</c> (inclusive), and returns how many: not succeeded
    /// ones, not older ones, not other subscriptions', not pending ones; attempt counts are kept.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task RequeueFailed_OnlyFailedOfThatSubscriptionCreatedSince()
    {
        var old = await FinishAsync("sub_a", T0, false);
        var atSince = await FinishAsync("sub_a", T0.AddMinutes(10), false);
        var recent = await FinishAsync("sub_a", T0.AddMinutes(20), false);
        var succeeded = await FinishAsync("sub_a", T0.AddMinutes(30), true);
        var otherSub = await FinishAsync("sub_b", T0.AddMinutes(30), false);
        var pending = await EnqueueOneAsync("sub_a", createdAt: T0.AddMinutes(40));
        var pendingLease = await LeaseOnlyAsync(pending.Id);

        var count = await Administration.RequeueFailedAsync("sub_a", T0.AddMinutes(10), Cancellation);
        var leased = await LeaseAsync();

        Assert.Equal(2, count);
        Assert.Equal(new[] { atSince.Id, recent.Id }.Order(StringComparer.Ordinal), leased.Select(l => l.Delivery.Id).Order(StringComparer.Ordinal));
        Assert.All(leased, l => Assert.Equal(1, l.Delivery.AttemptCount));
        Assert.Equal(0, await Administration.RequeueFailedAsync("sub_a", T0.AddMinutes(10), Cancellation));
        Assert.Equal(0, await Administration.RequeueFailedAsync("sub_unknown", T0, Cancellation));
        Assert.True(await Store.CompleteAttemptAsync(pendingLease, Ok(1, T0), Finished(true), Cancellation), "Requeuing must leave a held lease alone.");
        if (Store is IWebhookDeliveryLog log)
        {
            Assert.Equal(WebhookDeliveryStatus.Failed, (await log.GetAsync(old.Id, Cancellation))!.Delivery.Status);
            Assert.Equal(WebhookDeliveryStatus.Succeeded, (await log.GetAsync(succeeded.Id, Cancellation))!.Delivery.Status);
            Assert.Equal(WebhookDeliveryStatus.Failed, (await log.GetAsync(otherSub.Id, Cancellation))!.Delivery.Status);
        }
    }
}
