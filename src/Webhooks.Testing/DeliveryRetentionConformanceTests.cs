using System.Collections.Concurrent;
using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryRetention"/> as tests, for a delivery store that also
/// implements it: only finished deliveries created before the cutoff go, in batches, with their
/// attempts; pending ones never do (not even one redelivered while a purge runs); a message stays
/// while it has a delivery or a live idempotency key. Where the store also implements the log,
/// statistics or administration, the tests check removal through them too; checks that need one
/// the store lacks pass without running.
/// </summary>
public abstract class DeliveryRetentionConformanceTests : DeliveryStoreConformanceTestBase
{
    private static readonly DateTimeOffset Cutoff = T0.AddHours(1);

    /// <summary>The store under test as retention.</summary>
    protected IWebhookDeliveryRetention Retention => Store as IWebhookDeliveryRetention
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IWebhookDeliveryRetention; derive only from the suites of the capabilities it implements.");

    /// <summary>
    /// Rule: a purge removes the finished (succeeded or failed) deliveries created before the cutoff,
    /// and returns how many; it keeps deliveries created at or after the cutoff and every pending
    /// delivery (waiting, retrying, leased), however old.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Purge_RemovesOnlyFinishedDeliveriesCreatedBeforeCutoff()
    {
        var succeeded = await FinishAsync("sub_a", T0, true);
        var failed = await FinishAsync("sub_a", T0.AddMinutes(10), false);
        var atCutoff = await FinishAsync("sub_a", Cutoff, true);
        var later = await FinishAsync("sub_a", Cutoff.AddHours(1), false);
        var retrying = await AttemptAsync("sub_b", null, Failed(1, T0), RetryAfter(TimeSpan.FromHours(1)));
        var leased = await EnqueueOneAsync("sub_c", createdAt: T0);
        var lease = await LeaseOnlyAsync(leased.Id);
        var waiting = await EnqueueOneAsync("sub_d", createdAt: T0);

        var removed = await Retention.PurgeAsync(Cutoff, 100, Cancellation);
        var again = await Retention.PurgeAsync(Cutoff, 100, Cancellation);

        Assert.Equal(2, removed);
        Assert.True(again == 0, $"A second purge with the same cutoff found {again} more to remove: the first did not remove what it counted.");
        Assert.Equal(waiting.Id, (await LeaseOnlyAsync(waiting.Id)).Delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, Ok(1, T0), Finished(true), Cancellation), "A purge must leave a leased delivery and its lease alone.");
        if (Store is IWebhookDeliveryLog log)
        {
            Assert.Null(await log.GetAsync(succeeded.Id, Cancellation));
            Assert.Null(await log.GetAsync(failed.Id, Cancellation));
            Assert.NotNull(await log.GetAsync(atCutoff.Id, Cancellation));
            Assert.NotNull(await log.GetAsync(later.Id, Cancellation));
            Assert.Single((await log.GetAsync(retrying.Id, Cancellation))!.Attempts);
        }

        // The leased one is finished now, created before the cutoff, so the next purge takes it.
        Assert.Equal(1, await Retention.PurgeAsync(Cutoff, 100, Cancellation));
    }

    /// <summary>Rule: a purge removes at most <c>batchSize</c> deliveries and returns how many it removed; repeated, it takes the rest.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Purge_RespectsBatchSize()
    {
        for (int i = 0; i < 5; i++)
        {
            await FinishAsync("sub_a", T0.AddMinutes(i), i % 2 == 0);
        }

        var counts = new List<int>();
        for (int i = 0; i < 4; i++)
        {
            counts.Add(await Retention.PurgeAsync(Cutoff, 2, Cancellation));
        }

        Assert.Equal([2, 2, 1, 0], counts);
    }

    /// <summary>
    /// Rule: a purged delivery's attempts go with it, whenever they started, and only its attempts:
    /// the log no longer has it, and statistics stop counting its attempts (even one that started
    /// after the cutoff) while still counting those of a delivery that stays (even ones that started
    /// before the cutoff). Checked through whichever of the log and statistics the store implements.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Purge_RemovesAttemptsWithTheirDeliveries()
    {
        var hour = TimeSpan.FromHours(1);
        var old = await FinishAsync("sub_a", T0, true, "t");
        var retrying = await AttemptAsync("sub_a", "t", Failed(1, T0.AddSeconds(30)), RetryAfter(hour), T0);
        var redeliveredLate = await AttemptAsync("sub_a", "t", Ok(1, Cutoff.AddMinutes(10)), Finished(true), T0);
        var statistics = Store as IWebhookDeliveryStatistics;
        var stats = new WebhookStatsQuery("t", null, T0, hour, 2);
        if (statistics is not null)
        {
            Assert.Equal([(1, 1), (1, 0)], (await statistics.GetStatsAsync(stats, Cancellation)).Select(b => (b.Succeeded, b.Failed)));
        }

        Assert.Equal(2, await Retention.PurgeAsync(Cutoff, 100, Cancellation));

        if (statistics is not null)
        {
            Assert.Equal([(0, 1), (0, 0)], (await statistics.GetStatsAsync(stats, Cancellation)).Select(b => (b.Succeeded, b.Failed)));
        }

        if (Store is IWebhookDeliveryLog log)
        {
            Assert.Null(await log.GetAsync(old.Id, Cancellation));
            Assert.Null(await log.GetAsync(redeliveredLate.Id, Cancellation));
            Assert.Single((await log.GetAsync(retrying.Id, Cancellation))!.Attempts);
            Assert.Equal([retrying.Id], (await log.QueryAsync(new WebhookDeliveryQuery("t"), Cancellation)).Items.Select(d => d.Id));
        }
    }

    /// <summary>Rule: a delivery redelivered before the purge is pending, and a pending delivery is never purged (needs administration).</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Purge_KeepsRedeliveredDelivery()
    {
        if (Store is not IWebhookDeliveryAdministration administration)
        {
            return;
        }

        var delivery = await FinishAsync("sub_a", T0, false);
        Assert.True(await administration.RedeliverAsync(delivery.Id, Cancellation));

        Assert.Equal(0, await Retention.PurgeAsync(Cutoff, 100, Cancellation));
        Assert.Equal(1, (await LeaseOnlyAsync(delivery.Id)).Delivery.AttemptCount);
    }

    /// <summary>
    /// Rule: the status check and the removal are one atomic step: while purges run, deliveries
    /// redelivered concurrently (the API already answered 202) are never removed; every delivery
    /// a redeliver succeeded on is leasable afterwards (needs administration).
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Purge_ConcurrentWithRedeliver_NeverRemovesAPendingDelivery()
    {
        if (Store is not IWebhookDeliveryAdministration administration)
        {
            return;
        }

        const int Count = 60;
        var ids = new List<string>();
        for (int i = 0; i < Count; i++)
        {
            ids.Add((await FinishAsync("sub_a", T0.AddSeconds(i), false)).Id);
        }

        var redelivered = new ConcurrentBag<string>();
        await RunConcurrentlyAsync(2, async worker =>
        {
            if (worker == 0)
            {
                foreach (var id in Enumerable.Reverse(ids))
                {
                    if (await administration.RedeliverAsync(id, Cancellation).ConfigureAwait(false))
                    {
                        redelivered.Add(id);
                    }
                }
            }
            else
            {
                for (int i = 0; i < Count && await Retention.PurgeAsync(Cutoff, 3, Cancellation).ConfigureAwait(false) > 0; i++)
                {
                }
            }

            return 0;
        });

        var leased = (await LeaseAsync()).Select(l => l.Delivery.Id).ToHashSet(StringComparer.Ordinal);
        var lost = redelivered.Where(id => !leased.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {redelivered.Count} deliveries were purged after a redeliver made them pending; check the status and remove in one atomic step.");
    }

    /// <summary>
    /// Rule: a message whose idempotency window is still open after the cutoff stays when its
    /// deliveries are purged (and so does one with no deliveries at all): its key keeps
    /// deduplicating until the window ends.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Purge_KeepsLiveIdempotencyKeys()
    {
        var keyed = NewMessage("tenant-1") with { IdempotencyKey = "order-1", IdempotencyExpiresAt = T0.AddDays(10) };
        var delivery = NewDelivery(keyed, "sub_a");
        await EnqueueAsync(keyed, delivery);
        Assert.True(await Store.CompleteAttemptAsync(await LeaseOnlyAsync(delivery.Id), Ok(1, T0), Finished(true), Cancellation));
        var empty = NewMessage("tenant-1") with { IdempotencyKey = "order-2", IdempotencyExpiresAt = T0.AddDays(10) };
        await EnqueueAsync(empty);

        Assert.Equal(1, await Retention.PurgeAsync(T0.AddDays(1), 100, Cancellation));

        var again1 = NewMessage("tenant-1", T0.AddDays(2)) with { IdempotencyKey = "order-1", IdempotencyExpiresAt = T0.AddDays(12) };
        var again2 = NewMessage("tenant-1", T0.AddDays(2)) with { IdempotencyKey = "order-2", IdempotencyExpiresAt = T0.AddDays(12) };
        var r1 = await EnqueueAsync(again1, NewDelivery(again1, "sub_a"));
        var r2 = await EnqueueAsync(again2, NewDelivery(again2, "sub_a"));
        Assert.True(r1.IsDuplicate && r1.MessageId == keyed.Id, "A purge removed a message whose idempotency window was still open: its key no longer deduplicates.");
        Assert.True(r2.IsDuplicate && r2.MessageId == empty.Id, "A purge removed a message without deliveries whose idempotency window was still open.");
    }

    /// <summary>Rule: a message stays while any of its deliveries does: purging one finished delivery leaves a pending sibling leasable with its payload intact.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Purge_KeepsMessageOfRemainingDeliveries()
    {
        var message = NewMessage() with { Payload = new byte[] { 0x7B, 0x00, 0xFF, 0x7D } };
        var done = NewDelivery(message, "sub_a");
        var pending = NewDelivery(message, "sub_b");
        await EnqueueAsync(message, done, pending);
        var leases = (await LeaseAsync()).ToDictionary(l => l.Delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(leases[done.Id], Ok(1, T0), Finished(true), Cancellation));
        Assert.True(await Store.ReleaseAsync(leases[pending.Id], TimeSpan.Zero, Cancellation));

        Assert.Equal(1, await Retention.PurgeAsync(Cutoff, 100, Cancellation));

        var lease = await LeaseOnlyAsync(pending.Id);
        Assert.Equal(message.Id, lease.Message.Id);
        Assert.Equal(new byte[] { 0x7B, 0x00, 0xFF, 0x7D }, lease.Message.Payload.ToArray());
    }
}
