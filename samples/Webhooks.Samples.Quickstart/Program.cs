// Quickstart: a receiver on loopback, two subscriptions (Standard Webhooks; HMAC hex + bearer
// auth), a few events, every delivery verified, one retry. Exits 0 when all arrived verified.
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Core.Delivery;
using Webhooks.Core.Publishing;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;

// 1. A receiver, as your customer would run it: it verifies every request and fails the very first one.
var secrets = new ConcurrentDictionary<string, string>();   // subscription name -> secret, as the customer stored it
var verified = new ConcurrentBag<string>();
int received = 0;
var receiverBuilder = WebApplication.CreateSlimBuilder();
receiverBuilder.Logging.ClearProviders();
receiverBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
var receiver = receiverBuilder.Build();
receiver.MapPost("/hooks/{name}", async (string name, HttpRequest request) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body);
    var h = request.Headers;
    var verifier = new WebhookVerifier(secrets[name]);
    var result = name == "billing"
        ? verifier.VerifyHmacSha256Hex(h["X-Webhook-Signature"], body.ToArray())
        : verifier.Verify(h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body.ToArray());
    var n = Interlocked.Increment(ref received);
    var fail = n == 1;
    Console.WriteLine($"  <- {name,-9} {h["webhook-id"]} signature {(result.IsValid ? "verified" : "INVALID: " + result.Message)}"
        + (h.Authorization.Count > 0 ? $", auth '{h.Authorization}'" : "")
        + (fail ? "  -> answering 503 to show a retry" : "  -> 200"));
    if (fail)
    {
        return Results.StatusCode(503);
    }

    if (result.IsValid)
    {
        verified.Add($"{name}/{h["webhook-id"]}");
    }

    return Results.Ok();
});
await receiver.StartAsync();
var receiverUrl = receiver.Urls.First();

// 2. The sending app: AddWebhooks(), declare the events, done.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddWebhooks(o =>
    {
        o.AllowHttp = true;                       // the demo receiver is plain http on loopback
        o.Network.AllowLoopback = true;           // ...and loopback is blocked outside Development (SSRF guard)
    })
    .AddResource("order")                          // order.created, order.updated, order.deleted
    .AddEventType("invoice.paid", "An invoice was paid.");
using var app = builder.Build();
await app.StartAsync();

var subscriptions = app.Services.GetRequiredService<WebhookSubscriptionManager>();
var deliveries = app.Services.GetRequiredService<WebhookDeliveryManager>();
var publisher = app.Services.GetRequiredService<IWebhookPublisher>();

// 3. Your users subscribe: one Standard Webhooks endpoint for orders, one HMAC-hex endpoint with bearer auth.
var orders = await subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
{
    Name = "orders", Url = $"{receiverUrl}/hooks/orders", Events = ["order.*"],
});
var billing = await subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
{
    Name = "billing", Url = $"{receiverUrl}/hooks/billing", Events = ["invoice.paid", "order.created"],
    SignatureScheme = WebhookSignatureSchemes.HmacSha256Hex, Auth = WebhookAuth.Bearer("demo-token"),
});
secrets["orders"] = orders.Secret;
secrets["billing"] = billing.Secret;
Console.WriteLine($"Receiver on {receiverUrl}; subscribed 'orders' (Standard Webhooks) and 'billing' (HMAC hex + bearer).");

// 4. Your app publishes; each event is serialized once and delivered to every matching subscription.
var expected = 0;
foreach (var (type, data) in new (string, object)[]
{
    ("order.created", new { id = 1001, customer = "alice", total = 42.50m }),
    ("order.updated", new { id = 1001, changes = new { status = new { previous = "new", current = "paid" } } }),
    ("invoice.paid", new { invoice = "INV-7", amount = 42.50m }),
})
{
    var result = await publisher.PublishAsync(type, data);
    expected += result.DeliveryCount;
    Console.WriteLine($"-> published {type,-14} {result.MessageId} to {result.DeliveryCount} subscription(s)");
}

// 5. Wait until every delivery arrived verified (the first one only after its retry, ~5 s later).
var deadline = DateTime.UtcNow.AddSeconds(30);
while (verified.Count < expected && DateTime.UtcNow < deadline)
{
    await Task.Delay(100);
}

// The receiver counts a delivery before the sender has recorded its answer: give the log a moment.
async Task<bool> AllRecordedAsync()
{
    foreach (var sub in new[] { orders.Subscription, billing.Subscription })
    {
        var page = await deliveries.GetDeliveriesAsync(null, sub.Id, WebhookDeliveryStatus.Pending);
        if (page!.Items.Count > 0)
        {
            return false;
        }
    }

    return true;
}

while (!await AllRecordedAsync() && DateTime.UtcNow < deadline)
{
    await Task.Delay(50);
}

Console.WriteLine();
Console.WriteLine("Delivery log:");
foreach (var sub in new[] { orders.Subscription, billing.Subscription })
{
    var page = await deliveries.GetDeliveriesAsync(null, sub.Id);
    foreach (var d in page!.Items.Reverse())
    {
        Console.WriteLine($"  {sub.Name,-9} {d.EventType,-14} {d.Status,-9} after {d.AttemptCount} attempt(s), last answer {d.LastStatusCode}");
    }
}

var ok = verified.Count == expected;
Console.WriteLine(ok ? $"All {expected} deliveries arrived and verified." : $"Only {verified.Count} of {expected} deliveries verified.");
await app.StopAsync();
await receiver.StopAsync();
return ok ? 0 : 1;
