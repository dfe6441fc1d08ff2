using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Webhooks.Core.Delivery;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Tests.Infrastructure;

/// <summary>A real generic host running the library (dispatcher included), for delivery tests.</summary>
public sealed class WebhookHost : IAsyncDisposable
{
    private WebhookHost(IHost host) => Host = host;

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public IWebhookPublisher Publisher => Services.GetRequiredService<IWebhookPublisher>();

    public WebhookSubscriptionManager Subscriptions => Services.GetRequiredService<WebhookSubscriptionManager>();

    public WebhookDeliveryManager Deliveries => Services.GetRequiredService<WebhookDeliveryManager>();

    public WebhookTestSender TestSender => Services.GetRequiredService<WebhookTestSender>();

    public static async Task<WebhookHost> StartAsync(
        Action<IWebhooksBuilder> configure,
        Action<WebhookOptions>? options = null,
        Action<IServiceCollection>? services = null,
        bool start = true,
        string? environment = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        var webhooks = builder.Services.AddWebhooks(o =>
        {
            o.AllowHttp = true;
            o.Network.AllowLoopback = true;   // every receiver here is on 127.0.0.1; plain AddWebhooks() blocks loopback
            o.RetrySchedule = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50)];
            o.RetryJitter = 0;
            o.PollInterval = TimeSpan.FromMilliseconds(20);
            o.AttemptTimeout = TimeSpan.FromSeconds(5);
            o.LeaseDuration = TimeSpan.FromSeconds(30);
            options?.Invoke(o);
        });
        configure(webhooks);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        if (start)
        {
            await host.StartAsync();
        }

        return new WebhookHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await Host.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        Host.Dispose();
    }
}
