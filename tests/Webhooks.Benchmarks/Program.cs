// The performance harness. Measures, in one process and one run (timings on a shared machine
// are noisy, so every figure is a ratio against a baseline measured alongside it):
//   1. delivery throughput of the library vs a bare HttpClient loop POSTing the same bytes to the
//      same loopback Kestrel receiver with the same concurrency (runs interleaved, median ratio);
//   2. publish cost with 10 vs 100,000 subscriptions in the store (one of them matching);
//   3. memory per pending delivery (one message fanned out, dispatcher stopped).
// Usage: dotnet run -c Release --project tests/Webhooks.Benchmarks [-- --deliveries 20000 --concurrency 64 --rounds 3]
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Webhooks.Core.Delivery;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;

// Hosts watch their content root for configuration changes by default; on a machine where builds
// run, those file events would cost CPU inside the measurement.
Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");

int deliveries = Arg("--deliveries", 20_000);
int concurrency = Arg("--concurrency", 64);
int rounds = Arg("--rounds", 3);
bool libraryOnly = args.Contains("--library-only"); // for profiling the library's own path
bool verbose = args.Contains("--verbose");

Console.WriteLine($"Webhooks.Core benchmark: {deliveries} deliveries per run, concurrency {concurrency}, {rounds} rounds, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

// A receiver that reads the body and answers 200, counting arrivals.
long arrived = 0;
var rb = WebApplication.CreateSlimBuilder();
rb.Logging.ClearProviders();
rb.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
var receiver = rb.Build();
receiver.MapPost("/hook", async (HttpRequest req) =>
{
    await req.Body.CopyToAsync(Stream.Null);
    Interlocked.Increment(ref arrived);
    return Results.Ok();
});
await receiver.StartAsync();
var url = receiver.Urls.First() + "/hook";

var body = System.Text.Encoding.UTF8.GetBytes(
    "{\"type\":\"order.created\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":{\"id\":12345,\"customer\":\"alice\",\"items\":[{\"sku\":\"A-1\",\"quantity\":2,\"unitPrice\":9.99}],\"status\":\"new\"}}");

// 1. Throughput.
var baselineRates = new List<double>();
var libraryRates = new List<double>();
for (int round = 1; round <= rounds + 1; round++)
{
    var b = libraryOnly ? 1 : await BaselineAsync();
    var l = await LibraryAsync();
    if (round == 1)
    {
        continue; // warm-up: JIT, connection pools
    }

    baselineRates.Add(b);
    libraryRates.Add(l);
    Console.WriteLine($"  round {round - 1}: bare HttpClient {b,8:N0}/s   library {l,8:N0}/s   ratio {l / b:P1}");
}

var ratios = baselineRates.Zip(libraryRates, (b, l) => l / b).Order().ToList();
double median = ratios[ratios.Count / 2];

if (libraryOnly)
{
    return 0;
}

// 2. Publish cost vs subscription count.
var publishSmall = await PublishCostAsync(10);
var publishLarge = await PublishCostAsync(100_000);

// 3. Memory per pending delivery.
var bytesPerDelivery = await MemoryPerDeliveryAsync(50_000);

Console.WriteLine();
Console.WriteLine("| measure | result |");
Console.WriteLine("|---|---|");
Console.WriteLine($"| delivery throughput, library / bare HttpClient loop (median of {rounds}) | {median:P1} ({libraryRates.Order().ElementAt(rounds / 2):N0}/s vs {baselineRates.Order().ElementAt(rounds / 2):N0}/s) |");
Console.WriteLine($"| publish cost, 100,000 vs 10 subscriptions in the store | {publishLarge / publishSmall:N2}x ({publishSmall:N1} µs vs {publishLarge:N1} µs per publish) |");
Console.WriteLine($"| memory per pending delivery (one message to 50,000 subscriptions) | {bytesPerDelivery:N0} bytes |");
await receiver.StopAsync();
return 0;

async Task<double> BaselineAsync()
{
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, AllowAutoRedirect = false, UseCookies = false };
    using var client = new HttpClient(handler);
    long next = 0;
    long start = arrived;
    int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
    long allocated = GC.GetTotalAllocatedBytes(precise: false);
    var paused = GC.GetTotalPauseDuration();
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (Interlocked.Increment(ref next) <= deliveries)
        {
            // The same bytes on the wire as the library sends: body and webhook headers (a fixed,
            // precomputed signature: a hand-written loop that signs would only be slower).
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.TryAddWithoutValidation("User-Agent", "Webhooks.Core/1.0");
            request.Headers.TryAddWithoutValidation("webhook-id", "msg_01M8902QF6FBYRTQF9797485YX");
            request.Headers.TryAddWithoutValidation("webhook-timestamp", "1764061200");
            request.Headers.TryAddWithoutValidation("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await response.Content.CopyToAsync(Stream.Null);
            response.EnsureSuccessStatusCode();
        }
    }));
    sw.Stop();
    if (verbose)
    {
        Console.WriteLine($"    baseline GCs gen0 {GC.CollectionCount(0) - gc0}, gen1 {GC.CollectionCount(1) - gc1}, gen2 {GC.CollectionCount(2) - gc2}, {(GC.GetTotalAllocatedBytes(false) - allocated) / deliveries:N0} bytes allocated per delivery, GC pauses {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:N0} ms");
    }

    if (arrived - start != deliveries)
    {
        throw new InvalidOperationException("baseline lost requests");
    }

    return deliveries / sw.Elapsed.TotalSeconds;
}

async Task<double> LibraryAsync()
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Services.AddWebhooks(o =>
    {
        o.AllowHttp = true;
        o.Network.AllowLoopback = true;   // the load receiver is on 127.0.0.1 (SSRF guard blocks loopback outside Development)
        o.MaxConcurrentDeliveries = concurrency;
        o.MaxConnectionsPerEndpoint = concurrency;
        o.InMemoryRetainedDeliveries = deliveries;
    }).AddEventType("order.created");
    using var host = builder.Build();
    var manager = host.Services.GetRequiredService<WebhookSubscriptionManager>();
    var publisher = host.Services.GetRequiredService<IWebhookPublisher>();
    await manager.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "bench", Url = url, Events = ["order.created"] });
    var data = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("data").Clone();

    // Enqueue everything first, then time the dispatcher alone: the delivery throughput.
    for (int i = 0; i < deliveries; i++)
    {
        await publisher.PublishAsync("order.created", data);
    }

    // The backlog was just allocated: promote it to gen2 now, so its one-time promotion is not
    // charged to the delivery phase (a long-running queue is in gen2 already).
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();

    long start = arrived;
    int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
    long allocated = GC.GetTotalAllocatedBytes(precise: false);
    var paused = GC.GetTotalPauseDuration();
    var sw = Stopwatch.StartNew();
    await host.StartAsync();

    while (Interlocked.Read(ref arrived) - start < deliveries)
    {
        await Task.Delay(1);
    }

    sw.Stop();
    if (verbose)
    {
        Console.WriteLine($"    library GCs gen0 {GC.CollectionCount(0) - gc0}, gen1 {GC.CollectionCount(1) - gc1}, gen2 {GC.CollectionCount(2) - gc2}, {(GC.GetTotalAllocatedBytes(false) - allocated) / deliveries:N0} bytes allocated per delivery, GC pauses {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:N0} ms");
    }

    await host.StopAsync();
    return deliveries / sw.Elapsed.TotalSeconds;
}

async Task<double> PublishCostAsync(int subscriptionCount)
{
    var services = new ServiceCollection();
    services.AddLogging();
    services.AddWebhooks(o => o.AllowHttp = true).AddEventType("order.created").AddEventType("other.event");
    await using var provider = services.BuildServiceProvider();
    var store = provider.GetRequiredService<IWebhookSubscriptionStore>();
    var publisher = provider.GetRequiredService<IWebhookPublisher>();
    var now = DateTimeOffset.UtcNow;
    for (int i = 0; i < subscriptionCount; i++)
    {
        // Spread over owners and events as a real multi-tenant app would; one matches the publish.
        await store.CreateAsync(new WebhookSubscription
        {
            Id = $"sub_{i:D8}", Owner = i == 0 ? "tenant-0" : $"tenant-{i % 1000}", Name = $"s{i}", Url = "https://example.com/h",
            Events = [i == 0 ? "order.created" : "other.event"], Secrets = [new WebhookSecret(WebhookSecret.Generate())], CreatedAt = now, UpdatedAt = now,
        }, default);
    }

    var options = new WebhookPublishOptions { Owner = "tenant-0" };
    var data = new { id = 1 };
    for (int i = 0; i < 2_000; i++)
    {
        await publisher.PublishAsync("order.created", data, options);
    }

    // Subscriptions live long in a real app: promote them before measuring, as the delivery run does.
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    const int n = 20_000;
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < n; i++)
    {
        await publisher.PublishAsync("order.created", data, options);
    }

    return sw.Elapsed.TotalMicroseconds / n;
}

async Task<double> MemoryPerDeliveryAsync(int count)
{
    var services = new ServiceCollection();
    services.AddLogging();
    services.AddWebhooks(o => o.AllowHttp = true).AddEventType("order.created");
    await using var provider = services.BuildServiceProvider();
    var store = provider.GetRequiredService<IWebhookSubscriptionStore>();
    var publisher = provider.GetRequiredService<IWebhookPublisher>();
    var now = DateTimeOffset.UtcNow;
    for (int i = 0; i < count; i++)
    {
        await store.CreateAsync(new WebhookSubscription
        {
            Id = $"sub_{i:D8}", Name = $"s{i}", Url = "https://example.com/h", Events = ["order.created"],
            Secrets = [new WebhookSecret(WebhookSecret.Generate())], CreatedAt = now, UpdatedAt = now,
        }, default);
    }

    // Warm the publish path once (one delivery per subscription), then measure a second message.
    await publisher.PublishAsync("order.created", new { id = 0 });
    long before = GC.GetTotalMemory(forceFullCollection: true);
    var result = await publisher.PublishAsync("order.created", System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("data").Clone());
    long after = GC.GetTotalMemory(forceFullCollection: true);
    if (result.DeliveryCount != count)
    {
        throw new InvalidOperationException("not every subscription matched");
    }

    GC.KeepAlive(provider);
    return (after - before) / (double)count;
}

int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
