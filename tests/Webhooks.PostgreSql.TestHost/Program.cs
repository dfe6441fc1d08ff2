// A dispatcher host in its own process, for the crash test: the test starts it, lets it take
// leases, and kills it with SIGKILL (no shutdown, no lease released).
// Arguments: <connection string> <schema> <user agent> <max concurrent deliveries> <lease ms>
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (args.Length != 5)
{
    Console.Error.WriteLine("usage: Webhooks.PostgreSql.TestHost <connection string> <schema> <user agent> <max concurrent deliveries> <lease ms>");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
builder.Services.AddWebhooks(o =>
    {
        o.AllowHttp = true;
        o.Network.AllowLoopback = true; // the test's receiver is on 127.0.0.1
        o.UserAgent = args[2];
        o.MaxConcurrentDeliveries = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        o.LeaseDuration = TimeSpan.FromMilliseconds(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
        o.AttemptTimeout = o.LeaseDuration / 2;
        o.PollInterval = TimeSpan.FromMilliseconds(100);
        o.RetrySchedule = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100)];
        o.RetryJitter = 0;
    })
    .AddEventType("order.created")
    .UsePostgreSql(args[0], o => o.Schema = args[1]);

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("READY");
await host.WaitForShutdownAsync();
return 0;
