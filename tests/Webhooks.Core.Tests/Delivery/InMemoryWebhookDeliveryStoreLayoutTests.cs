using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>
/// The compact layout of the in-memory store (ids kept as numbers, id-sorted arrays with shells,
/// a first-attempt line beside the due queue, attempts out of line) keeps every answer the store gave before.
/// </summary>
public sealed class InMemoryWebhookDeliveryStoreLayoutTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Ids_OfEveryShape_ComeBackExactly_InOrdinalOrder()
    {
        var store = Store(new FakeTimeProvider(T0));
        string canonical = WebhookIds.New(WebhookIds.DeliveryPrefix, T0);
        string[] ids =
        [
            canonical,
            WebhookIds.New(WebhookIds.DeliveryPrefix, T0.AddDays(1)),
            "dlv_1",
            "dlv_" + canonical[4..].ToLowerInvariant(), // lower case: a different id, kept as typed
            "dlv_8" + canonical[5..], // more than 128 bits
            "dlv_" + canonical[4..^1] + "I", // a Crockford alias, not the canonical spelling
            "dlv_" + canonical[4..] + "0", // one character longer
            "msg_" + canonical[4..],
            "zzz",
            "Dlv_" + canonical[4..],
        ];
        await store.EnqueueAsync(Message("msg_1"), ids.Select(id => Delivery(id, "msg_1")).ToArray(), null, default);

        foreach (var id in ids)
        {
            (await store.GetAsync(id, default))!.Delivery.Id.Should().Be(id);
        }

        var expected = ids.OrderDescending(StringComparer.Ordinal).ToArray();
        (await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Limit: 100), default)).Items.Select(d => d.Id).Should().Equal(expected);

        // Paging three at a time from each cursor walks the same order.
        var paged = new List<string>();
        string? cursor = null;
        do
        {
            var page = await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Limit: 3, Cursor: cursor), default);
            paged.AddRange(page.Items.Select(d => d.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        paged.Should().Equal(expected);
        (await store.GetAsync(canonical[..^1] + (canonical[^1] == 'Z' ? "Y" : "Z"), default)).Should().BeNull("no delivery has that id");
    }

    [Fact]
    public async Task Enqueue_OutOfIdOrder_KeepsIdOrderForReads_AndEnqueueOrderForLeasing()
    {
        var store = Store(new FakeTimeProvider(T0));
        var ids = Enumerable.Range(0, 50).Select(i => WebhookIds.New(WebhookIds.DeliveryPrefix, T0.AddSeconds(i))).ToArray();
        var enqueued = ids.Where((_, i) => i % 2 == 0).Concat(ids.Where((_, i) => i % 2 == 1).Reverse()).ToArray();
        foreach (var id in enqueued)
        {
            await store.EnqueueAsync(Message("msg_" + id[4..]), [Delivery(id, "msg_" + id[4..])], null, default);
        }

        (await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Limit: 100), default)).Items.Select(d => d.Id).Should().Equal(ids.Reverse());
        (await store.QueryAsync(new WebhookDeliveryQuery(null, null, Limit: 100), default)).Items.Select(d => d.Id).Should().Equal(ids.Reverse());
        (await store.LeaseAsync(100, TimeSpan.FromMinutes(1), default)).Select(l => l.Delivery.Id).Should().Equal(enqueued, "all are due at the same time: first enqueued, first leased");
    }

    [Fact]
    public async Task DuplicateId_IsRefused_ButAnIdDroppedByRetentionMayComeBack()
    {
        var store = Store(new FakeTimeProvider(T0), retained: 1);
        var id = WebhookIds.New(WebhookIds.DeliveryPrefix, T0);
        await store.EnqueueAsync(Message("msg_1"), [Delivery(id, "msg_1")], null, default);
        await store.EnqueueAsync(Message("msg_2"), [Delivery("dlv_x", "msg_2")], null, default);

        var duplicate = () => store.EnqueueAsync(Message("msg_3"), [Delivery(id, "msg_3")], null, default);
        await duplicate.Should().ThrowAsync<ArgumentException>();

        // Finish both: retention keeps one, so the first is dropped and its id is free again.
        foreach (var lease in await store.LeaseAsync(10, TimeSpan.FromMinutes(1), default))
        {
            (await store.CompleteAttemptAsync(lease, Ok(1), new(WebhookDeliveryStatus.Succeeded), default)).Should().BeTrue();
        }

        (await store.GetAsync(id, default)).Should().BeNull();
        await store.EnqueueAsync(Message("msg_4"), [Delivery(id, "msg_4")], null, default);
        var again = (await store.GetAsync(id, default))!;
        again.Delivery.MessageId.Should().Be("msg_4");
        again.Delivery.Status.Should().Be(WebhookDeliveryStatus.Pending);
        again.Attempts.Should().BeEmpty();
        (await store.QueryAsync(new WebhookDeliveryQuery(null, "sub_1", Limit: 10), default)).Items.Select(d => d.Id).Should().Equal("dlv_x", id);
    }

    [Fact]
    public async Task ManyDropped_ReadsAndCountsStayRight()
    {
        var store = Store(new FakeTimeProvider(T0), retained: 5);
        var ids = Enumerable.Range(0, 300).Select(i => WebhookIds.New(WebhookIds.DeliveryPrefix, T0)).ToArray();
        await store.EnqueueAsync(Message("msg_1"), ids.Select(id => Delivery(id, "msg_1") with { SubscriptionId = "sub_" + (id[^1] % 3) }).ToArray(), null, default);

        // Finish all but the last ten, in three lease rounds.
        int finished = 0;
        while (finished < 290)
        {
            foreach (var lease in await store.LeaseAsync(Math.Min(100, 290 - finished), TimeSpan.FromMinutes(1), default))
            {
                await store.CompleteAttemptAsync(lease, Ok(1), new(WebhookDeliveryStatus.Succeeded), default);
                finished++;
            }
        }

        var kept = ids[285..];
        var all = await store.QueryAsync(new WebhookDeliveryQuery(null, null, Limit: 100), default);
        all.Items.Select(d => d.Id).Should().Equal(kept.Reverse());
        all.Items.Count(d => d.Status == WebhookDeliveryStatus.Succeeded).Should().Be(5);
        foreach (var id in ids)
        {
            ((await store.GetAsync(id, default)) is not null).Should().Be(kept.Contains(id), id);
        }

        int bySubscription = 0;
        foreach (var sub in new[] { "sub_0", "sub_1", "sub_2" })
        {
            bySubscription += (await store.QueryAsync(new WebhookDeliveryQuery(null, sub, Limit: 100), default)).Items.Count;
        }

        bySubscription.Should().Be(15);
        (await store.GetBacklogAsync(default)).Pending.Should().Be(10);
        (await store.PurgeAsync(T0.AddDays(1), 100, default)).Should().Be(5);
        (await store.QueryAsync(new WebhookDeliveryQuery(null, null, Limit: 100), default)).Items.Select(d => d.Id).Should().Equal(ids[290..].Reverse());
    }

    [Fact]
    public async Task Lease_TakesRetriesAndNewDeliveries_ByDueTime()
    {
        var time = new FakeTimeProvider(T0);
        var store = Store(time);
        await store.EnqueueAsync(Message("msg_1"), [Delivery("dlv_1", "msg_1")], null, default);
        var first = (await store.LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Single();
        await store.CompleteAttemptAsync(first, Failed(1), new(WebhookDeliveryStatus.Pending, TimeSpan.FromSeconds(10)), default); // due at T0 + 10 s

        time.Advance(TimeSpan.FromSeconds(5));
        await store.EnqueueAsync(Message("msg_2"), [Delivery("dlv_2", "msg_2")], null, default); // due at T0 + 5 s
        time.Advance(TimeSpan.FromSeconds(15));
        await store.EnqueueAsync(Message("msg_3"), [Delivery("dlv_3", "msg_3")], null, default); // due at T0 + 20 s

        (await store.LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Select(l => l.Delivery.Id).Should().Equal("dlv_2", "dlv_1", "dlv_3");
    }

    [Fact]
    public async Task ClockSteppingBack_DoesNotHoldANewDeliveryBehindALaterOne()
    {
        var time = new SettableTime { Now = T0.AddSeconds(10) };
        var store = new InMemoryWebhookDeliveryStore(Options.Create(new WebhookOptions()), time);
        await store.EnqueueAsync(Message("msg_1"), [Delivery("dlv_1", "msg_1")], null, default); // due at T0 + 10 s
        time.Now = T0;
        await store.EnqueueAsync(Message("msg_2"), [Delivery("dlv_2", "msg_2")], null, default); // due at T0

        (await store.LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Select(l => l.Delivery.Id).Should().Equal("dlv_2");
        (await store.GetBacklogAsync(default)).Pending.Should().Be(2);
        time.Now = T0.AddSeconds(10);
        (await store.LeaseAsync(10, TimeSpan.FromMinutes(1), default)).Select(l => l.Delivery.Id).Should().Equal("dlv_1");
    }

    [Fact]
    public async Task ExpiredLease_ParkedBehindARedeliveryAndFreedAgain_StillHeldUntilTakenOver()
    {
        var time = new FakeTimeProvider(T0);
        var store = Store(time);
        await store.EnqueueAsync(Message("msg_1"), [Delivery("dlv_a", "msg_1") with { OrderingKey = "k" }, Delivery("dlv_b", "msg_1") with { OrderingKey = "k" }], null, default);
        var a = (await store.LeaseAsync(10, TimeSpan.FromSeconds(30), default)).Single();
        await store.CompleteAttemptAsync(a, Ok(1), new(WebhookDeliveryStatus.Succeeded), default);
        var b = (await store.LeaseAsync(10, TimeSpan.FromSeconds(30), default)).Single();
        b.Delivery.Id.Should().Be("dlv_b");

        // b's lease expires; a comes back first in the line, so b waits behind it instead of being taken over.
        time.Advance(TimeSpan.FromSeconds(31));
        (await store.RedeliverAsync("dlv_a", default)).Should().BeTrue();
        var again = (await store.LeaseAsync(10, TimeSpan.FromSeconds(30), default)).Single();
        again.Delivery.Id.Should().Be("dlv_a");
        await store.CompleteAttemptAsync(again, Ok(2), new(WebhookDeliveryStatus.Succeeded), default);

        // Nobody took b over, so its holder may still report (as with any expired lease not taken over).
        (await store.CompleteAttemptAsync(b, Ok(1), new(WebhookDeliveryStatus.Succeeded), default)).Should().BeTrue();
        (await store.LeaseAsync(10, TimeSpan.FromSeconds(30), default)).Should().BeEmpty();
        (await store.GetAsync("dlv_b", default))!.Delivery.Status.Should().Be(WebhookDeliveryStatus.Succeeded);
    }

    [Fact]
    public async Task AttemptRecord_KeepsEveryAttempt_TheLastError_AndUtcTimes()
    {
        var time = new FakeTimeProvider(T0);
        var store = Store(time);
        await store.EnqueueAsync(Message("msg_1"), [Delivery("dlv_1", "msg_1")], null, default);
        var fresh = (await store.GetAsync("dlv_1", default))!;
        fresh.Delivery.AttemptCount.Should().Be(0);
        fresh.Delivery.LastAttemptAt.Should().BeNull();
        fresh.Delivery.LastStatusCode.Should().BeNull();
        fresh.Delivery.LastError.Should().BeNull();

        var startedAt = new DateTimeOffset(2026, 1, 1, 2, 0, 0, TimeSpan.FromHours(2)); // T0, written at +02:00
        var failed = Failed(1) with { StartedAt = startedAt };
        await store.CompleteAttemptAsync((await store.LeaseAsync(1, TimeSpan.FromMinutes(1), default)).Single(), failed, new(WebhookDeliveryStatus.Pending, TimeSpan.Zero), default);
        var one = (await store.GetAsync("dlv_1", default))!;
        one.Delivery.AttemptCount.Should().Be(1);
        one.Delivery.LastAttemptAt.Should().Be(T0);
        one.Delivery.LastAttemptAt!.Value.Offset.Should().Be(TimeSpan.Zero);
        one.Delivery.LastStatusCode.Should().Be(500);
        one.Delivery.LastError.Should().Be("boom");
        one.Attempts.Should().ContainSingle().Which.StartedAt.Offset.Should().Be(TimeSpan.Zero);

        // A completion that sent nothing keeps the count and the attempts, and its reason becomes the last error.
        await store.CompleteAttemptAsync((await store.LeaseAsync(1, TimeSpan.FromMinutes(1), default)).Single(), null, new(WebhookDeliveryStatus.Pending, TimeSpan.Zero, "paused"), default);
        var paused = (await store.GetAsync("dlv_1", default))!;
        paused.Delivery.AttemptCount.Should().Be(1);
        paused.Delivery.LastError.Should().Be("paused");
        paused.Delivery.LastStatusCode.Should().Be(500);
        paused.Attempts.Should().HaveCount(1);

        time.Advance(TimeSpan.FromMinutes(1));
        await store.CompleteAttemptAsync((await store.LeaseAsync(1, TimeSpan.FromMinutes(1), default)).Single(), Ok(2) with { StartedAt = time.GetUtcNow() }, new(WebhookDeliveryStatus.Succeeded), default);
        var done = (await store.GetAsync("dlv_1", default))!;
        done.Delivery.Status.Should().Be(WebhookDeliveryStatus.Succeeded);
        done.Delivery.AttemptCount.Should().Be(2);
        done.Delivery.LastError.Should().BeNull();
        done.Delivery.LastStatusCode.Should().Be(200);
        done.Delivery.LastAttemptAt.Should().Be(T0.AddMinutes(1));
        done.Delivery.NextAttemptAt.Should().BeNull();
        done.Attempts.Select(a => a.Number).Should().Equal(1, 2);

        var stats = await store.GetStatsAsync(new WebhookStatsQuery(null, null, T0, TimeSpan.FromMinutes(1), 2), default);
        stats.Select(b => (b.Succeeded, b.Failed)).Should().Equal((0, 1), (1, 0));
    }

    [Fact]
    public async Task Delivery_CreatedAtAndAttemptCountOfItsOwn_AreKept()
    {
        var store = Store(new FakeTimeProvider(T0));
        var message = Message("msg_1") with { CreatedAt = T0 };
        var own = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.FromHours(-5));
        await store.EnqueueAsync(message, [Delivery("dlv_1", "msg_1") with { CreatedAt = own, AttemptCount = 3 }, Delivery("dlv_2", "msg_1") with { CreatedAt = default }, Delivery("dlv_3", "msg_1")], null, default);

        var first = (await store.GetAsync("dlv_1", default))!.Delivery;
        first.CreatedAt.Should().Be(own);
        first.CreatedAt.Offset.Should().Be(TimeSpan.Zero);
        first.AttemptCount.Should().Be(3);
        (await store.GetAsync("dlv_2", default))!.Delivery.CreatedAt.Should().Be(default(DateTimeOffset));
        (await store.GetAsync("dlv_3", default))!.Delivery.CreatedAt.Should().Be(T0);
    }

    private static InMemoryWebhookDeliveryStore Store(TimeProvider time, int retained = 1000) =>
        new(Options.Create(new WebhookOptions { InMemoryRetainedDeliveries = retained }), time);

    private static WebhookAttempt Ok(int number) => new() { Number = number, StartedAt = T0, StatusCode = 200 };

    private static WebhookAttempt Failed(int number) =>
        new() { Number = number, StartedAt = T0, StatusCode = 500, ErrorKind = WebhookErrorKind.HttpStatus, Error = "boom" };

    private static WebhookMessage Message(string id) => new() { Id = id, EventType = "e", Timestamp = T0, Payload = "{}"u8.ToArray() };

    private static WebhookDelivery Delivery(string id, string messageId) => new()
    {
        Id = id, MessageId = messageId, SubscriptionId = "sub_1", EventType = "e", CreatedAt = T0, NextAttemptAt = T0,
    };

    private sealed class SettableTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
