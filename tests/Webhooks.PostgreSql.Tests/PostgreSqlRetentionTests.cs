using Npgsql;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;
using static Webhooks.PostgreSql.Tests.Infrastructure.StoreData;

namespace Webhooks.PostgreSql.Tests;

/// <summary>Retention on PostgreSQL: what it removes and keeps, that it never races a redelivery, and that the engine's schedule drives it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlRetentionTests(PostgresCluster cluster)
{
    /// <summary>
    /// Defect 6: retention could delete a delivery that a concurrent redeliver had just made pending
    /// (after the API answered 202). Here the redeliver holds its row, uncommitted, while retention
    /// runs: retention skips the row instead of waiting and then deleting it, and the delivery stays pending.
    /// </summary>
    [Fact]
    public async Task Purge_WhileARedeliverHoldsTheDelivery_NeverDeletesIt()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "purge_race");
        var store = stores.Deliveries;
        var old = DateTimeOffset.UtcNow.AddDays(-40);
        await FinishAsync(store, "msg_old", "dlv_old", old, WebhookDeliveryStatus.Succeeded);

        await using var connection = new NpgsqlConnection(stores.ConnectionString);
        await connection.OpenAsync();
        await using var redeliver = await connection.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand(stores.Database.Sql("UPDATE {s}.deliveries SET status = 0, next_attempt_at = now() WHERE id = 'dlv_old' AND status <> 0"), connection, redeliver))
        {
            (await update.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var purge = store.PurgeAsync(DateTimeOffset.UtcNow, 100, default);
        var finished = await Task.WhenAny(purge, Task.Delay(TimeSpan.FromSeconds(3)));
        await redeliver.CommitAsync();
        var removed = await purge.WaitAsync(TimeSpan.FromSeconds(30));

        finished.Should().BeSameAs(purge, "retention skips a row another transaction holds instead of waiting for it");
        removed.Should().Be(0);
        var kept = await store.GetAsync("dlv_old", default);
        kept.Should().NotBeNull("the redelivered delivery must survive");
        kept!.Delivery.Status.Should().Be(WebhookDeliveryStatus.Pending);
        kept.Attempts.Should().ContainSingle("its history stays with it");
        Assert.Single(await store.LeaseAsync(10, Hour, default)).Message.Id.Should().Be("msg_old", "its message is still there to send");
    }

    /// <summary>Defect 6 under load: of redeliveries racing retention, every one that reported success leaves a pending delivery behind.</summary>
    [Fact]
    public async Task Purge_RacingRedeliveries_EveryAcceptedRedeliveryKeepsItsDelivery()
    {
        const int count = 60;
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "purge_race_load");
        var store = stores.Deliveries;
        var old = DateTimeOffset.UtcNow.AddDays(-40);
        var ids = Enumerable.Range(0, count).Select(i => $"dlv_{i:D3}").ToArray();
        for (int i = 0; i < count; i++)
        {
            await FinishAsync(store, $"msg_{i:D3}", ids[i], old, WebhookDeliveryStatus.Failed);
        }

        var redeliveries = ids.Select(id => Task.Run(() => store.RedeliverAsync(id, default))).ToArray();
        var purges = Enumerable.Range(0, 4).Select(_ => Task.Run(() => store.PurgeAsync(DateTimeOffset.UtcNow, 5, default))).ToArray();
        var accepted = await Task.WhenAll(redeliveries).WaitAsync(TimeSpan.FromSeconds(60));
        var removed = (await Task.WhenAll(purges).WaitAsync(TimeSpan.FromSeconds(60))).Sum();

        for (int i = 0; i < count; i++)
        {
            var details = await store.GetAsync(ids[i], default);
            if (accepted[i])
            {
                details.Should().NotBeNull($"{ids[i]} was redelivered (202) and must not be purged");
                details!.Delivery.Status.Should().Be(WebhookDeliveryStatus.Pending);
            }
            else
            {
                details.Should().BeNull($"{ids[i]} was refused only because retention had removed it");
            }
        }

        removed.Should().Be(accepted.Count(a => !a));
    }

    /// <summary>
    /// Retention removes finished deliveries created before the cutoff with their attempts; a message
    /// goes once none of its deliveries is left and its idempotency window has ended, not before.
    /// </summary>
    [Fact]
    public async Task Purge_RemovesFinishedDeliveriesAndMessagesWhoseKeysEnded_InBatches()
    {
        await using var stores = await PgStores.CreateAsync(await cluster.CreateDatabaseAsync("store"), "purge");
        var store = stores.Deliveries;
        var now = DateTimeOffset.UtcNow;
        var old = now.AddDays(-40);
        for (int i = 0; i < 3; i++)
        {
            await FinishAsync(store, $"msg_done{i}", $"dlv_done{i}", old, WebhookDeliveryStatus.Succeeded);
        }

        // One delivery still retrying (its sibling finished), one keyed message with no deliveries, one whose key outlives the cutoff.
        var mixed = NewMessage("msg_mixed", old);
        await store.EnqueueAsync(mixed, [NewDelivery(mixed, "dlv_mixed_done", "sub_1"), NewDelivery(mixed, "dlv_mixed_retry", "sub_2")], null, default);
        var leases = await store.LeaseAsync(10, Hour, default);
        await store.CompleteAttemptAsync(leases.Single(l => l.Delivery.Id == "dlv_mixed_done"), Attempt(1), new(WebhookDeliveryStatus.Succeeded), default);
        await store.CompleteAttemptAsync(leases.Single(l => l.Delivery.Id == "dlv_mixed_retry"), Attempt(1, failed: true), new(WebhookDeliveryStatus.Pending, Hour), default);
        await store.EnqueueAsync(NewMessage("msg_keyed", old) with { IdempotencyKey = "k", IdempotencyExpiresAt = old + Hour }, [], null, default);
        var liveKey = NewMessage("msg_live_key", old) with { IdempotencyKey = "live", IdempotencyExpiresAt = now.AddDays(1) };
        await store.EnqueueAsync(liveKey, [NewDelivery(liveKey, "dlv_live_key", "sub_1")], null, default);
        var liveLease = (await store.LeaseAsync(10, Hour, default)).Single();
        await store.CompleteAttemptAsync(liveLease, Attempt(1), new(WebhookDeliveryStatus.Succeeded), default);

        var batches = new List<int>();
        int removed;
        do
        {
            removed = await store.PurgeAsync(now, 2, default);
            batches.Add(removed);
        }
        while (removed == 2 && batches.Count < 10);

        batches.Sum().Should().Be(5, "three finished messages' deliveries, the mixed message's finished one and the live-keyed one");
        batches.Should().OnlyContain(b => b <= 2);
        (await store.GetAsync("dlv_done0", default)).Should().BeNull();
        (await store.GetAsync("dlv_mixed_retry", default))!.Delivery.Status.Should().Be(WebhookDeliveryStatus.Pending);
        (await stores.ScalarAsync<long>("SELECT count(*) FROM {s}.attempts")).Should().Be(1, "only the retrying delivery's attempt is left");
        (await stores.ScalarAsync<string>("SELECT string_agg(id, ',' ORDER BY id) FROM {s}.messages")).Should().Be("msg_live_key,msg_mixed",
            "the retrying delivery keeps its message; the live key keeps its message though its delivery is gone");
        (await store.EnqueueAsync(NewMessage("msg_again", now) with { IdempotencyKey = "live", IdempotencyExpiresAt = now.AddDays(2) }, [], null, default))
            .Should().Be(new WebhookEnqueueResult("msg_live_key", 1, IsDuplicate: true), "the key still holds");
        (await store.EnqueueAsync(NewMessage("msg_k2", now) with { IdempotencyKey = "k", IdempotencyExpiresAt = now + Hour }, [], null, default))
            .IsDuplicate.Should().BeFalse("the ended key is gone");

        // Once the live key has ended, a later run removes its message too.
        (await store.PurgeAsync(now.AddDays(3), 10, default)).Should().Be(0, "no delivery was left to remove");
        (await stores.ScalarAsync<long>("SELECT count(*) FROM {s}.messages WHERE id = 'msg_live_key'")).Should().Be(0);
    }

    /// <summary>The engine's one retention schedule (<c>WebhookOptions.RetentionPeriod</c>) removes delivered messages from PostgreSQL; subscriptions stay.</summary>
    [Fact]
    public async Task RetentionJob_InHost_RemovesDeliveredMessages()
    {
        const string schema = "retention_job";
        var cs = await cluster.CreateDatabaseAsync("retention");
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await PgHosts.StartAsync(cs, schema, o =>
        {
            o.RetentionPeriod = TimeSpan.FromMilliseconds(500);
            o.RetentionInterval = TimeSpan.FromMilliseconds(200);
        });
        var sub = await PgHosts.SubscribeAsync(host, receiver.Url(), "kept-briefly");

        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await receiver.WaitForAsync(1);

        await Eventually.TrueAsync(
            async () => await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM {schema}.messages") == 0,
            "the delivered message removed");
        (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.Should().BeEmpty();
        (await host.Subscriptions.GetAsync(null, sub.Subscription.Id)).Should().NotBeNull("retention never touches subscriptions");
    }
}
