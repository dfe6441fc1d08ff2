using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.Core;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real app on Kestrel (127.0.0.1, random port) with the management endpoints, a header-based
/// authentication handler, OpenAPI and a few event types. Callers pick their identity per client.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiHost(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public IServiceProvider Services => _app.Services;

    public IWebhookPublisher Publisher => Services.GetRequiredService<IWebhookPublisher>();

    public WebhookSubscriptionManager Manager => Services.GetRequiredService<WebhookSubscriptionManager>();

    public static async Task<ApiHost> StartAsync(
        Action<WebhookOptions>? options = null,
        Action<IWebhooksBuilder>? webhooks = null,
        Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder().AddPolicy("Manage", p => p.RequireRole("Manage"));
        builder.Services.AddOpenApi();
        var w = builder.Services.AddWebhooks(o =>
            {
                o.AllowHttp = true;
                o.Network.AllowLoopback = true; // the test receiver is on 127.0.0.1
                o.Network.AllowedHosts = ["example.com"]; // saved, never called: no DNS lookup when subscribing
                o.RetrySchedule = [];
                o.RetryJitter = 0;
                o.PollInterval = TimeSpan.FromMilliseconds(20);
                o.AttemptTimeout = TimeSpan.FromSeconds(5);
                o.LeaseDuration = TimeSpan.FromSeconds(30);
                options?.Invoke(o);
            })
            .AddResource("order", description: "order")
            .AddEventType("item-add", "An item was added.", "item")
            .AddEventType(new Core.Catalog.WebhookEventType("invoice.paid") { Description = "An invoice was paid.", Version = "V1", Deprecated = true })
            .AddEndpoints();
        webhooks?.Invoke(w);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        if (map is null)
        {
            app.MapWebhooks();
        }
        else
        {
            map(app);
        }

        await app.StartAsync();
        var address = app.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
        return new ApiHost(app, address);
    }

    /// <summary>A client acting as <paramref name="user"/> (no header when null: anonymous).</summary>
    public HttpClient Client(string? user, params string[] roles)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(TestAuthHandler.UserHeader, user);
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

/// <summary>
/// A real authentication handler for tests: <c>X-Test-User</c> names the user (their id claim),
/// <c>X-Test-Roles</c> their roles, <c>X-Test-Tenant</c> a tenant claim; <c>X-Test-User: -</c>
/// authenticates a user without an id claim. No header: not authenticated.
/// </summary>
public sealed class TestAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";
    public const string UserHeader = "X-Test-User";
    public const string RolesHeader = "X-Test-Roles";
    public const string TenantHeader = "X-Test-Tenant";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(UserHeader, out var user) || string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, user!) };
        if (user != "-")
        {
            claims.Add(new Claim(ClaimTypes.NameIdentifier, user!));
        }

        foreach (var role in Request.Headers[RolesHeader].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            claims.Add(new Claim(ClaimTypes.Role, role));
        }

        if (Request.Headers.TryGetValue(TenantHeader, out var tenant))
        {
            claims.Add(new Claim("tenant", tenant!));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
