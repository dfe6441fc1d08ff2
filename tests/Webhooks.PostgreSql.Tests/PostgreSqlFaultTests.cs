using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Webhooks.Core.Delivery;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

/// <summary>Instances that crash and a database that restarts: nothing published is lost.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlFaultTests(PostgresCluster cluster, Xunit.Abstractions.ITestOutputHelper output)
{
    private const int VictimConcurrency = 8;

    /// <summary>
    /// A dispatcher in a separate process is killed with SIGKILL while it holds leases whose requests
    /// the receiver is keeping open. The other instance takes those deliveries over once the leases
    /// expire: every delivery arrives, and the only duplicates are the killed host's in-flight ones.
    /// </summary>
    [Fact]
    public async Task HostKilledMidRun_OtherHostTakesOverItsLeases_NothingLost()
    {
        const string schema = "crash";
        const int events = 200;
        var cs = await cluster.CreateDatabaseAsync("faults");
        await using var receiver = await TestReceiver.StartAsync();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new ConcurrentDictionary<(string Path, string MessageId), byte>();
        int victimRequests = 0;
        receiver.Responder = async (ctx, _) =>
        {
            if (ctx.Request.Headers.UserAgent == "victim" && Interlocked.Increment(ref victimRequests) > 10)
            {
                // Never answered while the victim lives: these are its in-flight attempts when it is killed.
                held.TryAdd((ctx.Request.Path.Value!, ctx.Request.Headers["webhook-id"].ToString()), 0);
                await hold.Task;
            }

            ctx.Response.StatusCode = 200;
        };

        await using var setup = await PgHosts.StartAsync(cs, schema, start: false);
        await PgHosts.SubscribeAsync(setup, receiver.Url("/a"), "a");
        await PgHosts.SubscribeAsync(setup, receiver.Url("/b"), "b");

        using var victim = await StartTestHostAsync(cs, schema, "victim", VictimConcurrency, leaseMs: 3000);
        try
        {
            var published = new List<string>();
            for (int i = 0; i < events; i++)
            {
                published.Add((await setup.Publisher.PublishAsync("order.created", new { id = i })).MessageId);
            }

            // ">=": under load an unanswered attempt can time out (AttemptTimeout = lease / 2) and the victim starts another.
            await Eventually.TrueAsync(() => Task.FromResult(held.Count >= VictimConcurrency), "the victim's every slot in flight");
            await using var survivor = await PgHosts.StartAsync(cs, schema, o =>
            {
                o.UserAgent = "survivor";
                o.LeaseDuration = TimeSpan.FromSeconds(3);
                o.AttemptTimeout = TimeSpan.FromSeconds(1);
                o.PollInterval = TimeSpan.FromMilliseconds(100);
            });
            await Eventually.TrueAsync(() => Task.FromResult(receiver.Requests.Count(r => r.Header("user-agent") == "survivor") >= 20), "the survivor delivering");

            victim.Kill(); // SIGKILL: no shutdown, no lease handed back
            await victim.WaitForExitAsync();
            var inFlightAtKill = held.Keys.ToHashSet();
            hold.SetResult();
            output.WriteLine($"killed the victim holding {inFlightAtKill.Count} attempt(s); {receiver.Requests.Count} request(s) so far");

            await Eventually.TrueAsync(
                async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == events * 2,
                "every delivery recorded as succeeded",
                TimeSpan.FromSeconds(60));

            var requests = receiver.Requests;
            var expected = published.SelectMany(id => new[] { ("/a", id), ("/b", id) }).ToHashSet();
            var received = requests.Select(PgHosts.Key).ToList();
            expected.Except(received).Should().BeEmpty("nothing is lost");
            var duplicates = received.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            // Every unanswered attempt of the victim (in flight at the kill, or timed out before it) is sent
            // again, and nothing else is: how many there are depends on how long the kill took under load.
            duplicates.Should().BeEquivalentTo(inFlightAtKill, "only the killed host's unanswered deliveries are sent twice");
            requests.Where(r => r.Header("user-agent") == "survivor").Select(PgHosts.Key)
                .Should().Contain(inFlightAtKill, "the survivor delivered what the killed host held");
        }
        finally
        {
            if (!victim.HasExited)
            {
                victim.Kill();
            }

            hold.TrySetResult();
        }
    }

    /// <summary>The database is restarted while two hosts deliver: they log, back off, reconnect, and deliver everything.</summary>
    [Fact]
    public async Task DatabaseRestartedMidRun_DispatchersBackOffAndResume_NothingLost()
    {
        const string schema = "restart";
        const int before = 300;
        const int after = 50;
        var server = cluster.IsOwned ? cluster : await PostgresCluster.StartPrivateAsync();
        try
        {
            var cs = await server.CreateDatabaseAsync("restart");
            await using var receiver = await TestReceiver.StartAsync();
            receiver.Responder = async (ctx, _) =>
            {
                await Task.Delay(100);
                ctx.Response.StatusCode = 200;
            };
            var logsA = new LogCapture();
            var logsB = new LogCapture();
            void Options(Webhooks.Core.WebhookOptions o)
            {
                o.MaxConcurrentDeliveries = 8;
                o.LeaseDuration = TimeSpan.FromSeconds(3);
                o.AttemptTimeout = TimeSpan.FromSeconds(1);
                o.PollInterval = TimeSpan.FromMilliseconds(100);
            }

            await using var setup = await PgHosts.StartAsync(cs, schema, start: false);
            await PgHosts.SubscribeAsync(setup, receiver.Url("/a"), "a");
            await PgHosts.SubscribeAsync(setup, receiver.Url("/b"), "b");
            await using var a = await PgHosts.StartAsync(cs, schema, Options, logs: logsA);
            await using var b = await PgHosts.StartAsync(cs, schema, Options, logs: logsB);
            var published = new List<string>();
            for (int i = 0; i < before; i++)
            {
                published.Add((await setup.Publisher.PublishAsync("order.created", new { id = i })).MessageId);
            }

            await receiver.WaitForAsync(before / 2, TimeSpan.FromSeconds(60));
            var sw = Stopwatch.StartNew();
            await server.RestartAsync(TimeSpan.FromSeconds(1));
            var atRestart = receiver.Requests.Select(PgHosts.Key).Distinct().Count();
            output.WriteLine($"restarted in {sw.Elapsed} with {atRestart} of {before * 2} deliveries received");

            // The app's own publishes fail while pooled connections are found broken; it retries, as an app would.
            for (int i = 0; i < after; i++)
            {
                published.Add(await PublishWithRetryAsync(setup, i));
            }

            await Eventually.TrueAsync(
                async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == (before + after) * 2,
                "every delivery recorded as succeeded",
                TimeSpan.FromSeconds(90));

            var expected = published.SelectMany(id => new[] { ("/a", id), ("/b", id) }).ToHashSet();
            expected.Except(receiver.Requests.Select(PgHosts.Key)).Should().BeEmpty("nothing is lost");
            var logs = logsA.Entries.Concat(logsB.Entries).ToList();
            output.WriteLine($"{receiver.Requests.Count} request(s) for {expected.Count} deliveries; {logs.Count} log entries");
            logs.Should().Contain(
                e => e.Category == "Webhooks.Core.Delivery.WebhookDispatcher" && e.Level == LogLevel.Warning && e.Message.Contains("retrying in"),
                "the dispatchers log the failure and back off");
            logs.Should().Contain(
                e => e.Category == "Webhooks.PostgreSql.Delivery.PostgreSqlNotificationListener" && e.Level == LogLevel.Warning,
                "the listener logs its lost connection");
        }
        finally
        {
            if (!ReferenceEquals(server, cluster))
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task<string> PublishWithRetryAsync(WebhookHost host, int id)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return (await host.Publisher.PublishAsync("order.created", new { id = -id - 1 })).MessageId;
            }
            catch (Exception) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    private async Task<Process> StartTestHostAsync(string connectionString, string schema, string userAgent, int concurrency, int leaseMs)
    {
        var path = typeof(PostgreSqlFaultTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestHostPath").Value!;
        File.Exists(path).Should().BeTrue($"the test host is built next to the tests ({path})");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { path, connectionString, schema, userAgent, concurrency.ToString(), leaseMs.ToString() })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi)!;
        var errors = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cts.Token);
            if (line is null)
            {
                throw new InvalidOperationException($"The test host exited before it was ready: {string.Join('\n', errors)}");
            }

            if (line == "READY")
            {
                _ = DrainAsync(process.StandardOutput);
                return process;
            }

            output.WriteLine("test host: " + line);
        }
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null)
        {
        }
    }
}
