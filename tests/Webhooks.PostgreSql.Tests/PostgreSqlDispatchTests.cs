using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Delivery;
using Webhooks.Core.Signing;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

/// <summary>Real hosts (dispatcher, listener) on one database, delivering to a real Kestrel receiver.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDispatchTests(PostgresCluster cluster, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task TwoInstances_2000EventsToThreeSubscriptions_EveryDeliveryArrivesExactlyOnce()
    {
        const int events = 2000;
        const string schema = "exactly_once";
        var cs = await cluster.CreateDatabaseAsync("dispatch");
        await using var receiver = await TestReceiver.StartAsync();
        await using var a = await PgHosts.StartAsync(cs, schema, o => o.UserAgent = "instance-a");
        await using var b = await PgHosts.StartAsync(cs, schema, o => o.UserAgent = "instance-b");
        string[] paths = ["/s0", "/s1", "/s2"];
        foreach (var path in paths)
        {
            await PgHosts.SubscribeAsync(a, receiver.Url(path), path.TrimStart('/'));
        }

        var sw = System.Diagnostics.Stopwatch.StartNew();
        var published = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var publisher = (i % 2 == 0 ? a : b).Publisher;
            var result = await publisher.PublishAsync("order.created", new { id = i }, cancellationToken: ct);
            result.DeliveryCount.Should().Be(paths.Length);
            published.Add(result.MessageId);
        });

        output.WriteLine($"published {sw.Elapsed}; received {receiver.Requests.Count}");
        await receiver.WaitForAsync(events * paths.Length, TimeSpan.FromSeconds(120));
        output.WriteLine($"received {sw.Elapsed}");
        await Eventually.TrueAsync(
            async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == events * paths.Length,
            "every delivery recorded as succeeded",
            TimeSpan.FromSeconds(60));

        output.WriteLine($"recorded {sw.Elapsed}");
        // Every delivery is recorded, so no further attempt can happen: what arrived is final.
        var requests = receiver.Requests;
        var expected = published.SelectMany(id => paths.Select(p => (p, id))).ToHashSet();
        var received = requests.Select(PgHosts.Key).ToHashSet();
        expected.Except(received).Should().BeEmpty("each event reaches each subscription");
        received.Except(expected).Should().BeEmpty("nothing else is sent");
        requests.Should().HaveCount(events * paths.Length, "no delivery is sent twice while both instances are healthy");
        requests.Select(r => r.Header("user-agent")).Distinct().Should().BeEquivalentTo(["instance-a", "instance-b"], "both instances take work from the shared queue");
    }

    [Fact]
    public async Task PublishOnlyInstance_AndTwoOverlappingDispatchOnceCallers_SendEachDeliveryOnce()
    {
        const string schema = "dispatch_once";
        var cs = await cluster.CreateDatabaseAsync("dispatchonce");
        await using var receiver = await TestReceiver.StartAsync();
        await using var web = await PgHosts.StartAsync(cs, schema, o => o.Dispatcher.Enabled = false);
        await using var fn1 = await PgHosts.StartAsync(cs, schema, o => { o.Dispatcher.Enabled = false; o.MaxConcurrentDeliveries = 4; });
        await using var fn2 = await PgHosts.StartAsync(cs, schema, o => { o.Dispatcher.Enabled = false; o.MaxConcurrentDeliveries = 4; });
        await PgHosts.SubscribeAsync(web, receiver.Url("/s"), "s");
        for (int i = 0; i < 100; i++)
        {
            await web.Publisher.PublishAsync("order.created", new { id = i });
        }

        await Task.Delay(500);
        receiver.Requests.Should().BeEmpty("no dispatcher runs anywhere: deliveries wait");
        (await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Pending)).Should().Be(100);

        var results = await Task.WhenAll(
            Task.Run(() => fn1.Services.GetRequiredService<IWebhookDispatcher>().DispatchAsync(TimeSpan.FromSeconds(60))),
            Task.Run(() => fn2.Services.GetRequiredService<IWebhookDispatcher>().DispatchAsync(TimeSpan.FromSeconds(60))));

        results.Sum(r => r.Succeeded).Should().Be(100);
        receiver.Requests.Should().HaveCount(100);
        receiver.Requests.Select(r => r.Header("webhook-id")).Should().OnlyHaveUniqueItems("leases keep overlapping callers apart");
        (await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded)).Should().Be(100);
    }

    [Fact]
    public async Task Notify_WakesIdleDispatcherOfAnotherInstanceWithoutPolling()
    {
        const string schema = "notify";
        var cs = await cluster.CreateDatabaseAsync("dispatch");
        await using var receiver = await TestReceiver.StartAsync();

        // The publishing host runs no dispatcher, and the dispatching one polls only every 5 minutes.
        await using var publisher = await PgHosts.StartAsync(cs, schema, start: false);
        await PgHosts.SubscribeAsync(publisher, receiver.Url(), "notified");
        await using var dispatcher = await PgHosts.StartAsync(cs, schema, o => o.PollInterval = TimeSpan.FromMinutes(5));
        await Eventually.TrueAsync(
            async () => await Pg.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN \"notify_deliveries\"%'") == 1,
            "the dispatcher's host listening");

        for (int i = 1; i <= 5; i++)
        {
            await Task.Delay(200); // let the dispatcher settle into its 5-minute wait
            var result = await publisher.Publisher.PublishAsync("order.created", new { id = i });
            var requests = await receiver.WaitForAsync(i, TimeSpan.FromSeconds(20));
            requests[^1].Header("webhook-id").Should().Be(result.MessageId);
        }
    }

    [Fact]
    public async Task Manager_OnPostgreSql_DeliversSignedLogsStatsAndRedelivers()
    {
        const string schema = "manager";
        var cs = await cluster.CreateDatabaseAsync("dispatch");
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await PgHosts.StartAsync(cs, schema);
        var sub = await PgHosts.SubscribeAsync(host, receiver.Url(), "orders", owner: "tenant-1", events: ["order.*"]);

        var result = await host.Publisher.PublishAsync("order.created", new { id = 7 }, new() { Owner = "tenant-1" });
        var other = await host.Publisher.PublishAsync("order.created", new { id = 8 }, new() { Owner = "tenant-2" });

        result.DeliveryCount.Should().Be(1);
        other.DeliveryCount.Should().Be(0, "another tenant's events do not reach this subscription");
        var request = (await receiver.WaitForAsync(1))[0];
        new WebhookVerifier(sub.Secret).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body)
            .IsValid.Should().BeTrue();
        var deliveries = host.Deliveries;
        var delivery = await Eventually.GetAsync(
            async () => (await deliveries.GetDeliveriesAsync("tenant-1", sub.Subscription.Id, WebhookDeliveryStatus.Succeeded))!.Items is [var first, ..] ? first : null,
            "the delivery recorded");
        var details = await deliveries.GetDeliveryAsync("tenant-1", delivery.Id);
        details!.Attempts.Should().ContainSingle().Which.StatusCode.Should().Be(200);
        var stats = await deliveries.GetStatsAsync("tenant-1", sub.Subscription.Id, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5));
        stats!.Sum(s => s.Succeeded).Should().Be(1);
        (await deliveries.GetStatsAsync("tenant-1", null, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)))!.Sum(s => s.Succeeded).Should().Be(1, "owner-wide counts include it");
        (await deliveries.GetDeliveriesAsync("tenant-1"))!.Items.Should().ContainSingle("the owner-wide log holds it").Which.Id.Should().Be(delivery.Id);

        (await deliveries.RedeliverAsync("tenant-1", delivery.Id)).Should().NotBeNull();
        var again = await receiver.WaitForAsync(2);
        again[1].Header("webhook-id").Should().Be(result.MessageId);
        await Eventually.TrueAsync(
            async () => (await deliveries.GetDeliveryAsync("tenant-1", delivery.Id))!.Attempts.Count == 2,
            "the redelivery recorded");
    }

    [Fact]
    public async Task Receiver410_DisablesSubscriptionInPostgreSql()
    {
        const string schema = "gone";
        var cs = await cluster.CreateDatabaseAsync("dispatch");
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = StatusCodes.Status410Gone;
            return Task.CompletedTask;
        };
        await using var host = await PgHosts.StartAsync(cs, schema);
        var sub = await PgHosts.SubscribeAsync(host, receiver.Url(), "gone");

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var disabled = await Eventually.GetAsync(
            async () => await host.Subscriptions.GetAsync(null, sub.Subscription.Id) is { Active: false } s ? s : null,
            "the subscription disabled");
        disabled.DisabledReason.Should().Contain("410");
        disabled.Version.Should().Be(2);
        (await host.Publisher.PublishAsync("order.created", new { id = 2 })).DeliveryCount.Should().Be(0);
    }
}
