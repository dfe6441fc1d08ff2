using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Delivery;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Delivery;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlRetentionTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Purge_RemovesOldFinishedDataInBatches_KeepsPendingDeliveries()
    {
        const string schema = "purge";
        var cs = await cluster.CreateDatabaseAsync("retention");
        await using var services = Pg.Services(cs, o => o.Schema = schema);
        var store = (PostgreSqlWebhookDeliveryStore)services.GetRequiredService<IWebhookDeliveryStore>();
        var now = DateTimeOffset.UtcNow;
        var old = now.AddDays(-40);

        // Three finished messages, one with a pending retry, one keyed message whose key has expired.
        for (int i = 0; i < 3; i++)
        {
            await EnqueueAndAttemptAsync(store, $"msg_done{i}", $"dlv_done{i}", old, new(WebhookDeliveryStatus.Succeeded, null));
        }

        await EnqueueAndAttemptAsync(store, "msg_retrying", "dlv_retrying", old, new(WebhookDeliveryStatus.Pending, now.AddHours(1)));
        var keyed = new WebhookMessage { Id = "msg_keyed", EventType = "e", Timestamp = old, IdempotencyKey = "k", IdempotencyExpiresAt = old.AddHours(1), Payload = "{}"u8.ToArray() };
        await store.EnqueueAsync(keyed, [], default);

        var removed = await store.PurgeAsync(cutoff: now.AddMinutes(1), statsCutoff: now.AddDays(-31), now, batchSize: 2, default);

        removed.Messages.Should().Be(4, "the three finished messages and the keyed one without deliveries");
        removed.Attempts.Should().Be(1, "the retrying delivery's old attempt; the others went with their messages");
        removed.IdempotencyKeys.Should().Be(1);
        removed.StatsRows.Should().Be(1, "the 40-day-old minute");
        (await store.GetAsync("dlv_done0", default)).Should().BeNull();
        var retrying = await store.GetAsync("dlv_retrying", default);
        retrying!.Delivery.Status.Should().Be(WebhookDeliveryStatus.Pending);
        retrying.Attempts.Should().BeEmpty();
        (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM {schema}.messages")).Should().Be(1);
        var again = new WebhookMessage { Id = "msg_keyed2", EventType = "e", Timestamp = now, IdempotencyKey = "k", IdempotencyExpiresAt = now.AddHours(1), Payload = "{}"u8.ToArray() };
        (await store.EnqueueAsync(again, [], default)).IsDuplicate.Should().BeFalse("the expired key is gone");
    }

    [Fact]
    public async Task RetentionJob_InHost_RemovesDeliveredMessages()
    {
        const string schema = "retention_job";
        var cs = await cluster.CreateDatabaseAsync("retention");
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await PgHosts.StartAsync(cs, schema, postgres: o =>
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
        (await host.Subscriptions.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.Should().BeEmpty();
        (await host.Subscriptions.GetAsync(null, sub.Subscription.Id)).Should().NotBeNull("retention never touches subscriptions");
    }

    private static async Task EnqueueAndAttemptAsync(PostgreSqlWebhookDeliveryStore store, string messageId, string deliveryId, DateTimeOffset at, WebhookDeliveryTransition transition)
    {
        var message = new WebhookMessage { Id = messageId, EventType = "e", Timestamp = at, Payload = "{}"u8.ToArray() };
        await store.EnqueueAsync(message, [new WebhookDelivery { Id = deliveryId, MessageId = messageId, SubscriptionId = "sub_1", EventType = "e", CreatedAt = at, NextAttemptAt = at }], default);
        var lease = (await store.LeaseAsync(1, at, Lease, default)).Single();
        await store.RecordAttemptAsync(lease, new WebhookAttempt { Number = 1, StartedAt = at, StatusCode = transition.Status == WebhookDeliveryStatus.Succeeded ? 200 : 500, ErrorKind = transition.Status == WebhookDeliveryStatus.Succeeded ? WebhookErrorKind.None : WebhookErrorKind.HttpStatus }, transition, default);
    }
}
