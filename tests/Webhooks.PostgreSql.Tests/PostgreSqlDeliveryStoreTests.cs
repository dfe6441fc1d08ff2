using Npgsql;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.PostgreSql.Delivery;
using Webhooks.PostgreSql.Tests.Infrastructure;

using static Webhooks.PostgreSql.Tests.Infrastructure.StoreData;

namespace Webhooks.PostgreSql.Tests;

/// <summary>
/// What only the PostgreSQL delivery store can get wrong: the database's clock, text columns that
/// refuse NUL, idempotency on the engine's clock, and writes through the app's transaction on a small pool.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryStoreTests(PostgresCluster cluster)
{
    /// <summary>
    /// Defect 1: a receiver that answers with a NUL byte made the attempt unrecordable (<c>text</c>
    /// refuses 0x00), so the delivery was sent again every lease period, forever. The store writes
    /// such text with the NUL replaced by U+FFFD, and the attempt is recorded.
    /// </summary>
    [Fact]
    public async Task CompleteAttempt_ExcerptAndErrorWithNul_AreRecordedWithTheNulReplaced()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "nul");
        var store = stores.Deliveries;
        await EnqueueAsync(store, "msg_nul", "dlv_nul");
        var lease = Assert.Single(await store.LeaseAsync(10, Hour, default));

        var recorded = await store.CompleteAttemptAsync(lease, new WebhookAttempt
        {
            Number = 1,
            StartedAt = DateTimeOffset.UtcNow,
            StatusCode = 500,
            ResponseExcerpt = "bin\0ary\0",
            ErrorKind = WebhookErrorKind.HttpStatus,
            Error = "HTTP 500: \0\uD800",
        }, new(WebhookDeliveryStatus.Pending, Hour), default);

        recorded.Should().BeTrue();
        var details = (await store.GetAsync("dlv_nul", default))!;
        var attempt = details.Attempts.Should().ContainSingle().Subject;
        attempt.ResponseExcerpt.Should().Be("bin\uFFFDary\uFFFD");
        attempt.Error.Should().Be("HTTP 500: \uFFFD\uFFFD", "a lone surrogate would fail the UTF-8 encoding just the same");
        details.Delivery.LastError.Should().Be("HTTP 500: \uFFFD\uFFFD");
        details.Delivery.AttemptCount.Should().Be(1);
    }

    /// <summary>Defect 1, the attempt-less path: a reason with a NUL is stored as the last error too.</summary>
    [Fact]
    public async Task CompleteAttempt_NothingSentReasonWithNul_IsRecorded()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "nul_reason");
        await EnqueueAsync(stores.Deliveries, "msg_r", "dlv_r");
        var lease = Assert.Single(await stores.Deliveries.LeaseAsync(10, Hour, default));

        (await stores.Deliveries.CompleteAttemptAsync(lease, null, new(WebhookDeliveryStatus.Failed, Reason: "gone\0"), default)).Should().BeTrue();

        var details = (await stores.Deliveries.GetAsync("dlv_r", default))!;
        details.Delivery.LastError.Should().Be("gone\uFFFD");
        details.Attempts.Should().BeEmpty();
    }

    /// <summary>
    /// Defect 5: the idempotency window is measured from the new message's <c>CreatedAt</c> (engine
    /// clock), never from the caller-settable <c>Timestamp</c>: a future timestamp does not bypass
    /// deduplication, and a back-dated one does not suppress a publish after the window.
    /// </summary>
    [Fact]
    public async Task Enqueue_IdempotencyWindow_IsJudgedOnCreatedAtNotTimestamp()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "idem_clock");
        var store = stores.Deliveries;
        var t = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        WebhookMessage Keyed(string id, DateTimeOffset createdAt, DateTimeOffset timestamp) => new()
        {
            Id = id, EventType = "e", Owner = "o", IdempotencyKey = "k", CreatedAt = createdAt,
            IdempotencyExpiresAt = createdAt + Hour, Timestamp = timestamp, Payload = "{}"u8.ToArray(),
        };

        (await store.EnqueueAsync(Keyed("msg_1", t, t), [], null, default)).IsDuplicate.Should().BeFalse();
        var futureTimestamp = await store.EnqueueAsync(Keyed("msg_2", t.AddMinutes(30), t.AddDays(10)), [], null, default);
        var backDated = await store.EnqueueAsync(Keyed("msg_3", t.AddHours(2), t), [], null, default);

        futureTimestamp.Should().Be(new WebhookEnqueueResult("msg_1", 0, IsDuplicate: true), "30 minutes after the first is inside its hour");
        backDated.IsDuplicate.Should().BeFalse("two hours after the first is past its hour, whatever the timestamp says");
        backDated.MessageId.Should().Be("msg_3");
    }

    /// <summary>Due times and lease expiry are the database's: a lease is held for its duration from the database's now, then taken over.</summary>
    [Fact]
    public async Task Lease_ExpiryIsTheDatabaseClockPlusDuration_ThenTakenOver()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "clock");
        var store = stores.Deliveries;
        await EnqueueAsync(store, "msg_c", "dlv_c");
        var duration = TimeSpan.FromSeconds(1);

        var before = await stores.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        var first = Assert.Single(await store.LeaseAsync(10, duration, default));
        var after = await stores.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        var whileHeld = await store.LeaseAsync(10, duration, default);

        first.ExpiresAt.UtcDateTime.Should().BeOnOrAfter(before + duration).And.BeOnOrBefore(after + duration);
        whileHeld.Should().BeEmpty();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        IReadOnlyList<WebhookLease> takenOver;
        do
        {
            await Task.Delay(100, timeout.Token);
            takenOver = await store.LeaseAsync(10, duration, timeout.Token);
        }
        while (takenOver.Count == 0);

        takenOver.Single().LeaseId.Should().NotBe(first.LeaseId);
        takenOver.Single().Delivery.NextAttemptAt.Should().Be(first.ExpiresAt, "a delivery whose lease expired is due at its lease's expiry");
        (await store.CompleteAttemptAsync(first, Attempt(1), new(WebhookDeliveryStatus.Succeeded), default)).Should().BeFalse("the lease was taken over");
    }

    /// <summary>A retry delay and a release delay count from the database's now; zero makes the delivery due at once.</summary>
    [Fact]
    public async Task RetryAndReleaseDelays_CountFromTheDatabaseClock()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "delays");
        var store = stores.Deliveries;
        await EnqueueAsync(store, "msg_d", "dlv_d");

        var lease = Assert.Single(await store.LeaseAsync(10, Hour, default));
        var before = await stores.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        (await store.CompleteAttemptAsync(lease, Attempt(1, failed: true), new(WebhookDeliveryStatus.Pending, Hour), default)).Should().BeTrue();
        var retry = (await store.GetAsync("dlv_d", default))!.Delivery;
        (await store.LeaseAsync(10, Hour, default)).Should().BeEmpty("the retry is an hour away");
        retry.NextAttemptAt!.Value.UtcDateTime.Should().BeOnOrAfter(before + Hour).And.BeBefore(before + Hour + TimeSpan.FromMinutes(1));

        await stores.ExecuteAsync("UPDATE {s}.deliveries SET next_attempt_at = now() - interval '1 second'");
        var second = Assert.Single(await store.LeaseAsync(10, Hour, default));
        (await store.ReleaseAsync(second, TimeSpan.Zero, default)).Should().BeTrue();
        var third = Assert.Single(await store.LeaseAsync(10, Hour, default));
        (await store.ReleaseAsync(second, TimeSpan.Zero, default)).Should().BeFalse("that lease ended when it was released");
        (await store.ReleaseAsync(third, Hour, default)).Should().BeTrue();
        (await store.LeaseAsync(10, Hour, default)).Should().BeEmpty("released for an hour");
        (await store.GetAsync("dlv_d", default))!.Delivery.AttemptCount.Should().Be(1, "a release records no attempt");
    }

    /// <summary>Every lease taken gets its own id, also within one batch.</summary>
    [Fact]
    public async Task Lease_Batch_GivesEachDeliveryItsOwnLeaseId()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "lease_ids");
        var message = NewMessage("msg_b");
        await stores.Deliveries.EnqueueAsync(message, [NewDelivery(message, "dlv_b1", "sub_1"), NewDelivery(message, "dlv_b2", "sub_2"), NewDelivery(message, "dlv_b3", "sub_3")], null, default);

        var leases = await stores.Deliveries.LeaseAsync(10, Hour, default);

        leases.Should().HaveCount(3);
        leases.Select(l => l.LeaseId).Distinct().Should().HaveCount(3);
        leases.Should().OnlyContain(l => l.Message.Payload.Length == 2, "each lease carries its message's payload");
        leases.Should().OnlyContain(l => l.Message.CreatedAt == message.CreatedAt && l.Delivery.Owner == "tenant");
    }

    /// <summary>The log is read per owner, newest first, with optional subscription, status and event-type filters, a page at a time.</summary>
    [Fact]
    public async Task Query_PerOwnerWithFilters_NewestFirstInPages()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "log");
        var store = stores.Deliveries;
        for (int i = 0; i < 5; i++)
        {
            var m = NewMessage($"msg_{i}") with { EventType = i % 2 == 0 ? "order.created" : "order.shipped" };
            await store.EnqueueAsync(m, [NewDelivery(m, $"dlv_{i}a", "sub_a"), NewDelivery(m, $"dlv_{i}b", "sub_b")], null, default);
        }

        var ownerless = NewMessage("msg_x") with { Owner = null };
        await store.EnqueueAsync(ownerless, [NewDelivery(ownerless, "dlv_x", "sub_x")], null, default);
        var lease = (await store.LeaseAsync(1, Hour, default)).Single();
        await store.CompleteAttemptAsync(lease, Attempt(1), new(WebhookDeliveryStatus.Succeeded), default);

        var all = await store.QueryAsync(new WebhookDeliveryQuery("tenant", Limit: 4), default);
        var next = await store.QueryAsync(new WebhookDeliveryQuery("tenant", Limit: 4, Cursor: all.NextCursor), default);
        var last = await store.QueryAsync(new WebhookDeliveryQuery("tenant", Limit: 4, Cursor: next.NextCursor), default);

        all.Items.Select(d => d.Id).Should().Equal("dlv_4b", "dlv_4a", "dlv_3b", "dlv_3a");
        next.Items.Select(d => d.Id).Should().Equal("dlv_2b", "dlv_2a", "dlv_1b", "dlv_1a");
        last.Items.Select(d => d.Id).Should().Equal("dlv_0b", "dlv_0a");
        last.NextCursor.Should().BeNull();
        all.Items.Should().OnlyContain(d => d.Owner == "tenant");
        (await store.QueryAsync(new WebhookDeliveryQuery("tenant", SubscriptionId: "sub_b", EventType: "order.created"), default)).Items
            .Select(d => d.Id).Should().Equal("dlv_4b", "dlv_2b", "dlv_0b");
        (await store.QueryAsync(new WebhookDeliveryQuery(null), default)).Items.Should().ContainSingle().Which.Id.Should().Be("dlv_x");
        (await store.QueryAsync(new WebhookDeliveryQuery("tenant", Status: WebhookDeliveryStatus.Succeeded), default)).Items.Should().ContainSingle().Which.Id.Should().Be("dlv_0a");
        (await store.QueryAsync(new WebhookDeliveryQuery("other"), default)).Items.Should().BeEmpty();
    }

    /// <summary>Statistics count the attempts recorded, per bucket, per owner or subscription; a completion that sent nothing is not counted.</summary>
    [Fact]
    public async Task Stats_CountRecordedAttemptsPerBucket()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "stats");
        var store = stores.Deliveries;
        var t = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var m = NewMessage("msg_s");
        await store.EnqueueAsync(m, [NewDelivery(m, "dlv_s1", "sub_1"), NewDelivery(m, "dlv_s2", "sub_2"), NewDelivery(m, "dlv_s3", "sub_3")], null, default);
        var leases = (await store.LeaseAsync(10, Hour, default)).ToDictionary(l => l.Delivery.Id);
        await store.CompleteAttemptAsync(leases["dlv_s1"], Attempt(1, at: t.AddSeconds(59)), new(WebhookDeliveryStatus.Pending), default);
        var again = (await store.LeaseAsync(10, Hour, default)).Single(l => l.Delivery.Id == "dlv_s1");
        await store.CompleteAttemptAsync(again, Attempt(2, failed: true, at: t.AddMinutes(1)), new(WebhookDeliveryStatus.Failed), default);
        await store.CompleteAttemptAsync(leases["dlv_s2"], Attempt(1, at: t.AddMinutes(2)), new(WebhookDeliveryStatus.Succeeded), default);
        await store.CompleteAttemptAsync(leases["dlv_s3"], null, new(WebhookDeliveryStatus.Failed, Reason: "deleted"), default);

        var owner = await store.GetStatsAsync(new WebhookStatsQuery("tenant", null, t, TimeSpan.FromMinutes(1), 4), default);
        var sub1 = await store.GetStatsAsync(new WebhookStatsQuery("tenant", "sub_1", t, TimeSpan.FromMinutes(2), 2), default);
        var other = await store.GetStatsAsync(new WebhookStatsQuery(null, null, t, TimeSpan.FromMinutes(1), 4), default);

        owner.Should().Equal(
            new WebhookStatsBucket(t, 1, 0),
            new WebhookStatsBucket(t.AddMinutes(1), 0, 1),
            new WebhookStatsBucket(t.AddMinutes(2), 1, 0),
            new WebhookStatsBucket(t.AddMinutes(3), 0, 0));
        sub1.Should().Equal(new WebhookStatsBucket(t, 1, 1), new WebhookStatsBucket(t.AddMinutes(2), 0, 0));
        other.Should().OnlyContain(b => b.Succeeded == 0 && b.Failed == 0);
    }

    /// <summary>
    /// Defect 7 at the store: with the app's transaction as context, the enqueue runs on the
    /// transaction's connection, so it succeeds on a data source whose only pooled connection the app holds.
    /// </summary>
    [Fact]
    public async Task Enqueue_ThroughContext_UsesTheTransactionsConnection()
    {
        var cs = await cluster.CreateDatabaseAsync("store");
        await using (await PgStores.CreateAsync(cs, "one_connection"))
        {
        }

        var single = new NpgsqlConnectionStringBuilder(cs) { MaxPoolSize = 1, Timeout = 3 }.ConnectionString;
        await using var stores = await PgStores.CreateAsync(single, "one_connection", reset: false);
        await using var connection = await stores.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var m = NewMessage("msg_tx");

        var result = await stores.Deliveries.EnqueueAsync(m, [NewDelivery(m, "dlv_tx", "sub_1")], new PostgreSqlEnqueueContext(transaction), default)
            .WaitAsync(TimeSpan.FromSeconds(20));
        await transaction.CommitAsync();
        await connection.CloseAsync();

        result.DeliveryCount.Should().Be(1);
        (await stores.Deliveries.GetAsync("dlv_tx", default)).Should().NotBeNull();
    }

    /// <summary>A context this store cannot write through, or a finished transaction, is refused with what to fix, and nothing is written.</summary>
    [Fact]
    public async Task Enqueue_ForeignContextOrFinishedTransaction_IsRefused()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "contexts");
        await using var connection = new NpgsqlConnection(stores.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await transaction.CommitAsync();
        var m = NewMessage("msg_ctx");

        var foreign = () => stores.Deliveries.EnqueueAsync(m, [NewDelivery(m, "dlv_ctx", "sub_1")], new OtherContext(), default);
        var finished = () => stores.Deliveries.EnqueueAsync(m, [NewDelivery(m, "dlv_ctx", "sub_1")], new PostgreSqlEnqueueContext(transaction), default);

        await foreign.Should().ThrowAsync<WebhookException>().WithMessage("*PostgreSqlEnqueueContext*OtherContext*");
        await finished.Should().ThrowAsync<WebhookException>().WithMessage("*already been committed or rolled back*");
        (await stores.ScalarAsync<long>("SELECT count(*) FROM {s}.messages")).Should().Be(0);
    }

    private sealed class OtherContext : WebhookEnqueueContext;
}
