using System.Diagnostics;
using Webhooks.Benchmarks.Harness;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// Publish → received at a steady rate (500 events/s for 20 s): p50/p99/max for the library in memory,
/// for a direct send (the hand-written loop signing and posting at the same moments), and for PostgreSQL.
/// </summary>
public static class Latency
{
    public static async Task<Report> RunAsync(Settings settings, Receiver receiver, PostgresServer? server)
    {
        int rate = settings.Count("rate", 500, 500);
        int seconds = settings.Count("seconds", 20, 3);
        var report = new Report("latency") { Target = "in-memory p99 <= direct p99 + 1 ms; PostgreSQL reported" };
        report.Setting("eventsPerSecond", rate).Setting("seconds", seconds).Setting("bodyBytes", Payload.EnvelopeBytes);

        // Warm both paths.
        await DirectAsync(receiver, rate, 1);
        await LibraryAsync(receiver, rate, 1, null);

        var direct = await DirectAsync(receiver, rate, seconds);
        var memory = await LibraryAsync(receiver, rate, seconds, null);
        Row(report, "direct", direct, "direct send (hand-written loop)");
        Row(report, "inMemory", memory, "library, in-memory stores");
        double p99Direct = Stats.Percentile(direct, 99), p99Memory = Stats.Percentile(memory, 99);
        report.TargetMet = p99Memory <= p99Direct + 1;
        report.Figure("inMemoryP99MinusDirectP99Ms", Math.Round(p99Memory - p99Direct, 3), Stats.N(p99Memory - p99Direct, "0.00") + " ms (in memory p99 - direct p99)");
        if (server is not null)
        {
            var database = await server.CreateDatabaseAsync();
            try
            {
                var pg = await LibraryAsync(receiver, rate, seconds, database);
                Row(report, "postgres", pg, "library, PostgreSQL stores (one instance)");
            }
            finally
            {
                await server.DropDatabaseAsync(database);
            }
        }

        return report;
    }

    private static void Row(Report report, string name, double[] ms, string label)
    {
        report.Figure(name + "P50Ms", Math.Round(Stats.Percentile(ms, 50), 3))
            .Figure(name + "P99Ms", Math.Round(Stats.Percentile(ms, 99), 3))
            .Figure(name + "MaxMs", Math.Round(ms.DefaultIfEmpty(double.NaN).Max(), 3))
            .Figure(name + "Count", ms.Length, $"{label}: p50 {Stats.Percentile(ms, 50):0.00} ms, p99 {Stats.Percentile(ms, 99):0.00} ms, max {ms.DefaultIfEmpty(double.NaN).Max():0.00} ms ({ms.Length} events)");
    }

    /// <summary>Calls <paramref name="send"/> at a steady rate, each with its own scheduled moment; waits for every arrival.</summary>
    private static async Task<double[]> PaceAsync(Receiver receiver, int rate, int seconds, Func<long, long, Task> send)
    {
        receiver.TakeLatencies();
        int total = rate * seconds;
        long from = receiver.Arrived;
        var interval = Stopwatch.Frequency / (double)rate;
        long start = Stopwatch.GetTimestamp();
        var inFlight = new List<Task>(total);
        // At most 64 sends or publishes in flight (a PostgreSQL publish slower than the rate would
        // otherwise exhaust the connection pool); one that waits for a slot counts the wait.
        using var slots = new SemaphoreSlim(64);
        for (int i = 0; i < total; i++)
        {
            long due = start + (long)(i * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                if (due - Stopwatch.GetTimestamp() > Stopwatch.Frequency / 500)
                {
                    await Task.Delay(1);
                }
                else
                {
                    Thread.SpinWait(50);
                }
            }

            long scheduled = Stopwatch.GetTimestamp();
            int seq = i;
            inFlight.Add(Task.Run(async () =>
            {
                await slots.WaitAsync();
                try
                {
                    await send(seq, scheduled);
                }
                finally
                {
                    slots.Release();
                }
            }));
        }

        await Task.WhenAll(inFlight);
        await receiver.WaitForAsync(from, total, TimeSpan.FromMinutes(2));
        return receiver.TakeLatencies();
    }

    private static async Task<double[]> DirectAsync(Receiver receiver, int rate, int seconds)
    {
        using var sender = new HandWrittenSender(64);
        var url = receiver.LatencyUrl;
        return await PaceAsync(receiver, rate, seconds, (i, t) =>
            sender.SendAsync(url, Payload.EnvelopeOf(Payload.Data(i, t), DateTimeOffset.UtcNow)));
    }

    private static async Task<double[]> LibraryAsync(Receiver receiver, int rate, int seconds, string? postgres)
    {
        await using var host = LibraryHost.Create(64, postgres);
        await host.SubscribeAsync(receiver.LatencyUrl);
        await host.StartAsync();
        return await PaceAsync(receiver, rate, seconds, (i, t) =>
            host.Publisher.PublishAsync(Payload.EventType, Payload.Data(i, t)));
    }
}
