using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Webhooks.PostgreSql.Tests;

/// <summary>Rate limits and ordered delivery across two instances sharing one PostgreSQL schema.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeliveryControlTests(PostgresCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task RateLimit_TwoInstances_HoldTogether_EverySecond_UnlimitedNotSlowed()
    {
        const string schema = "rate_limit";
        const int rate = 10;
        const int events = 50;
        var cs = await cluster.CreateDatabaseAsync("ratelimit");
        await using var limited = await TestReceiver.StartAsync();
        await using var unlimited = await TestReceiver.StartAsync();
        await using var a = await PgHosts.StartAsync(cs, schema, o => o.UserAgent = "instance-a", start: false);
        await using var b = await PgHosts.StartAsync(cs, schema, o => o.UserAgent = "instance-b", start: false);
        var sub = await a.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "limited", Url = limited.Url(), Events = ["order.created"], RateLimit = rate });
        await PgHosts.SubscribeAsync(a, unlimited.Url(), "unlimited");
        (await b.Subscriptions.GetAsync(null, sub.Subscription.Id))!.RateLimit.Should().Be(rate, "the limit is stored");

        for (int i = 0; i < events; i++)
        {
            await (i % 2 == 0 ? a : b).Publisher.PublishAsync("order.created", new { id = i });
        }

        // The whole backlog is queued before either dispatcher starts, so the burst is taken at once.
        await Task.WhenAll(a.Host.StartAsync(), b.Host.StartAsync());

        await unlimited.WaitForAsync(events, TimeSpan.FromSeconds(60));
        limited.Requests.Count.Should().BeLessThan(events, "the unlimited subscription got everything while the limited one was held to its rate");
        var received = await limited.WaitForAsync(events, TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(
            async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == 2 * events,
            "every delivery recorded as succeeded",
            TimeSpan.FromSeconds(30));

        var perSecond = received.GroupBy(r => r.ReceivedAt.ToUnixTimeSeconds()).OrderBy(g => g.Key).Select(g => g.Count()).ToList();
        output.WriteLine("per second: " + string.Join(" ", perSecond));
        received.Select(r => r.Header("user-agent")).Distinct().Should().HaveCount(2, "both instances sent to the limited subscription");
        // The burst (10 at once) lands in the first second, or straddles into the second when it is taken
        // just before a boundary. After it, slots are one interval (100 ms) apart on the database's clock;
        // the receiver counts arrivals, which trail their slots by the send time (connection set-up, a cold
        // JIT, 2 cores shared with other builds: up to ~300 ms seen), so one second may hold a few more as
        // long as the seconds after the burst, taken together, stay within the rate.
        perSecond[0].Should().BeLessThanOrEqualTo(2 * rate, "the first second holds at most the burst plus a second's worth");
        (perSecond[0] + perSecond[1]).Should().BeLessThanOrEqualTo((3 * rate) + 1, "the first two seconds hold at most the burst plus two seconds' worth");
        perSecond.Skip(2).Should().OnlyContain(n => n <= rate + (rate / 2), "after the burst each second stays near the limit (arrival jitter aside)");
        perSecond.Skip(2).Sum().Should().BeLessThanOrEqualTo((rate * (perSecond.Count - 2)) + 1, "after the burst the limit holds for both instances together");
        var span = received.Max(r => r.ReceivedAt) - received.Min(r => r.ReceivedAt);
        span.Should().BeGreaterThan(TimeSpan.FromSeconds(((events - rate) / (double)rate) - 0.5), "a burst of 10 then 10 per second: 50 need 4 s");
        var attempts = await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM \"{schema}\".attempts WHERE subscription_id = '{sub.Subscription.Id}'");
        attempts.Should().Be(events, "held back is not an attempt: one attempt per delivery");
    }

    [Fact]
    public async Task Ordered_TwoInstances_FirstAttemptsFail_EachKeyArrivesInPublishOrder()
    {
        const string schema = "ordered";
        var cs = await cluster.CreateDatabaseAsync("ordered");
        await using var receiver = await TestReceiver.StartAsync();
        var seen = new ConcurrentDictionary<string, int>();
        var arrivals = new ConcurrentQueue<(string Key, int Seq, int Status, string Instance)>();
        receiver.Responder = async (ctx, _) =>
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            var data = doc.RootElement.GetProperty("data");
            var (key, seq) = (data.GetProperty("key").GetString()!, data.GetProperty("seq").GetInt32());
            int n = seen.AddOrUpdate($"{key}/{seq}", 1, (_, c) => c + 1);
            ctx.Response.StatusCode = seq % 3 == 0 && n == 1 ? 500 : 200; // every third event fails its first attempt
            arrivals.Enqueue((key, seq, ctx.Response.StatusCode, ctx.Request.Headers.UserAgent.ToString()));
        };
        await using var a = await PgHosts.StartAsync(cs, schema, o => o.UserAgent = "instance-a");
        await using var b = await PgHosts.StartAsync(cs, schema, o => o.UserAgent = "instance-b");
        var sub = await a.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "ordered", Url = receiver.Url(), Events = ["order.created"], Ordered = true });

        string[] keys = ["ord_1", "ord_2", "ord_3", "ord_4"];
        const int perKey = 6;
        int published = 0;
        for (int seq = 0; seq < perKey; seq++)
        {
            foreach (var key in keys)
            {
                var host = published++ % 2 == 0 ? a : b;
                await host.Publisher.PublishAsync("order.created", new { key, seq }, new WebhookPublishOptions { OrderingKey = key });
            }
        }

        await Eventually.TrueAsync(
            async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == keys.Length * perKey,
            "every ordered delivery recorded as succeeded",
            TimeSpan.FromSeconds(60));
        output.WriteLine($"arrivals {arrivals.Count}, by instance: {string.Join(", ", arrivals.GroupBy(x => x.Instance).Select(g => $"{g.Key} {g.Count()}"))}");
        arrivals.Select(x => x.Instance).Distinct().Should().HaveCount(2, "both instances delivered");
        foreach (var key in keys)
        {
            var sequence = arrivals.Where(x => x.Key == key).Select(x => x.Seq).ToList();
            sequence.Should().BeInAscendingOrder($"key {key}'s events arrive in publish order, a retried one before the next, whichever instance sends");
            sequence.Distinct().Should().Equal(Enumerable.Range(0, perKey));
        }

        var log = (await b.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id, limit: 100))!.Items;
        log.Should().OnlyContain(d => keys.Contains(d.OrderingKey), "the log shows each delivery's ordering key");
    }
}
