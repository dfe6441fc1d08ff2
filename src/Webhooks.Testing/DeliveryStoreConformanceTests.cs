using System.Collections.Concurrent;
using Webhooks.Core.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryStore"/> as tests. Derive a class in your test
/// project, return your store from <see cref="StoreConformanceTests{TStore}.CreateStoreAsync"/>, and every test here runs
/// against it: atomic fan-out enqueue, idempotency keys per owner and window, leasing (due order,
/// expiry, take-over, and no delivery handed to two concurrent callers), attempt recording under a
/// lease, failing-since tracking, redelivery, recovery, paging and per-minute stats.
/// </summary>
/// <remarks>
/// The tests pass explicit times; they never read the clock. Timestamps are whole milliseconds
/// in UTC. <see cref="StoreConformanceTests{TStore}.CreateStoreAsync"/> must return an empty store: leasing takes any due
/// delivery, so leftovers from another test would be leased too.
/// </remarks>
public abstract class DeliveryStoreConformanceTests : StoreConformanceTests<IWebhookDeliveryStore>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private long _ids;

    /// <summary>Enqueued deliveries are stored pending, unattempted, with their message's fields.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_ThenGet_StoresPendingDeliveries()
    {
        var message = NewMessage();
        var deliveries = new[] { NewDelivery(message, "sub_a"), NewDelivery(message, "sub_b"), NewDelivery(message, "sub_c") };

        var result = await Store.EnqueueAsync(message, deliveries, default);

        Assert.Equal(new WebhookEnqueueResult(message.Id, 3, false), result);
        foreach (var d in deliveries)
        {
            var details = await Store.GetAsync(d.Id, default);
            Assert.NotNull(details);
            Assert.Empty(details.Attempts);
            var stored = details.Delivery;
            Assert.Equal(d.Id, stored.Id);
            Assert.Equal(message.Id, stored.MessageId);
            Assert.Equal(d.SubscriptionId, stored.SubscriptionId);
            Assert.Equal(message.EventType, stored.EventType);
            Assert.Equal(WebhookDeliveryStatus.Pending, stored.Status);
            Assert.Equal(0, stored.AttemptCount);
            Assert.Equal(d.CreatedAt, stored.CreatedAt);
            Assert.Equal(d.NextAttemptAt, stored.NextAttemptAt);
            Assert.Null(stored.LastAttemptAt);
            Assert.Null(stored.LastStatusCode);
            Assert.Null(stored.LastError);
        }
    }

    /// <summary>An unknown delivery id reads as null.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Get_UnknownId_ReturnsNull()
    {
        Assert.Null(await Store.GetAsync("dlv_does_not_exist", default));
    }

    /// <summary>A lease carries the message with its payload bytes exactly as enqueued.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_CarriesMessageAndPayloadExactly()
    {
        var payload = new byte[600];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i % 256);
        }

        var message = NewMessage() with
        {
            EventType = "order.created",
            Owner = "tenant-1",
            IdempotencyKey = "key-1",
            IdempotencyExpiresAt = T0.AddHours(24),
            Payload = payload,
        };
        var delivery = NewDelivery(message, "sub_a");
        await Store.EnqueueAsync(message, [delivery], default);

        var lease = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));

        Assert.Equal(delivery.Id, lease.Delivery.Id);
        Assert.Equal(T0 + Lease, lease.ExpiresAt);
        Assert.False(string.IsNullOrEmpty(lease.LeaseId));
        Assert.Equal(message.Id, lease.Message.Id);
        Assert.Equal("order.created", lease.Message.EventType);
        Assert.Equal(message.Timestamp, lease.Message.Timestamp);
        Assert.Equal("tenant-1", lease.Message.Owner);
        Assert.Equal("key-1", lease.Message.IdempotencyKey);
        Assert.Equal(payload, lease.Message.Payload.ToArray());
        Assert.Equal(WebhookDeliveryStatus.Pending, lease.Delivery.Status);
        Assert.Equal(0, lease.Delivery.AttemptCount);
    }

    /// <summary>A second enqueue with the same owner and key inside the window stores nothing and returns the first message.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_SameIdempotencyKeyWithinWindow_ReturnsFirstAndStoresNothing()
    {
        var first = NewMessage() with { Owner = "tenant-1", IdempotencyKey = "order-42", IdempotencyExpiresAt = T0.AddHours(1) };
        var firstDeliveries = new[] { NewDelivery(first, "sub_a"), NewDelivery(first, "sub_b") };
        var second = NewMessage(T0.AddMinutes(30)) with { Owner = "tenant-1", IdempotencyKey = "order-42", IdempotencyExpiresAt = T0.AddMinutes(90) };
        var secondDelivery = NewDelivery(second, "sub_a");

        await Store.EnqueueAsync(first, firstDeliveries, default);
        var again = await Store.EnqueueAsync(second, [secondDelivery], default);

        Assert.Equal(new WebhookEnqueueResult(first.Id, 2, true), again);
        Assert.Null(await Store.GetAsync(secondDelivery.Id, default));
        var leased = await Store.LeaseAsync(10, T0.AddHours(1), Lease, default);
        Assert.Equal(firstDeliveries.Select(d => d.Id).Order(StringComparer.Ordinal), leased.Select(l => l.Delivery.Id).Order(StringComparer.Ordinal));
    }

    /// <summary>Idempotency keys are per owner.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_SameKeyOtherOwner_IsStored()
    {
        var mine = NewMessage() with { Owner = "tenant-1", IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(1) };
        var theirs = NewMessage() with { Owner = "tenant-2", IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(1) };
        var app = NewMessage() with { Owner = null, IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(1) };

        await Store.EnqueueAsync(mine, [NewDelivery(mine, "sub_a")], default);
        var second = await Store.EnqueueAsync(theirs, [NewDelivery(theirs, "sub_b")], default);
        var third = await Store.EnqueueAsync(app, [NewDelivery(app, "sub_c")], default);

        Assert.Equal(new WebhookEnqueueResult(theirs.Id, 1, false), second);
        Assert.Equal(new WebhookEnqueueResult(app.Id, 1, false), third);
    }

    /// <summary>Once the window has passed, the same key enqueues a new message.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_SameKeyAfterWindow_IsStored()
    {
        var first = NewMessage() with { Owner = "tenant-1", IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddMinutes(10) };
        var later = NewMessage(T0.AddMinutes(11)) with { Owner = "tenant-1", IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddMinutes(21) };
        var evenLater = NewMessage(T0.AddMinutes(12)) with { Owner = "tenant-1", IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddMinutes(22) };

        await Store.EnqueueAsync(first, [NewDelivery(first, "sub_a")], default);
        var second = await Store.EnqueueAsync(later, [NewDelivery(later, "sub_a")], default);
        var third = await Store.EnqueueAsync(evenLater, [NewDelivery(evenLater, "sub_a")], default);

        Assert.Equal(new WebhookEnqueueResult(later.Id, 1, false), second);
        Assert.Equal(new WebhookEnqueueResult(later.Id, 1, true), third);
    }

    /// <summary>A keyed publish that matched no subscription still claims its key (the publisher enqueues it with no deliveries).</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_KeyWithNoDeliveries_StillDeduplicates()
    {
        var first = NewMessage() with { IdempotencyKey = "empty", IdempotencyExpiresAt = T0.AddHours(1) };
        var second = NewMessage(T0.AddMinutes(1)) with { IdempotencyKey = "empty", IdempotencyExpiresAt = T0.AddHours(1) };

        var a = await Store.EnqueueAsync(first, [], default);
        var b = await Store.EnqueueAsync(second, [NewDelivery(second, "sub_a")], default);

        Assert.Equal(new WebhookEnqueueResult(first.Id, 0, false), a);
        Assert.Equal(new WebhookEnqueueResult(first.Id, 0, true), b);
        Assert.Empty(await Store.LeaseAsync(10, T0.AddHours(1), Lease, default));
    }

    /// <summary>Concurrent enqueues with one key: exactly one message is stored, and every caller is told which.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_ConcurrentSameKey_StoresExactlyOne()
    {
        var messages = Enumerable.Range(0, 8)
            .Select(_ => NewMessage() with { Owner = "tenant-1", IdempotencyKey = "race", IdempotencyExpiresAt = T0.AddHours(1) })
            .ToArray();

        var results = await Task.WhenAll(messages.Select(async m =>
        {
            await Task.Yield();
            return await Store.EnqueueAsync(m, [NewDelivery(m, "sub_a")], default).ConfigureAwait(false);
        }));

        var winner = Assert.Single(results, r => !r.IsDuplicate);
        Assert.All(results, r => Assert.Equal(winner.MessageId, r.MessageId));
        var leased = await Store.LeaseAsync(100, T0.AddHours(1), Lease, default);
        Assert.Equal(winner.MessageId, Assert.Single(leased).Message.Id);
    }

    /// <summary>Leasing takes only due deliveries, oldest due first, at most the count asked for.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_TakesDueDeliveriesOldestFirstUpToMax()
    {
        var message = NewMessage();
        var late = NewDelivery(message, "sub_a", due: T0.AddMinutes(3));
        var early = NewDelivery(message, "sub_b", due: T0.AddMinutes(1));
        var middle = NewDelivery(message, "sub_c", due: T0.AddMinutes(2));
        var future = NewDelivery(message, "sub_d", due: T0.AddMinutes(10));
        await Store.EnqueueAsync(message, [late, early, middle, future], default);

        var hour = TimeSpan.FromHours(1);
        var none = await Store.LeaseAsync(10, T0, hour, default);
        var two = await Store.LeaseAsync(2, T0.AddMinutes(5), hour, default);
        var rest = await Store.LeaseAsync(10, T0.AddMinutes(5), hour, default);

        Assert.Empty(none);
        Assert.Equal([early.Id, middle.Id], two.Select(l => l.Delivery.Id));
        Assert.Equal([late.Id], rest.Select(l => l.Delivery.Id));
        Assert.Equal(future.Id, Assert.Single(await Store.LeaseAsync(10, T0.AddMinutes(10), Lease, default)).Delivery.Id);
    }

    /// <summary>A held lease keeps the delivery from others until it expires; then another caller takes it over.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_HeldUntilExpiry_ThenTakenOver()
    {
        var message = NewMessage();
        var delivery = NewDelivery(message, "sub_a");
        await Store.EnqueueAsync(message, [delivery], default);

        var first = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));
        var whileHeld = await Store.LeaseAsync(10, T0 + Lease - TimeSpan.FromSeconds(1), Lease, default);
        var after = Assert.Single(await Store.LeaseAsync(10, T0 + Lease + TimeSpan.FromSeconds(1), Lease, default));

        Assert.Empty(whileHeld);
        Assert.Equal(delivery.Id, after.Delivery.Id);
        Assert.NotEqual(first.LeaseId, after.LeaseId);
        Assert.Equal(T0 + Lease + TimeSpan.FromSeconds(1) + Lease, after.ExpiresAt);
    }

    /// <summary>Many callers leasing at once never get the same delivery twice, and together get all of them.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_ConcurrentCallers_NeverShareADelivery()
    {
        var all = new List<string>();
        for (int m = 0; m < 20; m++)
        {
            var message = NewMessage();
            var deliveries = Enumerable.Range(0, 10).Select(i => NewDelivery(message, "sub_" + i)).ToArray();
            await Store.EnqueueAsync(message, deliveries, default);
            all.AddRange(deliveries.Select(d => d.Id));
        }

        var taken = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            await Task.Yield();
            while (true)
            {
                var batch = await Store.LeaseAsync(7, T0, Lease, default).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    return;
                }

                foreach (var lease in batch)
                {
                    taken.Add(lease.Delivery.Id);
                }
            }
        }));

        Assert.Equal(all.Count, taken.Count);
        Assert.Equal(all.Order(StringComparer.Ordinal), taken.Order(StringComparer.Ordinal));
    }

    /// <summary>A successful attempt finishes the delivery and is logged with every field.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task RecordAttempt_Success_FinishesDeliveryAndLogsAttempt()
    {
        var message = NewMessage();
        var delivery = NewDelivery(message, "sub_a");
        await Store.EnqueueAsync(message, [delivery], default);
        var lease = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));
        var attempt = new WebhookAttempt
        {
            Number = 1,
            StartedAt = T0.AddSeconds(1),
            Duration = TimeSpan.FromMilliseconds(250),
            StatusCode = 204,
            ResponseExcerpt = "accepted ✓",
        };

        var recorded = await Store.RecordAttemptAsync(lease, attempt, new(WebhookDeliveryStatus.Succeeded, null), default);
        var details = await Store.GetAsync(delivery.Id, default);

        Assert.True(recorded.LeaseHeld);
        Assert.Null(recorded.FailingSince);
        Assert.False(recorded.WasFailing);
        Assert.NotNull(details);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, details.Delivery.Status);
        Assert.Equal(1, details.Delivery.AttemptCount);
        Assert.Equal(T0.AddSeconds(1), details.Delivery.LastAttemptAt);
        Assert.Equal(204, details.Delivery.LastStatusCode);
        Assert.Null(details.Delivery.LastError);
        Assert.Null(details.Delivery.NextAttemptAt);
        Assert.Equal(attempt, Assert.Single(details.Attempts));
        Assert.Empty(await Store.LeaseAsync(10, T0.AddDays(1), Lease, default));
    }

    /// <summary>A failed attempt with a retry keeps the delivery pending until its next attempt time.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task RecordAttempt_Retry_ReschedulesDelivery()
    {
        var message = NewMessage();
        var delivery = NewDelivery(message, "sub_a");
        await Store.EnqueueAsync(message, [delivery], default);
        var lease = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));
        var attempt = new WebhookAttempt
        {
            Number = 1,
            StartedAt = T0,
            Duration = TimeSpan.FromMilliseconds(12),
            StatusCode = 503,
            ResponseExcerpt = "busy",
            ErrorKind = WebhookErrorKind.HttpStatus,
            Error = "The receiver answered 503.",
        };
        var retryAt = T0.AddMinutes(5);

        await Store.RecordAttemptAsync(lease, attempt, new(WebhookDeliveryStatus.Pending, retryAt), default);
        var details = await Store.GetAsync(delivery.Id, default);

        Assert.Equal(WebhookDeliveryStatus.Pending, details!.Delivery.Status);
        Assert.Equal(retryAt, details.Delivery.NextAttemptAt);
        Assert.Equal(503, details.Delivery.LastStatusCode);
        Assert.Equal("The receiver answered 503.", details.Delivery.LastError);
        Assert.Equal(attempt, Assert.Single(details.Attempts));
        Assert.Empty(await Store.LeaseAsync(10, retryAt.AddSeconds(-1), Lease, default));
        var second = Assert.Single(await Store.LeaseAsync(10, retryAt, Lease, default));
        Assert.Equal(1, second.Delivery.AttemptCount);

        var timeout = new WebhookAttempt { Number = 2, StartedAt = retryAt, Duration = TimeSpan.FromSeconds(15), ErrorKind = WebhookErrorKind.Timeout, Error = "Timed out." };
        await Store.RecordAttemptAsync(second, timeout, new(WebhookDeliveryStatus.Failed, null), default);
        details = await Store.GetAsync(delivery.Id, default);
        Assert.Equal(WebhookDeliveryStatus.Failed, details!.Delivery.Status);
        Assert.Equal(2, details.Delivery.AttemptCount);
        Assert.Null(details.Delivery.LastStatusCode);
        Assert.Null(details.Delivery.NextAttemptAt);
        Assert.Equal([attempt, timeout], details.Attempts);
    }

    /// <summary>Once another caller took over an expired lease, the first holder can no longer record.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task RecordAttempt_AfterTakeOver_StaleHolderIsRefused()
    {
        var message = NewMessage();
        var delivery = NewDelivery(message, "sub_a");
        await Store.EnqueueAsync(message, [delivery], default);
        var stale = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));
        var current = Assert.Single(await Store.LeaseAsync(10, T0 + Lease + Lease, Lease, default));

        var refused = await Store.RecordAttemptAsync(stale, Ok(1, T0), new(WebhookDeliveryStatus.Succeeded, null), default);
        var accepted = await Store.RecordAttemptAsync(current, Ok(1, T0 + Lease + Lease), new(WebhookDeliveryStatus.Succeeded, null), default);

        Assert.False(refused.LeaseHeld);
        Assert.True(accepted.LeaseHeld);
        Assert.Single((await Store.GetAsync(delivery.Id, default))!.Attempts);
    }

    /// <summary>A lease can be used to record once; recording again with it is refused.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task RecordAttempt_SameLeaseTwice_SecondIsRefused()
    {
        var message = NewMessage();
        await Store.EnqueueAsync(message, [NewDelivery(message, "sub_a")], default);
        var lease = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));

        var first = await Store.RecordAttemptAsync(lease, Failed(1, T0), new(WebhookDeliveryStatus.Pending, T0.AddMinutes(1)), default);
        var second = await Store.RecordAttemptAsync(lease, Ok(2, T0), new(WebhookDeliveryStatus.Succeeded, null), default);

        Assert.True(first.LeaseHeld);
        Assert.False(second.LeaseHeld);
        var details = await Store.GetAsync(lease.Delivery.Id, default);
        Assert.Equal(WebhookDeliveryStatus.Pending, details!.Delivery.Status);
        Assert.Single(details.Attempts);
    }

    /// <summary>Failing-since is the start of the first failure in an unbroken run of failures to a subscription, across its deliveries.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task RecordAttempt_TracksFailingSincePerSubscription()
    {
        var f1 = await AttemptAsync("sub_a", Failed(1, T0.AddMinutes(1)), Finished(false));
        var f2 = await AttemptAsync("sub_a", Failed(1, T0.AddMinutes(2)), new(WebhookDeliveryStatus.Pending, T0.AddHours(1)));
        var other = await AttemptAsync("sub_b", Ok(1, T0.AddMinutes(3)), Finished(true));
        var f3 = await AttemptAsync("sub_a", Failed(1, T0.AddMinutes(4)), Finished(false));
        var ok = await AttemptAsync("sub_a", Ok(1, T0.AddMinutes(5)), Finished(true));
        var ok2 = await AttemptAsync("sub_a", Ok(1, T0.AddMinutes(6)), Finished(true));
        var f4 = await AttemptAsync("sub_a", Failed(1, T0.AddMinutes(7)), Finished(false));

        Assert.Equal(new WebhookAttemptRecorded(true, T0.AddMinutes(1), false), f1);
        Assert.Equal(new WebhookAttemptRecorded(true, T0.AddMinutes(1), true), f2);
        Assert.Equal(new WebhookAttemptRecorded(true, null, false), other);
        Assert.Equal(new WebhookAttemptRecorded(true, T0.AddMinutes(1), true), f3);
        Assert.Equal(new WebhookAttemptRecorded(true, null, true), ok);
        Assert.Equal(new WebhookAttemptRecorded(true, null, false), ok2);
        Assert.Equal(new WebhookAttemptRecorded(true, T0.AddMinutes(7), false), f4);
    }

    /// <summary>An attempt that sent nothing (subscription disabled or deleted) changes neither health nor stats.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task RecordAttempt_SubscriptionUnavailable_LeavesHealthAndStatsAlone()
    {
        var unavailable = new WebhookAttempt
        {
            Number = 1,
            StartedAt = T0.AddMinutes(2),
            ErrorKind = WebhookErrorKind.SubscriptionUnavailable,
            Error = "The subscription is disabled; nothing was sent.",
        };

        var before = await AttemptAsync("sub_a", unavailable, Finished(false));
        await AttemptAsync("sub_a", Failed(1, T0.AddMinutes(3)), Finished(false));
        var during = await AttemptAsync("sub_a", unavailable with { StartedAt = T0.AddMinutes(4) }, Finished(false));
        var stats = await Store.GetStatsAsync("sub_a", T0, T0.AddMinutes(5), TimeSpan.FromMinutes(1), default);

        Assert.Equal(new WebhookAttemptRecorded(true, null, false), before);
        Assert.Equal(new WebhookAttemptRecorded(true, T0.AddMinutes(3), true), during);
        Assert.Equal(0, stats.Sum(b => b.Succeeded));
        Assert.Equal(1, stats.Sum(b => b.Failed));
    }

    /// <summary>A released lease makes the delivery due again at once when released for now, with nothing recorded.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Release_ForNow_MakesDeliveryDueAgainAtOnce()
    {
        var message = NewMessage();
        var delivery = NewDelivery(message, "sub_a");
        await Store.EnqueueAsync(message, [delivery], default);
        var lease = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));

        await Store.ReleaseAsync(lease, T0, default);
        var released = await Store.GetAsync(delivery.Id, default);
        var again = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));

        Assert.Equal(WebhookDeliveryStatus.Pending, released!.Delivery.Status);
        Assert.Equal(T0, released.Delivery.NextAttemptAt);
        Assert.Empty(released.Attempts);
        Assert.Equal(delivery.Id, again.Delivery.Id);
        Assert.Equal(0, again.Delivery.AttemptCount);
        Assert.True((await Store.RecordAttemptAsync(again, Ok(1, T0), Finished(true), default)).LeaseHeld);
    }

    /// <summary>A lease released for later (its receiver is busy) makes the delivery due at that time, not before.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Release_ForLater_MakesDeliveryDueThen()
    {
        var message = NewMessage();
        var delivery = NewDelivery(message, "sub_a");
        await Store.EnqueueAsync(message, [delivery], default);
        var lease = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));
        var dueAt = T0.AddSeconds(2);

        await Store.ReleaseAsync(lease, dueAt, default);

        Assert.Equal(dueAt, (await Store.GetAsync(delivery.Id, default))!.Delivery.NextAttemptAt);
        Assert.Empty(await Store.LeaseAsync(10, T0.AddSeconds(1), Lease, default));
        var again = Assert.Single(await Store.LeaseAsync(10, dueAt, Lease, default));
        Assert.Equal(0, again.Delivery.AttemptCount);
    }

    /// <summary>Releasing a lease that was taken over does not disturb the new holder.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Release_StaleLease_LeavesNewHolderAlone()
    {
        var message = NewMessage();
        await Store.EnqueueAsync(message, [NewDelivery(message, "sub_a")], default);
        var stale = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));
        var takeOverAt = T0 + Lease + TimeSpan.FromSeconds(1);
        var current = Assert.Single(await Store.LeaseAsync(10, takeOverAt, Lease, default));

        await Store.ReleaseAsync(stale, T0, default);

        Assert.Empty(await Store.LeaseAsync(10, takeOverAt, Lease, default));
        Assert.True((await Store.RecordAttemptAsync(current, Ok(1, takeOverAt), Finished(true), default)).LeaseHeld);
    }

    /// <summary>Deliveries page newest first, per subscription, with a status filter and a cursor.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Query_PagesNewestFirstWithStatusFilter()
    {
        var ids = new List<string>();
        for (int i = 0; i < 7; i++)
        {
            var message = NewMessage(T0.AddSeconds(i));
            var mine = NewDelivery(message, "sub_a");
            await Store.EnqueueAsync(message, [mine, NewDelivery(message, "sub_b")], default);
            ids.Add(mine.Id);
        }

        // Finish the two oldest of sub_a: leases go oldest due first, and sub_b's come in between.
        foreach (var lease in (await Store.LeaseAsync(4, T0.AddSeconds(1), Lease, default)).Where(l => l.Delivery.SubscriptionId == "sub_a"))
        {
            await Store.RecordAttemptAsync(lease, Ok(1, T0.AddSeconds(2)), Finished(true), default);
        }

        var pages = new List<IReadOnlyList<string>>();
        string? cursor = null;
        do
        {
            var page = await Store.QueryAsync(new WebhookDeliveryQuery("sub_a", Limit: 3, Cursor: cursor), default);
            Assert.All(page.Items, d => Assert.Equal("sub_a", d.SubscriptionId));
            pages.Add([.. page.Items.Select(d => d.Id)]);
            cursor = page.NextCursor;
        }
        while (cursor is not null && pages.Count < 10);

        var newestFirst = Enumerable.Reverse(ids).ToList();
        Assert.Equal(newestFirst, pages.SelectMany(p => p));
        Assert.Equal([3, 3, 1], pages.Select(p => p.Count));
        var succeeded = await Store.QueryAsync(new WebhookDeliveryQuery("sub_a", WebhookDeliveryStatus.Succeeded), default);
        Assert.Equal([ids[1], ids[0]], succeeded.Items.Select(d => d.Id));
        Assert.All(succeeded.Items, d => Assert.Equal(WebhookDeliveryStatus.Succeeded, d.Status));
        var pending = await Store.QueryAsync(new WebhookDeliveryQuery("sub_a", WebhookDeliveryStatus.Pending, Limit: 2), default);
        Assert.Equal([ids[6], ids[5]], pending.Items.Select(d => d.Id));
        var pendingRest = await Store.QueryAsync(new WebhookDeliveryQuery("sub_a", WebhookDeliveryStatus.Pending, Limit: 10, Cursor: pending.NextCursor), default);
        Assert.Equal([ids[4], ids[3], ids[2]], pendingRest.Items.Select(d => d.Id));
        Assert.Null(pendingRest.NextCursor);
        Assert.Empty((await Store.QueryAsync(new WebhookDeliveryQuery("sub_a", WebhookDeliveryStatus.Failed), default)).Items);
        Assert.Empty((await Store.QueryAsync(new WebhookDeliveryQuery("sub_unknown"), default)).Items);
    }

    /// <summary>Redelivering a finished delivery makes it pending and due now, keeping its attempts; a pending or unknown one is refused.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Redeliver_FinishedDelivery_IsDueAgainWithAttemptsKept()
    {
        var message = NewMessage();
        var delivery = NewDelivery(message, "sub_a");
        var waiting = NewDelivery(message, "sub_b", due: T0.AddHours(1));
        await Store.EnqueueAsync(message, [delivery, waiting], default);
        var lease = Assert.Single(await Store.LeaseAsync(10, T0, Lease, default));
        await Store.RecordAttemptAsync(lease, Ok(1, T0), Finished(true), default);
        var now = T0.AddMinutes(10);

        Assert.True(await Store.RedeliverAsync(delivery.Id, now, default));
        Assert.False(await Store.RedeliverAsync(delivery.Id, now, default));
        Assert.False(await Store.RedeliverAsync(waiting.Id, now, default));
        Assert.False(await Store.RedeliverAsync("dlv_unknown", now, default));

        var details = await Store.GetAsync(delivery.Id, default);
        Assert.Equal(WebhookDeliveryStatus.Pending, details!.Delivery.Status);
        Assert.Equal(now, details.Delivery.NextAttemptAt);
        Assert.Single(details.Attempts);
        var again = Assert.Single(await Store.LeaseAsync(10, now, Lease, default));
        Assert.Equal(delivery.Id, again.Delivery.Id);
        Assert.Equal(1, again.Delivery.AttemptCount);
        await Store.RecordAttemptAsync(again, Ok(2, now), Finished(true), default);
        Assert.Equal([1, 2], (await Store.GetAsync(delivery.Id, default))!.Attempts.Select(a => a.Number));
    }

    /// <summary>Recovery requeues exactly the subscription's failed deliveries created since the given time.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task RequeueFailed_RequeuesOnlyFailedSinceForSubscription()
    {
        var old = await FinishAsync("sub_a", T0, false);
        var recent1 = await FinishAsync("sub_a", T0.AddMinutes(10), false);
        var recent2 = await FinishAsync("sub_a", T0.AddMinutes(20), false);
        var succeeded = await FinishAsync("sub_a", T0.AddMinutes(30), true);
        var otherSub = await FinishAsync("sub_b", T0.AddMinutes(30), false);
        var now = T0.AddHours(1);

        var count = await Store.RequeueFailedAsync("sub_a", T0.AddMinutes(10), now, default);

        Assert.Equal(2, count);
        var leased = await Store.LeaseAsync(10, now, Lease, default);
        Assert.Equal(new[] { recent1, recent2 }.Order(StringComparer.Ordinal), leased.Select(l => l.Delivery.Id).Order(StringComparer.Ordinal));
        Assert.Equal(WebhookDeliveryStatus.Failed, (await Store.GetAsync(old, default))!.Delivery.Status);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, (await Store.GetAsync(succeeded, default))!.Delivery.Status);
        Assert.Equal(WebhookDeliveryStatus.Failed, (await Store.GetAsync(otherSub, default))!.Delivery.Status);
        Assert.Equal(0, await Store.RequeueFailedAsync("sub_unknown", T0, now, default));
    }

    /// <summary>Stats count attempts per minute bucket, oldest first, with empty buckets present, and wider buckets add minutes up.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task GetStats_CountsAttemptsPerBucket()
    {
        await AttemptAsync("sub_a", Ok(1, T0.AddSeconds(10)), Finished(true));
        await AttemptAsync("sub_a", Failed(1, T0.AddSeconds(50)), Finished(false));
        await AttemptAsync("sub_a", Ok(1, T0.AddSeconds(90)), Finished(true));
        await AttemptAsync("sub_a", Failed(1, T0.AddSeconds(200)), Finished(false));
        await AttemptAsync("sub_a", Failed(1, T0.AddSeconds(230)), Finished(false));
        await AttemptAsync("sub_b", Ok(1, T0.AddSeconds(20)), Finished(true));
        await AttemptAsync("sub_a", Ok(1, T0.AddMinutes(7)), Finished(true));

        var minutes = await Store.GetStatsAsync("sub_a", T0, T0.AddMinutes(4), TimeSpan.FromMinutes(1), default);
        var fives = await Store.GetStatsAsync("sub_a", T0, T0.AddMinutes(10), TimeSpan.FromMinutes(5), default);
        var empty = await Store.GetStatsAsync("sub_unknown", T0, T0.AddMinutes(2), TimeSpan.FromMinutes(1), default);

        AssertBuckets(minutes, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(4));
        Assert.Equal(
            [(1, 1), (1, 0), (0, 0), (0, 2)],
            minutes.Take(4).Select(b => (b.Succeeded, b.Failed)));
        Assert.All(minutes.Skip(4), b => Assert.Equal((0, 0), (b.Succeeded, b.Failed)));
        AssertBuckets(fives, T0, TimeSpan.FromMinutes(5), T0.AddMinutes(10));
        Assert.Equal([(2, 3), (1, 0)], fives.Take(2).Select(b => (b.Succeeded, b.Failed)));
        AssertBuckets(empty, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(2));
        Assert.All(empty, b => Assert.Equal((0, 0), (b.Succeeded, b.Failed)));
    }

    /// <summary>Builds a message with a fresh, increasing id.</summary>
    /// <param name="timestamp">Its timestamp; <see cref="StoreConformanceTests{TStore}.T0"/> by default.</param>
    /// <returns>The message.</returns>
    protected WebhookMessage NewMessage(DateTimeOffset? timestamp = null) => new()
    {
        Id = NextId("msg_"),
        EventType = "order.created",
        Timestamp = timestamp ?? T0,
        Payload = "{\"type\":\"order.created\",\"data\":{\"id\":1}}"u8.ToArray(),
    };

    /// <summary>Builds a pending delivery of <paramref name="message"/> with a fresh, increasing id.</summary>
    /// <param name="message">The message.</param>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="due">When it is due; the message's timestamp by default.</param>
    /// <returns>The delivery.</returns>
    protected WebhookDelivery NewDelivery(WebhookMessage message, string subscriptionId, DateTimeOffset? due = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new()
        {
            Id = NextId("dlv_"),
            MessageId = message.Id,
            SubscriptionId = subscriptionId,
            EventType = message.EventType,
            Status = WebhookDeliveryStatus.Pending,
            CreatedAt = message.Timestamp,
            NextAttemptAt = due ?? message.Timestamp,
        };
    }

    private static WebhookAttempt Ok(int number, DateTimeOffset at) =>
        new() { Number = number, StartedAt = at, Duration = TimeSpan.FromMilliseconds(5), StatusCode = 200 };

    private static WebhookAttempt Failed(int number, DateTimeOffset at) =>
        new() { Number = number, StartedAt = at, Duration = TimeSpan.FromMilliseconds(5), StatusCode = 500, ErrorKind = WebhookErrorKind.HttpStatus, Error = "The receiver answered 500." };

    private static WebhookDeliveryTransition Finished(bool succeeded) =>
        new(succeeded ? WebhookDeliveryStatus.Succeeded : WebhookDeliveryStatus.Failed, null);

    private static void AssertBuckets(IReadOnlyList<WebhookStatsBucket> buckets, DateTimeOffset start, TimeSpan width, DateTimeOffset end)
    {
        Assert.NotEmpty(buckets);
        Assert.Equal(start, buckets[0].Start);
        for (int i = 1; i < buckets.Count; i++)
        {
            Assert.Equal(buckets[i - 1].Start + width, buckets[i].Start);
        }

        Assert.True(buckets[^1].Start <= end && buckets[^1].Start + width >= end, $"The last bucket ({buckets[^1].Start:O}) must cover the window's end ({end:O}).");
    }

    private string NextId(string prefix) => $"{prefix}{Interlocked.Increment(ref _ids):D8}{Guid.NewGuid():N}";

    /// <summary>Enqueues one delivery to <paramref name="subscriptionId"/> due at the attempt's start, leases it and records the attempt.</summary>
    private async Task<WebhookAttemptRecorded> AttemptAsync(string subscriptionId, WebhookAttempt attempt, WebhookDeliveryTransition transition)
    {
        var message = NewMessage(attempt.StartedAt);
        var delivery = NewDelivery(message, subscriptionId);
        await Store.EnqueueAsync(message, [delivery], default).ConfigureAwait(false);
        var lease = Assert.Single(await Store.LeaseAsync(1, attempt.StartedAt, Lease, default).ConfigureAwait(false));
        Assert.Equal(delivery.Id, lease.Delivery.Id);
        return await Store.RecordAttemptAsync(lease, attempt, transition, default).ConfigureAwait(false);
    }

    /// <summary>Creates a delivery at <paramref name="createdAt"/> and finishes it; returns its id.</summary>
    private async Task<string> FinishAsync(string subscriptionId, DateTimeOffset createdAt, bool succeeded)
    {
        var message = NewMessage(createdAt);
        var delivery = NewDelivery(message, subscriptionId);
        await Store.EnqueueAsync(message, [delivery], default).ConfigureAwait(false);
        var lease = Assert.Single(await Store.LeaseAsync(1, createdAt, Lease, default).ConfigureAwait(false));
        await Store.RecordAttemptAsync(lease, succeeded ? Ok(1, createdAt) : Failed(1, createdAt), Finished(succeeded), default).ConfigureAwait(false);
        return delivery.Id;
    }
}
