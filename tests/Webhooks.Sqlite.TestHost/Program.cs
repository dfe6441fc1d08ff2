// An app on a SQLite file in its own process, for the kill -9 test: it subscribes the test's
// receiver, publishes, prints the message ids, then delivers until the test kills it with SIGKILL
// (no shutdown, no lease released).
// Arguments: <database file> <receiver url> <events> <max concurrent deliveries> <lease ms>
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;

if (args.Length != 5)
{
    Console.Error.WriteLine("usage: Webhooks.Sqlite.TestHost <database file> <receiver url> <events> <max concurrent deliveries> <lease ms>");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
builder.Services.AddWebhooks(o =>
    {
        o.AllowHttp = true;
        o.Network.AllowLoopback = true; // the test's receiver is on 127.0.0.1
        o.UserAgent = "victim";
        o.MaxConcurrentDeliveries = int.Parse(args[3], CultureInfo.InvariantCulture);
        o.LeaseDuration = TimeSpan.FromMilliseconds(int.Parse(args[4], CultureInfo.InvariantCulture));
        o.AttemptTimeout = o.LeaseDuration / 2;
        o.PollInterval = TimeSpan.FromMilliseconds(50);
        o.RetrySchedule = [.. Enumerable.Repeat(TimeSpan.FromMilliseconds(200), 20)]; // never gives up before the kill
        o.RetryJitter = 0;
    })
    .AddEventType("order.created")
    .UseSqlite($"Data Source={args[0]}");

using var host = builder.Build();
await host.StartAsync();
await host.Services.GetRequiredService<WebhookSubscriptionManager>().CreateAsync(null, new WebhookSubscriptionDefinition
{
    Name = "receiver",
    Url = args[1],
    Events = ["order.created"],
});
var publisher = host.Services.GetRequiredService<IWebhookPublisher>();
for (int i = 0; i < int.Parse(args[2], CultureInfo.InvariantCulture); i++)
{
    Console.WriteLine("PUBLISHED " + (await publisher.PublishAsync("order.created", new { id = i })).MessageId);
}

Console.WriteLine("READY");
await host.WaitForShutdownAsync();
return 0;
