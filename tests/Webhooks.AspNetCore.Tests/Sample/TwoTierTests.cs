using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Sample;

/// <summary>
/// Where deliveries are sent from: the Orders sample as a publish-only web tier
/// (Webhooks:Dispatcher:Enabled=false) on a SQLite file, and the Worker sample beside it, run as
/// its own process, sending what the web tier published.
/// </summary>
public sealed class TwoTierTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"two-tier-{Guid.NewGuid():N}.db");
    private TestReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await TestReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" })
        {
            File.Delete(f);
        }
    }

    [Fact]
    public async Task PublishOnlyOrders_EnqueuesOnly_WorkerSendsWhatItPublished()
    {
        var connection = $"Data Source={_file}";
        await using (var orders = new OrdersSampleFactory("Development", new Dictionary<string, string?>
        {
            ["ConnectionStrings:WebhooksSqlite"] = connection,
            ["Webhooks:Dispatcher:Enabled"] = "false",
        }))
        {
            using var alice = orders.ClientWithKey("alice-dev-key");
            await alice.CreateSubscriptionAsync("orders", _receiver.Url("/alice"), "order.*");
            for (int i = 0; i < 3; i++)
            {
                (await alice.PostJsonAsync("/orders", new { customer = $"C{i}", items = new[] { new { sku = "A-1", quantity = 1, unitPrice = 2m } } }))
                    .StatusCode.Should().Be(HttpStatusCode.Created);
            }

            await Task.Delay(500);
            _receiver.Requests.Should().BeEmpty("the web tier only enqueues");
            var log = await (await alice.GetAsync("/webhooks/deliveries")).JsonAsync(HttpStatusCode.OK);
            log["items"]!.AsArray().Should().HaveCount(3).And.OnlyContain(d => (string)d!["status"]! == "pending");
        }

        var (exit, output) = await RunWorkerOnceAsync(connection);

        exit.Should().Be(0, output);
        output.Should().Contain("sent 3 (succeeded 3");
        var arrived = await _receiver.WaitForAsync(3);
        arrived.Select(r => (string)JsonNode.Parse(r.Body)!["type"]!).Should().Equal("order.created", "order.created", "order.created");
    }

    [Fact]
    public async Task Worker_WithoutAStore_ExitsWithAClearMessage()
    {
        var (exit, output) = await RunWorkerOnceAsync(null);

        exit.Should().Be(2);
        output.Should().Contain("ConnectionStrings__WebhooksSqlite");
    }

    private static async Task<(int Exit, string Output)> RunWorkerOnceAsync(string? sqlite)
    {
        var path = typeof(TwoTierTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WorkerPath").Value!;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(path);
        start.ArgumentList.Add("--once");
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["Webhooks__AllowHttp"] = "true";
        start.Environment["Webhooks__Network__AllowLoopback"] = "true";
        start.Environment["Worker__TimeLimitSeconds"] = "20";
        if (sqlite is not null)
        {
            start.Environment["ConnectionStrings__WebhooksSqlite"] = sqlite;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
