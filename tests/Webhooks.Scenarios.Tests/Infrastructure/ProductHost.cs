using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Scenarios.Tests.Infrastructure;

/// <summary>
/// A product's app on Kestrel (127.0.0.1, random port): the library configured by the scenario,
/// the header-based test authentication (X-Test-User, X-Test-Roles, X-Test-Tenant) unless the
/// scenario brings its own, a <c>Manage</c> policy, and whatever endpoints the scenario maps.
/// </summary>
public sealed class ProductHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProductHost(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public IServiceProvider Services => _app.Services;

    public IWebhookPublisher Publisher => Services.GetRequiredService<IWebhookPublisher>();

    public WebhookSubscriptionManager Manager => Services.GetRequiredService<WebhookSubscriptionManager>();

    /// <param name="webhooks">The product's catalog and library features.</param>
    /// <param name="map">The product's endpoints.</param>
    /// <param name="options">The product's delivery settings, over fast test defaults (loopback allowed, 50 ms retries).</param>
    /// <param name="services">Extra services, such as another authentication scheme.</param>
    /// <param name="environment">The host environment (Production by default).</param>
    public static async Task<ProductHost> StartAsync(
        Action<IWebhooksBuilder> webhooks,
        Action<WebApplication> map,
        Action<WebhookOptions>? options = null,
        Action<IServiceCollection>? services = null,
        string environment = "Production")
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        if (services is null)
        {
            builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        }
        else
        {
            services(builder.Services);
        }

        builder.Services.AddAuthorizationBuilder().AddPolicy("Manage", p => p.RequireRole("Manage"));
        var w = builder.Services.AddWebhooks(o =>
        {
            o.AllowHttp = true;
            o.Network.AllowLoopback = true; // the receivers are on 127.0.0.1
            o.RetrySchedule = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50)];
            o.RetryJitter = 0;
            o.PollInterval = TimeSpan.FromMilliseconds(20);
            o.AttemptTimeout = TimeSpan.FromSeconds(5);
            o.LeaseDuration = TimeSpan.FromSeconds(30);
            options?.Invoke(o);
        });
        webhooks(w);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        map(app);
        await app.StartAsync();
        return new ProductHost(app, app.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>A client acting as <paramref name="user"/> of <paramref name="tenant"/> with <paramref name="roles"/> (anonymous when user is null).</summary>
    public HttpClient Client(string? user, string? tenant = null, params string[] roles)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(TestAuthHandler.UserHeader, user);
        }

        if (tenant is not null)
        {
            client.DefaultRequestHeaders.Add(TestAuthHandler.TenantHeader, tenant);
        }

        if (roles.Length > 0)
        {
            client.DefaultRequestHeaders.Add(TestAuthHandler.RolesHeader, string.Join(',', roles));
        }

        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(5).ToCancellationToken());
        await _app.DisposeAsync();
    }
}
