using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Webhooks.Core;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Benchmarks.Harness;

/// <summary>An app using the library: a generic host with AddWebhooks(), the in-memory stores or PostgreSQL.</summary>
public sealed class LibraryHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _started;

    private LibraryHost(IHost host)
    {
        _host = host;
        Publisher = host.Services.GetRequiredService<IWebhookPublisher>();
        Subscriptions = host.Services.GetRequiredService<WebhookSubscriptionManager>();
    }

    /// <summary><c>--plain-data-source</c>: PostgreSQL through UsePostgreSql(NpgsqlDataSource.Create(…)) (no auto-prepare), for comparison.</summary>
    public static bool PlainDataSource { get; set; }

    public IWebhookPublisher Publisher { get; }

    public WebhookSubscriptionManager Subscriptions { get; }

    public IServiceProvider Services => _host.Services;

    static LibraryHost()
    {
        // Hosts watch their content root for configuration changes by default; on a machine where
        // builds run, those file events would cost CPU inside the measurement.
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
    }

    /// <param name="concurrency">MaxConcurrentDeliveries and MaxConnectionsPerEndpoint.</param>
    /// <param name="postgres">A connection string for UsePostgreSql, or null for the in-memory stores.</param>
    /// <param name="dispatcher">Whether the hosted dispatcher runs.</param>
    /// <param name="retained">InMemoryRetainedDeliveries.</param>
    public static LibraryHost Create(int concurrency, string? postgres = null, bool dispatcher = true, int retained = 10_000, Action<WebhookOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        var webhooks = builder.Services.AddWebhooks(o =>
        {
            o.AllowHttp = true;
            o.Network.AllowLoopback = true; // the receiver is on 127.0.0.1
            o.MaxConcurrentDeliveries = concurrency;
            o.MaxConnectionsPerEndpoint = concurrency;
            o.InMemoryRetainedDeliveries = retained;
            o.Dispatcher.Enabled = dispatcher;
            o.RetentionPeriod = null;
            configure?.Invoke(o);
        }).AddEventType(Payload.EventType).AddEventType("other.event");
        if (postgres is not null && PlainDataSource)
        {
            // The app's own data source: none of the settings UsePostgreSql(connectionString) adds.
            webhooks.UsePostgreSql(Npgsql.NpgsqlDataSource.Create(postgres));
        }
        else if (postgres is not null)
        {
            webhooks.UsePostgreSql(postgres);
        }

        return new LibraryHost(builder.Build());
    }

    public async Task<string> SubscribeAsync(string url, string? owner = null)
    {
        var created = await Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = "bench-" + Guid.NewGuid().ToString("N")[..8], Url = url, Events = [Payload.EventType] });
        return created.Subscription.Id;
    }

    public async Task StartAsync()
    {
        await _host.StartAsync();
        _started = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await _host.StopAsync();
        }

        _host.Dispose();
    }
}
