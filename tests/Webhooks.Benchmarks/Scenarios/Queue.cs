using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Abstractions.Delivery;
using Webhooks.Benchmarks.Harness;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// The in-process part of a delivery without HTTP: publish (one caller) into the in-memory store, then
/// lease in batches of 16 and record a successful attempt for each (dispatcher off). Reported as CPU
/// time per delivery, the fastest of several rounds: on a loaded machine the fastest round is the one
/// least disturbed, so two builds compare more steadily here than in the end-to-end <c>throughput</c>.
/// </summary>
public static class Queue
{
    public static async Task<Report> RunAsync(Settings settings)
    {
        int deliveries = settings.Count("queue-deliveries", 20_000, 10_000);
        int rounds = settings.Count("queue-rounds", 15, 9);
        var report = new Report("queue");
        report.Setting("deliveries", deliveries).Setting("rounds", rounds).Setting("leaseBatch", 16).Setting("bodyBytes", Payload.EnvelopeBytes);

        await using var host = LibraryHost.Create(16, dispatcher: false, retained: 1_000);
        await host.SubscribeAsync("http://127.0.0.1:9/unused");
        var store = host.Services.GetRequiredService<IWebhookDeliveryStore>();
        await RoundAsync(host, store, 2_000);
        var publish = new List<double>();
        var deliver = new List<double>();
        for (int round = 1; round <= rounds; round++)
        {
            var (p, d) = await RoundAsync(host, store, deliveries);
            publish.Add(p);
            deliver.Add(d);
        }

        Console.WriteLine($"  publish: fastest {publish.Min():0.00} µs, median {Stats.Median(publish):0.00} µs per delivery; lease + record: fastest {deliver.Min():0.00} µs, median {Stats.Median(deliver):0.00} µs");
        report.Figure("publishMicroseconds", Report.Array(publish))
            .Figure("deliverMicroseconds", Report.Array(deliver))
            .Figure("publishFastestMicroseconds", Math.Round(publish.Min(), 3), Stats.N(publish.Min(), "0.00") + " µs CPU per publish of one delivery (fastest round)")
            .Figure("deliverFastestMicroseconds", Math.Round(deliver.Min(), 3), Stats.N(deliver.Min(), "0.00") + " µs CPU per lease + recorded attempt (fastest round)")
            .Figure("totalFastestMicroseconds", Math.Round(publish.Min() + deliver.Min(), 3), Stats.N(publish.Min() + deliver.Min(), "0.00") + " µs per delivery in process, without HTTP");
        return report;
    }

    private static async Task<(double Publish, double Deliver)> RoundAsync(LibraryHost host, IWebhookDeliveryStore store, int n)
    {
        var data = Payload.Data(1);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var cpu = CpuTime();
        for (int i = 0; i < n; i++)
        {
            await host.Publisher.PublishAsync(Payload.EventType, data);
        }

        var published = CpuTime();
        int done = 0;
        while (done < n)
        {
            var leases = await store.LeaseAsync(16, TimeSpan.FromMinutes(1), CancellationToken.None);
            if (leases.Count == 0)
            {
                throw new InvalidOperationException($"Only {done} of {n} deliveries were leased.");
            }

            foreach (var lease in leases)
            {
                var attempt = new WebhookAttempt { Number = lease.Delivery.AttemptCount + 1, StartedAt = DateTimeOffset.UtcNow, Duration = TimeSpan.FromMilliseconds(1), StatusCode = 200 };
                await store.CompleteAttemptAsync(lease, attempt, new WebhookDeliveryTransition(WebhookDeliveryStatus.Succeeded), CancellationToken.None);
                done++;
            }
        }

        var delivered = CpuTime();
        return ((published - cpu).TotalMicroseconds / n, (delivered - published).TotalMicroseconds / n);
    }

    private static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
