// The worker tier: a Worker Service (no web server) that sends the deliveries another app enqueued
// in a shared store, such as the Orders sample run with Webhooks__Dispatcher__Enabled=false.
//
//   ConnectionStrings__Webhooks="Host=…;Database=…"          PostgreSQL (several workers may run)
//   ConnectionStrings__WebhooksSqlite="Data Source=orders.db"  a SQLite file on this machine
//
//   dotnet run --project samples/Webhooks.Samples.Worker              runs until stopped (the hosted dispatcher)
//   dotnet run --project samples/Webhooks.Samples.Worker -- --once    dispatches what is due, prints what it did, exits
//                                                                      (the shape of a timer function or a CronJob)
// Every Webhooks:* option binds from configuration (Webhooks__AttemptTimeout=00:00:05, Webhooks__AllowHttp=true, ...).
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Webhooks.Core.Delivery;

bool once = args.Contains("--once");
var builder = Host.CreateApplicationBuilder(args.Where(a => a != "--once").ToArray());
#region worker
var webhooks = builder.Services.AddWebhooks(builder.Configuration, o =>
{
    if (once)
    {
        o.Dispatcher.Enabled = false; // the call below is the dispatcher
    }
});

if (builder.Configuration.GetConnectionString("Webhooks") is { Length: > 0 } postgres)
{
    webhooks.UsePostgreSql(postgres);
}
else if (builder.Configuration.GetConnectionString("WebhooksSqlite") is { Length: > 0 } sqlite)
{
    webhooks.UseSqlite(sqlite);
}
else
{
    Console.Error.WriteLine("The worker sends what another app enqueued, so it needs that app's store: set ConnectionStrings__Webhooks (PostgreSQL) or ConnectionStrings__WebhooksSqlite (a SQLite file).");
    return 2;
}
#endregion

using var host = builder.Build();
if (!once)
{
    await host.RunAsync();
    return 0;
}

// Timer-function style: start the host (schema, options), dispatch within a time budget, stop.
#region once
await host.StartAsync();
var budget = TimeSpan.FromSeconds(builder.Configuration.GetValue("Worker:TimeLimitSeconds", 25));
var result = await host.Services.GetRequiredService<IWebhookDispatcher>().DispatchAsync(budget);
Console.WriteLine($"Dispatched: {result}");
await host.StopAsync();
#endregion
return 0;
