using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Abstractions.Delivery;
using Webhooks.Core;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.Sqlite.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Webhooks.Sqlite.Tests;

/// <summary>The point of a durable store: an app that stops, or is killed, loses nothing published.</summary>
public sealed class SqliteRestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly SqliteTestFile _file = new(TimeProvider.System);

    public void Dispose() => _file.Dispose();

    /// <summary>
    /// An app in its own process publishes to a receiver that fails or holds every request open, so
    /// its deliveries are pending (some leased, some waiting for a retry, most never tried) when it is
    /// killed with SIGKILL. A new host on the same file, with the receiver healthy again, delivers
    /// every message: none lost.
    /// </summary>
    [Fact]
    public async Task AppKilledWithPendingDeliveries_RestartedOnTheSameFile_EveryDeliveryArrives()
    {
        const int events = 40;
        const int concurrency = 4;
        var sw = Stopwatch.StartNew();
        await using var receiver = await TestReceiver.StartAsync();
        var healthy = false;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new ConcurrentDictionary<string, byte>();
        var delivered = new ConcurrentDictionary<string, int>();
        receiver.Responder = async (ctx, n) =>
        {
            var id = ctx.Request.Headers["webhook-id"].ToString();
            if (Volatile.Read(ref healthy))
            {
                delivered.AddOrUpdate(id, 1, (_, c) => c + 1);
                ctx.Response.StatusCode = 200;
            }
            else if (n <= 6)
            {
                ctx.Response.StatusCode = 503; // pending again, due after a retry delay
            }
            else
            {
                held.TryAdd(id, 0); // leased and in flight when the app dies
                await hold.Task.WaitAsync(ctx.RequestAborted);
            }
        };

        var published = new List<string>();
        using (var victim = StartTestHost(receiver.Url("/hook"), events, concurrency, leaseMs: 3000))
        {
            try
            {
                using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (await victim.StandardOutput.ReadLineAsync(ready.Token) is { } line && line != "READY")
                {
                    line.Should().StartWith("PUBLISHED ", "the test host prints only its message ids before READY");
                    published.Add(line["PUBLISHED ".Length..]);
                }

                published.Should().HaveCount(events, "the test host published everything before READY");
                _ = victim.StandardOutput.ReadToEndAsync(); // keep its console from filling up and blocking it
                await Eventually.TrueAsync(() => Task.FromResult(held.Count == concurrency), "every delivery slot of the app held open", TimeSpan.FromSeconds(30));
            }
            finally
            {
                victim.Kill(); // SIGKILL: no shutdown, no lease handed back
                await victim.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }

        output.WriteLine($"killed after {sw.Elapsed.TotalSeconds:F1} s holding {held.Count} request(s); {receiver.Requests.Count} request(s) so far");
        _file.Scalar<long>("SELECT count(*) FROM deliveries WHERE status = 0").Should().Be(events, "nothing was delivered before the kill");
        Volatile.Write(ref healthy, true);
        hold.SetResult();

        await using var restarted = await StartHostAsync();
        await Eventually.TrueAsync(
            () => Task.FromResult(_file.Scalar<long>("SELECT count(*) FROM deliveries WHERE status = 1") == events),
            "every delivery recorded as succeeded",
            TimeSpan.FromSeconds(60));

        delivered.Keys.Should().BeEquivalentTo(published, "every message published before the kill arrives after the restart");
        output.WriteLine($"all {events} delivered {sw.Elapsed.TotalSeconds:F1} s after start; {delivered.Values.Count(c => c > 1)} sent twice after the restart");
    }

    /// <summary>
    /// A host stops with deliveries waiting for a retry; a new host on the same file finds the
    /// subscription, the pending deliveries and their log, and finishes them.
    /// </summary>
    [Fact]
    public async Task HostRestarted_SubscriptionsPendingDeliveriesAndLogSurvive()
    {
        const int events = 5;
        await using var receiver = await TestReceiver.StartAsync();
        var healthy = false;
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = Volatile.Read(ref healthy) ? 200 : 500;
            return Task.CompletedTask;
        };

        string subscriptionId;
        var published = new List<string>();
        await using (var first = await StartHostAsync(o => o.RetrySchedule = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)]))
        {
            subscriptionId = (await first.Subscriptions.CreateAsync("tenant-1", new WebhookSubscriptionDefinition
            {
                Name = "orders",
                Url = receiver.Url("/hook"),
                Events = ["order.created"],
            })).Subscription.Id;
            for (int i = 0; i < events; i++)
            {
                published.Add((await first.Publisher.PublishAsync("order.created", new { id = i }, new() { Owner = "tenant-1" })).MessageId);
            }

            await receiver.WaitForAsync(events, TimeSpan.FromSeconds(20));
        }

        Volatile.Write(ref healthy, true);
        await using var second = await StartHostAsync(o => o.RetrySchedule = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)]);
        var deliveries = second.Services.GetRequiredService<WebhookDeliveryManager>();
        (await second.Subscriptions.GetAsync("tenant-1", subscriptionId))!.Name.Should().Be("orders");
        var page = await deliveries.GetDeliveriesAsync("tenant-1", subscriptionId, limit: 50);
        page!.Items.Select(d => d.MessageId).Should().BeEquivalentTo(published);

        await Eventually.TrueAsync(
            async () => (await deliveries.GetDeliveriesAsync("tenant-1", status: WebhookDeliveryStatus.Succeeded))!.Items.Count == events,
            "the pending deliveries finished by the new host",
            TimeSpan.FromSeconds(30));
        foreach (var delivery in page.Items)
        {
            var details = await deliveries.GetDeliveryAsync("tenant-1", delivery.Id);
            details!.Attempts.Select(a => a.StatusCode).Should().StartWith(500).And.EndWith(200, "the log kept the attempt made before the restart");
        }
    }

    private Task<WebhookHost> StartHostAsync(Action<WebhookOptions>? options = null) =>
        WebhookHost.StartAsync(b => b.AddEventType("order.created").UseSqlite(_file.ConnectionString), options);

    private Process StartTestHost(string receiverUrl, int events, int concurrency, int leaseMs)
    {
        var path = typeof(SqliteRestartTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestHostPath").Value!;
        File.Exists(path).Should().BeTrue($"the test host is built next to the tests ({path})");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { path, _file.Path, receiverUrl, events.ToString(), concurrency.ToString(), leaseMs.ToString() })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.WriteLine("test host: " + e.Data);
            }
        };
        process.BeginErrorReadLine();
        return process;
    }
}
