using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore.Portal;
using Webhooks.Core.Delivery;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.AspNetCore.Portal.Tests.Infrastructure;

/// <summary>
/// A real app on Kestrel (127.0.0.1, random port) as an adopter would write it: its own sign-in
/// (header <c>X-Test-User</c>, roles in <c>X-Test-Roles</c>), <c>MapWebhooks()</c> and the portal behind a
/// "ManageWebhooks" role policy, an app endpoint of its own (<c>/app/whoami</c>), fast retries.
/// </summary>
public sealed class PortalHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PortalHost(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The app's cookie sign-in scheme (hosts started with <c>cookieSignIn</c>).</summary>
    public const string CookieScheme = "AppCookie";

    /// <summary>The default scheme of a cookie host: the header credential when sent, else the cookie.</summary>
    public const string AppScheme = "App";

    public string BaseUrl { get; }

    public IServiceProvider Services => _app.Services;

    public IWebhookPortalLinks Links => Services.GetRequiredService<IWebhookPortalLinks>();

    public IWebhookPublisher Publisher => Services.GetRequiredService<IWebhookPublisher>();

    public WebhookSubscriptionManager Subscriptions => Services.GetRequiredService<WebhookSubscriptionManager>();

    public WebhookDeliveryManager Deliveries => Services.GetRequiredService<WebhookDeliveryManager>();

    public static async Task<PortalHost> StartAsync(
        Action<IWebhooksBuilder>? configure = null,
        Action<IServiceCollection>? services = null,
        bool mapManagement = true,
        bool cookieSignIn = false)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var authentication = builder.Services.AddAuthentication(cookieSignIn ? AppScheme : HeaderAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, null);
        if (cookieSignIn)
        {
            // As a web app signs its users in: a cookie (SameSite=Lax, the default), 401 for fetch
            // instead of a redirect; API callers with a header credential are told apart by a policy scheme.
            authentication
                .AddCookie(CookieScheme, o =>
                {
                    o.Cookie.Name = ".App.SignIn";
                    o.Events.OnRedirectToLogin = c =>
                    {
                        c.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        return Task.CompletedTask;
                    };
                })
                .AddPolicyScheme(AppScheme, null, o => o.ForwardDefaultSelector = c => c.Request.Headers.ContainsKey("X-Test-User") ? HeaderAuthentication.SchemeName : CookieScheme);
        }

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy("ManageWebhooks", p => p.RequireAuthenticatedUser().RequireRole("Manage"));
        var webhooks = builder.Services.AddWebhooks(o =>
            {
                o.AllowHttp = true;
                o.Network.AllowLoopback = true;
                o.RetrySchedule = [TimeSpan.FromMilliseconds(50)];   // one retry, then failed: a failing receiver fails fast
                o.RetryJitter = 0;
                o.PollInterval = TimeSpan.FromMilliseconds(50);
                o.AttemptTimeout = TimeSpan.FromSeconds(5);
            })
            .AddResource("order")
            .AddEventType("invoice.paid", "An invoice was paid in full.", "invoice")
            .AddEventType("invoice.overdue", "An invoice is past its due date.", "invoice");
        configure?.Invoke(webhooks);
        webhooks.AddPortal();
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        if (mapManagement)
        {
            app.MapWebhooks("/webhooks").RequireAuthorization("ManageWebhooks");
        }

        app.MapWebhooksPortal().RequireAuthorization("ManageWebhooks");
        app.MapGet("/app/whoami", (ClaimsPrincipal user) => user.Identity?.Name ?? "").RequireAuthorization();
        if (cookieSignIn)
        {
            // The app's sign-in page, reduced to its outcome: GET /app/sign-in?user=dave&roles=Manage.
            app.MapGet("/app/sign-in", async (HttpContext http, string user, string? roles) =>
            {
                var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user), new(ClaimTypes.Name, user) };
                claims.AddRange((roles ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => new Claim(ClaimTypes.Role, r)));
                await http.SignInAsync(CookieScheme, new ClaimsPrincipal(new ClaimsIdentity(claims, CookieScheme)));
                return Results.Text("signed in as " + user);
            }).AllowAnonymous();
        }

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new PortalHost(app, address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>An access link, as the app would create it inside a request of its own.</summary>
    public async Task<string> LinkAsync(string owner, bool readOnly = false, TimeSpan? lifetime = null) =>
        (await CreateLinkAsync(owner, readOnly, lifetime)).Url.ToString();

    public async Task<WebhookPortalLink> CreateLinkAsync(string owner, bool readOnly = false, TimeSpan? lifetime = null)
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        var uri = new Uri(BaseUrl);
        context.Request.Scheme = uri.Scheme;
        context.Request.Host = new HostString(uri.Host, uri.Port);
        var accessor = Services.GetRequiredService<IHttpContextAccessor>();
        accessor.HttpContext = context;
        try
        {
            return await Links.CreateAsync(owner, lifetime, readOnly);
        }
        finally
        {
            accessor.HttpContext = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }
}

/// <summary>The app's own sign-in in these tests: <c>X-Test-User: alice</c>, optional <c>X-Test-Roles: Manage</c>.</summary>
public sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "TestHeader";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var user = Request.Headers["X-Test-User"].ToString();
        if (string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user), new(ClaimTypes.Name, user) };
        claims.AddRange(Request.Headers["X-Test-Roles"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => new Claim(ClaimTypes.Role, r.Trim())));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName)));
    }
}
