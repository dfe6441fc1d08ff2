using System.Collections.Concurrent;
using System.Diagnostics;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryStore"/> (the queue every delivery store implements)
/// as tests. Derive a class in your test project, return an empty store from
/// <see cref="StoreConformanceTests{TStore}.CreateStoreAsync"/>, and every test here runs against it:
/// atomic enqueue, idempotency keys (per owner, windows judged on the engine's times), leasing
/// (earliest due first, exclusive, expired leases taken over, a new lease id each time), completing
/// and releasing under a lease (a stale holder changes nothing), and messages carried exactly.
/// </summary>
/// <remarks>
/// Due times and lease expiry are judged on the store's own clock, so these tests never pass an
/// instant: they use real short delays (<see cref="StoreConformanceTests{TStore}.ShortLease"/>) and
/// wait for them, bounded. Checks that read a delivery back through the log are in
/// <see cref="DeliveryLogConformanceTests"/>; here a delivery's state is observed the way the engine
/// observes it, by leasing it again.
/// </remarks>
public abstract class DeliveryQueueConformanceTests : DeliveryStoreConformanceTestBase
{
    /// <summary>
    /// Rule: an enqueue stores the message and every delivery, all due at once (the engine enqueues
    /// deliveries to be attempted now), and reports the message id and the delivery count.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_StoresEveryDeliveryDueAtOnce()
    {
        var message = NewMessage();
        var deliveries = new[] { NewDelivery(message, "sub_a"), NewDelivery(message, "sub_b"), NewDelivery(message, "sub_c") };

        var result = await EnqueueAsync(message, deliveries);
        var leases = await LeaseAsync();

        Assert.Equal(new WebhookEnqueueResult(message.Id, 3, false), result);
        Assert.Equal(deliveries.Select(d => d.Id).Order(StringComparer.Ordinal), leases.Select(l => l.Delivery.Id).Order(StringComparer.Ordinal));
        Assert.All(leases, l => Assert.Equal((message.Id, WebhookDeliveryStatus.Pending, 0), (l.Message.Id, l.Delivery.Status, l.Delivery.AttemptCount)));
    }

    /// <summary>
    /// Rule (atomic enqueue): a message and its deliveries are stored together or not at all. An
    /// enqueue of many deliveries cancelled before it starts either throws and stores nothing (and
    /// its idempotency key stays free) or completes and stores everything; never a part.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_Cancelled_StoresAllOrNothing()
    {
        var message = NewMessage("tenant-1") with { IdempotencyKey = "all-or-nothing", IdempotencyExpiresAt = T0.AddHours(1) };
        var deliveries = Enumerable.Range(0, 60).Select(i => NewDelivery(message, "sub_" + i)).ToArray();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        bool threw = false;
        try
        {
            await Store.EnqueueAsync(message, deliveries, null, cancelled.Token);
        }
        catch (OperationCanceledException)
        {
            threw = true;
        }

        var stored = await LeaseAsync();
        Assert.True(stored.Count is 0 or 60, $"Atomic enqueue: a cancelled enqueue of 60 deliveries left {stored.Count} of them; store all or none.");
        var again = await EnqueueAsync(message with { Id = WebhookIds.New(WebhookIds.MessagePrefix, DateTimeOffset.UtcNow) });
        Assert.Equal(stored.Count == 60, again.IsDuplicate);
        Assert.False(threw && stored.Count == 60, "An enqueue that threw must have stored nothing.");
    }

    /// <summary>
    /// Rule: a store refuses an enqueue context it does not recognise with a <see cref="WebhookException"/>
    /// and writes nothing, rather than write outside the app's transaction.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_UnknownContext_IsRefusedAndStoresNothing()
    {
        var message = NewMessage();

        await Assert.ThrowsAnyAsync<WebhookException>(() => Store.EnqueueAsync(message, [NewDelivery(message, "sub_a")], new ForeignContext(), Cancellation));

        Assert.Empty(await LeaseAsync());
    }

    /// <summary>
    /// Rule (idempotency): a second enqueue by the same owner with the same key while the first
    /// message's window is open (its <see cref="WebhookMessage.IdempotencyExpiresAt"/> later than the
    /// new message's <see cref="WebhookMessage.CreatedAt"/>) stores nothing and returns the first
    /// message's id and delivery count, marked as a duplicate.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_SameKeySameOwnerWithinWindow_ReturnsFirstAndStoresNothing()
    {
        var first = NewMessage("tenant-1") with { IdempotencyKey = "order-42", IdempotencyExpiresAt = T0.AddHours(1) };
        var firstDeliveries = new[] { NewDelivery(first, "sub_a"), NewDelivery(first, "sub_b") };
        var second = NewMessage("tenant-1", T0.AddMinutes(59)) with { IdempotencyKey = "order-42", IdempotencyExpiresAt = T0.AddMinutes(119) };

        await EnqueueAsync(first, firstDeliveries);
        var again = await EnqueueAsync(second, NewDelivery(second, "sub_a"));

        Assert.Equal(new WebhookEnqueueResult(first.Id, 2, true), again);
        var leased = await LeaseAsync();
        Assert.Equal(firstDeliveries.Select(d => d.Id).Order(StringComparer.Ordinal), leased.Select(l => l.Delivery.Id).Order(StringComparer.Ordinal));
    }

    /// <summary>Rule: idempotency keys are per owner: the same key for another owner, or for no owner, is a new message.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_SameKeyOtherOwner_IsStored()
    {
        var mine = NewMessage("tenant-1") with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(1) };
        var theirs = NewMessage("tenant-2") with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(1) };
        var app = NewMessage(null) with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(1) };
        var appAgain = NewMessage(null, T0.AddMinutes(1)) with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(1) };

        await EnqueueAsync(mine, NewDelivery(mine, "sub_a"));
        var second = await EnqueueAsync(theirs, NewDelivery(theirs, "sub_b"));
        var third = await EnqueueAsync(app, NewDelivery(app, "sub_c"));
        var fourth = await EnqueueAsync(appAgain, NewDelivery(appAgain, "sub_c"));

        Assert.Equal(new WebhookEnqueueResult(theirs.Id, 1, false), second);
        Assert.Equal(new WebhookEnqueueResult(app.Id, 1, false), third);
        Assert.Equal(new WebhookEnqueueResult(app.Id, 1, true), fourth);
        Assert.Equal(3, (await LeaseAsync()).Count);
    }

    /// <summary>
    /// Rule: once the window is over (the new message created at or after the earlier one's
    /// <see cref="WebhookMessage.IdempotencyExpiresAt"/>) the same key enqueues a new message, which
    /// then holds the key for its own window.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_SameKeyAfterWindow_IsStoredAndHoldsTheKey()
    {
        var first = NewMessage("tenant-1") with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddMinutes(10) };
        var atEnd = NewMessage("tenant-1", T0.AddMinutes(10)) with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddMinutes(20) };
        var later = NewMessage("tenant-1", T0.AddMinutes(12)) with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddMinutes(22) };

        await EnqueueAsync(first, NewDelivery(first, "sub_a"));
        var second = await EnqueueAsync(atEnd, NewDelivery(atEnd, "sub_a"));
        var third = await EnqueueAsync(later, NewDelivery(later, "sub_a"));

        Assert.Equal(new WebhookEnqueueResult(atEnd.Id, 1, false), second);
        Assert.Equal(new WebhookEnqueueResult(atEnd.Id, 1, true), third);
    }

    /// <summary>
    /// Rule: the window is measured against the new message's <see cref="WebhookMessage.CreatedAt"/>,
    /// never its <see cref="WebhookMessage.Timestamp"/> (the publisher may set that): a timestamp far
    /// in the future does not escape deduplication, and one far in the past does not suppress a
    /// publish made after the window.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_WindowMeasuredFromCreatedAt_NotTimestamp()
    {
        var first = NewMessage("tenant-1") with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(1), Timestamp = T0.AddYears(-5) };
        var futureStamped = NewMessage("tenant-1", T0.AddMinutes(30)) with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddMinutes(90), Timestamp = T0.AddDays(30) };
        var backDated = NewMessage("tenant-1", T0.AddHours(2)) with { IdempotencyKey = "k", IdempotencyExpiresAt = T0.AddHours(3), Timestamp = T0.AddDays(-30) };

        await EnqueueAsync(first, NewDelivery(first, "sub_a"));
        var inWindow = await EnqueueAsync(futureStamped, NewDelivery(futureStamped, "sub_a"));
        var afterWindow = await EnqueueAsync(backDated, NewDelivery(backDated, "sub_a"));

        Assert.True(inWindow.IsDuplicate && inWindow.MessageId == first.Id, "A message created inside the window is a duplicate, whatever its Timestamp says (it said 30 days later).");
        Assert.True(!afterWindow.IsDuplicate && afterWindow.MessageId == backDated.Id, "A message created after the window is new, whatever its Timestamp says (it said 30 days earlier).");
    }

    /// <summary>
    /// Rule: the window is judged on the engine's times only (the earlier message's
    /// <see cref="WebhookMessage.IdempotencyExpiresAt"/> against the new one's <see cref="WebhookMessage.CreatedAt"/>),
    /// never on the store's clock: windows long past on the store's clock still deduplicate, and
    /// windows far in its future end when the engine's times say so.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_WindowJudgedOnEngineTimes_NotStoreClock()
    {
        var past = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var future = new DateTimeOffset(2201, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var old1 = NewMessage("tenant-1", past) with { IdempotencyKey = "old", IdempotencyExpiresAt = past.AddHours(1) };
        var old2 = NewMessage("tenant-1", past.AddMinutes(30)) with { IdempotencyKey = "old", IdempotencyExpiresAt = past.AddMinutes(90) };
        var new1 = NewMessage("tenant-1", future) with { IdempotencyKey = "new", IdempotencyExpiresAt = future.AddHours(1) };
        var new2 = NewMessage("tenant-1", future.AddHours(2)) with { IdempotencyKey = "new", IdempotencyExpiresAt = future.AddHours(3) };

        await EnqueueAsync(old1, NewDelivery(old1, "sub_a"));
        var oldAgain = await EnqueueAsync(old2, NewDelivery(old2, "sub_a"));
        await EnqueueAsync(new1, NewDelivery(new1, "sub_a"));
        var newAgain = await EnqueueAsync(new2, NewDelivery(new2, "sub_a"));

        Assert.True(oldAgain.IsDuplicate, "A window in the store clock's past (2001) still deduplicates a message the engine created inside it.");
        Assert.False(newAgain.IsDuplicate, "A window in the store clock's future (2201) is over for a message the engine created after it.");
    }

    /// <summary>Rule: a key also holds when its message has no deliveries (a keyed publish that matched no subscription).</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_KeyWithNoDeliveries_StillDeduplicates()
    {
        var first = NewMessage() with { IdempotencyKey = "empty", IdempotencyExpiresAt = T0.AddHours(1) };
        var second = NewMessage(null, T0.AddMinutes(1)) with { IdempotencyKey = "empty", IdempotencyExpiresAt = T0.AddHours(1) };

        var a = await EnqueueAsync(first);
        var b = await EnqueueAsync(second, NewDelivery(second, "sub_a"));

        Assert.Equal(new WebhookEnqueueResult(first.Id, 0, false), a);
        Assert.Equal(new WebhookEnqueueResult(first.Id, 0, true), b);
        Assert.Empty(await LeaseAsync());
    }

    /// <summary>
    /// Rule: concurrent enqueues with one key store exactly one message; every caller is told its id,
    /// and only its delivery is queued.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Enqueue_ConcurrentSameKey_StoresExactlyOne()
    {
        var messages = Enumerable.Range(0, 8)
            .Select(_ => NewMessage("tenant-1") with { IdempotencyKey = "race", IdempotencyExpiresAt = T0.AddHours(1) })
            .ToArray();

        var results = await RunConcurrentlyAsync(messages.Length, i => EnqueueAsync(messages[i], NewDelivery(messages[i], "sub_a")));

        Assert.True(results.Count(r => !r.IsDuplicate) == 1, $"Idempotency under concurrency: {results.Count(r => !r.IsDuplicate)} of 8 concurrent enqueues with one key were stored; exactly one may be.");
        var winner = results.Single(r => !r.IsDuplicate);
        Assert.All(results, r => Assert.Equal(winner.MessageId, r.MessageId));
        Assert.Equal(winner.MessageId, Assert.Single(await LeaseAsync()).Message.Id);
    }

    /// <summary>
    /// Rule (optional, on by default): the publish's trace context (<see cref="WebhookMessage.TraceParent"/>,
    /// <see cref="WebhookMessage.TraceState"/>) comes back with the leased message, so an attempt made later,
    /// by any instance, links to its publish. A store that cannot keep it overrides <see cref="KeepsTraceContext"/>.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_CarriesTheTraceContext()
    {
        if (!KeepsTraceContext)
        {
            return;
        }

        var message = NewMessage("tenant-1", T0) with
        {
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            TraceState = "vendor=opaque",
        };
        var delivery = NewDelivery(message, "sub_a");
        await EnqueueAsync(message, delivery);

        var lease = await LeaseOnlyAsync(delivery.Id);

        Assert.Equal((message.TraceParent, message.TraceState), (lease.Message.TraceParent, lease.Message.TraceState));
    }

    /// <summary>Whether the store keeps <see cref="WebhookMessage.TraceParent"/> and <see cref="WebhookMessage.TraceState"/> (see <see cref="Lease_CarriesTheTraceContext"/>).</summary>
    protected virtual bool KeepsTraceContext => true;

    /// <summary>
    /// Rule: a lease carries the delivery and its message exactly as enqueued: every message field
    /// and the payload byte for byte (binary bodies included: NUL and high bytes are kept).
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_CarriesMessageAndDeliveryExactly()
    {
        var payload = new byte[70_000];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)((i * 7) % 256);
        }

        var message = NewMessage("tenant-1", T0.AddMilliseconds(123)) with
        {
            EventType = "invoice.paid",
            Timestamp = T0.AddDays(-2).AddMilliseconds(456),
            IdempotencyKey = "key-1",
            IdempotencyExpiresAt = T0.AddHours(24),
            Payload = payload,
        };
        var delivery = NewDelivery(message, "sub_a");
        await EnqueueAsync(message, delivery);

        var lease = await LeaseOnlyAsync(delivery.Id);

        Assert.Equal(
            (message.Id, message.EventType, message.Timestamp, message.CreatedAt, message.Owner, message.IdempotencyKey, message.IdempotencyExpiresAt),
            (lease.Message.Id, lease.Message.EventType, lease.Message.Timestamp, lease.Message.CreatedAt, lease.Message.Owner, lease.Message.IdempotencyKey, lease.Message.IdempotencyExpiresAt));
        Assert.True(payload.AsSpan().SequenceEqual(lease.Message.Payload.Span), "The payload must come back byte for byte (it holds 0x00 bytes).");
        Assert.Equal(
            (delivery.Id, delivery.MessageId, delivery.SubscriptionId, delivery.EventType, delivery.Owner, WebhookDeliveryStatus.Pending, 0, delivery.CreatedAt),
            (lease.Delivery.Id, lease.Delivery.MessageId, lease.Delivery.SubscriptionId, lease.Delivery.EventType, lease.Delivery.Owner, lease.Delivery.Status, lease.Delivery.AttemptCount, lease.Delivery.CreatedAt));
        Assert.False(string.IsNullOrEmpty(lease.LeaseId), "A lease has an id.");
    }

    /// <summary>
    /// Rule: leasing takes due deliveries only, the earliest due first, at most the count asked for.
    /// (Due times are set with release delays, so they are judged on the store's clock.)
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_TakesEarliestDueFirstUpToMax()
    {
        var message = NewMessage();
        var late = NewDelivery(message, "sub_a");
        var early = NewDelivery(message, "sub_b");
        var middle = NewDelivery(message, "sub_c");
        var future = NewDelivery(message, "sub_d");
        await EnqueueAsync(message, late, early, middle, future);
        var leases = (await LeaseAsync()).ToDictionary(l => l.Delivery.Id);
        Assert.Equal(4, leases.Count);
        var step = ShortLease / 2;

        // Released in order of their delays, so each is due later than the one before whatever the timing.
        var since = Stopwatch.GetTimestamp();
        Assert.True(await Store.ReleaseAsync(leases[early.Id], step, Cancellation));
        Assert.True(await Store.ReleaseAsync(leases[middle.Id], step * 2, Cancellation));
        Assert.True(await Store.ReleaseAsync(leases[late.Id], step * 3, Cancellation));
        Assert.True(await Store.ReleaseAsync(leases[future.Id], TimeSpan.FromHours(1), Cancellation));
        await WaitPastAsync(since, step * 3);

        var two = await Store.LeaseAsync(2, LongLease, Cancellation);
        var rest = await LeaseAsync();

        Assert.Equal([early.Id, middle.Id], two.Select(l => l.Delivery.Id));
        Assert.Equal([late.Id], rest.Select(l => l.Delivery.Id));
    }

    /// <summary>
    /// Rule (lease exclusivity): a leased delivery is not leased again while its lease runs; once the
    /// lease has expired (on the store's clock) another caller takes it over, with a new lease id
    /// and a later expiry.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_HeldUntilExpiry_ThenTakenOver()
    {
        var delivery = await EnqueueOneAsync();

        var since = Stopwatch.GetTimestamp();
        var first = await LeaseOnlyAsync(delivery.Id, ShortLease);
        var takeOver = await LeaseWhenDueAsync(delivery.Id, since, ShortLease, "A held lease keeps others out until it expires, then it is taken over");

        Assert.NotEqual(first.LeaseId, takeOver.LeaseId);
        Assert.True(takeOver.ExpiresAt > first.ExpiresAt, "A lease taken later expires later.");
        Assert.Equal(0, takeOver.Delivery.AttemptCount);
    }

    /// <summary>
    /// Rule (lease exclusivity under concurrency): callers leasing at the same moment never get the
    /// same delivery, never more than they asked for, and together get every due delivery. The test
    /// stops at the first delivery handed out twice (a store that re-leases held deliveries would
    /// otherwise keep handing them out forever).
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_ConcurrentCallers_NeverShareADelivery()
    {
        const int Callers = 6;
        const int Batch = 7;
        var all = new List<string>();
        for (int m = 0; m < 20; m++)
        {
            var message = NewMessage();
            var deliveries = Enumerable.Range(0, 10).Select(i => NewDelivery(message, "sub_" + i)).ToArray();
            await EnqueueAsync(message, deliveries);
            all.AddRange(deliveries.Select(d => d.Id));
        }

        var holders = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var violations = new ConcurrentQueue<string>();
        var deadline = DeadlineAfter(WaitLimit + WaitLimit);
        void Take(IReadOnlyList<WebhookLease> batch, int max, string caller)
        {
            if (batch.Count > max)
            {
                violations.Enqueue($"{caller} asked for at most {max} deliveries and got {batch.Count}");
            }

            foreach (var lease in batch)
            {
                if (!holders.TryAdd(lease.Delivery.Id, lease.LeaseId))
                {
                    violations.Enqueue($"delivery {lease.Delivery.Id} was leased to {caller} while another caller held it");
                }
            }
        }

        await RunConcurrentlyAsync(Callers, async c =>
        {
            for (int i = 0; i <= all.Count && violations.IsEmpty && !IsPast(deadline); i++)
            {
                var batch = await Store.LeaseAsync(Batch, LongLease, Cancellation).ConfigureAwait(false);
                Take(batch, Batch, "caller " + c);
                if (batch.Count == 0)
                {
                    break;
                }
            }

            return 0;
        });

        // Whatever a caller gave up on too early (a store may skip rows another caller is locking) is swept up here.
        for (int i = 0; i <= all.Count && violations.IsEmpty && !IsPast(deadline); i++)
        {
            var batch = await Store.LeaseAsync(Batch, LongLease, Cancellation);
            Take(batch, Batch, "the final sweep");
            if (batch.Count == 0)
            {
                break;
            }
        }

        Assert.True(violations.IsEmpty, "Lease exclusivity broken: " + string.Join("; ", violations.Take(3)) + ".");
        Assert.True(holders.Count == all.Count, $"Every due delivery must be leasable: {holders.Count} of {all.Count} were leased.");
        Assert.Equal(all.Order(StringComparer.Ordinal), holders.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>Rule: every lease taken gets a new lease id: across deliveries, and for the same delivery leased again after a release.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Lease_EveryLeaseGetsANewId()
    {
        var message = NewMessage();
        await EnqueueAsync(message, NewDelivery(message, "sub_a"), NewDelivery(message, "sub_b"), NewDelivery(message, "sub_c"));
        var ids = new List<string>();

        for (int round = 0; round < 10; round++)
        {
            var leases = await LeaseAsync();
            Assert.Equal(3, leases.Count);
            foreach (var lease in leases)
            {
                ids.Add(lease.LeaseId);
                Assert.True(await Store.ReleaseAsync(lease, TimeSpan.Zero, Cancellation), "Releasing a lease just taken must succeed.");
            }
        }

        Assert.True(ids.Distinct(StringComparer.Ordinal).Count() == ids.Count, $"Lease ids must be unique per lease taken: {ids.Count - ids.Distinct(StringComparer.Ordinal).Count()} of {ids.Count} repeated.");
    }

    /// <summary>
    /// Rule: completing an attempt with a finishing transition (succeeded or failed) under a held
    /// lease returns <see langword="true"/> and ends the delivery: it is never leased again, not even
    /// after the lease it was completed under would have expired.
    /// </summary>
    /// <param name="succeeded">Whether the attempt succeeded.</param>
    /// <returns>A task.</returns>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CompleteAttempt_Finished_IsNeverLeasedAgain(bool succeeded)
    {
        var delivery = await EnqueueOneAsync();
        var since = Stopwatch.GetTimestamp();
        var lease = await LeaseOnlyAsync(delivery.Id, ShortLease);

        Assert.True(await Store.CompleteAttemptAsync(lease, succeeded ? Ok(1, T0) : Failed(1, T0), Finished(succeeded), Cancellation));
        await WaitPastAsync(since, ShortLease);

        Assert.Empty(await LeaseAsync());
    }

    /// <summary>
    /// Rule: a pending transition makes the delivery due again after its retry delay on the store's
    /// clock (not leasable before, leasable after), with the attempt counted.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task CompleteAttempt_Retry_DueAgainAfterRetryDelay()
    {
        var delivery = await EnqueueOneAsync();
        var lease = await LeaseOnlyAsync(delivery.Id);

        var since = Stopwatch.GetTimestamp();
        Assert.True(await Store.CompleteAttemptAsync(lease, Failed(1, T0), RetryAfter(ShortLease), Cancellation));
        var again = await LeaseWhenDueAsync(delivery.Id, since, ShortLease, "A retry is due after its RetryDelay, not before");

        Assert.Equal((WebhookDeliveryStatus.Pending, 1), (again.Delivery.Status, again.Delivery.AttemptCount));
        Assert.NotEqual(lease.LeaseId, again.LeaseId);
    }

    /// <summary>
    /// Rule: the attempt count is the last attempt's <see cref="WebhookAttempt.Number"/>; a completion
    /// without an attempt (nothing was sent) moves the delivery as told but leaves the count alone.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task CompleteAttempt_WithoutAttempt_KeepsAttemptCount()
    {
        var delivery = await EnqueueOneAsync();
        var first = await LeaseOnlyAsync(delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(first, Failed(1, T0), RetryAfter(TimeSpan.Zero), Cancellation));
        var second = await LeaseOnlyAsync(delivery.Id);
        Assert.Equal(1, second.Delivery.AttemptCount);

        Assert.True(await Store.CompleteAttemptAsync(second, null, RetryAfter(TimeSpan.Zero, "Nothing was sent."), Cancellation));
        var third = await LeaseOnlyAsync(delivery.Id);
        Assert.Equal(1, third.Delivery.AttemptCount);

        Assert.True(await Store.CompleteAttemptAsync(third, null, Finished(false, "The subscription was deleted; nothing was sent."), Cancellation));
        Assert.Empty(await LeaseAsync());
    }

    /// <summary>
    /// Rule ("the lease is still held"): a lease that expired but was not taken over is still held:
    /// completing under it succeeds.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task CompleteAttempt_ExpiredButNotTakenOver_IsAccepted()
    {
        var delivery = await EnqueueOneAsync();
        var since = Stopwatch.GetTimestamp();
        var lease = await LeaseOnlyAsync(delivery.Id, ShortLease);
        await WaitPastAsync(since, ShortLease);

        Assert.True(await Store.CompleteAttemptAsync(lease, Ok(1, T0), Finished(true), Cancellation), "An expired lease nobody took over is still held; completing under it must succeed.");
        Assert.Empty(await LeaseAsync());
    }

    /// <summary>
    /// Rule: once another caller took over an expired lease, the first holder is refused: its
    /// completion returns <see langword="false"/> and writes nothing (the delivery stays pending with
    /// the new holder, its attempt count unchanged).
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task CompleteAttempt_StaleHolderAfterTakeOver_IsRefusedAndWritesNothing()
    {
        var delivery = await EnqueueOneAsync();
        var since = Stopwatch.GetTimestamp();
        var stale = await LeaseOnlyAsync(delivery.Id, ShortLease);
        var current = await LeaseWhenDueAsync(delivery.Id, since, ShortLease, "An expired lease is taken over");

        Assert.False(await Store.CompleteAttemptAsync(stale, Ok(1, T0), Finished(true), Cancellation), "A holder whose lease was taken over must be refused.");

        Assert.True(await Store.ReleaseAsync(current, TimeSpan.Zero, Cancellation), "The refused completion must not end the new holder's lease.");
        var again = await LeaseOnlyAsync(delivery.Id);
        Assert.Equal(0, again.Delivery.AttemptCount);
    }

    /// <summary>
    /// Rule: completing ends the lease: completing again (or releasing) with the same lease is refused
    /// and writes nothing, also after the delivery was leased anew.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task CompleteAttempt_SameLeaseTwice_SecondIsRefused()
    {
        var delivery = await EnqueueOneAsync();
        var lease = await LeaseOnlyAsync(delivery.Id);

        Assert.True(await Store.CompleteAttemptAsync(lease, Failed(1, T0), RetryAfter(TimeSpan.Zero), Cancellation));
        Assert.False(await Store.CompleteAttemptAsync(lease, Failed(2, T0), RetryAfter(TimeSpan.Zero), Cancellation), "A lease already completed must be refused.");
        Assert.False(await Store.ReleaseAsync(lease, TimeSpan.Zero, Cancellation), "A lease already completed cannot be released.");
        var next = await LeaseOnlyAsync(delivery.Id);
        Assert.Equal(1, next.Delivery.AttemptCount);
        Assert.False(await Store.CompleteAttemptAsync(lease, Ok(2, T0), Finished(true), Cancellation), "An old lease must be refused after the delivery was leased anew.");
        Assert.True(await Store.CompleteAttemptAsync(next, Ok(2, T0), Finished(true), Cancellation));
    }

    /// <summary>
    /// Rule: a release with no delay makes the delivery due again at once, records nothing (attempt
    /// count unchanged) and ends the lease (the released lease can neither complete nor release again).
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Release_Now_DueAgainAtOnceWithNothingRecorded()
    {
        var delivery = await EnqueueOneAsync();
        var lease = await LeaseOnlyAsync(delivery.Id);

        Assert.True(await Store.ReleaseAsync(lease, TimeSpan.Zero, Cancellation));
        Assert.False(await Store.ReleaseAsync(lease, TimeSpan.Zero, Cancellation), "A released lease is no longer held.");
        Assert.False(await Store.CompleteAttemptAsync(lease, Ok(1, T0), Finished(true), Cancellation), "A released lease is no longer held.");
        var again = await LeaseOnlyAsync(delivery.Id);

        Assert.Equal((WebhookDeliveryStatus.Pending, 0), (again.Delivery.Status, again.Delivery.AttemptCount));
        Assert.NotEqual(lease.LeaseId, again.LeaseId);
    }

    /// <summary>Rule: a release with a delay (the receiver is busy) makes the delivery due after that delay on the store's clock, not before.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Release_Later_DueAfterTheDelay()
    {
        var delivery = await EnqueueOneAsync();
        var lease = await LeaseOnlyAsync(delivery.Id);

        var since = Stopwatch.GetTimestamp();
        Assert.True(await Store.ReleaseAsync(lease, ShortLease, Cancellation));
        var again = await LeaseWhenDueAsync(delivery.Id, since, ShortLease, "A delivery released with a delay is due after it, not before");

        Assert.Equal(0, again.Delivery.AttemptCount);
    }

    /// <summary>
    /// Rule: releasing a lease that was taken over returns <see langword="false"/> and leaves the new
    /// holder alone: the delivery is not freed for others and the new holder can still complete it.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Release_StaleLease_ReturnsFalseAndLeavesNewHolderAlone()
    {
        var delivery = await EnqueueOneAsync();
        var since = Stopwatch.GetTimestamp();
        var stale = await LeaseOnlyAsync(delivery.Id, ShortLease);
        var current = await LeaseWhenDueAsync(delivery.Id, since, ShortLease, "An expired lease is taken over");

        Assert.False(await Store.ReleaseAsync(stale, TimeSpan.Zero, Cancellation), "A holder whose lease was taken over must be refused.");

        Assert.Empty(await LeaseAsync());
        Assert.True(await Store.CompleteAttemptAsync(current, Ok(1, T0), Finished(true), Cancellation), "The new holder still holds the lease.");
    }

    private sealed class ForeignContext : WebhookEnqueueContext;
}
