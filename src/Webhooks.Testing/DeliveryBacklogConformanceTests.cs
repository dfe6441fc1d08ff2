using System.Diagnostics;
using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryBacklog"/> as tests, for a delivery store that also
/// implements it: every pending delivery counted (due, due later or leased), finished ones not; the
/// oldest due time is the earliest leasable one (a held lease is due at its expiry); it is measured
/// on the store's clock, so its wait grows with that clock; and reading it changes nothing.
/// </summary>
/// <remarks>
/// Like the queue suite, these tests never pass an instant: due times are the store's, so the tests
/// compare what the store reports with itself and wait real short delays
/// (<see cref="StoreConformanceTests{TStore}.ShortLease"/>), bounded.
/// </remarks>
public abstract class DeliveryBacklogConformanceTests : DeliveryStoreConformanceTestBase
{
    /// <summary>The store under test as a backlog.</summary>
    protected IWebhookDeliveryBacklog Backlog => Store as IWebhookDeliveryBacklog
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IWebhookDeliveryBacklog; derive only from the suites of the capabilities it implements.");

    /// <summary>Rule: an empty store has nothing pending and nothing due.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetBacklog_EmptyStore_NothingPendingNothingDue()
    {
        var backlog = await Backlog.GetBacklogAsync(Cancellation);

        Assert.True(backlog.Pending == 0, $"Pending counts every pending delivery: an empty store has none, got {backlog.Pending}.");
        Assert.True(backlog.OldestDueAt is null, $"Oldest due is null when nothing is due, got {backlog.OldestDueAt:O}.");
    }

    /// <summary>
    /// Rule (pending counts every pending delivery): due now, due later (a retry) and leased deliveries
    /// are counted; succeeded and failed ones are not.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetBacklog_CountsDueRetryingAndLeased_NotFinished()
    {
        await FinishAsync("sub_s", T0, succeeded: true);
        await FinishAsync("sub_f", T0, succeeded: false);
        var leased = await EnqueueOneAsync("sub_leased");
        await LeaseOnlyAsync(leased.Id);
        var retrying = await EnqueueOneAsync("sub_retrying");
        var lease = await LeaseOnlyAsync(retrying.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, Failed(1, T0), RetryAfter(LongLease), Cancellation), "Completing under a lease just taken must succeed.");
        var message = NewMessage();
        await EnqueueAsync(message, NewDelivery(message, "sub_a"), NewDelivery(message, "sub_b"));

        var backlog = await Backlog.GetBacklogAsync(Cancellation);

        Assert.True(
            backlog.Pending == 4,
            $"Pending counts every pending delivery (2 due, 1 leased, 1 retrying later) and no finished one (2): expected 4, got {backlog.Pending}.");
    }

    /// <summary>
    /// Rule (oldest due, one clock): after an enqueue the delivery is due at once, so the oldest due
    /// time is set and not after <see cref="WebhookBacklog.MeasuredAt"/>; a later enqueue does not move
    /// it; its wait grows with the store's clock; once that delivery is leased the next one's due time
    /// is the oldest.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetBacklog_OldestDue_IsTheEarliestAndItsWaitGrowsOnTheStoresClock()
    {
        var first = await EnqueueOneAsync("sub_first");
        var since = Stopwatch.GetTimestamp();
        var before = await Backlog.GetBacklogAsync(Cancellation);
        Assert.True(before.OldestDueAt is not null, "Oldest due: a delivery just enqueued is due at once, so the oldest due time must be set.");
        Assert.True(before.OldestDueAt <= before.MeasuredAt, $"One clock: the oldest due time ({before.OldestDueAt:O}) is never after MeasuredAt ({before.MeasuredAt:O}).");

        await WaitPastAsync(since, ShortLease);
        await EnqueueOneAsync("sub_second");
        var later = await Backlog.GetBacklogAsync(Cancellation);

        Assert.True(later.OldestDueAt == before.OldestDueAt, $"Oldest due is the earliest due time: a later enqueue must not move it ({before.OldestDueAt:O} became {later.OldestDueAt:O}).");
        Assert.True(
            later.OldestDueWait >= ShortLease - ClockTolerance,
            $"One clock: the oldest due delivery has waited at least {ShortLease.TotalMilliseconds:F0} ms on the store's clock, but MeasuredAt - OldestDueAt is {later.OldestDueWait.TotalMilliseconds:F0} ms.");

        var taken = Assert.Single(await Store.LeaseAsync(1, LongLease, Cancellation));
        Assert.Equal(first.Id, taken.Delivery.Id);
        var after = await Backlog.GetBacklogAsync(Cancellation);

        Assert.True(after.Pending == 2, $"Pending counts leased deliveries too: expected 2, got {after.Pending}.");
        Assert.True(
            after.OldestDueAt >= before.OldestDueAt + ShortLease - ClockTolerance,
            $"Oldest due: with the first delivery leased, the second one's due time (enqueued {ShortLease.TotalMilliseconds:F0} ms later) is the oldest; got {after.OldestDueAt:O}, the first was due at {before.OldestDueAt:O}.");
    }

    /// <summary>
    /// Rule (due means leasable): a delivery whose lease is held is not due; once the lease has expired
    /// (and nobody took it over) it is due since the lease's expiry.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetBacklog_HeldLease_IsNotDue_ExpiredLease_IsDueSinceItsExpiry()
    {
        var delivery = await EnqueueOneAsync();
        var since = Stopwatch.GetTimestamp();
        var lease = await LeaseOnlyAsync(delivery.Id, ShortLease);

        var held = await Backlog.GetBacklogAsync(Cancellation);
        Assert.True(held.Pending == 1, $"Pending counts a leased delivery: expected 1, got {held.Pending}.");
        Assert.True(
            held.OldestDueAt is null || Stopwatch.GetElapsedTime(since) >= ShortLease - ClockTolerance,
            $"Due means leasable: a delivery whose lease is held is not due, yet the oldest due time is {held.OldestDueAt:O} (the lease expires at {lease.ExpiresAt:O}).");

        await WaitPastAsync(since, ShortLease);
        var expired = await Backlog.GetBacklogAsync(Cancellation);

        Assert.True(expired.OldestDueAt is not null, "Due means leasable: a delivery whose lease expired is due again, so the oldest due time must be set.");
        var off = (expired.OldestDueAt!.Value - lease.ExpiresAt).Duration();
        Assert.True(
            off <= ClockTolerance,
            $"Due means leasable: a delivery whose lease expired is due since the expiry ({lease.ExpiresAt:O}), but the oldest due time is {expired.OldestDueAt:O}.");
    }

    /// <summary>
    /// Rule (due means leasable): a delivery kept pending for a retry is not due until its retry delay
    /// has passed; a release without delay makes it due at once.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetBacklog_Retry_DueOnlyAfterItsDelay_ReleaseNow_DueAtOnce()
    {
        var delivery = await EnqueueOneAsync();
        var lease = await LeaseOnlyAsync(delivery.Id);
        var since = Stopwatch.GetTimestamp();
        Assert.True(await Store.CompleteAttemptAsync(lease, Failed(1, T0), RetryAfter(ShortLease), Cancellation), "Completing under a lease just taken must succeed.");

        var waiting = await Backlog.GetBacklogAsync(Cancellation);
        Assert.True(waiting.Pending == 1, $"Pending counts a delivery waiting for its retry: expected 1, got {waiting.Pending}.");
        Assert.True(
            waiting.OldestDueAt is null || Stopwatch.GetElapsedTime(since) >= ShortLease - ClockTolerance,
            $"Due means leasable: a retry is not due before its {ShortLease.TotalMilliseconds:F0} ms delay, yet the oldest due time is {waiting.OldestDueAt:O}.");

        await WaitPastAsync(since, ShortLease);
        Assert.True((await Backlog.GetBacklogAsync(Cancellation)).OldestDueAt is not null, "Due means leasable: a retry whose delay has passed is due.");

        lease = await LeaseOnlyAsync(delivery.Id);
        Assert.True((await Backlog.GetBacklogAsync(Cancellation)).OldestDueAt is null, "Due means leasable: a delivery just leased (for minutes) is not due.");
        Assert.True(await Store.ReleaseAsync(lease, TimeSpan.Zero, Cancellation), "Releasing a lease just taken must succeed.");
        var released = await Backlog.GetBacklogAsync(Cancellation);

        Assert.True(released.OldestDueAt is not null && released.OldestDueAt <= released.MeasuredAt, "Due means leasable: a delivery released without delay is due at once.");
    }

    /// <summary>Rule (cheap and read-only): reading the backlog leases nothing and changes nothing; every due delivery stays leasable.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetBacklog_ChangesNothing()
    {
        var message = NewMessage();
        var deliveries = new[] { NewDelivery(message, "sub_a"), NewDelivery(message, "sub_b"), NewDelivery(message, "sub_c") };
        await EnqueueAsync(message, deliveries);

        var first = await Backlog.GetBacklogAsync(Cancellation);
        var second = await Backlog.GetBacklogAsync(Cancellation);
        var leases = await LeaseAsync();

        Assert.Equal((3L, 3L), (first.Pending, second.Pending));
        Assert.True(first.OldestDueAt == second.OldestDueAt, "Reading the backlog changes nothing: the oldest due time stays.");
        Assert.True(leases.Count == 3, $"Reading the backlog leases nothing: all 3 deliveries must still be leasable, got {leases.Count}.");
    }
}
