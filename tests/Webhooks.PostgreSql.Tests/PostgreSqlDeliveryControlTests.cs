using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
        var holdBacks = new HoldBackCounter();
        await using var a = await PgHosts.StartAsync(cs, schema, o => o.UserAgent = "instance-a", configure: holdBacks.AddTo);
        await using var b = await PgHosts.StartAsync(cs, schema, o => o.UserAgent = "instance-b", configure: holdBacks.AddTo);

        // Warm both instances' sending path (connections, JIT, the slot statement) first: the receiver counts
        // arrivals, and a cold first send would hold back the burst's arrivals and bunch them with later ones.
        await a.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "warm", Url = limited.Url("/warm"), Events = ["order.shipped"], RateLimit = 1000 });
        for (int i = 0; i < 20; i++)
        {
            await (i % 2 == 0 ? a : b).Publisher.PublishAsync("order.shipped", new { id = i });
        }

        await limited.WaitForAsync(20, TimeSpan.FromSeconds(30));

        var sub = await a.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "limited", Url = limited.Url(), Events = ["order.created"], RateLimit = rate });
        await PgHosts.SubscribeAsync(a, unlimited.Url(), "unlimited");
        (await b.Subscriptions.GetAsync(null, sub.Subscription.Id))!.RateLimit.Should().Be(rate, "the limit is stored");

        holdBacks.Reset();
        await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await (i % 2 == 0 ? a : b).Publisher.PublishAsync("order.created", new { id = i }, cancellationToken: ct));

        await unlimited.WaitForAsync(events, TimeSpan.FromSeconds(60));
        await limited.WaitForAsync(events + 20, TimeSpan.FromSeconds(60));
        var received = limited.Requests.Where(r => r.Path == "/hook").ToList();
        await Eventually.TrueAsync(
            async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == (2 * events) + 20,
            "every delivery recorded as succeeded",
            TimeSpan.FromSeconds(30));

        unlimited.Requests.Max(r => r.ReceivedAt).Should().BeBefore(received.Max(r => r.ReceivedAt), "the unlimited subscription is not held back by its neighbour's limit");
        received.Select(r => r.Header("user-agent")).Distinct().Should().HaveCount(2, "both instances sent to the limited subscription");
        var attempts = await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM \"{schema}\".attempts WHERE subscription_id = '{sub.Subscription.Id}'");
        attempts.Should().Be(events, "held back is not an attempt: one attempt per delivery");

        // Counted per second by the receiver, and by the send times the engine recorded.
        var arrivals = received.GroupBy(r => r.ReceivedAt.ToUnixTimeSeconds()).OrderBy(g => g.Key).Select(g => g.Count()).ToList();
        var sentAt = new List<DateTimeOffset>();
        await using (var connection = new Npgsql.NpgsqlConnection(cs))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"SELECT started_at FROM \"{schema}\".attempts WHERE subscription_id = '{sub.Subscription.Id}' ORDER BY started_at", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                sentAt.Add(reader.GetFieldValue<DateTimeOffset>(0));
            }
        }

        var sentPerSecond = sentAt.GroupBy(t => t.ToUnixTimeSeconds()).OrderBy(g => g.Key).Select(g => g.Count()).ToList();
        // Cost: each attempt to a limited subscription takes a slot (one upsert); each hold-back costs one
        // more slot statement, one release and a share of a later lease.
        output.WriteLine($"held back {holdBacks.Count} times for {events} deliveries ({holdBacks.Count / (double)events:F2} per delivery)");
        output.WriteLine("received per second: " + string.Join(" ", arrivals) + "; sent per second: " + string.Join(" ", sentPerSecond));

        // Shared by both instances: a burst of 10, then 10 per second, so 50 take at least 4 s (with a limit
        // per instance they would take 1.5 s).
        (sentAt[^1] - sentAt[0]).Should().BeGreaterThan(TimeSpan.FromSeconds(((events - rate) / (double)rate) - 0.5), "the two instances share one limit");

        // The rule is a token bucket of `rate` refilled at `rate` per second (GCRA on the database's clock):
        // no window holds more than the burst plus the rate times its length, whichever instance sent, so
        // no second holds more than the burst plus a second's worth (and one after the first holds more
        // than `rate` only when the bucket refilled in a lull before it). A send is recorded a moment after
        // its slot was taken; on 2 cores shared with other builds that moment varies, hence the slack.
        int slack = rate / 2;
        sentPerSecond.Should().OnlyContain(n => n <= (2 * rate) + slack, "no second holds more than the burst plus a second's worth");
        for (int i = 0; i < sentAt.Count; i++)
        {
            for (int j = i + 1; j < sentAt.Count; j++)
            {
                double allowed = rate + (rate * (sentAt[j] - sentAt[i]).TotalSeconds) + slack;
                (j - i + 1).Should().BeLessThanOrEqualTo((int)allowed, $"sends {i} to {j} span {(sentAt[j] - sentAt[i]).TotalMilliseconds:F0} ms: at most the burst plus the rate times that");
            }
        }
    }

    /// <summary>Counts the dispatcher's "held back by the rate limit" log events (event id 13, Debug) of both instances.</summary>
    private sealed class HoldBackCounter : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void AddTo(IServiceCollection services) =>
            services.AddLogging(l => l.AddProvider(this).AddFilter<HoldBackCounter>("Webhooks.Core.Delivery", Microsoft.Extensions.Logging.LogLevel.Debug));

        public void Reset() => Interlocked.Exchange(ref _count, 0);

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 13 && eventId.Name == "LogRateLimited")
            {
                Interlocked.Increment(ref _count);
            }
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task RateLimit_SubscriptionDeleted_ItsSendSlotRowGoesWithIt()
    {
        const string schema = "rate_limit_delete";
        var cs = await cluster.CreateDatabaseAsync("ratelimitdelete");
        await using var receiver = await TestReceiver.StartAsync();
        await using var a = await PgHosts.StartAsync(cs, schema);
        var kept = await a.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "kept", Url = receiver.Url("/kept"), Events = ["order.created"], RateLimit = 5 });
        var gone = await a.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "gone", Url = receiver.Url("/gone"), Events = ["order.created"], RateLimit = 5 });
        await a.Publisher.PublishAsync("order.created", new { id = 1 });
        await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));
        (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM \"{schema}\".rate_limits")).Should().Be(2, "each limited subscription took a send slot");

        (await a.Subscriptions.DeleteAsync(null, gone.Subscription.Id, gone.Subscription.Version)).Should().BeTrue();

        (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM \"{schema}\".rate_limits WHERE subscription_id = '{gone.Subscription.Id}'")).Should().Be(0, "a deleted subscription leaves no send-slot row behind");
        (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM \"{schema}\".rate_limits WHERE subscription_id = '{kept.Subscription.Id}'")).Should().Be(1, "other subscriptions keep theirs");
        (await a.Subscriptions.DeleteAsync(null, gone.Subscription.Id)).Should().BeFalse("already deleted");
        (await a.Subscriptions.DeleteAsync(null, kept.Subscription.Id)).Should().BeTrue("a delete without a version still works");
        (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM \"{schema}\".rate_limits")).Should().Be(0);
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
        // The receiver fails a quarter of all attempts on purpose; an instance that happens to make most
        // of the failing ones would open its circuit breaker (>= 50% of >= 10) and hold the key's head
        // back for 30 s. That is the breaker's job, not what this test is about.
        await using var a = await PgHosts.StartAsync(cs, schema, o => { o.UserAgent = "instance-a"; o.CircuitBreaker.Enabled = false; });
        await using var b = await PgHosts.StartAsync(cs, schema, o => { o.UserAgent = "instance-b"; o.CircuitBreaker.Enabled = false; });
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

        try
        {
            await Eventually.TrueAsync(
                async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == keys.Length * perKey,
                "every ordered delivery recorded as succeeded",
                TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            // What each delivery's row says, to tell a stall from a give-up.
            foreach (var d in (await b.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id, limit: 100))!.Items)
            {
                output.WriteLine($"{d.OrderingKey} {d.Id} {d.Status} attempts {d.AttemptCount} next {d.NextAttemptAt:O} last {d.LastStatusCode} {d.LastError}");
            }

            output.WriteLine($"arrivals: {string.Join(" ", arrivals.Select(x => $"{x.Key}/{x.Seq}:{x.Status}@{x.Instance}"))}; now {DateTimeOffset.UtcNow:O}");
            throw;
        }

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
