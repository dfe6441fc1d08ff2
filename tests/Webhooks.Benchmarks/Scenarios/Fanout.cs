using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Benchmarks.Harness;
using Webhooks.Core.Publishing;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// Publish cost (in-memory stores, one caller, dispatcher off) with 1,000 vs 1,000,000 subscriptions in
/// the store, 10 of them matching the event; the two stores alternate, rounds, medians.
/// </summary>
public static class Fanout
{
    public static async Task<Report> RunAsync(Settings settings)
    {
        int small = settings.Count("fanout-small", 1_000, 1_000);
        int large = settings.Count("fanout-large", 1_000_000, 100_000);
        int publishes = settings.Count("fanout-publishes", 5_000, 2_000);
        int rounds = settings.Count("rounds", 5, 2);
        var report = new Report("fanout") { Target = "ratio <= 1.5" };
        report.Setting("smallSubscriptions", small).Setting("largeSubscriptions", large).Setting("matching", 10)
            .Setting("publishesPerRound", publishes).Setting("rounds", rounds).Setting("bodyBytes", Payload.EnvelopeBytes);

        await using var a = LibraryHost.Create(16, dispatcher: false, retained: 10);
        await using var b = LibraryHost.Create(16, dispatcher: false, retained: 10);
        var sw = Stopwatch.StartNew();
        await FillAsync(a, small);
        await FillAsync(b, large);
        Console.WriteLine($"  {small:N0} + {large:N0} subscriptions created in {sw.Elapsed.TotalSeconds:0.0} s");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        var data = Payload.Data(1);
        var options = new WebhookPublishOptions { Owner = "tenant-0" };
        await MeasureAsync(a, 500);
        await MeasureAsync(b, 500);
        var smallUs = new List<double>();
        var largeUs = new List<double>();
        for (int round = 1; round <= rounds; round++)
        {
            double s = await MeasureAsync(a, publishes);
            double l = await MeasureAsync(b, publishes);
            smallUs.Add(s);
            largeUs.Add(l);
            Console.WriteLine($"  round {round}: {small:N0} subscriptions {s,7:0.0} µs/publish   {large:N0} {l,7:0.0} µs/publish   ratio {l / s:0.00}");
        }

        var ratios = smallUs.Zip(largeUs, (s, l) => l / s).ToList();
        report.Ratio = Stats.Median(ratios);
        report.TargetMet = report.Ratio <= 1.5;
        report.Figure("smallMicrosecondsPerPublish", Report.Array(smallUs))
            .Figure("largeMicrosecondsPerPublish", Report.Array(largeUs))
            .Figure("smallMedianMicroseconds", Math.Round(Stats.Median(smallUs), 2), $"{Stats.Median(smallUs):0.0} µs per publish with {small:N0} subscriptions (10 match)")
            .Figure("largeMedianMicroseconds", Math.Round(Stats.Median(largeUs), 2), $"{Stats.Median(largeUs):0.0} µs per publish with {large:N0} subscriptions (10 match)")
            .Figure("ratios", Report.Array(ratios));
        return report;

        async Task<double> MeasureAsync(LibraryHost host, int n)
        {
            var timer = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                var result = await host.Publisher.PublishAsync(Payload.EventType, data, options);
                if (result.DeliveryCount != 10)
                {
                    throw new InvalidOperationException($"{result.DeliveryCount} deliveries, expected 10.");
                }
            }

            return timer.Elapsed.TotalMicroseconds / n;
        }
    }

    /// <summary>Subscriptions spread over 1,000 owners and two event types, as a multi-tenant app's; 10 match tenant-0's order.created.</summary>
    private static async Task FillAsync(LibraryHost host, int count)
    {
        var store = host.Services.GetRequiredService<IWebhookSubscriptionStore>();
        var now = DateTimeOffset.UtcNow;
        var secret = new WebhookSecret(WebhookSecret.Generate());
        for (int i = 0; i < count; i++)
        {
            bool matching = i < 10;
            await store.CreateAsync(new WebhookSubscription
            {
                Id = $"sub_{i:D10}",
                Owner = matching ? "tenant-0" : $"tenant-{i % 1000}",
                Name = $"s{i}",
                Url = "http://127.0.0.1:9/hook",
                Events = [matching ? Payload.EventType : i % 2 == 0 ? "other.event" : "order.*"],
                Secrets = [secret],
                CreatedAt = now,
                UpdatedAt = now,
            }, default);
        }
    }
}
