using System.Diagnostics;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryLog"/> as tests, for a delivery store that also
/// implements the log: derive a class, return the store from
/// <see cref="StoreConformanceTests{TStore}.CreateStoreAsync"/>, and these tests check what the
/// queue wrote is read back exactly: deliveries with their last-attempt fields, attempts in order
/// with every field, per-owner queries newest first with filters and cursors.
/// </summary>
public abstract class DeliveryLogConformanceTests : DeliveryStoreConformanceTestBase
{
    /// <summary>The store under test as a log.</summary>
    protected IWebhookDeliveryLog Log => Store as IWebhookDeliveryLog
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IWebhookDeliveryLog; derive only from the suites of the capabilities it implements.");

    /// <summary>
    /// Rule: an enqueued delivery reads back pending, unattempted, with every field as enqueued,
    /// <see cref="WebhookDelivery.Owner"/> being its message's owner, a due time, and no attempts.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Get_AfterEnqueue_ReturnsPendingDeliveryWithoutAttempts()
    {
        var message = NewMessage("tenant-1", T0.AddMilliseconds(250)) with { EventType = "invoice.paid" };
        var deliveries = new[] { NewDelivery(message, "sub_a"), NewDelivery(message, "sub_b") };
        await EnqueueAsync(message, deliveries);

        foreach (var d in deliveries)
        {
            var details = await Log.GetAsync(d.Id, Cancellation);

            Assert.NotNull(details);
            Assert.Empty(details.Attempts);
            var stored = details.Delivery;
            Assert.Equal(
                (d.Id, message.Id, d.SubscriptionId, "invoice.paid", (string?)"tenant-1", WebhookDeliveryStatus.Pending, 0, d.CreatedAt),
                (stored.Id, stored.MessageId, stored.SubscriptionId, stored.EventType, stored.Owner, stored.Status, stored.AttemptCount, stored.CreatedAt));
            Assert.NotNull(stored.NextAttemptAt);
            Assert.Equal(((DateTimeOffset?)null, (int?)null, (string?)null), (stored.LastAttemptAt, stored.LastStatusCode, stored.LastError));
        }
    }

    /// <summary>Rule: an unknown delivery id reads as <see langword="null"/>.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Get_UnknownId_ReturnsNull()
    {
        Assert.Null(await Log.GetAsync(WebhookIds.New(WebhookIds.DeliveryPrefix, T0), Cancellation));
    }

    /// <summary>
    /// Rule: every completed attempt is kept, first to last, with every field exactly (the response
    /// excerpt as given, text with line breaks and non-ASCII); after each, the delivery's attempt
    /// count, last-attempt time, status code and error are the last attempt's, and a finished
    /// delivery has no due time.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Get_ReturnsAttemptsInOrderWithEveryField()
    {
        var delivery = await EnqueueOneAsync(owner: "tenant-1");
        var busy = new WebhookAttempt
        {
            Number = 1,
            StartedAt = T0.AddSeconds(1).AddMilliseconds(5),
            Duration = TimeSpan.FromMilliseconds(12),
            StatusCode = 503,
            ResponseExcerpt = "{\"error\":\"busy\"}\r\n<html>Ünïcödé ✓ 🚀</html>",
            ErrorKind = WebhookErrorKind.HttpStatus,
            Error = "The receiver answered 503.",
        };
        var timeout = new WebhookAttempt { Number = 2, StartedAt = T0.AddMinutes(1), Duration = TimeSpan.FromSeconds(15), ErrorKind = WebhookErrorKind.Timeout, Error = "Timed out after 15 s." };
        var ok = new WebhookAttempt { Number = 3, StartedAt = T0.AddMinutes(5), Duration = TimeSpan.FromMilliseconds(250), StatusCode = 204, ResponseExcerpt = "" };

        var lease = await LeaseOnlyAsync(delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, busy, RetryAfter(TimeSpan.Zero), Cancellation));
        var afterBusy = (await Log.GetAsync(delivery.Id, Cancellation))!.Delivery;
        lease = await LeaseOnlyAsync(delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, timeout, RetryAfter(TimeSpan.Zero), Cancellation));
        var afterTimeout = (await Log.GetAsync(delivery.Id, Cancellation))!.Delivery;
        lease = await LeaseOnlyAsync(delivery.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, ok, Finished(true), Cancellation));
        var details = await Log.GetAsync(delivery.Id, Cancellation);

        Assert.Equal((WebhookDeliveryStatus.Pending, 1, (DateTimeOffset?)busy.StartedAt, (int?)503, busy.Error), (afterBusy.Status, afterBusy.AttemptCount, afterBusy.LastAttemptAt, afterBusy.LastStatusCode, afterBusy.LastError));
        Assert.Equal((WebhookDeliveryStatus.Pending, 2, (DateTimeOffset?)timeout.StartedAt, (int?)null, timeout.Error), (afterTimeout.Status, afterTimeout.AttemptCount, afterTimeout.LastAttemptAt, afterTimeout.LastStatusCode, afterTimeout.LastError));
        Assert.NotNull(details);
        Assert.Equal([busy, timeout, ok], details.Attempts);
        var done = details.Delivery;
        Assert.Equal((WebhookDeliveryStatus.Succeeded, 3, (DateTimeOffset?)ok.StartedAt, (int?)204, (string?)null, (DateTimeOffset?)null), (done.Status, done.AttemptCount, done.LastAttemptAt, done.LastStatusCode, done.LastError, done.NextAttemptAt));
        Assert.Equal("tenant-1", done.Owner);
    }

    /// <summary>
    /// Rule: a completion without an attempt (nothing was sent: the subscription was deleted or
    /// disabled) adds no attempt, keeps the attempt count, and stores the transition's reason as the
    /// delivery's last error.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task CompleteAttempt_WithoutAttempt_KeepsCountAndStoresReasonAsLastError()
    {
        const string Reason = "The subscription was deleted; nothing was sent.";
        var attempted = await EnqueueOneAsync("sub_a");
        var lease = await LeaseOnlyAsync(attempted.Id);
        var first = Failed(1, T0);
        Assert.True(await Store.CompleteAttemptAsync(lease, first, RetryAfter(TimeSpan.Zero), Cancellation));
        lease = await LeaseOnlyAsync(attempted.Id);
        Assert.True(await Store.CompleteAttemptAsync(lease, null, Finished(false, Reason), Cancellation));
        var never = await AttemptAsync("sub_b", null, null, Finished(false, Reason));

        var a = await Log.GetAsync(attempted.Id, Cancellation);
        var n = await Log.GetAsync(never.Id, Cancellation);

        Assert.Equal((WebhookDeliveryStatus.Failed, 1, Reason), (a!.Delivery.Status, a.Delivery.AttemptCount, a.Delivery.LastError));
        Assert.Equal([first], a.Attempts);
        Assert.Equal((WebhookDeliveryStatus.Failed, 0, Reason), (n!.Delivery.Status, n.Delivery.AttemptCount, n.Delivery.LastError));
        Assert.Empty(n.Attempts);
    }

    /// <summary>Rule: a refused completion (the lease was taken over) writes no attempt; the new holder's attempt is the only one.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task CompleteAttempt_StaleHolder_WritesNoAttempt()
    {
        var delivery = await EnqueueOneAsync();
        var since = Stopwatch.GetTimestamp();
        var stale = await LeaseOnlyAsync(delivery.Id, ShortLease);
        var current = await LeaseWhenDueAsync(delivery.Id, since, ShortLease, "An expired lease is taken over");

        Assert.False(await Store.CompleteAttemptAsync(stale, Failed(1, T0), Finished(false), Cancellation));
        Assert.True(await Store.CompleteAttemptAsync(current, Ok(1, T0.AddSeconds(1)), Finished(true), Cancellation));

        var details = await Log.GetAsync(delivery.Id, Cancellation);
        Assert.Equal([Ok(1, T0.AddSeconds(1))], details!.Attempts);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, details.Delivery.Status);
    }

    /// <summary>Rule: a release records nothing: no attempt, attempt count and last error unchanged.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Release_RecordsNothing()
    {
        var delivery = await EnqueueOneAsync();
        var lease = await LeaseOnlyAsync(delivery.Id);

        Assert.True(await Store.ReleaseAsync(lease, TimeSpan.FromMinutes(1), Cancellation));
        var details = await Log.GetAsync(delivery.Id, Cancellation);

        Assert.Empty(details!.Attempts);
        Assert.Equal((WebhookDeliveryStatus.Pending, 0, (string?)null), (details.Delivery.Status, details.Delivery.AttemptCount, details.Delivery.LastError));
    }

    /// <summary>
    /// Rule: a query returns one owner's deliveries only (across all its subscriptions), newest first
    /// (descending id), at most <c>Limit</c> per page; following each page's cursor visits each once,
    /// and the last page has no cursor.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Query_PagesOwnersDeliveriesNewestFirst()
    {
        var mine = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            var message = NewMessage("tenant-1", T0.AddSeconds(i));
            var a = NewDelivery(message, "sub_a");
            var b = NewDelivery(message, "sub_b");
            await EnqueueAsync(message, a, b);
            mine.Add(a.Id);
            mine.Add(b.Id);
            var theirs = NewMessage("tenant-2", T0.AddSeconds(i));
            await EnqueueAsync(theirs, NewDelivery(theirs, "sub_c"));
        }

        var pages = new List<IReadOnlyList<WebhookDelivery>>();
        string? cursor = null;
        do
        {
            var page = await Log.QueryAsync(new WebhookDeliveryQuery("tenant-1", Limit: 3, Cursor: cursor), Cancellation);
            pages.Add(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null && pages.Count < 10);

        Assert.Equal(mine.OrderDescending(StringComparer.Ordinal), pages.SelectMany(p => p).Select(d => d.Id));
        Assert.Equal([3, 3, 2], pages.Select(p => p.Count));
        Assert.All(pages.SelectMany(p => p), d => Assert.Equal("tenant-1", d.Owner));
        Assert.Equal(4, (await Log.QueryAsync(new WebhookDeliveryQuery("tenant-2"), Cancellation)).Items.Count);
        Assert.Empty((await Log.QueryAsync(new WebhookDeliveryQuery("tenant-3"), Cancellation)).Items);
    }

    /// <summary>Rule: a <see langword="null"/> owner queries the ownerless deliveries only, not everyone's.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Query_NullOwner_ReturnsOnlyOwnerless()
    {
        var app = await EnqueueOneAsync("sub_a", owner: null);
        await EnqueueOneAsync("sub_a", owner: "tenant-1");

        var page = await Log.QueryAsync(new WebhookDeliveryQuery(null), Cancellation);

        Assert.Equal([app.Id], page.Items.Select(d => d.Id));
        Assert.Null(page.Items[0].Owner);
    }

    /// <summary>
    /// Rule: the subscription, status and event type filters each narrow the owner's deliveries
    /// (exact matches), combine with each other, and page with cursors.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Query_FiltersBySubscriptionStatusAndEventType()
    {
        var ok = await FinishAsync("sub_a", T0, true, "tenant-1");
        var failed = await FinishAsync("sub_a", T0.AddSeconds(1), false, "tenant-1");
        var otherSub = await FinishAsync("sub_b", T0.AddSeconds(2), true, "tenant-1");
        var paid1 = await EnqueueOneAsync("sub_a", "tenant-1", T0.AddSeconds(3), "invoice.paid");
        var paid2 = await EnqueueOneAsync("sub_a", "tenant-1", T0.AddSeconds(4), "invoice.paid");
        var paid3 = await EnqueueOneAsync("sub_a", "tenant-1", T0.AddSeconds(5), "invoice.paid");
        await EnqueueOneAsync("sub_a", "tenant-2", T0.AddSeconds(6), "invoice.paid");

        async Task<List<string>> Ids(WebhookDeliveryQuery q) => [.. (await Log.QueryAsync(q, Cancellation)).Items.Select(d => d.Id)];

        Assert.Equal([paid3.Id, paid2.Id, paid1.Id, failed.Id, ok.Id], await Ids(new("tenant-1", SubscriptionId: "sub_a")));
        Assert.Equal([otherSub.Id, ok.Id], await Ids(new("tenant-1", Status: WebhookDeliveryStatus.Succeeded)));
        Assert.Equal([failed.Id], await Ids(new("tenant-1", Status: WebhookDeliveryStatus.Failed)));
        Assert.Equal([ok.Id], await Ids(new("tenant-1", SubscriptionId: "sub_a", Status: WebhookDeliveryStatus.Succeeded)));
        Assert.Equal([paid3.Id, paid2.Id, paid1.Id], await Ids(new("tenant-1", EventType: "invoice.paid")));
        Assert.Equal([paid3.Id, paid2.Id, paid1.Id], await Ids(new("tenant-1", SubscriptionId: "sub_a", Status: WebhookDeliveryStatus.Pending, EventType: "invoice.paid")));
        Assert.Empty(await Ids(new("tenant-1", EventType: "invoice")));
        Assert.Empty(await Ids(new("tenant-1", SubscriptionId: "sub_b", EventType: "invoice.paid")));
        Assert.Empty(await Ids(new("tenant-1", SubscriptionId: "sub_unknown")));

        var page1 = await Log.QueryAsync(new("tenant-1", Status: WebhookDeliveryStatus.Pending, Limit: 2), Cancellation);
        var page2 = await Log.QueryAsync(new("tenant-1", Status: WebhookDeliveryStatus.Pending, Limit: 2, Cursor: page1.NextCursor), Cancellation);
        Assert.Equal([paid3.Id, paid2.Id], page1.Items.Select(d => d.Id));
        Assert.Equal([paid1.Id], page2.Items.Select(d => d.Id));
        Assert.Null(page2.NextCursor);
    }

    /// <summary>Rule: a cursor is an id to compare with (return only smaller ids), not a position or a row to look up.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Query_CursorIsComparedNotLookedUp()
    {
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add((await EnqueueOneAsync("sub_a", "tenant-1", T0.AddSeconds(i))).Id);
        }

        // Sorts just after ids[2] and before ids[3], but names no delivery.
        var between = ids[2] + "0";
        var page = await Log.QueryAsync(new WebhookDeliveryQuery("tenant-1", Cursor: between), Cancellation);

        Assert.Equal([ids[2], ids[1], ids[0]], page.Items.Select(d => d.Id));
    }
}
