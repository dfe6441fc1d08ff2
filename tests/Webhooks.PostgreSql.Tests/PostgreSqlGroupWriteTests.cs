using Npgsql;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;

using static Webhooks.PostgreSql.Tests.Infrastructure.StoreData;

namespace Webhooks.PostgreSql.Tests;

/// <summary>
/// Group completion and group enqueue: concurrent calls share one statement and one commit, and each
/// caller still gets its own answer. A batch is formed deterministically: the first call is held by a
/// lock the test takes, the others gather behind it, and the lock is let go (no timing involved).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlGroupWriteTests(PostgresCluster cluster)
{
    /// <summary>
    /// Many completions in one batch: each caller learns whether its own lease was held (a stale lease
    /// id is refused for that row only), and each row moves as its own transition says (succeeded,
    /// retried with a delay, failed, or failed without anything sent), with its own attempt.
    /// </summary>
    [Fact]
    public async Task CompleteAttempt_ManyConcurrentInOneBatch_EachGetsItsOwnAnswer()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("group"), "group_complete");
        var store = stores.Deliveries;
        const int n = 40;
        for (int i = 0; i < n; i++)
        {
            await EnqueueAsync(store, $"msg_{i:D2}", $"dlv_{i:D2}");
        }

        var leases = (await store.LeaseAsync(n, Hour, default)).OrderBy(l => l.Delivery.Id, StringComparer.Ordinal).ToList();
        leases.Should().HaveCount(n);

        // Row 0 is held by the test: its completion goes alone and waits; the others gather behind it.
        Task<bool> first;
        var others = new List<Task<bool>>();
        await using (var hold = await HoldAsync(stores, "SELECT 1 FROM {s}.deliveries WHERE id = 'dlv_00' FOR UPDATE"))
        {
            first = store.CompleteAttemptAsync(leases[0], Attempt(1), new(WebhookDeliveryStatus.Succeeded), default);
            await WaitForLockWaiterAsync(stores);
            for (int i = 1; i < n; i++)
            {
                var lease = i % 5 == 1 ? leases[i] with { LeaseId = leases[i].LeaseId + "_stale" } : leases[i];
                others.Add((i % 5) switch
                {
                    2 => store.CompleteAttemptAsync(lease, Attempt(1, failed: true), new(WebhookDeliveryStatus.Pending, TimeSpan.FromMinutes(i)), default),
                    3 => store.CompleteAttemptAsync(lease, Attempt(1, failed: true), new(WebhookDeliveryStatus.Failed), default),
                    4 => store.CompleteAttemptAsync(lease, null, new(WebhookDeliveryStatus.Failed, Reason: $"gone {i}"), default),
                    _ => store.CompleteAttemptAsync(lease, Attempt(1), new(WebhookDeliveryStatus.Succeeded), default),
                });
            }

            await hold.RollbackAsync();
        }

        (await first).Should().BeTrue();
        var results = await Task.WhenAll(others);
        store.CompletionBatches.Should().BeGreaterThanOrEqualTo(1, "the completions that waited behind the held row went together");
        for (int i = 1; i < n; i++)
        {
            results[i - 1].Should().Be(i % 5 != 1, $"dlv_{i:D2} {(i % 5 == 1 ? "carried a stale lease id" : "was held")}");
            var details = (await store.GetAsync($"dlv_{i:D2}", default))!;
            var d = details.Delivery;
            switch (i % 5)
            {
                case 1:
                    d.Status.Should().Be(WebhookDeliveryStatus.Pending);
                    d.AttemptCount.Should().Be(0);
                    details.Attempts.Should().BeEmpty("a refused completion writes nothing");
                    break;
                case 2:
                    d.Status.Should().Be(WebhookDeliveryStatus.Pending);
                    d.AttemptCount.Should().Be(1);
                    d.LastStatusCode.Should().Be(500);
                    d.NextAttemptAt.Should().BeAfter(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(i) - TimeSpan.FromMinutes(1));
                    details.Attempts.Should().ContainSingle().Which.Error.Should().Be("HTTP 500");
                    break;
                case 3:
                    d.Status.Should().Be(WebhookDeliveryStatus.Failed);
                    details.Attempts.Should().ContainSingle().Which.StatusCode.Should().Be(500);
                    break;
                case 4:
                    d.Status.Should().Be(WebhookDeliveryStatus.Failed);
                    d.AttemptCount.Should().Be(0, "nothing was sent");
                    d.LastError.Should().Be($"gone {i}");
                    details.Attempts.Should().BeEmpty();
                    break;
                default:
                    d.Status.Should().Be(WebhookDeliveryStatus.Succeeded);
                    d.AttemptCount.Should().Be(1);
                    details.Attempts.Should().ContainSingle().Which.StatusCode.Should().Be(200);
                    break;
            }
        }

        // The stale holders' rows are still held by the real leases, which complete them.
        for (int i = 1; i < n; i += 5)
        {
            (await store.CompleteAttemptAsync(leases[i], Attempt(1), new(WebhookDeliveryStatus.Succeeded), default)).Should().BeTrue();
        }
    }

    /// <summary>
    /// A stale holder (whose lease expired and was taken over) and the new holder complete the same
    /// delivery at once: they never share a statement, the stale one is refused and the new one recorded.
    /// </summary>
    [Fact]
    public async Task CompleteAttempt_StaleAndNewHolderAtOnce_OnlyTheNewHolderIsRecorded()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("group"), "group_takeover");
        var store = stores.Deliveries;
        await EnqueueAsync(store, "msg_a", "dlv_a");
        await EnqueueAsync(store, "msg_t", "dlv_t");
        var held = Assert.Single(await store.LeaseAsync(1, Hour, default));
        held.Delivery.Id.Should().Be("dlv_a");
        var stale = Assert.Single(await store.LeaseAsync(1, TimeSpan.Zero, default));
        var taken = Assert.Single(await store.LeaseAsync(10, Hour, default));
        taken.Delivery.Id.Should().Be("dlv_t");
        taken.LeaseId.Should().NotBe(stale.LeaseId);

        Task<bool> first, staleDone, takenDone;
        await using (var hold = await HoldAsync(stores, "SELECT 1 FROM {s}.deliveries WHERE id = 'dlv_a' FOR UPDATE"))
        {
            first = store.CompleteAttemptAsync(held, Attempt(1), new(WebhookDeliveryStatus.Succeeded), default);
            await WaitForLockWaiterAsync(stores);
            staleDone = store.CompleteAttemptAsync(stale, Attempt(1, failed: true), new(WebhookDeliveryStatus.Failed), default);
            takenDone = store.CompleteAttemptAsync(taken, Attempt(2), new(WebhookDeliveryStatus.Succeeded), default);
            await hold.RollbackAsync();
        }

        (await first).Should().BeTrue();
        (await staleDone).Should().BeFalse("its lease was taken over");
        (await takenDone).Should().BeTrue();
        var details = (await store.GetAsync("dlv_t", default))!;
        details.Delivery.Status.Should().Be(WebhookDeliveryStatus.Succeeded);
        details.Attempts.Should().ContainSingle().Which.Number.Should().Be(2);
    }

    /// <summary>
    /// A value the database refuses in one completion of a batch fails only that caller (the batch is
    /// written again one at a time): the others are recorded, and the refused one's lease is still held,
    /// so the engine's retry without the receiver's answer is recorded.
    /// </summary>
    [Fact]
    public async Task CompleteAttempt_RefusedValueInBatch_FailsOnlyItsCaller()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("group"), "group_refused");
        await stores.ExecuteAsync("ALTER TABLE {s}.attempts ADD CONSTRAINT test_refuse CHECK (response_excerpt IS DISTINCT FROM 'refuse me')");
        var store = stores.Deliveries;
        const int n = 12;
        for (int i = 0; i < n; i++)
        {
            await EnqueueAsync(store, $"msg_{i:D2}", $"dlv_{i:D2}");
        }

        var leases = (await store.LeaseAsync(n, Hour, default)).OrderBy(l => l.Delivery.Id, StringComparer.Ordinal).ToList();
        Task<bool> first;
        var others = new List<Task<bool>>();
        await using (var hold = await HoldAsync(stores, "SELECT 1 FROM {s}.deliveries WHERE id = 'dlv_00' FOR UPDATE"))
        {
            first = store.CompleteAttemptAsync(leases[0], Attempt(1), new(WebhookDeliveryStatus.Succeeded), default);
            await WaitForLockWaiterAsync(stores);
            for (int i = 1; i < n; i++)
            {
                var attempt = i == 5 ? Attempt(1) with { ResponseExcerpt = "refuse me" } : Attempt(1);
                others.Add(store.CompleteAttemptAsync(leases[i], attempt, new(WebhookDeliveryStatus.Succeeded), default));
            }

            await hold.RollbackAsync();
        }

        (await first).Should().BeTrue();
        for (int i = 1; i < n; i++)
        {
            if (i == 5)
            {
                await FluentActions.Awaiting(() => others[i - 1]).Should().ThrowAsync<WebhookException>();
            }
            else
            {
                (await others[i - 1]).Should().BeTrue($"dlv_{i:D2} carried nothing the database refuses");
                (await store.GetAsync($"dlv_{i:D2}", default))!.Delivery.Status.Should().Be(WebhookDeliveryStatus.Succeeded);
            }
        }

        (await store.GetAsync("dlv_05", default))!.Delivery.Status.Should().Be(WebhookDeliveryStatus.Pending, "the refused completion wrote nothing");
        (await store.CompleteAttemptAsync(leases[5], Attempt(1), new(WebhookDeliveryStatus.Succeeded), default)).Should().BeTrue("the lease is still held");
    }

    /// <summary>
    /// Many enqueues outside the app's transaction in one batch: each returns its own message id and
    /// delivery count, and once it has returned its message and deliveries are committed (read from
    /// another connection), in enqueue order for an ordering key; listening dispatchers are woken.
    /// </summary>
    [Fact]
    public async Task Enqueue_ManyConcurrentInOneBatch_EachDurableWithItsOwnResult()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("group"), "group_enqueue");
        var store = stores.Deliveries;
        const int n = 30;
        await using var listener = new NpgsqlConnection(stores.ConnectionString);
        await listener.OpenAsync();
        int notified = 0;
        listener.Notification += (_, _) => Interlocked.Increment(ref notified);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{stores.Database.Channel}\"", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        Task<WebhookEnqueueResult> first;
        var others = new List<Task<WebhookEnqueueResult>>();
        await using (var hold = await HoldAsync(stores, "LOCK TABLE {s}.messages IN SHARE MODE"))
        {
            first = store.EnqueueAsync(NewMessage("msg_00"), [], null, default);
            await WaitForLockWaiterAsync(stores);
            for (int i = 1; i < n; i++)
            {
                var m = NewMessage($"msg_{i:D2}");
                var deliveries = Enumerable.Range(0, i % 3).Select(k => NewDelivery(m, $"dlv_{i:D2}_{k}", $"sub_{k}") with { OrderingKey = k == 1 ? "key" : null }).ToList();
                others.Add(store.EnqueueAsync(m, deliveries, null, default));
            }

            await hold.RollbackAsync();
        }

        (await first).Should().Be(new WebhookEnqueueResult("msg_00", 0, IsDuplicate: false));
        for (int i = 1; i < n; i++)
        {
            (await others[i - 1]).Should().Be(new WebhookEnqueueResult($"msg_{i:D2}", i % 3, IsDuplicate: false));
        }

        store.EnqueueBatches.Should().BeGreaterThanOrEqualTo(1, "the enqueues that waited behind the lock went together");
        await Eventually.TrueAsync(
            async () => Volatile.Read(ref notified) > 0 || await listener.WaitAsync(TimeSpan.FromSeconds(1)),
            "the batch's commit to wake listening dispatchers",
            TimeSpan.FromSeconds(60));

        // Committed: another connection sees every message and delivery.
        await using var other = NpgsqlDataSource.Create(stores.ConnectionString);
        await using (var count = other.CreateCommand(stores.Database.Sql("SELECT (SELECT count(*) FROM {s}.messages), (SELECT count(*) FROM {s}.deliveries), (SELECT count(*) FROM {s}.messages WHERE empty)")))
        await using (var r = await count.ExecuteReaderAsync())
        {
            await r.ReadAsync();
            r.GetInt64(0).Should().Be(n);
            r.GetInt64(1).Should().Be(Enumerable.Range(1, n - 1).Sum(i => i % 3));
            r.GetInt64(2).Should().Be(Enumerable.Range(0, n).Count(i => i % 3 == 0), "a message without deliveries is marked empty");
        }

        // Ordered: of the keyed deliveries of sub_1, only the earliest enqueued is leased.
        var leased = await store.LeaseAsync(100, Hour, default);
        leased.Where(l => l.Delivery.SubscriptionId == "sub_1").Select(l => l.Delivery.Id).Should().Equal("dlv_02_1");
        leased.Where(l => l.Delivery.SubscriptionId == "sub_0").Should().HaveCount(Enumerable.Range(1, n - 1).Count(i => i % 3 != 0));
        leased.Single(l => l.Delivery.Id == "dlv_02_0").Message.Payload.ToArray().Should().Equal("{}"u8.ToArray());
    }

    /// <summary>A value the database refuses in one enqueue of a batch fails only that caller; the others are stored.</summary>
    [Fact]
    public async Task Enqueue_RefusedValueInBatch_FailsOnlyItsCaller()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("group"), "group_enqueue_refused");
        await stores.ExecuteAsync("ALTER TABLE {s}.messages ADD CONSTRAINT test_refuse CHECK (event_type <> 'refuse.me')");
        var store = stores.Deliveries;
        Task<WebhookEnqueueResult> first;
        var others = new List<Task<WebhookEnqueueResult>>();
        await using (var hold = await HoldAsync(stores, "LOCK TABLE {s}.messages IN SHARE MODE"))
        {
            first = store.EnqueueAsync(NewMessage("msg_00"), [], null, default);
            await WaitForLockWaiterAsync(stores);
            for (int i = 1; i < 10; i++)
            {
                var m = NewMessage($"msg_{i:D2}") with { EventType = i == 4 ? "refuse.me" : "order.created" };
                others.Add(store.EnqueueAsync(m, [NewDelivery(m, $"dlv_{i:D2}", "sub_1")], null, default));
            }

            await hold.RollbackAsync();
        }

        await first;
        for (int i = 1; i < 10; i++)
        {
            if (i == 4)
            {
                await FluentActions.Awaiting(() => others[i - 1]).Should().ThrowAsync<WebhookException>();
            }
            else
            {
                (await others[i - 1]).MessageId.Should().Be($"msg_{i:D2}");
            }
        }

        var leased = await store.LeaseAsync(100, Hour, default);
        leased.Select(l => l.Delivery.Id).Should().BeEquivalentTo(Enumerable.Range(1, 9).Where(i => i != 4).Select(i => $"dlv_{i:D2}"));
    }

    /// <summary>
    /// Idempotency keys keep their exact meaning while unkeyed enqueues go in batches around them: of
    /// concurrent enqueues with one key, one stores its message and every other reports that message
    /// and its delivery count; a later one (another batch) reports it too.
    /// </summary>
    [Fact]
    public async Task Enqueue_KeyedDuplicatesAmongABatch_ReportTheEarlierMessage()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("group"), "group_keys");
        var store = stores.Deliveries;
        WebhookMessage Keyed(string id) => NewMessage(id) with { IdempotencyKey = "k", IdempotencyExpiresAt = DateTimeOffset.UtcNow + Hour };
        var calls = new List<Task<WebhookEnqueueResult>>();
        await using (var hold = await HoldAsync(stores, "LOCK TABLE {s}.messages IN SHARE MODE"))
        {
            calls.Add(store.EnqueueAsync(NewMessage("msg_plain_00"), [], null, default));
            await WaitForLockWaiterAsync(stores);
            for (int i = 1; i < 20; i++)
            {
                var m = i % 2 == 0 ? NewMessage($"msg_plain_{i:D2}") : Keyed($"msg_keyed_{i:D2}");
                calls.Add(store.EnqueueAsync(m, [NewDelivery(m, $"dlv_{i:D2}_a", "sub_1"), NewDelivery(m, $"dlv_{i:D2}_b", "sub_2")], null, default));
            }

            await hold.RollbackAsync();
        }

        var results = await Task.WhenAll(calls);
        var keyed = results.Where((_, i) => i % 2 == 1).ToList();
        var stored = keyed.Where(r => !r.IsDuplicate).Should().ContainSingle().Subject;
        keyed.Where(r => r.IsDuplicate).Should().HaveCount(keyed.Count - 1).And.OnlyContain(r => r.MessageId == stored.MessageId && r.DeliveryCount == 2);
        results.Where((_, i) => i % 2 == 0).Should().OnlyContain(r => !r.IsDuplicate && r.MessageId.StartsWith("msg_plain_", StringComparison.Ordinal));

        var again = await store.EnqueueAsync(Keyed("msg_keyed_late"), [], null, default);
        again.Should().Be(new WebhookEnqueueResult(stored.MessageId, 2, IsDuplicate: true));
        (await stores.ScalarAsync<long>("SELECT count(*) FROM {s}.messages WHERE idempotency_key = 'k'")).Should().Be(1);
        (await stores.ScalarAsync<long>("SELECT count(*) FROM {s}.deliveries")).Should().Be(20);
    }

    /// <summary>An open transaction of the test's own that takes a lock the store's next write must wait for.</summary>
    private static async Task<Hold> HoldAsync(PgStores stores, string sql)
    {
        var connection = new NpgsqlConnection(stores.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(stores.Database.Sql(sql), connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new Hold(connection, transaction);
    }

    /// <summary>Waits until a statement on this test's schema waits for a lock (the held write has reached the database).</summary>
    private static Task WaitForLockWaiterAsync(PgStores stores) => Eventually.TrueAsync(
        async () => await stores.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%{stores.Database.Schema.Replace("'", "''", StringComparison.Ordinal)}.%' AND pid <> pg_backend_pid()") > 0,
        "the first write to wait for the test's lock",
        TimeSpan.FromSeconds(60));

    /// <summary>The test's lock: let go by rolling back; the connection closes on dispose.</summary>
    private sealed class Hold(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public Task RollbackAsync() => transaction.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
