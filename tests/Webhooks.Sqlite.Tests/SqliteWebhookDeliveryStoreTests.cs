using System.Collections.Concurrent;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Sqlite.Delivery;
using Webhooks.Sqlite.Tests.Infrastructure;
using static Webhooks.Sqlite.Tests.Infrastructure.Samples;

namespace Webhooks.Sqlite.Tests;

/// <summary>The delivery queue and its capabilities on a SQLite file (until the Webhooks.Testing suites run here).</summary>
public sealed class SqliteWebhookDeliveryStoreTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly SqliteTestFile _file = new();
    private readonly SqliteWebhookDeliveryStore _store;

    public SqliteWebhookDeliveryStoreTests() => _store = _file.Deliveries();

    public void Dispose() => _file.Dispose();

    private DateTimeOffset Now => _file.Clock.GetUtcNow();

    private async Task<(WebhookMessage Message, WebhookDelivery[] Deliveries)> EnqueueAsync(string? owner = "tenant-1", int count = 1, string eventType = "order.created")
    {
        var message = Message(owner, eventType: eventType);
        var deliveries = Enumerable.Range(0, count).Select(i => DeliveryOf(message, $"sub_{i}")).ToArray();
        (await _store.EnqueueAsync(message, deliveries, null, default)).Should().Be(new WebhookEnqueueResult(message.Id, count, false));
        return (message, deliveries);
    }

    [Fact]
    public async Task Enqueue_StoresPendingDeliveriesDueNowOnTheStoreClock()
    {
        var (message, deliveries) = await EnqueueAsync(count: 3);

        foreach (var d in deliveries)
        {
            var details = await _store.GetAsync(d.Id, default);
            details!.Attempts.Should().BeEmpty();
            details.Delivery.Should().BeEquivalentTo(d with { Status = WebhookDeliveryStatus.Pending, NextAttemptAt = Now });
        }

        var leases = await _store.LeaseAsync(10, Lease, default);
        leases.Select(l => l.Delivery.Id).Should().Equal(deliveries.Select(d => d.Id));
        leases[0].Message.Should().BeEquivalentTo(message, o => o.Excluding(m => m.Payload));
        leases[0].Message.Payload.ToArray().Should().Equal(message.Payload.ToArray());
        (await _store.GetAsync("dlv_missing", default)).Should().BeNull();
    }

    [Fact]
    public async Task Enqueue_WithAContext_IsRefused()
    {
        await _store.Invoking(s => s.EnqueueAsync(Message(), [], new OtherContext(), default)).Should().ThrowAsync<WebhookException>().WithMessage("*OtherContext*");
    }

    [Fact]
    public async Task Enqueue_SameKeyWithinWindow_ReturnsTheEarlierMessage_ComparingEngineTimesOnly()
    {
        var first = Message("a", key: "k", createdAt: T0);
        await _store.EnqueueAsync(first, [DeliveryOf(first, "sub_1"), DeliveryOf(first, "sub_2")], null, default);
        _file.FakeClock.Advance(TimeSpan.FromDays(30)); // the store's clock plays no part

        var duplicate = Message("a", key: "k", createdAt: T0.AddMinutes(59)) with { Timestamp = T0.AddYears(1) };
        (await _store.EnqueueAsync(duplicate, [DeliveryOf(duplicate, "sub_1")], null, default)).Should().Be(new WebhookEnqueueResult(first.Id, 2, true));
        var otherOwner = Message("b", key: "k", createdAt: T0.AddMinutes(1));
        (await _store.EnqueueAsync(otherOwner, [], null, default)).IsDuplicate.Should().BeFalse();
        var afterWindow = Message("a", key: "k", createdAt: T0.AddHours(1));
        (await _store.EnqueueAsync(afterWindow, [], null, default)).Should().Be(new WebhookEnqueueResult(afterWindow.Id, 0, false));
        _file.Scalar<long>("SELECT count(*) FROM deliveries").Should().Be(2);
    }

    [Fact]
    public async Task Enqueue_ConcurrentWithOneKey_StoresExactlyOneMessage()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            var m = Message("a", key: "same");
            return _store.EnqueueAsync(m, [DeliveryOf(m, "sub_1")], null, default);
        })));

        results.Count(r => !r.IsDuplicate).Should().Be(1);
        results.Select(r => r.MessageId).Distinct().Should().ContainSingle();
        _file.Scalar<long>("SELECT count(*) FROM messages").Should().Be(1);
    }

    [Fact]
    public async Task Lease_ConcurrentCallers_NeverShareADelivery_AndExpiredLeasesAreTakenOver()
    {
        var all = new List<string>();
        for (int i = 0; i < 10; i++)
        {
            all.AddRange((await EnqueueAsync(count: 10)).Deliveries.Select(d => d.Id));
        }

        var taken = new ConcurrentBag<WebhookLease>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            foreach (var lease in await _store.LeaseAsync(20, Lease, default))
            {
                taken.Add(lease);
            }
        })));

        taken.Select(l => l.Delivery.Id).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(all);
        (await _store.LeaseAsync(10, Lease, default)).Should().BeEmpty("every lease is still running");

        _file.FakeClock.Advance(Lease);
        var again = await _store.LeaseAsync(200, Lease, default);
        again.Should().HaveCount(100, "a crashed holder's deliveries are taken over at expiry");
        again.Select(l => l.LeaseId).Should().NotIntersectWith(taken.Select(l => l.LeaseId));
        var stale = taken.First();
        (await _store.CompleteAttemptAsync(stale, Attempt(1, Now), new(WebhookDeliveryStatus.Succeeded), default)).Should().BeFalse();
        (await _store.ReleaseAsync(stale, TimeSpan.Zero, default)).Should().BeFalse();
    }

    [Fact]
    public async Task Lease_EarliestDueFirst()
    {
        var (_, early) = await EnqueueAsync();
        _file.FakeClock.Advance(TimeSpan.FromSeconds(1));
        var (_, late) = await EnqueueAsync();
        var lease = (await _store.LeaseAsync(1, Lease, default)).Single();
        lease.Delivery.Id.Should().Be(early[0].Id);
        await _store.ReleaseAsync(lease, TimeSpan.FromSeconds(5), default);

        (await _store.LeaseAsync(1, Lease, default)).Single().Delivery.Id.Should().Be(late[0].Id);
        _file.FakeClock.Advance(TimeSpan.FromSeconds(5));
        (await _store.LeaseAsync(5, Lease, default)).Single().Delivery.Id.Should().Be(early[0].Id);
    }

    [Fact]
    public async Task CompleteAttempt_HeldLease_RecordsTheAttemptAndMovesTheDelivery_EvenAfterExpiry()
    {
        var (_, deliveries) = await EnqueueAsync();
        var lease = (await _store.LeaseAsync(1, Lease, default)).Single();
        _file.FakeClock.Advance(Lease * 2); // expired, but nobody took it over: still held
        var failed = Attempt(1, Now, 503);

        (await _store.CompleteAttemptAsync(lease, failed, new(WebhookDeliveryStatus.Pending, TimeSpan.FromMinutes(1), "not the attempt's error"), default)).Should().BeTrue();
        (await _store.CompleteAttemptAsync(lease, failed, new(WebhookDeliveryStatus.Pending), default)).Should().BeFalse("completing ends the lease");

        var details = await _store.GetAsync(deliveries[0].Id, default);
        details!.Attempts.Should().Equal(failed);
        details.Delivery.Should().BeEquivalentTo(deliveries[0] with
        {
            Status = WebhookDeliveryStatus.Pending, AttemptCount = 1, NextAttemptAt = Now.AddMinutes(1), LastAttemptAt = failed.StartedAt, LastStatusCode = 503, LastError = "HTTP 503",
        });
        (await _store.LeaseAsync(1, Lease, default)).Should().BeEmpty("due after the retry delay");
        _file.FakeClock.Advance(TimeSpan.FromMinutes(1));
        var retry = (await _store.LeaseAsync(1, Lease, default)).Single();
        var ok = Attempt(2, Now);
        (await _store.CompleteAttemptAsync(retry, ok, new(WebhookDeliveryStatus.Succeeded), default)).Should().BeTrue();
        (await _store.GetAsync(deliveries[0].Id, default))!.Delivery.Should().BeEquivalentTo(deliveries[0] with
        {
            Status = WebhookDeliveryStatus.Succeeded, AttemptCount = 2, NextAttemptAt = null, LastAttemptAt = ok.StartedAt, LastStatusCode = 200, LastError = null,
        });
    }

    [Fact]
    public async Task CompleteAttempt_NothingSent_KeepsTheCountStoresTheReasonAndIsNotCounted()
    {
        var (_, deliveries) = await EnqueueAsync();
        var lease = (await _store.LeaseAsync(1, Lease, default)).Single();
        await _store.CompleteAttemptAsync(lease, Attempt(1, Now, 500), new(WebhookDeliveryStatus.Pending), default);
        lease = (await _store.LeaseAsync(1, Lease, default)).Single();

        (await _store.CompleteAttemptAsync(lease, null, new(WebhookDeliveryStatus.Failed, Reason: "The subscription was deleted."), default)).Should().BeTrue();

        var details = await _store.GetAsync(deliveries[0].Id, default);
        details!.Attempts.Should().ContainSingle();
        details.Delivery.Status.Should().Be(WebhookDeliveryStatus.Failed);
        details.Delivery.AttemptCount.Should().Be(1);
        details.Delivery.LastStatusCode.Should().Be(500);
        details.Delivery.LastError.Should().Be("The subscription was deleted.");
        var stats = await _store.GetStatsAsync(new WebhookStatsQuery("tenant-1", null, T0, TimeSpan.FromMinutes(1), 1), default);
        stats.Should().Equal(new WebhookStatsBucket(T0, 0, 1));
    }

    [Fact]
    public async Task Release_HeldLease_DueAgainAfterTheDelayWithoutAnAttempt()
    {
        var (_, deliveries) = await EnqueueAsync();
        var lease = (await _store.LeaseAsync(1, Lease, default)).Single();

        (await _store.ReleaseAsync(lease, TimeSpan.FromSeconds(10), default)).Should().BeTrue();
        (await _store.ReleaseAsync(lease, TimeSpan.Zero, default)).Should().BeFalse();

        var delivery = (await _store.GetAsync(deliveries[0].Id, default))!.Delivery;
        delivery.AttemptCount.Should().Be(0);
        delivery.NextAttemptAt.Should().Be(Now.AddSeconds(10));
    }

    [Fact]
    public async Task Query_OneOwnersDeliveriesNewestFirstWithFiltersAndPaging()
    {
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.AddRange((await EnqueueAsync("a", 2, i == 1 ? "invoice.paid" : "order.created")).Deliveries.Select(d => d.Id));
        }

        await EnqueueAsync("b", 2);
        await EnqueueAsync(null, 1);
        var lease = (await _store.LeaseAsync(100, Lease, default)).First(l => l.Delivery.Id == ids[0]);
        await _store.CompleteAttemptAsync(lease, Attempt(1, Now), new(WebhookDeliveryStatus.Succeeded), default);
        ids.Reverse();

        var first = await _store.QueryAsync(new WebhookDeliveryQuery("a", Limit: 4), default);
        var rest = await _store.QueryAsync(new WebhookDeliveryQuery("a", Limit: 4, Cursor: first.NextCursor), default);

        first.Items.Concat(rest.Items).Select(d => d.Id).Should().Equal(ids);
        rest.NextCursor.Should().BeNull();
        (await _store.QueryAsync(new WebhookDeliveryQuery("a", SubscriptionId: "sub_1"), default)).Items.Should().HaveCount(3).And.OnlyContain(d => d.SubscriptionId == "sub_1");
        (await _store.QueryAsync(new WebhookDeliveryQuery("a", EventType: "invoice.paid"), default)).Items.Should().HaveCount(2);
        (await _store.QueryAsync(new WebhookDeliveryQuery("a", Status: WebhookDeliveryStatus.Succeeded), default)).Items.Single().Id.Should().Be(ids[^1]);
        (await _store.QueryAsync(new WebhookDeliveryQuery(null), default)).Items.Should().ContainSingle();
    }

    [Fact]
    public async Task Redeliver_And_RequeueFailed_MakeFinishedDeliveriesPendingAndDueNow()
    {
        var (_, deliveries) = await EnqueueAsync(count: 2);
        (await _store.RedeliverAsync(deliveries[0].Id, default)).Should().BeFalse("still pending");
        foreach (var lease in await _store.LeaseAsync(2, Lease, default))
        {
            await _store.CompleteAttemptAsync(lease, Attempt(1, Now, 500), new(WebhookDeliveryStatus.Failed), default);
        }

        _file.FakeClock.Advance(TimeSpan.FromHours(1));
        (await _store.RedeliverAsync(deliveries[0].Id, default)).Should().BeTrue();
        (await _store.RedeliverAsync("dlv_missing", default)).Should().BeFalse();
        (await _store.RequeueFailedAsync("sub_1", T0.AddSeconds(1), default)).Should().Be(0, "created before 'since'");
        (await _store.RequeueFailedAsync("sub_1", T0, default)).Should().Be(1);

        var details = await _store.GetAsync(deliveries[0].Id, default);
        details!.Delivery.Should().Match<WebhookDelivery>(d => d.Status == WebhookDeliveryStatus.Pending && d.AttemptCount == 1 && d.NextAttemptAt == Now);
        details.Attempts.Should().ContainSingle("attempts are kept");
        (await _store.LeaseAsync(5, Lease, default)).Should().HaveCount(2);
    }

    [Fact]
    public async Task GetStats_CountsAttemptsPerBucketForTheOwnerOrOneSubscription()
    {
        var (_, deliveries) = await EnqueueAsync("a", 3);
        await EnqueueAsync("b", 1);
        var leases = await _store.LeaseAsync(10, Lease, default);
        var results = new[] { (0, 200), (0, 500), (2, 200), (5, 200) }; // minute, status
        for (int i = 0; i < leases.Count; i++)
        {
            var (minute, status) = results[i];
            await _store.CompleteAttemptAsync(leases[i], Attempt(1, T0.AddMinutes(minute).AddSeconds(59), status), new(WebhookDeliveryStatus.Pending), default);
        }

        var stats = await _store.GetStatsAsync(new WebhookStatsQuery("a", null, T0, TimeSpan.FromMinutes(1), 4), default);
        stats.Should().Equal(
            new WebhookStatsBucket(T0, 1, 1), new WebhookStatsBucket(T0.AddMinutes(1), 0, 0),
            new WebhookStatsBucket(T0.AddMinutes(2), 1, 0), new WebhookStatsBucket(T0.AddMinutes(3), 0, 0));
        (await _store.GetStatsAsync(new WebhookStatsQuery("a", deliveries[1].SubscriptionId, T0, TimeSpan.FromMinutes(5), 1), default))
            .Should().Equal(new WebhookStatsBucket(T0, 0, 1));
    }

    [Fact]
    public async Task Purge_RemovesOldFinishedDeliveriesInBatches_KeepsPendingAndLiveIdempotencyKeys()
    {
        var keyed = Message("a", key: "k", createdAt: T0) with { IdempotencyExpiresAt = T0.AddDays(2) };
        await _store.EnqueueAsync(keyed, [DeliveryOf(keyed, "sub_1")], null, default);
        var (plain, plainDeliveries) = await EnqueueAsync("a", 2);
        var (_, pending) = await EnqueueAsync("a", 1);
        var empty = Message("a");
        await _store.EnqueueAsync(empty, [], null, default);
        var leases = await _store.LeaseAsync(10, Lease, default);
        foreach (var lease in leases.Where(l => l.Delivery.Id != pending[0].Id))
        {
            await _store.CompleteAttemptAsync(lease, Attempt(1, Now), new(WebhookDeliveryStatus.Succeeded), default);
        }

        var cutoff = T0.AddDays(1);
        (await _store.PurgeAsync(cutoff, 2, default)).Should().Be(2);
        (await _store.PurgeAsync(cutoff, 2, default)).Should().Be(1);
        (await _store.PurgeAsync(cutoff, 2, default)).Should().Be(0);

        _file.Column("SELECT id FROM deliveries").Should().Equal(pending[0].Id);
        _file.Scalar<long>("SELECT count(*) FROM attempts").Should().Be(0);
        _file.Column("SELECT id FROM messages ORDER BY id").Should().NotContain([plain.Id, empty.Id]).And.Contain(keyed.Id, "its key is live until after the cutoff");
        (await _store.GetStatsAsync(new WebhookStatsQuery("a", null, T0, TimeSpan.FromMinutes(1), 1), default)).Single().Succeeded.Should().Be(0);
        (await _store.EnqueueAsync(Message("a", key: "k", createdAt: T0.AddHours(2)), [], null, default)).IsDuplicate.Should().BeTrue();
        _ = plainDeliveries;
    }

    private sealed class OtherContext : WebhookEnqueueContext;
}
