// The native AOT sample: one web app, compiled ahead of time (PublishAot), that serves the
// MapWebhooks() management endpoints, receives on a loopback route of its own, and checks the
// whole path end to end in the native binary:
//   subscribe over HTTP -> publish a typed event -> signed POST -> verified with WebhookVerifier
//   -> the delivery log over HTTP says succeeded.
// Exits 0 when every step held, 1 when one did not, 2 after a 60-second timeout.
//   dotnet publish samples/Webhooks.Samples.Aot -c Release -r linux-x64 -p:PublishAot=true
//   samples/Webhooks.Samples.Aot/bin/Release/net10.0/linux-x64/publish/Webhooks.Samples.Aot
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Webhooks.Core.Publishing;
using Webhooks.Core.Signing;
using Webhooks.Samples.Aot;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));

builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorization();
#region add-webhooks
builder.Services.AddWebhooks(o =>
    {
        o.AllowHttp = true;                    // the receiver below is plain http...
        o.Network.AllowLoopback = true;        // ...on loopback, which the SSRF guard blocks outside Development
    })
    .AddEventType(OrderEvents.Created)         // its JSON schema comes from the source-generated context
    .ConfigureSerializer(json => json.TypeInfoResolverChain.Insert(0, SampleJsonContext.Default))
    .AddEndpoints();
#endregion

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapWebhooks("/webhooks");                  // every route requires an authenticated caller

// The receiver, as a customer would run it: verify the signature over the exact bytes, then read the event.
string? secret = null;                         // the customer's copy, from the 201 answer below
var verified = new TaskCompletionSource<OrderEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
app.MapPost("/receiver", async (HttpRequest request) =>
{
    using var buffer = new MemoryStream();
    await request.Body.CopyToAsync(buffer);
    var body = buffer.ToArray();
    var h = request.Headers;
    var result = new WebhookVerifier(secret!).Verify(h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body);
    if (!result.IsValid)
    {
        verified.TrySetException(new InvalidOperationException($"The signature did not verify: {result.Message}"));
        return Results.Unauthorized();
    }

    var envelope = JsonSerializer.Deserialize(body, SampleJsonContext.Default.OrderEnvelope)!;
    Console.WriteLine($"  <- {h["webhook-id"]} {envelope.Type}: signature verified, order {envelope.Data.Id} for {envelope.Data.Customer}");
    verified.TrySetResult(envelope);
    return Results.NoContent();
}).AllowAnonymous();

await app.StartAsync();
var baseUrl = app.Urls.First();
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
using var api = new HttpClient { BaseAddress = new Uri(baseUrl) };
api.DefaultRequestHeaders.Add(HeaderAuthenticationHandler.HeaderName, HeaderAuthenticationHandler.Key);
var failures = new List<string>();
void Check(bool condition, string what)
{
    Console.WriteLine($"{(condition ? "ok  " : "FAIL")} {what}");
    if (!condition)
    {
        failures.Add(what);
    }
}

try
{
    var ct = timeout.Token;

    // 1. The management endpoints: the catalog, a refused body (ProblemDetails), then a subscription.
    using (var anonymous = new HttpClient { BaseAddress = new Uri(baseUrl) })
    {
        var denied = await anonymous.GetAsync("/webhooks", ct);
        Check(denied.StatusCode == HttpStatusCode.Unauthorized, $"GET /webhooks without a key answers 401 ({(int)denied.StatusCode})");
    }

    var catalog = await api.GetStringAsync("/webhooks/event-types", ct);
    Check(catalog.Contains("\"order.created\"", StringComparison.Ordinal) && catalog.Contains("\"customer\"", StringComparison.Ordinal),
        "GET /webhooks/event-types lists order.created with its generated schema");

    var bad = await api.PostAsync("/webhooks", JsonBody("""{"name":"orders","url":42,"events":["order.created"]}"""), ct);
    var badText = await bad.Content.ReadAsStringAsync(ct);
    Check(bad.StatusCode == HttpStatusCode.BadRequest && badText.Contains("\"url\"", StringComparison.OrdinalIgnoreCase),
        $"POST /webhooks with a number for url answers 400 naming the field ({(int)bad.StatusCode})");

    var created = await api.PostAsync("/webhooks", JsonBody($$"""{"name":"orders","url":"{{baseUrl}}/receiver","events":["order.*"]}"""), ct);
    using var subscription = JsonDocument.Parse(await created.Content.ReadAsStringAsync(ct));
    Check(created.StatusCode == HttpStatusCode.Created, $"POST /webhooks subscribes the receiver ({(int)created.StatusCode})");
    var subscriptionId = subscription.RootElement.GetProperty("id").GetString()!;
    secret = subscription.RootElement.GetProperty("secret").GetString()!;

    // 2. Publish a typed event for the subscriber's owner; the dispatcher signs and sends it.
    var publisher = app.Services.GetRequiredService<IWebhookPublisher>();
    var published = await publisher.PublishAsync(OrderEvents.Created, new Order(1001, "alice", 42.50m),
        new WebhookPublishOptions { Owner = HeaderAuthenticationHandler.Owner }, ct);
    Console.WriteLine($"  -> published order.created {published.MessageId} to {published.DeliveryCount} subscription(s)");
    Check(published.DeliveryCount == 1, "the event matched the one subscription");

    // 3. The receiver verified it...
    var envelope = await verified.Task.WaitAsync(ct);
    Check(envelope is { Type: "order.created", Data: { Id: 1001, Customer: "alice", Total: 42.50m } }, "the receiver verified the signature and read the order");

    // 4. ...and the delivery log says so (the sender records the answer just after the receiver saw it).
    string status;
    do
    {
        using var page = JsonDocument.Parse(await api.GetStringAsync($"/webhooks/{subscriptionId}/deliveries", ct));
        var items = page.RootElement.GetProperty("items");
        status = items.GetArrayLength() == 1 ? items[0].GetProperty("status").GetString()! : "none";
        if (status is "pending")
        {
            await Task.Delay(50, ct);
        }
    }
    while (status is "pending");
    Check(status == "succeeded", $"GET /webhooks/{{id}}/deliveries shows the delivery {status}");
}
catch (OperationCanceledException) when (timeout.IsCancellationRequested)
{
    Console.WriteLine("FAIL timed out after 60 seconds");
    await app.StopAsync(CancellationToken.None);
    return 2;
}
catch (Exception ex)
{
    Check(false, $"unexpected {ex.GetType().Name}: {ex.Message}");
}

await app.StopAsync(CancellationToken.None);
Console.WriteLine(failures.Count == 0
    ? "Native AOT sample: all checks passed."
    : $"Native AOT sample: {failures.Count} check(s) failed.");
return failures.Count == 0 ? 0 : 1;

static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
